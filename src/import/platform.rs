//! Which platform a list's creators are on when the caller does not say: a platform column (per
//! row), profile links' domains, or headers only one platform's exports use (`抖音号`, `UP主`).

use super::detect::{Hint, Strength};
use super::profile::Profile;
use super::roles::header_key;

/// Where each row's platform comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlatformPlan {
    /// The same for every row, and why.
    Fixed { platform: String, evidence: String },
    /// Read from this column, row by row.
    Column { column: String, evidence: String },
}

/// A platform's name as lists write it (`Instagram`, `IG`, `抖音`, `B站`) → kolrec's name.
pub fn canonical(value: &str) -> Option<&'static str> {
    let v = value.trim().to_lowercase();
    let v = v.trim_start_matches("www.");
    Some(match v {
        "douyin" | "抖音" => "douyin",
        "kuaishou" | "快手" => "kuaishou",
        "xiaohongshu" | "小红书" | "red" | "rednote" | "xhs" => "xiaohongshu",
        "bilibili" | "b站" | "哔哩哔哩" => "bilibili",
        "weibo" | "微博" | "新浪微博" => "weibo",
        "wechat channels" | "wechat_channels" | "视频号" | "微信视频号" => "wechat_channels",
        "instagram" | "ig" | "insta" => "instagram",
        "tiktok" | "tik tok" => "tiktok",
        "youtube" | "yt" | "youtube shorts" => "youtube",
        "twitch" => "twitch",
        _ => return None,
    })
}

/// The platform a profile link points to.
pub fn of_url(url: &str) -> Option<&'static str> {
    let u = url.trim().to_lowercase();
    let host = u.trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.");
    let host = host.split(['/', '?']).next().unwrap_or("");
    const DOMAINS: &[(&str, &str)] = &[
        ("instagram.com", "instagram"),
        ("tiktok.com", "tiktok"),
        ("youtube.com", "youtube"),
        ("youtu.be", "youtube"),
        ("twitch.tv", "twitch"),
        ("douyin.com", "douyin"),
        ("xiaohongshu.com", "xiaohongshu"),
        ("xhslink.com", "xiaohongshu"),
        ("bilibili.com", "bilibili"),
        ("weibo.com", "weibo"),
        ("kuaishou.com", "kuaishou"),
    ];
    DOMAINS.iter().find(|(d, _)| host == *d || host.ends_with(&format!(".{d}"))).map(|(_, p)| *p)
}

/// Header words only one platform's exports use.
const HEADER_WORDS: &[(&str, &str)] = &[
    ("抖音", "douyin"),
    ("快手", "kuaishou"),
    ("小红书", "xiaohongshu"),
    ("蒲公英", "xiaohongshu"),
    ("up主", "bilibili"),
    ("b站", "bilibili"),
    ("微博", "weibo"),
    ("视频号", "wechat_channels"),
    ("instagram", "instagram"),
    ("tiktok", "tiktok"),
    ("youtube", "youtube"),
    ("twitch", "twitch"),
    // Twitch's own stream statistics; no other platform's exports have this column.
    ("streamtime", "twitch"),
];

pub(super) fn plan(
    given: Option<&str>,
    file_name: &str,
    headers: &[String],
    column: &dyn Fn(&str) -> Vec<Option<String>>,
    hints: &[Option<(Hint, Strength)>],
    profiles: &[Profile],
) -> Option<PlatformPlan> {
    if let Some(p) = given.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()) {
        return Some(PlatformPlan::Fixed { platform: p, evidence: "given".into() });
    }
    for (i, h) in headers.iter().enumerate() {
        if !matches!(hints[i], Some((Hint::Platform, _))) {
            continue;
        }
        let values = column(h);
        let present: Vec<&str> = values.iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        let known = present.iter().filter(|v| canonical(v).is_some()).count();
        if !present.is_empty() && known * 10 >= present.len() * 8 {
            return Some(PlatformPlan::Column {
                column: h.clone(),
                evidence: format!("column '{h}': {known} of {} values name a platform", present.len()),
            });
        }
    }
    for (i, h) in headers.iter().enumerate() {
        if profiles[i].url < 0.8 {
            continue;
        }
        let values = column(h);
        let hosts: Vec<&str> = values.iter().flatten().filter_map(|v| of_url(v)).collect();
        if let Some(&first) = hosts.first()
            && hosts.iter().all(|p| *p == first)
            && hosts.len() * 10 >= profiles[i].present * 8
        {
            return Some(PlatformPlan::Fixed {
                platform: first.into(),
                evidence: format!("the links in column '{h}' are on {first}"),
            });
        }
    }
    for h in headers {
        let key = header_key(h);
        if let Some((word, p)) = HEADER_WORDS.iter().find(|(w, _)| key.contains(w)) {
            return Some(PlatformPlan::Fixed { platform: (*p).into(), evidence: format!("header '{h}' says {word}") });
        }
    }
    // Last, the file's name (`top_tiktok_creators.csv`): weak, and said so.
    let key = header_key(file_name);
    let mut named: Vec<&str> = crate::contract::KNOWN_PLATFORMS
        .iter()
        .map(|p| (p.replace('_', ""), *p))
        .chain(HEADER_WORDS.iter().map(|(w, p)| (w.to_string(), *p)))
        .chain([("insta".to_string(), "instagram"), ("xhs".to_string(), "xiaohongshu")])
        .filter(|(w, _)| key.contains(w.as_str()))
        .map(|(_, p)| p)
        .collect();
    named.sort_unstable();
    named.dedup();
    match named.as_slice() {
        [one] => Some(PlatformPlan::Fixed {
            platform: (*one).into(),
            evidence: format!("the file name '{file_name}' says {one}"),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_links_and_headers_give_the_platform() {
        assert_eq!(canonical(" Instagram "), Some("instagram"));
        assert_eq!(canonical("抖音"), Some("douyin"));
        assert_eq!(canonical("B站"), Some("bilibili"));
        assert_eq!(canonical("myspace"), None);
        assert_eq!(of_url("https://www.instagram.com/cristiano/"), Some("instagram"));
        assert_eq!(of_url("https://m.youtube.com/@MrBeast"), Some("youtube"));
        assert_eq!(of_url("https://notinstagram.com/x"), None, "a domain matches whole labels only");
        let headers = vec!["抖音号".to_string(), "粉丝数".to_string()];
        let col = |_: &str| vec![Some("x".to_string())];
        let hints: Vec<_> = headers.iter().map(|h| super::super::detect::hint(h)).collect();
        let profiles = vec![Profile::default(), Profile::default()];
        let p = plan(None, "list.csv", &headers, &col, &hints, &profiles).unwrap();
        assert_eq!(p, PlatformPlan::Fixed { platform: "douyin".into(), evidence: "header '抖音号' says 抖音".into() });
        let plain = vec!["Name".to_string()];
        let hints: Vec<_> = plain.iter().map(|h| super::super::detect::hint(h)).collect();
        let named = plan(None, "Top TikTok creators.csv", &plain, &col, &hints, &profiles[..1]).unwrap();
        assert_eq!(
            named,
            PlatformPlan::Fixed {
                platform: "tiktok".into(),
                evidence: "the file name 'Top TikTok creators.csv' says tiktok".into()
            }
        );
        assert_eq!(
            plan(None, "tiktok_vs_youtube.csv", &plain, &col, &hints, &profiles[..1]),
            None,
            "two names are no answer"
        );
        assert_eq!(
            plan(Some("Kuaishou"), "list.csv", &headers, &col, &hints, &profiles),
            Some(PlatformPlan::Fixed { platform: "kuaishou".into(), evidence: "given".into() })
        );
    }
}
