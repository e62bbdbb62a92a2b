//! The run report: JSON in `runs/<run>-nightly.json` (and the store's `runs` row) for the
//! scheduler and the operator, and the human summary printed at the end.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How one stage went.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub name: &'static str,
    /// `ok`, `partial` (over its budget, or work left), `failed`, `done-earlier` (finished
    /// by the interrupted run this one resumes).
    pub status: &'static str,
    pub elapsed_s: f64,
    pub budget_s: u64,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole run.
#[derive(Debug, Default, Serialize)]
pub struct NightlyReport {
    pub run: String,
    pub kind: &'static str,
    /// `running` while it goes; then `ok`, `partial` or `failed`.
    pub status: &'static str,
    pub exit_code: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumes: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub stages: Vec<StageReport>,
    pub pages: usize,
    pub listings_new: usize,
    pub listings_changed: usize,
    pub delisted: usize,
    pub crawl_left_queued: u64,
    pub errors_by_host: BTreeMap<String, u64>,
    pub flagged: usize,
    pub flags_by_signal: BTreeMap<String, usize>,
    pub alerts_new: usize,
    pub digests_queued: usize,
    pub digests_sent: usize,
    pub digests_failed: usize,
    pub digests_pending: usize,
    pub delivery_errors: Vec<String>,
}

impl NightlyReport {
    /// Names of the stages finished (now or by the run this one resumes).
    pub fn stages_done(&self) -> Vec<&'static str> {
        self.stages
            .iter()
            .filter(|s| matches!(s.status, "ok" | "partial" | "done-earlier"))
            .map(|s| s.name)
            .collect()
    }
}

impl fmt::Display for NightlyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "nightly run {}: {}", self.run, self.status)?;
        if let Some(r) = &self.resumes {
            writeln!(f, "  resumes the interrupted run {r}")?;
        }
        for s in &self.stages {
            write!(
                f,
                "  {:<8} {:<12} {:>8.1}s (budget {}s)  {}",
                s.name, s.status, s.elapsed_s, s.budget_s, s.summary
            )?;
            if let Some(e) = &s.error {
                write!(f, "  ERROR: {e}")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "  pages {}, listings: {} new, {} changed, {} delisted; {} URLs left queued",
            self.pages,
            self.listings_new,
            self.listings_changed,
            self.delisted,
            self.crawl_left_queued
        )?;
        let signals: Vec<String> = self
            .flags_by_signal
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        writeln!(
            f,
            "  flagged {} (by signal: {})",
            self.flagged,
            if signals.is_empty() {
                "none".into()
            } else {
                signals.join(", ")
            }
        )?;
        writeln!(
            f,
            "  alerts: {} new in {} digests; {} digests sent, {} failed, {} still queued",
            self.alerts_new,
            self.digests_queued,
            self.digests_sent,
            self.digests_failed,
            self.digests_pending
        )?;
        for (host, n) in &self.errors_by_host {
            writeln!(f, "  errors at {host}: {n}")?;
        }
        for e in &self.delivery_errors {
            writeln!(f, "  delivery: {e}")?;
        }
        Ok(())
    }
}
