//! Which input column is which field: what the header says (an alias, else a keyword) weighed
//! against what the values look like (handles, counts with suffixes, percents, countries), with
//! `--map SOURCE=FIELD` overriding both, and every choice and refusal reported with its evidence.

use std::collections::HashMap;

use super::platform::{self, PlatformPlan};
use super::roles::{Role, alias_rank, header_key};
use crate::parse::{Cell, has_percent_sign, messy_number};

/// Rows looked at per column: enough to tell handles from names and counts from ranks.
const SAMPLE: usize = 5000;

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

/// What a column's values look like, from its first [`SAMPLE`] rows.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub present: usize,
    /// Shares of the present values.
    pub numeric: f64,
    pub percent: f64,
    pub suffixed: f64,
    pub handle_like: f64,
    pub distinct: f64,
    pub url: f64,
    pub country: f64,
    pub scope: f64,
    /// Share of the numbers written without `%` that exceed 1.
    pub bare_above_one: f64,
    pub median: f64,
    /// 1, 2, 3, … in row order: a ranking's position, not a count.
    pub rank_like: bool,
    pub examples: Vec<String>,
    /// The first present value, whole.
    pub first: String,
    /// Share of the values that are a range of two numbers (`$65.8K - $131.6K`, `850w-1000w`).
    pub range: f64,
}

impl Profile {
    pub fn of(values: &[Option<String>]) -> Profile {
        let present: Vec<&str> = values
            .iter()
            .take(SAMPLE)
            .flatten()
            .map(|s| s.trim())
            .filter(|s| messy_number(s) != Cell::Missing)
            .collect();
        let n = present.len();
        if n == 0 {
            return Profile::default();
        }
        let share = |f: &dyn Fn(&str) -> bool| present.iter().filter(|s| f(s)).count() as f64 / n as f64;
        let mut numbers = Vec::new();
        let (mut bare, mut bare_big) = (0usize, 0usize);
        for s in &present {
            if let Cell::Value(x) = messy_number(s) {
                numbers.push(x);
                if !has_percent_sign(s) {
                    bare += 1;
                    bare_big += usize::from(x > 1.0);
                }
            }
        }
        let mut sorted = numbers.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
        let in_order = values
            .iter()
            .take(SAMPLE)
            .enumerate()
            .filter(|(i, v)| v.as_deref().and_then(|s| s.trim().parse::<f64>().ok()) == Some((i + 1) as f64))
            .count();
        let distinct = present.iter().collect::<std::collections::HashSet<_>>().len();
        let mut examples: Vec<String> = Vec::new();
        for s in &present {
            if examples.len() == 3 {
                break;
            }
            let short: String = s.chars().take(24).collect();
            if !examples.contains(&short) {
                examples.push(short);
            }
        }
        Profile {
            present: n,
            numeric: numbers.len() as f64 / n as f64,
            percent: share(&|s| has_percent_sign(s)),
            suffixed: share(&|s| {
                let l = s.to_lowercase();
                ["k", "m", "b", "万", "亿", "w"].iter().any(|u| l.ends_with(u))
                    && l.chars().next().is_some_and(|c| c.is_ascii_digit())
            }),
            handle_like: share(&is_handle_like),
            distinct: distinct as f64 / n as f64,
            url: share(&|s| s.starts_with("http://") || s.starts_with("https://") || s.starts_with("www.")),
            country: share(&is_country),
            scope: share(&is_scope),
            bare_above_one: if bare == 0 { 0.0 } else { bare_big as f64 / bare as f64 },
            median,
            rank_like: in_order as f64 >= 0.8 * values.len().min(SAMPLE) as f64 && values.len() >= 3,
            examples,
            first: present[0].to_string(),
            range: share(&|s| range_midpoint(s).is_some()),
        }
    }

    fn shown(&self) -> String {
        self.examples.iter().map(|e| format!("'{e}'")).collect::<Vec<_>>().join(", ")
    }
}

/// The middle of a range of two amounts (`$65.8K - $131.6K` → 98,700; `850w-1000w`), as rate
/// cards and sales figures are often given; `None` for anything else (`-5.3万` is a number).
pub fn range_midpoint(s: &str) -> Option<f64> {
    let (a, b) = s.split_once(" - ").or_else(|| s.split_once(['-', '–', '~', '至']))?;
    match (messy_number(a), messy_number(b)) {
        (Cell::Value(x), Cell::Value(y)) if !a.trim().is_empty() && x >= 0.0 && y >= x => Some((x + y) / 2.0),
        _ => None,
    }
}

/// A profile link's handle: its last path segment (`https://www.instagram.com/cristiano/?hl=en`
/// → `cristiano`, `https://www.youtube.com/@MrBeast` → `@MrBeast`).
pub fn handle_of_url(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// No spaces, only ASCII letters, digits, `.`, `_`, `-` (and a leading `@`): `khaby.lame`, not
/// "Cocomelon - Nursery Rhymes".
pub fn is_handle_like(s: &str) -> bool {
    let s = s.strip_prefix('@').unwrap_or(s);
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Identity headers that name a handle rather than a display name (`Instagram Handle`, `抖音号`).
fn names_a_handle(header: &str) -> bool {
    let key = header_key(header);
    ["handle", "username", "user", "account", "uid", "id", "号", "@"].iter().any(|w| key.contains(w))
        || header.contains('@')
}

/// Values that say where a ranking applies rather than where a creator is.
fn is_scope(s: &str) -> bool {
    matches!(
        s.to_lowercase().as_str(),
        "all" | "worldwide" | "global" | "world" | "international" | "全球" | "全部" | "所有"
    )
}

/// ISO 3166 alpha-2 codes.
const ISO2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK \
FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM \
JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM \
US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW UK";

/// Country names as lists write them (lower case), English and Chinese.
const COUNTRY_NAMES: &[&str] = &[
    "united states",
    "usa",
    "us",
    "united kingdom",
    "uk",
    "great britain",
    "england",
    "canada",
    "mexico",
    "brazil",
    "argentina",
    "colombia",
    "chile",
    "peru",
    "venezuela",
    "spain",
    "france",
    "germany",
    "italy",
    "portugal",
    "netherlands",
    "belgium",
    "switzerland",
    "austria",
    "sweden",
    "norway",
    "denmark",
    "finland",
    "poland",
    "ireland",
    "russia",
    "ukraine",
    "turkey",
    "greece",
    "romania",
    "czech republic",
    "hungary",
    "israel",
    "egypt",
    "morocco",
    "nigeria",
    "south africa",
    "kenya",
    "saudi arabia",
    "united arab emirates",
    "uae",
    "qatar",
    "kuwait",
    "iran",
    "iraq",
    "pakistan",
    "india",
    "bangladesh",
    "sri lanka",
    "nepal",
    "china",
    "hong kong",
    "taiwan",
    "japan",
    "south korea",
    "korea",
    "north korea",
    "vietnam",
    "thailand",
    "malaysia",
    "singapore",
    "indonesia",
    "philippines",
    "australia",
    "new zealand",
    "kazakhstan",
    "ecuador",
    "el salvador",
    "puerto rico",
    "cuba",
    "jordan",
    "lebanon",
    "algeria",
    "tunisia",
    "barbados",
    "afghanistan",
    "latvia",
    "samoa",
    "andorra",
    "中国",
    "美国",
    "英国",
    "日本",
    "韩国",
    "法国",
    "德国",
    "意大利",
    "西班牙",
    "加拿大",
    "澳大利亚",
    "俄罗斯",
    "印度",
    "巴西",
    "墨西哥",
    "泰国",
    "越南",
    "马来西亚",
    "新加坡",
    "印度尼西亚",
    "菲律宾",
    "中国香港",
    "香港",
    "中国台湾",
    "台湾",
    "中国澳门",
    "澳门",
    "新西兰",
    "荷兰",
    "瑞士",
    "瑞典",
    "土耳其",
    "阿联酋",
    "沙特阿拉伯",
];

pub fn is_country(s: &str) -> bool {
    let t = s.trim();
    (t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()) && ISO2.split(' ').any(|c| c == t))
        || COUNTRY_NAMES.contains(&t.to_lowercase().as_str())
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
    fn profiles_tell_ranks_counts_percents_countries_and_scopes_apart() {
        let rank = Profile::of(&col(&["1", "2", "3", "4", "5"]));
        assert!(rank.rank_like && rank.numeric == 1.0);
        let counts = Profile::of(&col(&["1.2M", "980K", "12.5万", "3亿", "40,000"]));
        assert!(!counts.rank_like && counts.numeric == 1.0 && counts.suffixed == 0.8 && counts.median > 1e5);
        let rates = Profile::of(&col(&["3.5%", "1.2%", "N/A", "0.8%"]));
        assert_eq!((rates.present, rates.percent), (3, 1.0));
        assert!(Profile::of(&col(&["US", "India", "中国", "Brazil"])).country == 1.0);
        let scope = Profile::of(&col(&["All", "Worldwide", "All"]));
        assert!(scope.scope == 1.0 && fit(Role::Country, &scope).unwrap_err().contains("scope"));
        assert!(fit(Role::Followers, &rank).unwrap_err().contains("ranking"));
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
