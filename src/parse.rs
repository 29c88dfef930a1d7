//! Value parsing: strict numbers and ISO dates for the data contract, and the forgiving number
//! parser (`48.5M`, `12.5万`, `3.5%`, `N/A`) used by the importer of real-world lists.

/// Outcome of parsing one messy cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Value(f64),
    /// An explicit "no value" marker: empty, `-`, `N/A`, `nan`, `NaN%`, `null`...
    Missing,
    /// Something was there but it is not a number.
    Invalid,
}

/// A cell that the strict contract parser does not accept as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotANumber;

/// Strict contract number: plain decimal or scientific notation. Empty means missing (`Ok(None)`).
pub fn strict_number(s: &str) -> Result<Option<f64>, NotANumber> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    // Rust's parser accepts "inf", "NaN" and "infinity": the contract does not.
    if !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')) {
        return Err(NotANumber);
    }
    t.parse::<f64>().map(Some).map_err(|_| NotANumber)
}

/// Tokens that mean "no value" in exported lists (compared case-insensitively after trimming).
const MISSING_TOKENS: &[&str] =
    &["", "-", "--", "—", "–", "n/a", "na", "nan", "none", "null", "nil", "#n/a", "nan%", "n/a%", "?", "无", "暂无"];

/// Parse a number as marketers' exports write it.
///
/// Accepted: thousands separators (`1,234`, `1 234`), suffixes `K`/`k` (10³), `M`/`m` (10⁶),
/// `B`/`b`/`bn` (10⁹), `w`/`W`/`万` (10⁴), `亿` (10⁸), `千` (10³), a trailing `%` (divided by 100),
/// scientific notation (`2.28E+11`), currency signs (`$ ¥ ￥ € £`), a leading `+`, and stray
/// quotes (`N/A'`). Missing markers are reported as [`Cell::Missing`], not as errors.
pub fn messy_number(raw: &str) -> Cell {
    let mut s: String = raw.trim().trim_matches(|c| c == '\'' || c == '"' || c == '`').trim().to_string();
    if MISSING_TOKENS.iter().any(|m| s.eq_ignore_ascii_case(m)) {
        return Cell::Missing;
    }
    s.retain(|c| !matches!(c, '$' | '¥' | '￥' | '€' | '£' | '+'));
    let mut scale = 1.0;
    let lower = s.to_lowercase();
    let mut body: &str = &lower;
    if let Some(b) = body.strip_suffix('%') {
        scale /= 100.0;
        body = b.trim_end();
        if body.eq_ignore_ascii_case("nan") || body.is_empty() {
            return Cell::Missing;
        }
    }
    for (suffix, mult) in
        [("bn", 1e9), ("亿", 1e8), ("万", 1e4), ("千", 1e3), ("k", 1e3), ("m", 1e6), ("b", 1e9), ("w", 1e4)]
    {
        if let Some(b) = body.strip_suffix(suffix) {
            scale *= mult;
            body = b.trim_end();
            break;
        }
    }
    let digits = normalise_separators(body);
    match strict_number(&digits) {
        Ok(Some(v)) if v.is_finite() => Cell::Value(v * scale),
        _ => Cell::Invalid,
    }
}

/// A share or rate as exports write it. A cell with `%` is divided by 100 once (`150%` stays 1.5,
/// which the caller reports as out of range rather than shrinking it to 0.015); a bare number is
/// divided by 100 when its column is written in percents (`bare_is_percent`: the header says `%`,
/// or most values exceed 1), and read as a fraction otherwise.
pub fn messy_share(raw: &str, bare_is_percent: bool) -> Cell {
    match messy_number(raw) {
        Cell::Value(x) if bare_is_percent && !has_percent_sign(raw) => Cell::Value(x / 100.0),
        c => c,
    }
}

/// Whether a cell is written with a trailing `%` (after the quotes exports leave around cells).
pub fn has_percent_sign(raw: &str) -> bool {
    raw.trim().trim_matches(|c| c == '\'' || c == '"' || c == '`').trim_end().ends_with('%')
}

/// Remove thousands separators: `1,234,567.5` and `1 234` become plain; a lone decimal comma
/// (`12,5`) becomes a point.
fn normalise_separators(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    if !s.contains(',') {
        return s;
    }
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let groups: Vec<&str> = int_part.split(',').collect();
    let thousands = groups.len() > 1
        && !groups[0].is_empty()
        && groups[0].trim_start_matches('-').len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if thousands {
        let mut out = groups.concat();
        if let Some(f) = frac {
            out.push('.');
            out.push_str(f);
        }
        out
    } else if groups.len() == 2 && frac.is_none() {
        format!("{}.{}", groups[0], groups[1])
    } else {
        s
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format days since the epoch as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time of day as ISO 8601 and common exports write it: `HH:MM`, `HH:MM:SS`, optional
/// fraction, optional `Z` or `±HH:MM` / `±HHMM` offset.
fn is_time(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_suffix("UTC").or_else(|| s.strip_suffix("utc")).map_or(s, str::trim_end);
    let (clock, zone) = match s.find(['Z', 'z', '+', '-']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let parts: Vec<&str> = hms.split(':').collect();
    let two = |p: &str, max: u32| {
        p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let clock_ok = matches!(parts.len(), 2 | 3)
        && two(parts[0], 23)
        && two(parts[1], 59)
        && parts.get(2).is_none_or(|p| two(p, 60))
        && frac.bytes().all(|c| c.is_ascii_digit())
        && (frac.is_empty() || parts.len() == 3);
    let zone_ok = match zone {
        "" | "Z" | "z" => true,
        z => {
            let z = z[1..].replace(':', "");
            z.len() == 4 && z.is_ascii() && two(&z[..2], 23) && two(&z[2..], 59)
        }
    };
    clock_ok && zone_ok
}

/// Seconds since the epoch as a UTC timestamp, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_timestamp(secs: u64) -> String {
    let (days, s) = ((secs / 86_400) as i32, secs % 86_400);
    format!("{}T{:02}:{:02}:{:02}Z", format_date(days), s / 3600, s / 60 % 60, s % 60)
}

/// Now, as [`format_timestamp`] writes it.
pub fn now_timestamp() -> String {
    format_timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Parse an ISO 8601 date (`YYYY-MM-DD`, optionally followed by `T` or a space and a time, which
/// is checked and then ignored) into days since 1970-01-01. The calendar date must exist;
/// anything after it that is not a time (`2025-01-05 garbage`) makes it no date.
pub fn iso_date(s: &str) -> Option<i32> {
    let t = s.trim();
    let date = match t.find(['T', ' ']) {
        Some(i) if is_time(&t[i + 1..]) => &t[..i],
        Some(_) => return None,
        None => t,
    };
    let b = date.as_bytes();
    // ASCII first: the fields below are cut by byte position.
    if b.len() != 10 || !date.is_ascii() || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &date[r];
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)? as i32, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Decode bytes as UTF-8, decoding every invalid byte as Windows-1252 (a superset of Latin-1's
/// printable range) instead of rejecting the file. Returns the text and how many bytes needed it.
pub fn decode_text(bytes: &[u8]) -> (String, usize) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut repaired = 0;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return (out, repaired);
            }
            Err(e) => {
                let good = e.valid_up_to();
                // SAFETY-free: the prefix was just validated.
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len() - good);
                for &b in &rest[good..good + bad] {
                    out.push(cp1252(b));
                }
                repaired += bad;
                rest = &rest[good + bad..];
            }
        }
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> f64 {
        match messy_number(s) {
            Cell::Value(x) => x,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn a_date_may_carry_a_time_but_nothing_else() {
        let d = iso_date("2025-01-05").unwrap();
        for ok in [
            "2025-01-05T10:30",
            "2025-01-05 10:30:00",
            "2025-01-05T10:30:00.123Z",
            "2025-01-05T23:59:59+08:00",
            "2025-01-05 00:00:00-0500",
            "2025-01-05 00:00:00 UTC",
        ] {
            assert_eq!(iso_date(ok), Some(d), "{ok}");
        }
        for bad in [
            "2025-01-05 garbage",
            "2025-01-05T",
            "2025-01-05T25:00",
            "2025-01-05 10:30 pm",
            "2025-01-05T10:30:00+8",
            "2025-01-05 10",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_contract_s_date_bounds_are_the_days_they_say() {
        assert_eq!(format_date(crate::contract::FIRST_DATE), "1990-01-01");
        assert_eq!(format_date(crate::contract::LAST_DATE), "2100-12-31");
    }

    #[test]
    fn timestamps_are_utc_iso_8601() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_000_000_000), "2001-09-09T01:46:40Z");
        assert_eq!(format_timestamp(951_868_799), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn messy_numbers_from_real_exports() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(v("48.5M"), 48_500_000.0));
        assert!(close(v("383.1K"), 383_100.0));
        assert!(close(v("97K"), 97_000.0));
        assert!(close(v("1,234"), 1234.0));
        assert!(close(v("1,234,567.5"), 1_234_567.5));
        assert!(close(v("12.5万"), 125_000.0));
        assert!(close(v("3.2亿"), 320_000_000.0));
        assert!(close(v("29.0b"), 29e9));
        assert!(close(v("1.2bn"), 1.2e9));
        assert!(close(v("3.5%"), 0.035));
        assert!(close(v("2.28E+11"), 2.28e11));
        assert!(close(v("348.5"), 348.5));
        assert!(close(v("12.5w"), 125_000.0));
        assert!(close(v(" ¥1 200 "), 1200.0));
        assert!(close(v("12,5"), 12.5));
        assert!(close(v("0"), 0.0));
    }

    #[test]
    fn shares_divide_a_percent_once_and_bare_numbers_by_their_columns_unit() {
        let v = |s: &str, pct: bool| match messy_share(s, pct) {
            Cell::Value(x) => x,
            c => panic!("{s}: {c:?}"),
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(v("35", true), 0.35) && close(v("35%", true), 0.35) && close(v(" 35 % ", false), 0.35));
        assert!(close(v("0.35", false), 0.35) && close(v("0.85", true), 0.0085), "a percent column's 0.85 is 0.85%");
        assert!(close(v("150%", true), 1.5) && close(v("150%", false), 1.5), "a % is divided once, not 0.015");
        assert!(close(v("35", false), 35.0), "a fraction column's 35 is left for the caller to refuse");
        assert_eq!(messy_share("N/A", true), Cell::Missing);
        assert!(has_percent_sign("'3.5%'") && !has_percent_sign("3.5"));
    }

    #[test]
    fn dates_and_times_with_multibyte_characters_are_no_dates_not_a_panic() {
        // Found by tests/integration/fuzz.rs: byte positions cut inside a character.
        assert_eq!(iso_date("2025-01-05T10:00+?ⶢ"), None);
        assert_eq!(iso_date("202５-01-05"), None);
        assert_eq!(iso_date("2025-0ⶢ-5"), None);
    }

    #[test]
    fn missing_markers_are_missing_not_invalid() {
        for s in ["", " ", "-", "N/A", "N/A'", "nan", "NaN", "NaN%", "null", "—"] {
            assert_eq!(messy_number(s), Cell::Missing, "{s:?}");
        }
        for s in ["abc", "#VALOR!", "12..5", "1.2.3M", "inf", "M"] {
            assert_eq!(messy_number(s), Cell::Invalid, "{s:?}");
        }
    }

    #[test]
    fn strict_numbers_reject_messy_forms() {
        assert_eq!(strict_number("1.5e3"), Ok(Some(1500.0)));
        assert_eq!(strict_number(""), Ok(None));
        assert!(strict_number("1,234").is_err());
        assert!(strict_number("12K").is_err());
        assert!(strict_number("NaN").is_err());
        assert!(strict_number("inf").is_err());
    }

    #[test]
    fn dates_round_trip_and_reject_impossible_days() {
        assert_eq!(iso_date("1970-01-01"), Some(0));
        assert_eq!(iso_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        assert_eq!(iso_date("2024-03-01T10:00:00Z"), iso_date("2024-03-01"));
        assert_eq!(iso_date("2023-02-29"), None);
        assert_eq!(iso_date("2023-13-01"), None);
        assert_eq!(iso_date("01/02/2023"), None);
        for d in [-1000, 0, 19_000, 20_454] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(format_date(iso_date("2025-12-31").unwrap()), "2025-12-31");
    }

    #[test]
    fn latin1_bytes_are_decoded_not_rejected() {
        let (s, n) = decode_text(b"\xEF\xBB\xBFname\r\n\xFD\xFD\xFD Kids,\x93q\x94\r\n");
        assert_eq!(s, "name\r\nýýý Kids,“q”\r\n");
        assert_eq!(n, 5);
        let (s, n) = decode_text("粉丝数".as_bytes());
        assert_eq!((s.as_str(), n), ("粉丝数", 0));
    }
}
