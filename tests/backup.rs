//! `qsword backup`, `restore` and `verify` on a crawled store (issue 23): a backup taken while
//! a crawl writes restores to a store and evidence that verify finds sound; verify catches a
//! flipped byte in a WARC file and a store row gone missing.

mod common;

use common::{ok, qsword, write_config_with};
use qsword_marketsim::{Market, MarketConfig, ServeOptions};
use std::path::Path;
use std::sync::Arc;

fn verify(data_parent: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = extra.to_vec();
    args.push("verify");
    let out = qsword(data_parent, &args);
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_backup_under_a_running_crawl_restores_sound_and_verify_catches_damage() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let market = Arc::new(Market::generate(&MarketConfig {
        seed: 41,
        products: 60,
        crawl_delay: 0.002,
        ..Default::default()
    }));
    let running = rt
        .block_on(qsword_marketsim::serve(market, ServeOptions::default()))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Product pages are due again at once, so the second crawl fetches them all again.
    write_config_with(
        dir,
        &running,
        &[("recrawl_product_hours", toml::Value::Float(0.0))],
        "default_delay_ms = 5",
    );
    ok(qsword(dir, &["crawl"]));
    ok(qsword(dir, &["index"]));
    let (code, out) = verify(dir, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("everything agrees"), "{out}");

    // A second crawl writes while the backup copies (recrawl everything now).
    let crawl = std::process::Command::new(env!("CARGO_BIN_EXE_qsword"))
        .current_dir(dir)
        .args(["crawl"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    ok(qsword(dir, &["backup", "backup1"]));
    let crawled = crawl.wait_with_output().unwrap();
    assert!(
        crawled.status.success(),
        "{}",
        String::from_utf8_lossy(&crawled.stderr)
    );
    // A backup folder is never overwritten.
    let again = qsword(dir, &["backup", "backup1"]);
    assert!(!again.status.success());

    // Restored into a new data directory, everything agrees.
    ok(qsword(dir, &["--data", "restored", "restore", "backup1"]));
    let (code, out) = verify(dir, &["--data", "restored"]);
    assert_eq!(code, 0, "{out}");
    let refused = qsword(dir, &["--data", "restored", "restore", "backup1"]);
    assert!(!refused.status.success(), "restore over a store");

    // A damaged backup is refused by name.
    let warc_copy = std::fs::read_dir(dir.join("backup1/warc"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&warc_copy).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&warc_copy, &bytes).unwrap();
    let damaged = qsword(dir, &["--data", "restored2", "restore", "backup1"]);
    assert!(!damaged.status.success());
    let err = String::from_utf8_lossy(&damaged.stderr);
    assert!(err.contains("damaged") && err.contains("warc/"), "{err}");

    // A flipped byte in a live WARC file: verify names the file (exit 4).
    let live = std::fs::read_dir(dir.join("restored/warc"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&live).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&live, &bytes).unwrap();
    let (code, out) = verify(dir, &["--data", "restored"]);
    assert_eq!(code, 4, "{out}");
    let name = live.file_name().unwrap().to_str().unwrap();
    assert!(out.contains("PROBLEM WARC") && out.contains(name), "{out}");

    // A store row gone (the listing deleted behind qsword's back): the index disagrees.
    let db = dir.join("data/qsword.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         DELETE FROM listings WHERE id = (SELECT max(id) FROM listings);",
    )
    .unwrap();
    drop(conn);
    ok(qsword(dir, &["index"]));
    let (code, out) = verify(dir, &[]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("PROBLEM index"), "{out}");
    rt.block_on(running.shutdown());
}
