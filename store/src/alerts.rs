//! Detector assessments, alerts, and the outbox that carries alerts to investigators.
//!
//! An alert is written in the same transaction as the outbox message that carries it, so a
//! crash can neither lose an alert nor queue a mail for an alert that does not exist; a sent
//! message is marked sent and never handed out again.

use crate::error::Doing;
use crate::{time, AlertId, ListingId, OutboxId, Store, StoreError, StoredListing, Transaction};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeSet;

/// The detector's verdict on one listing, as [`Store::save_assessments`] takes it: the
/// listing, its risk in [0, 1], and its flags as the detector's JSON array
/// (`[{"signal": "price", "score": 0.88, "reason": "…", "evidence": {…}}]`).
pub type Assessment = (ListingId, f64, String);

/// A saved assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAssessment {
    pub id: i64,
    pub listing_id: ListingId,
    pub risk: f64,
    pub flags: serde_json::Value,
    pub detected_at: DateTime<Utc>,
}

/// An alert about one listing, to be created with its outbox message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAlert {
    pub listing_id: ListingId,
    pub risk: f64,
    /// Names of the signals that fired, e.g. `["price", "brand"]`.
    pub signals: Vec<String>,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlert {
    pub id: AlertId,
    pub listing_id: ListingId,
    pub risk: f64,
    pub signals: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The outbox message (digest) that carries this alert.
    pub digest_id: Option<OutboxId>,
}

/// A mail to queue in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOutboxMessage {
    /// What kind of mail, e.g. `digest`.
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// The message body, or the whole RFC 5322 message; the sender decides.
    pub body: String,
    /// The `.eml` file written to `outbox/`, if any.
    pub eml_path: Option<String>,
}

/// A mail in the outbox, sent or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub eml_path: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Failed send attempts so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// A failed message is not tried again before this (backoff); `None`: due now.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The mail's `Message-ID` (without angle brackets), when it was rendered for SMTP.
    pub message_id: Option<String>,
    /// The run that queued it.
    pub run: Option<String>,
}

/// What [`Store::create_alerts_with_outbox`] queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedDigest {
    pub outbox_id: OutboxId,
    pub alert_ids: Vec<AlertId>,
}

/// The distinct signal names in a detector flags array, in first-seen order.
fn signals_of(flags_json: &str) -> Vec<String> {
    let mut signals: Vec<String> = Vec::new();
    if let Ok(serde_json::Value::Array(flags)) = serde_json::from_str(flags_json) {
        for flag in &flags {
            if let Some(s) = flag.get("signal").and_then(|s| s.as_str()) {
                if !signals.iter().any(|known| known == s) {
                    signals.push(s.to_owned());
                }
            }
        }
    }
    signals
}

/// The risk the listing's own flags give (noisy-OR of their scores), leaving out the flags of
/// `contextual` signals, which judge it by other listings (its seller's record).
fn own_risk(flags_json: &str, contextual: &[&str]) -> f64 {
    let mut clear = 1.0;
    if let Ok(serde_json::Value::Array(flags)) = serde_json::from_str(flags_json) {
        for flag in &flags {
            let signal = flag.get("signal").and_then(|s| s.as_str()).unwrap_or("");
            if contextual.contains(&signal) {
                continue;
            }
            let score = flag.get("score").and_then(|s| s.as_f64()).unwrap_or(0.0);
            clear *= 1.0 - score.clamp(0.0, 1.0);
        }
    }
    1.0 - clear
}

fn corrupt(table: &'static str, id: i64, column: &'static str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        table,
        id,
        column,
        message: e.to_string(),
    }
}

impl Transaction<'_> {
    /// Saves one assessment per listing and sets each listing's current `risk`.
    pub fn save_assessments(
        &self,
        assessments: &[Assessment],
        detected_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = time::to_sql(detected_at);
        for (id, risk, flags_json) in assessments {
            // Refuse what could not be read back: the alert digest needs the flags.
            if let Err(e) = serde_json::from_str::<serde_json::Value>(flags_json) {
                return Err(StoreError::InvalidFlags {
                    listing_id: *id,
                    message: e.to_string(),
                });
            }
            self.conn()
                .execute(
                    "INSERT INTO assessments (listing_id, risk, flags_json, detected_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id.0, risk, flags_json, at],
                )
                .doing(|| format!("saving the assessment of listing {id}"))?;
            self.conn()
                .execute(
                    // The same test of "flagged" as everywhere: a non-empty JSON array.
                    "UPDATE listings SET risk = ?2, flag_count = json_array_length(?3)
                     WHERE id = ?1",
                    params![id.0, risk, flags_json],
                )
                .doing(|| format!("setting the risk of listing {id}"))?;
        }
        Ok(())
    }

    /// Queues `message` and creates `alerts`, each pointing to it, together.
    pub fn create_alerts_with_outbox(
        &self,
        alerts: &[NewAlert],
        message: &NewOutboxMessage,
        at: DateTime<Utc>,
    ) -> Result<QueuedDigest, StoreError> {
        let at = time::to_sql(at);
        self.conn()
            .execute(
                "INSERT INTO outbox (kind, recipient, subject, body, eml_path, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    message.kind,
                    message.recipient,
                    message.subject,
                    message.body,
                    message.eml_path,
                    at
                ],
            )
            .doing(|| format!("queueing a {} mail to {}", message.kind, message.recipient))?;
        let outbox_id = OutboxId(self.conn().last_insert_rowid());
        let mut alert_ids = Vec::with_capacity(alerts.len());
        for a in alerts {
            let signals = serde_json::to_string(&a.signals).expect("strings serialise");
            self.conn()
                .execute(
                    "INSERT INTO alerts (listing_id, risk, signals, created_at, digest_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![a.listing_id.0, a.risk, signals, at, outbox_id.0],
                )
                .doing(|| format!("creating an alert for listing {}", a.listing_id))?;
            alert_ids.push(AlertId(self.conn().last_insert_rowid()));
        }
        Ok(QueuedDigest {
            outbox_id,
            alert_ids,
        })
    }

    /// The alert a listing's latest assessment makes (its risk and signals); fails if the
    /// listing was never assessed.
    pub(crate) fn alert_from_latest(&self, listing_id: ListingId) -> Result<NewAlert, StoreError> {
        let latest: Option<(f64, String)> = self
            .conn()
            .query_row(
                "SELECT risk, flags_json FROM assessments WHERE listing_id = ?1
                 ORDER BY id DESC LIMIT 1",
                [listing_id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .doing(|| format!("reading the latest assessment of listing {listing_id}"))?;
        let (risk, flags) = latest.ok_or(StoreError::NotAssessed { listing_id })?;
        Ok(NewAlert {
            listing_id,
            risk,
            signals: signals_of(&flags),
        })
    }

    /// Marks a message sent. Returns `false` if it was already sent (or does not exist), so a
    /// caller can tell a double delivery from a first one.
    pub fn mark_outbox_sent(&self, id: OutboxId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE outbox SET sent_at = ?2, last_error = NULL, claimed_by = NULL,
                                   claimed_until = NULL
                 WHERE id = ?1 AND sent_at IS NULL",
                params![id.0, time::to_sql(at)],
            )
            .doing(|| format!("marking outbox message {id} sent"))?;
        Ok(n > 0)
    }

    /// Records a failed send of a message; it stays pending. Returns `false` if the message
    /// is not pending.
    pub fn mark_outbox_failed(&self, id: OutboxId, error: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2
                 WHERE id = ?1 AND sent_at IS NULL",
                params![id.0, error],
            )
            .doing(|| format!("recording a failed send of outbox message {id}"))?;
        Ok(n > 0)
    }
}

impl Store {
    /// Saves the assessments of one detection run, detected now; see
    /// [`Store::save_assessments_at`].
    pub fn save_assessments(&mut self, assessments: &[Assessment]) -> Result<(), StoreError> {
        self.save_assessments_at(assessments, Utc::now())
    }

    /// Saves one assessment per listing and sets each listing's current `risk`, all in one
    /// transaction: on any error (unknown listing, flags that are not JSON) none is saved.
    pub fn save_assessments_at(
        &mut self,
        assessments: &[Assessment],
        detected_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| tx.save_assessments(assessments, detected_at))
    }

    /// Live listings whose latest assessment reaches `min_risk` and that deserve an alert:
    /// never alerted, or their risk rose above every earlier alert's, or a signal fired that
    /// no earlier alert carried. Riskiest first, each with its latest flags JSON.
    pub fn unalerted_assessments(
        &self,
        min_risk: f64,
    ) -> Result<Vec<(StoredListing, String)>, StoreError> {
        self.alert_candidates(min_risk, 0.0, &[])
    }

    /// [`Store::unalerted_assessments`], where a risk counts as risen only when it is more
    /// than `min_rise` above every earlier alert's: scores move a little from night to night
    /// as other offers of the same product change price, and that is not news. Flags of the
    /// `contextual` signals (judged by other listings, such as the seller's record) neither
    /// make a risk rise nor a new signal of an alerted listing: its seller's record growing
    /// is news about the seller, not about this listing.
    pub fn alert_candidates(
        &self,
        min_risk: f64,
        min_rise: f64,
        contextual: &[&str],
    ) -> Result<Vec<(StoredListing, String)>, StoreError> {
        let doing = || format!("finding listings to alert (risk >= {min_risk})");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.listing_id, a.risk, a.flags_json FROM assessments a
                 JOIN listings l ON l.id = a.listing_id
                 WHERE l.delisted_at IS NULL AND a.risk >= ?1
                   AND a.id = (SELECT max(id) FROM assessments WHERE listing_id = a.listing_id)
                 ORDER BY a.risk DESC, a.listing_id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([min_risk], |r| {
                Ok((
                    ListingId(r.get(0)?),
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let mut out = Vec::new();
        for (id, risk, flags_json) in rows {
            let earlier = self.alerts(id)?;
            let alerted_risk = earlier
                .iter()
                .map(|a| a.risk)
                .fold(f64::NEG_INFINITY, f64::max);
            let alerted: BTreeSet<&str> = earlier
                .iter()
                .flat_map(|a| a.signals.iter().map(String::as_str))
                .collect();
            let new_signal = signals_of(&flags_json)
                .iter()
                .any(|s| !alerted.contains(s.as_str()) && !contextual.contains(&s.as_str()));
            let risen = if contextual.is_empty() {
                risk > alerted_risk + min_rise
            } else {
                own_risk(&flags_json, contextual) > alerted_risk + min_rise
            };
            if earlier.is_empty() || risen || new_signal {
                if let Some(listing) = self.listing(id)? {
                    out.push((listing, flags_json));
                }
            }
        }
        Ok(out)
    }

    /// Creates one alert per listing (with the risk and signals of its latest assessment) and
    /// the digest mail that carries them — written to `eml_path` for `recipient` — in one
    /// transaction. Fails, creating nothing, if a listing was never assessed.
    pub fn record_digest(
        &mut self,
        listing_ids: &[ListingId],
        recipient: &str,
        eml_path: &str,
    ) -> Result<QueuedDigest, StoreError> {
        self.write(|tx| {
            let alerts = listing_ids
                .iter()
                .map(|&id| tx.alert_from_latest(id))
                .collect::<Result<Vec<_>, _>>()?;
            let message = NewOutboxMessage {
                kind: "digest".into(),
                recipient: recipient.into(),
                subject: format!("digest of {} alerts", alerts.len()),
                body: String::new(),
                eml_path: Some(eml_path.into()),
            };
            tx.create_alerts_with_outbox(&alerts, &message, Utc::now())
        })
    }

    /// The assessments of a listing, oldest first.
    pub fn assessments(&self, listing_id: ListingId) -> Result<Vec<StoredAssessment>, StoreError> {
        let doing = || format!("reading the assessments of listing {listing_id}");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, risk, flags_json, detected_at FROM assessments
                 WHERE listing_id = ?1 ORDER BY detected_at, id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([listing_id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, risk, flags, at) = row.doing(doing)?;
            out.push(StoredAssessment {
                id,
                listing_id,
                risk,
                flags: serde_json::from_str(&flags)
                    .map_err(|e| corrupt("assessments", id, "flags_json", e))?,
                detected_at: time::from_sql(&at, "assessments", id, "detected_at")?,
            });
        }
        Ok(out)
    }

    /// Creates one alert and the outbox message that carries it, in one transaction.
    pub fn create_alert_with_outbox(
        &mut self,
        alert: &NewAlert,
        message: &NewOutboxMessage,
        at: DateTime<Utc>,
    ) -> Result<(AlertId, OutboxId), StoreError> {
        let queued = self.create_alerts_with_outbox(std::slice::from_ref(alert), message, at)?;
        Ok((queued.alert_ids[0], queued.outbox_id))
    }

    /// Creates the alerts of one digest and the outbox message that carries them, in one
    /// transaction.
    pub fn create_alerts_with_outbox(
        &mut self,
        alerts: &[NewAlert],
        message: &NewOutboxMessage,
        at: DateTime<Utc>,
    ) -> Result<QueuedDigest, StoreError> {
        self.write(|tx| tx.create_alerts_with_outbox(alerts, message, at))
    }

    /// The alerts raised about a listing, oldest first (to decide whether to alert again).
    pub fn alerts(&self, listing_id: ListingId) -> Result<Vec<StoredAlert>, StoreError> {
        let doing = || format!("reading the alerts of listing {listing_id}");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, risk, signals, created_at, digest_id FROM alerts
                 WHERE listing_id = ?1 ORDER BY created_at, id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([listing_id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, risk, signals, at, digest_id) = row.doing(doing)?;
            out.push(StoredAlert {
                id: AlertId(id),
                listing_id,
                risk,
                signals: serde_json::from_str(&signals)
                    .map_err(|e| corrupt("alerts", id, "signals", e))?,
                created_at: time::from_sql(&at, "alerts", id, "created_at")?,
                digest_id: digest_id.map(OutboxId),
            });
        }
        Ok(out)
    }

    /// Messages not yet sent, oldest first.
    pub fn pending_outbox(&self) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox_where(
            "sent_at IS NULL ORDER BY id",
            [],
            "reading the pending outbox",
        )
    }

    /// Reads outbox rows: `tail` is the SQL after `WHERE` (condition and order).
    pub(crate) fn outbox_where(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
        doing: &str,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let doing = || doing.to_string();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, kind, recipient, subject, body, eml_path, created_at, attempts,
                        last_error, sent_at, next_attempt_at, message_id, run
                 FROM outbox WHERE {tail}"
            ))
            .doing(doing)?;
        let mut rows = stmt.query(params).doing(doing)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().doing(doing)? {
            let id: i64 = r.get(0).doing(doing)?;
            let text = |i: usize| r.get::<_, String>(i).doing(doing);
            let opt = |i: usize| r.get::<_, Option<String>>(i).doing(doing);
            out.push(OutboxMessage {
                id: OutboxId(id),
                kind: text(1)?,
                recipient: text(2)?,
                subject: text(3)?,
                body: text(4)?,
                eml_path: opt(5)?,
                created_at: time::from_sql(&text(6)?, "outbox", id, "created_at")?,
                attempts: r.get::<_, i64>(7).doing(doing)? as u32,
                last_error: opt(8)?,
                sent_at: time::opt_from_sql(opt(9)?, "outbox", id, "sent_at")?,
                next_attempt_at: time::opt_from_sql(opt(10)?, "outbox", id, "next_attempt_at")?,
                message_id: opt(11)?,
                run: opt(12)?,
            });
        }
        Ok(out)
    }

    /// See [`Transaction::mark_outbox_sent`]; one transaction.
    pub fn mark_outbox_sent(
        &mut self,
        id: OutboxId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| tx.mark_outbox_sent(id, at))
    }

    /// Claims pending message `id` for `by` until `until`, unless another sender holds an
    /// unexpired claim or it was sent: true if the caller may send it now. One statement, so
    /// two processes cannot both win.
    pub fn claim_outbox(
        &mut self,
        id: OutboxId,
        by: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .conn()
                .execute(
                    "UPDATE outbox SET claimed_by = ?2, claimed_until = ?4
                     WHERE id = ?1 AND sent_at IS NULL
                       AND (claimed_until IS NULL OR claimed_until <= ?3 OR claimed_by = ?2)",
                    params![id.0, by, time::to_sql(now), time::to_sql(until)],
                )
                .doing(|| format!("claiming outbox message {id}"))?;
            Ok(n > 0)
        })
    }

    /// See [`Transaction::mark_outbox_failed`]; one transaction.
    pub fn mark_outbox_failed(&mut self, id: OutboxId, error: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.mark_outbox_failed(id, error))
    }
}

#[cfg(test)]
mod contextual_tests {
    use super::own_risk;

    #[test]
    fn a_sellers_record_is_left_out_of_the_listings_own_risk() {
        let flags = r#"[{"signal":"price","score":0.8},{"signal":"seller","score":0.9}]"#;
        assert!((own_risk(flags, &["seller"]) - 0.8).abs() < 1e-12);
        assert!((own_risk(flags, &[]) - 0.98).abs() < 1e-12);
        assert_eq!(own_risk("not json", &["seller"]), 0.0);
    }
}
