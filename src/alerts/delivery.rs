//! Delivery: the outbox's due messages go out over SMTP (lettre), each marked sent once the
//! server accepted it. A failed send stays queued with its error and is not tried again
//! before its backoff has passed (`retry_backoff_s`, doubling, at most `max_backoff_s`).
//!
//! One message, one transaction: the only window in which a crash could send a digest twice is
//! between the server's "250 OK" and the commit that marks it sent (one round trip); the
//! stable `Message-ID` lets a mail system recognise such a resend.

use crate::config::AlertsConfig;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use qsword_store::{OutboxMessage, Store};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// `[alerts.smtp]`: the mail relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    pub username: Option<String>,
    /// The name of the environment variable holding the password (kept out of the file).
    pub password_env: Option<String>,
    /// Per SMTP command.
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
}

fn default_timeout_s() -> u64 {
    30
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (refused if the server cannot).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same machine (and the tests).
    None,
}

impl SmtpConfig {
    fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        })
    }

    /// The transport, built from the config (no connection is made yet).
    pub fn transport(&self) -> Result<SmtpTransport> {
        let mut b = SmtpTransport::builder_dangerous(&self.host)
            .port(self.port())
            .timeout(Some(Duration::from_secs(self.timeout_s)));
        let params = || {
            TlsParameters::new(self.host.clone())
                .with_context(|| format!("TLS parameters for {}", self.host))
        };
        b = match self.tls {
            TlsMode::None => b.tls(Tls::None),
            TlsMode::Starttls => b.tls(Tls::Required(params()?)),
            TlsMode::Tls => b.tls(Tls::Wrapper(params()?)),
        };
        if let Some(user) = &self.username {
            let var = self
                .password_env
                .as_deref()
                .unwrap_or("QSWORD_SMTP_PASSWORD");
            let password = std::env::var(var).with_context(|| {
                format!("alerts.smtp.username is set: the password must be in ${var}")
            })?;
            b = b.credentials(Credentials::new(user.clone(), password));
        }
        Ok(b.build())
    }
}

/// Which queued messages to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Those whose backoff has passed (the nightly job, `alerts send`).
    Due,
    /// Every pending one, now (`alerts retry`: the operator knows the relay is back).
    AllPending,
}

/// What a delivery pass did.
#[derive(Debug, Default, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
    /// Pending after the pass (failed, not yet due, or left for lack of time).
    pub pending: usize,
    /// One line per failure: recipient and error.
    pub errors: Vec<String>,
    /// The time budget ran out before every due message was tried.
    pub out_of_time: bool,
    /// Left alone because another sender (a racing `alerts send`, the nightly delivery) had
    /// claimed them.
    pub claimed_elsewhere: usize,
}

impl std::fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} digests sent, {} failed, {} still queued",
            self.sent, self.failed, self.pending
        )?;
        if self.claimed_elsewhere > 0 {
            write!(
                f,
                " ({} being sent by another process)",
                self.claimed_elsewhere
            )?;
        }
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// The wait before the next try after `attempts` failed ones.
pub fn backoff(cfg: &AlertsConfig, attempts: u32) -> chrono::Duration {
    let s = cfg
        .retry_backoff_s
        .saturating_mul(1u64 << attempts.min(20))
        .min(cfg.max_backoff_s);
    chrono::Duration::seconds(s as i64)
}

fn raw_message(m: &OutboxMessage) -> Result<Vec<u8>> {
    if !m.body.is_empty() {
        return Ok(m.body.as_bytes().to_vec());
    }
    // Digests queued before SMTP delivery existed live only in their .eml file.
    let path = m
        .eml_path
        .as_deref()
        .with_context(|| format!("outbox message {} has neither a body nor a file", m.id))?;
    std::fs::read(path).with_context(|| format!("reading {path}"))
}

fn envelope(cfg: &AlertsConfig, m: &OutboxMessage) -> Result<Envelope> {
    let from: Address = super::digest::sender(cfg)?.email;
    let to: Address = m
        .recipient
        .parse()
        .with_context(|| format!("recipient {:?}", m.recipient))?;
    Ok(Envelope::new(Some(from), vec![to])?)
}

/// Who claims digests: this process on this machine.
fn sender_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}@{}", std::process::id(), host.trim())
}

/// Sends the chosen queued messages, marking each sent or scheduling its retry, until done or
/// until `budget` is spent. Each is claimed in the store before it is sent (exactly once
/// across processes, short of a crash between the server's acceptance and the mark).
pub fn deliver(
    store: &mut Store,
    cfg: &AlertsConfig,
    which: Which,
    budget: Duration,
    now: DateTime<Utc>,
) -> Result<DeliveryReport> {
    let Some(smtp) = &cfg.smtp else {
        bail!("no [alerts.smtp] in the config: the digests stay in the outbox");
    };
    let transport = smtp.transport()?;
    let started = Instant::now();
    let messages = match which {
        Which::Due => store.due_outbox(now)?,
        Which::AllPending => store.pending_outbox()?,
    };
    let mut report = DeliveryReport::default();
    for m in &messages {
        if started.elapsed() >= budget {
            report.out_of_time = true;
            break;
        }
        // Claimed first: another process sending the same outbox (a manual `alerts send`
        // during the night's delivery) skips what this one sends, and vice versa. The claim
        // outlasts the SMTP exchange; if this process dies holding it, it lapses.
        let now = Utc::now();
        let until = now + chrono::Duration::seconds(smtp.timeout_s as i64 * 2 + 60);
        if !store.claim_outbox(m.id, &sender_id(), now, until)? {
            report.claimed_elsewhere += 1;
            continue;
        }
        let sent = envelope(cfg, m).and_then(|env| {
            let raw = raw_message(m)?;
            transport
                .send_raw(&env, &raw)
                .with_context(|| format!("SMTP {}:{}", smtp.host, smtp.port()))
        });
        match sent {
            Ok(_) => {
                store.mark_outbox_sent(m.id, Utc::now())?;
                report.sent += 1;
                crate::nightly::crash_point("deliver");
            }
            Err(e) => {
                let error = format!("{e:#}");
                let next = Utc::now() + backoff(cfg, m.attempts);
                store.schedule_retry(m.id, &error, next)?;
                report.failed += 1;
                report
                    .errors
                    .push(format!("outbox {} to {}: {error}", m.id, m.recipient));
            }
        }
    }
    report.pending = store.pending_outbox()?.len();
    Ok(report)
}
