//! Run records: one row per crawl/nightly/detect run, with its JSON report, so an
//! interrupted run can be recognised and resumed.

use crate::error::Doing;
use crate::{time, RunId, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// A run as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub id: RunId,
    /// e.g. `crawl`, `nightly`, `detect`.
    pub kind: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running` until finished; then what the caller said (`ok`, `partial`, `failed`).
    pub status: String,
    pub report: Option<serde_json::Value>,
}

impl Store {
    /// Records the start of a run (one transaction).
    pub fn begin_run(&mut self, kind: &str, at: DateTime<Utc>) -> Result<RunId, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO runs (kind, started_at) VALUES (?1, ?2)",
                    params![kind, time::to_sql(at)],
                )
                .doing(|| format!("recording the start of a {kind} run"))?;
            Ok(RunId(tx.conn().last_insert_rowid()))
        })
    }

    /// Records the end of a run with its status and report (one transaction).
    pub fn finish_run(
        &mut self,
        id: RunId,
        status: &str,
        report: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "UPDATE runs SET finished_at = ?2, status = ?3, report_json = ?4 WHERE id = ?1",
                    params![id.0, time::to_sql(at), status, report.to_string()],
                )
                .doing(|| format!("recording the end of run {id}"))?;
            Ok(())
        })
    }

    /// Replaces the report of a run still going (a long run records its progress, e.g. the
    /// stages done, so a restart after a crash knows where it was).
    pub fn update_run_report(
        &mut self,
        id: RunId,
        report: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "UPDATE runs SET report_json = ?2 WHERE id = ?1",
                    params![id.0, report.to_string()],
                )
                .doing(|| format!("recording the progress of run {id}"))?;
            Ok(())
        })
    }

    /// Marks every run of `kind` still `running` as `interrupted` (its process died: a new
    /// run is starting). Returns how many.
    pub fn mark_interrupted_runs(
        &mut self,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?2
                     WHERE kind = ?1 AND status = 'running'",
                    params![kind, time::to_sql(at)],
                )
                .doing(|| format!("marking interrupted {kind} runs"))
        })
    }

    /// The most recent run of `kind` (e.g. to find an unfinished one to resume).
    pub fn last_run(&self, kind: &str) -> Result<Option<Run>, StoreError> {
        let raw = self
            .conn
            .query_row(
                "SELECT id, started_at, finished_at, status, report_json FROM runs
                 WHERE kind = ?1 ORDER BY id DESC",
                [kind],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .optional()
            .doing(|| format!("reading the last {kind} run"))?;
        let Some((id, started, finished, status, report)) = raw else {
            return Ok(None);
        };
        let report = report
            .map(|r| serde_json::from_str(&r))
            .transpose()
            .map_err(|e| StoreError::Corrupt {
                table: "runs",
                id,
                column: "report_json",
                message: e.to_string(),
            })?;
        Ok(Some(Run {
            id: RunId(id),
            kind: kind.to_owned(),
            started_at: time::from_sql(&started, "runs", id, "started_at")?,
            finished_at: time::opt_from_sql(finished, "runs", id, "finished_at")?,
            status,
            report,
        }))
    }
}
