//! `qsword bench nightly`: one whole night — crawl, detect, index, alerts, SMTP delivery —
//! over a simulated marketplace of about 100 000 listings (8 shops on loopback, market in a
//! child process), with politeness relaxed for loopback (no per-host delay, no Crawl-delay;
//! still one request at a time per host). The figure is the run report's stage timings and
//! the total, against the goal of 10 minutes on the 2-core machine.
//!
//! Delivery goes to a real SMTP server on loopback (the test suite's aiosmtpd sink, when
//! Debian's python3-aiosmtpd is installed); without it the digests stay queued and the
//! bench says so.

use super::{bench_sites, build_kind, cores, peak_rss_mib, MarketChild};
use crate::alerts::{SmtpConfig, TlsMode};
use crate::config::Investigator;
use crate::nightly::{self, NightlyArgs};
use crate::pipeline::Ctx;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The goal of issue 7: a whole night in at most this long.
const GOAL_S: f64 = 600.0;

#[derive(clap::Args)]
pub struct NightlyBenchArgs {
    /// Shops of the simulated marketplace (5 ..= 8).
    #[arg(long, default_value_t = 8)]
    shops: usize,
    /// Catalogue products, each offered ~15 times over the shops (6 700 ≈ 100 000 listings).
    #[arg(long, default_value_t = 6_700)]
    products: usize,
}

/// The SMTP sink of the tests, in a child process, killed when dropped.
struct SmtpSink {
    child: Child,
    port: u16,
}

impl SmtpSink {
    fn start(dir: &Path) -> Result<Option<SmtpSink>> {
        let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        let Some(python) = python else {
            return Ok(None);
        };
        let script = dir.join("smtp_sink.py");
        std::fs::write(&script, include_str!("../../tests/smtp_sink.py"))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(python)
            .arg(&script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(dir.join("mail"))
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the SMTP sink")?;
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().context("sink stdout")?),
            &mut line,
        )?;
        if !line.starts_with("listening") {
            bail!("the SMTP sink said {line:?}");
        }
        Ok(Some(SmtpSink { child, port }))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn investigators() -> Vec<Investigator> {
    let inv = |name: &str, email: &str, categories: &[&str]| Investigator {
        name: name.into(),
        email: email.into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        platforms: vec![],
        brands: vec![],
        regions: vec![],
        min_risk: None,
    };
    vec![
        inv(
            "李明",
            "li.ming@center.example",
            &["switches-sockets", "wire-cable", "chargers-power-banks"],
        ),
        inv(
            "王芳",
            "wang.fang@center.example",
            &["toys", "childrens-products", "household-appliances"],
        ),
        inv(
            "张伟",
            "zhang.wei@center.example",
            &["fertilizers", "agri-machinery-parts", "auto-filters"],
        ),
    ]
}

pub fn run(base: &Ctx, args: &NightlyBenchArgs) -> Result<()> {
    println!(
        "qsword bench nightly: {} shops, {} products, loopback politeness relaxed, {} cores ({})",
        args.shops,
        args.products,
        cores(),
        build_kind()
    );
    let t = Instant::now();
    let (child, market) = MarketChild::start(
        &base.data,
        &[
            "--seed=1".to_string(),
            format!("--shops={}", args.shops),
            format!("--products={}", args.products),
            "--crawl-delay=0".to_string(),
        ],
    )?;
    println!(
        "  market     {} product pages ({} live), up in {:.1}s (not counted)",
        market.offers,
        market.live_offers,
        t.elapsed().as_secs_f64()
    );
    let sink = SmtpSink::start(&base.data)?;
    let mut cfg = base.cfg.clone();
    cfg.crawler.default_delay_ms = 0;
    cfg.crawler.max_pages = u64::MAX;
    cfg.crawler.allow_loopback = true;
    cfg.alerts.investigators = investigators();
    cfg.alerts.smtp = sink.as_ref().map(|s| SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(s.port),
        tls: TlsMode::None,
        username: None,
        password_env: None,
        timeout_s: 60,
    });
    if sink.is_none() {
        println!(
            "  NOTE: no python3 with aiosmtpd: SMTP delivery is NOT measured (digests stay queued)"
        );
    }
    let ctx = Ctx {
        cfg,
        cfg_path: None,
        data: base.data.join("night"),
    };
    let sites = bench_sites(&market.shops)?;
    let t = Instant::now();
    let (report, path) = nightly::night(
        &ctx,
        &sites,
        &NightlyArgs {
            resume: false,
            max_pages: None,
        },
    )?
    .context("the bench's own data directory is locked")?;
    let total = t.elapsed().as_secs_f64();
    drop(child);
    let listings = ctx.open_store()?.counts()?.listings;
    for s in &report.stages {
        println!("  {:<8}   {:>7.1}s  {}", s.name, s.elapsed_s, s.summary);
    }
    println!(
        "  total      {total:.1}s for {listings} listings ({:.0} listings/s), status {} — goal ≤ {GOAL_S:.0}s: {}",
        listings as f64 / total.max(1e-9),
        report.status,
        if total <= GOAL_S { "met" } else { "NOT met" }
    );
    if let Some(m) = peak_rss_mib() {
        println!("  memory     peak RSS {m:.0} MiB");
    }
    println!(
        "  report     {} (removed with the bench's folder)",
        path.display()
    );
    Ok(())
}
