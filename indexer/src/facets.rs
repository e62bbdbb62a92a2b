//! Facet counts: how many matching listings have each brand, platform, seller, mark and
//! category — over **all** matches, not just the page, and exact.
//!
//! tantivy's terms aggregation is approximate across segments (each segment reports its own
//! top terms), so the flat facets use [`ValueTally`], a collector that counts every value's
//! term ordinal per segment and resolves the ordinals it saw to strings once per segment, in
//! ordinal order (one pass over the column's dictionary). Categories are hierarchical: the
//! counts are those of the children of the category being browsed, from tantivy's
//! [`FacetCollector`](tantivy::collector::FacetCollector), which is exact.

use serde::Serialize;
use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// How many distinct values each facet reports (the most frequent first).
pub const FACET_SIZE: usize = 50;

/// Counts over all matching listings, most frequent first (ties by value), at most
/// [`FACET_SIZE`] values each.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Facets {
    pub brand: Vec<FacetCount>,
    pub platform: Vec<FacetCount>,
    pub seller: Vec<FacetCount>,
    /// Mark schemes (`CCC`, `CE`, …) and `none` for listings that claim no mark.
    pub marks: Vec<FacetCount>,
    /// The children of the browsed category (the top level when none is selected).
    pub category: Vec<CategoryCount>,
}

/// How many matching listings have this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// How many matching listings sit in this category's subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// The facet path, usable as a category filter: `/家用电器/厨房电器`.
    pub path: String,
    /// Its last step, for display: `厨房电器`.
    pub name: String,
    pub count: u64,
}

/// Counts the values of several string fast fields (single- or multi-valued) over the
/// matching documents. Its fruit is one `value → count` map per field, in field order.
pub(crate) struct ValueTally {
    pub fields: Vec<&'static str>,
}

pub(crate) struct SegmentTally {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
    /// Matches not yet counted: columns are read a block at a time, which for single-valued
    /// columns (brand, platform, seller) is several times cheaper than a lookup per match.
    pending: Vec<DocId>,
    ords: Vec<Option<u64>>,
}

/// Matches counted at once (tantivy's own block size).
const BLOCK: usize = tantivy::COLLECT_BLOCK_BUFFER_LEN;

impl Collector for ValueTally {
    type Fruit = Vec<HashMap<String, u64>>;
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTally> {
        let columns = self
            .fields
            .iter()
            .map(|field| reader.fast_fields().str(field))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns
            .iter()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())])
            .collect();
        Ok(SegmentTally {
            columns,
            counts,
            pending: Vec::with_capacity(BLOCK),
            ords: vec![None; BLOCK],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); self.fields.len()];
        for fruit in fruits {
            for (into, from) in merged.iter_mut().zip(fruit) {
                if into.is_empty() {
                    *into = from;
                    continue;
                }
                for (value, count) in from {
                    *into.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            self.flush();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.collect(doc, 0.0);
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.flush();
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(column, counts)| {
                let mut values = HashMap::new();
                let Some(column) = column else {
                    return values;
                };
                let seen: Vec<u64> = (0..counts.len() as u64)
                    .filter(|&ord| counts[ord as usize] > 0)
                    .collect();
                let mut next = seen.iter();
                // Ordinals in increasing order: one forward pass over the dictionary.
                let resolved =
                    column
                        .dictionary()
                        .sorted_ords_to_term_cb(seen.iter().copied(), |term| {
                            if let Some(&ord) = next.next() {
                                let value = String::from_utf8_lossy(term).into_owned();
                                values.insert(value, counts[ord as usize] as u64);
                            }
                            Ok(())
                        });
                // The dictionary is the segment's own and was just opened: a failure here is
                // a corrupt index, which the next reload or search will report.
                debug_assert!(
                    resolved.is_ok(),
                    "facet dictionary unreadable: {resolved:?}"
                );
                values
            })
            .collect()
    }
}

impl SegmentTally {
    fn flush(&mut self) {
        let docs = &self.pending[..];
        for (column, counts) in self.columns.iter().zip(&mut self.counts) {
            let Some(column) = column else { continue };
            if column.ords().get_cardinality().is_multivalue() {
                for &doc in docs {
                    for ord in column.term_ords(doc) {
                        counts[ord as usize] += 1;
                    }
                }
            } else {
                let ords = &mut self.ords[..docs.len()];
                ords.fill(None);
                column.ords().first_vals(docs, ords);
                for ord in ords.iter().flatten() {
                    counts[*ord as usize] += 1;
                }
            }
        }
        self.pending.clear();
    }
}

/// The [`FACET_SIZE`] most frequent values, ties by value so that output is stable.
pub(crate) fn top_values(counts: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut all: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    all.truncate(FACET_SIZE);
    all
}
