//! Property-based fuzzing of everything that reads outside bytes: cell parsers, the CSV reader and
//! its lint, the dataset loader on mutated tables, the importer on random lists, model files with
//! altered payloads behind valid checksums, and the server's request parser. The promise under
//! test is the one kolrec makes: bad input is an error with a message, never a panic or a hang,
//! and what the importer writes passes the contract. Each property runs a fixed number of cases
//! (`KOLREC_FUZZ_CASES`, default 64) so that CI stays bounded; raise it, or change
//! `KOLREC_FUZZ_SEED`, to search longer or elsewhere.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::*;

/// Seeded (`KOLREC_FUZZ_SEED`, default 0) so that a run is reproducible: a failure in CI fails
/// the same way on a laptop, and the counters below see the same cases every time.
fn runner() -> TestRunner {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = var("KOLREC_FUZZ_CASES").unwrap_or(64) as u32;
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&var("KOLREC_FUZZ_SEED").unwrap_or(0).to_le_bytes());
    let rng = proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed);
    TestRunner::new_with_rng(Config { cases, failure_persistence: None, ..Config::default() }, rng)
}

/// Text that looks like cells of exported lists: numbers with separators, suffixes and signs,
/// percents, dates, quotes, Chinese units, and arbitrary characters.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9]{0,16}([.,][0-9]{0,6})?([eE][-+]?[0-9]{1,4})?",
        "[0-9]{1,4}(\\.[0-9])?[kKmMbBwW万亿千]?%?",
        "\\$?[0-9,]{1,12}( - \\$?[0-9,]{1,12})?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9:]{0,8}| junk)?",
        "\"?[a-zA-Z@._ -]{0,12}\"?",
        "(N/A|nan|-|—|null|inf|NaN%|1e308|-0|9999999999999999999999)",
        any::<String>(),
    ]
}

#[test]
fn cell_parsers_never_panic_and_give_finite_values() {
    runner()
        .run(&cell(), |s| {
            if let kolrec::parse::Cell::Value(x) = kolrec::parse::messy_number(&s) {
                prop_assert!(x.is_finite(), "{s:?} → {x}");
            }
            for pct in [false, true] {
                if let kolrec::parse::Cell::Value(x) = kolrec::parse::messy_share(&s, pct) {
                    prop_assert!(x.is_finite(), "{s:?} → {x}");
                }
            }
            if let Some(d) = kolrec::parse::iso_date(&s) {
                prop_assert!(kolrec::parse::format_date(d).len() >= 10);
            }
            let _ = kolrec::parse::strict_number(&s);
            Ok(())
        })
        .unwrap();
}

/// Lines of comma-separated cells with stray quotes, doubled quotes, CRs and ragged lengths.
fn csv_text() -> impl Strategy<Value = String> {
    let field =
        prop_oneof![cell(), Just("\"".to_string()), Just("\"a,b\"".to_string()), Just("\"x\"\"y\"".to_string())];
    let line = prop::collection::vec(field, 0..7).prop_map(|f| f.join(","));
    (prop::collection::vec(line, 0..12), any::<bool>())
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

#[test]
fn the_csv_reader_and_its_lint_never_panic_and_a_fault_names_a_line_of_the_text() {
    runner()
        .run(&csv_text(), |text| {
            let lines = text.lines().count().max(1);
            match kolrec::table::read_csv_text(text.clone()) {
                Ok(frame) => prop_assert!(frame.height() <= lines),
                Err(kolrec::table::CsvError::Fault(f)) => {
                    prop_assert!((1..=lines).contains(&f.line), "line {} of {lines}: {}", f.line, f.reason);
                    prop_assert!(f.reason.len() < 300, "{}", f.reason);
                }
                Err(kolrec::table::CsvError::Reader(e)) => prop_assert!(e.to_string().len() < 400, "{e}"),
            }
            Ok(())
        })
        .unwrap();
}

/// One edit of a table's text: replace, insert or delete a few bytes at a position.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, String),
    Insert(usize, String),
    Delete(usize, usize),
}

fn edits() -> impl Strategy<Value = (usize, Vec<Edit>)> {
    let edit = prop_oneof![
        (any::<usize>(), cell()).prop_map(|(at, s)| Edit::Replace(at, s)),
        (any::<usize>(), prop_oneof![cell(), Just(",".into()), Just("\n".into()), Just("\"".into())])
            .prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 1usize..8).prop_map(|(at, n)| Edit::Delete(at, n)),
    ];
    (0usize..4, prop::collection::vec(edit, 1..4))
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut t: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |k: usize, t: &Vec<char>| if t.is_empty() { 0 } else { k % t.len() };
        match e {
            Edit::Replace(k, s) => {
                let i = at(*k, &t);
                let end = (i + s.chars().count()).min(t.len());
                t.splice(i..end, s.chars());
            }
            Edit::Insert(k, s) => {
                let i = at(*k, &t);
                t.splice(i..i, s.chars());
            }
            Edit::Delete(k, n) => {
                let i = at(*k, &t);
                let end = (i + n).min(t.len());
                t.drain(i..end);
            }
        }
    }
    t.into_iter().collect()
}

#[test]
fn the_loader_on_mutated_tables_never_panics_and_every_error_names_a_table() {
    let tables =
        [("brands", BRANDS), ("influencers", INFLUENCERS), ("campaigns", CAMPAIGNS), ("follower_snapshots", SNAPSHOTS)];
    let dir = scratch("fuzz-load");
    let (loaded, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner()
        .run(&edits(), |(which, edits)| {
            for (k, (name, body)) in tables.iter().enumerate() {
                let text = if k == which { apply(body, &edits) } else { body.to_string() };
                std::fs::write(dir.join(format!("{name}.csv")), text).unwrap();
            }
            for lenient in [false, true] {
                let opts = kolrec::dataset::LoadOptions { lenient, ..Default::default() };
                match kolrec::dataset::load(&dir, &opts) {
                    Ok(_) => loaded.set(loaded.get() + 1),
                    Err(e) => {
                        refused.set(refused.get() + 1);
                        let msg = e.to_string();
                        prop_assert!(tables.iter().any(|(t, _)| msg.contains(t)), "{msg}");
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(loaded.get() > 0 && refused.get() > 0, "{} loaded, {} refused", loaded.get(), refused.get());
}

/// A random list: headers from the alias table, tool exports' own words, and noise; cells of
/// every kind.
fn list() -> impl Strategy<Value = String> {
    let words: Vec<String> = kolrec::import::ALIASES
        .iter()
        .map(|(a, _)| a.to_string())
        .chain(
            ["Creator handle", "Engagement Rate (%)", "Avg. viewers", "Profile URL", "Platform", "#", "Reach", "地区"]
                .map(String::from),
        )
        .collect();
    let header = prop_oneof![prop::sample::select(words), "[A-Za-z ]{1,10}"];
    (prop::collection::vec(header, 1..7), 0usize..6).prop_flat_map(|(headers, rows)| {
        let width = headers.len();
        let row = prop::collection::vec(cell(), width)
            .prop_map(|c| c.iter().map(|v| csv_quote(v)).collect::<Vec<_>>().join(","));
        prop::collection::vec(row, rows).prop_map(move |rows| {
            let mut t = headers.iter().map(|h| csv_quote(h)).collect::<Vec<_>>().join(",");
            for r in rows {
                t.push('\n');
                t.push_str(&r);
            }
            t.push('\n');
            t
        })
    })
}

fn csv_quote(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.to_string() }
}

#[test]
fn the_importer_on_random_lists_never_panics_and_what_it_writes_passes_the_contract() {
    let dir = scratch("fuzz-import");
    let (input, out) = (dir.join("list.csv"), dir.join("influencers.csv"));
    let (imported, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner()
        .run(&(list(), any::<bool>()), |(text, given)| {
            std::fs::write(&input, &text).unwrap();
            let _ = std::fs::remove_file(&out);
            let cfg = kolrec::import::ImportConfig {
                input: input.clone(),
                out: out.clone(),
                platform: given.then(|| "douyin".to_string()),
                ..Default::default()
            };
            match kolrec::import::import(&cfg) {
                Ok(rep) => {
                    imported.set(imported.get() + 1);
                    let inf = kolrec::dataset::load_influencers(&out);
                    prop_assert!(
                        inf.is_ok(),
                        "its own output fails the contract: {}\n{text}\n{rep}",
                        inf.err().unwrap()
                    );
                    prop_assert_eq!(inf.unwrap().len(), rep.rows_written);
                }
                Err(e) => {
                    refused.set(refused.get() + 1);
                    prop_assert!(e.to_string().contains("list.csv") || e.to_string().contains("platform"), "{e}");
                }
            }
            Ok(())
        })
        .unwrap();
    // Both outcomes were exercised, or the property says little.
    assert!(imported.get() > 0 && refused.get() > 0, "{} imported, {} refused", imported.get(), refused.get());
}

/// A model file's payload with bytes changed and the envelope rebuilt around it (length and
/// checksum recomputed), as an edit by someone who knows the format would leave it.
fn altered(bytes: &[u8], flips: &[(usize, u8)], cut: usize) -> Vec<u8> {
    const HEADER: usize = 28;
    let mut payload = bytes[HEADER..].to_vec();
    for &(at, b) in flips {
        let i = at % payload.len();
        payload[i] = b;
    }
    payload.truncate(payload.len() - cut.min(payload.len()));
    let mut out = bytes[..16].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

#[test]
fn model_files_with_altered_payloads_are_errors_or_consistent_models_never_panics() {
    use kolrec::artifact::{Kind, from_bytes};
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture-v2");
    let files: Vec<(Kind, Vec<u8>)> =
        [(Kind::Affinity, "affinity.bin"), (Kind::Catalog, "catalog.bin"), (Kind::Ranker, "ranker.bin")]
            .into_iter()
            .map(|(k, f)| (k, std::fs::read(fixture.join(f)).unwrap()))
            .collect();
    let p = Path::new("fuzzed.bin");
    let decoded = std::cell::Cell::new(0);
    let strategy = (
        0usize..files.len(),
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        prop_oneof![Just(0usize), 1usize..16],
    );
    runner()
        .run(&strategy, |(which, flips, cut)| {
            let (kind, bytes) = &files[which];
            let b = altered(bytes, &flips, cut);
            match kind {
                Kind::Affinity => {
                    if let Ok(m) = from_bytes::<kolrec::affinity::AffinityModel>(p, *kind, &b) {
                        decoded.set(decoded.get() + 1);
                        // Decoded: either refused as inconsistent, or safe to serve.
                        if m.check_shape().is_ok() {
                            let _ = m.brand_vector(0);
                        }
                    }
                }
                Kind::Catalog => {
                    if let Ok(c) = from_bytes::<kolrec::catalog::Catalog>(p, *kind, &b) {
                        decoded.set(decoded.get() + 1);
                        let _ = c.check_shape();
                    }
                }
                _ => {
                    if let Ok(f) = from_bytes::<kolrec::ranker::RankerFile>(p, *kind, &b) {
                        decoded.set(decoded.get() + 1);
                        let _ = kolrec::ranker::LearnedRanker::from_file(f);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(decoded.get() > 0, "no altered payload decoded: only the decoder's refusals were tried");
}

#[test]
fn the_servers_request_parser_never_panics_and_names_a_field_or_the_body() {
    use kolrec::serve::api::{BatchRequest, RecommendRequest, ScoreRequest, SimilarRequest, parse};
    let json = prop_oneof![
        any::<String>(),
        Just(r#"{"brand_id":"b1","k":5,"filters":{"platform":["douyin"],"max_price":1e400}}"#.to_string()),
        Just(r#"{"queries":[{"brand_id":"b1","k":-1},{"brief":{"category":7}}]}"#.to_string()),
        Just(r#"{"influencers":[{"influencer_id":"x","followers":"1.2万"},{"influencer_id":null}]}"#.to_string()),
        "\\{\"[a-z_]{1,10}\":(\"[^\"]{0,8}\"|[-0-9.e]{1,8}|null|true|\\[\\]|\\{\\})\\}",
    ];
    runner()
        .run(&json, |body| {
            for e in [
                parse::<RecommendRequest>(body.as_bytes()).err(),
                parse::<BatchRequest>(body.as_bytes()).err(),
                parse::<SimilarRequest>(body.as_bytes()).err(),
                parse::<ScoreRequest>(body.as_bytes()).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(!e.error.is_empty() && e.status.is_client_error(), "{e:?}");
            }
            Ok(())
        })
        .unwrap();
}
