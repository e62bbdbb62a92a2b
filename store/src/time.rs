//! Timestamps are stored as RFC 3339 text in UTC with a fixed precision, so that SQLite
//! compares them correctly as strings (`next_fetch_at <= now`) and a human can read them.

use crate::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn to_sql(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn from_sql(
    text: &str,
    table: &'static str,
    id: i64,
    column: &'static str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            table,
            id,
            column,
            message: format!("{text:?} is not RFC 3339: {e}"),
        })
}

pub(crate) fn opt_from_sql(
    text: Option<String>,
    table: &'static str,
    id: i64,
    column: &'static str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| from_sql(&t, table, id, column)).transpose()
}
