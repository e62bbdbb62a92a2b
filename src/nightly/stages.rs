//! The stages of a night, each run with its budget and turned into a [`StageReport`]; a
//! stage that fails is recorded and the night goes on with the next (delivery still sends
//! what earlier nights queued).

use super::{NightlyReport, NightlySection, StageReport};
use crate::alerts::delivery::{self, Which};
use crate::pipeline::{self, Ctx};
use anyhow::Result;
use qsword_crawler::Site;
use std::time::{Duration, Instant};

pub struct Stage {
    pub name: &'static str,
    pub budget: fn(&NightlySection) -> u64,
}

pub const STAGES: [Stage; 5] = [
    Stage {
        name: "crawl",
        budget: |n| n.crawl_s,
    },
    Stage {
        name: "detect",
        budget: |n| n.detect_s,
    },
    Stage {
        name: "index",
        budget: |n| n.index_s,
    },
    Stage {
        name: "alerts",
        budget: |n| n.alerts_s,
    },
    Stage {
        name: "deliver",
        budget: |n| n.deliver_s,
    },
];

pub struct Night<'a> {
    pub ctx: &'a Ctx,
    pub sites: &'a [Site],
    pub max_pages: Option<u64>,
    pub resume_crawl: bool,
    pub report: &'a mut NightlyReport,
}

/// A stage's own verdict: its summary line, and whether it left work undone.
struct Outcome {
    summary: String,
    incomplete: bool,
}

impl Night<'_> {
    pub fn run_stage(&mut self, stage: &Stage) {
        let budget_s = (stage.budget)(&self.ctx.cfg.nightly);
        let started = Instant::now();
        let result = match stage.name {
            "crawl" => self.crawl(budget_s),
            "detect" => self.detect(),
            "index" => self.index(),
            "alerts" => self.alerts(),
            _ => self.deliver(budget_s),
        };
        let elapsed_s = started.elapsed().as_secs_f64();
        let over = elapsed_s > budget_s as f64;
        let (status, summary, error) = match result {
            Ok(o) if o.incomplete || over => ("partial", o.summary, None),
            Ok(o) => ("ok", o.summary, None),
            Err(e) => ("failed", String::new(), Some(format!("{e:#}"))),
        };
        if let Some(e) = &error {
            tracing::error!(stage = stage.name, "{e}");
        }
        self.report.stages.push(StageReport {
            name: stage.name,
            status,
            elapsed_s,
            budget_s,
            summary: if over {
                format!("{summary} (over its {budget_s}s budget)")
            } else {
                summary
            },
            error,
        });
    }

    fn crawl(&mut self, budget_s: u64) -> Result<Outcome> {
        let mut cfg = self.ctx.cfg.crawler.clone();
        cfg.max_run_s = Some(cfg.max_run_s.unwrap_or(f64::MAX).min(budget_s as f64));
        if let Some(n) = self.max_pages {
            cfg.max_pages = n;
        }
        let s = pipeline::crawl(self.ctx, &cfg, self.sites, self.resume_crawl)?;
        let r = &mut *self.report;
        r.pages = s.pages;
        r.listings_new = s.listings_new;
        r.listings_changed = s.listings_changed;
        r.delisted = s.delisted;
        let store = self.ctx.open_store()?;
        if let Some(report) = store.last_run("crawl")?.and_then(|r| r.report) {
            if let Ok(errors) = serde_json::from_value(report["crawler"]["errors_by_host"].clone())
            {
                r.errors_by_host = errors;
            }
        }
        let c = store.counts()?;
        r.crawl_left_queued = c.frontier_queued + c.frontier_in_flight;
        Ok(Outcome {
            incomplete: r.crawl_left_queued > 0,
            summary: if r.crawl_left_queued > 0 {
                format!("{s}; {} URLs left for the next run", r.crawl_left_queued)
            } else {
                s.to_string()
            },
        })
    }

    fn detect(&mut self) -> Result<Outcome> {
        let s = pipeline::detect(self.ctx)?;
        self.report.flagged = s.flagged;
        self.report.flags_by_signal = s.by_signal.clone();
        Ok(Outcome {
            summary: s.to_string(),
            incomplete: false,
        })
    }

    fn index(&mut self) -> Result<Outcome> {
        let s = pipeline::index_with(self.ctx, false)?;
        Ok(Outcome {
            summary: s.to_string(),
            incomplete: false,
        })
    }

    fn alerts(&mut self) -> Result<Outcome> {
        let s = pipeline::alerts(self.ctx, &self.report.run)?;
        self.report.alerts_new = s.alerts;
        self.report.digests_queued = s.digests.len();
        Ok(Outcome {
            summary: format!("{} new alerts in {} digests", s.alerts, s.digests.len()),
            incomplete: false,
        })
    }

    fn deliver(&mut self, budget_s: u64) -> Result<Outcome> {
        let mut store = self.ctx.open_store()?;
        if self.ctx.cfg.alerts.smtp.is_none() {
            let pending = store.pending_outbox()?.len();
            self.report.digests_pending = pending;
            return Ok(Outcome {
                summary: format!("no [alerts.smtp]: {pending} digests stay in outbox/"),
                incomplete: false,
            });
        }
        let d = delivery::deliver(
            &mut store,
            &self.ctx.cfg.alerts,
            Which::Due,
            Duration::from_secs(budget_s),
            chrono::Utc::now(),
        )?;
        let r = &mut *self.report;
        r.digests_sent = d.sent;
        r.digests_failed = d.failed;
        r.digests_pending = d.pending;
        r.delivery_errors = d.errors.clone();
        Ok(Outcome {
            summary: format!(
                "{} digests sent, {} failed, {} still queued",
                d.sent, d.failed, d.pending
            ),
            incomplete: d.pending > 0 || d.out_of_time,
        })
    }
}
