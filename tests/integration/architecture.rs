//! The library's module boundaries: no import cycle between top-level modules, the leaves import
//! nothing of kolrec, models never import evaluation, and the command line stays thin.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level library module → the top-level modules its code (not comments, not tests) names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let binary = ["main.rs", "lib.rs", "cli.rs", "cli", "demo.rs", "bench", "print.rs"];
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let file = e.file_name().to_string_lossy().into_owned();
        if binary.contains(&file.as_str()) {
            continue;
        }
        let name = file.trim_end_matches(".rs").to_string();
        let mut files = vec![e.path()];
        let mut deps = BTreeSet::new();
        while let Some(p) = files.pop() {
            if p.is_dir() {
                files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let m: String = line[i + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if m != name && !m.is_empty() {
                        deps.insert(m);
                    }
                }
            }
        }
        out.insert(name, deps);
    }
    out
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let g = imports();
    assert!(g.contains_key("engine") && g.contains_key("pipeline"), "{:?}", g.keys());
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|p| *p == n) {
            panic!("import cycle: {} → {n}", path[at..].join(" → "));
        }
        if !done.insert(n) {
            return;
        }
        path.push(n);
        for d in g.get(n).into_iter().flatten() {
            visit(d, g, path, done);
        }
        path.pop();
    }
    for n in g.keys() {
        visit(n, &g, &mut Vec::new(), &mut BTreeSet::new());
    }
}

#[test]
fn leaves_import_nothing_and_models_never_import_evaluation() {
    let g = imports();
    for leaf in ["linalg", "metrics", "contract", "tier", "parse", "report", "fsutil", "progress"] {
        assert!(g[leaf].is_empty(), "{leaf} imports {:?}", g[leaf]);
    }
    for model in ["affinity", "growth", "index", "catalog", "pipeline", "engine", "model_dir", "train"] {
        assert!(!g[model].contains("evaluate"), "{model} imports evaluate");
    }
    assert!(!g["index"].contains("affinity"), "the index imports the affinity model");
    assert!(!g["model_dir"].contains("engine") && !g["model_dir"].contains("pipeline"));
}

#[test]
fn the_command_line_only_parses_calls_and_prints() {
    let cli = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli.rs")).unwrap();
    let lines = cli.lines().count();
    assert!(lines < 600, "src/cli.rs has {lines} lines");
    // The library holds the pipelines: the command line builds no model, index or ranking itself.
    for call in ["AffinityModel::fit", "HnswIndex::build", "exact_batch", "top_k(", "Catalog::build"] {
        assert!(!cli.contains(call), "src/cli.rs calls {call}");
    }
}
