//! `qsword nightly` end to end, over real HTTP (the simulated marketplace on loopback) and
//! real SMTP (aiosmtpd on loopback, see `mail/`): one digest per investigator with exactly
//! the alerts their routing selects; a mail server that is down gives a "partial" run and
//! loses nothing; `kill -9` in any stage, then a restart, loses and duplicates nothing; the
//! second night alerts only what is new or worse.

mod common;
mod mail;

use common::{live_by_url, ok, qsword, stored, write_config_with};
use mail::{free_port, Received, Sink};
use qsword_marketsim::{Market, MarketConfig, RunningMarket, ServeOptions};
use qsword_store::Store;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MIN_RISK: f64 = 0.6;

fn market(products: usize, day: u32) -> MarketConfig {
    MarketConfig {
        seed: 31,
        day,
        products,
        crawl_delay: 0.005,
        ..Default::default()
    }
}

fn serve(rt: &tokio::runtime::Runtime, cfg: &MarketConfig, port: u16) -> RunningMarket {
    let market = Arc::new(Market::generate(cfg));
    rt.block_on(qsword_marketsim::serve(
        market,
        ServeOptions {
            port,
            ..Default::default()
        },
    ))
    .expect("the simulated marketplace starts on loopback")
}

/// Two investigators with different routing, and the duty address for the rest.
fn write_config(dir: &Path, running: &RunningMarket, smtp_port: u16, extra_alerts: &str) {
    write_config_with(
        dir,
        running,
        &[("recrawl_product_hours", toml::Value::Float(0.0))],
        "default_delay_ms = 5",
    );
    let alerts = format!(
        r#"
[detector]
alert_min_risk = {MIN_RISK}

[alerts]
from = "qsword 监测 <qsword@center.example>"
console_url = "https://qsword.center.example"
duty_address = "duty@center.example"
{extra_alerts}

[alerts.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_s = 5

[[alerts.investigators]]
name = "李明"
email = "li.ming@center.example"
categories = ["switches-sockets", "wire-cable", "chargers-power-banks", "household-appliances"]

[[alerts.investigators]]
name = "王芳"
email = "wang.fang@center.example"
platforms = ["jingdong-sim", "suning-sim"]
min_risk = 0.8
"#
    );
    let path = dir.join("qsword.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&alerts);
    std::fs::write(path, text).unwrap();
}

fn open_store(dir: &Path) -> Store {
    Store::open(dir.join("data/qsword.sqlite")).unwrap()
}

fn nightly(dir: &Path) -> (i32, String) {
    let out = qsword(dir, &["nightly"]);
    let text = format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// What the routing of `write_config` gives each address: computed here from the store's
/// listings, independently of qsword's routing code.
fn expected_routing(
    store: &Store,
    alerted: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let li = [
        "switches-sockets",
        "wire-cable",
        "chargers-power-banks",
        "household-appliances",
    ];
    let wang = ["jingdong-sim", "suning-sim"];
    for s in store.listings().unwrap() {
        let url = s.listing.url.clone();
        if !alerted.contains(&url) {
            continue;
        }
        let risk = s.risk.unwrap();
        let to_li = s
            .listing
            .category
            .as_deref()
            .is_some_and(|c| li.contains(&c));
        let to_wang = risk >= 0.8
            && s.listing
                .platform
                .as_deref()
                .is_some_and(|p| wang.contains(&p));
        if to_li {
            out.entry("li.ming@center.example".into())
                .or_default()
                .insert(url.clone());
        }
        if to_wang {
            out.entry("wang.fang@center.example".into())
                .or_default()
                .insert(url.clone());
        }
        if !to_li && !to_wang {
            out.entry("duty@center.example".into())
                .or_default()
                .insert(url);
        }
    }
    out
}

/// The live listings at or above the alert threshold.
fn flagged_urls(store: &Store) -> BTreeSet<String> {
    store
        .listings()
        .unwrap()
        .into_iter()
        .filter(|s| s.delisted_at.is_none() && s.risk.is_some_and(|r| r >= MIN_RISK))
        .map(|s| s.listing.url)
        .collect()
}

/// Received alerts by recipient; panics if a recipient got the same listing twice.
fn by_recipient(mails: &[Received]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in mails {
        for url in m.urls() {
            assert!(
                out.entry(m.rcpt.clone()).or_default().insert(url.clone()),
                "{} got {url} twice",
                m.rcpt
            );
        }
    }
    out
}

fn report_of(dir: &Path) -> serde_json::Value {
    let mut reports: Vec<_> = std::fs::read_dir(dir.join("data/runs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("-nightly.json"))
        .collect();
    reports.sort();
    serde_json::from_slice(&std::fs::read(reports.last().unwrap()).unwrap()).unwrap()
}

#[test]
fn nightly_mails_each_investigator_one_digest_with_exactly_their_alerts() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(12, 0), 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sink = Sink::start(&python, free_port(), &dir.join("mail"));
    write_config(dir, &running, sink.port, "");

    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    let mails = sink.received();
    let store = open_store(dir);
    let flagged = flagged_urls(&store);
    assert!(
        flagged.len() >= 10,
        "only {} flagged listings",
        flagged.len()
    );
    let expected = expected_routing(&store, &flagged);
    assert_eq!(
        expected.len(),
        3,
        "the test routing should reach all three addresses"
    );

    // One digest per recipient, with exactly what their routing selects.
    let mut rcpts: Vec<&str> = mails.iter().map(|m| m.rcpt.as_str()).collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        expected.keys().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(by_recipient(&mails), expected);

    let titles: HashMap<String, String> = store
        .listings()
        .unwrap()
        .into_iter()
        .map(|s| (s.listing.url, s.listing.title))
        .collect();
    for m in &mails {
        // The Chinese subject and sender name round-trip through the encoded words.
        assert!(
            m.subject
                .contains(&format!("：{} 条风险线索", m.rows.len())),
            "{}",
            m.subject
        );
        assert_eq!(m.from_name, "qsword 监测");
        if m.rcpt.starts_with("li.ming") {
            assert!(m.subject.starts_with("[qsword] 李明："), "{}", m.subject);
        }
        // Sorted by risk, riskiest first; every title in both bodies (HTML escaped).
        let risks: Vec<f64> = m.rows.iter().map(|r| r["risk"].parse().unwrap()).collect();
        assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
        for row in &m.rows {
            let title = &titles[&row["url"]];
            assert_eq!(&row["title"], title);
            assert!(m.text.contains(title.as_str()), "text part lacks {title}");
            // minijinja's HTML escaping, as any HTML escaper: & < > " ' and /.
            let escaped = title
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#x27;")
                .replace('/', "&#x2f;");
            assert!(m.html.contains(&escaped), "HTML part lacks {title}");
            assert!(row["evidence"].starts_with("warc/"), "{row:?}");
            assert!(row["console"].starts_with("https://qsword.center.example/listing/"));
            assert!(!row["reasons"].is_empty());
        }
    }
    assert!(
        mails.iter().any(|m| m
            .text
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "Chinese titles round-trip in the body"
    );
    // The flags' reasons are written in Chinese, in the CSV as in the bodies.
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for m in &mails {
        assert!(m.text.contains("qsword 风险线索摘要"), "{}", m.text);
        for row in &m.rows {
            assert!(han(&row["reasons"]), "{row:?}");
        }
    }
    let report = report_of(dir);
    assert_eq!(report["status"], "ok");
    assert_eq!(report["digests_sent"], 3);
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["crawl", "detect", "index", "alerts", "deliver"]);
    assert!(report["stages"][0]["elapsed_s"].as_f64().unwrap() > 0.0);

    // The same night again: nothing new, nothing worse, so nothing is mailed again.
    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    assert_eq!(sink.received().len(), 3, "a second run re-alerted:\n{out}");
    rt.block_on(running.shutdown());
}

#[test]
fn a_mail_server_that_is_down_gives_partial_and_loses_nothing_then_each_digest_goes_once() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(6, 0), 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port(); // nothing listens there yet
    write_config(
        dir,
        &running,
        port,
        "retry_backoff_s = 1\nmax_backoff_s = 1",
    );

    let (code, out) = nightly(dir);
    assert_eq!(code, 3, "a run whose mail could not go is partial:\n{out}");
    let queued = open_store(dir).pending_outbox().unwrap();
    assert!(!queued.is_empty(), "{out}");
    assert!(queued
        .iter()
        .all(|m| m.attempts == 1 && m.last_error.is_some()));
    assert_eq!(report_of(dir)["status"], "partial");
    let alerts = open_store(dir).counts().unwrap().alerts;
    assert!(alerts > 0);

    // The server is back: the next run delivers every queued digest (its backoff has passed).
    let sink = Sink::start(&python, port, &dir.join("mail"));
    std::thread::sleep(Duration::from_millis(1100));
    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    let mails = sink.received();
    assert_eq!(mails.len(), queued.len(), "{out}");
    // ...and `alerts retry` finds nothing left to send.
    ok(qsword(dir, &["alerts", "retry"]));
    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    let mails = sink.received();
    assert_eq!(mails.len(), queued.len(), "a digest was mailed twice");
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len());
    by_recipient(&mails);
    let store = open_store(dir);
    assert!(store.pending_outbox().unwrap().is_empty());
    assert_eq!(
        store.counts().unwrap().alerts,
        alerts,
        "no alert raised twice"
    );
    let list = ok(qsword(dir, &["alerts", "list"]));
    assert!(list.contains("sent"), "{list}");
    rt.block_on(running.shutdown());
}

/// Manual sends racing the night's delivery (three `alerts retry` and a `nightly` at once,
/// against the real SMTP server): every digest is mailed exactly once, because each sender
/// claims a digest in the store before sending it. And `alerts queue` does not run beside a
/// night that holds the lock.
#[test]
fn manual_sends_racing_the_nightly_delivery_mail_each_digest_once() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(12, 0), 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port(); // the relay is down for the first night: digests stay queued
    write_config(
        dir,
        &running,
        port,
        "retry_backoff_s = 1\nmax_backoff_s = 1",
    );
    let (code, out) = nightly(dir);
    assert_eq!(code, 3, "{out}");
    let queued = open_store(dir).pending_outbox().unwrap();
    assert!(queued.len() >= 2, "{out}");

    let sink = Sink::start(&python, port, &dir.join("mail"));
    let bin = env!("CARGO_BIN_EXE_qsword");
    let start = |args: &[&str]| {
        std::process::Command::new(bin)
            .current_dir(dir)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let racers: Vec<_> = (0..3)
        .map(|_| start(&["alerts", "retry"]))
        .chain([start(&["nightly"])])
        .collect();
    let mut outputs = String::new();
    for r in racers {
        let out = r.wait_with_output().unwrap();
        outputs += &format!(
            "exit {:?}\n{}{}\n",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mails = sink.received();
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        distinct.len(),
        "a digest was mailed twice:\n{outputs}"
    );
    assert_eq!(mails.len(), queued.len(), "{outputs}");
    assert!(
        open_store(dir).pending_outbox().unwrap().is_empty(),
        "{outputs}"
    );

    // A manual `alerts queue` while a run holds the lock is refused (exit 75), not run beside.
    // The lock is an flock(2) on data/nightly.lock: util-linux's `flock` holds it here.
    let mut holder = std::process::Command::new("flock")
        .args(["-x", "-o", "data/nightly.lock", "-c", "echo held; sleep 5"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux flock");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let queue = qsword(dir, &["alerts", "queue"]);
    assert_eq!(queue.status.code(), Some(75), "{queue:?}");
    assert!(String::from_utf8_lossy(&queue.stderr).contains("nightly.lock"));
    holder.kill().ok();
    holder.wait().ok();
    ok(qsword(dir, &["alerts", "queue"]));
    rt.block_on(running.shutdown());
}

/// The state a finished night leaves, to compare a crashed-and-resumed night with.
#[derive(Debug, PartialEq)]
struct Outcome {
    listings: BTreeMap<String, serde_json::Value>,
    versions: u64,
    indexed: u64,
    alerts: BTreeMap<String, BTreeSet<String>>,
}

fn outcome(dir: &Path, mails: &[Received]) -> Outcome {
    let listings = stored(dir);
    let store = open_store(dir);
    let c = store.counts().unwrap();
    assert_eq!(
        (c.frontier_queued, c.frontier_in_flight),
        (0, 0),
        "work left behind"
    );
    assert_eq!(c.pending_outbox, 0, "a digest left undelivered");
    let index = qsword_indexer::ListingIndex::open_or_create(&dir.join("data/index")).unwrap();
    Outcome {
        listings,
        versions: c.versions,
        indexed: index.doc_count(),
        alerts: by_recipient(mails),
    }
}

#[test]
fn kill_9_in_each_stage_then_a_restart_loses_and_duplicates_nothing() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(6, 0), 0);

    let reference = tempfile::tempdir().unwrap();
    let sink = Sink::start(&python, free_port(), &reference.path().join("mail"));
    write_config(reference.path(), &running, sink.port, "");
    let (code, out) = nightly(reference.path());
    assert_eq!(code, 0, "{out}");
    let expected = outcome(reference.path(), &sink.received());
    assert_eq!(expected.versions, expected.listings.len() as u64);
    assert_eq!(expected.indexed, expected.listings.len() as u64);
    assert!(!expected.alerts.is_empty());
    sink.stop();

    for stage in ["crawl", "detect", "index", "alerts", "deliver"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let sink = Sink::start(&python, free_port(), &dir.join("mail"));
        write_config(dir, &running, sink.port, "");
        let mut child = Command::new(env!("CARGO_BIN_EXE_qsword"))
            .current_dir(dir)
            .arg("nightly")
            .env("QSWORD_LOG", "error")
            .env("QSWORD_CRASH_DIR", dir)
            // The crawl is killed at a moment of its own (half the listings stored); the
            // other stages where their work is done and not yet committed.
            .env(
                "QSWORD_CRASH_PAUSE",
                if stage == "crawl" { "" } else { stage },
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let half = expected.listings.len() as u64 / 2;
        loop {
            let due = if stage == "crawl" {
                dir.join("data/qsword.sqlite").exists()
                    && Store::open(dir.join("data/qsword.sqlite"))
                        .and_then(|s| s.counts())
                        .is_ok_and(|c| c.listings >= half)
            } else {
                dir.join(format!("crash-point-{stage}")).exists()
            };
            if due {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "{stage}: the run ended before the kill"
            );
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{stage}: never got there"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        if stage == "detect" {
            // While it runs, a second start is refused by the lock, with its own exit code.
            let (code, out) = nightly(dir);
            assert_eq!(code, 75, "{out}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let before = open_store(dir).counts().unwrap();
        if stage == "crawl" {
            assert!(
                (before.listings as usize) < expected.listings.len(),
                "the crawl was done before the kill"
            );
        }
        let (code, out) = nightly(dir);
        assert_eq!(code, 0, "{stage}: the restart did not complete:\n{out}");
        assert!(
            out.contains("resumes the interrupted run"),
            "{stage}:\n{out}"
        );
        let got = outcome(dir, &sink.received());
        assert_eq!(
            got, expected,
            "{stage}: the resumed night differs from an uninterrupted one"
        );
        let mails = sink.received();
        let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids.len(), mails.len(), "{stage}: a digest was mailed twice");
    }
    rt.block_on(running.shutdown());
}

/// Night one crawls the market's day 0, night two its day 2 (`marketsim --day 2`): night two
/// mails the new fakes and the fakes that got worse, and nothing about fakes that did not
/// change.
#[test]
fn night_two_alerts_only_new_or_worsened_flags() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sink = Sink::start(&python, free_port(), &dir.join("mail"));

    let night1 = serve(&rt, &market(24, 0), port);
    write_config(dir, &night1, sink.port, "");
    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    let day0 = live_by_url(night1.truth_with_urls());
    rt.block_on(night1.shutdown());
    let night1_mail = sink.received();
    let alerted1: BTreeSet<String> = night1_mail.iter().flat_map(|m| m.urls()).collect();

    let night2 = serve(&rt, &market(24, 2), port);
    let (code, out) = nightly(dir);
    assert_eq!(code, 0, "{out}");
    let day2 = live_by_url(night2.truth_with_urls());
    rt.block_on(night2.shutdown());
    let night2_mail: Vec<Received> = sink.received()[night1_mail.len()..].to_vec();
    let alerted2: BTreeSet<String> = night2_mail.iter().flat_map(|m| m.urls()).collect();

    let store = open_store(dir);
    let risk_of: HashMap<String, f64> = store
        .listings()
        .unwrap()
        .into_iter()
        .map(|s| (s.listing.url, s.risk.unwrap_or(0.0)))
        .collect();
    let (mut new_fakes, mut worsened, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
    for (url, t) in day2.iter().filter(|(_, t)| t.fake) {
        match day0.get(url) {
            None => new_fakes.push(url.clone()),
            Some(b) if b.fake_kinds.len() < t.fake_kinds.len() => worsened.push(url.clone()),
            Some(_) if t.modified_day == 0 => unchanged.push(url.clone()),
            Some(_) => {}
        }
    }
    eprintln!(
        "night two: {} new fakes, {} worsened, {} unchanged; {} listings alerted on night one, {} on night two",
        new_fakes.len(),
        worsened.len(),
        unchanged.len(),
        alerted1.len(),
        alerted2.len()
    );
    // What the detector flags of the new and worsened fakes is alerted on night two.
    let caught_new: Vec<&String> = new_fakes
        .iter()
        .filter(|u| risk_of[*u] >= MIN_RISK)
        .collect();
    assert!(
        !caught_new.is_empty(),
        "no new fake flagged on night two: {new_fakes:?}"
    );
    for u in &caught_new {
        assert!(
            alerted2.contains(*u),
            "new fake {u} not alerted on night two"
        );
    }
    let caught_worse: Vec<&String> = worsened
        .iter()
        .filter(|u| alerted1.contains(*u) && risk_of[*u] >= MIN_RISK)
        .collect();
    assert!(
        !caught_worse.is_empty(),
        "no worsened fake that was alerted on night one: {worsened:?}"
    );
    for u in &caught_worse {
        assert!(
            alerted2.contains(*u),
            "worsened fake {u} (cue words added) not alerted again"
        );
    }
    // Fakes whose pages did not change were alerted on night one and are not again.
    let unchanged_alerted: Vec<&String> =
        unchanged.iter().filter(|u| alerted1.contains(*u)).collect();
    assert!(
        unchanged_alerted.len() >= 5,
        "{} unchanged fakes alerted on night one",
        unchanged_alerted.len()
    );
    for u in &unchanged_alerted {
        let why = || {
            let id = store.listing_by_url(u).unwrap().unwrap().id;
            let alerts: Vec<(f64, Vec<String>)> = store
                .alerts(id)
                .unwrap()
                .into_iter()
                .map(|a| (a.risk, a.signals))
                .collect();
            let latest = store.assessments(id).unwrap().pop();
            format!("alerts {alerts:?}; latest assessment {latest:?}")
        };
        assert!(
            !alerted2.contains(*u),
            "unchanged fake {u} alerted again on night two: {}",
            why()
        );
    }
    // And nothing else on night two but what changed since night one.
    // (A fake first caught on night two, its page unchanged, is a first alert, not a repeat:
    // its seller's record grew with the night's new listings.)
    for u in alerted2.iter().filter(|u| alerted1.contains(*u)) {
        let t = &day2[u];
        assert!(
            !day0.contains_key(u) || t.modified_day > 0,
            "{u} did not change since night one but was alerted again (fake: {}): {:?}",
            t.fake,
            store
                .listing_by_url(u)
                .unwrap()
                .map(|l| store.assessments(l.id).unwrap())
        );
    }
}

#[test]
fn config_errors_are_reported_with_file_and_line_before_any_crawling() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(2, 0), 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(dir, &running, 25, "");
    let path = dir.join("qsword.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let bad = text.replace("wang.fang@center.example", "wang.fang at center");
    let line = bad
        .lines()
        .position(|l| l.contains("wang.fang at center"))
        .unwrap()
        + 1;
    std::fs::write(&path, bad).unwrap();
    let out = qsword(dir, &["nightly"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "qsword.toml: line {line}: key `alerts.investigators[1].email`"
        )),
        "{err}"
    );
    assert!(
        !dir.join("data/qsword.sqlite").exists(),
        "nothing may run on a bad config"
    );
    assert!(
        running.requests().is_empty(),
        "nothing may be crawled on a bad config"
    );
    rt.block_on(running.shutdown());
}

/// `tls = "starttls"` is required, never a wish: a relay that does not offer STARTTLS gets no
/// mail in clear text (the digests stay queued, the run is partial).
#[test]
fn starttls_is_never_downgraded_to_clear_text() {
    let Some(python) = mail::python() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = serve(&rt, &market(2, 0), 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sink = Sink::start(&python, free_port(), &dir.join("mail"));
    write_config(dir, &running, sink.port, "");
    let path = dir.join("qsword.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("tls = \"none\"", "tls = \"starttls\"")).unwrap();
    let (code, out) = nightly(dir);
    assert_eq!(code, 3, "{out}");
    assert!(sink.received().is_empty(), "mail went out without TLS");
    let queued = open_store(dir).pending_outbox().unwrap();
    assert!(!queued.is_empty());
    assert!(queued.iter().all(|m| m.last_error.is_some()), "{queued:?}");
    rt.block_on(running.shutdown());
}
