//! Online queries: the top-k creators for a brand or a brief under filters, and lookalikes.

use super::{Engine, EngineError};
use crate::index::{Hit, TopK};
use crate::linalg::dot;
use crate::pipeline::rank::{Candidate, rank};
use crate::pipeline::{Answer, Filter, FilterSpec, Query, QueryError, Retriever, SearchPath, Who, check_k};

impl Engine {
    /// Resolve who the query is for into its vector and context.
    pub fn query(&self, who: &Who) -> Result<Query, QueryError> {
        match who {
            Who::Brand(id) => {
                let b = self.brand_row(id).ok_or_else(|| {
                    QueryError::unknown(
                        "brand_id",
                        format!("'{id}' is not a brand of the model; describe a new brand with a brief"),
                    )
                })?;
                Ok(Query {
                    vector: self.model.brand_vector(b).to_vec(),
                    brand: Some(b),
                    category: Some(self.catalog.brands.category[b].clone()),
                    profile: None,
                    label: format!("brand {id}"),
                })
            }
            Who::Brief(brief) => {
                brief.check()?;
                let category = brief.category.trim().to_lowercase();
                if self.categories.binary_search(&category).is_err() {
                    let names = self.categories.join(", ");
                    return Err(QueryError::unknown(
                        "brief.category",
                        format!("'{}': the model knows no such category (known: {names})", brief.category),
                    ));
                }
                Ok(Query {
                    vector: self.model.embed_brands(&brief.as_brands()),
                    brand: None,
                    category: Some(brief.category.trim().to_lowercase()),
                    profile: Some(brief.clone()),
                    label: format!("brief: category {}, country {}", brief.category, brief.country),
                })
            }
        }
    }

    /// The filter of one query: `spec` compiled, with the brand's past creators when asked;
    /// an error when it leaves nothing.
    pub fn filter_for(&self, spec: &FilterSpec, query: &Query) -> Result<Filter, QueryError> {
        self.compile(spec)?.for_brand(&self.catalog, query.brand)?.non_empty(spec)
    }

    /// Retrieval then ranking: the best `k` creators `filter` allows for `query`, scored by the
    /// ranking stage. `ef` overrides the index's candidate list.
    pub fn ranked(&self, query: &Query, k: usize, filter: &Filter, ef: Option<usize>) -> (Vec<Hit>, SearchPath) {
        self.ranked_by(self.retriever(), query, k, filter, ef)
    }

    /// The ranking stage's score of each of the model's creators `rows` for `query` (the rows are
    /// the candidates, as when a list is scored).
    pub fn score_rows(&self, query: &Query, rows: &[usize]) -> Vec<f32> {
        let candidates: Vec<Candidate> = rows.iter().map(|&i| Candidate::Known(i)).collect();
        let retrieval: Vec<f32> = rows.iter().map(|&i| dot(&query.vector, self.model.influencer_vector(i))).collect();
        self.ranker.score(query, &candidates, &retrieval)
    }

    /// [`Engine::ranked`] with retrieval by exact scan, whatever the index.
    pub fn ranked_exact(&self, query: &Query, k: usize, filter: &Filter) -> Vec<Hit> {
        self.ranked_by(self.exact_retriever(), query, k, filter, None).0
    }

    fn ranked_by(
        &self,
        retriever: Retriever,
        query: &Query,
        k: usize,
        filter: &Filter,
        ef: Option<usize>,
    ) -> (Vec<Hit>, SearchPath) {
        let (mut hits, path) = retriever.top_k(&query.vector, self.candidates(k), filter, ef, false);
        rank(self.ranker.as_ref(), query, &mut hits);
        hits.truncate(k);
        (hits, path)
    }

    /// The top `k` creators for a brand (or brief) under `filters`, with predictions and reasons.
    pub fn recommend(&self, who: &Who, k: usize, filters: &FilterSpec) -> Result<Answer, EngineError> {
        check_k(k)?;
        let query = self.query(who)?;
        let filter = self.filter_for(filters, &query)?;
        let (hits, path) = self.ranked(&query, k, &filter, None);
        Ok(Answer {
            results: self.rows().recommendations(&query, &hits),
            query: query.label,
            path,
            ranker: self.ranker.name(),
            candidates: filter.allowed(),
        })
    }

    /// Lookalikes: creators whose learned factors point the same way as `influencer`'s (cosine
    /// over the core factors, without the bias and cost slots), by an exact scan of the allowed.
    pub fn similar(&self, influencer: &str, k: usize, filters: &FilterSpec) -> Result<Answer, EngineError> {
        check_k(k)?;
        let i0 = self.creator_row(influencer).ok_or_else(|| {
            QueryError::unknown("influencer_id", format!("'{influencer}' is not a creator of the model"))
        })?;
        if filters.exclude_worked {
            return Err(
                QueryError::contradictory("filters.exclude_worked", "applies to a brand, not to lookalikes").into()
            );
        }
        let filter = self.compile(filters)?.non_empty(filters)?;
        let (d, f) = (self.model.dim(), self.model.params.factors);
        let core = |i: usize| &self.model.influencer_vectors[i * d..i * d + f];
        let q = core(i0);
        let qn = dot(q, q).sqrt().max(f32::MIN_POSITIVE);
        let mut top = TopK::new(k);
        for j in (0..self.catalog.len() as u32).filter(|&j| j as usize != i0 && filter.allows(j)) {
            let v = core(j as usize);
            let vn = dot(v, v).sqrt().max(f32::MIN_POSITIVE);
            top.push(Hit { item: j, score: dot(q, v) / (qn * vn) });
        }
        Ok(Answer {
            query: format!("lookalikes of {influencer}"),
            path: SearchPath::Exact,
            ranker: "cosine",
            candidates: filter.allowed(),
            results: self.rows().lookalikes(i0, &top.into_sorted()),
        })
    }
}
