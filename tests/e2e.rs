//! End-to-end tests of the `qsword` binary: real HTTP on loopback against the simulated
//! marketplace, a real SQLite store, a real tantivy index, the real CLI.

mod common;

use common::{ok, qsword, write_config};
use qsword_marketsim::{Market, MarketConfig, RunningMarket, ServeOptions, TruthRecord};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

fn start_market(rt: &tokio::runtime::Runtime, products: usize) -> RunningMarket {
    let cfg = MarketConfig {
        seed: 11,
        day: 0,
        products,
        ..Default::default()
    };
    let market = Arc::new(Market::generate(&cfg));
    rt.block_on(qsword_marketsim::serve(market, ServeOptions::default()))
        .expect("the simulated marketplace starts on 127.0.0.2–6")
}

fn read_listings(path: &Path) -> HashMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["url"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

#[test]
fn crawl_store_index_search_detect_against_ground_truth() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = start_market(&rt, 12);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_config(dir, &running);

    let out = ok(qsword(dir, &["crawl"]));
    assert!(out.contains("crawled"), "{out}");
    ok(qsword(dir, &["export", "--output", "listings.jsonl"]));
    let stored = read_listings(&dir.join("listings.jsonl"));

    // Every live product page is stored, with the title, price and brand the page shows.
    let truth: Vec<TruthRecord> = running
        .truth_with_urls()
        .into_iter()
        .filter(|t| !t.delisted)
        .collect();
    assert!(
        truth.len() >= 100,
        "the marketplace should offer a realistic number of listings"
    );
    let mut wrong = Vec::new();
    for t in &truth {
        let url = t.url.as_deref().unwrap();
        let Some(l) = stored.get(url) else {
            wrong.push(format!("{url}: not stored"));
            continue;
        };
        let price = serde_json::to_value(&t.price).unwrap();
        if l["title"] != t.title.as_str() {
            wrong.push(format!("{url}: title {} != {:?}", l["title"], t.title));
        }
        if l["price"] != price {
            wrong.push(format!("{url}: price {} != {price}", l["price"]));
        }
        if l["brand"] != t.brand.as_str() {
            wrong.push(format!("{url}: brand {} != {:?}", l["brand"], t.brand));
        }
        let list_price = serde_json::to_value(&t.list_price).unwrap();
        if l.get("list_price").cloned().unwrap_or_default() != list_price {
            wrong.push(format!(
                "{url}: list price {:?} != {list_price}",
                l.get("list_price")
            ));
        }
        if l["seller"]["name"] != t.seller.name.as_str() {
            wrong.push(format!(
                "{url}: seller {} != {:?}",
                l["seller"]["name"], t.seller.name
            ));
        }
        if l["sku"] != t.item_id.as_str() {
            wrong.push(format!("{url}: sku {} != {:?}", l["sku"], t.item_id));
        }
        // Only the JSON-LD and microdata shops print the GTIN on the page.
        let shows_gtin = matches!(t.shop.as_str(), "tianmao-sim" | "jingdong-sim");
        if shows_gtin && l.get("gtin").and_then(|g| g.as_str()) != t.gtin.as_deref() {
            wrong.push(format!("{url}: gtin {:?} != {:?}", l.get("gtin"), t.gtin));
        }
        // Marks as printed (malformed numbers included): the same (scheme, number) set.
        let mut want: Vec<(String, Option<String>)> = t
            .marks
            .iter()
            .map(|m| (m.scheme.clone(), m.number.clone()))
            .collect();
        let mut got: Vec<(String, Option<String>)> = l["marks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        (
                            m["scheme"].as_str().unwrap_or_default().to_string(),
                            m["number"].as_str().map(String::from),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        want.sort();
        want.dedup();
        got.sort();
        got.dedup();
        if got != want {
            wrong.push(format!("{url}: marks {got:?} != {want:?}"));
        }
        if l["model"] != t.model.as_str() {
            wrong.push(format!("{url}: model {} != {:?}", l["model"], t.model));
        }
        if l["category"] != t.category.as_str() {
            wrong.push(format!(
                "{url}: category {} != {:?}",
                l["category"], t.category
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} listings differ from the ground truth:\n{}",
        wrong.len(),
        truth.len(),
        wrong.join("\n")
    );

    // robots.txt: Disallow paths were never requested, and robots.txt was read on every host.
    let requests = running.requests();
    // Every request names qsword and how to reach its operator.
    for r in &requests {
        let ua = r.user_agent.as_deref().unwrap_or_default();
        assert!(
            ua.starts_with("qsword/") && ua.contains("(+https://"),
            "User-Agent {ua:?}"
        );
    }
    let forbidden: Vec<_> = requests
        .iter()
        .filter(|r| qsword_marketsim::is_disallowed(&r.path))
        .map(|r| format!("{} {}", r.host, r.path))
        .collect();
    assert!(
        forbidden.is_empty(),
        "requested disallowed paths: {forbidden:?}"
    );
    // robots.txt comes first on every host, and no host ever sees two requests closer than its
    // Crawl-delay (50 ms; the config's 20 ms default is raised to it). Times are the server's.
    let crawl_delay_us = (MarketConfig::default().crawl_delay * 1e6) as u64;
    for shop in running.shops() {
        let host = shop.base_url.trim_start_matches("http://");
        let mine: Vec<_> = requests.iter().filter(|r| r.host == host).collect();
        assert_eq!(
            mine.first().map(|r| r.path.as_str()),
            Some("/robots.txt"),
            "{host}: first request"
        );
        let mut at: Vec<(u64, &str)> = mine.iter().map(|r| (r.at_us, r.path.as_str())).collect();
        at.sort_unstable();
        let (closest, pair) = at
            .windows(2)
            .map(|w| (w[1].0 - w[0].0, (w[0].1, w[1].1)))
            .min()
            .unwrap();
        // No slack: the server stamps arrivals, and the crawler spaces a host's requests from
        // the end of the previous exchange, so even connection set-up cannot shrink a gap.
        assert!(
            closest >= crawl_delay_us,
            "{host}: two requests {closest} µs apart ({pair:?}), Crawl-delay is {crawl_delay_us} µs"
        );
    }

    // Detect, index, search by a Chinese word and by an English word.
    let detect = ok(qsword(dir, &["detect"]));
    assert!(detect.contains("flagged"), "{detect}");
    ok(qsword(dir, &["index"]));
    let zh = ok(qsword(dir, &["search", "插座", "--json"]));
    let page: serde_json::Value = serde_json::from_str(zh.trim()).unwrap();
    let hits = page["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "no hit for 插座");
    // Every hit has the word: in its title, or (English titles) in the highlighted snippet
    // of its description.
    assert!(
        hits.iter()
            .all(|h| h["title"].as_str().unwrap().contains("插座")
                || h["snippet_html"].as_str().unwrap().contains("<b>插座</b>")),
        "{zh}"
    );
    let en = ok(qsword(dir, &["search", "philips", "--json"]));
    let page: serde_json::Value = serde_json::from_str(en.trim()).unwrap();
    assert!(page["total"].as_u64().unwrap() > 0, "no hit for philips");

    rt.block_on(running.shutdown());
}

#[test]
fn fakes_are_flagged_and_alerts_written_to_the_outbox() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo-data");
    let out = ok(qsword(
        tmp.path(),
        &["demo", "--data", data.to_str().unwrap(), "--products", "12"],
    ));
    let number_before = |word: &str| -> usize {
        // "crawled 412 pages", "scored 180 listings: 23 flagged", "5 new alerts"
        out.split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1].trim_end_matches([',', ':', ')']) == word)
            .and_then(|w| w[0].parse().ok())
            .unwrap_or_else(|| panic!("no count before {word:?} in:\n{out}"))
    };
    assert!(number_before("pages") > 0, "{out}");
    assert!(number_before("flagged") > 0, "{out}");
    assert!(number_before("new") > 0, "{out}");
    assert!(
        out.contains("requests to robots.txt-disallowed paths: 0"),
        "{out}"
    );
    let eml: Vec<_> = std::fs::read_dir(data.join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert!(!eml.is_empty(), "no digest in the outbox");
    let raw = std::fs::read_to_string(&eml[0]).unwrap();
    assert!(raw.contains("Subject: [qsword]"), "{raw}");

    // A second demo run reuses its own folder, but a folder of real data is never wiped.
    let real = tmp.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("qsword.sqlite"), b"precious").unwrap();
    let refused = qsword(tmp.path(), &["demo", "--data", real.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert_eq!(
        std::fs::read(real.join("qsword.sqlite")).unwrap(),
        b"precious"
    );
}

#[test]
fn bad_jsonl_import_names_line_and_field_and_keeps_the_good_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = r#"{"url":"https://shop.example/item/1","title":"公牛 插座 GN-H3","price":{"amount":"39.90","currency":"CNY"}}"#;
    let bad_currency = r#"{"url":"https://shop.example/item/2","title":"x","price":{"amount":"9.9","currency":"rmb"}}"#;
    let no_title = r#"{"url":"https://shop.example/item/3"}"#;
    let good2 = r#"{"url":"https://shop.example/item/4","title":"Philips HD9252"}"#;
    std::fs::write(
        dir.join("in.jsonl"),
        format!("{good}\n{bad_currency}\n{no_title}\n{good2}\n"),
    )
    .unwrap();

    let out = qsword(dir, &["--data", "d", "import", "in.jsonl"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in.jsonl: line 2: field `price.currency`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("in.jsonl: line 3: field `title`"),
        "{stderr}"
    );
    let stdout = ok(out);
    assert!(stdout.contains("imported 2 listings"), "{stdout}");
    ok(qsword(
        dir,
        &["--data", "d", "export", "--output", "out.jsonl"],
    ));
    let urls: Vec<String> = read_listings(&dir.join("out.jsonl")).into_keys().collect();
    assert_eq!(urls.len(), 2);

    // --strict imports nothing from a file with a bad line.
    let strict = qsword(dir, &["--data", "d2", "import", "--strict", "in.jsonl"]);
    assert!(!strict.status.success());
}

#[test]
fn broken_config_is_refused_with_file_line_and_key_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("qsword.toml"),
        "data_dir = \"data\"\n\n[crawler]\nmax_pages = \"many\"\n",
    )
    .unwrap();
    let out = qsword(dir, &["crawl"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("qsword.toml") && err.contains("line 4") && err.contains("max_pages"),
        "{err}"
    );
    assert!(
        !dir.join("data").exists(),
        "nothing may run before the config is valid"
    );

    std::fs::write(
        dir.join("qsword.toml"),
        "data_dir = \"data\"\ncrawl_speed = 3\n",
    )
    .unwrap();
    let out = qsword(dir, &["crawl"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line 2") && err.contains("crawl_speed"),
        "{err}"
    );
}

#[test]
fn detect_jsonl_in_jsonl_out_without_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut lines = Vec::new();
    for (i, price) in [
        "299.00", "289.00", "305.00", "310.00", "295.00", "279.00", "299.00", "89.00",
    ]
    .iter()
    .enumerate()
    {
        lines.push(format!(
            r#"{{"url":"https://shop{i}.example/item/{i}","title":"飞利浦 空气炸锅 HD9252 4.1L","brand":"Philips","model":"HD9252","price":{{"amount":"{price}","currency":"CNY"}}}}"#
        ));
    }
    std::fs::write(dir.join("in.jsonl"), lines.join("\n")).unwrap();
    ok(qsword(
        dir,
        &["detect", "--input", "in.jsonl", "--output", "scores.jsonl"],
    ));
    let scores: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("scores.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(scores.len(), 8);
    let cheap = &scores[7];
    assert_eq!(cheap["url"], "https://shop7.example/item/7");
    assert!(cheap["risk"].as_f64().unwrap() > 0.5, "{cheap}");
    let flag = &cheap["flags"][0];
    assert_eq!(flag["signal"], "price");
    assert!(
        flag["reason"].as_str().unwrap().contains("median"),
        "{flag}"
    );
    // No certification number is given, so the mark signal may speak; the price signal must
    // leave the genuine ±5% offers alone.
    for s in &scores[..7] {
        let price_flags = s["flags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["signal"] == "price")
            .count();
        assert_eq!(price_flags, 0, "genuine offer flagged on price: {s}");
    }
}

#[test]
fn robots_command_answers_as_the_crawler_decides_on_the_corpus() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/robots/rfc9309-example-simple-robots.txt");
    if !corpus.exists() {
        eprintln!(
            "SKIPPED: {} is not present (the shared corpus is not checked out)",
            corpus.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = corpus.to_str().unwrap();
    let out = ok(qsword(
        tmp.path(),
        &[
            "robots",
            file,
            "--agent",
            "foobot",
            "https://www.example.com/example/page.html",
            "https://www.example.com/publications/",
        ],
    ));
    assert_eq!(
        out,
        "allowed https://www.example.com/example/page.html\ndisallowed https://www.example.com/publications/\n"
    );
    let star = ok(qsword(
        tmp.path(),
        &[
            "robots",
            file,
            "--agent",
            "qsword",
            "https://www.example.com/image.gif",
            "https://www.example.com/publications/report.html",
        ],
    ));
    assert_eq!(
        star,
        "disallowed https://www.example.com/image.gif\nallowed https://www.example.com/publications/report.html\n"
    );
}

/// `qsword extract` reads a saved page in any charset and prints its Listing, mapped onto
/// the key-product categories like a crawled one.
#[test]
fn extract_prints_the_listing_of_a_saved_gbk_page() {
    let tmp = tempfile::tempdir().unwrap();
    let html = "<html><head><meta charset=\"gbk\"><title>公牛 插座</title></head><body>\
        <h1>公牛 GN-H3050 新国标插座 五孔 3C认证</h1><div class=\"price\">￥39.90</div>\
        <div class=\"crumbs\"><a href=\"/\">首页</a> &gt; <a href=\"/c/1\">电工电料</a></div></body></html>";
    let gbk: Vec<u8> = {
        let (bytes, _, bad) = encoding_rs::GBK.encode(html);
        assert!(!bad);
        bytes.into_owned()
    };
    std::fs::write(tmp.path().join("page.html"), &gbk).unwrap();
    let out = ok(qsword(
        tmp.path(),
        &[
            "extract",
            "page.html",
            "--url",
            "https://shop.example/item/1.html",
        ],
    ));
    let l: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(l["title"], "公牛 GN-H3050 新国标插座 五孔 3C认证");
    assert_eq!(l["price"]["amount"], "39.90");
    assert_eq!(l["category"], "switches-sockets");
    // Declared GBK, decoded as its superset GB18030 (what browsers do).
    assert_eq!(l["charset"]["encoding"], "gb18030");
}

/// The demo's last step is the console: `demo --serve` prints a fresh account for the demo's
/// data and serves it; that account logs in and finds the crawled, scored listings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_ends_in_the_console() {
    use std::io::{BufRead, BufReader};
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo-data");
    let mut child = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_qsword"))
            .current_dir(tmp.path())
            .args(["demo", "--data", data.to_str().unwrap(), "--products", "12"])
            .args(["--serve", "127.0.0.1:0"])
            .env("QSWORD_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (mut password, mut base) = (None, None);
    let mut seen = String::new();
    for line in BufReader::new(child.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("the console (account demo, password ") {
            password = Some(rest.trim_end_matches("):").to_string());
        }
        if let Some(at) = line.find("listening on ") {
            base = Some(line[at + "listening on ".len()..].trim().to_string());
            break;
        }
    }
    let password = password.unwrap_or_else(|| panic!("no demo account printed:\n{seen}"));
    let base = base.unwrap_or_else(|| panic!("the console did not start:\n{seen}"));
    assert!(password.len() >= 16, "a real password: {password:?}");

    let (session, _) = common::console::log_in_with(&base, "demo", &password).await;
    let (status, page) = common::console::get(&base, "/search?sort=risk", &session).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("href=\"/listing/"),
        "no listing on the console:\n{page}"
    );
    assert!(
        page.contains("class=\"badge risk-"),
        "no risk badge:\n{page}"
    );
    // The admin account made by the demo reaches the triage queue.
    let (status, _) = common::console::get(&base, "/triage", &session).await;
    assert_eq!(status, 200);
}

/// Writes a config crawling `running` as an operator would for shops shaped like real ones:
/// the start URL they would type, the shops' host names, a browser for the shop whose prices
/// arrive by XHR, the names resolved and the https host's certificate trusted.
fn write_shaped_config(dir: &Path, running: &RunningMarket) {
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites).unwrap();
    let mut resolve = toml::Table::new();
    let mut cas = Vec::new();
    for shop in running.shops() {
        let text =
            std::fs::read_to_string(common::repo().join(format!("seeds/sites/{}.toml", shop.name)))
                .unwrap();
        let mut table: toml::Table = toml::from_str(&text).unwrap();
        table.insert("start_urls".into(), vec![shop.start_url.clone()].into());
        table.insert("hosts".into(), shop.hosts.clone().into());
        if shop.needs_browser {
            table.insert("render".into(), true.into());
        }
        std::fs::write(
            sites.join(format!("{}.toml", shop.name)),
            toml::to_string(&table).unwrap(),
        )
        .unwrap();
        for (name, ip) in &shop.resolve {
            resolve.insert(name.clone(), ip.to_string().into());
        }
        cas.extend(shop.ca_pem.clone());
    }
    let mut crawler = toml::Table::new();
    crawler.insert("allow_loopback".into(), true.into());
    crawler.insert("default_delay_ms".into(), 20.into());
    crawler.insert("render_settle_ms".into(), 100.into());
    crawler.insert("resolve".into(), resolve.into());
    crawler.insert("ca_certs".into(), cas.into());
    let mut cfg = toml::Table::new();
    cfg.insert("data_dir".into(), "data".into());
    cfg.insert("sites_dir".into(), "sites".into());
    cfg.insert("crawler".into(), crawler.into());
    std::fs::write(dir.join("qsword.toml"), toml::to_string(&cfg).unwrap()).unwrap();
}

/// Shops shaped like real ones — prices by XHR (rendered in Chromium), a consent wall, a
/// slider captcha for quick requests, product pages on an `item.` host behind an apex → www
/// redirect and https — are crawled to the exact ground truth; the consent cookie is kept in
/// the store for the next night, and `qsword cookies clear` forgets it.
#[test]
fn shops_shaped_like_real_ones_are_crawled_to_the_ground_truth() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cfg = MarketConfig {
        seed: 11,
        day: 0,
        products: 12,
        ..Default::default()
    };
    let market = Arc::new(Market::generate(&cfg));
    let opts = ServeOptions {
        shapes: qsword_marketsim::Shapes::all(),
        ..ServeOptions::default()
    };
    let running = rt.block_on(qsword_marketsim::serve(market, opts)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_shaped_config(dir, &running);

    let out = ok(qsword(dir, &["crawl"]));
    assert!(out.contains("blocked"), "{out}");
    let rendered: usize = out
        .split(" rendered")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(rendered > 0, "the XHR shop's pages were rendered: {out}");
    ok(qsword(dir, &["export", "--output", "listings.jsonl"]));
    let stored = read_listings(&dir.join("listings.jsonl"));
    let truth = common::live_by_url(running.truth_with_urls());
    let mut wrong = Vec::new();
    for (url, t) in &truth {
        match stored.get(url) {
            None => wrong.push(format!("{url}: not stored")),
            Some(l) if l["price"] != serde_json::to_value(&t.price).unwrap() => {
                wrong.push(format!("{url}: price {} != {:?}", l["price"], t.price))
            }
            Some(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        truth.len(),
        wrong.join("\n")
    );
    // Every shape was met: the item host over https, the rendered XHR shop, the consent wall.
    assert!(truth
        .keys()
        .any(|u| u.starts_with("https://item.jingdong-sim.test:")));
    let requests = running.requests();
    let consents = |reqs: &[qsword_marketsim::LoggedRequest]| {
        reqs.iter()
            .filter(|r| r.path.starts_with("/consent"))
            .count()
    };
    assert_eq!(consents(&requests), 1, "one consent step, then the cookie");
    assert!(requests.iter().any(|r| r.path.starts_with("/api/item/")));
    assert!(requests
        .iter()
        .all(|r| !qsword_marketsim::is_disallowed(&r.path)));

    // The cookie outlives the process: the next crawl meets no wall. (Each later crawl also
    // revisits the consent URL it was sent through, a page like any other: so the walls met
    // are what one crawl adds over the other.)
    let listed = ok(qsword(dir, &["cookies", "list"]));
    assert!(listed.contains("suning-sim"), "{listed}");
    ok(qsword(dir, &["crawl"]));
    let with_cookie = consents(&running.requests()) - 1;
    ok(qsword(dir, &["cookies", "clear", "suning-sim"]));
    ok(qsword(dir, &["crawl"]));
    let without = consents(&running.requests()) - 1 - with_cookie;
    assert_eq!(
        without,
        with_cookie + 1,
        "a cleared jar meets the wall once more than a kept one"
    );
    rt.block_on(running.shutdown());
}
