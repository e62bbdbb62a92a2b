//! `qsword nightly`: crawl (incremental) → detect → index → alerts → deliver, unattended.
//!
//! - One run per data directory at a time (`lock`); a second start exits with [`EXIT_LOCKED`].
//! - Each stage has a time budget (`[nightly]`); the crawl stops starting visits at its
//!   budget, delivery stops sending at its; the others are measured against theirs.
//! - After every stage the run's row in the store records the stages done. A run that dies
//!   (`kill -9`, power cut) leaves its row `running`; the next start (or `--resume`) carries
//!   on from the first stage not done, crawling with `resume` (finish the queue, queue
//!   nothing new). Each stage is safe to repeat: the crawl upserts by URL, detection is one
//!   transaction, the index catches up from its checkpoint, alerts are only raised for what
//!   deserves one, and a digest once marked sent is never handed out again.
//! - Exit codes: 0 ok, [`EXIT_PARTIAL`] (some digests not delivered, work left queued, or a
//!   stage over budget), 1 failure, [`EXIT_LOCKED`] another run holds the lock.

mod crash;
pub(crate) mod lock;
mod report;
mod stages;

pub use crash::crash_point;
pub use report::{NightlyReport, StageReport};

use crate::pipeline::{self, Ctx};
use anyhow::{bail, Result};
use serde::Deserialize;
use std::path::Path;

/// Some work was not done (digests still queued, URLs left, a stage over its budget).
pub const EXIT_PARTIAL: i32 = 3;
/// Another run holds the lock (EX_TEMPFAIL: try again later).
pub const EXIT_LOCKED: i32 = 75;

/// A run that died longer ago than this is not resumed: the next night starts afresh.
const RESUME_WITHIN_H: i64 = 20;

/// `[nightly]`: the time budget of each stage, in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NightlySection {
    pub crawl_s: u64,
    pub detect_s: u64,
    pub index_s: u64,
    pub alerts_s: u64,
    pub deliver_s: u64,
}

impl Default for NightlySection {
    fn default() -> Self {
        NightlySection {
            crawl_s: 5 * 3600,
            detect_s: 1800,
            index_s: 1800,
            alerts_s: 600,
            deliver_s: 600,
        }
    }
}

impl NightlySection {
    pub fn check(&self, path: &Path, text: &str) -> Result<()> {
        for (key, v) in [
            ("crawl_s", self.crawl_s),
            ("detect_s", self.detect_s),
            ("index_s", self.index_s),
            ("alerts_s", self.alerts_s),
            ("deliver_s", self.deliver_s),
        ] {
            if v == 0 {
                let line = crate::alerts::line_of(text, "[nightly]", 0, key)
                    .map(|l| format!(": line {l}"))
                    .unwrap_or_default();
                bail!(
                    "{}{line}: key `nightly.{key}` is 0; a stage needs a budget of at least 1 second",
                    path.display()
                );
            }
        }
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct NightlyArgs {
    /// Carry on with the interrupted run (also done unasked when the last run died).
    #[arg(long)]
    pub resume: bool,
    /// Stop the crawl after this many pages (overrides crawler.max_pages).
    #[arg(long)]
    pub max_pages: Option<u64>,
}

/// Runs the night over the configured sites, prints the summary; returns the exit code.
pub fn run(ctx: &Ctx, args: NightlyArgs) -> Result<i32> {
    // Everything that can be wrong with the configuration is found before any work starts.
    let sites = ctx.cfg.load_sites(ctx.cfg_path.as_deref())?;
    let Some((report, path)) = night(ctx, &sites, &args)? else {
        eprintln!(
            "another qsword nightly run holds {}; not starting a second one",
            ctx.data.join("nightly.lock").display()
        );
        return Ok(EXIT_LOCKED);
    };
    print!("{report}");
    println!("  report: {}", path.display());
    Ok(report.exit_code)
}

/// Runs the night over `sites`: its report and where it was written, or `None` if another
/// run holds the lock.
pub fn night(
    ctx: &Ctx,
    sites: &[qsword_crawler::Site],
    args: &NightlyArgs,
) -> Result<Option<(NightlyReport, std::path::PathBuf)>> {
    if let Some(smtp) = &ctx.cfg.alerts.smtp {
        smtp.transport()?;
    }
    let Some(_lock) = lock::RunLock::try_acquire(&ctx.data)? else {
        return Ok(None);
    };
    let mut store = ctx.open_store()?;
    let now = chrono::Utc::now();
    // We hold the lock, so a run still `running` is one that died: carry it on — unless it
    // started on an earlier night, which a fresh run covers anyway (every stage catches up).
    let interrupted = store
        .last_run("nightly")?
        .filter(|r| r.status == "running")
        .filter(|r| now - r.started_at < chrono::Duration::hours(RESUME_WITHIN_H));
    let done_before: Vec<String> = interrupted
        .as_ref()
        .and_then(|r| r.report.as_ref())
        .and_then(|r| serde_json::from_value(r["stages_done"].clone()).ok())
        .unwrap_or_default();
    let resumes = interrupted
        .as_ref()
        .and_then(|r| r.report.as_ref())
        .and_then(|r| r["run"].as_str().map(str::to_owned));
    store.mark_interrupted_runs("nightly", now)?;
    let row = store.begin_run("nightly", now)?;
    drop(store);
    let mut report = NightlyReport {
        // A resumed run keeps its id, so its digests keep their names.
        run: resumes.clone().unwrap_or_else(pipeline::run_id),
        kind: "nightly",
        status: "running",
        resumes,
        started_at: now.to_rfc3339(),
        ..Default::default()
    };
    let resume_crawl = args.resume || interrupted.is_some();
    let mut night = stages::Night {
        ctx,
        sites,
        max_pages: args.max_pages,
        resume_crawl,
        report: &mut report,
    };
    for stage in &stages::STAGES {
        // Delivery always runs: it sends whatever is due, including earlier runs' digests.
        if stage.name != "deliver" && done_before.iter().any(|d| d == stage.name) {
            night.report.stages.push(StageReport {
                name: stage.name,
                status: "done-earlier",
                elapsed_s: 0.0,
                budget_s: (stage.budget)(&ctx.cfg.nightly),
                summary: "finished by the interrupted run".into(),
                error: None,
            });
            continue;
        }
        record_progress(ctx, row, night.report, stage.name)?;
        night.run_stage(stage);
    }
    let failed = report.stages.iter().any(|s| s.status == "failed");
    let partial = report.stages.iter().any(|s| s.status == "partial");
    let (status, code) = match (failed, partial) {
        (true, _) => ("failed", 1),
        (false, true) => ("partial", EXIT_PARTIAL),
        _ => ("ok", 0),
    };
    report.status = status;
    report.exit_code = code;
    report.finished_at = Some(chrono::Utc::now().to_rfc3339());
    let json = serde_json::to_value(&report)?;
    let mut store = ctx.open_store()?;
    let path = pipeline::write_run_report(ctx, &format!("{}-nightly", report.run), &json)?;
    store.finish_run(row, status, &json, chrono::Utc::now())?;
    Ok(Some((report, path)))
}

/// Records in the run's row which stage is starting and which are done, so a restart after
/// a crash knows where to carry on.
fn record_progress(
    ctx: &Ctx,
    row: qsword_store::RunId,
    report: &NightlyReport,
    stage: &str,
) -> Result<()> {
    let mut json = serde_json::to_value(report)?;
    json["stage"] = stage.into();
    json["stages_done"] = serde_json::to_value(report.stages_done())?;
    ctx.open_store()?.update_run_report(row, &json)?;
    Ok(())
}
