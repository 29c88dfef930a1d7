//! The importer on 23 list layouts as marketing tools and public datasets export them (written
//! for these tests under tests/fixtures/layouts): every one imports with no flags, its output
//! passes the contract, and the fields land where a person reading the list would put them.

use std::path::{Path, PathBuf};

use kolrec::import::{ImportConfig, ImportReport, import};

use crate::common::*;

fn layouts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layouts")
}

fn run(file: &str) -> (ImportReport, kolrec::dataset::Influencers) {
    let out = scratch("layout").join("influencers.csv");
    let cfg = ImportConfig { input: layouts().join(file), out: out.clone(), ..Default::default() };
    let rep = import(&cfg).unwrap_or_else(|e| panic!("{file}: {e}"));
    let inf = kolrec::dataset::load_influencers(&out).unwrap_or_else(|e| panic!("{file}: output invalid: {e}"));
    (rep, inf)
}

/// What row 1 must become. `None` fields must stay empty (NaN or "").
struct Row1 {
    file: &'static str,
    id: &'static str,
    followers: f64,
    name: &'static str,
    country: &'static str,
    engagement_rate: Option<f32>,
    avg_views: Option<f64>,
    price: Option<f64>,
}

const R: Row1 = Row1 {
    file: "",
    id: "",
    followers: 0.0,
    name: "",
    country: "",
    engagement_rate: None,
    avg_views: None,
    price: None,
};

fn expected() -> Vec<Row1> {
    vec![
        Row1 {
            file: "modash_instagram.csv",
            id: "instagram:emma.styles",
            followers: 1.2e6,
            name: "Emma Styles",
            country: "United States",
            engagement_rate: Some(0.0345),
            avg_views: Some(210e3),
            ..R
        },
        // `Country` is the ranking's scope (Worldwide); the audience country beside it is used.
        Row1 {
            file: "hypeauditor_tiktok_top.csv",
            id: "tiktok:khaby.lame",
            followers: 161.3e6,
            name: "Khabane lame",
            country: "Italy",
            engagement_rate: Some(((1.9e6 + 14.2e3 + 11.8e3) / 161.3e6) as f32),
            avg_views: Some(21.6e6),
            ..R
        },
        // Platform-prefixed headers; a rate in percent without the sign.
        Row1 {
            file: "upfluence_export.csv",
            id: "instagram:sara.lindqvist",
            followers: 48_200.0,
            name: "Sara Lindqvist",
            country: "Sweden",
            engagement_rate: Some(0.0531),
            ..R
        },
        // 星图: 万/亿 counts, a region that is not a country, a price header with a duration.
        Row1 {
            file: "xingtu_douyin_export.csv",
            id: "douyin:dy_meizhuang01",
            followers: 1_234_000.0,
            name: "美妆小课堂",
            engagement_rate: Some(0.045),
            avg_views: Some(486_000.0),
            price: Some(25_000.0),
            ..R
        },
        // 蒲公英: median reads and interactions.
        Row1 {
            file: "pugongying_xiaohongshu.csv",
            id: "xiaohongshu:xhs_hufu001",
            followers: 352_000.0,
            name: "护肤研究所",
            engagement_rate: Some((3568.0 / 352_000.0) as f32),
            avg_views: Some(51_000.0),
            price: Some(12_000.0),
            ..R
        },
        // Kaggle: a 60-day engagement rate in %, lower-case suffixes, the platform from the file name.
        Row1 {
            file: "kaggle_top_insta_influencers.csv",
            id: "instagram:cristiano",
            followers: 475.8e6,
            country: "Spain",
            engagement_rate: Some(0.0139),
            ..R
        },
        Row1 {
            file: "kaggle_global_youtube_statistics.csv",
            id: "youtube:t-series",
            followers: 245e6,
            name: "T-Series",
            country: "India",
            ..R
        },
        Row1 {
            file: "kaggle_tiktok_top.csv",
            id: "tiktok:jypestraykids",
            followers: 13.8e6,
            name: "Stray Kids",
            engagement_rate: Some(((2.3e6 + 50.2e3 + 18.3e3) / 13.8e6) as f32),
            avg_views: Some(6.4e6),
            ..R
        },
        // A streaming list: average viewers are the views; peak viewers and gains are not.
        Row1 {
            file: "twitch_top_streamers.csv",
            id: "twitch:xqcow",
            followers: 3_246_298.0,
            avg_views: Some(27_716.0),
            ..R
        },
        Row1 { file: "socialblade_top_youtube.csv", id: "youtube:tseries", followers: 245e6, ..R },
        // Price ranges read as their midpoints; the handle from the channel link.
        Row1 {
            file: "noxinfluencer_youtube.csv",
            id: "youtube:dudeperfect",
            followers: 60.2e6,
            name: "Dude Perfect",
            country: "US",
            engagement_rate: Some(0.032),
            avg_views: Some(12.1e6),
            price: Some(98_700.0),
        },
        // Several platforms' columns: the first platform's pair, the rest reported.
        Row1 {
            file: "grin_creators.csv",
            id: "instagram:emma.styles",
            followers: 1.2e6,
            name: "Emma",
            country: "US",
            ..R
        },
        // A platform column per row, follower counts under `Reach`, a rate in `Engagement %`.
        Row1 {
            file: "creatoriq_roster.csv",
            id: "instagram:emma.styles",
            followers: 1.2e6,
            name: "Emma Styles",
            country: "United States",
            engagement_rate: Some(0.0345),
            ..R
        },
        // The handles sit under a header named after the platform.
        Row1 {
            file: "heepsy_search.csv",
            id: "instagram:sara.lindqvist",
            followers: 48_200.0,
            name: "Sara Lindqvist",
            country: "Sweden",
            engagement_rate: Some(0.0531),
            price: Some(350.0),
            ..R
        },
        Row1 {
            file: "feigua_douyin_rank.csv",
            id: "douyin:xiaoyangge",
            followers: 1.1e8,
            name: "疯狂小杨哥",
            engagement_rate: Some((856_000.0 / 1.1e8) as f32),
            ..R
        },
        Row1 {
            file: "chanmama_douyin_sales.csv",
            id: "douyin:dy_meizhuang01",
            followers: 1_234_000.0,
            name: "美妆小课堂",
            ..R
        },
        Row1 { file: "kuaishou_creators.csv", id: "kuaishou:ks_xinba818", followers: 9.8e7, name: "辛巴818", ..R },
        Row1 { file: "bilibili_up.csv", id: "bilibili:546195", followers: 1.95e7, name: "老番茄", ..R },
        Row1 { file: "weibo_kol.csv", id: "weibo:papi酱", followers: 3.29e7, ..R },
        Row1 {
            file: "youtube_channels_with_links.csv",
            id: "youtube:kurzgesagt",
            followers: 22.1e6,
            name: "Kurzgesagt",
            country: "DE",
            avg_views: Some(14.1e6),
            ..R
        },
        Row1 {
            file: "instagram_profiles_links_only.csv",
            id: "instagram:cristiano",
            followers: 628e6,
            name: "Cristiano Ronaldo",
            engagement_rate: Some(0.014),
            ..R
        },
        Row1 {
            file: "cn_agency_mixed_platforms.csv",
            id: "douyin:小杨哥",
            followers: 1.1e8,
            price: Some(800_000.0),
            ..R
        },
        Row1 {
            file: "tiktok_creator_marketplace.csv",
            id: "tiktok:glowwithjess",
            followers: 412_500.0,
            country: "US",
            engagement_rate: Some(0.082),
            avg_views: Some(96_100.0),
            ..R
        },
    ]
}

#[test]
fn every_layout_imports_with_no_flags_and_row_one_lands_where_a_reader_would_put_it() {
    let cases = expected();
    let mut files: Vec<String> =
        std::fs::read_dir(layouts()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    let mut listed: Vec<String> = cases.iter().map(|c| c.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every fixture has its expectation");
    assert!(cases.len() >= 20);
    for c in &cases {
        let (rep, inf) = run(c.file);
        let f = c.file;
        assert!(rep.rows_read >= 5 && rep.rows_written == rep.rows_read, "{f}: {rep}");
        assert_eq!(rep.unparseable_total(), 0, "{f}: {rep}");
        assert_eq!(inf.id[0], c.id, "{f}: {rep}");
        assert!((inf.followers[0] - c.followers).abs() < 1e-6 * c.followers, "{f}: {} followers", inf.followers[0]);
        assert_eq!(inf.country[0], c.country, "{f}: {rep}");
        let close = |got: f64, want: Option<f64>, what: &str| match want {
            Some(w) => assert!((got - w).abs() <= 1e-5 * w.abs().max(1e-3), "{f}: {what} {got}, want {w}\n{rep}"),
            None => assert!(got.is_nan(), "{f}: {what} {got}, want empty\n{rep}"),
        };
        close(f64::from(inf.engagement_rate[0]), c.engagement_rate.map(f64::from), "engagement_rate");
        close(inf.avg_views[0], c.avg_views, "avg_views");
        close(inf.price_per_post[0], c.price, "price_per_post");
        let names = name_column(&rep, c.file);
        assert_eq!(names.first().map(String::as_str).unwrap_or(""), c.name, "{f}: {rep}");
    }
}

/// The `name` the importer wrote for each row (not part of the validated table's struct).
fn name_column(rep: &ImportReport, file: &str) -> Vec<String> {
    let frame = kolrec::table::read(&rep.out).unwrap_or_else(|e| panic!("{file}: {e}")).frame;
    let col = frame.column("name").unwrap().str().unwrap().clone();
    col.iter().map(|v| v.unwrap_or("").to_string()).collect()
}

/// What the importer guessed is said with its evidence, and what it refused with its reason.
#[test]
fn every_guess_and_refusal_is_reported_with_its_evidence() {
    let text = |file: &str| run(file).0.to_string();
    let hype = text("hypeauditor_tiktok_top.csv");
    assert!(
        hype.contains("'Country' not used as country: values are a ranking's scope, not countries, e.g. 'Worldwide'"),
        "{hype}"
    );
    assert!(hype.contains("\"Audience country\" → country: header; 100% country names or codes"), "{hype}");
    assert!(hype.contains("'#' skipped: a ranking's position"), "{hype}");
    assert!(hype.contains("platform: tiktok (header 'Tiktoker' says tiktok)"), "{hype}");
    let reach = text("creatoriq_roster.csv");
    assert!(
        reach.contains("\"Reach\" → followers: no header names followers; guessed from the values: 100% counts"),
        "{reach}"
    );
    assert!(reach.contains("platform: per row (column 'Network': 5 of 5 values name a platform)"), "{reach}");
    let heepsy = text("heepsy_search.csv");
    assert!(
        heepsy.contains(
            "\"Instagram\" → handle: no header names it; guessed from the values: 100% distinct, 100% handle-like"
        ),
        "{heepsy}"
    );
    let kaggle = text("kaggle_top_insta_influencers.csv");
    assert!(kaggle.contains("\"60_day_eng_rate\" → engagement_rate: header mentions it"), "{kaggle}");
    assert!(
        kaggle.contains("platform: instagram (the file name 'kaggle_top_insta_influencers.csv' says instagram)"),
        "{kaggle}"
    );
    let nox = text("noxinfluencer_youtube.csv");
    assert!(nox.contains("5 price_per_post ranges (\"$1K - $2K\") read as their midpoints"), "{nox}");
    assert!(
        nox.contains(
            "\"Channel link\" → handle: no handle column; the last part of each profile link, e.g. '@DudePerfect'"
        ),
        "{nox}"
    );
    let xingtu = text("xingtu_douyin_export.csv");
    assert!(xingtu.contains("'所在地区' not used as country: values are not countries (0% are)"), "{xingtu}");
    let grin = text("grin_creators.csv");
    assert!(grin.contains("'TikTok Followers' not used as followers: 'Instagram Followers' was preferred"), "{grin}");
    let twitch = text("twitch_top_streamers.csv");
    assert!(twitch.contains("\"Average viewers\" → avg_views: header mentions it"), "{twitch}");
    assert!(!twitch.contains("\"Peak viewers\" →"), "{twitch}");
}

/// A `--map` overrides every guess, and a list whose columns nothing fits is refused naming them.
#[test]
fn a_map_overrides_the_guesses_and_a_list_nothing_fits_is_refused() {
    let out = scratch("layout-map").join("influencers.csv");
    let cfg = ImportConfig {
        input: layouts().join("twitch_top_streamers.csv"),
        out: out.clone(),
        map: vec!["Peak viewers=avg_views".parse().unwrap(), "Language=category".parse().unwrap()],
        ..Default::default()
    };
    let rep = import(&cfg).unwrap();
    let inf = kolrec::dataset::load_influencers(&out).unwrap();
    assert_eq!((inf.avg_views[0], inf.category[0].as_str()), (222_720.0, "english"), "{rep}");
    assert!(rep.to_string().contains("\"Peak viewers\" → avg_views: --map"), "{rep}");
    let dir = scratch("layout-nothing");
    let input = dir.join("list.csv");
    std::fs::write(&input, "Notes,Status\nlovely person,done\ncall back,open\n").unwrap();
    let cfg = ImportConfig { input, out: dir.join("o.csv"), platform: Some("tiktok".into()), ..Default::default() };
    let e = import(&cfg).unwrap_err().to_string();
    assert!(e.contains("no followers column") && e.contains("\"Notes\", \"Status\""), "{e}");
}
