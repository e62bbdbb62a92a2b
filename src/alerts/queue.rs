//! Queueing: flagged listings that deserve an alert (new, a new signal, or a risk that rose)
//! become alerts, routed into one digest per investigator, rendered, and queued in the
//! store's outbox together with the alerts, in one transaction. Copies go to `outbox/*.eml`.

use super::{digest, route, AlertItem};
use crate::pipeline::Ctx;
use anyhow::Result;
use qsword_store::{DigestToQueue, ListingId, OutboxId};
use std::fmt;
use std::path::PathBuf;

/// What one queueing pass did.
#[derive(Debug, Default)]
pub struct AlertSummary {
    /// Listings alerted (each counted once, however many investigators get it).
    pub alerts: usize,
    /// One per digest: recipient, alerts in it, its `.eml` copy.
    pub digests: Vec<(String, usize, PathBuf)>,
    pub outbox_ids: Vec<OutboxId>,
}

impl fmt::Display for AlertSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} new alerts in {} digests",
            self.alerts,
            self.digests.len()
        )?;
        for (to, n, path) in &self.digests {
            write!(f, "\n  {to}: {n} alerts, {}", path.display())?;
        }
        Ok(())
    }
}

/// The host part of the sender, for Message-IDs.
fn id_domain(from: &str) -> String {
    from.rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "qsword.invalid".into())
}

/// Alerts what deserves it and queues one digest per recipient (see the module doc).
pub fn queue_new_alerts(ctx: &Ctx, run_id: &str) -> Result<AlertSummary> {
    let cfg = &ctx.cfg.alerts;
    let mut store = ctx.open_store()?;
    let candidates = store.alert_candidates(
        ctx.cfg.detector.alert_min_risk,
        cfg.realert_min_rise,
        &[qsword_detector::Signal::Seller.as_str()],
    )?;
    let items: Vec<AlertItem> = candidates
        .iter()
        .map(|(s, flags)| AlertItem::of(s, flags, &cfg.platform_regions))
        .collect();
    let mut summary = AlertSummary {
        alerts: items.len(),
        ..Default::default()
    };
    let domain = id_domain(&cfg.from);
    let mut queue = Vec::new();
    let mut files = Vec::new();
    for (n, d) in route(cfg, &items).iter().enumerate() {
        let name = format!("{run_id}-{n:02}");
        let message_id = format!("qsword-{name}@{domain}");
        let (message, subject) = digest::render(cfg, d, run_id, &message_id)?;
        let path = ctx.outbox_dir().join(format!("{name}.eml"));
        let raw = String::from_utf8(message.formatted()).expect("lettre writes UTF-8 or ASCII");
        summary
            .digests
            .push((d.address.clone(), d.items.len(), path.clone()));
        queue.push(DigestToQueue {
            recipient: d.address.clone(),
            subject,
            message: raw,
            message_id,
            eml_path: Some(path.display().to_string()),
            listing_ids: d.items.iter().map(|i| ListingId(i.listing_id)).collect(),
        });
        files.push((name, message));
    }
    crate::nightly::crash_point("alerts");
    // Alerts and their mails are committed before any file exists: a crash after the commit
    // loses at most an .eml copy, never an alert, and queues nothing twice.
    let queued = store.queue_digests(run_id, &queue, chrono::Utc::now())?;
    summary.outbox_ids = queued.iter().map(|q| q.outbox_id).collect();
    for (name, message) in &files {
        super::write_eml(&ctx.outbox_dir(), name, message)?;
    }
    Ok(summary)
}
