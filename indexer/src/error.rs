//! What can go wrong with the search index, saying where.

use std::path::PathBuf;

/// An index operation failed; each variant names the index directory or listing at fault.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot create the index directory {dir}: {source}")]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the index at {dir} was built with a different schema (older qsword?); \
         delete the directory or run `qsword index --rebuild`"
    )]
    SchemaMismatch { dir: PathBuf },
    #[error("cannot open the index at {dir}: {source}")]
    Open {
        dir: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error(
        "cannot start a writer on the index at {dir} (is another qsword process indexing?): \
         {source}"
    )]
    Writer {
        dir: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("cannot index listing {id} ({url}): {source}")]
    Upsert {
        id: u64,
        url: String,
        source: tantivy::TantivyError,
    },
    #[error("cannot commit the index at {dir}: {source}")]
    Commit {
        dir: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("cannot reload the index at {dir}: {source}")]
    Reload {
        dir: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("search {query:?} failed on the index at {dir}: {source}")]
    Search {
        dir: PathBuf,
        query: String,
        source: tantivy::TantivyError,
    },
    #[error(transparent)]
    Rate(#[from] qsword_listing::RateError),
    #[error("search filter {field} = {value:?} is not valid: {reason}")]
    Filter {
        field: &'static str,
        value: String,
        reason: String,
    },
}
