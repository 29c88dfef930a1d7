//! The time split of an evaluation: the campaign rows before a cutoff train, the rows after it
//! test, and per brand what it had seen, what it picked and what was relevant after the cutoff.

use std::collections::HashSet;

use serde::Serialize;

use super::EvalError;
use crate::affinity::{self, AffinityModel};
use crate::dataset::{Campaigns, Dataset};

/// Campaign rows before and from the cutoff date.
#[derive(Clone, Debug, Serialize)]
pub struct Split {
    pub cutoff: String,
    #[serde(skip)]
    pub cutoff_day: i32,
    #[serde(skip)]
    pub train: Vec<usize>,
    #[serde(skip)]
    pub test: Vec<usize>,
    pub train_rows: usize,
    pub test_rows: usize,
}

/// The last `holdout` share of the campaigns' time span is the test period.
pub fn time_split(c: &Campaigns, holdout: f64) -> Result<Split, EvalError> {
    if !(holdout > 0.0 && holdout < 1.0) {
        return Err(EvalError::Holdout(holdout));
    }
    let (lo, hi) = match (c.date.iter().min(), c.date.iter().max()) {
        (Some(&lo), Some(&hi)) if hi > lo => (lo, hi),
        _ => return Err(EvalError::Split("campaign dates span less than two days".into())),
    };
    let cutoff = lo + ((f64::from(hi - lo)) * (1.0 - holdout)).ceil() as i32;
    let (train, test): (Vec<usize>, Vec<usize>) = (0..c.len()).partition(|&r| c.date[r] < cutoff);
    if train.is_empty() || test.is_empty() {
        return Err(EvalError::Split(format!("cutoff {} leaves an empty side", crate::parse::format_date(cutoff))));
    }
    Ok(Split {
        cutoff: crate::parse::format_date(cutoff),
        cutoff_day: cutoff,
        train_rows: train.len(),
        test_rows: test.len(),
        train,
        test,
    })
}

/// Everything known about a brand's place in the split.
pub struct BrandSplit {
    pub seen: Vec<HashSet<usize>>,
    pub relevant: Vec<HashSet<usize>>,
    pub test_picks: Vec<Vec<usize>>,
}

pub fn brand_split(ds: &Dataset, split: &Split, model: &AffinityModel) -> BrandSplit {
    let nb = ds.brands.len();
    let mut seen = vec![HashSet::new(); nb];
    for &r in &split.train {
        seen[ds.campaigns.brand[r] as usize].insert(ds.campaigns.influencer[r] as usize);
    }
    let mut relevant = vec![HashSet::new(); nb];
    let mut test_picks = vec![Vec::new(); nb];
    // A held-out pair is relevant when its outcome beat the training market (target > 0).
    for p in affinity::targets(ds, &split.test, &model.market, model.params.alpha) {
        let (b, i) = (p.brand as usize, p.influencer as usize);
        if p.y > 0.0 && !seen[b].contains(&i) {
            relevant[b].insert(i);
        }
    }
    for &r in &split.test {
        test_picks[ds.campaigns.brand[r] as usize].push(ds.campaigns.influencer[r] as usize);
    }
    BrandSplit { seen, relevant, test_picks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_holds_out_the_last_share_of_the_time_span() {
        let mut c = Campaigns::default();
        for d in 0..=100 {
            c.brand.push(0);
            c.influencer.push(0);
            c.date.push(d);
        }
        let s = time_split(&c, 0.2).unwrap();
        assert_eq!(s.cutoff_day, 80);
        assert_eq!((s.train.len(), s.test.len()), (80, 21));
        assert!(time_split(&c, 1.0).unwrap_err().to_string().contains("holdout 1 must be strictly between 0 and 1"));
    }
}
