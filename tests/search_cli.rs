//! End-to-end tests of `qsword index` and `qsword search`: listings imported into a real store,
//! indexed incrementally from the store's change log, searched through the real CLI.

mod common;

use common::{ok, qsword};
use qsword_listing::{Listing, Price};
use qsword_marketsim::{Market, MarketConfig};
use std::collections::BTreeMap;
use std::path::Path;

fn write_jsonl(path: &Path, listings: &[Listing]) {
    let mut text = String::new();
    for l in listings {
        text.push_str(&serde_json::to_string(l).unwrap());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn market_listings(products: usize) -> Vec<Listing> {
    let market = Market::generate(&MarketConfig {
        seed: 23,
        products,
        ..Default::default()
    });
    market.listings().map(|(_, l)| l).collect()
}

/// The number before `word` in a summary line ("indexed 12 listings (…)").
fn number_before(out: &str, word: &str) -> u64 {
    let words: Vec<&str> = out.split_whitespace().collect();
    words
        .windows(2)
        .find(|w| w[1] == word)
        .and_then(|w| w[0].parse().ok())
        .unwrap_or_else(|| panic!("no number before {word:?} in: {out}"))
}

fn search_page(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(ok(qsword(dir, &all)).trim()).expect("one JSON document")
}

#[test]
fn index_follows_the_store_and_search_exports_every_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut listings = market_listings(20);
    let n = listings.len() as u64;
    assert!(n >= 200, "a realistic number of listings: {n}");
    write_jsonl(&dir.join("listings.jsonl"), &listings);
    ok(qsword(dir, &["import", "listings.jsonl"]));

    // First run: everything; second run: nothing changed, nothing indexed.
    let first = ok(qsword(dir, &["index"]));
    assert!(first.contains("full rebuild"), "{first}");
    assert_eq!(number_before(&first, "listings"), n, "{first}");
    let again = ok(qsword(dir, &["index"]));
    assert!(again.contains("changed since the last run"), "{again}");
    assert_eq!(number_before(&again, "listings"), 0, "{again}");

    // Three listings change price: only they are re-indexed, and still once each.
    for l in listings.iter_mut().take(3) {
        l.price = Some(Price::new("1.23", "CNY").unwrap());
    }
    write_jsonl(&dir.join("changed.jsonl"), &listings[..3]);
    ok(qsword(dir, &["import", "changed.jsonl"]));
    let third = ok(qsword(dir, &["index"]));
    assert_eq!(number_before(&third, "listings"), 3, "{third}");
    let page = search_page(dir, &["--max-price", "1.23"]);
    assert_eq!(page["total"], 3, "{page}");
    let urls: Vec<&str> = page["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap())
        .collect();
    for l in &listings[..3] {
        assert!(
            urls.contains(&l.url.as_str()),
            "{} not found: {page}",
            l.url
        );
    }

    // The empty query matches everything; its brand facet counts equal counts from the data.
    let page = search_page(dir, &[]);
    assert_eq!(
        page["total"], n,
        "one document per listing after the upserts"
    );
    let mut by_brand: BTreeMap<String, u64> = BTreeMap::new();
    for l in &listings {
        *by_brand.entry(l.brand.clone().unwrap()).or_default() += 1;
    }
    let facets = page["facets"]["brand"].as_array().unwrap();
    assert!(!facets.is_empty(), "{page}");
    for f in facets {
        let brand = f["value"].as_str().unwrap();
        assert_eq!(
            f["count"].as_u64().unwrap(),
            by_brand[brand],
            "brand facet count for {brand}"
        );
    }
    let shown_min = facets.iter().map(|f| f["count"].as_u64().unwrap()).min();
    let top_missing = by_brand
        .iter()
        .filter(|(b, _)| !facets.iter().any(|f| f["value"] == b.as_str()))
        .map(|(_, c)| *c)
        .max();
    if let (Some(shown), Some(missing)) = (shown_min, top_missing) {
        assert!(missing <= shown, "the most frequent brands are shown first");
    }

    // `--all --csv` exports every hit once, past any page size.
    let csv_out = ok(qsword(dir, &["search", "--all", "--csv"]));
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let header = reader.headers().unwrap().clone();
    let url_col = header.iter().position(|h| h == "url").expect("url column");
    let exported: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[url_col].to_string())
        .collect();
    assert_eq!(exported.len() as u64, n);
    let distinct: std::collections::HashSet<&String> = exported.iter().collect();
    assert_eq!(distinct.len(), exported.len(), "a listing exported twice");

    // `--all --json` streams JSON lines, one hit each, in the same order.
    let jsonl = ok(qsword(dir, &["search", "--all", "--json"]));
    let json_urls: Vec<String> = jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["url"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(json_urls, exported);

    // --rebuild starts over from the store and ends with the same listings.
    let rebuilt = ok(qsword(dir, &["index", "--rebuild"]));
    assert!(rebuilt.contains("full rebuild"), "{rebuilt}");
    assert_eq!(number_before(&rebuilt, "listings"), n, "{rebuilt}");
    assert_eq!(search_page(dir, &[])["total"], n);
}

#[test]
fn bad_queries_and_flags_get_a_reason_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_jsonl(&dir.join("listings.jsonl"), &market_listings(8));
    ok(qsword(dir, &["import", "listings.jsonl"]));

    let none = qsword(dir, &["search", "插座"]);
    assert!(!none.status.success(), "searching before indexing");
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("qsword index"),
        "the error says what to run"
    );
    ok(qsword(dir, &["index"]));

    // Malformed queries are searched literally, with a warning saying so.
    let long = "插座 ".repeat(3000);
    for q in [
        "\"公牛 插座",
        "插座 (五孔",
        "AND",
        "colour:插座",
        long.as_str(),
    ] {
        let out = qsword(dir, &["search", "--json", q]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{q:.40}: {out:?}");
        let page: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let warned = !page["warnings"].as_array().unwrap().is_empty();
        let found = page["total"].as_u64().unwrap() > 0;
        assert!(
            warned || found,
            "{q:.40}: neither hits nor a reason: {page}"
        );
    }
    let page = search_page(dir, &["colour:插座"]);
    assert!(
        page["warnings"][0].as_str().unwrap().contains("colour"),
        "{page}"
    );
    assert!(page["total"].as_u64().unwrap() > 0, "插座 still searched");

    // Bad flag values are refused, naming the flag.
    for (args, flag) in [
        (vec!["--sort", "cheapest"], "--sort"),
        (vec!["--min-price", "ten"], "--min-price"),
        (vec!["--min-risk", "2"], "--min-risk"),
        (vec!["--since", "yesterday"], "--since"),
        (vec!["--delisted", "maybe"], "--delisted"),
    ] {
        let mut all = vec!["search"];
        all.extend_from_slice(&args);
        let out = qsword(dir, &all);
        assert!(!out.status.success(), "{args:?} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}
