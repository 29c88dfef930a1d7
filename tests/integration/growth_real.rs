//! The real follower panels of `kolrec bench growth-real`, read in place from ../shared/data/real,
//! checked against values stated in the data's manifests and files.

use kolrec::panels::{SOCIALBLADE_BASE, smi2022, socialblade};
use kolrec::parse::{format_date, iso_date};

use crate::common::*;

fn series(ds: &kolrec::dataset::Dataset, id: &str) -> Vec<(String, f64)> {
    let i = ds.influencers.index()[id];
    (0..ds.snapshots.date.len())
        .filter(|&r| ds.snapshots.influencer[r] == i)
        .map(|r| (format_date(ds.snapshots.date[r]), ds.snapshots.followers[r]))
        .collect()
}

#[test]
fn smi2022_lists_become_a_five_date_panel_matched_by_handle() {
    let ds = smi2022(&real_data(), &scratch("smi-panel")).unwrap();
    let s = series(&ds, "instagram:cristiano");
    // The manifest's example: 419.6M → 459.2M → 477.9M → 483.1M → 523M.
    let want = [
        ("2022-03-15", 419.6e6),
        ("2022-06-15", 459.2e6),
        ("2022-09-15", 477.9e6),
        ("2022-11-15", 483.1e6),
        ("2022-12-15", 523e6),
    ];
    assert_eq!(s.len(), 5, "{s:?}");
    for ((d, f), (wd, wf)) in s.iter().zip(want) {
        assert_eq!(d, wd);
        assert!((f - wf).abs() < 1e5, "{d}: {f} vs {wf}");
    }
    // Snapshots are sorted by creator, then date, as the growth features require.
    let sn = &ds.snapshots;
    assert!((1..sn.date.len()).all(|r| (sn.influencer[r - 1], sn.date[r - 1]) < (sn.influencer[r], sn.date[r])));
    // Hundreds of handles appear in all five lists (the manifest counts 545 on Instagram).
    let mut per: std::collections::HashMap<u32, usize> = Default::default();
    for &i in &sn.influencer {
        *per.entry(i).or_default() += 1;
    }
    let in_all = per.values().filter(|&&n| n == 5).count();
    assert!(in_all > 1000, "{in_all} creators in all five lists");
}

#[test]
fn socialblade_gains_are_summed_and_overlapping_weeks_dropped() {
    let (ds, dropped) = socialblade(&real_data()).unwrap();
    assert_eq!(ds.influencers.len(), 62);
    assert!(dropped > 0);
    let s = series(&ds, "youtube:captainsparklez");
    // First week 2019-05-30..06-06 gained 1,764; the next row (06-02..06-09) overlaps it.
    assert_eq!(s[0], ("2019-05-30".to_string(), SOCIALBLADE_BASE));
    assert_eq!(s[1], ("2019-06-06".to_string(), SOCIALBLADE_BASE + 1764.0));
    assert!(s.iter().all(|(d, _)| d != "2019-06-09"), "an overlapping week was kept");
    let i = ds.influencers.index()["youtube:captainsparklez"] as usize;
    assert_eq!(ds.influencers.category[i], "gaming");
    assert!(iso_date(&s[s.len() - 1].0).unwrap() > iso_date("2022-01-01").unwrap());
}
