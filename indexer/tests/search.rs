//! What investigators rely on when they search: Chinese and English words are found, filters
//! and sorting do what they say, counts are exact, re-indexing never duplicates, and nothing
//! a shop writes in a title can inject markup into the console.

use qsword_indexer::{IndexDoc, ListingIndex, SearchRequest, Sort};
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
        include_delisted: true,
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
            last_seen: None,
        })
        .unwrap();
    writer.commit().unwrap();
    assert_eq!(writer_side.doc_count(), 1);
    assert_eq!(reader_side.doc_count(), 0, "reader reloads only when asked");
    reader_side.reload().unwrap();
    assert_eq!(reader_side.doc_count(), 1);
}
