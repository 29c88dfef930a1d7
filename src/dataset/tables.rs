//! The per-table parsers: each of the contract's four tables through the validation engine into
//! its typed columns, with the checks that span columns (clicks above impressions, duplicate
//! snapshots).

use std::collections::HashMap;

use super::sheet::{Problems, Sheet, retain, retain_audience};
use super::{Brands, Campaigns, Influencers, NO_DATE, Snapshots};
use crate::contract::Table;
use crate::report::ProblemKind;
use crate::table::RawTable;

pub(super) struct Refs<'a> {
    pub brands: Option<&'a HashMap<&'a str, u32>>,
    pub influencers: Option<&'a HashMap<&'a str, u32>>,
}

pub(super) fn parse_brands(raw: &RawTable, problems: &mut Problems) -> Option<Brands> {
    let mut s = Sheet::new(Table::Brands, raw, problems);
    if s.fatal {
        return None;
    }
    let id = s.text("brand_id");
    s.unique(&id, "brand_id");
    let mut b = Brands {
        category: s.text("category"),
        name: s.text("name"),
        country: s.text("country"),
        audience: s.audience(),
        budget: s.number("budget"),
        id,
    };
    let keep = s.finish(&["brand_id"])?;
    retain(&mut b.id, &keep);
    retain(&mut b.category, &keep);
    retain(&mut b.name, &keep);
    retain(&mut b.country, &keep);
    retain_audience(&mut b.audience, &keep);
    retain(&mut b.budget, &keep);
    Some(b)
}

pub(super) fn parse_influencers(raw: &RawTable, problems: &mut Problems) -> Option<Influencers> {
    let mut s = Sheet::new(Table::Influencers, raw, problems);
    if s.fatal {
        return None;
    }
    let id = s.text("influencer_id");
    s.unique(&id, "influencer_id");
    let mut i = Influencers {
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
        id,
    };
    let keep = s.finish(&["influencer_id"])?;
    retain(&mut i.id, &keep);
    retain(&mut i.platform, &keep);
    retain(&mut i.category, &keep);
    retain(&mut i.followers, &keep);
    retain(&mut i.handle, &keep);
    retain(&mut i.country, &keep);
    retain(&mut i.avg_views, &keep);
    retain(&mut i.engagement_rate, &keep);
    retain(&mut i.posts_per_week, &keep);
    retain(&mut i.sponsored_share, &keep);
    retain(&mut i.price_per_post, &keep);
    retain_audience(&mut i.audience, &keep);
    Some(i)
}

pub(super) fn parse_campaigns(raw: &RawTable, refs: &Refs<'_>, problems: &mut Problems) -> Option<Campaigns> {
    let mut s = Sheet::new(Table::Campaigns, raw, problems);
    if s.fatal {
        return None;
    }
    let mut c = Campaigns {
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
        let (imp, clk, conv) = (c.impressions[row], c.clicks[row], c.conversions[row]);
        if clk > imp {
            s.report(row, "clicks", ProblemKind::Inconsistent, format!("{clk} clicks exceed {imp} impressions"));
        }
        if conv > clk {
            s.report(row, "conversions", ProblemKind::Inconsistent, format!("{conv} conversions exceed {clk} clicks"));
        }
    }
    let keep = s.finish(&["brand_id", "influencer_id"])?;
    retain(&mut c.brand, &keep);
    retain(&mut c.influencer, &keep);
    retain(&mut c.date, &keep);
    retain(&mut c.cost, &keep);
    retain(&mut c.impressions, &keep);
    retain(&mut c.campaign_id, &keep);
    retain(&mut c.objective, &keep);
    retain(&mut c.clicks, &keep);
    retain(&mut c.engagements, &keep);
    retain(&mut c.conversions, &keep);
    retain(&mut c.revenue, &keep);
    Some(c)
}

pub(super) fn parse_snapshots(
    raw: &RawTable,
    infl: Option<&HashMap<&str, u32>>,
    problems: &mut Problems,
) -> Option<Snapshots> {
    let mut s = Sheet::new(Table::FollowerSnapshots, raw, problems);
    if s.fatal {
        return None;
    }
    let mut sn = Snapshots {
        influencer: s.resolve("influencer_id", infl, Table::Influencers),
        date: s.date("date"),
        followers: s.number("followers"),
        views: s.number("views"),
        likes: s.number("likes"),
        posts: s.number("posts"),
    };
    // Sort once by (creator, date, row): duplicates of one creator on one date become neighbours,
    // and the same order sorts the kept rows afterwards.
    let mut order: Vec<u32> = (0..sn.len() as u32).collect();
    let key = |r: u32| (sn.influencer[r as usize], sn.date[r as usize]);
    if !order.windows(2).all(|w| key(w[0]) <= key(w[1])) {
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
            let id = s.cell("influencer_id", row);
            let detail = format!("'{id}' already has a snapshot on this date at row {}", first + 1);
            s.report(row, "date", ProblemKind::DuplicateId, detail);
        } else {
            first = row;
        }
    }
    let keep = s.finish(&["influencer_id"])?;
    order.retain(|&r| keep[r as usize]);
    if order.len() != keep.len() || !order.windows(2).all(|w| w[0] < w[1]) {
        permute(&mut sn.influencer, &order);
        permute(&mut sn.date, &order);
        permute(&mut sn.followers, &order);
        permute(&mut sn.views, &order);
        permute(&mut sn.likes, &order);
        permute(&mut sn.posts, &order);
    }
    Some(sn)
}

fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
    *v = order.iter().map(|&r| v[r as usize]).collect();
}
