//! The detector as the binary uses it: a batch of listings in, one assessment per listing out.

use qsword_detector::{Assessment, Detector, DetectorConfig, Flag, Signal};
use qsword_listing::catalogue::Catalogue;
use qsword_listing::{Listing, Mark, Price, Seller};

fn detector() -> Detector {
    Detector::new(
        Catalogue::embedded(),
        DetectorConfig {
            current_year: 2026,
            ..Default::default()
        },
    )
    .unwrap()
}

/// An air fryer offer that shows its CCC mark, so only the signal under test can fire.
fn offer(url: &str, title: &str, amount: f64, seller: &str) -> Listing {
    let mut l = Listing::new(url, title);
    l.price = Some(Price::new(&format!("{amount:.2}"), "CNY").unwrap());
    l.seller = Some(Seller {
        name: seller.into(),
        ..Default::default()
    });
    l.category = Some("household-appliances".into());
    l.marks.push(Mark {
        scheme: "CCC".into(),
        number: Some("2019010713123456".into()),
        source: None,
    });
    l
}

/// `n` genuine offers of Philips HD9252 spread over ±10% around ¥299, which is the price of the
/// offer at index (n-1)/2 (so with one cheap fake added, ¥299 is the median).
fn genuine_group(n: usize) -> Vec<Listing> {
    let c = (n - 1) / 2;
    (0..n)
        .map(|i| {
            let step = if i < c {
                -0.1 * (c - i) as f64 / c as f64
            } else {
                0.1 * (i - c) as f64 / (n - 1 - c) as f64
            };
            let amount = 299.0 * (1.0 + step);
            offer(
                &format!("https://shop.example/g{i}"),
                "飞利浦 空气炸锅 HD9252 4.1L",
                amount,
                &format!("店铺{i}"),
            )
        })
        .collect()
}

fn flags_of(a: &Assessment, signal: Signal) -> Vec<&Flag> {
    a.flags.iter().filter(|f| f.signal == signal).collect()
}

#[test]
fn a_fake_at_70_percent_below_is_flagged_with_the_median_and_count_and_genuine_offers_are_not() {
    let mut listings = genuine_group(14);
    listings.push(offer(
        "https://shop.example/fake",
        "飞利浦 空气炸锅 HD9252 4.1L",
        89.0,
        "小王数码",
    ));
    let out = detector().detect(&listings);
    assert_eq!(out.len(), 15, "one assessment per listing");

    let fake = &out[14];
    assert_eq!(fake.url, "https://shop.example/fake");
    let price = flags_of(fake, Signal::Price);
    assert_eq!(price.len(), 1, "{fake:?}");
    assert_eq!(
        price[0].reason,
        "¥89 is 70% below the median ¥301.13 of 14 other offers of Philips HD9252"
    );
    // The kNN isolation (linfa-nn) of the lone cheap offer among the 15: far from the usual.
    let isolation = price[0].evidence["knn_isolation"].as_f64().unwrap();
    assert!(isolation > 2.0, "{:?}", price[0].evidence);
    assert!(price[0].score > 0.8, "score {}", price[0].score);
    // The reference leaves the offer out: the median of the 14 others (in log price).
    assert_eq!(price[0].evidence["median"], "301.13");
    assert_eq!(price[0].evidence["offers"], 14);
    assert_eq!(price[0].evidence["reference_source"], "group_median");
    assert!(price[0].evidence["modified_z"].as_f64().unwrap() < -3.5);
    assert_eq!(price[0].evidence["group"], "model:HD9252");
    assert_eq!(fake.risk, price[0].score);

    for genuine in &out[..14] {
        assert!(
            genuine.flags.is_empty(),
            "a genuine ±10% offer was flagged: {genuine:?}"
        );
        assert_eq!(genuine.risk, 0.0);
    }
}

#[test]
fn a_small_group_is_judged_with_its_uncertainty_stated() {
    // Real marketplaces are long tail: four offers are enough to see a fake at 30 % of the
    // price, with a wider uncertainty than fifteen would give.
    let mut small = genuine_group(3);
    small.push(offer(
        "https://shop.example/fake",
        "飞利浦 空气炸锅 HD9252 4.1L",
        89.0,
        "小王数码",
    ));
    let out = detector().detect(&small);
    assert!(out[..3].iter().all(|a| a.flags.is_empty()), "{out:?}");
    let flag = flags_of(&out[3], Signal::Price)[0].clone();
    assert_eq!(
        flag.reason,
        "¥89 is 70% below the median ¥299 of 3 other offers of Philips HD9252"
    );
    let mut large = genuine_group(14);
    large.push(small[3].clone());
    let large_out = detector().detect(&large);
    let large_flag = flags_of(&large_out[14], Signal::Price)[0].clone();
    let u = |f: &Flag| f.evidence["uncertainty"].as_f64().unwrap();
    assert!(
        u(&flag) > u(&large_flag),
        "{} vs {}",
        u(&flag),
        u(&large_flag)
    );
    assert!(flag.score <= large_flag.score);
}

#[test]
fn two_offers_are_enough_when_one_is_at_a_fifth_of_the_other() {
    let listings = vec![
        offer(
            "https://shop.example/a",
            "飞利浦 空气炸锅 HD9252 4.1L",
            299.0,
            "甲",
        ),
        offer(
            "https://shop.example/b",
            "飞利浦 空气炸锅 HD9252 4.1L",
            59.0,
            "乙",
        ),
    ];
    let out = detector().detect(&listings);
    assert!(
        out[0].flags.is_empty(),
        "the dearer offer is not low: {out:?}"
    );
    assert!(out[1].risk >= 0.5, "{out:?}");
}

#[test]
fn prices_in_another_currency_are_converted_before_comparing() {
    let mut listings = genuine_group(14);
    let mut dollars = offer(
        "https://shop.example/usd",
        "飞利浦 空气炸锅 HD9252 4.1L",
        45.0,
        "US reseller",
    );
    dollars.price = Some(Price::new("45.00", "USD").unwrap());
    listings.push(dollars);
    let out = detector().detect(&listings);
    assert!(
        flags_of(&out[14], Signal::Price).is_empty(),
        "$45 (about ¥320 at the indexer's rates) is not 85% below ¥299: {:?}",
        out[14]
    );
    // …and $9 is.
    listings[14].price = Some(Price::new("9.00", "USD").unwrap());
    let out = detector().detect(&listings);
    let flag = flags_of(&out[14], Signal::Price)[0];
    assert!(
        flag.reason.starts_with("$9 is 79% below the median $42."),
        "{}",
        flag.reason
    );
}

#[test]
fn an_official_store_clearance_scores_lower_than_an_ordinary_seller_at_the_same_price() {
    let mut listings = genuine_group(15);
    listings.push(offer(
        "https://shop.example/official",
        "飞利浦 空气炸锅 HD9252 4.1L",
        179.0,
        "飞利浦官方旗舰店",
    ));
    listings.push(offer(
        "https://shop.example/ordinary",
        "飞利浦 空气炸锅 HD9252 4.1L",
        179.0,
        "小王数码",
    ));
    let out = detector().detect(&listings);
    let ordinary = flags_of(&out[16], Signal::Price);
    assert_eq!(
        ordinary.len(),
        1,
        "40% below a tight group is an outlier: {:?}",
        out[16]
    );
    let official = flags_of(&out[15], Signal::Price);
    let official_score = official.first().map_or(0.0, |f| f.score);
    assert!(
        official_score < ordinary[0].score / 2.0,
        "official {official_score} vs ordinary {}",
        ordinary[0].score
    );
    assert!(out[15].risk < out[16].risk);
    if let Some(f) = official.first() {
        assert!(f.reason.contains("official store"), "{}", f.reason);
        assert_eq!(f.evidence["official_store"], true);
    }
}

#[test]
fn a_look_alike_brand_is_flagged_and_priced_against_the_genuine_product() {
    let mut listings = genuine_group(14);
    listings.push(offer(
        "https://shop.example/fake",
        "飞利蒲 空气炸锅 HD9252 4.1L",
        99.0,
        "小王数码",
    ));
    let out = detector().detect(&listings);
    let brand = flags_of(&out[14], Signal::Brand);
    assert_eq!(brand.len(), 1, "{:?}", out[14]);
    assert!(
        brand[0].reason.contains("\"飞利蒲\""),
        "{}",
        brand[0].reason
    );
    assert!(
        brand[0].reason.contains("飞利浦/Philips"),
        "{}",
        brand[0].reason
    );
    assert_eq!(brand[0].evidence["kind"], "near-form");
    assert_eq!(
        flags_of(&out[14], Signal::Price).len(),
        1,
        "the imitation meets the genuine prices"
    );
    assert!(
        out[14].risk > brand[0].score,
        "two signals count more than one"
    );
}

#[test]
fn a_compatible_filter_for_a_brand_is_not_a_brand_variant_nor_priced_against_it() {
    let filter = |i: usize, title: &str, amount: f64| {
        let mut l = Listing::new(format!("https://shop.example/f{i}"), title);
        l.price = Some(Price::new(&format!("{amount:.2}"), "CNY").unwrap());
        l.category = Some("auto-filters".into());
        l
    };
    let mut listings: Vec<Listing> = (0..8)
        .map(|i| filter(i, "曼牌 机油滤芯 W712/95", 58.0 + i as f64))
        .collect();
    listings.push(filter(8, "适用于曼牌 机油滤芯 W712/95 替换件", 15.0));
    let d = Detector::embedded();
    assert!(d.catalogue().brand_of(&listings[8]).is_none());
    let out = d.detect(&listings);
    assert!(
        out[8].flags.is_empty(),
        "an aftermarket part is not a fake: {:?}",
        out[8]
    );
    assert!(
        out.iter().all(|a| a.flags.is_empty()),
        "filters need no mark: {out:?}"
    );
}

#[test]
fn a_required_ccc_mark_that_is_missing_or_malformed_is_flagged_and_nothing_where_no_rule_applies() {
    let with = |url: &str, title: &str, category: &str, number: Option<&str>| {
        let mut l = Listing::new(url, title);
        l.category = Some(category.into());
        l.price = Some(Price::new("99.00", "CNY").unwrap());
        // The page was read whole: absence from it says something.
        l.description = Some("详见商品详情".into());
        if let Some(n) = number {
            l.marks.push(Mark {
                scheme: "CCC".into(),
                number: Some(n.into()),
                source: Some("specs".into()),
            });
        }
        l
    };
    let listings = vec![
        with(
            "missing",
            "远东电缆 BV2.5 铜芯电线 100米",
            "wire-cable",
            None,
        ),
        with(
            "short",
            "公牛 插座 GN-H3030",
            "switches-sockets",
            Some("201901020112345"),
        ),
        with(
            "letter-o",
            "公牛 插座 GN-H3030",
            "switches-sockets",
            Some("20190102O1123456"),
        ),
        with(
            "year",
            "美的 电饭煲 MB-FB40",
            "household-appliances",
            Some("1999010713123456"),
        ),
        with(
            "product",
            "美的 电饭煲 MB-FB40",
            "household-appliances",
            Some("2019010901123456"),
        ),
        with(
            "good",
            "美的 电饭煲 MB-FB40",
            "household-appliances",
            Some("2019010713123456"),
        ),
        with("fertilizer", "史丹利 复合肥 40kg", "fertilizers", None),
        with("steel", "沙钢 螺纹钢 HRB400", "steel", None),
        with(
            "mentioned",
            "公牛 插座 3C认证 新国标",
            "switches-sockets",
            None,
        ),
        {
            let mut l = with(
                "title-only",
                "远东电缆 BV2.5 铜芯电线 100米",
                "wire-cable",
                None,
            );
            l.description = None;
            l
        },
        {
            let mut l = with("usd", "Outdoor extension cable 50 ft", "wire-cable", None);
            l.price = Some(Price::new("19.00", "USD").unwrap());
            l
        },
    ];
    let out = detector().detect(&listings);
    let mark = |i: usize| flags_of(&out[i], Signal::Mark);
    assert_eq!(mark(0).len(), 1);
    assert_eq!(
        mark(0)[0].reason,
        "no CCC certificate shown, but wire-cable (电线电缆) requires one; absent from the page's text only (the mark may be in its images)"
    );
    assert_eq!(mark(0)[0].evidence["problem"], "missing");
    assert!(
        out[0].risk < 0.5,
        "absence from the text alone stays below the alert level: {:?}",
        out[0]
    );
    // A claim in words is weak evidence, not compliance: still flagged, more weakly.
    assert_eq!(mark(8).len(), 1, "{:?}", out[8]);
    assert!(mark(8)[0].score < mark(0)[0].score);
    assert!(
        mark(8)[0].reason.contains("claims \"3c认证\" in words"),
        "{}",
        mark(8)[0].reason
    );
    assert!(
        out[9].flags.is_empty(),
        "a listing known by its title alone is not missing a mark: {:?}",
        out[9]
    );
    assert!(
        out[10].flags.is_empty(),
        "a cable priced in dollars, where no offer shows CCC, is not on the Chinese market: {:?}",
        out[10]
    );
    assert!(
        mark(1)[0].reason.contains("201901020112345 is malformed"),
        "{}",
        mark(1)[0].reason
    );
    assert!(
        mark(2)[0]
            .reason
            .contains("letters O/I where digits belong"),
        "{}",
        mark(2)[0].reason
    );
    assert_eq!(mark(3)[0].evidence["problem"], "impossible-year");
    assert!(
        mark(3)[0].reason.contains("issued in 1999"),
        "{}",
        mark(3)[0].reason
    );
    assert_eq!(mark(4)[0].evidence["problem"], "wrong-product");
    assert!(
        mark(4)[0]
            .reason
            .contains("product 0901, not a household-appliances product"),
        "{}",
        mark(4)[0].reason
    );
    for i in [5, 6, 7] {
        assert!(out[i].flags.is_empty(), "{}: {:?}", listings[i].url, out[i]);
    }
}

#[test]
fn cue_words_raise_a_flag() {
    let mut l = Listing::new("https://shop.example/lego", "高仿 乐高 积木 千年隼 1:1");
    l.category = Some("toys".into());
    l.description = Some("有3C认证".into());
    l.marks.push(Mark {
        scheme: "CCC".into(),
        number: Some("2019012201123456".into()),
        source: Some("specs".into()),
    });
    let out = detector().detect(&[l]);
    let cue = flags_of(&out[0], Signal::Cue);
    assert_eq!(cue.len(), 1, "{:?}", out[0]);
    assert!(cue[0].reason.contains("\"高仿\" in the title"));
    assert_eq!(out[0].risk, cue[0].score);
}

#[test]
fn output_matches_the_design_contract_exactly() {
    let mut listings = genuine_group(14);
    listings.push(offer(
        "https://shop.example/fake",
        "飞利浦 空气炸锅 HD9252 4.1L",
        89.0,
        "小王数码",
    ));
    let out = detector().detect(&listings);
    let json: serde_json::Value = serde_json::to_value(&out[14]).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&json), ["url", "risk", "flags"]);
    assert_eq!(
        keys(&json["flags"][0]),
        ["signal", "score", "reason", "evidence"]
    );
    assert_eq!(json["url"], "https://shop.example/fake");
    assert!(json["risk"].is_f64());
    assert_eq!(json["flags"][0]["signal"], "price");
    assert!(
        json["flags"][0]["evidence"]["median"].is_string(),
        "money is a decimal string"
    );
    let genuine = serde_json::to_string(&out[0]).unwrap();
    assert_eq!(
        genuine,
        r#"{"url":"https://shop.example/g0","risk":0.0,"flags":[]}"#
    );
    for signal in [Signal::Price, Signal::Brand, Signal::Mark, Signal::Cue] {
        let name = serde_json::to_value(signal).unwrap();
        assert_eq!(name, format!("{signal:?}").to_lowercase());
        assert_eq!(
            name,
            signal.to_string(),
            "Display agrees with the JSON name"
        );
    }
}

#[test]
fn detect_jsonl_writes_one_line_per_listing_and_reports_bad_lines() {
    let mut input = Vec::new();
    let mut listings = genuine_group(14);
    listings.push(offer(
        "https://shop.example/fake",
        "飞利浦 空气炸锅 HD9252 4.1L",
        89.0,
        "小王数码",
    ));
    for l in &listings[..7] {
        qsword_listing::write_listing_line(&mut input, l).unwrap();
    }
    input.extend_from_slice(b"{\"url\": \"https://shop.example/bad\", \"title\": \"x\", \"price\": {\"amount\": 5, \"currency\": \"CNY\"}}\n");
    for l in &listings[7..] {
        qsword_listing::write_listing_line(&mut input, l).unwrap();
    }
    input.extend_from_slice(
        b"{\"url\": \"https://shop.example/bare\", \"title\": \"no price, brand or category\"}\n",
    );

    let mut output = Vec::new();
    let summary = detector()
        .detect_jsonl(&input[..], &mut output, false)
        .unwrap();
    assert_eq!((summary.assessed, summary.flagged), (16, 1));
    assert_eq!(summary.errors.len(), 1);
    assert_eq!(
        (summary.errors[0].line, summary.errors[0].field.as_str()),
        (8, "price.amount")
    );
    let lines: Vec<Assessment> = String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 16);
    assert_eq!(lines[14].url, "https://shop.example/fake");
    assert_eq!(lines[14].flags[0].signal, Signal::Price);
    assert_eq!(lines[15].url, "https://shop.example/bare");
}

#[test]
fn config_refuses_unknown_keys_and_can_turn_missing_mark_flags_off() {
    let typo = serde_json::from_str::<DetectorConfig>(r#"{"z_treshold": 3.0}"#).unwrap_err();
    assert!(typo.to_string().contains("z_treshold"), "{typo}");
    let cfg: DetectorConfig = serde_json::from_str(r#"{"flag_missing_marks": false}"#).unwrap();
    assert_eq!(cfg.min_group_offers, 2, "unset keys keep their defaults");
    let d = Detector::new(Catalogue::embedded(), cfg).unwrap();
    let mut l = Listing::new("u", "远东电缆 BV2.5 铜芯电线");
    l.category = Some("wire-cable".into());
    assert!(d.detect(&[l])[0].flags.is_empty());
}

#[test]
fn a_mark_rule_with_a_broken_pattern_is_refused_by_name() {
    let mut catalogue = Catalogue::embedded();
    catalogue.marks[0].pattern = "^(\\d{16}$".into();
    let e = Detector::new(catalogue, DetectorConfig::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("mark rule `CCC` (marks.toml): pattern"),
        "{e}"
    );
}
