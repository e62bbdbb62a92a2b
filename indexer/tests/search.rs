//! What investigators rely on when they search: Chinese and English words are found, filters
//! and sorting do what they say, counts are exact, re-indexing never duplicates, and nothing
//! a shop writes in a title can inject markup into the console.

use qsword_indexer::{Delisted, IndexDoc, ListingIndex, SearchRequest, Sort};
use qsword_listing::{Decimal, Listing, Mark, Price, Seller};
use std::str::FromStr;

struct Item {
    id: u64,
    title: &'static str,
    brand: &'static str,
    platform: &'static str,
    price: &'static str,
    risk: f64,
    path: &'static [&'static str],
    slug: &'static str,
    ccc: bool,
}

const ITEMS: &[Item] = &[
    Item {
        id: 1,
        title: "公牛插座五孔 10A 正品",
        brand: "公牛",
        platform: "mall.example",
        price: "39.90",
        risk: 0.10,
        path: &["家用电器", "开关插座", "插座"],
        slug: "switches-sockets",
        ccc: true,
    },
    Item {
        id: 2,
        title: "公午插座 超低价 1:1",
        brand: "公午",
        platform: "bazaar.example",
        price: "9.90",
        risk: 0.95,
        path: &["家用电器", "开关插座", "插座"],
        slug: "switches-sockets",
        ccc: false,
    },
    Item {
        id: 3,
        title: "华为 Mate60 Pro 手机 12GB+512GB",
        brand: "华为",
        platform: "mall.example",
        price: "6999.00",
        risk: 0.30,
        path: &["手机数码", "手机"],
        slug: "phones",
        ccc: true,
    },
    Item {
        id: 4,
        title: "Philips Air Fryer HD9252 4.1L",
        brand: "Philips",
        platform: "shop.example",
        price: "299.00",
        risk: 0.05,
        path: &["家用电器", "厨房电器", "空气炸锅"],
        slug: "household-appliances",
        ccc: true,
    },
    Item {
        id: 5,
        title: "飞利浦 空气炸锅 HD9252 特价",
        brand: "Philips",
        platform: "bazaar.example",
        price: "89.00",
        risk: 0.88,
        path: &["家用电器", "厨房电器", "空气炸锅"],
        slug: "household-appliances",
        ccc: false,
    },
    Item {
        id: 6,
        title: "好孩子儿童安全座椅汽车用便携式折叠 ISOFIX",
        brand: "goodbaby",
        platform: "shop.example",
        price: "1299.00",
        risk: 0.40,
        path: &["母婴", "安全座椅"],
        slug: "childrens-products",
        ccc: true,
    },
];

fn listing(item: &Item) -> Listing {
    let mut l = Listing::new(
        format!("https://{}/item/{}", item.platform, item.id),
        item.title,
    );
    l.brand = Some(item.brand.into());
    l.platform = Some(item.platform.into());
    l.price = Some(Price::new(item.price, "CNY").unwrap());
    l.category = Some(item.slug.into());
    l.category_path = item.path.iter().map(|s| s.to_string()).collect();
    l.seller = Some(Seller {
        name: format!("{}旗舰店", item.brand),
        ..Default::default()
    });
    if item.ccc {
        l.marks = vec![Mark {
            scheme: "CCC".into(),
            number: None,
            source: None,
        }];
    }
    l
}

fn index_of(items: &[Item]) -> ListingIndex {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    for item in items {
        let l = listing(item);
        let doc = IndexDoc {
            id: item.id,
            listing: &l,
            risk: Some(item.risk),
            delisted: false,
            first_seen: None,
            last_seen: None,
        };
        writer.upsert(&doc).unwrap();
    }
    writer.commit().unwrap();
    index
}

fn ids(index: &ListingIndex, req: &SearchRequest) -> Vec<u64> {
    let results = index.search(req).unwrap();
    results.hits.iter().map(|h| h.id).collect()
}

fn sorted_ids(index: &ListingIndex, query: &str) -> Vec<u64> {
    let mut found = ids(index, &SearchRequest::new(query));
    found.sort();
    found
}

#[test]
fn chinese_sub_word_inside_a_run_is_found() {
    let index = index_of(ITEMS);
    assert_eq!(sorted_ids(&index, "插座"), [1, 2]);
    assert_eq!(sorted_ids(&index, "五孔"), [1]);
    // A single character still works, through the n-gram field.
    assert_eq!(sorted_ids(&index, "炸"), [5]);
}

#[test]
fn model_number_is_found_in_any_case() {
    let index = index_of(ITEMS);
    assert_eq!(sorted_ids(&index, "Mate60"), [3]);
    assert_eq!(sorted_ids(&index, "mate60"), [3]);
    assert_eq!(sorted_ids(&index, "MATE60 pro"), [3]);
    assert_eq!(sorted_ids(&index, "hd9252"), [4, 5]);
}

#[test]
fn fourteen_character_chinese_run_is_searchable_whole_and_in_parts() {
    let index = index_of(ITEMS);
    let run = "儿童安全座椅汽车用便携式折叠";
    assert_eq!(run.chars().count(), 14);
    assert_eq!(sorted_ids(&index, run), [6]);
    // The whole run including the brand prefix jieba might cut differently.
    assert_eq!(
        sorted_ids(&index, "好孩子儿童安全座椅汽车用便携式折叠"),
        [6]
    );
    // A piece that straddles jieba's word boundaries.
    assert_eq!(sorted_ids(&index, "椅汽车用便"), [6]);
    // But not characters that only occur apart.
    assert!(sorted_ids(&index, "座椅插座").is_empty());
}

#[test]
fn english_words_are_found_case_insensitively_and_all_words_are_required() {
    let index = index_of(ITEMS);
    assert_eq!(sorted_ids(&index, "air fryer"), [4]);
    assert_eq!(sorted_ids(&index, "AIR"), [4]);
    assert_eq!(sorted_ids(&index, "fryer 插座"), Vec::<u64>::new());
    // Mixed Chinese and English words, and brand names, are matched too.
    assert_eq!(sorted_ids(&index, "飞利浦 hd9252"), [5]);
    assert_eq!(sorted_ids(&index, "philips"), [4, 5]);
}

#[test]
fn brand_and_price_range_filter() {
    let index = index_of(ITEMS);
    let req = SearchRequest {
        brand: Some("philips".into()), // case-insensitive
        min_price: Some(Decimal::from_str("50").unwrap()),
        max_price: Some(Decimal::from_str("100").unwrap()),
        ..SearchRequest::new("")
    };
    assert_eq!(ids(&index, &req), [5]);
    let under_ten = SearchRequest {
        max_price: Some(Decimal::from_str("9.90").unwrap()), // inclusive
        ..SearchRequest::new("插座")
    };
    assert_eq!(ids(&index, &under_ten), [2]);
}

#[test]
fn platform_category_and_mark_filters() {
    let index = index_of(ITEMS);
    let on = |platform: &str| SearchRequest {
        platform: Some(platform.into()),
        ..SearchRequest::new("")
    };
    assert_eq!(index.search(&on("bazaar.example")).unwrap().total, 2);

    let subtree = SearchRequest {
        category: Some("/家用电器".into()),
        ..SearchRequest::new("")
    };
    assert_eq!(index.search(&subtree).unwrap().total, 4);
    let leaf = SearchRequest {
        category: Some("/家用电器/厨房电器/空气炸锅".into()),
        ..SearchRequest::new("")
    };
    assert_eq!(index.search(&leaf).unwrap().total, 2);
    let slug = SearchRequest {
        category: Some("phones".into()),
        ..SearchRequest::new("")
    };
    assert_eq!(ids(&index, &slug), [3]);

    let no_ccc = SearchRequest {
        mark: Some("none".into()),
        ..SearchRequest::new("")
    };
    let mut without = ids(&index, &no_ccc);
    without.sort();
    assert_eq!(without, [2, 5]);
}

#[test]
fn sort_by_risk_and_by_price() {
    let index = index_of(ITEMS);
    let by = |sort| {
        ids(
            &index,
            &SearchRequest {
                sort,
                ..SearchRequest::new("")
            },
        )
    };
    assert_eq!(by(Sort::RiskDesc), [2, 5, 6, 3, 1, 4]);
    assert_eq!(by(Sort::PriceAsc), [2, 1, 5, 4, 6, 3]);
    assert_eq!(by(Sort::PriceDesc), [3, 6, 4, 5, 1, 2]);
    let risky = SearchRequest {
        min_risk: Some(0.5),
        sort: Sort::RiskDesc,
        ..SearchRequest::new("")
    };
    assert_eq!(ids(&index, &risky), [2, 5]);
}

#[test]
fn upserting_the_same_listing_again_replaces_it() {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    let mut l = listing(&ITEMS[0]);
    for night in 0..3 {
        l.price = Some(Price::new(&format!("3{night}.00"), "CNY").unwrap());
        let doc = IndexDoc {
            id: 1,
            listing: &l,
            risk: None,
            delisted: false,
            first_seen: None,
            last_seen: None,
        };
        writer.upsert(&doc).unwrap();
        writer.upsert(&doc).unwrap();
        writer.commit().unwrap();
    }
    l.title = "公牛 新款 USB 插线板".into();
    writer
        .upsert(&IndexDoc {
            id: 1,
            listing: &l,
            risk: None,
            delisted: false,
            first_seen: None,
            last_seen: None,
        })
        .unwrap();
    writer.commit().unwrap();

    assert_eq!(index.doc_count(), 1);
    let found = index.search(&SearchRequest::new("公牛")).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(
        found.hits[0].price,
        Some(Price::new("32.00", "CNY").unwrap())
    );
    assert!(
        index
            .search(&SearchRequest::new("五孔"))
            .unwrap()
            .hits
            .is_empty(),
        "old title still found"
    );
}

#[test]
fn twenty_nightly_runs_leave_one_document_per_listing_and_few_segments() {
    let dir = tempfile::tempdir().unwrap();
    let index = ListingIndex::open_or_create(dir.path()).unwrap();
    for night in 0..20u64 {
        let mut writer = index.writer(20_000_000).unwrap();
        for item in ITEMS {
            let mut l = listing(item);
            l.title = format!("{} 第{night}晚", item.title);
            let risk = Some(night as f64 / 20.0);
            writer
                .upsert(&IndexDoc {
                    id: item.id,
                    listing: &l,
                    risk,
                    delisted: false,
                    first_seen: None,
                    last_seen: None,
                })
                .unwrap();
        }
        writer.commit().unwrap();
        writer.finish().unwrap();
        assert_eq!(index.doc_count(), ITEMS.len() as u64, "night {night}");
    }
    assert!(
        index.segment_count() <= 8,
        "{} segments after 20 nights",
        index.segment_count()
    );
    assert_eq!(
        index.search(&SearchRequest::new("第19晚")).unwrap().total,
        ITEMS.len()
    );
    assert_eq!(
        index.search(&SearchRequest::new("第18晚")).unwrap().total,
        0
    );
}

#[test]
fn hostile_title_comes_back_escaped() {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    let l = Listing::new(
        "https://evil.example/1",
        "<script>alert(1)</script> 插座 & \"五孔\"",
    );
    writer
        .upsert(&IndexDoc {
            id: 9,
            listing: &l,
            risk: None,
            delisted: false,
            first_seen: None,
            last_seen: None,
        })
        .unwrap();
    writer.commit().unwrap();
    for query in ["插座", "script", ""] {
        let hit = &index.search(&SearchRequest::new(query)).unwrap().hits[0];
        let html = &hit.snippet_html;
        assert!(!html.contains("<script"), "{query:?}: {html}");
        // Only our own highlight tags are markup; everything else is escaped text.
        let text = html.replace("<b>", "").replace("</b>", "");
        assert!(!text.contains('<') && !text.contains('>'), "{html}");
        assert!(
            text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{query:?}: {html}"
        );
        assert!(text.contains("&amp;"), "{query:?}: {html}");
        assert_eq!(hit.title, l.title, "the stored title is the raw text");
    }
    let hit = &index.search(&SearchRequest::new("插座")).unwrap().hits[0];
    assert!(
        hit.snippet_html.contains("<b>插座</b>"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.ends_with("&quot;"),
        "title cut short: {}",
        hit.snippet_html
    );
}

#[test]
fn totals_and_facet_counts_are_exact_beyond_the_page() {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    for id in 0..137u64 {
        let mut l = Listing::new(
            format!("https://s.example/{id}"),
            format!("正泰 断路器 型号{id}"),
        );
        l.brand = Some(if id % 3 == 0 { "CHINT" } else { "正泰" }.into());
        l.platform = Some(format!("p{}.example", id % 2));
        writer
            .upsert(&IndexDoc {
                id,
                listing: &l,
                risk: None,
                delisted: id == 5,
                first_seen: None,
                last_seen: None,
            })
            .unwrap();
    }
    writer.commit().unwrap();
    let page = SearchRequest {
        limit: 10,
        offset: 20,
        ..SearchRequest::new("断路器")
    };
    let results = index.search(&page).unwrap();
    assert_eq!(results.total, 136, "one of 137 is delisted and left out");
    assert_eq!(results.hits.len(), 10);

    let brand = |value: &str| {
        results
            .facets
            .brand
            .iter()
            .find(|c| c.value == value)
            .map(|c| c.count)
    };
    let expected_chint = (0..137).filter(|id| id % 3 == 0 && *id != 5).count() as u64;
    assert_eq!(brand("CHINT"), Some(expected_chint));
    assert_eq!(brand("正泰"), Some(136 - expected_chint));
    let platforms: u64 = results.facets.platform.iter().map(|c| c.count).sum();
    assert_eq!(platforms, 136);

    let everything = SearchRequest {
        delisted: Delisted::Include,
        limit: 0,
        ..SearchRequest::new("")
    };
    let all = index.search(&everything).unwrap();
    assert_eq!((all.total, all.hits.len()), (137, 0));

    // Pages do not overlap and together cover every hit.
    let mut seen = std::collections::BTreeSet::new();
    for offset in (0..140).step_by(50) {
        let req = SearchRequest {
            limit: 50,
            offset,
            sort: Sort::Relevance,
            ..SearchRequest::new("断路器")
        };
        for id in ids(&index, &req) {
            assert!(seen.insert(id), "listing {id} on two pages");
        }
    }
    assert_eq!(seen.len(), 136);
}

#[test]
fn malformed_queries_never_fail() {
    let index = index_of(ITEMS);
    let long = "插座 ".repeat(2_000);
    for query in [
        "\"",
        "AND(",
        "插座 AND(",
        "(((",
        "title:",
        "nosuchfield:插座",
        "-",
        "+",
        "*",
        "\"插座",
        "[1 TO",
        "!!!",
        long.as_str(),
    ] {
        let result = index.search(&SearchRequest::new(query));
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    // A stray quote still finds the word it wraps.
    assert_eq!(sorted_ids(&index, "\"五孔"), [1]);
    // A query with nothing searchable says so instead of silently returning nothing.
    let empty = index.search(&SearchRequest::new("!!!")).unwrap();
    assert!(empty.hits.is_empty());
    assert!(!empty.warnings.is_empty());
}

#[test]
fn index_on_disk_survives_reopening_with_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = ListingIndex::open_or_create(dir.path()).unwrap();
        let mut writer = index.writer(20_000_000).unwrap();
        let l = listing(&ITEMS[2]);
        writer
            .upsert(&IndexDoc {
                id: 3,
                listing: &l,
                risk: Some(0.3),
                delisted: false,
                first_seen: None,
                last_seen: None,
            })
            .unwrap();
        writer.commit_with_checkpoint("store-version-42").unwrap();
    }
    let index = ListingIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.doc_count(), 1);
    assert_eq!(
        index.checkpoint().unwrap().as_deref(),
        Some("store-version-42")
    );
    let hit = &index.search(&SearchRequest::new("mate60")).unwrap().hits[0];
    assert_eq!(hit.url, "https://mall.example/item/3");
    assert_eq!(hit.brand.as_deref(), Some("华为"));
    assert_eq!(hit.risk, Some(0.3));
    assert_eq!(hit.marks, ["CCC"]);
}

#[test]
fn a_second_process_sees_commits_after_reload() {
    let dir = tempfile::tempdir().unwrap();
    let writer_side = ListingIndex::open_or_create(dir.path()).unwrap();
    let reader_side = ListingIndex::open_or_create(dir.path()).unwrap();
    let mut writer = writer_side.writer(20_000_000).unwrap();
    let l = listing(&ITEMS[0]);
    writer
        .upsert(&IndexDoc {
            id: 1,
            listing: &l,
            risk: None,
            delisted: false,
            first_seen: None,
            last_seen: None,
        })
        .unwrap();
    writer.commit().unwrap();
    assert_eq!(writer_side.doc_count(), 1);
    assert_eq!(reader_side.doc_count(), 0, "reader reloads only when asked");
    reader_side.reload().unwrap();
    assert_eq!(reader_side.doc_count(), 1);
}

/// 300 listings over a few sellers, categories, platforms and nights, with what each is.
struct Spread {
    id: u64,
    seller: String,
    path: Vec<String>,
    platform: String,
    night: i64,
    risk: f64,
    ccc: bool,
    delisted: bool,
}

fn spread() -> Vec<Spread> {
    let paths: [&[&str]; 4] = [
        &["家用电器", "开关插座", "插座"],
        &["家用电器", "厨房电器", "空气炸锅"],
        &["家用电器", "厨房电器", "电饭煲"],
        &["手机数码", "手机"],
    ];
    (0..300u64)
        .map(|id| Spread {
            id,
            seller: format!("店铺{}", (id * 7) % 11),
            path: paths[(id % 4) as usize]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            platform: format!("p{}.example", id % 3),
            night: (id % 10) as i64,
            risk: (id % 100) as f64 / 100.0,
            ccc: id % 5 != 0,
            delisted: id % 17 == 0,
        })
        .collect()
}

fn night(n: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-01T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
        + chrono::Duration::days(n)
}

fn spread_index(rows: &[Spread]) -> ListingIndex {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    for row in rows {
        let mut l = Listing::new(
            format!("https://{}/item/{}", row.platform, row.id),
            format!("正品 商品{} 插座", row.id),
        );
        l.platform = Some(row.platform.clone());
        l.category_path = row.path.clone();
        l.seller = Some(Seller {
            name: row.seller.clone(),
            ..Default::default()
        });
        l.price = Some(Price::new(&format!("{}.00", 10 + row.id), "CNY").unwrap());
        if row.ccc {
            l.marks = vec![Mark {
                scheme: "CCC".into(),
                number: None,
                source: None,
            }];
        }
        writer
            .upsert(&IndexDoc {
                risk: Some(row.risk),
                delisted: row.delisted,
                first_seen: Some(night(row.night)),
                last_seen: Some(night(row.night + 1)),
                ..IndexDoc::new(row.id, &l)
            })
            .unwrap();
    }
    writer.commit().unwrap();
    index
}

#[test]
fn seller_and_category_facets_equal_counts_taken_from_the_rows() {
    let rows = spread();
    let index = spread_index(&rows);
    let req = SearchRequest {
        platform: Some("p1.example".into()),
        category: Some("/家用电器".into()),
        limit: 5,
        ..SearchRequest::new("插座")
    };
    let results = index.search(&req).unwrap();
    let matching: Vec<&Spread> = rows
        .iter()
        .filter(|r| r.platform == "p1.example" && r.path[0] == "家用电器" && !r.delisted)
        .collect();
    assert_eq!(results.total, matching.len());

    let mut sellers = std::collections::BTreeMap::<String, u64>::new();
    let mut children = std::collections::BTreeMap::<String, u64>::new();
    for r in &matching {
        *sellers.entry(r.seller.clone()).or_default() += 1;
        *children
            .entry(format!("/{}/{}", r.path[0], r.path[1]))
            .or_default() += 1;
    }
    let got_sellers: std::collections::BTreeMap<String, u64> = results
        .facets
        .seller
        .iter()
        .map(|c| (c.value.clone(), c.count))
        .collect();
    assert_eq!(got_sellers, sellers);
    // Category counts are the children of the browsed category, with their names.
    let got_children: std::collections::BTreeMap<String, u64> = results
        .facets
        .category
        .iter()
        .map(|c| (c.path.clone(), c.count))
        .collect();
    assert_eq!(got_children, children);
    assert!(results
        .facets
        .category
        .iter()
        .any(|c| c.name == "厨房电器" && c.path == "/家用电器/厨房电器"));
    let marks: u64 = results
        .facets
        .marks
        .iter()
        .filter(|c| c.value == "none")
        .map(|c| c.count)
        .sum();
    assert_eq!(marks, matching.iter().filter(|r| !r.ccc).count() as u64);
}

#[test]
fn date_ranges_and_newest_first() {
    let rows = spread();
    let index = spread_index(&rows);
    let req = SearchRequest {
        first_seen_from: Some(night(3)),
        first_seen_to: Some(night(5)),
        sort: Sort::Newest,
        limit: 1_000,
        ..SearchRequest::new("")
    };
    let results = index.search(&req).unwrap();
    let expected = rows
        .iter()
        .filter(|r| (3..=5).contains(&r.night) && !r.delisted)
        .count();
    assert_eq!(results.total, expected);
    let seen: Vec<_> = results.hits.iter().map(|h| h.first_seen.unwrap()).collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "not newest first");
    assert_eq!(seen.first(), Some(&night(5)));
    assert_eq!(seen.last(), Some(&night(3)));
    assert_eq!(results.hits[0].last_seen, Some(night(6)));

    let gone_lately = SearchRequest {
        last_seen_to: Some(night(2)),
        delisted: Delisted::Include,
        limit: 1_000,
        ..SearchRequest::new("")
    };
    let expected = rows.iter().filter(|r| r.night < 2).count();
    assert_eq!(index.search(&gone_lately).unwrap().total, expected);
}

#[test]
fn without_a_mark_risk_ceiling_and_only_delisted() {
    let rows = spread();
    let index = spread_index(&rows);
    let no_ccc_low_risk = SearchRequest {
        without_mark: Some("ccc".into()),
        max_risk: Some(0.30),
        limit: 1_000,
        ..SearchRequest::new("")
    };
    let mut got = ids(&index, &no_ccc_low_risk);
    got.sort();
    let expected: Vec<u64> = rows
        .iter()
        .filter(|r| !r.ccc && r.risk <= 0.30 && !r.delisted)
        .map(|r| r.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    let only = SearchRequest {
        delisted: Delisted::Only,
        limit: 1_000,
        ..SearchRequest::new("")
    };
    let results = index.search(&only).unwrap();
    assert_eq!(
        results.total,
        rows.iter().filter(|r| r.delisted).count(),
        "only the delisted"
    );
    assert!(results.hits.iter().all(|h| h.delisted));
}

#[test]
fn prices_in_other_currencies_are_ranged_and_sorted_in_the_base_currency() {
    let index = ListingIndex::in_memory().unwrap();
    let mut writer = index.writer(20_000_000).unwrap();
    for (id, price, currency) in [(1, "5.00", "USD"), (2, "30.00", "CNY"), (3, "50.00", "CNY")] {
        let mut l = Listing::new(format!("https://x.example/{id}"), "插座");
        l.price = Some(Price::new(price, currency).unwrap());
        writer.upsert(&IndexDoc::new(id, &l)).unwrap();
    }
    writer.commit().unwrap();
    let base = index.rates().base();
    assert_eq!(base.as_str(), "CNY");
    let usd = index.rates().rate("USD".parse().unwrap()).unwrap();
    let five_dollars = (Decimal::from_str("5").unwrap() * usd).to_string();
    assert!(
        five_dollars.parse::<f64>().unwrap() > 30.0,
        "{five_dollars}"
    );
    let req = SearchRequest {
        min_price: Some(Decimal::from_str("31").unwrap()),
        max_price: Some(Decimal::from_str("45").unwrap()),
        ..SearchRequest::new("")
    };
    let results = index.search(&req).unwrap();
    assert_eq!(ids(&index, &req), [1], "$5 is in ¥31–45");
    // The original price is what is shown.
    assert_eq!(
        results.hits[0].price,
        Some(Price::new("5.00", "USD").unwrap())
    );
    let by_price = SearchRequest {
        sort: Sort::PriceAsc,
        ..SearchRequest::new("")
    };
    assert_eq!(ids(&index, &by_price), [2, 1, 3]);
}

#[test]
fn export_yields_every_hit_in_the_order_of_the_pages() {
    let rows = spread();
    let index = spread_index(&rows);
    let req = SearchRequest {
        sort: Sort::RiskDesc,
        delisted: Delisted::Include,
        ..SearchRequest::new("插座")
    };
    let export = index.export(&req).unwrap();
    assert_eq!(export.remaining(), rows.len());
    let exported: Vec<u64> = export.map(|hit| hit.unwrap().id).collect();
    let mut paged = Vec::new();
    for offset in (0..rows.len()).step_by(40) {
        paged.extend(ids(
            &index,
            &SearchRequest {
                offset,
                limit: 40,
                ..req.clone()
            },
        ));
    }
    assert_eq!(exported.len(), rows.len());
    let risks =
        |ids: &[u64]| -> Vec<f64> { ids.iter().map(|id| rows[*id as usize].risk).collect() };
    // Same order of risk (ties may fall either way between the two).
    assert_eq!(risks(&exported), risks(&paged));
    assert!(risks(&exported).windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn an_unknown_field_is_searched_as_words_and_said() {
    let index = index_of(ITEMS);
    let results = index.search(&SearchRequest::new("colour:五孔")).unwrap();
    assert_eq!(results.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [1]);
    assert!(
        results.warnings.iter().any(|w| w.contains("colour")),
        "{:?}",
        results.warnings
    );
    let long = "插座 ".repeat(2_000);
    let results = index.search(&SearchRequest::new(long)).unwrap();
    assert!(results.warnings.iter().any(|w| w.contains("2000 words")));
    assert_eq!(results.total, 2);
}
