//! The on-disk listing index: opening it, handing out its writer, reading its state.

use crate::error::IndexError;
use crate::schema::ListingFields;
use crate::tokenizer::{query_tokenizers, register_tokenizers};
use crate::writer::ListingWriter;
use qsword_listing::CurrencyRates;
use std::path::{Path, PathBuf};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::LogMergePolicy;
use tantivy::tokenizer::TokenizerManager;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyError};

/// tantivy refuses a writer with less than 15 MB per indexing thread.
const MIN_WRITER_MEMORY: usize = 15_000_000;

/// A tantivy index of listings, with qsword's schema and tokenizers registered.
///
/// Searches see the index as of the last [`reload`](Self::reload); the writer obtained from
/// [`writer`](Self::writer) reloads after each commit, so in one process a commit is visible
/// at once. Cloning is cheap and shares the reader.
#[derive(Clone)]
pub struct ListingIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: ListingFields,
    pub(crate) rates: CurrencyRates,
    pub(crate) dir: PathBuf,
    /// What queries are analysed with ([`crate::tokenizer::query_tokenizers`]).
    pub(crate) query_tokenizers: TokenizerManager,
    /// The protected brands' names, for queries naming one of them.
    pub(crate) brand_names: std::sync::Arc<crate::search::BrandNames>,
    /// Totals and facets of browsing everything, per commit (see `everything_counts`).
    pub(crate) everything: std::sync::Arc<std::sync::Mutex<Vec<crate::search::EverythingCounts>>>,
}

/// Segments whose share of deleted (replaced) documents passes this are merged even when
/// their size alone would not call for it: nightly upserts replace most listings, and without
/// it the replaced copies would linger in large segments, costing disk and search time.
const DELETED_SHARE_BEFORE_MERGE: f32 = 0.25;

impl ListingIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if needed.
    ///
    /// Fails with [`IndexError::SchemaMismatch`] if `dir` holds an index built with another
    /// schema: the index is a view of the store and is rebuilt rather than migrated.
    pub fn open_or_create(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let open_err = |source| IndexError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let (schema, fields) = ListingFields::build();
        let index = Index::builder()
            .schema(schema)
            .open_or_create(directory)
            .map_err(|e| match e {
                TantivyError::SchemaError(_) => IndexError::SchemaMismatch {
                    dir: dir.to_path_buf(),
                },
                other => open_err(other),
            })?;
        Self::with_index(index, fields, dir.to_path_buf())
    }

    /// An index held in memory only: for tests, benchmarks and one-off searches.
    pub fn in_memory() -> Result<Self, IndexError> {
        let dir = PathBuf::from("<memory>");
        let (schema, fields) = ListingFields::build();
        let index = Index::builder()
            .schema(schema)
            .create_in_ram()
            .map_err(|source| IndexError::Open {
                dir: dir.clone(),
                source,
            })?;
        Self::with_index(index, fields, dir)
    }

    fn with_index(
        mut index: Index,
        fields: ListingFields,
        dir: PathBuf,
    ) -> Result<Self, IndexError> {
        register_tokenizers(index.tokenizers());
        // Segments are searched in parallel, one thread per core: a query over a million
        // listings and seven segments then takes about half as long on two cores.
        index
            .set_default_multithread_executor()
            .map_err(|source| IndexError::Open {
                dir: dir.clone(),
                source,
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|source| IndexError::Open {
                dir: dir.clone(),
                source,
            })?;
        Ok(ListingIndex {
            index,
            reader,
            fields,
            rates: CurrencyRates::reference(),
            dir,
            query_tokenizers: query_tokenizers(),
            brand_names: std::sync::Arc::new(crate::search::BrandNames::of(
                &qsword_listing::catalogue::Catalogue::embedded(),
            )),
            everything: Default::default(),
        })
    }

    /// Uses `rates` to convert prices into one currency when indexing and to read price
    /// filters (default: [`CurrencyRates::reference`], base CNY). Listings already indexed
    /// keep the amounts they were indexed with until rebuilt.
    pub fn with_rates(mut self, rates: CurrencyRates) -> Self {
        self.rates = rates;
        self
    }

    /// The rates this index converts prices with; price filters are in `rates().base()`.
    pub fn rates(&self) -> &CurrencyRates {
        &self.rates
    }

    /// The index's one writer, with an indexing memory budget in bytes (raised to tantivy's
    /// minimum of 15 MB; 50–200 MB is typical). Fails if another writer holds the index.
    pub fn writer(&self, memory_bytes: usize) -> Result<ListingWriter, IndexError> {
        let writer = self
            .index
            .writer(memory_bytes.max(MIN_WRITER_MEMORY))
            .map_err(|source| IndexError::Writer {
                dir: self.dir.clone(),
                source,
            })?;
        let mut policy = LogMergePolicy::default();
        policy.set_del_docs_ratio_before_merge(DELETED_SHARE_BEFORE_MERGE);
        writer.set_merge_policy(Box::new(policy));
        Ok(ListingWriter {
            writer,
            fields: self.fields.clone(),
            rates: self.rates.clone(),
            reader: self.reader.clone(),
            dir: self.dir.clone(),
        })
    }

    /// Makes searches see the latest commit, e.g. one made by another process.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(|source| IndexError::Reload {
            dir: self.dir.clone(),
            source,
        })
    }

    /// Number of listings searchable now (deleted and replaced ones excluded).
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of segments searchable now; it should stay bounded over nightly runs.
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The checkpoint recorded by the last [`ListingWriter::commit_with_checkpoint`].
    pub fn checkpoint(&self) -> Result<Option<String>, IndexError> {
        let metas = self.index.load_metas().map_err(|source| IndexError::Open {
            dir: self.dir.clone(),
            source,
        })?;
        Ok(metas.payload)
    }

    /// The directory this index lives in (`<memory>` for [`in_memory`](Self::in_memory)).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying tantivy index, for tools this crate does not wrap yet.
    pub fn tantivy_index(&self) -> &Index {
        &self.index
    }
}
