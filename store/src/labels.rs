//! Staff decisions on flagged listings. Labels are only ever appended, so the table is also
//! the audit trail of who decided what and when; the latest label is the current decision.

use crate::error::Doing;
use crate::{time, LabelId, ListingId, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use std::fmt;

/// An investigator's decision on a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The listing is indeed counterfeit/substandard.
    Confirm,
    /// The flag was wrong.
    Dismiss,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Confirm => "confirm",
            Decision::Dismiss => "dismiss",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "confirm" => Ok(Decision::Confirm),
            "dismiss" => Ok(Decision::Dismiss),
            _ => Err(format!(
                "decision {s:?} is neither \"confirm\" nor \"dismiss\""
            )),
        }
    }
}

/// One stored decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub id: LabelId,
    pub listing_id: ListingId,
    pub decision: Decision,
    pub note: Option<String>,
    /// The staff member who decided.
    pub who: String,
    pub decided_at: DateTime<Utc>,
}

impl Store {
    /// Records `who`'s decision on a listing (one transaction). Fails if the listing does not
    /// exist.
    pub fn add_label(
        &mut self,
        listing_id: ListingId,
        decision: Decision,
        note: Option<&str>,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<LabelId, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO labels (listing_id, decision, note, who, decided_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![listing_id.0, decision.as_str(), note, who, time::to_sql(at)],
                )
                .doing(|| format!("labelling listing {listing_id} {decision} (by {who})"))?;
            Ok(LabelId(tx.conn().last_insert_rowid()))
        })
    }

    /// The decisions on a listing, oldest first.
    pub fn labels(&self, listing_id: ListingId) -> Result<Vec<Label>, StoreError> {
        self.labels_where("WHERE listing_id = ?1", Some(listing_id))
    }

    /// Every decision on every listing, oldest first (training data for the detector).
    pub fn all_labels(&self) -> Result<Vec<Label>, StoreError> {
        self.labels_where("", None)
    }

    fn labels_where(
        &self,
        condition: &str,
        listing_id: Option<ListingId>,
    ) -> Result<Vec<Label>, StoreError> {
        let doing = || "reading labels".to_string();
        let sql = format!(
            "SELECT id, listing_id, decision, note, who, decided_at FROM labels {condition}
             ORDER BY decided_at, id"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let params: Vec<i64> = listing_id.map(|l| l.0).into_iter().collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, listing_id, decision, note, who, at) = row.doing(doing)?;
            out.push(Label {
                id: LabelId(id),
                listing_id: ListingId(listing_id),
                decision: decision.parse().map_err(|message| StoreError::Corrupt {
                    table: "labels",
                    id,
                    column: "decision",
                    message,
                })?,
                note,
                who,
                decided_at: time::from_sql(&at, "labels", id, "decided_at")?,
            });
        }
        Ok(out)
    }
}
