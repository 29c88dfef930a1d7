//! The data contract (v1): the four tables, their columns, and the rules each value must satisfy.
//!
//! This is the single source of truth: the loader validates against it, the simulator and the
//! importer write it, and `datasets/README.md` documents it.

use std::fmt;

/// Version of the data contract that this build reads and writes.
pub const CONTRACT_VERSION: u32 = 1;

/// The four tables of a dataset directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Brands,
    Influencers,
    Campaigns,
    FollowerSnapshots,
}

impl Table {
    pub const ALL: [Table; 4] = [Table::Brands, Table::Influencers, Table::Campaigns, Table::FollowerSnapshots];

    /// File stem: the table is `NAME.csv` or `NAME.parquet`.
    pub fn name(self) -> &'static str {
        match self {
            Table::Brands => "brands",
            Table::Influencers => "influencers",
            Table::Campaigns => "campaigns",
            Table::FollowerSnapshots => "follower_snapshots",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Brands => BRAND_COLUMNS,
            Table::Influencers => INFLUENCER_COLUMNS,
            Table::Campaigns => CAMPAIGN_COLUMNS,
            Table::FollowerSnapshots => SNAPSHOT_COLUMNS,
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest count or amount a table may hold: more than any platform's followers or any
/// campaign's impressions or spend (in any currency), and far from where the solver's `f32`
/// sums overflow (a row of 1e308 clicks made its normal equations indefinite).
pub const MAX_AMOUNT: f64 = 1e15;

/// The earliest date a table may hold, 1990-01-01 in days since 1970-01-01 (before any social
/// platform); with [`LAST_DATE`], it bounds everything sized by a date range.
pub const FIRST_DATE: i32 = 7305;
/// The latest date a table may hold, 2100-12-31 (a generous planning horizon).
pub const LAST_DATE: i32 = 47846;

/// What a column holds and which values are legal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Non-empty identifier string.
    Id,
    /// Free text (category, country, platform...).
    Text,
    /// Non-negative number: counts and money.
    Count,
    /// Fraction in [0, 1].
    Share,
    /// Calendar date, ISO 8601 (`YYYY-MM-DD`, optionally followed by a time).
    Date,
    /// One of `reach`, `engagement`, `conversion`.
    Objective,
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: true }
}
const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, required: false }
}

/// The five audience age buckets, in order; their shares should sum to about 1.
pub const AGE_BUCKETS: [&str; 5] =
    ["audience_age_13_17", "audience_age_18_24", "audience_age_25_34", "audience_age_35_44", "audience_age_45_plus"];

/// How far the five age shares may sum from 1 before the row is reported.
pub const AGE_SUM_TOLERANCE: f32 = 0.05;

pub const BRAND_COLUMNS: &[Column] = &[
    req("brand_id", Kind::Id),
    req("category", Kind::Text),
    opt("name", Kind::Text),
    opt("country", Kind::Text),
    opt("audience_female_share", Kind::Share),
    opt("audience_age_13_17", Kind::Share),
    opt("audience_age_18_24", Kind::Share),
    opt("audience_age_25_34", Kind::Share),
    opt("audience_age_35_44", Kind::Share),
    opt("audience_age_45_plus", Kind::Share),
    opt("budget", Kind::Count),
];

pub const INFLUENCER_COLUMNS: &[Column] = &[
    req("influencer_id", Kind::Id),
    req("platform", Kind::Text),
    req("category", Kind::Text),
    req("followers", Kind::Count),
    opt("handle", Kind::Text),
    opt("country", Kind::Text),
    opt("avg_views", Kind::Count),
    opt("engagement_rate", Kind::Share),
    opt("posts_per_week", Kind::Count),
    opt("sponsored_share", Kind::Share),
    opt("price_per_post", Kind::Count),
    opt("audience_female_share", Kind::Share),
    opt("audience_age_13_17", Kind::Share),
    opt("audience_age_18_24", Kind::Share),
    opt("audience_age_25_34", Kind::Share),
    opt("audience_age_35_44", Kind::Share),
    opt("audience_age_45_plus", Kind::Share),
];

pub const CAMPAIGN_COLUMNS: &[Column] = &[
    req("brand_id", Kind::Id),
    req("influencer_id", Kind::Id),
    req("date", Kind::Date),
    req("cost", Kind::Count),
    req("impressions", Kind::Count),
    opt("campaign_id", Kind::Text),
    opt("objective", Kind::Objective),
    opt("clicks", Kind::Count),
    opt("engagements", Kind::Count),
    opt("conversions", Kind::Count),
    opt("revenue", Kind::Count),
];

pub const SNAPSHOT_COLUMNS: &[Column] = &[
    req("influencer_id", Kind::Id),
    req("date", Kind::Date),
    req("followers", Kind::Count),
    opt("views", Kind::Count),
    opt("likes", Kind::Count),
    opt("posts", Kind::Count),
];

/// Platforms kolrec knows by name. Others are accepted as-is (lower-cased).
pub const KNOWN_PLATFORMS: [&str; 10] = [
    "douyin",
    "kuaishou",
    "xiaohongshu",
    "bilibili",
    "weibo",
    "wechat_channels",
    "instagram",
    "tiktok",
    "youtube",
    "twitch",
];

/// Campaign objective: what the brand paid for, and what the affinity model optimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    Reach,
    Engagement,
    Conversion,
}

impl Objective {
    pub fn parse(s: &str) -> Option<Objective> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reach" => Some(Objective::Reach),
            "engagement" => Some(Objective::Engagement),
            "conversion" => Some(Objective::Conversion),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Reach => "reach",
            Objective::Engagement => "engagement",
            Objective::Conversion => "conversion",
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_lists_its_id_first_and_has_unique_columns() {
        for t in Table::ALL {
            let cols = t.columns();
            assert!(cols[0].required, "{t}: first column must be required");
            let mut names: Vec<_> = cols.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), cols.len(), "{t}: duplicate column");
        }
    }

    #[test]
    fn objective_round_trips_and_rejects_unknown() {
        for o in [Objective::Reach, Objective::Engagement, Objective::Conversion] {
            assert_eq!(Objective::parse(o.as_str()), Some(o));
        }
        assert_eq!(Objective::parse(" Conversion "), Some(Objective::Conversion));
        assert_eq!(Objective::parse("sales"), None);
    }
}
