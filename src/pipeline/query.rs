//! The query side of a recommendation: a trained brand, or a new brand described by a brief,
//! resolved into the vector retrieval searches with and what the ranking and reasons need.

use serde::{Deserialize, Serialize};

use super::QueryError;
use crate::dataset::{Audience, Brands};

/// Who the recommendations are for.
#[derive(Clone, Debug, PartialEq)]
pub enum Who {
    /// A brand of the model, by ID.
    Brand(String),
    /// A brand described by features.
    Brief(Brief),
}

/// A new brand described by features, embedded as the model embeds brands without history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Brief {
    pub category: String,
    pub country: String,
    pub female_share: Option<f32>,
    /// Shares of the five contract age buckets.
    pub ages: Option<[f32; 5]>,
}

impl Brief {
    pub fn check(&self) -> Result<(), QueryError> {
        if self.category.trim().is_empty() {
            return Err(QueryError::invalid("brief.category", "is required: a brief needs a category"));
        }
        if let Some(f) = self.female_share.filter(|f| !(0.0..=1.0).contains(f)) {
            return Err(QueryError::invalid("brief.female_share", format!("is a share between 0 and 1, got {f}")));
        }
        if let Some(a) = self.ages {
            let sum: f32 = a.iter().sum();
            if a.iter().any(|x| !(0.0..=1.0).contains(x)) || (sum - 1.0).abs() > crate::contract::AGE_SUM_TOLERANCE {
                return Err(QueryError::invalid(
                    "brief.ages",
                    format!(
                        "needs five shares in 0..1 summing to 1 (buckets {}), got {a:?}",
                        crate::contract::AGE_BUCKETS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Brand `b` of a brands table as a brief (a brand new since training).
    pub fn of(brands: &Brands, b: usize) -> Brief {
        let some = |x: f32| x.is_finite().then_some(x);
        let ages: [f32; 5] = std::array::from_fn(|k| brands.audience.ages[k][b]);
        Brief {
            category: brands.category[b].clone(),
            country: brands.country[b].clone(),
            female_share: some(brands.audience.female_share[b]),
            ages: ages.iter().all(|a| a.is_finite()).then_some(ages),
        }
    }

    /// The brief as a one-row brands table, normalised as the loader normalises brands.
    pub fn as_brands(&self) -> Brands {
        let ages =
            self.ages.map_or_else(|| std::array::from_fn(|_| vec![f32::NAN]), |a| std::array::from_fn(|k| vec![a[k]]));
        Brands {
            id: vec!["(brief)".into()],
            category: vec![self.category.trim().to_lowercase()],
            name: vec![String::new()],
            country: vec![self.country.trim().to_uppercase()],
            audience: Audience { female_share: vec![self.female_share.unwrap_or(f32::NAN)], ages },
            budget: vec![f64::NAN],
        }
    }
}

/// A resolved query: its vector, the brand's model row (`None` for a brief or a brand new since
/// training), its category (for reasons), the profile of a brand without a model row (for the
/// ranking stage's features), and a label for output.
#[derive(Clone, Debug)]
pub struct Query {
    pub vector: Vec<f32>,
    pub brand: Option<usize>,
    pub category: Option<String>,
    /// The brand's features when it has no model row.
    pub profile: Option<Brief>,
    pub label: String,
}
