//! The engine on the committed sample market, trained briefly: every path honours every filter,
//! the index finds what the exact scan finds, threads see what one thread sees, and every error
//! names its field.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::*;
use crate::affinity::AffinityParams;
use crate::index::IndexParams;
use crate::pipeline::{Answer, Brief, FilterSpec, MAX_K, Recommendation, SearchPath, Who};
use crate::ranker::RankerParams;
use crate::tier::Tier;

struct Fixture {
    /// No index: every query by exact scan.
    exact: Engine,
    /// The index, with the exact scan only when it comes back short.
    indexed: Engine,
    /// The index, but the exact scan for every filtered query.
    exact_below_max: Engine,
    /// Both stages: exact retrieval, then the learned ranker.
    learned: Engine,
    /// Both stages over the index.
    learned_indexed: Engine,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
        let (ds, _) = crate::dataset::load(&dir, &Default::default()).unwrap();
        let rows: Vec<usize> = (0..ds.campaigns.len()).collect();
        let params = AffinityParams { factors: 16, iterations: 5, ..Default::default() };
        let (model, _) = AffinityModel::fit(&ds, &rows, &params).unwrap();
        let catalog = Catalog::build(&ds, &rows);
        let index = || HnswIndex::build(&model.influencer_vectors, model.dim(), &IndexParams::default(), true).unwrap();
        let mut indexed = Engine::from_parts(model.clone(), catalog.clone(), Some(index()), None);
        indexed.set_exact_below(0);
        let mut exact_below_max = Engine::from_parts(model.clone(), catalog.clone(), Some(index()), None);
        exact_below_max.set_exact_below(usize::MAX);
        let rp = RankerParams { max_trees: 60, fold_iterations: 3, ..Default::default() };
        let ranker = || Box::new(crate::ranker::fit::fit(&ds, &rows, &model, &params, &rp).unwrap());
        let mut learned = Engine::from_parts(model.clone(), catalog.clone(), None, None);
        learned.set_ranker(ranker());
        let mut learned_indexed = Engine::from_parts(model.clone(), catalog.clone(), Some(index()), None);
        learned_indexed.set_exact_below(0);
        learned_indexed.set_ranker(ranker());
        Fixture {
            exact: Engine::from_parts(model, catalog, None, None),
            indexed,
            exact_below_max,
            learned,
            learned_indexed,
        }
    })
}

fn brand() -> Who {
    Who::Brand(fixture().exact.model().brand_ids[3].clone())
}

fn satisfies(r: &Recommendation, s: &FilterSpec, worked: &HashSet<String>) -> bool {
    (s.platforms.is_empty() || s.platforms.contains(&r.platform))
        && (s.categories.is_empty() || s.categories.contains(&r.category))
        && (s.countries.is_empty() || s.countries.contains(&r.country))
        && (s.tiers.is_empty() || s.tiers.contains(&r.tier))
        && s.min_followers.is_none_or(|m| r.followers >= m)
        && s.max_followers.is_none_or(|m| r.followers < m)
        && s.max_price.is_none_or(|m| r.price_per_post.is_some_and(|p| p <= m))
        && s.min_engagement.is_none_or(|m| r.engagement_rate.is_some_and(|e| e >= m))
        && !s.exclude.contains(&r.influencer_id)
        && !(s.exclude_worked && worked.contains(&r.influencer_id))
}

fn specs() -> Vec<FilterSpec> {
    let c = &fixture().exact.catalog().influencers;
    let some_ids: Vec<String> = c.id.iter().step_by(7).take(200).cloned().collect();
    vec![
        FilterSpec::default(),
        FilterSpec { platforms: vec![c.platform.values[0].clone()], ..Default::default() },
        FilterSpec { tiers: vec![Tier::Micro, Tier::Mid], max_price: Some(200.0), ..Default::default() },
        FilterSpec { categories: vec![c.category.values[1].clone()], min_engagement: Some(0.04), ..Default::default() },
        FilterSpec {
            min_followers: Some(20_000.0),
            max_followers: Some(60_000.0),
            exclude: some_ids,
            ..Default::default()
        },
        FilterSpec { countries: vec![c.country.values[0].clone()], exclude_worked: true, ..Default::default() },
        FilterSpec { exclude_worked: true, ..Default::default() },
    ]
}

#[test]
fn every_result_honours_every_filter_on_every_path() {
    let f = fixture();
    let b = 3;
    let worked: HashSet<String> = f
        .exact
        .catalog()
        .worked_with(b)
        .iter()
        .map(|&i| f.exact.catalog().influencers.id[i as usize].clone())
        .collect();
    assert!(!worked.is_empty(), "the fixture brand has history");
    for spec in specs() {
        let exact = f.exact.recommend(&brand(), 30, &spec).unwrap();
        let allowed = exact.candidates;
        assert_eq!(exact.results.len(), 30.min(allowed), "{spec:?}");
        for e in [&f.indexed, &f.exact_below_max, &f.exact] {
            let a = e.recommend(&brand(), 30, &spec).unwrap();
            assert_eq!(a.candidates, allowed);
            assert_eq!(a.results.len(), 30.min(allowed), "{spec:?} returned too few");
            for r in &a.results {
                assert!(satisfies(r, &spec, &worked), "{r:?} violates {spec:?}");
            }
            assert!(a.results.windows(2).all(|w| w[0].score >= w[1].score), "not best first");
            if a.path != SearchPath::Index {
                assert_eq!(a.results, exact.results, "an exact path differs from the exact scan");
            }
        }
        if spec.exclude_worked {
            // The brand's past creators are gone, and nothing else: the same query without the
            // exclusion, minus them, is the same list.
            let all = FilterSpec { exclude_worked: false, ..spec.clone() };
            let a = f.exact.recommend(&brand(), MAX_K, &all).unwrap();
            let want: Vec<&String> =
                a.results.iter().map(|r| &r.influencer_id).filter(|id| !worked.contains(*id)).take(30).collect();
            let got: Vec<&String> = exact.results.iter().map(|r| &r.influencer_id).collect();
            assert_eq!(got, want[..got.len()].to_vec());
            assert_eq!(
                a.candidates - exact.candidates,
                a.results.iter().filter(|r| worked.contains(&r.influencer_id)).count()
            );
            assert!(a.candidates > exact.candidates, "the exclusion had nothing to do");
        }
    }
}

#[test]
fn both_stages_honour_every_filter_and_every_consumer_sees_the_same_scores() {
    let f = fixture();
    let b = 3;
    let worked: HashSet<String> = f
        .learned
        .catalog()
        .worked_with(b)
        .iter()
        .map(|&i| f.learned.catalog().influencers.id[i as usize].clone())
        .collect();
    assert_eq!((f.learned.ranker_name(), f.exact.ranker_name()), ("learned", "inner-product"));
    for spec in specs() {
        let a = f.learned.recommend(&brand(), 30, &spec).unwrap();
        assert_eq!(a.ranker, "learned");
        let ix = f.learned_indexed.recommend(&brand(), 30, &spec).unwrap();
        assert_eq!((a.candidates, a.results.len()), (ix.candidates, ix.results.len()), "{spec:?}");
        for r in a.results.iter().chain(&ix.results) {
            assert!(satisfies(r, &spec, &worked), "{r:?} violates {spec:?}");
            assert!(r.reason.starts_with("ranked by: "), "{}", r.reason);
        }
        assert!(a.results.windows(2).all(|w| w[0].score >= w[1].score), "not best first");
        // A list of the same creators scores them as recommend did.
        let query = f.learned.query(&brand()).unwrap();
        let rows: Vec<usize> = a.results.iter().map(|r| f.learned.creator_row(&r.influencer_id).unwrap()).collect();
        let listed = f.learned.score_rows(&query, &rows);
        for (r, s) in a.results.iter().zip(&listed) {
            assert!((r.score - s).abs() < 1e-5, "recommend {} vs score {s}", r.score);
        }
    }
    // The nightly batch ranks each brand as recommend does.
    let ds_brands = {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample");
        crate::dataset::load(&dir, &Default::default()).unwrap().0.brands
    };
    let queries = f.learned.brand_queries(&ds_brands);
    let picked: Vec<BrandQuery> = queries.into_iter().step_by(37).collect();
    let all = Filter::all(f.learned.catalog().len());
    let batch = f.learned.batch_top_k(&picked, 10, &all, BatchPath::Exact);
    for (q, hits) in picked.iter().zip(&batch) {
        let a = f.learned.recommend(&Who::Brand(q.id.clone()), 10, &FilterSpec::default()).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| f.learned.model().influencer_ids[h.item as usize].as_str()).collect();
        let want: Vec<&str> = a.results.iter().map(|r| r.influencer_id.as_str()).collect();
        assert_eq!(ids, want, "batch and recommend differ for {}", q.id);
    }
}

#[test]
fn the_index_path_finds_nearly_all_of_the_exact_top_k() {
    let f = fixture();
    let (mut found, mut total) = (0, 0);
    for id in &f.exact.model().brand_ids {
        let who = Who::Brand(id.clone());
        let a = f.indexed.recommend(&who, 10, &FilterSpec::default()).unwrap();
        assert_eq!(a.path, SearchPath::Index);
        let e = f.exact.recommend(&who, 10, &FilterSpec::default()).unwrap();
        let ids: HashSet<&String> = e.results.iter().map(|r| &r.influencer_id).collect();
        found += a.results.iter().filter(|r| ids.contains(&r.influencer_id)).count();
        total += e.results.len();
    }
    let recall = found as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 {recall}");
}

#[test]
fn a_brief_ranks_its_own_category_above_where_other_briefs_rank_it() {
    let f = fixture();
    let cats = &f.exact.catalog().influencers.category;
    let n = cats.values.len();
    // share[b][c]: the share of category c among the top 200 of a brief of category b.
    let share: Vec<Vec<f64>> = (0..n)
        .map(|b| {
            let brief =
                Who::Brief(Brief { category: cats.values[b].clone(), country: "CN".into(), ..Default::default() });
            let a = f.exact.recommend(&brief, 200, &FilterSpec::default()).unwrap();
            assert_eq!(a.results.len(), 200);
            (0..n).map(|c| a.results.iter().filter(|r| r.category == cats.values[c]).count() as f64 / 200.0).collect()
        })
        .collect();
    for (c, own) in share.iter().enumerate() {
        let others = (0..n).filter(|&b| b != c).map(|b| share[b][c]).sum::<f64>() / (n - 1) as f64;
        assert!(own[c] > others, "a {} brief ranks its category no higher than other briefs do", cats.values[c]);
    }
}

#[test]
fn lookalikes_exclude_the_creator_honour_filters_and_share_its_profile() {
    let f = fixture();
    let c = &f.exact.catalog().influencers;
    let id = c.id[10].clone();
    let a = f.exact.similar(&id, 15, &FilterSpec::default()).unwrap();
    assert_eq!(a.results.len(), 15);
    assert!(a.results.iter().all(|r| r.influencer_id != id));
    assert!(a.results.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(a.results[0].score <= 1.0 + 1e-5 && a.results[0].score > 0.5, "top similarity {}", a.results[0].score);
    let tier = FilterSpec { tiers: vec![Tier::Nano], ..Default::default() };
    let t = f.exact.similar(&id, 15, &tier).unwrap();
    assert_eq!(t.results.len(), 15, "a tier filter still fills the list");
    assert!(t.results.iter().all(|r| r.tier == Tier::Nano));
}

#[test]
fn predictions_follow_the_model_and_a_creator_s_cpm_is_the_same_for_every_brand() {
    let f = fixture();
    let m = f.exact.model();
    let a = f.exact.recommend(&brand(), 20, &FilterSpec::default()).unwrap();
    let b = f.exact.recommend(&Who::Brand(m.brand_ids[7].clone()), 3000, &FilterSpec::default()).unwrap();
    for r in &a.results {
        let i = f.exact.creator_row(&r.influencer_id).unwrap();
        let (ctr, cpm) = m.predicted_ctr_cpm(r.score, m.efficiency_of(i));
        assert_eq!((r.predicted_ctr, r.predicted_cpm), (ctr, cpm));
        let other = b.results.iter().find(|x| x.influencer_id == r.influencer_id).unwrap();
        assert_eq!(other.predicted_cpm, r.predicted_cpm);
    }
}

#[test]
fn concurrent_queries_give_the_sequential_answers() {
    let f = fixture();
    let ids: Vec<String> = f.indexed.model().brand_ids.iter().take(40).cloned().collect();
    let spec = FilterSpec { tiers: vec![Tier::Micro, Tier::Mid], ..Default::default() };
    type Pair = (Vec<Recommendation>, Vec<Recommendation>);
    let ask = |id: &String| -> Pair {
        let who = Who::Brand(id.clone());
        let a = f.indexed.recommend(&who, 10, &FilterSpec::default()).unwrap().results;
        let b = f.indexed.recommend(&who, 10, &spec).unwrap().results;
        (a, b)
    };
    let sequential: Vec<_> = ids.iter().map(ask).collect();
    let concurrent: Vec<Vec<(usize, Pair)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let ids = &ids;
                // Each thread asks every brand, starting at a different one.
                s.spawn(move || (0..ids.len()).map(|j| (j + 10 * t) % ids.len()).map(|j| (j, ask(&ids[j]))).collect())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for answers in concurrent {
        for (j, got) in answers {
            assert_eq!(got, sequential[j], "brand {} answered differently under concurrency", ids[j]);
        }
    }
}

#[test]
fn every_query_error_names_its_field() {
    let e = &fixture().indexed;
    let err = |r: Result<Answer, EngineError>| r.unwrap_err();
    let none = FilterSpec::default();
    let known = e.catalog().influencers.id[0].clone();
    let cases: Vec<(EngineError, &str, &str)> = vec![
        (err(e.recommend(&brand(), 0, &none)), "k", "k must be between 1 and 10000, got 0"),
        (err(e.recommend(&brand(), MAX_K + 1, &none)), "k", "got 10001"),
        (err(e.recommend(&Who::Brand("nope".into()), 5, &none)), "brand_id", "brand_id 'nope' is not a brand"),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { exclude: vec!["ghost".into()], ..Default::default() })),
            "filters.exclude",
            "filters.exclude 'ghost' is not a creator",
        ),
        (
            err(e.recommend(
                &brand(),
                5,
                &FilterSpec { min_followers: Some(5e4), max_followers: Some(1e4), ..Default::default() },
            )),
            "filters.min_followers",
            "is not below the follower maximum",
        ),
        (
            err(e.recommend(
                &brand(),
                5,
                &FilterSpec { tiers: vec![Tier::Mega], max_followers: Some(1e5), ..Default::default() },
            )),
            "filters.tier",
            "filters.tier mega lies outside",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { platforms: vec!["myspace".into()], ..Default::default() })),
            "filters.platform",
            "filters.platform 'myspace': no creator has it",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { categories: vec!["knitting".into()], ..Default::default() })),
            "filters.category",
            "'knitting'",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { countries: vec!["XX".into()], ..Default::default() })),
            "filters.country",
            "'XX'",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { min_engagement: Some(3.0), ..Default::default() })),
            "filters.min_engagement",
            "is a share",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { max_price: Some(-1.0), ..Default::default() })),
            "filters.max_price",
            "must be a number ≥ 0",
        ),
        (
            err(e.recommend(&brand(), 5, &FilterSpec { max_price: Some(0.0), ..Default::default() })),
            "filters",
            "filters leave no creator to recommend (price ≤ 0)",
        ),
        (err(e.recommend(&Who::Brief(Brief::default()), 5, &none)), "brief.category", "brief.category is required"),
        (
            err(e.recommend(
                &Who::Brief(Brief { category: "beauty".into(), female_share: Some(1.5), ..Default::default() }),
                5,
                &none,
            )),
            "brief.female_share",
            "is a share between 0 and 1",
        ),
        (
            err(e.recommend(
                &Who::Brief(Brief { category: "beauty".into(), ages: Some([0.5; 5]), ..Default::default() }),
                5,
                &none,
            )),
            "brief.ages",
            "needs five shares",
        ),
        (
            err(e.recommend(
                &Who::Brief(Brief { category: "beauty".into(), ..Default::default() }),
                5,
                &FilterSpec { exclude_worked: true, ..Default::default() },
            )),
            "filters.exclude_worked",
            "needs a trained brand",
        ),
        (err(e.similar("ghost", 5, &none)), "influencer_id", "influencer_id 'ghost' is not a creator"),
        (err(e.similar(&known, 0, &none)), "k", "k must be between"),
        (
            err(e.similar(&known, 5, &FilterSpec { exclude_worked: true, ..Default::default() })),
            "filters.exclude_worked",
            "applies to a brand",
        ),
    ];
    for (error, field, text) in cases {
        assert_eq!(error.field(), Some(field), "{error}");
        let msg = error.to_string();
        assert!(msg.starts_with(field), "'{msg}' does not start with its field {field}");
        assert!(msg.contains(text), "'{msg}' lacks '{text}'");
    }
    let list = crate::dataset::Influencers::default();
    let e2 = e.score(&Who::Brand("nope".into()), &list, None).unwrap_err();
    assert_eq!(e2.field(), Some("brand_id"));
}

#[test]
fn a_listed_creator_scores_as_the_model_scores_it_and_a_new_one_from_its_profile() {
    let e = &fixture().exact;
    let c = &e.catalog().influencers;
    let mut list = crate::dataset::Influencers::default();
    // A known creator, and the same profile under a new ID.
    for id in [c.id[5].as_str(), "someone-new"] {
        list.push_basic(id, c.platform.get(5), c.category.get(5), c.followers[5]);
    }
    let rows = e.score(&brand(), &list, None).unwrap();
    let q = e.query(&brand()).unwrap();
    let want = crate::linalg::dot(&q.vector, e.model().influencer_vector(5));
    assert!(rows[0].known && (rows[0].score - want).abs() < 1e-6);
    assert!(!rows[1].known && rows[1].reason.contains("scored from its profile"));
    let ranks: HashSet<u32> = rows.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [1, 2].into_iter().collect());
    assert_eq!(rows[0].rank == 1, rows[0].score >= rows[1].score);
    // A platform export names the creator by platform and handle, not by the model's ID.
    let i = (0..c.id.len()).find(|&i| !c.handle[i].is_empty()).expect("a creator with a handle");
    let mut export = crate::dataset::Influencers::default();
    export.push_basic(&format!("{}:{}", c.platform.get(i), c.handle[i]), c.platform.get(i), "unknown", 1.0);
    export.handle[0] = c.handle[i].to_uppercase();
    let rows = e.score(&brand(), &export, None).unwrap();
    assert!(rows[0].known && rows[0].influencer_id == c.id[i], "{:?}", rows[0]);
}

#[test]
fn cached_filters_allow_exactly_what_a_fresh_compile_allows() {
    let e = &fixture().exact;
    let c = e.catalog();
    let mut specs = specs();
    // The same attributes with other exclusions share one cache entry; more distinct specs than
    // the cache holds push the first ones out and back in.
    let mut again = specs[1].clone();
    again.exclude = c.influencers.id.iter().take(5).cloned().collect();
    specs.push(again);
    specs.extend(
        (0..super::FILTER_CACHE + 3)
            .map(|i| FilterSpec { min_followers: Some(1000.0 * i as f64), ..Default::default() }),
    );
    for round in 0..2 {
        for s in &specs {
            let fresh = Filter::compile(s, c, &e.creator_rows).unwrap();
            let cached = e.compile(s).unwrap();
            assert_eq!(cached.allowed(), fresh.allowed(), "round {round}: {s:?}");
            assert!((0..c.len() as u32).all(|i| cached.allows(i) == fresh.allows(i)), "round {round}: {s:?}");
            let mut walked = 0;
            cached.for_each_allowed(|i| {
                assert!(fresh.allows(i));
                walked += 1;
            });
            assert_eq!(walked, fresh.allowed());
        }
    }
    assert!(e.filters.lock().unwrap().len() <= super::FILTER_CACHE);
}

#[test]
fn a_brief_of_a_category_the_model_does_not_know_is_refused_naming_it() {
    let e = &fixture().exact;
    let known = e.catalog().brands.category[0].clone();
    let brief = |c: &str| Who::Brief(Brief { category: c.into(), country: "CN".into(), ..Default::default() });
    assert!(e.recommend(&brief(&known.to_uppercase()), 3, &FilterSpec::default()).is_ok());
    let err = e.recommend(&brief("foood"), 3, &FilterSpec::default()).unwrap_err();
    assert_eq!(err.field(), Some("brief.category"));
    assert!(err.to_string().contains("'foood': the model knows no such category (known: "), "{err}");
    assert!(err.to_string().contains(&known), "{err}");
}
