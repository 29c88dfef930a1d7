//! `kolrec score` through the binary: every input row back in input order, with scores or the
//! reason it has none, for platform exports and for the contract's influencers table.

use std::path::Path;

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `kolrec score --model M --brand B --input I --out O EXTRA...`.
fn score(model: &Path, brand: &str, input: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["score", "--model", s(model), "--brand", brand, "--input", s(input), "--out", out];
    args.extend_from_slice(extra);
    kolrec(&args)
}

fn read(path: &Path) -> polars::prelude::DataFrame {
    kolrec::table::read(path).unwrap().frame
}

fn strings(df: &polars::prelude::DataFrame, col: &str) -> Vec<String> {
    let c = df.column(col).unwrap().cast(&polars::prelude::DataType::String).unwrap();
    c.str().unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect()
}

#[test]
fn a_platform_export_keeps_every_row_in_order_with_a_status() {
    let (_, model) = served_market();
    let dir = scratch("score-messy");
    let input = dir.join("list.csv");
    std::fs::write(
        &input,
        "Tiktoker name,Subscribers count,Views avg.,Category\n\
         zeta.cooks,12.5万,3.1万,food\n\
         nofollowers,N/A,200,beauty\n\
         ,,,\n\
         alpha.fit,48.5K,9K,fitness\n\
         zeta.cooks,13万,3万,food\n\
         mega.star,1.2亿,5M,gaming\n",
    )
    .unwrap();
    let out = dir.join("scored.csv");
    let o = score(model, "b000001", &input, s(&out), &["--platform", "tiktok"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("scored 3 of 6 rows"), "{}", stdout(&o));
    let df = read(&out);
    assert_eq!(df.height(), 6);
    assert_eq!(
        strings(&df, "Tiktoker name"),
        ["zeta.cooks", "nofollowers", "", "alpha.fit", "zeta.cooks", "mega.star"]
    );
    let status = strings(&df, "status");
    assert!(status[0].starts_with("scored"), "{status:?}");
    assert!(status[1].contains("not scored: no followers: 'N/A'"), "{}", status[1]);
    assert_eq!(status[2], "not scored: empty row");
    assert!(status[4].contains("not scored: duplicate"), "{}", status[4]);
    let ranks = strings(&df, "affinity_rank");
    let mut scored: Vec<&str> = [0, 3, 5].iter().map(|&r| ranks[r].as_str()).collect();
    scored.sort();
    assert_eq!(scored, ["1", "2", "3"]);
    assert_eq!(strings(&df, "known_to_model")[0], "false");
    assert!(strings(&df, "reason")[0].contains("new to the model"));
    // 12.5万 was read as 125,000 and priced from its features: a CPM and a value are there.
    assert!(!strings(&df, "predicted_cpm")[0].is_empty() && !strings(&df, "value_for_money")[5].is_empty());
}

#[test]
fn the_contract_table_is_scored_with_known_creators_and_growth() {
    let (data, model) = served_market();
    let dir = scratch("score-contract");
    let inf = read(&data.join("influencers.parquet"));
    // Five known creators in reverse order, then one whose followers are not a number.
    let ids = strings(&inf, "influencer_id");
    let mut text = String::from("influencer_id,platform,category,followers\n");
    for r in (0..5).rev() {
        let row = |c: &str| strings(&inf, c)[r].clone();
        text.push_str(&format!("{},{},{},{}\n", ids[r], row("platform"), row("category"), row("followers")));
    }
    text.push_str("newbie,douyin,beauty,lots\n");
    let input = dir.join("influencers.csv");
    std::fs::write(&input, text).unwrap();
    let out = dir.join("scored.parquet");
    let o = score(model, "b000002", &input, s(&out), &["--data", s(data)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = read(&out);
    assert_eq!(strings(&df, "influencer_id_input"), [&ids[4], &ids[3], &ids[2], &ids[1], &ids[0], "newbie"]);
    assert_eq!(strings(&df, "known_to_model")[..5], ["true"; 5]);
    assert!(strings(&df, "status")[5].contains("followers 'lots' is not a count"));
    let growth = strings(&df, "growth_probability");
    assert!(growth[..5].iter().filter(|g| !g.is_empty()).count() >= 4, "{growth:?}");

    // Its own output scored again (it has `influencer_id_input`, `status`, …): every column is
    // kept under a name of its own, the first scoring's beside the second's.
    let again = dir.join("scored-again.parquet");
    let o = score(model, "b000002", &out, s(&again), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let df2 = read(&again);
    let names: Vec<String> = df2.get_column_names().iter().map(|n| n.to_string()).collect();
    let unique: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(df2.height(), 6);
    // The first output's `influencer_id` moves aside to the first free name; its own
    // `influencer_id_input` stays.
    assert_eq!(strings(&df2, "influencer_id_input_2"), strings(&df, "influencer_id"));
    assert_eq!(strings(&df2, "influencer_id_input"), strings(&df, "influencer_id_input"));
    assert_eq!(strings(&df2, "status_input"), strings(&df, "status"));
    assert_eq!(strings(&df2, "known_to_model")[..5], ["true"; 5]);
}

#[test]
fn bad_score_inputs_exit_2_and_say_why() {
    let (_, model) = served_market();
    let dir = scratch("score-bad");
    let input = dir.join("list.csv");
    std::fs::write(&input, "handle,followers\nsomeone,1000\n").unwrap();
    let out = dir.join("o.csv");
    for (args, want) in [
        (
            vec!["--brand", "b000001"],
            "list.csv: no platform: the list has no platform column, no profile links and no platform's own headers; pass --platform",
        ),
        (vec!["--brand", "b000001", "--platform", "douyin", "--map", "who=handle"], "list.csv: 'who' is not a column"),
        (vec!["--brand", "nobody", "--platform", "douyin"], "--brand 'nobody' is not a brand of the model"),
    ] {
        let mut all = vec!["score", "--model", s(model), "--input", s(&input), "--out", s(&out)];
        all.extend(args.iter().copied());
        let o = kolrec(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = score(model, "b000001", &input, s(&dir.join("o.xlsx")), &["--platform", "douyin"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("o.xlsx: use .csv or .parquet"), "{}", stderr(&o));
}

/// The contract's columns are found whatever their case and surrounding spaces, as the contract
/// table itself is recognised (it was: every row "not scored: empty influencer_id", exit 0).
#[test]
fn contract_headers_match_whatever_their_case_and_spaces() {
    let (data, model) = served_market();
    let inf = read(&data.join("influencers.parquet"));
    let ids = strings(&inf, "influencer_id");
    let dir = scratch("score-headers");
    let input = dir.join("list.csv");
    let row = |r: usize, c: &str| strings(&inf, c)[r].clone();
    let mut text = String::from("Influencer_ID, Platform ,CATEGORY,Followers\n");
    for (r, id) in ids.iter().enumerate().take(3) {
        text.push_str(&format!("{id},{},{},{}\n", row(r, "platform"), row(r, "category"), row(r, "followers")));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.join("scored.csv");
    let o = score(model, "b000002", &input, s(&out), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = read(&out);
    assert_eq!(strings(&df, "status"), ["scored; no growth score (no follower snapshots given)"; 3]);
    assert_eq!(strings(&df, "known_to_model"), ["true"; 3]);
}

/// A list scored for a brief gets the scores `recommend` gives the same brief's creators.
#[test]
fn a_list_is_scored_for_a_brief_as_recommend_ranks_it() {
    let (data, model) = served_market();
    let dir = scratch("score-brief");
    let out = dir.join("scored.csv");
    let brief = ["--brief-category", "food", "--brief-country", "CN"];
    let input = data.join("influencers.parquet");
    let mut args = vec!["score", "--model", s(model), "--input", s(&input), "--out", s(&out)];
    args.extend_from_slice(&brief);
    let o = kolrec(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("brief: category food"), "{}", stdout(&o));
    let df = read(&out);
    let ids = strings(&df, "influencer_id");
    let scores: Vec<f64> = strings(&df, "affinity_score").iter().map(|v| v.parse().unwrap()).collect();
    let mut args = vec!["recommend", "--model", s(model), "-k", "20", "--json", "--exact"];
    args.extend_from_slice(&brief);
    let o = kolrec(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 20);
    for r in results {
        let id = r["influencer_id"].as_str().unwrap();
        let k = ids.iter().position(|i| i == id).unwrap();
        let want = r["score"].as_f64().unwrap();
        assert!(
            (scores[k] - want).abs() <= 1e-5 * want.abs().max(1.0),
            "{id}: scored {} vs recommended {want}",
            scores[k]
        );
        assert_eq!(strings(&df, "affinity_rank")[k], r["rank"].to_string(), "{id}");
    }
}
