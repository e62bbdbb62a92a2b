use super::*;
use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The message ids a catalogue defines.
fn catalogue(lang: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(format!("locales/{lang}/qsword.ftl")))
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
        .collect()
}

fn files(dir: &str, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(path.strip_prefix(ROOT).unwrap().to_str().unwrap(), ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The literal keys after each `call(` in `text` (`t("key"`, `tr("key"`,
/// `tf(lang, "key"`, across a line break too).
fn keys_after(text: &str, call: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(at) = rest.find(call) {
        let before = rest[..at].chars().last();
        rest = &rest[at + call.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // part of a longer name (`format(`, `split(`)
        }
        let mut arg = rest.trim_start();
        if !arg.starts_with('"') {
            // One argument (the language) before the key: skip to its comma.
            let mut depth = 0;
            let comma = arg.char_indices().find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth < 0 || (depth == 0 && c == ',')
            });
            match comma {
                Some((i, ',')) if i < 40 => arg = arg[i + 1..].trim_start(),
                _ => continue,
            }
        }
        let Some(arg) = arg.strip_prefix('"') else {
            continue;
        };
        let key: String = arg
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        // `t("action-" ~ x)` and `format!("signal-{s}")`: a prefix, checked below.
        if !key.is_empty() && arg[key.len()..].starts_with('"') && !key.ends_with('-') {
            out.insert(key);
        }
    }
}

/// Keys passed as values to a lookup (`require(.., "what-triage")`, the facets' names, …).
fn prefixed_literals(text: &str, out: &mut BTreeSet<String>) {
    const PREFIXES: &[&str] = &[
        "what-", "needed-", "param-", "facet-", "sort-", "login-", "csrf-", "digest-", "csv-",
        "chart-",
    ];
    for piece in text.split('"').skip(1).step_by(2) {
        if PREFIXES.iter().any(|p| piece.starts_with(p))
            && piece
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            out.insert(piece.to_string());
        }
    }
}

/// Every key the templates and the code use, plus the ones built from a prefix and a value.
fn used_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut paths = Vec::new();
    files("src", "html", &mut paths);
    files("src", "txt", &mut paths);
    for p in &paths {
        keys_after(&std::fs::read_to_string(p).unwrap(), "t(", &mut keys);
    }
    let mut rust = Vec::new();
    files("src", "rs", &mut rust);
    for p in rust.iter().filter(|p| !p.ends_with("i18n/tests.rs")) {
        // Comments may show a call with a made-up key.
        let text: String = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        for call in ["tr(", "trf(", "t(", "tf("] {
            keys_after(&text, call, &mut keys);
        }
        prefixed_literals(&text, &mut keys);
    }
    let dynamic: &[(&str, &[&str])] = &[
        ("action-", &["confirm", "dismiss", "note"]),
        ("role-", &["viewer", "investigator", "admin"]),
        ("signal-", &["price", "brand", "mark", "cue", "seller"]),
        ("field-", &["title", "description", "brand"]),
        ("delisted-", &["exclude", "include", "only"]),
        ("stats-by-", &["category", "platform"]),
        ("stats-chart-alt-", &["category", "platform"]),
        ("col-", &["category", "platform"]),
        ("brand-kind-", reasons::KINDS),
        ("csv-", &crate::alerts::digest::CSV_COLUMNS),
    ];
    for (prefix, values) in dynamic {
        for v in *values {
            keys.insert(format!("{prefix}{v}"));
        }
    }
    keys
}

#[test]
fn both_catalogues_have_the_same_messages() {
    let (zh, en) = (catalogue("zh-CN"), catalogue("en"));
    assert!(zh.len() > 100, "{}", zh.len());
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(
        only_zh.is_empty() && only_en.is_empty(),
        "untranslated: only in zh-CN {only_zh:?}, only in en {only_en:?}"
    );
}

#[test]
fn every_key_used_in_templates_and_code_is_in_both_catalogues() {
    let used = used_keys();
    // The scan must see the templates and the code, or it proves nothing.
    for sample in [
        "nav-search",
        "decide-confirm",
        "digest-subject",
        "login-wrong",
        "what-triage",
        "reason-seller",
    ] {
        assert!(used.contains(sample), "{sample} not found by the scan");
    }
    for lang in ["zh-CN", "en"] {
        let defined = catalogue(lang);
        let missing: Vec<_> = used.difference(&defined).collect();
        assert!(missing.is_empty(), "missing in {lang}: {missing:?}");
    }
    // And each catalogue parses whole (a syntax error drops the messages after it).
    for lang in ["zh-CN", "en"] {
        let path = Path::new(ROOT).join(format!("locales/{lang}/qsword.ftl"));
        let text = std::fs::read_to_string(path).unwrap();
        if let Err((_, errors)) = fluent_templates::fluent_bundle::FluentResource::try_new(text) {
            panic!("locales/{lang}/qsword.ftl: {errors:?}");
        }
    }
}

#[test]
fn chinese_unless_english_is_preferred() {
    assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    assert_eq!(Lang::from_accept_language("en"), Lang::En);
    assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
    assert_eq!(
        Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
        Lang::Zh
    );
    assert_eq!(
        Lang::from_accept_language("fr, en;q=0.5, zh;q=0.7"),
        Lang::Zh
    );
    assert_eq!(Lang::from_accept_language("de, en;q=0.5"), Lang::En);
    assert_eq!(Lang::from_accept_language("fr"), Lang::Zh);
    assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Zh);
    assert_eq!(Lang::parse("zh-Hans"), Some(Lang::Zh));
    assert_eq!(Lang::parse("EN_gb"), Some(Lang::En));
}

#[test]
fn messages_take_arguments_and_english_plurals() {
    assert_eq!(
        tf(Lang::Zh, "login-throttled", vec![("wait", 5u64.into())]),
        "尝试次数过多，请 5 秒后再试。"
    );
    assert_eq!(
        tf(Lang::En, "search-total", vec![("total", 1u64.into())]),
        "1 listing"
    );
    assert_eq!(
        tf(Lang::En, "search-total", vec![("total", 3u64.into())]),
        "3 listings"
    );
    assert_eq!(t(Lang::En, "list-separator"), ", ");
    assert_eq!(
        tf(
            Lang::En,
            "reason-rule-unverified",
            vec![("source", "x".into())]
        ),
        " (rule not verified: x)"
    );
}

#[test]
fn money_and_times_are_written_the_zh_cn_way() {
    assert_eq!(money("¥1299"), "¥1,299.00");
    assert_eq!(money("¥1299.5"), "¥1,299.50");
    assert_eq!(money("¥89"), "¥89.00");
    assert_eq!(money("USD 1234567.891"), "USD 1,234,567.89");
    assert_eq!(money("¥-12"), "¥-12.00");
    assert_eq!(money("no price"), "no price");
    assert_eq!(datetime("2026-12-07T18:30:59+00:00"), "2026-12-07 18:30");
    assert_eq!(datetime("2026-12-08T02:30:00+08:00"), "2026-12-07 18:30");
    assert_eq!(datetime("yesterday"), "yesterday");
}

#[test]
fn a_price_reason_is_rebuilt_in_chinese_with_its_numbers() {
    let evidence = serde_json::json!({"median": "299.00", "offers": 12, "price": "89.00",
        "reference_source": "median", "reference_anchors": 0, "official_store": false,
        "explained_by": null});
    let english = "¥89 is 70% below the median ¥299 of 12 other offers of 公牛 GN-H3";
    assert_eq!(
        reasons::reason(Lang::Zh, "price", &evidence, english),
        "¥89.00 比同款商品其他 12 个报价的中位价 ¥299.00 低 70%"
    );
    assert_eq!(
        reasons::reason(Lang::En, "price", &evidence, english),
        english
    );
    // Evidence from an older detector without the numbers: the English sentence stays.
    assert_eq!(
        reasons::reason(Lang::Zh, "price", &serde_json::json!({}), english),
        english
    );
}

#[test]
fn mark_brand_cue_and_seller_reasons_in_chinese() {
    let missing = serde_json::json!({"problem": "missing", "scheme": "CCC", "category": "power-strip",
        "source": "GB 2099", "verified": true, "peers": 5, "peers_showing": 4,
        "claimed_in_words": "3C认证"});
    assert_eq!(
        reasons::reason(Lang::Zh, "mark", &missing, "x"),
        "未展示 CCC 证书，但 power-strip 类商品须取得该认证；同款商品的其他 5 个报价中有 4 个展示了证书；文字中声称“3C认证”，但没有证书编号"
    );
    let year = serde_json::json!({"problem": "impossible-year", "scheme": "CCC",
        "number": "2031010101234567", "verified": false, "source": "CNCA",
        "year": 2031, "valid_years": [2002, 2026]});
    assert_eq!(
        reasons::reason(Lang::Zh, "mark", &year, "x"),
        "CCC 证书编号 2031010101234567 的发证年份为 2031，不可能：应在 2002–2026 之间（规则未经核实：CNCA）"
    );
    let brand = serde_json::json!({"brand": "bull", "written": "公午", "genuine": "公牛",
        "kind": "near-form", "field": "title"});
    assert_eq!(
        reasons::reason(Lang::Zh, "brand", &brand, "x"),
        "标题中的“公午”疑似仿冒受保护品牌 公牛（bull）：形近字"
    );
    let same = serde_json::json!({"brand": "philips", "written": "Phiilps", "genuine": "philips",
        "kind": "look-alike", "field": "brand"});
    assert_eq!(
        reasons::reason(Lang::Zh, "brand", &same, "x"),
        "品牌栏中的“Phiilps”疑似仿冒受保护品牌 philips：形近字符"
    );
    let cue = serde_json::json!({"cues": [{"word": "高仿", "where": "title"},
        {"word": "replica", "where": "description"}]});
    assert_eq!(
        reasons::reason(Lang::Zh, "cue", &cue, "x"),
        "使用了售假商家的常用词：标题中的“高仿”、描述中的“replica”"
    );
    let seller = serde_json::json!({"seller": "甲店", "network": ["甲店"], "listings": 10,
        "others_flagged": 6, "brands_priced": 4, "discounted_brands": ["a", "b", "c"],
        "posterior_without_this_listing": 0.874});
    assert_eq!(
        reasons::reason(Lang::Zh, "seller", &seller, "x"),
        "商家 甲店：依据其其他商品判断，87% 可能系统性销售假冒商品——在其标价的 4 个品牌中有 3 个明显低于其他报价，其 10 个商品中有 6 个带有其他风险提示"
    );
}
