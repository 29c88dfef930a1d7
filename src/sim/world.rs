//! The simulated market's fixed facts: categories with their audiences, platforms with their
//! view, price and engagement levels, and countries.

/// A content category and the audience it draws (female share, five age-bucket shares).
pub struct Category {
    pub name: &'static str,
    /// Share of brands in this category.
    pub brand_weight: f64,
    /// Share of creators in this category.
    pub creator_weight: f64,
    pub female: f64,
    pub ages: [f64; 5],
    /// Categories in one group are related: a beauty brand fits a fashion creator half as well.
    pub group: u8,
    /// Average order value of the category's products (CNY).
    pub order_value: f64,
}

pub const CATEGORIES: [Category; 14] = [
    Category {
        name: "beauty",
        brand_weight: 0.16,
        creator_weight: 0.12,
        female: 0.85,
        ages: [0.12, 0.38, 0.32, 0.12, 0.06],
        group: 0,
        order_value: 180.0,
    },
    Category {
        name: "fashion",
        brand_weight: 0.14,
        creator_weight: 0.11,
        female: 0.75,
        ages: [0.12, 0.40, 0.30, 0.12, 0.06],
        group: 0,
        order_value: 260.0,
    },
    Category {
        name: "food",
        brand_weight: 0.12,
        creator_weight: 0.12,
        female: 0.60,
        ages: [0.06, 0.28, 0.32, 0.20, 0.14],
        group: 1,
        order_value: 70.0,
    },
    Category {
        name: "gaming",
        brand_weight: 0.06,
        creator_weight: 0.09,
        female: 0.20,
        ages: [0.25, 0.42, 0.22, 0.08, 0.03],
        group: 2,
        order_value: 120.0,
    },
    Category {
        name: "tech",
        brand_weight: 0.08,
        creator_weight: 0.06,
        female: 0.25,
        ages: [0.08, 0.32, 0.34, 0.17, 0.09],
        group: 2,
        order_value: 900.0,
    },
    Category {
        name: "travel",
        brand_weight: 0.05,
        creator_weight: 0.06,
        female: 0.55,
        ages: [0.04, 0.28, 0.34, 0.20, 0.14],
        group: 3,
        order_value: 1500.0,
    },
    Category {
        name: "fitness",
        brand_weight: 0.06,
        creator_weight: 0.06,
        female: 0.50,
        ages: [0.06, 0.36, 0.34, 0.16, 0.08],
        group: 3,
        order_value: 220.0,
    },
    Category {
        name: "parenting",
        brand_weight: 0.07,
        creator_weight: 0.06,
        female: 0.88,
        ages: [0.01, 0.12, 0.50, 0.27, 0.10],
        group: 1,
        order_value: 200.0,
    },
    Category {
        name: "finance",
        brand_weight: 0.04,
        creator_weight: 0.03,
        female: 0.35,
        ages: [0.02, 0.20, 0.36, 0.25, 0.17],
        group: 4,
        order_value: 600.0,
    },
    Category {
        name: "education",
        brand_weight: 0.05,
        creator_weight: 0.06,
        female: 0.55,
        ages: [0.20, 0.35, 0.25, 0.13, 0.07],
        group: 4,
        order_value: 400.0,
    },
    Category {
        name: "home",
        brand_weight: 0.06,
        creator_weight: 0.06,
        female: 0.70,
        ages: [0.02, 0.18, 0.36, 0.26, 0.18],
        group: 1,
        order_value: 300.0,
    },
    Category {
        name: "pets",
        brand_weight: 0.03,
        creator_weight: 0.05,
        female: 0.65,
        ages: [0.08, 0.32, 0.32, 0.17, 0.11],
        group: 1,
        order_value: 150.0,
    },
    Category {
        name: "auto",
        brand_weight: 0.03,
        creator_weight: 0.03,
        female: 0.15,
        ages: [0.03, 0.24, 0.36, 0.24, 0.13],
        group: 4,
        order_value: 2500.0,
    },
    Category {
        name: "entertainment",
        brand_weight: 0.05,
        creator_weight: 0.09,
        female: 0.50,
        ages: [0.18, 0.38, 0.26, 0.12, 0.06],
        group: 2,
        order_value: 90.0,
    },
];

/// Category fit of a brand and a creator: 1 for the same category, 0.5 within a group, else 0.
pub fn category_fit(brand_cat: usize, creator_cat: usize) -> f64 {
    if brand_cat == creator_cat {
        1.0
    } else if CATEGORIES[brand_cat].group == CATEGORIES[creator_cat].group {
        0.5
    } else {
        0.0
    }
}

/// A platform and its market levels.
pub struct Platform {
    pub name: &'static str,
    /// Share of creators on this platform.
    pub weight: f64,
    /// Chinese platform (creators' audiences are in CN) or global.
    pub chinese: bool,
    /// Average views per post per follower for a 10K-follower creator.
    pub view_rate: f64,
    /// Price per 1,000 nominal views (CNY) that a 50K-follower creator quotes.
    pub cpm: f64,
    /// Engagement per follower per post for a 10K-follower creator.
    pub engagement: f64,
    /// Shift of the audience's female share and of its age profile (+ older, − younger).
    pub female_shift: f64,
    pub age_shift: f64,
    /// Platform-wide click-through offset on the logit scale (link placement, shop integration).
    pub ctr_offset: f64,
}

pub const PLATFORMS: [Platform; 9] = [
    Platform {
        name: "douyin",
        weight: 0.28,
        chinese: true,
        view_rate: 0.30,
        cpm: 19.0,
        engagement: 0.045,
        female_shift: 0.0,
        age_shift: 0.0,
        ctr_offset: 0.15,
    },
    Platform {
        name: "kuaishou",
        weight: 0.14,
        chinese: true,
        view_rate: 0.25,
        cpm: 13.5,
        engagement: 0.050,
        female_shift: -0.05,
        age_shift: 0.2,
        ctr_offset: 0.10,
    },
    Platform {
        name: "xiaohongshu",
        weight: 0.16,
        chinese: true,
        view_rate: 0.20,
        cpm: 29.0,
        engagement: 0.040,
        female_shift: 0.15,
        age_shift: -0.1,
        ctr_offset: 0.25,
    },
    Platform {
        name: "bilibili",
        weight: 0.08,
        chinese: true,
        view_rate: 0.30,
        cpm: 17.0,
        engagement: 0.060,
        female_shift: -0.05,
        age_shift: -0.4,
        ctr_offset: -0.10,
    },
    Platform {
        name: "weibo",
        weight: 0.07,
        chinese: true,
        view_rate: 0.05,
        cpm: 23.0,
        engagement: 0.012,
        female_shift: 0.05,
        age_shift: 0.1,
        ctr_offset: -0.30,
    },
    Platform {
        name: "wechat_channels",
        weight: 0.06,
        chinese: true,
        view_rate: 0.15,
        cpm: 21.0,
        engagement: 0.030,
        female_shift: 0.0,
        age_shift: 0.5,
        ctr_offset: 0.05,
    },
    Platform {
        name: "instagram",
        weight: 0.09,
        chinese: false,
        view_rate: 0.20,
        cpm: 34.0,
        engagement: 0.025,
        female_shift: 0.08,
        age_shift: 0.0,
        ctr_offset: -0.05,
    },
    Platform {
        name: "tiktok",
        weight: 0.07,
        chinese: false,
        view_rate: 0.40,
        cpm: 21.0,
        engagement: 0.050,
        female_shift: 0.02,
        age_shift: -0.3,
        ctr_offset: 0.0,
    },
    Platform {
        name: "youtube",
        weight: 0.05,
        chinese: false,
        view_rate: 0.15,
        cpm: 38.0,
        engagement: 0.030,
        female_shift: -0.08,
        age_shift: 0.1,
        ctr_offset: -0.05,
    },
];

/// Audience countries of global-platform creators and global brands.
pub const GLOBAL_COUNTRIES: [(&str, f64); 8] =
    [("US", 0.30), ("ID", 0.15), ("BR", 0.12), ("IN", 0.12), ("GB", 0.08), ("MX", 0.08), ("DE", 0.08), ("JP", 0.07)];

/// Share of brands that market in China (the rest market globally).
pub const CHINESE_BRAND_SHARE: f64 = 0.75;

/// Share of creators in each tier (nano, micro, mid, macro, mega), and the Pareto exponent of
/// followers within a tier. Lists that brands see start at 1K followers.
pub const TIER_WEIGHTS: [f64; 5] = [0.40, 0.30, 0.22, 0.045, 0.035];
pub const TIER_BOUNDS: [(f64, f64); 5] = [(1e3, 1e4), (1e4, 5e4), (5e4, 5e5), (5e5, 1e6), (1e6, 1.5e8)];
pub const TIER_PARETO_ALPHA: [f64; 5] = [0.6, 0.8, 0.8, 1.0, 1.1];

/// Age profile shifted older (`shift` > 0) or younger, renormalised.
pub fn shift_ages(ages: &[f64; 5], shift: f64) -> [f64; 5] {
    let mut out = [0.0; 5];
    for (k, a) in ages.iter().enumerate() {
        out[k] = a * (shift * (k as f64 - 2.0) * 0.5).exp();
    }
    let s: f64 = out.iter().sum();
    out.map(|x| x / s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_profiles_are_distributions() {
        let close = |x: f64| (x - 1.0).abs() < 1e-9;
        assert!(close(CATEGORIES.iter().map(|c| c.brand_weight).sum()));
        assert!(close(CATEGORIES.iter().map(|c| c.creator_weight).sum()));
        assert!(close(PLATFORMS.iter().map(|p| p.weight).sum()));
        assert!(close(GLOBAL_COUNTRIES.iter().map(|c| c.1).sum()));
        assert!(close(TIER_WEIGHTS.iter().sum()));
        for c in &CATEGORIES {
            assert!(close(c.ages.iter().sum()), "{}", c.name);
        }
        let s = shift_ages(&CATEGORIES[0].ages, 0.5);
        assert!(close(s.iter().sum()) && s[4] > CATEGORIES[0].ages[4]);
    }
}
