//! The brand lexicons the detector learnt from the market, one a detection run. The store
//! keeps each as the detector serialised it: its shape is the detector's business.

use crate::error::Doing;
use crate::{time, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

/// How many lexicons are kept: older ones are deleted when a new one is saved.
pub const KEPT_LEXICONS: i64 = 30;

/// One stored lexicon.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLexicon {
    pub learnt_at: DateTime<Utc>,
    /// Listings it was learnt from.
    pub listings: usize,
    pub json: String,
}

impl Store {
    /// Saves a lexicon learnt at `at` from `listings` listings, and drops the oldest beyond
    /// [`KEPT_LEXICONS`], in one transaction.
    pub fn save_brand_lexicon(
        &mut self,
        at: DateTime<Utc>,
        listings: usize,
        json: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let doing = || "saving the brand lexicon".to_string();
            tx.conn()
                .execute(
                    "INSERT INTO brand_lexicons (learnt_at, listings, lexicon_json) VALUES (?1, ?2, ?3)",
                    params![time::to_sql(at), listings as i64, json],
                )
                .doing(doing)?;
            tx.conn()
                .execute(
                    "DELETE FROM brand_lexicons WHERE id <= (SELECT max(id) FROM brand_lexicons) - ?1",
                    params![KEPT_LEXICONS],
                )
                .doing(doing)?;
            Ok(())
        })
    }

    /// The latest lexicon, if any detection run saved one.
    pub fn latest_brand_lexicon(&self) -> Result<Option<StoredLexicon>, StoreError> {
        let doing = || "reading the brand lexicon".to_string();
        let row = self
            .conn
            .query_row(
                "SELECT learnt_at, listings, lexicon_json FROM brand_lexicons ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()
            .doing(doing)?;
        row.map(|(at, listings, json)| {
            Ok(StoredLexicon {
                learnt_at: time::from_sql(&at, "brand_lexicons", 0, "learnt_at")?,
                listings: listings as usize,
                json,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_lexicon_is_read_back_and_old_ones_are_dropped() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.latest_brand_lexicon().unwrap(), None);
        let t0 = "2026-12-01T02:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for k in 0..(KEPT_LEXICONS + 5) {
            let at = t0 + chrono::Duration::days(k);
            store
                .save_brand_lexicon(at, 10 + k as usize, &format!("{{\"night\":{k}}}"))
                .unwrap();
        }
        let latest = store.latest_brand_lexicon().unwrap().unwrap();
        assert_eq!(latest.listings, 10 + KEPT_LEXICONS as usize + 4);
        assert_eq!(latest.json, format!("{{\"night\":{}}}", KEPT_LEXICONS + 4));
        let kept: i64 = store
            .conn
            .query_row("SELECT count(*) FROM brand_lexicons", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, KEPT_LEXICONS);
    }
}
