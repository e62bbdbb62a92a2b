//! The outbox as SMTP delivery uses it: digests queued with their alerts in one transaction,
//! the messages due for a (re)try, failed sends scheduled again with backoff.

use crate::alerts::{NewOutboxMessage, OutboxMessage, QueuedDigest, StoredAlert};
use crate::error::Doing;
use crate::{time, ListingId, OutboxId, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// One rendered digest to queue, with the listings it alerts about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestToQueue {
    pub recipient: String,
    pub subject: String,
    /// The whole RFC 5322 message, as it will be sent.
    pub message: String,
    /// `Message-ID` of the message, without angle brackets.
    pub message_id: String,
    /// Where a copy of the message is written in `outbox/`, if anywhere.
    pub eml_path: Option<String>,
    pub listing_ids: Vec<ListingId>,
}

impl Store {
    /// Queues every digest of a run and creates their alerts (each with the risk and signals
    /// of its listing's latest assessment) in **one** transaction: a crash leaves either all
    /// of a run's alerts queued or none, so no investigator misses an alert that another one's
    /// digest already marked as alerted. Fails, creating nothing, if a listing was never
    /// assessed.
    pub fn queue_digests(
        &mut self,
        run: &str,
        digests: &[DigestToQueue],
        at: DateTime<Utc>,
    ) -> Result<Vec<QueuedDigest>, StoreError> {
        self.write(|tx| {
            let mut queued = Vec::with_capacity(digests.len());
            for d in digests {
                let alerts = d
                    .listing_ids
                    .iter()
                    .map(|&id| tx.alert_from_latest(id))
                    .collect::<Result<Vec<_>, _>>()?;
                let message = NewOutboxMessage {
                    kind: "digest".into(),
                    recipient: d.recipient.clone(),
                    subject: d.subject.clone(),
                    body: d.message.clone(),
                    eml_path: d.eml_path.clone(),
                };
                let q = tx.create_alerts_with_outbox(&alerts, &message, at)?;
                tx.conn()
                    .execute(
                        "UPDATE outbox SET message_id = ?2, run = ?3 WHERE id = ?1",
                        params![q.outbox_id.0, d.message_id, run],
                    )
                    .doing(|| {
                        format!("recording the Message-ID of outbox message {}", q.outbox_id)
                    })?;
                queued.push(q);
            }
            Ok(queued)
        })
    }

    /// Messages not yet sent whose next attempt is due at `now` (never tried, or their backoff
    /// has passed), oldest first.
    pub fn due_outbox(&self, now: DateTime<Utc>) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox_where(
            "sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY id",
            [time::to_sql(now)],
            "reading the outbox messages due",
        )
    }

    /// The most recent `limit` messages, sent or not, newest first.
    pub fn recent_outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, StoreError> {
        self.outbox_where(
            "1 ORDER BY id DESC LIMIT ?1",
            [limit as i64],
            "reading the outbox",
        )
    }

    /// Records a failed send: one more attempt, its error, and no new try before `next_at`.
    /// Returns `false` if the message is not pending.
    pub fn schedule_retry(
        &mut self,
        id: OutboxId,
        error: &str,
        next_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .conn()
                .execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3,
                                       claimed_by = NULL, claimed_until = NULL
                     WHERE id = ?1 AND sent_at IS NULL",
                    params![id.0, error, time::to_sql(next_at)],
                )
                .doing(|| format!("scheduling a retry of outbox message {id}"))?;
            Ok(n > 0)
        })
    }

    /// The alerts a digest carries, by listing.
    pub fn alerts_of_digest(&self, id: OutboxId) -> Result<Vec<StoredAlert>, StoreError> {
        let doing = || format!("reading the alerts of outbox message {id}");
        let mut stmt = self
            .conn
            .prepare("SELECT listing_id FROM alerts WHERE digest_id = ?1 ORDER BY id")
            .doing(doing)?;
        let listings = stmt
            .query_map([id.0], |r| r.get::<_, i64>(0))
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let mut out = Vec::new();
        for l in listings {
            out.extend(
                self.alerts(ListingId(l))?
                    .into_iter()
                    .filter(|a| a.digest_id == Some(id)),
            );
        }
        Ok(out)
    }
}
