//! The committed sample under datasets/sample is exactly what the simulator's defaults produce.

use kolrec::dataset::{self, LoadOptions};
use kolrec::sim::{self, SimParams};

use crate::common::*;

#[test]
fn committed_sample_matches_the_default_simulation() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
    let fresh = scratch("sample");
    sim::generate(&SimParams::default(), &fresh, true).unwrap();
    let (a, _) = dataset::load(&committed, &LoadOptions::default()).unwrap();
    let (b, _) = dataset::load(&fresh, &LoadOptions::default()).unwrap();
    // NaN != NaN, so compare the debug rendering, which prints NaN the same on both sides.
    assert!(
        format!("{a:?}") == format!("{b:?}"),
        "datasets/sample is stale: regenerate it with `cargo run --release -- generate --out datasets/sample`"
    );
}
