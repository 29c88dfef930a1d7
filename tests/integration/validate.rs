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
    let err = dataset::load(&dir, &LoadOptions { lenient: false, max_shown: 5, ..LoadOptions::default() })
        .unwrap_err()
        .to_string();
    assert!(err.contains("50 problem(s) found (first 5 shown)"), "{err}");
    assert_eq!(err.matches("campaigns.csv, row").count(), 5, "{err}");
    assert!(err.contains("by kind: negative value: 50"), "{err}");
}

#[test]
fn lenient_mode_quarantines_bad_rows_and_their_dependants() {
    let bad_inf = INFLUENCERS.replace("i3,instagram,tech,2000000", "i3,instagram,tech,lots");
    let dir = dataset("lenient", &[("influencers", &bad_inf)]);
    let (ds, report) = dataset::load(&dir, &LoadOptions { lenient: true, ..LoadOptions::default() }).unwrap();
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
    let err = dataset::load(&dir, &LoadOptions { lenient: true, ..LoadOptions::default() }).unwrap_err().to_string();
    assert!(err.contains("brands.csv, column 'category': missing required column"), "{err}");
}

#[test]
fn parquet_tables_with_typed_columns_load_like_csv() {
    let p =
        kolrec::sim::SimParams { brands: 20, influencers: 200, campaigns: Some(300), days: 90, ..Default::default() };
    let (pq, csv) = (scratch("parquet"), scratch("parquet-as-csv"));
    kolrec::sim::generate(&kolrec::sim::SimParams { format: kolrec::table::Format::Parquet, ..p.clone() }, &pq, true)
        .unwrap();
    kolrec::sim::generate(&kolrec::sim::SimParams { format: kolrec::table::Format::Csv, ..p }, &csv, true).unwrap();
    assert!(pq.join("campaigns.parquet").is_file() && csv.join("campaigns.csv").is_file());
    let (a, _) = dataset::load(&pq, &LoadOptions::default()).unwrap();
    let (b, _) = dataset::load(&csv, &LoadOptions::default()).unwrap();
    assert_eq!((a.brands.len(), a.influencers.len(), a.campaigns.len()), (20, 200, 300));
    assert_same_dataset(&a, &b);
}

/// Field by field, NaN equal to NaN: the same market read from two formats must be the same data.
fn assert_same_dataset(a: &dataset::Dataset, b: &dataset::Dataset) {
    fn same<T: Into<f64> + Copy>(what: &str, x: &[T], y: &[T]) {
        assert_eq!(x.len(), y.len(), "{what}");
        for (i, (&p, &q)) in x.iter().zip(y).enumerate() {
            let (p, q): (f64, f64) = (p.into(), q.into());
            assert!(p == q || (p.is_nan() && q.is_nan()), "{what}[{i}]: {p} vs {q}");
        }
    }
    assert_eq!(a.brands.id, b.brands.id);
    assert_eq!(a.influencers.id, b.influencers.id);
    assert_eq!(a.influencers.platform, b.influencers.platform);
    same("followers", &a.influencers.followers, &b.influencers.followers);
    same("engagement_rate", &a.influencers.engagement_rate, &b.influencers.engagement_rate);
    same("price_per_post", &a.influencers.price_per_post, &b.influencers.price_per_post);
    same("brand audience female", &a.brands.audience.female_share, &b.brands.audience.female_share);
    assert_eq!((&a.campaigns.brand, &a.campaigns.influencer), (&b.campaigns.brand, &b.campaigns.influencer));
    assert_eq!(a.campaigns.date, b.campaigns.date);
    same("cost", &a.campaigns.cost, &b.campaigns.cost);
    same("clicks", &a.campaigns.clicks, &b.campaigns.clicks);
    same("conversions", &a.campaigns.conversions, &b.campaigns.conversions);
    assert_eq!((&a.snapshots.influencer, &a.snapshots.date), (&b.snapshots.influencer, &b.snapshots.date));
    same("snapshot followers", &a.snapshots.followers, &b.snapshots.followers);
}

/// Every integer width and decimal money load like their CSV text; an extra column of a type
/// kolrec does not read (a list) is left alone, and a used one is an error naming table, column
/// and type instead of a panic inside the reader.
#[test]
fn parquet_integer_widths_and_decimals_load_and_unreadable_types_are_named() {
    use polars::prelude::*;
    let dir = dataset("parquet-types", &[]);
    let (csv, _) = dataset::load(&dir, &LoadOptions::default()).unwrap();
    let inf = kolrec::table::read(&dir.join("influencers.csv")).unwrap().frame;
    let text = |name: &str| -> Vec<Option<String>> {
        inf.column(name).unwrap().str().unwrap().iter().map(|v| v.map(String::from)).collect()
    };
    let int = |name: &str| -> Vec<Option<i64>> {
        text(name).iter().map(|v| v.as_deref().filter(|s| !s.is_empty()).map(|s| s.parse().unwrap())).collect()
    };
    let tags = |n: usize| {
        let mut b = ListPrimitiveChunkedBuilder::<Int64Type>::new("tags".into(), n, n, DataType::Int64);
        for k in 0..n {
            b.append_slice(&[k as i64, 7]);
        }
        b.finish().into_series().into_column()
    };
    let n = inf.height();
    let build = |followers: Column| {
        let mut cols: Vec<Column> = inf
            .columns()
            .iter()
            .filter(|c| !["followers", "price_per_post"].contains(&c.name().as_str()))
            .cloned()
            .collect();
        cols.push(followers);
        cols.push(
            Column::new("price_per_post".into(), text("price_per_post"))
                .cast(&DataType::Float64)
                .unwrap()
                .cast(&DataType::Decimal(12, 3))
                .unwrap(),
        );
        cols.push(tags(n));
        DataFrame::new_infer_height(cols).unwrap()
    };
    std::fs::remove_file(dir.join("influencers.csv")).unwrap();
    for width in [DataType::Int16, DataType::UInt32, DataType::Int8, DataType::UInt16] {
        let small: Vec<Option<i64>> = int("followers").iter().map(|v| v.map(|f| f % 127)).collect();
        let followers = Column::new("followers".into(), small.clone()).cast(&width).unwrap();
        let mut df = build(followers);
        kolrec::table::write(&mut df, &dir.join("influencers.parquet")).unwrap();
        let (pq, _) = dataset::load(&dir, &LoadOptions::default()).unwrap_or_else(|e| panic!("{width:?}: {e}"));
        let want: Vec<f64> = small.iter().map(|v| v.unwrap() as f64).collect();
        assert_eq!(pq.influencers.followers, want, "{width:?}");
        assert_eq!(pq.influencers.price_per_post, csv.influencers.price_per_post, "decimal");
        assert_eq!(pq.influencers.id, csv.influencers.id);
    }
    let mut df = build(tags(n).with_name("followers".into())).drop("tags").unwrap();
    kolrec::table::write(&mut df, &dir.join("influencers.parquet")).unwrap();
    let (msg, kinds) = problems(&dir);
    assert_eq!(kinds, vec![ProblemKind::WrongType], "{msg}");
    assert!(
        msg.contains("influencers.parquet")
            && msg.contains("column 'followers' is of Parquet type")
            && msg.contains("List"),
        "{msg}"
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

/// Broken quoting and values beyond the header are reported as file, line and what is wrong, in
/// one short line; a value past the header is never cut silently (a second cost of −999).
#[test]
fn malformed_csv_is_reported_by_file_and_line_and_extra_values_are_not_cut() {
    let mut runaway = String::from(CAMPAIGNS);
    runaway.push_str("c3,b1,\"i1,2025-03-01,10,100,1,,reach\n");
    for k in 0..50_000 {
        runaway.push_str(&format!("c{k},b1,i1,2025-03-01,10,100,1,,reach\n"));
    }
    let stray = CAMPAIGNS.replace("c2,b2,i3", "c2,\"b2\"x,i3");
    let extra = CAMPAIGNS.replace("8,conversion\n", "8,conversion,-999\n");
    for (name, body, line, what) in [
        ("runaway", runaway.as_str(), 5, "a quote opened in value 3 never closes"),
        ("stray", stray.as_str(), 4, "text after the closing quote of value 2 ('\"b2\"x,i3,2025-02-01"),
        ("extra", extra.as_str(), 3, "10 values where the header has 9 columns (value 10 is '-999')"),
    ] {
        let dir = dataset(&format!("csv-{name}"), &[("campaigns", body)]);
        let (msg, kinds) = problems(&dir);
        assert_eq!(kinds, vec![ProblemKind::Unreadable], "{name}: {msg}");
        assert!(msg.contains(&format!("campaigns.csv, line {line}: {what}")), "{name}: {msg}");
        assert!(msg.len() < 600, "{name}: a {}-byte message", msg.len());
    }
    // A quote inside an unquoted value is read as a character (the reader accepts it), so the
    // value is checked like any other.
    let dir = dataset("csv-inner-quote", &[("campaigns", &CAMPAIGNS.replace("c2,b2,i3", "c2,b\"2,i3"))]);
    let (msg, kinds) = problems(&dir);
    assert_eq!(kinds, vec![ProblemKind::UnknownReference], "{msg}");
    assert!(msg.contains("row 3, column 'brand_id'") && msg.contains("'b\"2' is not in brands"), "{msg}");
}

/// A column given twice is fatal, whether the names match exactly (the CSV reader renames the
/// second and would read on: a second `cost` of −999 validated) or only up to case and spaces.
#[test]
fn a_column_given_twice_is_fatal_named_and_never_read() {
    let exact = CAMPAIGNS
        .replacen("objective\n", "objective,cost\n", 1)
        .replace("conversion\n", "conversion,-999\n")
        .replace("reach\n", "reach,-999\n");
    let cased = CAMPAIGNS
        .replacen("objective\n", "objective, Cost\n", 1)
        .replace("conversion\n", "conversion,1\n")
        .replace("reach\n", "reach,1\n");
    for (name, body) in [("exact", exact), ("cased", cased)] {
        let dir = dataset(&format!("dup-column-{name}"), &[("campaigns", &body)]);
        let (msg, kinds) = problems(&dir);
        assert_eq!(kinds, vec![ProblemKind::DuplicateColumn], "{name}: {msg}");
        assert!(
            msg.contains("campaigns.csv, column 'cost': duplicate column: the column appears more than once"),
            "{name}: {msg}"
        );
        let o = kolrec(&["validate", "--data", dir.to_str().unwrap(), "--lenient"]);
        assert_eq!(o.status.code(), Some(2), "{name}: lenient mode must not read past a duplicate column");
    }
}

/// Loads `dir` whole and in batches of `batch`; both must give the same tables, problems and
/// rejected rows. Problems are compared as sets: batches report row by row within each batch.
fn same_in_batches(dir: &std::path::Path, batch: kolrec::table::Batch) {
    let dump = |ds: &dataset::Dataset| format!("{ds:?}");
    let sorted = |r: &kolrec::report::ValidationReport| {
        let mut v: Vec<String> = r.problems.iter().map(|p| format!("{p:?}")).collect();
        v.sort();
        v
    };
    for lenient in [false, true] {
        let whole = dataset::load(dir, &LoadOptions { lenient, max_shown: 1000, ..LoadOptions::default() });
        let parts = dataset::load(dir, &LoadOptions { lenient, max_shown: 1000, batch });
        match (whole, parts) {
            (Ok((a, ra)), Ok((b, rb))) => {
                assert_eq!(dump(&a), dump(&b), "lenient {lenient}: the tables differ");
                assert_eq!(sorted(&ra.problems), sorted(&rb.problems), "lenient {lenient}");
                assert_eq!(ra.rejected, rb.rejected, "lenient {lenient}");
                let rows = |r: &dataset::LoadReport| {
                    r.tables.iter().map(|t| (t.1.rows_read, t.1.rows_kept)).collect::<Vec<_>>()
                };
                assert_eq!(rows(&ra), rows(&rb));
            }
            (Err(DataError::Invalid { report: a, .. }), Err(DataError::Invalid { report: b, .. })) => {
                assert!(a.total > 0);
                assert_eq!(sorted(&a), sorted(&b), "lenient {lenient}");
            }
            (a, b) => panic!("lenient {lenient}: whole {:?} but in batches {:?}", a.err(), b.err()),
        }
    }
}

/// Replace column `column` of data line `line` (1 = the first row after the header).
fn set_cell(path: &std::path::Path, line: usize, column: &str, value: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines[0].split(',').position(|h| h == column).unwrap();
    let mut cells: Vec<String> = lines[line].split(',').map(String::from).collect();
    cells[at] = value.into();
    lines[line] = cells.join(",");
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// A market small enough to plant problems in by hand, large enough for many tiny batches.
fn small_csv_market() -> kolrec::sim::SimParams {
    kolrec::sim::SimParams {
        brands: 30,
        influencers: 300,
        days: 60,
        campaigns: Some(600),
        format: kolrec::table::Format::Csv,
        ..Default::default()
    }
}

#[test]
fn tables_read_in_tiny_batches_load_and_report_exactly_as_whole_files() {
    let p = small_csv_market();
    let tiny = kolrec::table::Batch { csv_bytes: 300, parquet_rows: 37 };

    // Clean, typed Parquet as the simulator writes it: row groups cut into slices of 37 rows.
    let typed = scratch("batches-parquet");
    kolrec::sim::generate(
        &kolrec::sim::SimParams { format: kolrec::table::Format::Parquet, ..p.clone() },
        &typed,
        true,
    )
    .unwrap();
    same_in_batches(&typed, tiny);
    let (ds, _) = dataset::load(&typed, &LoadOptions { batch: tiny, ..LoadOptions::default() }).unwrap();
    assert_eq!((ds.influencers.len(), ds.campaigns.len()), (300, 600));

    // CSV with a planted problem in every table, one far into a file (many batches in), and a
    // quoted value holding the delimiter and a line break, which a batch must not cut.
    let dir = scratch("batches-csv");
    kolrec::sim::generate(&p, &dir, true).unwrap();
    set_cell(&dir.join("campaigns.csv"), 7, "cost", "-5");
    set_cell(&dir.join("campaigns.csv"), 450, "clicks", "99999999");
    set_cell(&dir.join("campaigns.csv"), 451, "brand_id", "nobody");
    set_cell(&dir.join("influencers.csv"), 250, "influencer_id", "kol0000010");
    set_cell(&dir.join("follower_snapshots.csv"), 4000, "date", "2025-13-01");
    set_cell(&dir.join("brands.csv"), 20, "name", "\"Acme, the\nbrand\"");
    let snaps = std::fs::read_to_string(dir.join("follower_snapshots.csv")).unwrap();
    let repeat = snaps.lines().nth(3000).unwrap().to_string();
    std::fs::write(dir.join("follower_snapshots.csv"), format!("{snaps}{repeat}\n")).unwrap();
    same_in_batches(&dir, tiny);
    let (ds, report) =
        dataset::load(&dir, &LoadOptions { lenient: true, batch: tiny, ..LoadOptions::default() }).unwrap();
    assert_eq!(ds.brands.name[19], "Acme, the\nbrand");
    let rejected: Vec<(usize, &str)> = report.rejected.iter().map(|r| (r.row, r.id.as_str())).collect();
    for planted in [(250, "kol0000010"), (7, ""), (450, ""), (451, "nobody/"), (4000, ""), (4562, "")] {
        assert!(
            rejected.iter().any(|r| r.0 == planted.0 && r.1.starts_with(planted.1)),
            "row {} not rejected as {:?}: {rejected:?}",
            planted.0,
            planted.1
        );
    }

    // The same CSV tables as Parquet files of text columns.
    let text = scratch("batches-parquet-text");
    for t in ["brands", "influencers", "campaigns", "follower_snapshots"] {
        let mut frame = kolrec::table::read(&dir.join(format!("{t}.csv"))).unwrap().frame;
        kolrec::table::write(&mut frame, &text.join(format!("{t}.parquet"))).unwrap();
    }
    same_in_batches(&text, tiny);
}

#[test]
fn a_csv_fault_deep_in_a_file_read_in_batches_names_the_files_line() {
    let dir = scratch("batches-fault");
    let p = small_csv_market();
    kolrec::sim::generate(&p, &dir, true).unwrap();
    let path = dir.join("follower_snapshots.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&path).unwrap().lines().map(String::from).collect();
    lines[3000].push_str(",extra");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    for batch in [kolrec::table::Batch::default(), kolrec::table::Batch { csv_bytes: 300, parquet_rows: 37 }] {
        let err = dataset::load(&dir, &LoadOptions { batch, ..LoadOptions::default() }).unwrap_err().to_string();
        assert!(err.contains("follower_snapshots.csv, line 3001:") && err.contains("'extra'"), "{batch:?}: {err}");
    }
}
