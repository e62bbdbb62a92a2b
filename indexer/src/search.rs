//! Running a [`SearchRequest`]: the user's words, filters, sorting, facet counts, snippets,
//! and the export of every hit.
//!
//! The query text is parsed leniently: whatever a user types (`"`, `AND(`, `nosuchfield:`,
//! 10 KB of text) gives a search, never an error; what could not be understood is reported in
//! [`SearchResults::warnings`]. Words are required by default (`公牛 插座` finds listings
//! with both), each may match the title, the title's CJK n-grams (low boost), the
//! description, the brand or the model.

use crate::error::IndexError;
use crate::facets::{top_values, CategoryCount, Facets, ValueTally};
use crate::index::ListingIndex;
use crate::request::{Delisted, SearchHit, SearchRequest, SearchResults, Sort, MAX_PAGE};
use crate::schema::{names, ListingFields, NO_MARKS};
use chrono::{DateTime, Utc};
use qsword_listing::text::fold;
use qsword_listing::{Decimal, Price};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::ops::Bound;
use tantivy::collector::{Collector, Count, FacetCollector, SegmentCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument, Term,
};

/// Queries longer than this many words are cut (with a warning): nobody types more, and a
/// pasted page of text would otherwise become thousands of required clauses.
pub const MAX_QUERY_WORDS: usize = 64;

/// Field names a user may write before a colon (`brand:philips`); anything else followed by a
/// colon is searched as words (`nosuchfield:插座` → `nosuchfield 插座`), with a warning.
const QUERY_FIELDS: &[&str] = &[
    names::TITLE,
    names::DESCRIPTION,
    names::BRAND,
    names::MODEL,
    names::SELLER,
    names::PLATFORM,
    names::URL,
];

impl ListingIndex {
    /// Runs a search on the index as of the last commit/reload.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let searcher = self.reader.searcher();
        let search_err = self.search_error(req);
        let (text_query, query, warnings) = self.queries(req)?;

        let limit = req.limit.min(MAX_PAGE);
        // TopDocs panics on a zero limit; ask for one and drop it.
        let top = TopDocs::with_limit(limit.max(1)).and_offset(req.offset.min(usize::MAX / 2));
        // Browsing everything (the console's landing page, "all, riskiest first"): the total
        // and facets are those of the index as committed, counted once per commit.
        let cached = req
            .browses_everything()
            .then(|| self.everything_counts(&searcher, req));
        let cached = cached.transpose()?;
        let facets = (req.facets && cached.is_none()).then(|| self.facet_collectors(req));
        let (total, mut page, facet_fruit) = match sort_key(req.sort) {
            None => searcher
                .search(&*query, &(Count, top, facets))
                .map_err(&search_err)?,
            Some(key) => {
                let by_value = top.tweak_score(move |segment: &SegmentReader| {
                    let value = key.reader(segment);
                    move |doc: DocId, score: Score| (value(doc), score)
                });
                let (total, docs, facets) = searcher
                    .search(&*query, &(Count, by_value, facets))
                    .map_err(&search_err)?;
                let docs = docs
                    .into_iter()
                    .map(|((_, score), addr)| (score, addr))
                    .collect();
                (total, docs, facets)
            }
        };
        page.truncate(limit);

        let snippets = Snippets::new(&searcher, &*text_query, &self.fields).map_err(&search_err)?;
        let hits = page
            .into_iter()
            .map(|(score, addr)| self.hit(&searcher, Some(&snippets), score, addr))
            .collect::<tantivy::Result<Vec<_>>>()
            .map_err(&search_err)?;
        let (total, facets) = match cached {
            Some((total, facets)) => (
                total,
                if req.facets {
                    facets
                } else {
                    Facets::default()
                },
            ),
            None => (
                total,
                facet_fruit
                    .map(|(values, categories)| read_facets(values, categories, req))
                    .unwrap_or_default(),
            ),
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
            warnings,
        })
    }

    /// Every listing matching `req` (its `limit` and `offset` ignored), in the request's order,
    /// without snippets: for CSV/JSONL exports of all hits, however many. Memory is a few
    /// bytes per hit until the hits are read; each hit's stored fields are read as iterated.
    pub fn export(&self, req: &SearchRequest) -> Result<Export, IndexError> {
        let searcher = self.reader.searcher();
        let search_err = self.search_error(req);
        let (_, query, warnings) = self.queries(req)?;
        let mut hits = searcher
            .search(
                &*query,
                &AllHits {
                    key: sort_key(req.sort),
                },
            )
            .map_err(&search_err)?;
        // Highest key first, then best score, then index order: the same order as `search`.
        hits.sort_by(|a, b| {
            b.key
                .total_cmp(&a.key)
                .then(b.score.total_cmp(&a.score))
                .then(a.addr.cmp(&b.addr))
        });
        Ok(Export {
            index: self.clone(),
            searcher,
            hits: hits.into_iter(),
            warnings,
        })
    }

    /// The user's words alone (for snippets), the words with the request's filters (for
    /// matching), and the warnings about the words.
    #[allow(clippy::type_complexity)]
    fn queries(
        &self,
        req: &SearchRequest,
    ) -> Result<(Box<dyn Query>, Box<dyn Query>, Vec<String>), IndexError> {
        let (text_query, warnings) = self.parse_text(&req.query);
        let query = with_filters(&self.fields, self.rates.base(), text_query.box_clone(), req)?;
        Ok((text_query, query, warnings))
    }

    fn search_error(
        &self,
        req: &SearchRequest,
    ) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
        let query = req.query.clone();
        move |source| IndexError::Search {
            dir: self.dir.clone(),
            query: query.clone(),
            source,
        }
    }

    /// The total and facets of a request that [browses everything](SearchRequest::browses_everything),
    /// from the cache when this searcher's commit was counted already.
    fn everything_counts(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
    ) -> Result<(usize, Facets), IndexError> {
        let generation = searcher.generation().generation_id();
        let mut cache = self
            .everything
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hit) = cache
            .iter()
            .find(|c| c.generation == generation && c.delisted == req.delisted)
        {
            return Ok((hit.total, hit.facets.clone()));
        }
        let counting = SearchRequest {
            facets: true,
            limit: 0,
            offset: 0,
            sort: Sort::Relevance,
            ..req.clone()
        };
        let (_, query, _) = self.queries(&counting)?;
        let (total, (values, categories)) = searcher
            .search(&*query, &(Count, self.facet_collectors(&counting)))
            .map_err(&self.search_error(req))?;
        let facets = read_facets(values, categories, &counting);
        cache.retain(|c| c.generation == generation);
        cache.push(EverythingCounts {
            generation,
            delisted: req.delisted,
            total,
            facets: facets.clone(),
        });
        Ok((total, facets))
    }

    fn facet_collectors(&self, req: &SearchRequest) -> (ValueTally, FacetCollector) {
        let mut categories = FacetCollector::for_field(names::CATEGORY);
        categories.add_facet(browsed_category(req));
        (
            ValueTally {
                fields: vec![names::BRAND, names::PLATFORM, names::SELLER, names::MARKS],
            },
            categories,
        )
    }

    /// The user's words as a query over the text fields; never fails.
    fn parse_text(&self, text: &str) -> (Box<dyn Query>, Vec<String>) {
        let (text, mut warnings) = prepare_query(text, &self.brand_names);
        if text.trim().is_empty() {
            return (Box::new(AllQuery), warnings);
        }
        let f = &self.fields;
        let mut parser = QueryParser::new(
            self.index.schema(),
            vec![f.title, f.title_ngram, f.description, f.brand_text, f.model],
            self.query_tokenizers.clone(),
        );
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        parser.set_field_boost(f.title_ngram, 0.3);
        parser.set_field_boost(f.description, 0.5);
        parser.set_field_boost(f.brand_text, 1.5);
        parser.set_field_boost(f.model, 1.5);
        let (query, errors) = parser.parse_query_lenient(&text);
        warnings.extend(errors.iter().map(|e| e.to_string()));
        // "AND(" parses to a boolean query over nothing: as empty as EmptyQuery, and as silent.
        let mut terms = 0usize;
        query.query_terms(&mut |_, _| terms += 1);
        if query.is::<EmptyQuery>() || (terms == 0 && !query.is::<AllQuery>()) {
            warnings.push(format!("the query {text:?} contains no searchable words"));
        }
        (query, warnings)
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: Option<&Snippets>,
        score: Score,
        addr: DocAddress,
    ) -> tantivy::Result<SearchHit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str());
        let owned = |field: Field| text(field).map(str::to_string);
        let date = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_datetime())
                .and_then(|d| DateTime::<Utc>::from_timestamp(d.into_timestamp_secs(), 0))
        };
        let price = match (text(f.price), text(f.currency)) {
            (Some(amount), Some(currency)) => Price::new(amount, currency).ok(),
            _ => None,
        };
        let title = owned(f.title).unwrap_or_default();
        let snippet_html = match snippets {
            Some(s) => s.render(&title, text(f.description).unwrap_or_default()),
            None => String::new(),
        };
        Ok(SearchHit {
            id: doc
                .get_first(f.id)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            url: owned(f.url).unwrap_or_default(),
            snippet_html,
            title,
            brand: owned(f.brand),
            platform: owned(f.platform),
            seller: owned(f.seller),
            price,
            category: owned(f.category_slug),
            category_path: doc
                .get_first(f.category)
                .and_then(|v| v.as_facet())
                .and_then(|path| Facet::from_encoded(path.as_bytes().to_vec()).ok())
                .map(|facet| facet.to_path_string()),
            risk: doc.get_first(f.risk).and_then(|v| v.as_f64()),
            marks: doc
                .get_all(f.marks)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            delisted: doc
                .get_first(f.delisted)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            first_seen: date(f.first_seen),
            last_seen: date(f.last_seen),
            score,
        })
    }
}

/// Every hit of an [`ListingIndex::export`], in order; reading each one reads its stored
/// fields. The index as of the export's start is read throughout, whatever commits follow.
pub struct Export {
    index: ListingIndex,
    searcher: Searcher,
    hits: std::vec::IntoIter<KeyedHit>,
    /// As in [`SearchResults::warnings`].
    pub warnings: Vec<String>,
}

impl Export {
    /// How many hits are left to read (all of them before the first `next`).
    pub fn remaining(&self) -> usize {
        self.hits.len()
    }
}

impl Iterator for Export {
    type Item = Result<SearchHit, IndexError>;

    fn next(&mut self) -> Option<Self::Item> {
        let hit = self.hits.next()?;
        Some(
            self.index
                .hit(&self.searcher, None, hit.score, hit.addr)
                .map_err(|source| IndexError::Search {
                    dir: self.index.dir.clone(),
                    query: "(export)".into(),
                    source,
                }),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.hits.size_hint()
    }
}

/// Cuts what no user types (more than [`MAX_QUERY_WORDS`] words; `field:` prefixes that name
/// no field; an unmatched quote; unbalanced brackets) and says so, so the parser sees a query
/// it can take literally.
fn prepare_query(text: &str, brands: &BrandNames) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let balanced = balance(text, &mut warnings);
    let words: Vec<&str> = balanced.split_whitespace().collect();
    let kept = if words.len() > MAX_QUERY_WORDS {
        warnings.push(format!(
            "the query has {} words; only the first {MAX_QUERY_WORDS} were searched",
            words.len()
        ));
        &words[..MAX_QUERY_WORDS]
    } else {
        &words[..]
    };
    // A query of nothing but operators ("AND", "-", "||") asks for nothing; tantivy would
    // silently match nothing. Search the operators as words instead, and say so.
    let is_operator = |w: &&str| {
        matches!(*w, "AND" | "OR" | "NOT" | "&&" | "||" | "!")
            || w.chars()
                .all(|c| matches!(c, '+' | '-' | '!' | '^' | '~' | '*'))
    };
    if !kept.is_empty() && kept.iter().all(is_operator) {
        warnings.push(format!(
            "the query {:?} is only operators, with no words to apply them to; searched as words",
            kept.join(" ")
        ));
        let quoted: Vec<String> = kept.iter().map(|w| format!("\"{w}\"")).collect();
        return (quoted.join(" "), warnings);
    }
    let mut out = Vec::with_capacity(kept.len());
    let mut in_phrase = false;
    for word in kept {
        let phrase_word = in_phrase || word.contains('"');
        in_phrase ^= word.matches('"').count() % 2 == 1;
        let bare = word.trim_start_matches(['+', '-', '(']);
        let prefix = &word[..word.len() - bare.len()];
        match bare.split_once(':') {
            Some((field, value)) if !field.is_empty() && !QUERY_FIELDS.contains(&field) => {
                warnings.push(format!(
                    "there is no field {field:?} (fields: {}); {value:?} was searched everywhere",
                    QUERY_FIELDS.join(", ")
                ));
                if !value.is_empty() {
                    out.push(format!("{prefix}{value}"));
                }
            }
            _ if prefix.is_empty() && !phrase_word && !bare.contains([':', ')']) => {
                out.push(brands.any_name_of(bare).unwrap_or_else(|| bare.to_string()))
            }
            _ => out.push(word.to_string()),
        }
    }
    (out.join(" "), warnings)
}

/// Counts of the whole index as of one commit, for one `delisted` mode.
#[derive(Debug)]
pub(crate) struct EverythingCounts {
    generation: u64,
    delisted: Delisted,
    total: usize,
    facets: Facets,
}

/// The protected brands' names, so that a search for one of a brand's names finds the
/// listings that use another: 飞利浦 finds "PHILIPS", Midea finds 美的.
#[derive(Debug, Default)]
pub(crate) struct BrandNames {
    /// A folded name (see [`qsword_listing::text::fold`]) → every name of its brand.
    by_name: HashMap<String, Vec<String>>,
}

impl BrandNames {
    pub(crate) fn of(catalogue: &qsword_listing::catalogue::Catalogue) -> Self {
        let mut by_name = HashMap::new();
        for brand in &catalogue.brands {
            // Chinese and English names; aliases are spellings that already hold one of them.
            let names: Vec<String> = brand
                .names_zh
                .iter()
                .chain(&brand.names_en)
                .cloned()
                .collect();
            if names.len() < 2 {
                continue;
            }
            for name in brand.names() {
                by_name.insert(fold(name), names.clone());
            }
        }
        BrandNames { by_name }
    }

    /// `(飞利浦 OR "Philips")` for a word that is a brand's name, in the query grammar.
    fn any_name_of(&self, word: &str) -> Option<String> {
        let names = self.by_name.get(&fold(word))?;
        let mut alternatives = vec![word.to_string()];
        alternatives.extend(
            names
                .iter()
                .filter(|n| fold(n) != fold(word))
                .map(|n| format!("\"{}\"", n.replace('"', ""))),
        );
        Some(format!("({})", alternatives.join(" OR ")))
    }
}

/// Drops the last quote when quotes are unmatched, and every bracket when brackets do not
/// pair up, with a warning each: the parser would otherwise guess, silently.
fn balance(text: &str, warnings: &mut Vec<String>) -> String {
    let mut out = text.to_string();
    if out.matches('"').count() % 2 == 1 {
        let at = out.rfind('"').expect("an odd count is at least one");
        out.remove(at);
        warnings.push("an unmatched \" was ignored".to_string());
    }
    let mut depth = 0i64;
    let mut paired = true;
    for c in out.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => paired = false,
            ')' => depth -= 1,
            _ => {}
        }
    }
    if !paired || depth != 0 {
        out = out.replace(['(', ')'], " ");
        warnings.push("unbalanced brackets were ignored".to_string());
    }
    out
}

/// The facet the category counts are the children of: the filtered category path, or the root.
fn browsed_category(req: &SearchRequest) -> Facet {
    req.category
        .as_deref()
        .map(str::trim)
        .filter(|c| c.starts_with('/'))
        .and_then(|c| Facet::from_text(c.trim_end_matches('/')).ok())
        .unwrap_or_else(Facet::root)
}

/// A fast field to order by: its value as an `f64` key, highest first. Missing values sort last.
#[derive(Clone, Copy)]
enum SortKey {
    F64 {
        field: &'static str,
        ascending: bool,
    },
    Date {
        field: &'static str,
    },
}

fn sort_key(sort: Sort) -> Option<SortKey> {
    match sort {
        Sort::Relevance => None,
        Sort::RiskDesc => Some(SortKey::F64 {
            field: names::RISK,
            ascending: false,
        }),
        Sort::PriceAsc => Some(SortKey::F64 {
            field: names::PRICE_BASE,
            ascending: true,
        }),
        Sort::PriceDesc => Some(SortKey::F64 {
            field: names::PRICE_BASE,
            ascending: false,
        }),
        Sort::Newest => Some(SortKey::Date {
            field: names::FIRST_SEEN,
        }),
    }
}

impl SortKey {
    /// The key of each document of `segment` (a closure over its column).
    fn reader(self, segment: &SegmentReader) -> Box<dyn Fn(DocId) -> f64 + Send + Sync> {
        let fast = segment.fast_fields();
        match self {
            SortKey::F64 { field, ascending } => {
                let column = fast.column_opt::<f64>(field).ok().flatten();
                Box::new(
                    move |doc| match column.as_ref().and_then(|c| c.first(doc)) {
                        Some(v) if ascending => -v,
                        Some(v) => v,
                        None => f64::NEG_INFINITY,
                    },
                )
            }
            SortKey::Date { field } => {
                let column = fast.column_opt::<tantivy::DateTime>(field).ok().flatten();
                Box::new(move |doc| {
                    column
                        .as_ref()
                        .and_then(|c| c.first(doc))
                        .map_or(f64::NEG_INFINITY, |d| d.into_timestamp_secs() as f64)
                })
            }
        }
    }
}

/// One hit of an export: where it is and what it sorts by.
struct KeyedHit {
    key: f64,
    score: Score,
    addr: DocAddress,
}

/// Collects every matching document with its sort key (the score for relevance).
struct AllHits {
    key: Option<SortKey>,
}

struct SegmentHits {
    segment: SegmentOrdinal,
    key: Option<Box<dyn Fn(DocId) -> f64 + Send + Sync>>,
    hits: Vec<KeyedHit>,
}

impl Collector for AllHits {
    type Fruit = Vec<KeyedHit>;
    type Child = SegmentHits;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentHits> {
        Ok(SegmentHits {
            segment,
            key: self.key.map(|k| k.reader(reader)),
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.key.is_none()
    }

    fn merge_fruits(&self, fruits: Vec<Vec<KeyedHit>>) -> tantivy::Result<Vec<KeyedHit>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentHits {
    type Fruit = Vec<KeyedHit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let key = match &self.key {
            Some(key) => key(doc),
            None => score as f64,
        };
        self.hits.push(KeyedHit {
            key,
            score,
            addr: DocAddress::new(self.segment, doc),
        });
    }

    fn harvest(self) -> Vec<KeyedHit> {
        self.hits
    }
}

/// ANDs the request's filters to the text query. Filters score zero so that they do not
/// change the relevance order.
fn with_filters(
    f: &ListingFields,
    base: qsword_listing::Currency,
    text_query: Box<dyn Query>,
    req: &SearchRequest,
) -> Result<Box<dyn Query>, IndexError> {
    let term =
        |term: Term| -> Box<dyn Query> { Box::new(TermQuery::new(term, IndexRecordOption::Basic)) };
    let exact =
        |field, value: &str| term(Term::from_field_text(field, &value.trim().to_lowercase()));
    let mark_term = |mark: &str| {
        let mark = mark.trim();
        let value = if mark.eq_ignore_ascii_case(NO_MARKS) {
            NO_MARKS.to_string()
        } else {
            mark.to_uppercase()
        };
        term(Term::from_field_text(f.marks, &value))
    };
    let mut must: Vec<Box<dyn Query>> = Vec::new();
    let mut must_not: Vec<Box<dyn Query>> = Vec::new();
    if let Some(brand) = &req.brand {
        must.push(exact(f.brand, brand));
    }
    if let Some(platform) = &req.platform {
        must.push(exact(f.platform, platform));
    }
    if let Some(seller) = &req.seller {
        must.push(exact(f.seller, seller));
    }
    if let Some(category) = &req.category {
        let category = category.trim();
        if category.starts_with('/') {
            let facet = Facet::from_text(category.trim_end_matches('/')).map_err(|e| {
                IndexError::Filter {
                    field: "category",
                    value: category.to_string(),
                    reason: e.to_string(),
                }
            })?;
            must.push(term(Term::from_facet(f.category, &facet)));
        } else {
            must.push(term(Term::from_field_text(f.category_slug, category)));
        }
    }
    if let Some(mark) = &req.mark {
        must.push(mark_term(mark));
    }
    if let Some(mark) = &req.without_mark {
        must_not.push(mark_term(mark));
    }
    if req.min_price.is_some() || req.max_price.is_some() {
        let bound = |name: &'static str, d: Option<Decimal>| -> Result<Option<Term>, IndexError> {
            d.map(|d| {
                d.to_f64()
                    .map(|v| Term::from_field_f64(f.price_base, v))
                    .ok_or_else(|| IndexError::Filter {
                        field: name,
                        value: format!("{d} {base}", base = base.as_str()),
                        reason: "is not representable as a number".into(),
                    })
            })
            .transpose()
        };
        let lower = bound("min_price", req.min_price)?;
        let upper = bound("max_price", req.max_price)?;
        must.push(Box::new(RangeQuery::new(included(lower), included(upper))));
    }
    if req.min_risk.is_some() || req.max_risk.is_some() {
        let bound = |name: &'static str, r: Option<f64>| -> Result<Option<Term>, IndexError> {
            r.map(|r| {
                if r.is_finite() {
                    Ok(Term::from_field_f64(f.risk, r))
                } else {
                    Err(IndexError::Filter {
                        field: name,
                        value: r.to_string(),
                        reason: "must be a finite number between 0 and 1".into(),
                    })
                }
            })
            .transpose()
        };
        let lower = bound("min_risk", req.min_risk)?;
        let upper = bound("max_risk", req.max_risk)?;
        must.push(Box::new(RangeQuery::new(included(lower), included(upper))));
    }
    for (field, from, to) in [
        (f.first_seen, req.first_seen_from, req.first_seen_to),
        (f.last_seen, req.last_seen_from, req.last_seen_to),
    ] {
        if from.is_some() || to.is_some() {
            let bound = |t: Option<DateTime<Utc>>| {
                t.map(|t| {
                    Term::from_field_date(
                        field,
                        tantivy::DateTime::from_timestamp_secs(t.timestamp()),
                    )
                })
            };
            must.push(Box::new(RangeQuery::new(
                included(bound(from)),
                included(bound(to)),
            )));
        }
    }
    match req.delisted {
        // Excluding the few delisted is cheaper than intersecting with the many live ones.
        Delisted::Exclude => must_not.push(term(Term::from_field_bool(f.delisted, true))),
        Delisted::Only => must.push(term(Term::from_field_bool(f.delisted, true))),
        Delisted::Include => {}
    }
    if must.is_empty() && must_not.is_empty() {
        return Ok(text_query);
    }
    let zero = |q: Box<dyn Query>| Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>;
    let mut clauses = vec![(Occur::Must, text_query)];
    clauses.extend(must.into_iter().map(|q| (Occur::Must, zero(q))));
    clauses.extend(must_not.into_iter().map(|q| (Occur::MustNot, q)));
    Ok(Box::new(BooleanQuery::new(clauses)))
}

fn included(term: Option<Term>) -> Bound<Term> {
    term.map_or(Bound::Unbounded, Bound::Included)
}

fn read_facets(
    values: Vec<std::collections::HashMap<String, u64>>,
    categories: tantivy::collector::FacetCounts,
    req: &SearchRequest,
) -> Facets {
    let mut values = values.into_iter().map(top_values);
    let mut next = || values.next().unwrap_or_default();
    let (brand, platform, seller, marks) = (next(), next(), next(), next());
    let mut category: Vec<CategoryCount> = categories
        .get(browsed_category(req))
        .map(|(facet, count)| {
            let path = facet.to_string();
            CategoryCount {
                name: facet
                    .to_path()
                    .last()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                path,
                count,
            }
        })
        .collect();
    category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
    Facets {
        brand,
        platform,
        seller,
        marks,
        category,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare_query_plain(text: &str) -> (String, Vec<String>) {
        prepare_query(text, &BrandNames::default())
    }

    #[test]
    fn a_brand_name_also_searches_the_brand_s_other_names_outside_phrases() {
        let brands = BrandNames::of(&qsword_listing::catalogue::Catalogue::embedded());
        let (q, _) = prepare_query("飞利浦 空气炸锅", &brands);
        assert_eq!(q, "(飞利浦 OR \"Philips\") 空气炸锅");
        let (q, _) = prepare_query("ＰＨＩＬＩＰＳ", &brands);
        assert_eq!(q, "(ＰＨＩＬＩＰＳ OR \"飞利浦\")");
        let (q, _) = prepare_query("\"飞利浦 空气炸锅\" -飞利浦 brand:飞利浦", &brands);
        assert_eq!(q, "\"飞利浦 空气炸锅\" -飞利浦 brand:飞利浦");
        let (q, _) = prepare_query("\"正品 飞利浦 空气炸锅\"", &brands);
        assert_eq!(q, "\"正品 飞利浦 空气炸锅\"");
    }

    #[test]
    fn unknown_field_prefixes_become_words_and_known_ones_stay() {
        let (q, warnings) = prepare_query_plain("nosuchfield:插座 brand:philips +foo:bar");
        assert_eq!(q, "插座 brand:philips +bar");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("nosuchfield"), "{warnings:?}");
    }

    #[test]
    fn unmatched_quotes_and_brackets_are_dropped_with_a_warning() {
        let (q, w) = prepare_query_plain("\"公牛 插座");
        assert_eq!((q.as_str(), w.len()), ("公牛 插座", 1), "{w:?}");
        let (q, w) = prepare_query_plain("插座 (五孔 OR 三孔");
        assert_eq!((q.as_str(), w.len()), ("插座 五孔 OR 三孔", 1), "{w:?}");
        let (q, w) = prepare_query_plain("\"公牛 插座\" (五孔 OR 三孔)");
        assert_eq!(q, "\"公牛 插座\" (五孔 OR 三孔)");
        assert!(w.is_empty(), "{w:?}");
        let (q, w) = prepare_query_plain("AND");
        assert_eq!((q.as_str(), w.len()), ("\"AND\"", 1), "{w:?}");
    }

    #[test]
    fn a_pasted_page_is_cut_to_the_first_words_with_a_warning() {
        let long = "插座 ".repeat(2_000);
        let (q, warnings) = prepare_query_plain(&long);
        assert_eq!(q.split_whitespace().count(), MAX_QUERY_WORDS);
        assert!(warnings[0].contains("2000 words"), "{warnings:?}");
    }
}
