//! Which input column is which field: what the header says (an alias, else a keyword) weighed
//! against what the values look like (handles, counts with suffixes, percents, countries), with
//! `--map SOURCE=FIELD` overriding both, and every choice and refusal reported with its evidence.

use std::collections::HashMap;

use super::platform::{self, PlatformPlan};
use super::profile::{Profile, handle_of_url, names_a_handle};
use super::roles::{Role, alias_rank, header_key};

/// What a `--map` can make of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Handle,
    Name,
    Field(Role),
    Ignore,
}

impl Target {
    pub fn parse(field: &str) -> Option<Target> {
        let f = field.trim().to_ascii_lowercase();
        match f.as_str() {
            "handle" => Some(Target::Handle),
            "name" => Some(Target::Name),
            "ignore" => Some(Target::Ignore),
            _ => Role::ALL.iter().find(|r| **r != Role::Identity && r.output() == f).map(|r| Target::Field(*r)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Handle => "handle",
            Target::Name => "name",
            Target::Field(r) => r.output(),
            Target::Ignore => "ignore",
        }
    }

    /// Every field a column can be mapped to, for messages.
    pub fn all_names() -> String {
        let mut names = vec!["handle", "name"];
        names.extend(Role::ALL.iter().filter(|r| **r != Role::Identity).map(|r| r.output()));
        names.push("ignore");
        names.join(", ")
    }
}

/// One `--map SOURCE=FIELD`: the input column `SOURCE` is the output field `FIELD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub source: String,
    pub target: Target,
}

impl std::str::FromStr for Mapping {
    type Err = String;

    fn from_str(s: &str) -> Result<Mapping, String> {
        let (source, field) = s.rsplit_once('=').ok_or_else(|| format!("'{s}' is not SOURCE=FIELD"))?;
        let target = Target::parse(field)
            .ok_or_else(|| format!("'{}' is not a field; fields are {}", field.trim(), Target::all_names()))?;
        if source.trim().is_empty() {
            return Err(format!("'{s}' names no source column"));
        }
        Ok(Mapping { source: source.trim().to_string(), target })
    }
}

/// What a header says about its column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    Role(Role),
    /// A ranking's position (`Rank`, `#`, `排名`): never a count.
    Rank,
    /// Which platform each row is on.
    Platform,
    /// A profile link: the platform and, failing any handle column, the handle.
    Url,
}

/// How sure a header is: an alias names the field outright (earlier aliases first), a keyword
/// only suggests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Alias(usize),
    Keyword,
}

/// The header's hint, strongest first.
pub fn hint(header: &str) -> Option<(Hint, Strength)> {
    let key = header_key(header);
    if let Some((role, rank)) = alias_rank(&key) {
        return Some((Hint::Role(role), Strength::Alias(rank)));
    }
    keyword(&key, header).map(|h| (h, Strength::Keyword))
}

fn keyword(key: &str, raw: &str) -> Option<Hint> {
    let has = |words: &[&str]| words.iter().any(|w| key.contains(w));
    if key.is_empty() || matches!(key, "rank" | "ranking" | "no" | "sno" | "排名" | "序号" | "排行" | "位次") {
        return Some(Hint::Rank);
    }
    if has(&["platform", "平台", "socialnetwork", "network"]) {
        return Some(Hint::Platform);
    }
    if has(&["url", "link", "链接", "主页"]) {
        return Some(Hint::Url);
    }
    let growth = has(&["gain", "growth", "grow", "new", "increase", "change", "delta", "增", "涨"]);
    let month = has(&["30", "month", "月"]);
    let avg = has(&["avg", "average", "mean", "median", "per", "平均", "场均", "均", "中位"]);
    let total = has(&["total", "累计", "总", "获赞"]);
    let percent = raw.contains('%') || has(&["rate", "pct", "percent", "率", "百分"]);
    if has(&["follower", "subscriber", "subs", "fans", "粉丝"]) {
        return match (growth, month) {
            (true, true) => Some(Hint::Role(Role::FollowersGained30d)),
            (true, false) => None,
            _ if percent => None,
            _ => Some(Hint::Role(Role::Followers)),
        };
    }
    if has(&["sponsor", "商单", "广告占比", "paidshare", "adshare"]) {
        return Some(Hint::Role(Role::SponsoredShare));
    }
    if has(&["engagement", "engrate", "互动", "interaction"]) || key.starts_with("eng") || key == "er" {
        return Some(Hint::Role(if percent { Role::EngagementRate } else { Role::EngagementAvg }));
    }
    if has(&["viewer", "观看人数", "在线人数"]) {
        return (!has(&["peak", "max", "峰值", "最高"])).then_some(Hint::Role(Role::AvgViews));
    }
    if has(&["view", "play", "播放", "观看", "阅读", "浏览"]) {
        return match () {
            _ if growth || month => month.then_some(Hint::Role(Role::Views30d)),
            _ if avg => Some(Hint::Role(Role::AvgViews)),
            _ => Some(Hint::Role(Role::TotalViews)),
        };
    }
    if has(&["like", "点赞", "赞"]) {
        return (!total && !growth).then_some(Hint::Role(Role::AvgLikes));
    }
    if has(&["comment", "评论"]) {
        return (!total && !growth).then_some(Hint::Role(Role::AvgComments));
    }
    if has(&["share", "分享", "转发"]) {
        return (!total && !growth).then_some(Hint::Role(Role::AvgShares));
    }
    if has(&["cpm", "cpe", "cpv", "cpc"]) {
        return None;
    }
    if has(&["price", "cost", "ratecard", "fee", "quote", "报价", "价格", "刊例", "费用"]) {
        return Some(Hint::Role(Role::PricePerPost));
    }
    if has(&["country", "nation", "location", "geo", "region", "国家", "地区", "地域", "所在地", "国籍", "属地"])
    {
        return Some(Hint::Role(Role::Country));
    }
    if has(&[
        "categor",
        "niche",
        "topic",
        "vertical",
        "genre",
        "industry",
        "hashtag",
        "类目",
        "分类",
        "领域",
        "标签",
        "垂类",
        "行业",
        "分区",
        "内容类型",
    ]) || matches!(key, "tag" | "tags")
    {
        return Some(Hint::Role(Role::Category));
    }
    if has(&["perweek", "weekly", "每周", "周更"]) {
        return Some(Hint::Role(Role::PostsPerWeek));
    }
    if has(&["upload", "videos", "posts", "作品", "笔记数", "视频数", "mediacount"]) {
        return Some(Hint::Role(Role::Uploads));
    }
    if has(&[
        "handle",
        "username",
        "user",
        "account",
        "profile",
        "channel",
        "creator",
        "influencer",
        "kol",
        "blogger",
        "streamer",
        "name",
        "uid",
        "博主",
        "达人",
        "主播",
        "up主",
        "昵称",
        "账号",
        "名称",
        "名字",
        "作者",
    ]) || key == "id"
    {
        return Some(Hint::Role(Role::Identity));
    }
    None
}

/// Whether a column's values can be `role`: the evidence if so, the reason if not.
fn fit(role: Role, p: &Profile) -> Result<String, String> {
    if p.present == 0 {
        return Err("the column is empty".into());
    }
    let pct = |x: f64| format!("{:.0}%", 100.0 * x);
    match role {
        Role::Identity if p.distinct >= 0.8 && p.url < 0.5 => {
            Ok(format!("{} distinct, {} handle-like, e.g. {}", pct(p.distinct), pct(p.handle_like), p.shown()))
        }
        Role::Identity => Err(format!("values repeat or are links ({} distinct), e.g. {}", pct(p.distinct), p.shown())),
        Role::Country if p.scope >= 0.5 => {
            Err(format!("values are a ranking's scope, not countries, e.g. {}", p.shown()))
        }
        Role::Country if p.country >= 0.6 => {
            Ok(format!("{} country names or codes, e.g. {}", pct(p.country), p.shown()))
        }
        Role::Country => Err(format!("values are not countries ({} are), e.g. {}", pct(p.country), p.shown())),
        Role::Category if p.numeric < 0.5 && p.url < 0.1 => Ok(format!("text, e.g. {}", p.shown())),
        Role::Category => Err(format!("values are numbers or links, e.g. {}", p.shown())),
        _ if p.rank_like => Err(format!("values run 1, 2, 3, … like a ranking, e.g. {}", p.shown())),
        Role::EngagementRate | Role::SponsoredShare if p.numeric >= 0.8 && (p.percent >= 0.5 || p.median <= 100.0) => {
            Ok(format!("{} numbers, {} with %, e.g. {}", pct(p.numeric), pct(p.percent), p.shown()))
        }
        Role::EngagementRate | Role::SponsoredShare => {
            Err(format!("values are not rates ({} numbers, median {}), e.g. {}", pct(p.numeric), p.median, p.shown()))
        }
        Role::PricePerPost if p.numeric >= 0.6 => Ok(format!("{} amounts, e.g. {}", pct(p.numeric), p.shown())),
        Role::PricePerPost if p.numeric + p.range >= 0.6 => Ok(format!(
            "{} amounts and {} ranges (read as their midpoints), e.g. {}",
            pct(p.numeric),
            pct(p.range),
            p.shown()
        )),
        _ if p.numeric >= 0.8 && p.percent < 0.2 => Ok(format!(
            "{} counts{}, median {}, e.g. {}",
            pct(p.numeric),
            if p.suffixed > 0.0 { format!(" ({} with K/M/万/亿)", pct(p.suffixed)) } else { String::new() },
            human(p.median),
            p.shown()
        )),
        _ => Err(format!(
            "values are not counts ({} numbers, {} with %), e.g. {}",
            pct(p.numeric),
            pct(p.percent),
            p.shown()
        )),
    }
}

fn human(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1}B", x / 1e9),
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e3 => format!("{:.1}K", x / 1e3),
        x => format!("{x}"),
    }
}

/// One column's part in the import, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub column: String,
    pub field: &'static str,
    pub evidence: String,
}

/// Where every field comes from.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub handle: String,
    /// The handles are profile links; the handle is the link's last path segment.
    pub handle_from_url: bool,
    pub name: Option<String>,
    pub fields: Vec<(Role, String)>,
    /// Rate columns whose bare numbers are percents.
    pub percent: HashMap<Role, bool>,
    pub platform: Option<PlatformPlan>,
    pub choices: Vec<Choice>,
    /// Columns a header pointed at but the values refused, ranks, and other reasons to skip.
    pub passed: Vec<String>,
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    NoFollowers,
    NoIdentity,
    NoSuchColumn(String),
    MappedTwice(String),
}

/// Assign columns to fields. `column(h)` gives the values of header `h`.
pub fn plan(
    headers: &[String],
    column: &dyn Fn(&str) -> Vec<Option<String>>,
    maps: &[Mapping],
    id_column: Option<&str>,
    given_platform: Option<&str>,
    file_name: &str,
) -> Result<Plan, Unfit> {
    let profiles: Vec<Profile> = headers.iter().map(|h| Profile::of(&column(h))).collect();
    let hints: Vec<Option<(Hint, Strength)>> = headers.iter().map(|h| hint(h)).collect();
    let mut used = vec![false; headers.len()];
    let mut plan = Plan::default();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name.trim() || header_key(h) == header_key(name));

    let mut mapped: Vec<(usize, Target, String)> = maps
        .iter()
        .map(|m| {
            find(&m.source).map(|i| (i, m.target, "--map".to_string())).ok_or(Unfit::NoSuchColumn(m.source.clone()))
        })
        .collect::<Result<_, _>>()?;
    if let Some(id) = id_column {
        let i = find(id).ok_or(Unfit::NoSuchColumn(id.into()))?;
        mapped.push((i, Target::Handle, "--id-column".into()));
    }
    for (i, target, how) in &mapped {
        if used[*i] {
            return Err(Unfit::MappedTwice(headers[*i].clone()));
        }
        used[*i] = true;
        let h = headers[*i].clone();
        match target {
            Target::Handle => plan.handle = h.clone(),
            Target::Name => plan.name = Some(h.clone()),
            Target::Field(r) => plan.fields.push((*r, h.clone())),
            Target::Ignore => {
                plan.passed.push(format!("'{h}' ignored ({how})"));
                continue;
            }
        }
        plan.choices.push(Choice { column: h, field: target.name(), evidence: how.clone() });
    }

    let mut order: Vec<Role> = Role::ALL.iter().copied().filter(|r| *r != Role::Identity).collect();
    order.sort_by_key(|r| *r != Role::Followers);
    for role in order {
        if plan.fields.iter().any(|(r, _)| *r == role) {
            continue;
        }
        let mut best: Option<(Strength, usize, String)> = None;
        for (i, h) in headers.iter().enumerate() {
            let Some((Hint::Role(r), strength)) = hints[i] else { continue };
            if r != role || used[i] {
                continue;
            }
            match fit(role, &profiles[i]) {
                Ok(evidence) if best.as_ref().is_none_or(|b| (strength, i) < (b.0, b.1)) => {
                    best = Some((strength, i, evidence))
                }
                Ok(_) => {}
                Err(why) => plan.passed.push(format!("'{h}' not used as {}: {why}", role.output())),
            }
        }
        let chosen = best.map(|(strength, i, ev)| {
            let how = match strength {
                Strength::Alias(_) => "header",
                Strength::Keyword => "header mentions it",
            };
            (i, format!("{how}; {ev}"))
        });
        let chosen = chosen.or_else(|| content_only(role, &profiles, &hints, &used, headers));
        if let Some((i, evidence)) = chosen {
            used[i] = true;
            plan.fields.push((role, headers[i].clone()));
            plan.choices.push(Choice { column: headers[i].clone(), field: role.output(), evidence });
        }
    }
    // A header the alias table names but another column won (two follower columns) is reported,
    // once: a column its values already refused is not "preferred against" as well.
    for (i, h) in headers.iter().enumerate() {
        if plan.passed.iter().any(|p| p.starts_with(&format!("'{h}' "))) {
            continue;
        }
        match hints[i] {
            Some((Hint::Rank, _)) if !used[i] => {
                used[i] = true;
                plan.passed.push(format!("'{h}' skipped: a ranking's position"));
            }
            Some((Hint::Role(r), _)) if !used[i] && r != Role::Identity && plan.fields.iter().any(|f| f.0 == r) => {
                let winner = &plan.fields.iter().find(|f| f.0 == r).expect("checked").1;
                plan.passed.push(format!("'{h}' not used as {}: '{winner}' was preferred", r.output()));
            }
            _ => {}
        }
    }
    if !plan.fields.iter().any(|(r, _)| *r == Role::Followers) {
        return Err(Unfit::NoFollowers);
    }

    identity(&mut plan, headers, &profiles, &hints, &mut used)?;

    for (role, h) in &plan.fields {
        if !matches!(role, Role::EngagementRate | Role::SponsoredShare) {
            continue;
        }
        let p = &profiles[headers.iter().position(|x| x == h).expect("a header")];
        let header_says = h.contains('%') || header_key(h).contains("percent") || header_key(h).contains("百分");
        let is_percent = header_says || p.bare_above_one >= 0.5;
        plan.percent.insert(*role, is_percent);
        let unit = match (header_says, is_percent) {
            _ if p.percent >= 1.0 => None,
            (true, _) => Some("numbers without % read as percents: the header says %".to_string()),
            (false, true) => Some(format!("numbers read as percents: {:.0}% are above 1", 100.0 * p.bare_above_one)),
            (false, false) => Some("numbers without % read as fractions: none above 1".to_string()),
        };
        if let (Some(unit), Some(c)) = (unit, plan.choices.iter_mut().find(|c| c.column == *h)) {
            c.evidence.push_str(&format!("; {unit}"));
        }
        if is_percent && !header_says && p.bare_above_one < 1.0 {
            plan.passed.push(format!(
                "'{h}': {:.0}% of its numbers are at or below 1, yet read as percents like the rest of the column",
                100.0 * (1.0 - p.bare_above_one)
            ));
        }
    }

    plan.platform = platform::plan(given_platform, file_name, headers, column, &hints, &profiles);
    Ok(plan)
}

/// A field no header names, taken from the values alone: followers (the leftmost column of
/// counts that is no ranking), or a country column.
fn content_only(
    role: Role,
    profiles: &[Profile],
    hints: &[Option<(Hint, Strength)>],
    used: &[bool],
    headers: &[String],
) -> Option<(usize, String)> {
    let free = |i: usize| !used[i] && hints[i].is_none();
    match role {
        Role::Followers => {
            let counts: Vec<usize> = (0..headers.len())
                .filter(|&i| free(i) && fit(role, &profiles[i]).is_ok() && profiles[i].median >= 1000.0)
                .collect();
            let &first = counts.first()?;
            let others: Vec<String> = counts[1..].iter().map(|&i| format!("'{}'", headers[i])).collect();
            let rest = if others.is_empty() {
                String::new()
            } else {
                format!("; also counts: {} (--map to choose)", others.join(", "))
            };
            Some((
                first,
                format!(
                    "no header names followers; guessed from the values: {}{rest}",
                    fit(role, &profiles[first]).ok()?
                ),
            ))
        }
        Role::Country => (0..headers.len()).find(|&i| free(i) && profiles[i].country >= 0.8).map(|i| {
            (
                i,
                format!(
                    "no header names it; guessed from the values: {}",
                    fit(role, &profiles[i]).ok().unwrap_or_default()
                ),
            )
        }),
        _ => None,
    }
}

/// The handle is the most handle-like identity column (a header naming one, or an unnamed column
/// of distinct handle-like text); the next identity column named by a header is the display name.
fn identity(
    plan: &mut Plan,
    headers: &[String],
    profiles: &[Profile],
    hints: &[Option<(Hint, Strength)>],
    used: &mut [bool],
) -> Result<(), Unfit> {
    // (handle-likeness, header strength: aliases by rank, then keywords, then none, column).
    let mut pool: Vec<(f64, usize, usize, String)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if used[i] {
            continue;
        }
        let p = &profiles[i];
        match hints[i] {
            Some((Hint::Role(Role::Identity), strength)) => match fit(Role::Identity, p) {
                Ok(ev) => {
                    let rank = match strength {
                        Strength::Alias(r) => r,
                        Strength::Keyword if names_a_handle(h) => 9_000,
                        Strength::Keyword => 10_000,
                    };
                    pool.push((p.handle_like, rank, i, format!("header; {ev}")));
                }
                Err(why) => plan.passed.push(format!("'{h}' not used as handle: {why}")),
            },
            None if p.numeric < 0.2 && p.distinct >= 0.9 && p.handle_like >= 0.8 && p.country < 0.3 && p.url < 0.1 => {
                let ev = fit(Role::Identity, p).unwrap_or_default();
                pool.push((p.handle_like, 20_000, i, format!("no header names it; guessed from the values: {ev}")));
            }
            _ => {}
        }
    }
    if plan.handle.is_empty() {
        // Handle-likeness in tenths first (so `Emma` under `First Name` does not beat
        // `emma.styles` under `Instagram Handle` on a hair), then the header, then leftmost.
        let bucket = |x: f64| (x * 10.0).floor() as i64;
        let best = pool
            .iter()
            .max_by(|a, b| bucket(a.0).cmp(&bucket(b.0)).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2)))
            .filter(|b| b.0 >= 0.5 || !(0..headers.len()).any(|i| !used[i] && profiles[i].url >= 0.8));
        match best {
            Some((_, _, i, ev)) => {
                plan.handle = headers[*i].clone();
                used[*i] = true;
                plan.choices.push(Choice { column: headers[*i].clone(), field: "handle", evidence: ev.clone() });
            }
            None => {
                let url = (0..headers.len()).find(|&i| !used[i] && profiles[i].url >= 0.8).ok_or(Unfit::NoIdentity)?;
                let column_first = |i: usize| profiles[i].first.as_str();
                plan.handle = headers[url].clone();
                plan.handle_from_url = true;
                used[url] = true;
                plan.choices.push(Choice {
                    column: headers[url].clone(),
                    field: "handle",
                    evidence: format!(
                        "no handle column; the last part of each profile link, e.g. '{}'",
                        handle_of_url(column_first(url))
                    ),
                });
            }
        }
    }
    if plan.name.is_none() {
        // A display name is what a name header names: `First Name` before `TikTok Handle`.
        let name = pool
            .iter()
            .filter(|c| !used[c.2] && c.1 < 20_000)
            .min_by_key(|c| (names_a_handle(&headers[c.2]), c.1, c.2));
        if let Some((_, _, i, ev)) = name {
            plan.name = Some(headers[*i].clone());
            used[*i] = true;
            plan.choices.push(Choice { column: headers[*i].clone(), field: "name", evidence: ev.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn a_scope_is_no_country_and_a_ranking_no_count() {
        let scope = Profile::of(&col(&["All", "Worldwide", "All"]));
        assert!(fit(Role::Country, &scope).unwrap_err().contains("scope"));
        let rank = Profile::of(&col(&["1", "2", "3", "4", "5"]));
        assert!(fit(Role::Followers, &rank).unwrap_err().contains("ranking"));
        assert!(fit(Role::Followers, &Profile::of(&col(&["1.2M", "980K", "12.5万"]))).is_ok());
    }

    #[test]
    fn keywords_suggest_fields_that_no_alias_names() {
        let role = |h: &str| match hint(h) {
            Some((Hint::Role(r), Strength::Keyword)) => Some(r),
            _ => None,
        };
        assert_eq!(role("Engagement Rate (60 days, %)"), Some(Role::EngagementRate));
        assert_eq!(role("Avg. viewers"), Some(Role::AvgViews));
        assert_eq!(role("Peak viewers"), None);
        assert_eq!(role("Followers gained"), None, "a gain is not a follower count");
        assert_eq!(role("Subscribers gained (30 days)"), Some(Role::FollowersGained30d));
        assert_eq!(role("粉丝总量"), Some(Role::Followers));
        assert_eq!(role("获赞总数"), None, "total likes are not average likes");
        assert_eq!(role("Creator handle"), Some(Role::Identity));
        assert_eq!(role("Audience top country"), Some(Role::Country));
        assert_eq!(hint("#").map(|h| h.0), Some(Hint::Rank));
        assert_eq!(hint("Profile URL").map(|h| h.0), Some(Hint::Url));
        assert_eq!(
            hint("Followers").map(|h| h.1),
            Some(Strength::Alias(super::super::roles::alias_rank("followers").unwrap().1))
        );
    }

    #[test]
    fn maps_parse_and_name_every_field_when_wrong() {
        let m: Mapping = "Subs (total)=followers".parse().unwrap();
        assert_eq!((m.source.as_str(), m.target), ("Subs (total)", Target::Field(Role::Followers)));
        assert_eq!("a=b=handle".parse::<Mapping>().unwrap().source, "a=b");
        let e = "X=folowers".parse::<Mapping>().unwrap_err();
        assert!(e.contains("'folowers' is not a field") && e.contains("engagement_rate"), "{e}");
        assert!("=handle".parse::<Mapping>().is_err() && "nothing".parse::<Mapping>().is_err());
    }

    #[test]
    fn a_plan_guesses_unnamed_handles_and_followers_and_refuses_a_scope_country() {
        let headers: Vec<String> = ["#", "Who", "Display", "Size", "Country", "Audience country", "Plays"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let data: HashMap<&str, Vec<Option<String>>> = HashMap::from([
            ("#", col(&["1", "2", "3"])),
            ("Who", col(&["@glow.up", "techguy", "cook_daily"])),
            ("Display", col(&["Glow Up ✨", "Tech Guy", "Cook Daily"])),
            ("Size", col(&["1.2M", "800K", "35万"])),
            ("Country", col(&["All", "All", "Worldwide"])),
            ("Audience country", col(&["US", "India", "CN"])),
            ("Plays", col(&["12M", "3M", "900K"])),
        ]);
        let column = |h: &str| data[h].clone();
        let p = plan(&headers, &column, &[], None, Some("tiktok"), "l.csv").unwrap();
        assert_eq!(p.handle, "Who");
        let field = |r: Role| p.fields.iter().find(|f| f.0 == r).map(|f| f.1.as_str());
        assert_eq!(field(Role::Followers), Some("Size"), "{:?}", p.choices);
        assert_eq!(field(Role::Country), Some("Audience country"));
        assert_eq!(field(Role::TotalViews), Some("Plays"));
        assert!(p.passed.iter().any(|s| s.starts_with("'Country' not used as country: values are a ranking's scope")));
        assert!(p.passed.iter().any(|s| s == "'#' skipped: a ranking's position"));
        let size = p.choices.iter().find(|c| c.column == "Size").unwrap();
        assert!(
            size.evidence.starts_with("no header names followers; guessed from the values: 100% counts"),
            "{size:?}"
        );
        // A map wins over every guess.
        let maps = vec!["Plays=followers".parse().unwrap(), "Display=handle".parse().unwrap()];
        let p = plan(&headers, &column, &maps, None, Some("tiktok"), "l.csv").unwrap();
        assert_eq!((p.handle.as_str(), field_of(&p, Role::Followers)), ("Display", Some("Plays")));
        assert_eq!(
            plan(&headers, &column, &["Nope=handle".parse().unwrap()], None, None, "l.csv").unwrap_err(),
            Unfit::NoSuchColumn("Nope".into())
        );
    }

    fn field_of(p: &Plan, r: Role) -> Option<&str> {
        p.fields.iter().find(|f| f.0 == r).map(|f| f.1.as_str())
    }
}
