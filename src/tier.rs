//! Follower tiers (nano, micro, mid, macro, mega): the size buckets used everywhere in kolrec.

use std::fmt;
use std::str::FromStr;

/// Follower-count tier. Boundaries are lower-inclusive: 10,000 followers is micro.
///
/// | tier  | followers        |
/// |-------|------------------|
/// | nano  | 1K – 10K (and below 1K) |
/// | micro | 10K – 50K        |
/// | mid   | 50K – 500K       |
/// | macro | 500K – 1M        |
/// | mega  | 1M and up        |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Nano,
    Micro,
    Mid,
    Macro,
    Mega,
}

impl Tier {
    pub const ALL: [Tier; 5] = [Tier::Nano, Tier::Micro, Tier::Mid, Tier::Macro, Tier::Mega];

    pub fn of(followers: f64) -> Tier {
        match followers {
            f if f >= 1_000_000.0 => Tier::Mega,
            f if f >= 500_000.0 => Tier::Macro,
            f if f >= 50_000.0 => Tier::Mid,
            f if f >= 10_000.0 => Tier::Micro,
            _ => Tier::Nano,
        }
    }

    /// Follower range `[lo, hi)` of the tier; `hi` is infinite for mega.
    pub fn range(self) -> (f64, f64) {
        match self {
            Tier::Nano => (0.0, 10_000.0),
            Tier::Micro => (10_000.0, 50_000.0),
            Tier::Mid => (50_000.0, 500_000.0),
            Tier::Macro => (500_000.0, 1_000_000.0),
            Tier::Mega => (1_000_000.0, f64::INFINITY),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Nano => "nano",
            Tier::Micro => "micro",
            Tier::Mid => "mid",
            Tier::Macro => "macro",
            Tier::Mega => "mega",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Tier, String> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown tier '{s}' (expected one of nano, micro, mid, macro, mega)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_lower_inclusive() {
        assert_eq!(Tier::of(9_999.0), Tier::Nano);
        assert_eq!(Tier::of(10_000.0), Tier::Micro);
        assert_eq!(Tier::of(49_999.0), Tier::Micro);
        assert_eq!(Tier::of(50_000.0), Tier::Mid);
        assert_eq!(Tier::of(500_000.0), Tier::Macro);
        assert_eq!(Tier::of(999_999.0), Tier::Macro);
        assert_eq!(Tier::of(1_000_000.0), Tier::Mega);
        for t in Tier::ALL {
            let (lo, _) = t.range();
            assert_eq!(Tier::of(lo.max(1.0)), t);
        }
    }

    #[test]
    fn parses_names_and_rejects_others() {
        assert_eq!("Micro".parse::<Tier>(), Ok(Tier::Micro));
        let err = "huge".parse::<Tier>().unwrap_err();
        assert!(err.contains("huge") && err.contains("nano"));
    }
}
