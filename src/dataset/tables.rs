//! The per-table parsers: each of the contract's four tables, batch by batch, through the
//! validation engine into its typed columns, with the checks that span columns (clicks above
//! impressions) or rows (duplicate IDs, duplicate snapshots).

use std::collections::HashMap;

use super::sheet::{Problems, Sheet};
use super::{Brands, Campaigns, Influencers, NO_DATE, Snapshots};
use crate::contract::Table;
use crate::report::ProblemKind;
use crate::table::TableReader;

pub(super) struct Refs<'a> {
    pub brands: Option<&'a HashMap<&'a str, u32>>,
    pub influencers: Option<&'a HashMap<&'a str, u32>>,
}

/// A parsed table: its typed columns (`None` if unusable), the rows read, and (for a table others
/// refer to) the trimmed ID of every row read, whatever the row's other problems.
pub(super) struct Parsed<T> {
    pub value: Option<T>,
    pub rows: usize,
    pub ids: Vec<String>,
}

/// Only the contract's columns of `table` are read; the header check still sees every name.
pub(super) fn in_contract(table: Table) -> impl Fn(&str) -> bool {
    move |name| table.columns().iter().any(|c| c.name == super::sheet::normalise(name))
}

/// A table whose header is unusable is not parsed, but the IDs of its rows are still read so
/// that the tables referring to it are checked against them (one problem, not one per row).
fn ids_only(mut s: Sheet<'_>, reader: &mut TableReader, id: &str) -> Parsed<()> {
    let mut ids = Vec::with_capacity(reader.rows_hint);
    while s.next_batch(reader) {
        ids.extend(s.raw_text(id));
    }
    Parsed { value: None, rows: s.rows(), ids }
}

pub(super) fn parse_brands(reader: &mut TableReader, problems: &mut Problems) -> Parsed<Brands> {
    let mut s = Sheet::new(Table::Brands, reader, problems);
    if s.fatal {
        let p = ids_only(s, reader, "brand_id");
        return Parsed { value: None, rows: p.rows, ids: p.ids };
    }
    let mut b = Brands::default();
    b.reserve(reader.rows_hint);
    while s.next_batch(reader) {
        b.append(Brands {
            id: s.text("brand_id"),
            category: s.text("category"),
            name: s.text("name"),
            country: s.text("country"),
            audience: s.audience(),
            budget: s.number("budget"),
        });
        s.end_batch(&["brand_id"]);
    }
    s.unique(&b.id, "brand_id");
    let (rows, ids) = (s.rows(), b.id.clone());
    let value = s.finish().map(|keep| {
        b.retain_rows(&keep);
        b
    });
    Parsed { value, rows, ids }
}

pub(super) fn parse_influencers(reader: &mut TableReader, problems: &mut Problems) -> Parsed<Influencers> {
    let mut s = Sheet::new(Table::Influencers, reader, problems);
    if s.fatal {
        let p = ids_only(s, reader, "influencer_id");
        return Parsed { value: None, rows: p.rows, ids: p.ids };
    }
    let mut i = Influencers::default();
    i.reserve(reader.rows_hint);
    while s.next_batch(reader) {
        i.append(Influencers {
            id: s.text("influencer_id"),
            platform: s.text("platform").into_iter().map(|p| p.to_lowercase()).collect(),
            category: s.text("category"),
            followers: s.number("followers"),
            handle: s.text("handle"),
            country: s.text("country"),
            avg_views: s.number("avg_views"),
            engagement_rate: s.share("engagement_rate"),
            posts_per_week: s.share_free("posts_per_week"),
            sponsored_share: s.share("sponsored_share"),
            price_per_post: s.number("price_per_post"),
            audience: s.audience(),
        });
        s.end_batch(&["influencer_id"]);
    }
    s.unique(&i.id, "influencer_id");
    let (rows, ids) = (s.rows(), i.id.clone());
    let value = s.finish().map(|keep| {
        i.retain_rows(&keep);
        i
    });
    Parsed { value, rows, ids }
}

pub(super) fn parse_campaigns(reader: &mut TableReader, refs: &Refs<'_>, problems: &mut Problems) -> Parsed<Campaigns> {
    let mut s = Sheet::new(Table::Campaigns, reader, problems);
    if s.fatal {
        return Parsed { value: None, rows: ids_only(s, reader, "brand_id").rows, ids: Vec::new() };
    }
    let mut c = Campaigns::default();
    c.reserve(reader.rows_hint);
    while s.next_batch(reader) {
        let batch = Campaigns {
            brand: s.resolve("brand_id", refs.brands, Table::Brands),
            influencer: s.resolve("influencer_id", refs.influencers, Table::Influencers),
            date: s.date("date"),
            cost: s.number("cost"),
            impressions: s.number("impressions"),
            campaign_id: s.text("campaign_id"),
            objective: s.objective("objective"),
            clicks: s.number("clicks"),
            engagements: s.number("engagements"),
            conversions: s.number("conversions"),
            revenue: s.number("revenue"),
        };
        for row in 0..s.height() {
            let (imp, clk, conv) = (batch.impressions[row], batch.clicks[row], batch.conversions[row]);
            if clk > imp {
                s.report(row, "clicks", ProblemKind::Inconsistent, format!("{clk} clicks exceed {imp} impressions"));
            }
            if conv > clk {
                s.report(
                    row,
                    "conversions",
                    ProblemKind::Inconsistent,
                    format!("{conv} conversions exceed {clk} clicks"),
                );
            }
        }
        c.append(batch);
        s.end_batch(&["brand_id", "influencer_id"]);
    }
    let rows = s.rows();
    let value = s.finish().map(|keep| {
        c.retain_rows(&keep);
        c
    });
    Parsed { value, rows, ids: Vec::new() }
}

/// `names` are the creator IDs that `infl` indexes, for naming a duplicate's row.
pub(super) fn parse_snapshots(
    reader: &mut TableReader,
    infl: Option<(&HashMap<&str, u32>, &[String])>,
    problems: &mut Problems,
) -> Parsed<Snapshots> {
    let mut s = Sheet::new(Table::FollowerSnapshots, reader, problems);
    if s.fatal {
        return Parsed { value: None, rows: ids_only(s, reader, "influencer_id").rows, ids: Vec::new() };
    }
    let mut sn = Snapshots::default();
    sn.reserve(reader.rows_hint);
    while s.next_batch(reader) {
        sn.append(Snapshots {
            influencer: s.resolve("influencer_id", infl.map(|i| i.0), Table::Influencers),
            date: s.date("date"),
            followers: s.number("followers"),
            views: s.number("views"),
            likes: s.number("likes"),
            posts: s.number("posts"),
        });
        s.end_batch(&["influencer_id"]);
    }
    // Sort once by (creator, date, row): duplicates of one creator on one date become neighbours,
    // and the same order sorts the kept rows afterwards.
    let mut order: Vec<u32> = (0..sn.len() as u32).collect();
    let key = |r: u32| (sn.influencer[r as usize], sn.date[r as usize]);
    let sorted = order.windows(2).all(|w| key(w[0]) <= key(w[1]));
    if !sorted {
        order.sort_unstable_by_key(|&r| (key(r), r));
    }
    let mut first = usize::MAX;
    for w in 0..order.len() {
        let row = order[w] as usize;
        let k = key(order[w]);
        if k.0 == u32::MAX || k.1 == NO_DATE {
            continue;
        }
        if w > 0 && key(order[w - 1]) == k {
            // A resolved reference: its ID is the creator's.
            let id = infl.map(|i| i.1[k.0 as usize].as_str()).unwrap_or_default();
            let detail = format!("'{id}' already has a snapshot on this date at row {}", first + 1);
            s.report_at(row, "date", ProblemKind::DuplicateId, detail);
            s.name_row(row, id);
        } else {
            first = row;
        }
    }
    let rows = s.rows();
    let Some(keep) = s.finish() else { return Parsed { value: None, rows, ids: Vec::new() } };
    if sorted {
        // In file order already: dropping the bad rows in place keeps the order.
        drop(order);
        sn.retain_rows(&keep);
    } else {
        order.retain(|&r| keep[r as usize]);
        permute(&mut sn.influencer, &order);
        permute(&mut sn.date, &order);
        permute(&mut sn.followers, &order);
        permute(&mut sn.views, &order);
        permute(&mut sn.likes, &order);
        permute(&mut sn.posts, &order);
    }
    Parsed { value: Some(sn), rows, ids: Vec::new() }
}

fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
    *v = order.iter().map(|&r| v[r as usize]).collect();
}
