//! Searching listings: the user's words, filters, sorting, facet counts, snippets.
//!
//! The query text is parsed leniently: whatever a user types (`"`, `AND(`, `brand:`, 10 KB of
//! text) gives a search, never an error; what could not be understood is reported in
//! [`SearchResults::warnings`]. Words are required by default (`公牛 插座` finds listings
//! with both), each may match the title, the title's CJK n-grams (low boost), the
//! description, the brand or the model.

use crate::error::IndexError;
use crate::index::ListingIndex;
use crate::schema::{names, ListingFields, NO_MARKS};
use qsword_listing::{Decimal, Price};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::{AggregationResult, AggregationResults, BucketResult};
use tantivy::aggregation::{AggregationCollector, Key};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

/// The most hits one page may hold; page deeper with `offset`.
pub const MAX_PAGE: usize = 10_000;
/// How many distinct values each facet reports (the most frequent first).
pub const FACET_SIZE: u32 = 50;

/// What a user asks for. `SearchRequest::new("公牛 插座")` then set filters as needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// Free text; empty matches every listing (subject to the filters).
    pub query: String,
    /// Exact brand, case-insensitive (`philips` finds `Philips`).
    pub brand: Option<String>,
    /// Exact platform (host), case-insensitive.
    pub platform: Option<String>,
    /// Exact seller name, case-insensitive.
    pub seller: Option<String>,
    /// A category facet path prefix (`/家用电器/厨房电器`: the whole subtree) or a category
    /// slug (`household-appliances`).
    pub category: Option<String>,
    /// A mark scheme the listing claims (`CCC`), or `none` for listings claiming no mark.
    pub mark: Option<String>,
    /// Inclusive price bounds, compared with the amount whatever its currency.
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// Only listings scored at least this risky (unscored listings are left out).
    pub min_risk: Option<f64>,
    /// Also return delisted listings (left out by default).
    pub include_delisted: bool,
    pub sort: Sort,
    /// Hits per page, at most [`MAX_PAGE`].
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            brand: None,
            platform: None,
            seller: None,
            category: None,
            mark: None,
            min_price: None,
            max_price: None,
            min_risk: None,
            include_delisted: false,
            sort: Sort::Relevance,
            limit: 20,
            offset: 0,
        }
    }
}

impl SearchRequest {
    /// A request for `query` with no filters, by relevance, first 20 hits.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            ..Default::default()
        }
    }
}

/// Result order. Listings without the sort value (no price, not scored) come last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    RiskDesc,
    PriceAsc,
    PriceDesc,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Exact number of listings matching the query and filters (not just this page).
    pub total: usize,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
    /// Parts of the query that could not be understood and were searched literally or
    /// ignored (unbalanced quotes, unknown field names, …).
    pub warnings: Vec<String>,
}

/// One listing in the results, renderable without the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The store's listing id.
    pub id: u64,
    pub url: String,
    pub title: String,
    pub brand: Option<String>,
    pub platform: Option<String>,
    pub seller: Option<String>,
    pub price: Option<Price>,
    pub risk: Option<f64>,
    /// Mark schemes claimed, or `["none"]`.
    pub marks: Vec<String>,
    pub delisted: bool,
    /// Relevance (BM25); with another sort it only breaks ties.
    pub score: f32,
    /// The title (or description) with matched words in `<b>…</b>`; all other text is
    /// HTML-escaped, so it can be inserted into a page as is.
    pub snippet_html: String,
}

/// Counts over all matching listings (not just this page), most frequent first.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Facets {
    pub brand: Vec<FacetCount>,
    pub platform: Vec<FacetCount>,
}

/// How many matching listings have this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

impl ListingIndex {
    /// Runs a search on the index as of the last commit/reload.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let searcher = self.reader.searcher();
        let search_err = |source| IndexError::Search {
            dir: self.dir.clone(),
            query: req.query.clone(),
            source,
        };
        let (text_query, warnings) = self.parse_text(&req.query);
        let query = with_filters(&self.fields, text_query.box_clone(), req)?;

        let limit = req.limit.min(MAX_PAGE);
        // TopDocs panics on a zero limit; ask for one and drop it.
        let top = TopDocs::with_limit(limit.max(1)).and_offset(req.offset.min(usize::MAX / 2));
        let facets = AggregationCollector::from_aggs(facet_aggregations(), Default::default());
        let (total, mut page, aggregations) = match sort_field(req.sort) {
            None => {
                let (total, docs, aggs) = searcher
                    .search(&*query, &(Count, top, facets))
                    .map_err(search_err)?;
                (total, docs, aggs)
            }
            Some((field, ascending)) => {
                let by_value = top.tweak_score(move |segment: &SegmentReader| {
                    let column = segment
                        .fast_fields()
                        .column_opt::<f64>(field)
                        .ok()
                        .flatten();
                    move |doc: DocId, score: Score| {
                        let value = column.as_ref().and_then(|c| c.first(doc));
                        let key = match value {
                            Some(v) if ascending => -v,
                            Some(v) => v,
                            None => f64::NEG_INFINITY,
                        };
                        (key, score)
                    }
                });
                let (total, docs, aggs) = searcher
                    .search(&*query, &(Count, by_value, facets))
                    .map_err(search_err)?;
                let docs = docs
                    .into_iter()
                    .map(|((_, score), addr)| (score, addr))
                    .collect();
                (total, docs, aggs)
            }
        };
        page.truncate(limit);

        let snippets = Snippets::new(&searcher, &*text_query, &self.fields).map_err(search_err)?;
        let hits = page
            .into_iter()
            .map(|(score, addr)| self.hit(&searcher, &snippets, score, addr))
            .collect::<tantivy::Result<Vec<_>>>()
            .map_err(search_err)?;
        Ok(SearchResults {
            total,
            hits,
            facets: read_facets(aggregations),
            warnings,
        })
    }

    /// The user's words as a query over the text fields; never fails.
    fn parse_text(&self, text: &str) -> (Box<dyn Query>, Vec<String>) {
        if text.trim().is_empty() {
            return (Box::new(AllQuery), Vec::new());
        }
        let f = &self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![f.title, f.title_ngram, f.description, f.brand_text, f.model],
        );
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        parser.set_field_boost(f.title_ngram, 0.3);
        parser.set_field_boost(f.description, 0.5);
        parser.set_field_boost(f.brand_text, 1.5);
        parser.set_field_boost(f.model, 1.5);
        let (query, errors) = parser.parse_query_lenient(text);
        let mut warnings: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        if query.is::<EmptyQuery>() {
            warnings.push(format!("the query {text:?} contains no searchable words"));
        }
        (query, warnings)
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: &Snippets,
        score: Score,
        addr: DocAddress,
    ) -> tantivy::Result<SearchHit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str());
        let owned = |field: Field| text(field).map(str::to_string);
        let price = match (text(f.price), text(f.currency)) {
            (Some(amount), Some(currency)) => Price::new(amount, currency).ok(),
            _ => None,
        };
        let title = owned(f.title).unwrap_or_default();
        let description = text(f.description).unwrap_or_default();
        Ok(SearchHit {
            id: doc
                .get_first(f.id)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            url: owned(f.url).unwrap_or_default(),
            snippet_html: snippets.render(&title, description),
            title,
            brand: owned(f.brand),
            platform: owned(f.platform),
            seller: owned(f.seller),
            price,
            risk: doc.get_first(f.risk).and_then(|v| v.as_f64()),
            marks: doc
                .get_all(f.marks)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            delisted: doc
                .get_first(f.delisted)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            score,
        })
    }
}

/// The fast field to order by, and whether ascending; `None` for relevance.
fn sort_field(sort: Sort) -> Option<(&'static str, bool)> {
    match sort {
        Sort::Relevance => None,
        Sort::RiskDesc => Some((names::RISK, false)),
        Sort::PriceAsc => Some((names::PRICE_AMOUNT, true)),
        Sort::PriceDesc => Some((names::PRICE_AMOUNT, false)),
    }
}

/// ANDs the request's filters to the text query. Filters score zero so that they do not
/// change the relevance order.
fn with_filters(
    f: &ListingFields,
    text_query: Box<dyn Query>,
    req: &SearchRequest,
) -> Result<Box<dyn Query>, IndexError> {
    let term =
        |term: Term| -> Box<dyn Query> { Box::new(TermQuery::new(term, IndexRecordOption::Basic)) };
    let exact =
        |field, value: &str| term(Term::from_field_text(field, &value.trim().to_lowercase()));
    let mut filters: Vec<Box<dyn Query>> = Vec::new();
    if let Some(brand) = &req.brand {
        filters.push(exact(f.brand, brand));
    }
    if let Some(platform) = &req.platform {
        filters.push(exact(f.platform, platform));
    }
    if let Some(seller) = &req.seller {
        filters.push(exact(f.seller, seller));
    }
    if let Some(category) = &req.category {
        let category = category.trim();
        if category.starts_with('/') {
            let facet = Facet::from_text(category).map_err(|e| IndexError::Filter {
                field: "category",
                value: category.to_string(),
                reason: e.to_string(),
            })?;
            filters.push(term(Term::from_facet(f.category, &facet)));
        } else {
            filters.push(term(Term::from_field_text(f.category_slug, category)));
        }
    }
    if let Some(mark) = &req.mark {
        let mark = mark.trim();
        let value = if mark.eq_ignore_ascii_case(NO_MARKS) {
            NO_MARKS.to_string()
        } else {
            mark.to_uppercase()
        };
        filters.push(term(Term::from_field_text(f.marks, &value)));
    }
    if req.min_price.is_some() || req.max_price.is_some() {
        let bound = |name: &'static str, d: Option<Decimal>| -> Result<Option<Term>, IndexError> {
            d.map(|d| {
                d.to_f64()
                    .map(|v| Term::from_field_f64(f.price_amount, v))
                    .ok_or_else(|| IndexError::Filter {
                        field: name,
                        value: d.to_string(),
                        reason: "is not representable as a number".into(),
                    })
            })
            .transpose()
        };
        let lower = bound("min_price", req.min_price)?;
        let upper = bound("max_price", req.max_price)?;
        filters.push(Box::new(RangeQuery::new(included(lower), included(upper))));
    }
    if let Some(min_risk) = req.min_risk {
        if !min_risk.is_finite() {
            return Err(IndexError::Filter {
                field: "min_risk",
                value: min_risk.to_string(),
                reason: "must be a finite number between 0 and 1".into(),
            });
        }
        filters.push(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_f64(f.risk, min_risk)),
            Bound::Unbounded,
        )));
    }
    if !req.include_delisted {
        filters.push(term(Term::from_field_bool(f.delisted, false)));
    }
    if filters.is_empty() {
        return Ok(text_query);
    }
    let mut clauses = vec![(Occur::Must, text_query)];
    for filter in filters {
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>,
        ));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

fn included(term: Option<Term>) -> Bound<Term> {
    term.map_or(Bound::Unbounded, Bound::Included)
}

fn facet_aggregations() -> Aggregations {
    let terms = |field: &str| serde_json::json!({"terms": {"field": field, "size": FACET_SIZE}});
    serde_json::from_value(serde_json::json!({
        names::BRAND: terms(names::BRAND),
        names::PLATFORM: terms(names::PLATFORM),
    }))
    .expect("the facet aggregation request is well-formed")
}

fn read_facets(results: AggregationResults) -> Facets {
    let counts = |name: &str| -> Vec<FacetCount> {
        match results.0.get(name) {
            Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) => buckets
                .iter()
                .filter_map(|b| match &b.key {
                    Key::Str(value) => Some(FacetCount {
                        value: value.clone(),
                        count: b.doc_count,
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    Facets {
        brand: counts(names::BRAND),
        platform: counts(names::PLATFORM),
    }
}

/// Highlighting: the jieba words of the query first, then its n-grams (for a sub-word jieba
/// cut differently), then the description; else the escaped title.
struct Snippets {
    title: SnippetGenerator,
    title_ngram: SnippetGenerator,
    description: SnippetGenerator,
}

impl Snippets {
    /// Titles are short: highlight them whole. Descriptions: the best 200 characters.
    const TITLE_CHARS: usize = 1_000;
    const DESCRIPTION_CHARS: usize = 200;

    fn new(searcher: &Searcher, query: &dyn Query, f: &ListingFields) -> tantivy::Result<Self> {
        let generator = |field, max_chars| -> tantivy::Result<SnippetGenerator> {
            let mut g = SnippetGenerator::create(searcher, query, field)?;
            g.set_max_num_chars(max_chars);
            Ok(g)
        };
        Ok(Snippets {
            title: generator(f.title, Self::TITLE_CHARS)?,
            title_ngram: generator(f.title_ngram, Self::TITLE_CHARS)?,
            description: generator(f.description, Self::DESCRIPTION_CHARS)?,
        })
    }

    fn render(&self, title: &str, description: &str) -> String {
        for (generator, text) in [
            (&self.title, title),
            (&self.title_ngram, title),
            (&self.description, description),
        ] {
            let snippet = generator.snippet(text);
            if snippet.highlighted().is_empty() {
                continue;
            }
            let mut html = snippet.to_html();
            // tantivy ends a fragment at its last token, dropping trailing punctuation such
            // as a closing quote; when the fragment is the start of the text, restore the rest.
            if let Some(rest) = text.strip_prefix(snippet.fragment()) {
                if rest.chars().count() < 20 {
                    html.push_str(&escape(rest));
                }
            }
            return html;
        }
        escape(title)
    }
}

/// The same characters tantivy's snippets escape: `&`, `<`, `>`, `"`, `'`.
fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}
