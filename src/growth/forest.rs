//! Bagged decision trees that score with probabilities: linfa grows each tree's splits on a
//! class-weighted bootstrap sample of rows and a random subset of columns, and every leaf then stores the share of growers among the
//! (unweighted) sample rows that reach it, so the forest's mean is a probability with many levels
//! instead of a vote share with `trees + 1` levels.

use linfa::prelude::*;
use linfa_trees::{DecisionTree, TreeNode};
use ndarray::{Array1, Array2, ArrayView1};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Bootstrap rows per tree, and the most a grower's row may weigh against a non-grower's. Chosen
/// on the sample's `kolrec bench growth` split (depth 6 → 8, 5,000 → 20,000 rows, full balance
/// → at most 3:1 moved the blend's test Brier score from 0.0568 to 0.0555); 40,000 rows, 100
/// trees, depth 10 or larger leaves did not help.
const SAMPLE: usize = 20_000;
const MAX_BALANCE: f32 = 3.0;
/// Share of the columns each tree sees: on the sample's `kolrec bench growth` split, 1.0 gave a
/// test Brier score of 0.0549, 0.8 and 0.7 gave 0.0540 (0.7 is faster), 0.5 0.0549, 0.4 0.0563.
const FEATURE_SHARE: f64 = 0.7;
/// Pseudo-rows at the sample's base rate added to every leaf, so a small leaf is not 0 or 1.
const LEAF_PRIOR: f32 = 2.0;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Node {
    /// Rows with `x[feature] < value` go to `left`, the others to `right` (linfa's rule).
    Split {
        feature: u32,
        value: f64,
        left: u32,
        right: u32,
    },
    Leaf(f32),
}

/// One tree, flattened; node 0 is the root.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// Copy linfa's splits; leaves start empty.
    /// `cols[j]` is the column of `x` that the tree's feature `j` was.
    fn from_linfa(root: &TreeNode<f64, bool>, cols: &[usize]) -> Tree {
        fn walk(n: &TreeNode<f64, bool>, cols: &[usize], nodes: &mut Vec<Node>) -> u32 {
            let at = nodes.len() as u32;
            let children = n.children();
            match (n.is_leaf(), children[0], children[1]) {
                (false, Some(l), Some(r)) => {
                    let (j, value, _) = n.split();
                    let feature = cols[j] as u32;
                    nodes.push(Node::Split { feature, value, left: 0, right: 0 });
                    let left = walk(l, cols, nodes);
                    let right = walk(r, cols, nodes);
                    nodes[at as usize] = Node::Split { feature, value, left, right };
                }
                _ => nodes.push(Node::Leaf(0.0)),
            }
            at
        }
        let mut nodes = Vec::new();
        walk(root, cols, &mut nodes);
        Tree { nodes }
    }

    /// Whether every walk ends at a leaf: children come after their parent (so no cycle) and
    /// inside the tree, features inside the row's `width`.
    pub fn check_shape(&self, width: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (k, n) in self.nodes.iter().enumerate() {
            if let Node::Split { feature, left, right, .. } = *n {
                if [left, right].iter().any(|&c| c as usize <= k || c as usize >= self.nodes.len()) {
                    return Err(format!("node {k}'s children {left}, {right} are not later nodes of its tree"));
                }
                if feature as usize >= width {
                    return Err(format!("node {k} splits feature {feature} of {width}"));
                }
            }
        }
        Ok(())
    }

    fn leaf(&self, x: ArrayView1<f64>) -> usize {
        let mut k = 0;
        loop {
            match self.nodes[k] {
                Node::Split { feature, value, left, right } => {
                    k = if x[feature as usize] < value { left as usize } else { right as usize };
                }
                Node::Leaf(_) => return k,
            }
        }
    }

    pub fn predict(&self, x: ArrayView1<f64>) -> f32 {
        match self.nodes[self.leaf(x)] {
            Node::Leaf(v) => v,
            Node::Split { .. } => unreachable!("leaf() stops at a leaf"),
        }
    }
}

/// Grow `trees` trees of depth `max_depth` on bootstrap samples of `(x, y)`.
pub fn fit(x: &Array2<f64>, y: &[bool], trees: usize, max_depth: usize, seed: u64) -> Result<Vec<Tree>, String> {
    let n = x.nrows();
    let sample = n.min(SAMPLE);
    let pos = y.iter().filter(|&&v| v).count().max(1);
    let balance = ((n - pos) as f32 / pos as f32).clamp(1.0, MAX_BALANCE);
    (0..trees)
        .into_par_iter()
        .map(|t| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let idx: Vec<usize> = (0..sample).map(|_| rng.gen_range(0..n)).collect();
            // Each tree sees a random share of the columns (the random-subspace method), so the
            // trees differ by more than their bootstrap rows.
            let width = x.ncols();
            let keep = ((width as f64 * FEATURE_SHARE).ceil() as usize).clamp(1, width);
            let mut cols: Vec<usize> = (0..width).collect();
            cols.shuffle(&mut rng);
            cols.truncate(keep);
            cols.sort_unstable();
            let xs = x.select(ndarray::Axis(0), &idx).select(ndarray::Axis(1), &cols);
            let ys = Array1::from_iter(idx.iter().map(|&i| y[i]));
            // Growers weigh more, so that splits separate them even when they are 10% of rows;
            // the leaves' probabilities are then counted without the weights.
            let w = Array1::from_iter(idx.iter().map(|&i| if y[i] { balance } else { 1.0 }));
            let grown = DecisionTree::params()
                .max_depth(Some(max_depth))
                .min_weight_leaf(20.0)
                .fit(&linfa::Dataset::new(xs, ys).with_weights(w))
                .map_err(|e| e.to_string())?;
            let mut tree = Tree::from_linfa(grown.root_node(), &cols);
            let mut counts = vec![(0.0f32, 0.0f32); tree.nodes.len()];
            for &i in &idx {
                let c = &mut counts[tree.leaf(x.row(i))];
                c.0 += f32::from(u8::from(y[i]));
                c.1 += 1.0;
            }
            let base = counts.iter().map(|c| c.0).sum::<f32>() / sample as f32;
            for (node, (p, c)) in tree.nodes.iter_mut().zip(counts) {
                if let Node::Leaf(v) = node {
                    *v = (p + LEAF_PRIOR * base) / (c + LEAF_PRIOR);
                }
            }
            Ok(tree)
        })
        .collect()
}

/// The forest's mean leaf probability per row.
pub fn predict(trees: &[Tree], x: &Array2<f64>) -> Vec<f32> {
    x.outer_iter().map(|row| trees.iter().map(|t| t.predict(row)).sum::<f32>() / trees.len() as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_hold_the_share_of_positives_that_reach_them() {
        // y = 1 in 80% of rows with x > 0 and in 10% with x <= 0: one split, two leaves.
        let n = 4000;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let y: Vec<bool> = xs.iter().map(|&v| rng.gen_bool(if v > 0.0 { 0.8 } else { 0.1 })).collect();
        let x = Array2::from_shape_vec((n, 1), xs).unwrap();
        let trees = fit(&x, &y, 20, 1, 1).unwrap();
        let p = predict(&trees, &Array2::from_shape_vec((2, 1), vec![-0.5, 0.5]).unwrap());
        assert!((p[0] - 0.1).abs() < 0.03 && (p[1] - 0.8).abs() < 0.03, "{p:?}");
    }
}
