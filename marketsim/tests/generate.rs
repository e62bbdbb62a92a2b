//! The market as data: determinism, day-by-day changes, ground truth, without a network.

use qsword_marketsim::{read_truth, write_truth, Market, MarketConfig};
use std::time::Instant;

const BASE: &str = "http://127.0.0.9:1";

fn all_pages(m: &Market) -> Vec<Vec<u8>> {
    let mut pages = Vec::new();
    for r in m.truth() {
        let shop = m.shops().iter().position(|s| s.name == r.shop).unwrap();
        pages.push(m.page(shop, BASE, &r.path, None).body);
    }
    for shop in 0..m.shops().len() {
        for path in [
            "/",
            "/robots.txt",
            "/sitemap.xml",
            "/sitemap-items.xml",
            "/category/switches-sockets",
        ] {
            pages.push(m.page(shop, BASE, path, None).body);
        }
    }
    pages
}

#[test]
fn the_same_seed_and_day_give_byte_identical_pages_and_truth_and_another_seed_does_not() {
    let cfg = MarketConfig {
        seed: 11,
        day: 2,
        ..MarketConfig::default()
    };
    let (a, b) = (Market::generate(&cfg), Market::generate(&cfg));
    assert_eq!(a.truth(), b.truth());
    assert_eq!(all_pages(&a), all_pages(&b));

    let other = Market::generate(&MarketConfig { seed: 12, ..cfg });
    assert_ne!(a.truth(), other.truth());
    let titles = |m: &Market| {
        m.truth()
            .into_iter()
            .map(|r| (r.path, r.title, r.price))
            .collect::<Vec<_>>()
    };
    assert_ne!(titles(&a), titles(&other));
}

#[test]
fn default_market_is_fast_to_generate_and_covers_every_category_and_shop() {
    let start = Instant::now();
    let m = Market::generate(&MarketConfig::default());
    let took = start.elapsed();
    // < 100 ms is the target in release; debug builds of this crate are several times slower.
    assert!(took.as_millis() < 1000, "generation took {took:?}");
    let truth = m.truth();
    assert!(
        (450..=800).contains(&truth.len()),
        "{} offers for 40 products",
        truth.len()
    );
    for c in qsword_marketsim::catalogue::CATEGORIES {
        for s in m.shops() {
            assert!(
                truth
                    .iter()
                    .any(|r| r.category == c.slug && r.shop == s.name),
                "{} sells nothing in {}",
                s.name,
                c.slug
            );
        }
    }
    // Item paths are unique per shop.
    let mut keys: Vec<_> = truth.iter().map(|r| (&r.shop, &r.path)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), truth.len());
}

#[test]
fn a_benchmark_sized_market_generates_quickly() {
    let start = Instant::now();
    let m = Market::generate(&MarketConfig {
        products: 2000,
        ..MarketConfig::default()
    });
    assert!(m.truth().len() > 25_000);
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}

#[test]
fn later_days_change_prices_add_offers_and_delist_half_404_half_410() {
    let day0 = Market::generate(&MarketConfig::default()).truth();
    let day1 = Market::generate(&MarketConfig {
        day: 1,
        ..MarketConfig::default()
    })
    .truth();
    assert!(day0.iter().all(|r| !r.delisted));
    let gone: Vec<_> = day1.iter().filter(|r| r.delisted).collect();
    assert!(!gone.is_empty());
    let n404 = gone.iter().filter(|r| r.gone_status == Some(404)).count();
    let n410 = gone.iter().filter(|r| r.gone_status == Some(410)).count();
    assert_eq!(n404 + n410, gone.len());
    assert!(n404.abs_diff(n410) <= 1, "{n404} × 404 vs {n410} × 410");

    let before: std::collections::HashMap<_, _> =
        day0.iter().map(|r| ((&r.shop, &r.path), r)).collect();
    let repriced = day1
        .iter()
        .filter(|r| {
            before
                .get(&(&r.shop, &r.path))
                .is_some_and(|b| b.price != r.price)
        })
        .count();
    assert!(repriced > 0, "no price changed overnight");
    assert!(
        repriced < day1.len() / 10,
        "{repriced} prices changed: too many for one night"
    );
    let added: Vec<_> = day1
        .iter()
        .filter(|r| !before.contains_key(&(&r.shop, &r.path)))
        .collect();
    assert!(!added.is_empty(), "no new offers on day 1");
    assert!(added.iter().all(|r| r.modified_day == 1));
    // Offers untouched overnight are identical.
    let unchanged = day1
        .iter()
        .filter(|r| before.get(&(&r.shop, &r.path)).is_some_and(|b| *b == *r))
        .count();
    assert!(unchanged > day0.len() * 8 / 10);
}

#[test]
fn truth_round_trips_through_jsonl() {
    let truth = Market::generate(&MarketConfig::default()).truth();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    write_truth(&path, &truth).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), truth.len());
    assert_eq!(read_truth(&path).unwrap(), truth);
    // Prices are decimal strings, as in every qsword contract.
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("\"price\":{\"amount\":\""));
}

#[test]
fn fakes_record_what_they_imitate_and_hard_negatives_are_not_fakes() {
    let truth = Market::generate(&MarketConfig {
        seed: 3,
        ..MarketConfig::default()
    })
    .truth();
    for r in &truth {
        assert_eq!(r.fake, r.imitates.is_some(), "{r:?}");
        assert!(!(r.fake && r.hard_negative.is_some()), "{r:?}");
        if r.fake_kinds.iter().any(|k| k == "brand-variant") {
            let protected = qsword_marketsim::catalogue::BRANDS
                .iter()
                .find(|b| Some(b.en) == r.imitates.as_deref())
                .unwrap();
            let genuine = [
                protected.zh.to_string(),
                protected.en.to_string(),
                format!("{}（{}）", protected.zh, protected.en),
            ];
            assert!(!genuine.contains(&r.brand), "{r:?}");
            assert!(
                r.title.contains(r.brand.split('（').next().unwrap()),
                "{r:?}"
            );
        }
        if r.fake_kinds.iter().any(|k| k == "mark-missing") {
            assert!(r.marks.iter().all(|m| m.scheme != "CCC"), "{r:?}");
        }
        if r.fake_kinds.iter().any(|k| k == "mark-malformed") {
            let n = r
                .marks
                .iter()
                .find(|m| m.scheme == "CCC")
                .and_then(|m| m.number.clone())
                .unwrap();
            assert!(!qsword_marketsim::counterfeit::is_valid_ccc(&n), "{n}");
        }
        if r.hard_negative.as_deref() == Some("compatible-accessory") {
            assert!(
                r.title.contains("适用于") || r.title.contains("compatible with"),
                "{}",
                r.title
            );
        }
        if r.category == "fertilizers" && !r.fake {
            assert!(
                r.marks[0].number.as_deref().unwrap().starts_with("农肥("),
                "{r:?}"
            );
        }
    }
}
