//! Alerts: route flagged listings to the investigators who cover them (`routing`), render
//! one digest per investigator — plain text + HTML, every crawled string escaped, the alerts
//! as CSV (`digest`) — queue it in the store's outbox with its alerts (`queue`), and mail it
//! over SMTP (`delivery`). `cli` is `qsword alerts`.
//!
//! Every digest is also written to `outbox/` as a complete RFC 5322 message (`.eml`) that
//! any mail client opens; the store's outbox row is what delivery sends and marks sent.

mod cli;
mod config_check;
pub mod delivery;
pub mod digest;
pub mod item;
mod queue;
pub(crate) mod routing;

pub use cli::{run as cli, AlertsArgs};
pub use config_check::{check_config, line_of};
pub use delivery::{SmtpConfig, TlsMode};
pub use item::AlertItem;
pub use queue::{queue_new_alerts, AlertSummary};
pub use routing::route;

use anyhow::{Context, Result};
use lettre::Message;
use std::path::{Path, PathBuf};

/// Writes the message to `outbox/` atomically (temp file + rename), so a crash never leaves a
/// half-written digest that a relay would send.
pub fn write_eml(outbox: &Path, name: &str, message: &Message) -> Result<PathBuf> {
    std::fs::create_dir_all(outbox).with_context(|| format!("creating {}", outbox.display()))?;
    let path = outbox.join(format!("{name}.eml"));
    let tmp = outbox.join(format!(".{name}.eml.tmp"));
    std::fs::write(&tmp, message.formatted())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
