//! What a column's values look like: shares of numbers, percents, suffixed counts, handles,
//! links, countries and ranking scopes in a sample, and the small vocabulary that tells them apart.

use super::roles::header_key;
use crate::parse::{Cell, has_percent_sign, messy_number};

/// Rows looked at per column: enough to tell handles from names and counts from ranks.
pub(super) const SAMPLE: usize = 5000;

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

    pub(super) fn shown(&self) -> String {
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
pub(super) fn names_a_handle(header: &str) -> bool {
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
        assert!(scope.scope == 1.0 && scope.country == 0.0);
    }
}
