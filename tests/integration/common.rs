//! Shared helpers: scratch directories, a small valid dataset written for the tests, the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty scratch directory unique to this test process and call.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kolrec-it-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub const BRANDS: &str = "\
brand_id,category,name,country,audience_female_share,audience_age_13_17,audience_age_18_24,audience_age_25_34,audience_age_35_44,audience_age_45_plus,budget
b1,beauty,Glow,CN,0.8,0.1,0.4,0.3,0.1,0.1,100000
b2,tech,Bolt,US,0.3,,,,,,
";

pub const INFLUENCERS: &str = "\
influencer_id,platform,category,followers,handle,engagement_rate,price_per_post,sponsored_share
i1,douyin,beauty,25000,@glowup,0.05,800,0.2
i2,xiaohongshu,beauty,120000,,0.03,5000,
i3,instagram,tech,2000000,techguy,0.01,40000,0.4
";

pub const CAMPAIGNS: &str = "\
campaign_id,brand_id,influencer_id,date,cost,impressions,clicks,conversions,objective
c1,b1,i1,2025-01-05,800,30000,120,6,conversion
c1,b1,i2,2025-01-06,5000,90000,200,8,conversion
c2,b2,i3,2025-02-01,40000,800000,900,,reach
";

pub const SNAPSHOTS: &str = "\
influencer_id,date,followers,views,likes,posts
i1,2025-01-08,25000,52000,2000,3
i1,2025-01-01,24000,50000,1900,2
i2,2025-01-01,119000,,,
i3,2025-01-01,1990000,3000000,40000,4
";

/// Write the four tables (CSV) into a new scratch directory, replacing any with `overrides`.
pub fn dataset(name: &str, overrides: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    for (table, body) in
        [("brands", BRANDS), ("influencers", INFLUENCERS), ("campaigns", CAMPAIGNS), ("follower_snapshots", SNAPSHOTS)]
    {
        let body = overrides.iter().find(|o| o.0 == table).map(|o| o.1).unwrap_or(body);
        std::fs::write(dir.join(format!("{table}.csv")), body).unwrap();
    }
    dir
}

pub fn kolrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kolrec")).args(args).output().expect("running kolrec")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `../shared/data/real` beside the checkout (or `$KOLREC_REAL_DATA`). CI has it; a missing folder
/// fails the test rather than skipping it.
pub fn real_data() -> PathBuf {
    let p = std::env::var_os("KOLREC_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real"));
    assert!(p.is_dir(), "real data not found at {} (set KOLREC_REAL_DATA)", p.display());
    p
}

/// Generate a simulated market and train on it: (data, model, train's stdout).
pub fn trained_market(name: &str, p: &kolrec::sim::SimParams, train: &[&str]) -> (PathBuf, PathBuf, String) {
    let data = scratch(&format!("{name}-data"));
    kolrec::sim::generate(p, &data, true).unwrap();
    let model = scratch(&format!("{name}-model"));
    let (d, m) = (data.to_str().unwrap(), model.to_str().unwrap());
    let mut args = vec!["train", "--data", d, "--out", m];
    args.extend_from_slice(train);
    let o = kolrec(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (data, model, stdout(&o))
}

/// A simulated market of 40 brands × 600 creators (150 days), trained once with an index and a
/// growth model: (data, model).
pub fn served_market() -> &'static (PathBuf, PathBuf) {
    static T: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let p = kolrec::sim::SimParams {
            brands: 40,
            influencers: 600,
            campaigns: Some(1500),
            days: 150,
            ..Default::default()
        };
        let (data, model, _) = trained_market("served", &p, &["--factors", "8", "--iterations", "3"]);
        (data, model)
    })
}

/// Copy a directory tree (a model or a dataset) to alter the copy.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
