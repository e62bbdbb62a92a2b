//! End-to-end tests of detection through the binary: `detect --input/--output` on any Listing
//! JSONL, `label`, and `detect --train` on labels in a real store.

mod common;

use common::{ok, qsword};
use qsword_marketsim::{Market, MarketConfig};
use std::path::Path;

fn scores(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn detect_scores_any_listing_jsonl_one_line_each_even_without_price_brand_or_category() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let long = "插座".repeat(20_000);
    let lines = [
        // Only the two required fields.
        r#"{"url":"https://a.example/1","title":"A5 paper notebook"}"#.to_string(),
        // A cue word, no price, brand or category: the cue signal still speaks.
        r#"{"url":"https://a.example/2","title":"高仿 运动鞋 1:1 复刻"}"#.to_string(),
        // A look-alike brand in the title only.
        r#"{"url":"https://a.example/3","title":"公午 插座 五孔"}"#.to_string(),
        // Hostile content: markup, a very long title, unknown fields kept in extra.
        r#"{"url":"https://a.example/4","title":"<script>alert(1)</script>","x-unknown":{"deep":[1,2]}}"#
            .to_string(),
        format!(r#"{{"url":"https://a.example/5","title":"{long}"}}"#),
        // A malformed CCC number on a socket.
        r#"{"url":"https://a.example/6","title":"公牛 插座","category":"switches-sockets","marks":[{"scheme":"CCC","number":"2O19010201123456"}]}"#
            .to_string(),
    ];
    std::fs::write(dir.join("in.jsonl"), lines.join("\n")).unwrap();
    let stdout = ok(qsword(
        dir,
        &["detect", "--input", "in.jsonl", "--output", "out.jsonl"],
    ));
    assert!(stdout.contains("scored 6 listings"), "{stdout}");
    let out = scores(&dir.join("out.jsonl"));
    assert_eq!(out.len(), lines.len(), "exactly one line per input listing");
    for (i, s) in out.iter().enumerate() {
        assert_eq!(
            s["url"],
            format!("https://a.example/{}", i + 1),
            "input order"
        );
        let risk = s["risk"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&risk), "{s}");
        for f in s["flags"].as_array().unwrap() {
            assert!(f["signal"].is_string() && f["score"].is_number(), "{f}");
            assert!(!f["reason"].as_str().unwrap().is_empty(), "{f}");
            assert!(f["evidence"].is_object(), "{f}");
        }
    }
    assert!(out[0]["flags"].as_array().unwrap().is_empty(), "{}", out[0]);
    assert_eq!(out[1]["flags"][0]["signal"], "cue", "{}", out[1]);
    assert_eq!(out[2]["flags"][0]["signal"], "brand", "{}", out[2]);
    assert!(
        out[2]["flags"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("公午"),
        "{}",
        out[2]
    );
    let malformed = out[5]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["signal"] == "mark" && f["evidence"]["problem"] == "malformed");
    assert!(malformed, "{}", out[5]);
}

#[test]
fn detect_names_the_file_line_and_field_of_bad_input_and_scores_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("in.jsonl"),
        concat!(
            r#"{"url":"https://a.example/1","title":"Kettle"}"#,
            "\n",
            r#"{"url":"https://a.example/2","title":"x","price":{"amount":"cheap","currency":"CNY"}}"#,
            "\n",
            "not json\n",
            r#"{"url":"https://a.example/4","title":"Lamp"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = qsword(
        dir,
        &["detect", "--input", "in.jsonl", "--output", "out.jsonl"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("in.jsonl: line 2: field `price.amount`"),
        "{stderr}"
    );
    assert!(stderr.contains("in.jsonl: line 3"), "{stderr}");
    ok(out);
    let urls: Vec<_> = scores(&dir.join("out.jsonl"))
        .into_iter()
        .map(|s| s["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls, ["https://a.example/1", "https://a.example/4"]);

    let missing = qsword(
        dir,
        &["detect", "--input", "nope.jsonl", "--output", "o.jsonl"],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.jsonl"));
}

/// A store holding a small simulated market's listings; returns (url, is fake) per listing.
fn store_with_market(dir: &Path) -> Vec<(String, bool)> {
    let market = Market::generate(&MarketConfig {
        seed: 11,
        products: 40,
        ..MarketConfig::default()
    });
    let mut jsonl = String::new();
    let mut truth = Vec::new();
    for (t, l) in market.listings().filter(|(t, _)| !t.delisted) {
        jsonl.push_str(&serde_json::to_string(&l).unwrap());
        jsonl.push('\n');
        truth.push((l.url.clone(), t.fake));
    }
    std::fs::write(dir.join("market.jsonl"), jsonl).unwrap();
    ok(qsword(dir, &["--data", "d", "import", "market.jsonl"]));
    truth
}

#[test]
fn label_stores_decisions_and_train_refuses_too_few_then_reports_cross_validated_quality() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let truth = store_with_market(dir);

    let bad = qsword(dir, &["--data", "d", "label", &truth[0].0, "maybe"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("neither \"confirmed\" nor \"dismissed\""),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let unknown = qsword(
        dir,
        &[
            "--data",
            "d",
            "label",
            "https://nowhere.example/x",
            "confirmed",
        ],
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no listing with URL https://nowhere.example/x"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    let fakes: Vec<&str> = truth.iter().filter(|t| t.1).map(|t| t.0.as_str()).collect();
    let genuine: Vec<&str> = truth
        .iter()
        .filter(|t| !t.1)
        .map(|t| t.0.as_str())
        .collect();
    let label = |url: &str, decision: &str| {
        ok(qsword(
            dir,
            &["--data", "d", "label", url, decision, "--who", "李明"],
        ))
    };
    assert!(label(fakes[0], "confirmed").contains("confirmed by 李明"));
    label(genuine[0], "dismissed");
    let few = qsword(dir, &["--data", "d", "detect", "--train"]);
    assert!(!few.status.success(), "two labels must not train a model");
    let err = String::from_utf8_lossy(&few.stderr);
    assert!(
        err.contains("too few labels") && err.contains("1 confirmed and 1 dismissed"),
        "{err}"
    );
    assert!(!dir.join("d/models/detector.json").exists());

    // A decision taken back counts as the latest one.
    label(genuine[1], "confirmed");
    label(genuine[1], "dismissed");
    for url in fakes.iter().skip(1).take(24) {
        label(url, "confirmed");
    }
    for url in genuine.iter().skip(2).take(24) {
        label(url, "dismissed");
    }
    let stdout = ok(qsword(dir, &["--data", "d", "detect", "--train"]));
    assert!(
        stdout.contains("trained on 51 labels (25 confirmed, 26 dismissed)"),
        "{stdout}"
    );
    let auc: f64 = stdout
        .split("cross-validated ROC-AUC ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cross-validated ROC-AUC in {stdout}"));
    assert!(
        auc > 0.8,
        "labels from the ground truth are learnable: {stdout}"
    );
    let model = dir.join("d/models/detector.json");
    if stdout.contains("saved to") {
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        assert_eq!(saved["features"][0], "price");
        assert_eq!(saved["confirmed"], 25);
    } else {
        assert!(stdout.contains("not used"), "{stdout}");
        assert!(!model.exists());
    }
    // Detection runs with whatever weights were kept.
    let summary = ok(qsword(dir, &["--data", "d", "detect"]));
    assert!(summary.contains("scored"), "{summary}");

    // A model file that is not one is an error naming it, not silently ignored.
    std::fs::create_dir_all(dir.join("d/models")).unwrap();
    std::fs::write(&model, "{}").unwrap();
    let broken = qsword(dir, &["--data", "d", "detect"]);
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("detector.json"));
}

#[test]
fn detect_on_the_store_flags_a_price_far_below_the_listings_own_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // The same listing imported on four nights: three ordinary prices, then a collapse.
    for (night, amount) in ["299.00", "289.00", "305.00", "89.00"].iter().enumerate() {
        let line = format!(
            r#"{{"url":"https://a.example/pen","title":"A5 paper notebook","price":{{"amount":"{amount}","currency":"CNY"}}}}"#
        );
        std::fs::write(dir.join(format!("n{night}.jsonl")), line).unwrap();
        ok(qsword(
            dir,
            &["--data", "d", "import", &format!("n{night}.jsonl")],
        ));
        let summary = ok(qsword(dir, &["--data", "d", "detect"]));
        let expected = if night == 3 {
            "1 flagged (flags by signal: price 1)"
        } else {
            "0 flagged"
        };
        assert!(summary.contains(expected), "night {night}: {summary}");
    }
}

#[test]
fn brands_shows_the_lexicon_the_last_detect_learnt_with_its_imitations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let before = ok(qsword(dir, &["brands"]));
    assert!(before.contains("no brand lexicon"), "{before}");
    // A brand sold by five independent sellers on two platforms, and one seller's look-alike
    // (a Cyrillic е) selling the brand's own model.
    let mut lines = Vec::new();
    for i in 0..5 {
        lines.push(format!(
            r#"{{"url":"https://p{}.example/{i}","platform":"p{}.example","title":"Kestrel Coffee Grinder KG{i}00","brand":"Kestrel","price":{{"amount":"40.00","currency":"USD"}},"seller":{{"name":"Shop {i}","id":"s{i}"}}}}"#,
            i % 2,
            i % 2
        ));
    }
    lines.push(r#"{"url":"https://p0.example/x","platform":"p0.example","title":"Kestrеl Coffee Grinder KG100","brand":"Kestrеl","price":{"amount":"12.00","currency":"USD"},"seller":{"name":"Cheap Corner","id":"z9"}}"#.to_string());
    std::fs::write(dir.join("in.jsonl"), lines.join("\n")).unwrap();
    ok(qsword(dir, &["import", "in.jsonl"]));
    ok(qsword(dir, &["detect"]));
    let table = ok(qsword(dir, &["brands"]));
    let row = table
        .lines()
        .find(|l| l.starts_with("Kestrel "))
        .unwrap_or_else(|| panic!("no Kestrel row: {table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[1..4],
        ["5", "2", "5"],
        "sellers, platforms, listings: {row}"
    );
    assert!(
        row.contains("Kestrеl (1)"),
        "the imitation and its sellers: {row}"
    );
    let json = ok(qsword(dir, &["brands", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert!(
        doc["entries"].as_array().is_some_and(|e| !e.is_empty()),
        "{json}"
    );
}

#[test]
fn prices_in_other_currencies_are_compared_at_the_configured_rates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut lines: Vec<String> = (0..5)
        .map(|i| {
            format!(
                r#"{{"url":"https://shop.example/{i}","title":"Acme Blender BX500","brand":"Acme","model":"BX500","price":{{"amount":"700.00","currency":"CNY"}},"seller":{{"name":"Shop {i}","id":"s{i}"}}}}"#
            )
        })
        .collect();
    lines.push(r#"{"url":"https://shop.example/usd","title":"Acme Blender BX500","brand":"Acme","model":"BX500","price":{"amount":"20.00","currency":"USD"},"seller":{"name":"Abroad","id":"a1"}}"#.to_string());
    std::fs::write(dir.join("in.jsonl"), lines.join("\n")).unwrap();
    let price_flag = |dir: &Path| {
        ok(qsword(
            dir,
            &["detect", "--input", "in.jsonl", "--output", "out.jsonl"],
        ));
        scores(&dir.join("out.jsonl"))[5]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["signal"] == "price")
    };
    // At the reference rate $20 is about ¥144: far below ¥700.
    assert!(price_flag(dir), "$20 against ¥700 offers");
    // At the center's own rate (1 USD = 35 CNY here) it is ¥700: nothing low.
    std::fs::write(
        dir.join("qsword.toml"),
        "[index]\nrates = { USD = \"35\" }\n",
    )
    .unwrap();
    assert!(!price_flag(dir), "the configured rate is the one used");
}
