//! What can go wrong in the store, each error naming the file, row, URL or field at fault.

use std::path::PathBuf;

/// An error from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or configured.
    #[error("cannot open the store {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// The file was written by a newer qsword whose schema this binary does not know.
    #[error(
        "the store {path} has schema version {found}, but this qsword knows versions up to \
         {supported} only: it was written by a newer qsword. Run that newer qsword (or point \
         --data at another directory); an older binary never opens a newer store"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// A migration step failed; the store stays at the previous version.
    #[error("migrating the store {path} to schema version {version} failed: {source}")]
    Migration {
        path: PathBuf,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    /// A statement failed; `doing` says what the store was doing and for which URL/row.
    #[error("{doing}: {source}")]
    Database {
        doing: String,
        #[source]
        source: rusqlite::Error,
    },

    /// A listing that cannot be stored (e.g. an empty URL or title).
    #[error("listing {url:?}: field `{field}` {message}")]
    InvalidListing {
        url: String,
        field: &'static str,
        message: String,
    },

    /// Detector flags that are not a JSON value.
    #[error("the flags of listing {listing_id} are not JSON: {message}")]
    InvalidFlags {
        listing_id: crate::ListingId,
        message: String,
    },

    /// An alert was asked for a listing the detector never assessed.
    #[error("listing {listing_id} has no assessment to alert on; run detection first")]
    NotAssessed { listing_id: crate::ListingId },

    /// A stored value that cannot be read back (hand-edited database, or a bug).
    #[error("the {table} row {id} has a bad `{column}`: {message}")]
    Corrupt {
        table: &'static str,
        id: i64,
        column: &'static str,
        message: String,
    },
}

/// Attaches "what the store was doing" to a rusqlite error.
pub(crate) trait Doing<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database {
            doing: what(),
            source,
        })
    }
}
