//! Reviewing flags: the triage queue (flagged listings nobody has decided on yet), notes
//! written without a decision, and the audit trail of every decision and note.
//!
//! Decisions themselves are labels ([`crate::Label`], `labels.rs`): they train the detector.
//! Notes are not labels, so they never do. Both are only ever appended.

use crate::error::Doing;
use crate::listings::{ListingRow, LISTING_COLUMNS};
use crate::{time, Decision, ListingId, Store, StoreError, StoredListing};
use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Value;
use serde::Serialize;
use std::collections::BTreeMap;

/// A note on a listing, written without a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub listing_id: ListingId,
    pub note: String,
    pub who: String,
    pub written_at: DateTime<Utc>,
}

/// What an entry of the audit trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Confirm,
    Dismiss,
    /// A note without a decision.
    Note,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Confirm => "confirm",
            AuditAction::Dismiss => "dismiss",
            AuditAction::Note => "note",
        }
    }
}

impl From<Decision> for AuditAction {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Confirm => AuditAction::Confirm,
            Decision::Dismiss => AuditAction::Dismiss,
        }
    }
}

/// One line of the audit trail: who did what to which listing, when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub who: String,
    pub action: AuditAction,
    pub note: Option<String>,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub listing_url: String,
}

/// A flagged listing waiting for a decision, with its latest flags (the detector's JSON
/// array, as saved).
#[derive(Debug, Clone, PartialEq)]
pub struct Unreviewed {
    pub listing: StoredListing,
    pub flags_json: String,
}

impl Store {
    /// Appends `who`'s note on a listing (one transaction). Fails if the listing does not
    /// exist or the note is blank.
    pub fn add_note(
        &mut self,
        listing_id: ListingId,
        note: &str,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO notes (listing_id, note, who, written_at) VALUES (?1, ?2, ?3, ?4)",
                    params![listing_id.0, note, who, time::to_sql(at)],
                )
                .doing(|| format!("writing a note on listing {listing_id} (by {who})"))?;
            Ok(tx.conn().last_insert_rowid())
        })
    }

    /// The notes on a listing, oldest first.
    pub fn notes(&self, listing_id: ListingId) -> Result<Vec<Note>, StoreError> {
        let doing = || format!("reading the notes on listing {listing_id}");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, note, who, written_at FROM notes WHERE listing_id = ?1
                 ORDER BY written_at, id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([listing_id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        rows.into_iter()
            .map(|(id, note, who, at)| {
                Ok(Note {
                    id,
                    listing_id,
                    note,
                    who,
                    written_at: time::from_sql(&at, "notes", id, "written_at")?,
                })
            })
            .collect()
    }

    /// Decisions and notes, newest first, `limit` from `offset`; and how many there are.
    pub fn audit_trail(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let doing = || "reading the audit trail".to_string();
        let total: i64 = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM labels) + (SELECT count(*) FROM notes)",
                [],
                |r| r.get(0),
            )
            .doing(doing)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.id, t.at, t.who, t.action, t.note, l.id, l.title, l.url FROM (
                     SELECT id, decided_at AS at, who, decision AS action, note, listing_id,
                            0 AS kind FROM labels
                     UNION ALL
                     SELECT id, written_at, who, 'note', note, listing_id, 1 FROM notes
                 ) t JOIN listings l ON l.id = t.listing_id
                 ORDER BY t.at DESC, t.kind, t.id DESC LIMIT ?1 OFFSET ?2",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let entries = rows
            .into_iter()
            .map(|(id, at, who, action, note, lid, title, url)| {
                let action = match action.as_str() {
                    "note" => AuditAction::Note,
                    other => other
                        .parse::<Decision>()
                        .map_err(|message| StoreError::Corrupt {
                            table: "labels",
                            id,
                            column: "decision",
                            message,
                        })?
                        .into(),
                };
                let table = if action == AuditAction::Note {
                    "notes"
                } else {
                    "labels"
                };
                Ok(AuditEntry {
                    at: time::from_sql(&at, table, id, "at")?,
                    who,
                    action,
                    note,
                    listing_id: ListingId(lid),
                    listing_title: title,
                    listing_url: url,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((entries, total as u64))
    }

    /// The triage queue: live listings whose latest assessment has at least one flag and on
    /// which nobody has decided yet (a note is not a decision), riskiest first.
    pub fn unreviewed_flagged(&self) -> Result<Vec<Unreviewed>, StoreError> {
        Ok(self.triage_queue(&QueueFilter::default(), usize::MAX, 0)?.0)
    }

    /// One page of the triage queue as `filter` selects it — `limit` listings from `offset`,
    /// riskiest first — and how many listings the whole filtered queue holds. Only the page's
    /// listings are read and decoded: the queue is a range of the `listings_flagged` index.
    pub fn triage_queue(
        &self,
        filter: &QueueFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Unreviewed>, u64), StoreError> {
        let doing = || "reading the triage queue".to_string();
        let (from, mut values) = filter.queue_sql();
        let total: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) {from}"),
                rusqlite::params_from_iter(&values),
                |r| r.get(0),
            )
            .doing(doing)?;
        let columns = LISTING_COLUMNS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, (SELECT flags_json FROM assessments
                                WHERE listing_id = l.id ORDER BY id DESC LIMIT 1)
             {from} ORDER BY l.risk DESC, l.id LIMIT ? OFFSET ?"
        );
        values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(&values), |r| {
                Ok((ListingRow::read(r)?, r.get::<_, String>(11)?))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let mut out = Vec::with_capacity(rows.len());
        for (row, flags_json) in rows {
            out.push(Unreviewed {
                listing: row.decode()?,
                flags_json,
            });
        }
        Ok((out, total as u64))
    }
}

/// Which flagged listings a triage queue shows, in the store's terms: an investigator's
/// alert routing (the console builds it from `[[alerts.investigators]]`; the routing module
/// tests that it selects exactly what routing's `covers` does). An empty list selects every
/// listing; names compare ignoring ASCII case, as routing does (SQLite's `NOCASE`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueFilter {
    /// The listing's latest risk (none counts as 0) must reach this.
    pub min_risk: f64,
    pub categories: Vec<String>,
    /// A listing without a platform has the platform `""`.
    pub platforms: Vec<String>,
    pub brands: Vec<String>,
    /// The listing's region: its page's `extra.region` (a string), else its platform's.
    pub regions: Vec<String>,
    /// Platform → region, for listings whose page names no region (exact platform name).
    pub platform_regions: BTreeMap<String, String>,
}

impl QueueFilter {
    /// The queue's `FROM … WHERE …` over `listings l`, and its parameters in order.
    pub(crate) fn queue_sql(&self) -> (String, Vec<Value>) {
        let (condition, values) = self.sql();
        let from = format!(
            "FROM listings l INDEXED BY listings_flagged
             WHERE l.flag_count > 0 AND l.delisted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM labels WHERE listing_id = l.id){condition}"
        );
        (from, values)
    }

    /// ` AND …` conditions on `listings l`, and their parameters in order.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        if self.min_risk > 0.0 {
            sql.push_str(" AND coalesce(l.risk, 0) >= ?");
            values.push(Value::Real(self.min_risk));
        }
        let mut any_of = |expr: &str, list: &[String], values: &mut Vec<Value>| {
            if list.is_empty() {
                return;
            }
            let marks = vec!["?"; list.len()].join(", ");
            sql.push_str(&format!(" AND ({expr}) COLLATE NOCASE IN ({marks})"));
            values.extend(list.iter().map(|v| Value::Text(v.clone())));
        };
        any_of("l.category", &self.categories, &mut values);
        any_of("coalesce(l.platform, '')", &self.platforms, &mut values);
        any_of("l.brand", &self.brands, &mut values);
        if !self.regions.is_empty() {
            // The region lookup's own parameters come before the list's.
            let mut by_platform = "NULL".to_string();
            if !self.platform_regions.is_empty() {
                by_platform = "CASE coalesce(l.platform, '')".into();
                for (platform, region) in &self.platform_regions {
                    by_platform.push_str(" WHEN ? THEN ?");
                    values.push(Value::Text(platform.clone()));
                    values.push(Value::Text(region.clone()));
                }
                by_platform.push_str(" END");
            }
            let region = format!(
                "coalesce(CASE WHEN json_type(l.listing_json, '$.region') = 'text'
                               THEN json_extract(l.listing_json, '$.region') END,
                          {by_platform})"
            );
            any_of(&region, &self.regions, &mut values);
        }
        (sql, values)
    }
}
