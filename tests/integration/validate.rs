//! Every class of bad input is reported with file, row, column and reason; lenient mode
//! quarantines the bad rows.

use kolrec::dataset::{self, DataError, LoadOptions};
use kolrec::report::ProblemKind;

use crate::common::*;

fn problems(dir: &std::path::Path) -> (String, Vec<ProblemKind>) {
    match dataset::load(dir, &LoadOptions::default()) {
        Err(DataError::Invalid { report, .. }) => {
            (report.to_string(), report.problems.iter().map(|p| p.kind).collect())
        }
        Err(e) => panic!("expected a validation report, got {e}"),
        Ok(_) => panic!("expected {} to be rejected", dir.display()),
    }
}

#[test]
fn the_valid_fixture_loads_with_indices_and_sorted_snapshots() {
    let dir = dataset("valid", &[]);
    let (ds, report) = dataset::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(report.problems.total, 0);
    assert_eq!((ds.brands.len(), ds.influencers.len(), ds.campaigns.len(), ds.snapshots.len()), (2, 3, 3, 4));
    assert_eq!(ds.campaigns.brand, vec![0, 0, 1]);
    assert_eq!(ds.campaigns.influencer, vec![0, 1, 2]);
    assert!(ds.campaigns.conversions[2].is_nan());
    // Snapshots come back ordered by influencer, then date.
    assert_eq!(ds.snapshots.followers[..2], [24000.0, 25000.0]);
    assert!(ds.brands.audience.ages[0][1].is_nan());
}

#[test]
fn bom_crlf_and_latin1_bytes_are_accepted() {
    let dir = dataset("bom", &[]);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(common_brands_crlf().as_bytes());
    bytes.extend_from_slice(b"b3,food,Caf\xE9 Ol\xE9,FR,,,,,,,\r\n");
    std::fs::write(dir.join("brands.csv"), bytes).unwrap();
    let (ds, report) = dataset::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(ds.brands.name[2], "Café Olé");
    assert_eq!(ds.brands.id[0], "b1", "the BOM must not stick to the first header");
    assert_eq!(report.tables[0].1.repaired_bytes, 2);
}

fn common_brands_crlf() -> String {
    BRANDS.replace('\n', "\r\n")
}

#[test]
fn missing_table_is_named() {
    let dir = dataset("missing-table", &[]);
    std::fs::remove_file(dir.join("follower_snapshots.csv")).unwrap();
    let (msg, kinds) = problems(&dir);
    assert_eq!(kinds, vec![ProblemKind::MissingTable]);
    assert!(msg.contains("follower_snapshots.csv or follower_snapshots.parquet"), "{msg}");
}

#[test]
fn a_table_in_both_formats_is_ambiguous() {
    let dir = dataset("ambiguous", &[]);
    std::fs::write(dir.join("brands.parquet"), b"not really parquet").unwrap();
    let (msg, kinds) = problems(&dir);
    assert!(kinds.contains(&ProblemKind::AmbiguousTable), "{msg}");
    assert!(msg.contains("both brands.csv and brands.parquet"), "{msg}");
}

#[test]
fn a_corrupt_parquet_file_is_unreadable_not_a_panic() {
    let dir = dataset("corrupt", &[]);
    std::fs::remove_file(dir.join("brands.csv")).unwrap();
    std::fs::write(dir.join("brands.parquet"), b"PAR1 garbage").unwrap();
    let (msg, kinds) = problems(&dir);
    assert_eq!(kinds, vec![ProblemKind::Unreadable], "{msg}");
    assert!(msg.contains("brands.parquet"), "{msg}");
}

#[test]
fn missing_required_column_is_named() {
    let dir = dataset("missing-col", &[("influencers", "influencer_id,platform,category\ni1,douyin,beauty\n")]);
    let (msg, kinds) = problems(&dir);
    assert!(kinds.contains(&ProblemKind::MissingColumn));
    assert!(msg.contains("influencers.csv, column 'followers': missing required column"), "{msg}");
}

#[test]
fn wrong_type_names_file_row_column_and_value() {
    let bad = INFLUENCERS.replace("i2,xiaohongshu,beauty,120000", "i2,xiaohongshu,beauty,12万");
    let dir = dataset("wrong-type", &[("influencers", &bad)]);
    let (msg, kinds) = problems(&dir);
    assert!(kinds.contains(&ProblemKind::WrongType));
    assert!(msg.contains("influencers.csv, row 2, column 'followers': wrong type: '12万' is not a number"), "{msg}");
}

#[test]
fn negative_counts_are_rejected() {
    let bad = CAMPAIGNS.replace("c1,b1,i2,2025-01-06,5000", "c1,b1,i2,2025-01-06,-5000");
    let (msg, kinds) = problems(&dataset("negative", &[("campaigns", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::Negative]);
    assert!(msg.contains("campaigns.csv, row 2, column 'cost': negative value: -5000 < 0"), "{msg}");
}

#[test]
fn shares_outside_0_1_are_rejected_with_a_hint() {
    let bad = INFLUENCERS.replace("i1,douyin,beauty,25000,@glowup,0.05", "i1,douyin,beauty,25000,@glowup,5");
    let (msg, kinds) = problems(&dataset("share", &[("influencers", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::OutOfRange]);
    assert!(msg.contains("row 1, column 'engagement_rate': share outside 0..1: 5 > 1"), "{msg}");
}

#[test]
fn age_shares_must_sum_to_one() {
    let bad = BRANDS.replace("0.8,0.1,0.4,0.3,0.1,0.1", "0.8,0.1,0.4,0.3,0.1,0.5");
    let (msg, kinds) = problems(&dataset("ages", &[("brands", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::SharesDontSum]);
    assert!(msg.contains("brands.csv, row 1, column 'audience_age_*'") && msg.contains("sum to 1.400"), "{msg}");
}

#[test]
fn duplicate_ids_point_at_the_first_occurrence() {
    let bad = format!("{INFLUENCERS}i1,weibo,food,3000,,,,\n");
    let (msg, kinds) = problems(&dataset("dup", &[("influencers", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::DuplicateId]);
    assert!(
        msg.contains("influencers.csv, row 4, column 'influencer_id': duplicate id: 'i1' already appears at row 1"),
        "{msg}"
    );
}

#[test]
fn duplicate_snapshots_of_one_day_are_rejected() {
    let bad = format!("{SNAPSHOTS}i3,2025-01-01,1990001,,,\n");
    let (msg, kinds) = problems(&dataset("dup-snap", &[("follower_snapshots", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::DuplicateId]);
    assert!(msg.contains("follower_snapshots.csv, row 5, column 'date'"), "{msg}");
}

#[test]
fn unknown_references_are_named() {
    let bad = CAMPAIGNS.replace("c2,b2,i3", "c2,b9,i3");
    let bad_snap = SNAPSHOTS.replace("i3,2025-01-01", "ghost,2025-01-01");
    let (msg, kinds) = problems(&dataset("refs", &[("campaigns", &bad), ("follower_snapshots", &bad_snap)]));
    assert_eq!(kinds, vec![ProblemKind::UnknownReference, ProblemKind::UnknownReference]);
    assert!(msg.contains("campaigns.csv, row 3, column 'brand_id': unknown reference: 'b9' is not in brands"), "{msg}");
    assert!(msg.contains("follower_snapshots.csv, row 4, column 'influencer_id': unknown reference: 'ghost'"), "{msg}");
}

#[test]
fn unparseable_and_impossible_dates_are_rejected() {
    let bad = CAMPAIGNS.replace("2025-01-05", "05/01/2025").replace("2025-02-01", "2025-02-30");
    let (msg, kinds) = problems(&dataset("dates", &[("campaigns", &bad)]));
    assert_eq!(kinds, vec![ProblemKind::BadDate, ProblemKind::BadDate]);
    assert!(msg.contains("campaigns.csv, row 1, column 'date': unparseable date: '05/01/2025'"), "{msg}");
    assert!(msg.contains("'2025-02-30'"), "{msg}");
}

#[test]
fn unknown_objective_and_impossible_counts_are_rejected() {
    let bad = CAMPAIGNS.replace("conversion\nc1,b1,i2", "sales\nc1,b1,i2").replace("90000,200,8", "90000,200000,8");
    let (msg, kinds) = problems(&dataset("objective", &[("campaigns", &bad)]));
    assert!(kinds.contains(&ProblemKind::BadObjective) && kinds.contains(&ProblemKind::Inconsistent), "{msg}");
    assert!(msg.contains("'sales' is not one of reach, engagement, conversion"), "{msg}");
    assert!(msg.contains("200000 clicks exceed 90000 impressions"), "{msg}");
}

#[test]
fn empty_required_values_are_rejected() {
    let bad = INFLUENCERS.replace("i2,xiaohongshu,beauty,120000", ",xiaohongshu,beauty,");
    let (msg, kinds) = problems(&dataset("empty", &[("influencers", &bad)]));
    assert!(kinds.iter().all(|k| *k == ProblemKind::EmptyValue || *k == ProblemKind::UnknownReference), "{msg}");
    assert!(msg.contains("row 2, column 'influencer_id': empty required value"), "{msg}");
    assert!(msg.contains("row 2, column 'followers': empty required value"), "{msg}");
}

#[test]
fn the_report_shows_the_first_problems_and_counts_all() {
    let mut bad = String::from("brand_id,influencer_id,date,cost,impressions\n");
    for r in 0..50 {
        bad.push_str(&format!("b1,i1,2025-01-{:02},-1,100\n", r % 28 + 1));
    }
    let dir = dataset("many", &[("campaigns", &bad)]);
    let err = dataset::load(&dir, &LoadOptions { lenient: false, max_shown: 5 }).unwrap_err().to_string();
    assert!(err.contains("50 problem(s) found (first 5 shown)"), "{err}");
    assert_eq!(err.matches("campaigns.csv, row").count(), 5, "{err}");
    assert!(err.contains("by kind: negative value: 50"), "{err}");
}

#[test]
fn lenient_mode_quarantines_bad_rows_and_their_dependants() {
    let bad_inf = INFLUENCERS.replace("i3,instagram,tech,2000000", "i3,instagram,tech,lots");
    let dir = dataset("lenient", &[("influencers", &bad_inf)]);
    let (ds, report) = dataset::load(&dir, &LoadOptions { lenient: true, max_shown: 20 }).unwrap();
    assert_eq!(ds.influencers.len(), 2);
    // The campaign and the snapshot of the rejected influencer are quarantined too, with a reason.
    assert_eq!(ds.campaigns.len(), 2);
    assert_eq!(ds.snapshots.len(), 3);
    let rejected: Vec<_> = report.rejected.iter().map(|r| (r.table.name(), r.row)).collect();
    assert_eq!(rejected, vec![("influencers", 3), ("campaigns", 3), ("follower_snapshots", 4)]);
    assert!(report.rejected[1].reasons.contains("'i3' is not in influencers (or its row was rejected)"));
    let path = dir.join("rejected.csv");
    dataset::write_rejected(&report.rejected, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("table,row,id,reasons\ninfluencers,3,i3,followers: wrong type: 'lots' is not a number"),
        "{text}"
    );
}

#[test]
fn lenient_mode_still_fails_on_a_missing_column() {
    let dir = dataset("lenient-fatal", &[("brands", "brand_id\nb1\n")]);
    let err = dataset::load(&dir, &LoadOptions { lenient: true, max_shown: 20 }).unwrap_err().to_string();
    assert!(err.contains("brands.csv, column 'category': missing required column"), "{err}");
}

#[test]
fn parquet_tables_with_typed_columns_load_like_csv() {
    let dir = scratch("parquet");
    let p =
        kolrec::sim::SimParams { brands: 20, influencers: 200, campaigns: Some(300), days: 90, ..Default::default() };
    kolrec::sim::generate(&p, &dir, true).unwrap();
    let (ds, _) = dataset::load(&dir, &LoadOptions::default()).unwrap();
    assert_eq!((ds.brands.len(), ds.influencers.len(), ds.campaigns.len()), (20, 200, 300));
    assert!(
        ds.snapshots.date.windows(2).zip(ds.snapshots.influencer.windows(2)).all(|(d, i)| i[0] < i[1] || d[0] < d[1])
    );
}

/// A typed Parquet date far out of range (2^31 − 1 days: it never finished) is reported with the
/// row, not sized into a calendar.
#[test]
fn a_parquet_date_out_of_range_is_reported() {
    use polars::prelude::*;
    let dir = dataset("parquet-date-far", &[]);
    std::fs::remove_file(dir.join("follower_snapshots.csv")).unwrap();
    let dates = Column::new("date".into(), [20_000i32, i32::MAX]).cast(&DataType::Date).unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("influencer_id".into(), ["i1", "i2"]),
        dates,
        Column::new("followers".into(), [25_000i64, 120_000]),
    ])
    .unwrap();
    kolrec::table::write(&mut df, &dir.join("follower_snapshots.parquet")).unwrap();
    let e = dataset::load(&dir, &LoadOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("row 2, column 'date'") && e.contains("day 2147483647 is outside the dates a table may hold"),
        "{e}"
    );
}
