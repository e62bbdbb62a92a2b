//! `qsword alerts [queue|list|send|retry]`: the operator's handle on the outbox.

use super::delivery::{deliver, Which};
use crate::pipeline::Ctx;
use anyhow::Result;
use std::time::Duration;

#[derive(clap::Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    command: Option<AlertsCommand>,
}

#[derive(clap::Subcommand)]
enum AlertsCommand {
    /// Alert what deserves it and queue the digests (also the default without a subcommand).
    Queue,
    /// The outbox, newest first: sent, queued, failed (with the error and the next try).
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Send the queued digests that are due (their backoff has passed).
    Send,
    /// Send every queued digest now, whatever its backoff (the relay is known to be back).
    Retry,
}

pub fn run(ctx: &Ctx, args: AlertsArgs) -> Result<i32> {
    let which = match args.command.unwrap_or(AlertsCommand::Queue) {
        AlertsCommand::Queue => {
            // Two processes choosing alerts at once would both alert the same listings: the
            // nightly run's lock keeps them apart.
            let Some(_lock) = crate::nightly::lock::RunLock::try_acquire(&ctx.data)? else {
                eprintln!(
                    "another qsword run holds {} (a nightly run queues the alerts itself); \
                     try again when it is done",
                    ctx.data.join("nightly.lock").display()
                );
                return Ok(crate::nightly::EXIT_LOCKED);
            };
            let s = super::queue_new_alerts(ctx, &crate::pipeline::run_id())?;
            println!("{s}");
            return Ok(0);
        }
        AlertsCommand::List { limit } => {
            list(ctx, limit)?;
            return Ok(0);
        }
        AlertsCommand::Send => Which::Due,
        AlertsCommand::Retry => Which::AllPending,
    };
    let mut store = ctx.open_store()?;
    let report = deliver(
        &mut store,
        &ctx.cfg.alerts,
        which,
        Duration::from_secs(ctx.cfg.nightly.deliver_s),
        chrono::Utc::now(),
    )?;
    println!("{report}");
    // A scheduler can tell "some digests did not go" from "all went".
    Ok(if report.failed > 0 || report.out_of_time {
        crate::nightly::EXIT_PARTIAL
    } else {
        0
    })
}

fn list(ctx: &Ctx, limit: usize) -> Result<()> {
    let store = ctx.open_store()?;
    let messages = store.recent_outbox(limit)?;
    if messages.is_empty() {
        println!("the outbox is empty");
    }
    for m in messages {
        let alerts = store.alerts_of_digest(m.id)?.len();
        let state = match (&m.sent_at, &m.last_error) {
            (Some(at), _) => format!("sent {}", at.format("%Y-%m-%d %H:%M:%S")),
            (None, Some(e)) => format!(
                "queued, {} failed attempts, next try {} (last error: {e})",
                m.attempts,
                m.next_attempt_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "now".into())
            ),
            (None, None) => "queued".into(),
        };
        println!(
            "#{:<5} {:<32} {:>4} alerts  {}  {}",
            m.id, m.recipient, alerts, state, m.subject
        );
    }
    Ok(())
}
