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
            "/sitemap-items-1.xml",
            "/sitemap-items-2.xml.gz",
            "/sitemap.txt",
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

#[test]
fn eight_shops_add_kaola_vip_and_dangdang_and_keep_the_first_five() {
    let five = Market::generate(&MarketConfig::default());
    let eight = Market::generate(&MarketConfig {
        shops: 8,
        ..MarketConfig::default()
    });
    assert_eq!(&eight.shops()[..5], five.shops());
    let extra: Vec<_> = eight.shops()[5..]
        .iter()
        .map(|s| (s.name.as_str(), s.style, s.charset, s.ip.to_string()))
        .collect();
    use qsword_marketsim::{Charset::Utf8, PageStyle::*};
    assert_eq!(
        extra,
        [
            ("kaola-sim", JsonLd, Utf8, "127.0.0.7".to_string()),
            ("vip-sim", Microdata, Utf8, "127.0.0.8".to_string()),
            ("dangdang-sim", EmbeddedState, Utf8, "127.0.0.9".to_string()),
        ]
    );
    let six = Market::generate(&MarketConfig {
        shops: 6,
        ..MarketConfig::default()
    });
    assert_eq!(six.shops().last().unwrap().name, "kaola-sim");

    // Offers spread over all eight shops, each with its own item ids and sellers.
    let truth = eight.truth();
    for s in eight.shops() {
        let mine: Vec<_> = truth.iter().filter(|r| r.shop == s.name).collect();
        assert!(
            mine.len() > truth.len() / 16,
            "{} has only {} of {} offers",
            s.name,
            mine.len(),
            truth.len()
        );
        let fakes = mine.iter().filter(|r| r.fake).count();
        assert!(fakes > 0, "{} sells no fakes", s.name);
    }
    let sellers_of = |shop: &str| -> std::collections::BTreeSet<String> {
        truth
            .iter()
            .filter(|r| r.shop == shop)
            .map(|r| r.seller.id.clone().unwrap())
            .collect()
    };
    assert_ne!(sellers_of("kaola-sim"), sellers_of("tianmao-sim"));
    let mut keys: Vec<_> = truth.iter().map(|r| (&r.shop, &r.path)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), truth.len(), "item paths are unique per shop");
}

#[test]
fn an_out_of_range_shop_count_is_refused_naming_the_field() {
    for shops in [0, 4, 9] {
        let cfg = MarketConfig {
            shops,
            ..MarketConfig::default()
        };
        let err = cfg.validate().unwrap_err().to_string();
        assert!(
            err.contains("MarketConfig.shops") && err.contains(&shops.to_string()),
            "{err}"
        );
    }
    let err = MarketConfig {
        sitemap_max_urls: 50_001,
        ..MarketConfig::default()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(err.contains("MarketConfig.sitemap_max_urls"), "{err}");
    let panic = std::panic::catch_unwind(|| {
        Market::generate(&MarketConfig {
            shops: 9,
            ..MarketConfig::default()
        })
    })
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("MarketConfig.shops"), "{msg}");
}

/// The `<loc>`s of a sitemap or sitemap index.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap().to_string())
        .collect()
}

#[test]
fn product_sitemaps_split_over_plain_gzipped_and_text_files_that_together_list_every_live_product_once(
) {
    use std::io::Read;
    let m = Market::generate(&MarketConfig {
        day: 1,
        products: 120,
        sitemap_max_urls: 60,
        ..MarketConfig::default()
    });
    for (shop, spec) in m.shops().iter().enumerate() {
        let live: std::collections::BTreeSet<String> = m
            .truth_iter()
            .filter(|r| r.shop == spec.name && !r.delisted)
            .map(|r| format!("{BASE}{}", r.path))
            .collect();
        assert_eq!(live.len(), m.live_count(shop));
        let robots = String::from_utf8(m.page(shop, BASE, "/robots.txt", None).body).unwrap();
        assert!(robots.contains(&format!("Sitemap: {BASE}/sitemap.xml\n")));
        assert!(robots.contains(&format!("Sitemap: {BASE}/sitemap.txt\n")));

        let index = String::from_utf8(m.page(shop, BASE, "/sitemap.xml", None).body).unwrap();
        let children = locs(&index);
        assert_eq!(
            children.last().unwrap(),
            &format!("{BASE}/sitemap-categories.xml")
        );
        let items = &children[..children.len() - 1];
        assert!(items.len() >= 2 && items.len() * 60 >= live.len() * 2 / 3);
        let mut listed = Vec::new();
        for (k, url) in items.iter().enumerate() {
            let path = url.strip_prefix(BASE).unwrap();
            let page = m.page(shop, BASE, path, None);
            assert_eq!(page.status, 200, "{path}");
            let xml = if k + 1 == items.len() {
                assert_eq!(path, format!("/sitemap-items-{}.xml.gz", k + 1));
                assert_eq!(page.content_type, "application/gzip");
                let mut xml = String::new();
                flate2::read::GzDecoder::new(&page.body[..])
                    .read_to_string(&mut xml)
                    .unwrap();
                xml
            } else {
                assert_eq!(path, format!("/sitemap-items-{}.xml", k + 1));
                String::from_utf8(page.body).unwrap()
            };
            let urls = locs(&xml);
            assert!(urls.len() <= 60, "{path} lists {} URLs", urls.len());
            listed.extend(urls);
        }
        let text = String::from_utf8(m.page(shop, BASE, "/sitemap.txt", None).body).unwrap();
        assert!(text.lines().count() <= 60 && !text.lines().any(|l| l.trim().is_empty()));
        listed.extend(text.lines().map(str::to_string));
        let unique: std::collections::BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(unique.len(), listed.len(), "a product is listed twice");
        assert_eq!(unique, live, "the sitemaps list exactly the live products");

        // Only the listed form of each part exists.
        let n = items.len();
        for path in [
            format!("/sitemap-items-{n}.xml"),
            "/sitemap-items-1.xml.gz".to_string(),
            "/sitemap-items-01.xml".to_string(),
            "/sitemap-items-0.xml".to_string(),
            format!("/sitemap-items-{}.xml", n + 1),
        ] {
            assert_eq!(m.page(shop, BASE, &path, None).status, 404, "{path}");
        }
    }
}

/// From day 2 on, each night brings new fakes and known fakes that got worse (cue words in
/// the title), besides the price changes, delistings and new offers every day has.
#[test]
fn day_two_brings_new_fakes_and_worsened_ones() {
    let day = |d| {
        Market::generate(&MarketConfig {
            seed: 5,
            day: d,
            ..MarketConfig::default()
        })
        .truth()
    };
    let (one, two) = (day(1), day(2));
    let before: std::collections::HashMap<_, _> = one
        .iter()
        .map(|t| ((t.shop.clone(), t.path.clone()), t))
        .collect();
    let (mut new_fakes, mut worsened) = (0, 0);
    for t in two.iter().filter(|t| !t.delisted && t.fake) {
        match before.get(&(t.shop.clone(), t.path.clone())) {
            None => new_fakes += 1,
            Some(b) if b.fake_kinds.len() < t.fake_kinds.len() => {
                worsened += 1;
                assert!(t.fake_kinds.contains(&"cue-words".to_string()));
                assert_eq!(t.modified_day, 2);
            }
            Some(_) => {}
        }
    }
    assert!(new_fakes >= 2, "{new_fakes} new fakes on day 2");
    assert!(worsened >= 2, "{worsened} fakes got worse on day 2");
    // Day 1 is as it always was: every offer of day 0 is still there, changed or not.
    assert!(day(0).len() <= one.len());
}
