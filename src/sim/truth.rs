//! Reads a simulated market's ground truth back (`DIR/truth/`), aligned with a loaded dataset, so
//! that evaluation can score recommendations by what they would really have returned.

use std::path::Path;

use polars::prelude::*;

use super::market::{Brand, Coefficients, Creator, LATENT_DIM, Regime, expected_cpm, expected_ctr, expected_cvr};
use super::world::{CATEGORIES, PLATFORMS};
use crate::contract::Objective;
use crate::dataset::Dataset;
use crate::table::{self, TableError};

#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("truth file {file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// The hidden traits of every brand and creator of a dataset, in the dataset's order.
pub struct Truth {
    pub coefficients: Coefficients,
    pub brands: Vec<Brand>,
    pub creators: Vec<Creator>,
}

fn f64_col(df: &DataFrame, file: &str, name: &str) -> Result<Vec<f64>, TruthError> {
    let col =
        df.column(name).map_err(|_| TruthError::Invalid { file: file.into(), reason: format!("no column {name}") })?;
    let cast =
        col.cast(&DataType::Float64).map_err(|e| TruthError::Invalid { file: file.into(), reason: e.to_string() })?;
    Ok(cast.f64().expect("f64").iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn ids(df: &DataFrame, file: &str, name: &str) -> Result<Vec<String>, TruthError> {
    let col =
        df.column(name).map_err(|_| TruthError::Invalid { file: file.into(), reason: format!("no column {name}") })?;
    let s =
        col.cast(&DataType::String).map_err(|e| TruthError::Invalid { file: file.into(), reason: e.to_string() })?;
    Ok(s.str().expect("str").iter().map(|v| v.unwrap_or("").to_string()).collect())
}

fn latents(df: &DataFrame, file: &str) -> Result<Vec<[f64; LATENT_DIM]>, TruthError> {
    let cols: Vec<Vec<f64>> =
        (0..LATENT_DIM).map(|k| f64_col(df, file, &format!("latent_{k}"))).collect::<Result<_, _>>()?;
    Ok((0..df.height()).map(|r| std::array::from_fn(|k| cols[k][r])).collect())
}

impl Truth {
    /// `None` when `dir` has no `truth/` (real data); an error when it has one that does not fit.
    pub fn load(dir: &Path, ds: &Dataset) -> Result<Option<Truth>, TruthError> {
        let tdir = dir.join("truth");
        if !tdir.join("truth.json").is_file() {
            return Ok(None);
        }
        let meta: serde_json::Value = std::fs::read(tdir.join("truth.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| TruthError::Invalid { file: "truth.json".into(), reason: "not readable JSON".into() })?;
        let coefficients: Coefficients = serde_json::from_value(meta["coefficients"].clone())
            .map_err(|e| TruthError::Invalid { file: "truth.json".into(), reason: e.to_string() })?;

        let bt = table::read(&table::locate(&tdir, "brands")?)?;
        let bfile = bt.file_name();
        let b_index: std::collections::HashMap<String, usize> =
            ids(&bt.frame, &bfile, "brand_id")?.into_iter().enumerate().map(|(i, s)| (s, i)).collect();
        let order_value = f64_col(&bt.frame, &bfile, "order_value")?;
        let b_lat = latents(&bt.frame, &bfile)?;
        let mut brands = Vec::with_capacity(ds.brands.len());
        for (b, id) in ds.brands.id.iter().enumerate() {
            let t = *b_index
                .get(id)
                .ok_or_else(|| TruthError::Invalid { file: bfile.clone(), reason: format!("brand {id} missing") })?;
            let category = CATEGORIES.iter().position(|c| c.name == ds.brands.category[b]).unwrap_or(0);
            brands.push(Brand {
                id: id.clone(),
                name: String::new(),
                category,
                chinese: ds.brands.country[b] == "CN",
                country: "",
                female: f64::from(ds.brands.audience.female_share[b]),
                ages: std::array::from_fn(|k| f64::from(ds.brands.audience.ages[k][b])),
                budget: ds.brands.budget[b],
                latent: b_lat[t],
                order_value: order_value[t],
                arrival_day: 0,
                activity: 1.0,
                main_objective: Objective::Engagement,
            });
        }

        let it = table::read(&table::locate(&tdir, "influencers")?)?;
        let ifile = it.file_name();
        let i_index: std::collections::HashMap<String, usize> =
            ids(&it.frame, &ifile, "influencer_id")?.into_iter().enumerate().map(|(i, s)| (s, i)).collect();
        let quality = f64_col(&it.frame, &ifile, "quality")?;
        let fake = f64_col(&it.frame, &ifile, "fake_share")?;
        let i_lat = latents(&it.frame, &ifile)?;
        let inf = &ds.influencers;
        let mut creators = Vec::with_capacity(inf.len());
        for (i, id) in inf.id.iter().enumerate() {
            let t = *i_index.get(id).ok_or_else(|| TruthError::Invalid {
                file: ifile.clone(),
                reason: format!("influencer {id} missing"),
            })?;
            creators.push(Creator {
                id: id.clone(),
                handle: String::new(),
                platform: PLATFORMS.iter().position(|p| p.name == inf.platform[i]).unwrap_or(0),
                category: CATEGORIES.iter().position(|c| c.name == inf.category[i]).unwrap_or(0),
                country: "",
                followers: inf.followers[i],
                fake_share: fake[t],
                quality: quality[t],
                latent: i_lat[t],
                female: f64::from(inf.audience.female_share[i]),
                ages: std::array::from_fn(|k| f64::from(inf.audience.ages[k][i])),
                avg_views: inf.avg_views[i],
                engagement_rate: f64::from(inf.engagement_rate[i]),
                posts_per_week: f64::from(inf.posts_per_week[i]),
                sponsored_share: f64::from(inf.sponsored_share[i]),
                price_per_post: inf.price_per_post[i],
                regime: Regime::Steady,
            });
        }
        Ok(Some(Truth { coefficients, brands, creators }))
    }

    pub fn ctr(&self, b: usize, i: usize) -> f64 {
        expected_ctr(&self.coefficients, &self.brands[b], &self.creators[i])
    }

    pub fn cpm(&self, i: usize) -> f64 {
        expected_cpm(&self.coefficients, &self.creators[i])
    }

    /// True expected value per unit cost of a post, for an objective (clicks, impressions or
    /// revenue per unit cost).
    pub fn value(&self, objective: Objective, b: usize, i: usize) -> f64 {
        let per_imp = match objective {
            Objective::Reach => 1.0,
            Objective::Engagement => self.ctr(b, i),
            Objective::Conversion => {
                self.ctr(b, i)
                    * expected_cvr(&self.coefficients, &self.brands[b], &self.creators[i])
                    * self.brands[b].order_value
            }
        };
        per_imp * 1000.0 / self.cpm(i)
    }
}
