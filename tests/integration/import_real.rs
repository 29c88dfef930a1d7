//! The importer on every real influencer list under ../shared/data/real (read there, never copied).

use std::path::Path;

use kolrec::dataset;
use kolrec::import::{ImportConfig, import};
use kolrec::panels::smi_platform as platform_of;

use crate::common::*;

fn import_one(path: &Path, platform: &str) -> (kolrec::import::ImportReport, kolrec::dataset::Influencers) {
    let out = scratch("import").join("influencers.csv");
    let cfg = ImportConfig {
        input: path.to_path_buf(),
        platform: Some(platform.into()),
        out: out.clone(),
        ..Default::default()
    };
    let report = import(&cfg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // What the importer writes must pass the contract's own validation.
    let inf = dataset::load_influencers(&out).unwrap_or_else(|e| panic!("{}: output invalid: {e}", path.display()));
    (report, inf)
}

#[test]
fn all_fifteen_smi2022_lists_import_and_validate() {
    let dir = real_data().join("smi2022/raw");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 15);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let platform = platform_of(&name);
        let (rep, inf) = import_one(f, platform);
        assert!(rep.rows_read >= 1000, "{name}: {} rows", rep.rows_read);
        assert_eq!(
            rep.rows_written + rep.rejected.len() + rep.empty_rows,
            rep.rows_read,
            "{name}: rows unaccounted for"
        );
        assert!(
            rep.rows_written as f64 > 0.9 * rep.rows_read as f64,
            "{name}: only {} of {} rows",
            rep.rows_written,
            rep.rows_read
        );
        assert_eq!(inf.len(), rep.rows_written);
        assert!(inf.followers.iter().all(|f| *f >= 1000.0), "{name}: follower counts were not scaled");
        assert!(inf.platform.iter().all(|p| p == platform));
        // Every cell of a recognised column is read: none left unparsed, and the report says so.
        assert_eq!(rep.unparseable_total(), 0, "{name}: {rep}");
        assert!(rep.to_string().contains("cells not parseable: 0 {}"), "{name}: {rep}");
        assert!(
            rep.rejected.iter().all(|(_, why)| why.starts_with("duplicate:") || why.starts_with("no ")),
            "{name}: {rep}"
        );
        // Famous accounts land under their handle, not their display name.
        let ids = inf.index();
        let star = match platform {
            "youtube" => "youtube:tseries",
            "tiktok" => "tiktok:khaby.lame",
            _ => "instagram:cristiano",
        };
        if platform != "tiktok" || !name.contains("nov") && !name.contains("DEC") {
            assert!(ids.contains_key(star), "{name}: {star} missing (handle column chosen: {})", rep.handle_column);
        }
    }
}

#[test]
fn numbers_are_parsed_to_their_real_values() {
    let (_, inf) = import_one(&real_data().join("smi2022/raw/social media influencers - instagram.csv"), "instagram");
    let i = inf.index()["instagram:433"] as usize;
    assert_eq!(inf.followers[i], 48_500_000.0);
    // Eng. avg 637K over 48.5M followers.
    assert!((f64::from(inf.engagement_rate[i]) - 637_000.0 / 48_500_000.0).abs() < 1e-6);
    assert_eq!(inf.category[i], "sports with a ball");
    assert_eq!(inf.country[i], "Spain");
}

#[test]
fn global_youtube_stats_decodes_latin1_and_reports_missing_cells() {
    let path = real_data().join("global_youtube_stats_2023/Global YouTube Statistics.csv");
    let (rep, inf) = import_one(&path, "youtube");
    assert_eq!(rep.rows_read, 995);
    assert!(rep.repaired_bytes > 0, "the file has Latin-1 bytes");
    assert!(inf.handle.iter().any(|h| h.contains("ýýý Kids Diana Show")), "0xFD must decode to ý");
    assert_eq!(rep.missing_cells.get("followers_gained_30d"), Some(&337), "337 rows say nan");
    let t = inf.index()["youtube:t-series"] as usize;
    assert_eq!(inf.followers[t], 245_000_000.0);
}
