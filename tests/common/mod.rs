//! Helpers shared by the end-to-end tests: the binary, its config, the simulated market.
#![allow(dead_code)] // each test crate uses a different subset

pub mod console;
pub mod crawled;

use qsword_marketsim::{RunningMarket, TruthRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn qsword(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qsword"))
        .current_dir(dir)
        .args(args)
        .env("QSWORD_LOG", "warn")
        .output()
        .expect("the qsword binary runs")
}

pub fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "qsword failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A config folder whose sites are the simulated shops at their live addresses.
pub fn write_config(dir: &Path, running: &RunningMarket) {
    write_config_with(dir, running, &[], "default_delay_ms = 20");
}

/// [`write_config`] with extra keys for every site file and extra `[crawler]` lines.
pub fn write_config_with(
    dir: &Path,
    running: &RunningMarket,
    site_keys: &[(&str, toml::Value)],
    crawler: &str,
) {
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites).unwrap();
    for shop in running.shops() {
        let text = std::fs::read_to_string(repo().join(format!("seeds/sites/{}.toml", shop.name)))
            .unwrap();
        let mut table: toml::Table = toml::from_str(&text).unwrap();
        table.insert(
            "start_urls".into(),
            toml::Value::Array(vec![format!("{}/", shop.base_url).into()]),
        );
        for (k, v) in site_keys {
            table.insert((*k).into(), v.clone());
        }
        std::fs::write(
            sites.join(format!("{}.toml", shop.name)),
            toml::to_string(&table).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("qsword.toml"),
        format!("data_dir = \"data\"\nsites_dir = \"sites\"\n\n[crawler]\n# the simulated marketplace lives on loopback\nallow_loopback = true\n{crawler}\n"),
    )
    .unwrap();
}

/// The live offers of a market's truth, by URL.
pub fn live_by_url(truth: Vec<TruthRecord>) -> HashMap<String, TruthRecord> {
    truth
        .into_iter()
        .filter(|t| !t.delisted)
        .map(|t| (t.url.clone().unwrap(), t))
        .collect()
}

/// The store's listings by URL, as `qsword export` writes them, without `fetched_at` (which a
/// re-fetch moves even when nothing changed).
pub fn stored(dir: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    ok(qsword(dir, &["export", "--output", "export.jsonl"]));
    std::fs::read_to_string(dir.join("export.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("fetched_at");
            (v["url"].as_str().unwrap().to_string(), v)
        })
        .collect()
}
