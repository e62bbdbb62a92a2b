//! The market over real HTTP on loopback: what a crawler sees.

use qsword_marketsim::{
    serve, Charset, Error, Market, MarketConfig, PageStyle, RunningMarket, ServeOptions, Throttle,
    TruthRecord,
};
use reqwest::header::{
    CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use std::collections::BTreeSet;
use std::sync::Arc;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .user_agent("qsword-test/0.1 (+https://example.org/qsword)")
        .build()
        .unwrap()
}

async fn start(cfg: MarketConfig) -> RunningMarket {
    serve(Arc::new(Market::generate(&cfg)), ServeOptions::default())
        .await
        .expect("market serves on loopback")
}

async fn get_text(c: &reqwest::Client, url: &str, charset: Charset) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, decode(&r.bytes().await.unwrap(), charset))
}

fn decode(bytes: &[u8], charset: Charset) -> String {
    match charset {
        Charset::Utf8 => String::from_utf8(bytes.to_vec()).expect("UTF-8 shop sends UTF-8"),
        Charset::Gbk => encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(bytes)
            .unwrap()
            .into_owned(),
    }
}

/// Text content of markup: entities (`&amp;`, and `&#178;` for characters GBK lacks) decoded.
fn unesc(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in page"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} not after {start:?}"));
    &text[from..from + len]
}

/// Checks the page shows exactly the truth's title, brand and price, in the shop's own markup.
fn check_page(style: PageStyle, charset: Charset, text: &str, r: &TruthRecord) {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let price = r.price.amount.to_string();
    let yuan = if charset == Charset::Gbk { "￥" } else { "¥" };
    match style {
        PageStyle::JsonLd => {
            let ld: serde_json::Value = serde_json::from_str(between(
                text,
                "<script type=\"application/ld+json\">",
                "</script>",
            ))
            .unwrap();
            assert_eq!(ld["@type"], "Product");
            assert_eq!(ld["name"], r.title.as_str());
            assert_eq!(ld["brand"]["name"], r.brand.as_str());
            assert_eq!(ld["offers"]["price"], price.as_str());
            assert_eq!(ld["offers"]["priceCurrency"], "CNY");
            assert_eq!(ld["offers"]["seller"]["name"], r.seller.name.as_str());
            assert!(text.contains(&format!("<span class=\"tm-price\">{yuan}{price}</span>")));
        }
        PageStyle::Microdata => {
            assert!(
                text.contains(&format!("itemprop=\"name\">{}</h1>", esc(&r.title))),
                "{}",
                r.title
            );
            assert!(text.contains(&format!(
                "<span itemprop=\"brand\">{}</span>",
                esc(&r.brand)
            )));
            assert!(text.contains(&format!(
                "<span itemprop=\"price\" content=\"{price}\">{price}</span>"
            )));
        }
        PageStyle::EmbeddedState => {
            let state: serde_json::Value =
                serde_json::from_str(between(text, "window.__INITIAL_STATE__ = ", ";</script>"))
                    .unwrap();
            let goods = &state["goods"];
            assert_eq!(goods["goodsName"], r.title.as_str());
            assert_eq!(goods["brandName"], r.brand.as_str());
            assert_eq!(goods["minGroupPrice"], price.as_str());
            assert_eq!(goods["mall"]["mallName"], r.seller.name.as_str());
            match &r.list_price {
                Some(l) => assert_eq!(goods["marketPrice"], l.amount.to_string().as_str()),
                None => assert!(goods.get("marketPrice").is_none()),
            }
        }
        PageStyle::PlainHtml => {
            assert_eq!(
                unesc(between(text, "<h1 class=\"goods-title\">", "</h1>")),
                r.title
            );
            assert_eq!(
                unesc(between(text, "<span class=\"goods-brand\">", "</span>")),
                r.brand
            );
            assert_eq!(
                unesc(between(text, "<span class=\"goods-model\">", "</span>")),
                r.model
            );
            assert_eq!(
                between(text, "<em class=\"goods-price\">", "</em>"),
                format!("{yuan}{price}")
            );
            match &r.list_price {
                Some(l) => assert_eq!(
                    between(text, "<del class=\"goods-orig\">", "</del>"),
                    format!("{yuan}{}", l.amount)
                ),
                None => assert!(!text.contains("goods-orig")),
            }
            assert_eq!(
                between(text, "<a class=\"goods-seller\" href=\"", "\""),
                format!("/seller/{}", r.seller.id.as_ref().unwrap())
            );
            let crumbs = between(text, "<div class=\"crumbs\">", "</div>");
            for c in &r.category_path {
                assert!(crumbs.contains(&format!(">{c}</a>")), "{crumbs}");
            }
        }
    }
    // Every mark the truth lists is printed on the page.
    for m in &r.marks {
        let n = m.number.as_deref().unwrap();
        assert!(
            text.contains(&esc(n)) || text.contains(n),
            "mark {n} missing on {}",
            r.path
        );
    }
}

#[tokio::test]
async fn every_product_page_shows_its_truth_in_each_style() {
    let running = start(MarketConfig::default()).await;
    let c = client();
    let truth = running.truth_with_urls();
    let mut escaped_titles = 0;
    for shop in running.shops() {
        let records: Vec<_> = truth.iter().filter(|r| r.shop == shop.name).collect();
        assert!(
            records.len() > 50,
            "{} has only {} offers",
            shop.name,
            records.len()
        );
        for r in records {
            let url = r.url.as_deref().unwrap();
            assert!(url.starts_with(&shop.base_url));
            let (status, text) = get_text(&c, url, shop.charset).await;
            assert_eq!(status, 200, "{url}");
            check_page(shop.style, shop.charset, &text, r);
            if r.title.contains('<') || r.title.contains('&') {
                escaped_titles += 1;
                // The raw title never appears in markup: `<`/`&` are escaped (or JSON-encoded in scripts).
                assert!(text.contains("&lt;") || text.contains("&amp;"), "{url}");
                if r.title.contains('<') {
                    assert!(!text.contains("<40dB"), "{url} leaks an unescaped '<'");
                }
            }
        }
    }
    assert!(
        escaped_titles > 0,
        "the default market should have titles with & or <"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn the_gbk_shop_sends_gbk_with_the_charset_only_in_a_meta_tag() {
    let running = start(MarketConfig::default()).await;
    let shop = running
        .shops()
        .into_iter()
        .find(|s| s.charset == Charset::Gbk)
        .unwrap();
    let r = running
        .truth_with_urls()
        .into_iter()
        .find(|r| r.shop == shop.name)
        .unwrap();
    let resp = client()
        .get(r.url.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/html");
    let bytes = resp.bytes().await.unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "GBK Chinese text is not valid UTF-8"
    );
    let text = encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(&bytes)
        .expect("decodes as GBK");
    assert!(text.contains("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">"));
    assert_eq!(
        unesc(between(&text, "<h1 class=\"goods-title\">", "</h1>")),
        r.title
    );
    assert!(text.contains("店铺"));
    running.shutdown().await;
}

#[tokio::test]
async fn robots_txt_disallows_cart_account_search_and_announces_delay_and_sitemap() {
    let running = start(MarketConfig {
        crawl_delay: 0.25,
        ..MarketConfig::default()
    })
    .await;
    let c = client();
    for shop in running.shops() {
        let (status, robots) =
            get_text(&c, &format!("{}/robots.txt", shop.base_url), Charset::Utf8).await;
        assert_eq!(status, 200);
        for line in [
            "User-agent: *",
            "Disallow: /cart",
            "Disallow: /account",
            "Disallow: /search",
            "Crawl-delay: 0.25",
        ] {
            assert!(
                robots.lines().any(|l| l == line),
                "{line:?} missing from {robots}"
            );
        }
        assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml\n", shop.base_url)));
        assert!(robots.contains(&format!("Sitemap: {}/sitemap.txt\n", shop.base_url)));
    }
    running.shutdown().await;
}

#[tokio::test]
async fn sitemaps_and_category_pages_reach_every_live_product() {
    let running = start(MarketConfig {
        day: 1,
        ..MarketConfig::default()
    })
    .await;
    let c = client();
    let truth = running.truth_with_urls();
    let shop = &running.shops()[3];
    let live: BTreeSet<String> = truth
        .iter()
        .filter(|r| r.shop == shop.name && !r.delisted)
        .map(|r| r.url.clone().unwrap())
        .collect();

    // The index's plain and gzipped item sitemaps and robots.txt's text sitemap share the
    // live products between them.
    let (_, index) = get_text(&c, &format!("{}/sitemap.xml", shop.base_url), Charset::Utf8).await;
    assert!(index.contains("<sitemapindex"));
    let children: Vec<&str> = index
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    let (categories, items) = children.split_last().unwrap();
    assert!(categories.ends_with("/sitemap-categories.xml"));
    assert!(items.len() >= 2);
    let mut listed = Vec::new();
    for url in items {
        let resp = c.get(*url).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        let content_type = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
        let body = resp.bytes().await.unwrap();
        let xml = if url.ends_with(".xml.gz") {
            assert_eq!(content_type, "application/gzip");
            let mut xml = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut xml)
                .unwrap();
            xml
        } else {
            assert_eq!(content_type, "application/xml");
            String::from_utf8(body.to_vec()).unwrap()
        };
        listed.extend(
            xml.split("<loc>")
                .skip(1)
                .map(|s| s.split("</loc>").next().unwrap().to_string()),
        );
    }
    assert!(
        items.iter().any(|u| u.ends_with(".xml.gz")),
        "one item sitemap is gzipped"
    );
    let (_, text) = get_text(&c, &format!("{}/sitemap.txt", shop.base_url), Charset::Utf8).await;
    listed.extend(text.lines().map(str::to_string));
    let in_sitemap: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(in_sitemap.len(), listed.len(), "no product is listed twice");
    assert_eq!(
        in_sitemap, live,
        "the item sitemaps list exactly the live products"
    );

    // Following 下一页 through every category reaches every live product too.
    let (_, cats) = get_text(&c, categories, Charset::Utf8).await;
    let mut found = BTreeSet::new();
    for cat in cats
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
    {
        let mut next = Some(cat.to_string());
        let mut pages = 0;
        while let Some(url) = next.take() {
            let (status, page) = get_text(&c, &url, Charset::Utf8).await;
            assert_eq!(status, 200, "{url}");
            pages += 1;
            for part in page.split("<a class=\"goods-link\" href=\"").skip(1) {
                found.insert(format!(
                    "{}{}",
                    shop.base_url,
                    part.split('"').next().unwrap()
                ));
            }
            if let Some(href) = page.split("<a class=\"next\" href=\"").nth(1) {
                assert!(page.contains("下一页"));
                next = Some(format!(
                    "{}{}",
                    shop.base_url,
                    href.split('"').next().unwrap().replace("&amp;", "&")
                ));
            }
        }
        assert!(pages >= 1);
    }
    assert_eq!(found, live);
    running.shutdown().await;
}

#[tokio::test]
async fn product_pages_answer_304_to_matching_validators_and_etags_survive_a_new_port() {
    let running = start(MarketConfig::default()).await;
    let c = client();
    let r = running
        .truth_with_urls()
        .into_iter()
        .find(|r| r.shop == "jingdong-sim")
        .unwrap();
    let url = r.url.clone().unwrap();
    let first = c.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()[ETAG].to_str().unwrap().to_string();
    let last_modified = first.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    assert!(last_modified.ends_with(" GMT"));

    let by_etag = c
        .get(&url)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(by_etag.status(), 304);
    assert_eq!(by_etag.headers()[ETAG].to_str().unwrap(), etag);
    assert!(by_etag.bytes().await.unwrap().is_empty());
    let by_date = c
        .get(&url)
        .header(IF_MODIFIED_SINCE, &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), 304);
    let stale = c
        .get(&url)
        .header(IF_NONE_MATCH, "\"0000\"")
        .header(IF_MODIFIED_SINCE, &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        200,
        "a non-matching ETag wins over a matching date"
    );
    let older = c
        .get(&url)
        .header(IF_MODIFIED_SINCE, "Sat, 01 Jan 2022 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(older.status(), 200);

    // Tomorrow's run listens on another port: unchanged pages keep their ETag.
    let again = start(MarketConfig::default()).await;
    let url2 = again
        .truth_with_urls()
        .into_iter()
        .find(|x| x.path == r.path && x.shop == r.shop)
        .unwrap()
        .url
        .unwrap();
    assert_ne!(url, url2);
    let resp = c
        .get(&url2)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    again.shutdown().await;
    running.shutdown().await;
}

#[tokio::test]
async fn day_one_delists_with_404_and_410_and_changes_what_changed() {
    let day0 = Market::generate(&MarketConfig::default()).truth();
    let running = start(MarketConfig {
        day: 1,
        ..MarketConfig::default()
    })
    .await;
    let c = client();
    let truth = running.truth_with_urls();
    let gone: Vec<_> = truth.iter().filter(|r| r.delisted).collect();
    assert!(
        gone.iter().any(|r| r.gone_status == Some(404))
            && gone.iter().any(|r| r.gone_status == Some(410))
    );
    for r in &gone {
        let status = c
            .get(r.url.as_deref().unwrap())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(Some(status), r.gone_status, "{}", r.path);
        assert!(
            day0.iter()
                .any(|d| d.shop == r.shop && d.path == r.path && !d.delisted),
            "delisted pages existed on day 0"
        );
    }
    let repriced = truth
        .iter()
        .find(|r| {
            !r.delisted
                && day0
                    .iter()
                    .any(|d| d.shop == r.shop && d.path == r.path && d.price != r.price)
        })
        .expect("some price changed");
    let shop = running
        .shops()
        .into_iter()
        .find(|s| s.name == repriced.shop)
        .unwrap();
    let (_, text) = get_text(&c, repriced.url.as_deref().unwrap(), shop.charset).await;
    check_page(shop.style, shop.charset, &text, repriced);
    let unknown = format!("{}/item/1.html", shop.base_url);
    assert_eq!(c.get(&unknown).send().await.unwrap().status(), 404);
    running.shutdown().await;
}

#[tokio::test]
async fn the_request_log_records_every_request_in_memory_and_as_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("requests.jsonl");
    let market = Arc::new(Market::generate(&MarketConfig::default()));
    let running = serve(
        market,
        ServeOptions {
            request_log: Some(log_path.clone()),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let c = client();
    let base = running.shops()[0].base_url.clone();
    for path in [
        "/robots.txt",
        "/",
        "/category/steel?page=1",
        "/search?q=%E5%85%AC%E7%89%9B",
        "/cart/add?id=1",
    ] {
        c.get(format!("{base}{path}")).send().await.unwrap();
    }
    let log = running.requests();
    let paths: Vec<&str> = log.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/robots.txt",
            "/",
            "/category/steel?page=1",
            "/search?q=%E5%85%AC%E7%89%9B",
            "/cart/add?id=1"
        ]
    );
    assert!(log
        .iter()
        .all(|l| l.shop == "tianmao-sim" && base.ends_with(&l.host) && l.method == "GET"));
    assert!(log.iter().all(|l| l
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.starts_with("qsword-test"))));
    assert!(log.windows(2).all(|w| w[0].at_us <= w[1].at_us));
    assert!(log.iter().all(|l| l.status == 200));
    running.shutdown().await;
    let lines: Vec<qsword_marketsim::LoggedRequest> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, log);
}

#[tokio::test]
async fn the_three_extra_shops_serve_their_truth_in_their_styles() {
    let running = start(MarketConfig {
        shops: 8,
        ..MarketConfig::default()
    })
    .await;
    let c = client();
    let truth = running.truth_with_urls();
    let shops = running.shops();
    assert_eq!(shops.len(), 8);
    for shop in &shops[5..] {
        assert!(shop.base_url.starts_with(&format!(
            "http://127.0.0.{}:",
            7 + shops[5..].iter().position(|s| s.name == shop.name).unwrap()
        )));
        let records: Vec<_> = truth.iter().filter(|r| r.shop == shop.name).collect();
        assert!(
            records.len() > 50,
            "{} has {} offers",
            shop.name,
            records.len()
        );
        for r in records.iter().step_by(7) {
            let (status, text) = get_text(&c, r.url.as_deref().unwrap(), shop.charset).await;
            assert_eq!(status, 200);
            check_page(shop.style, shop.charset, &text, r);
            assert!(text.contains(&format!(
                "<title>{} - {}</title>",
                html_escape::encode_text(&r.title),
                shop.name
            )));
        }
    }
    running.shutdown().await;
}

#[tokio::test]
async fn mirrors_serve_every_shop_on_more_hosts_with_links_to_themselves() {
    // Six shops: the GBK shop and an added one are mirrored too.
    let market = Arc::new(Market::generate(&MarketConfig {
        shops: 6,
        ..MarketConfig::default()
    }));
    let running = serve(
        market,
        ServeOptions {
            mirrors: 2,
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let c = client();
    let all = running.all_base_urls();
    assert_eq!(all.len(), 6 * 3);
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>().len(),
        all.len(),
        "hosts are distinct"
    );
    let truth = running.truth_with_urls();
    for (k, shop) in running.shops().iter().enumerate() {
        assert_eq!(shop.mirrors.len(), 2);
        for (j, mirror) in shop.mirrors.iter().enumerate() {
            assert!(
                mirror.starts_with(&format!("http://127.1.{k}.{}:", j + 1)),
                "{mirror}"
            );
        }
        // The same product page on the shop and on a mirror: same offer and ETag, links to
        // the host it was served from.
        let r = truth.iter().find(|r| r.shop == shop.name).unwrap();
        let own = c.get(r.url.as_deref().unwrap()).send().await.unwrap();
        let mirror = &shop.mirrors[1];
        let on_mirror = c.get(format!("{mirror}{}", r.path)).send().await.unwrap();
        assert_eq!(on_mirror.status(), 200);
        assert_eq!(own.headers()[ETAG], on_mirror.headers()[ETAG]);
        let own = decode(&own.bytes().await.unwrap(), shop.charset);
        let text = decode(&on_mirror.bytes().await.unwrap(), shop.charset);
        check_page(shop.style, shop.charset, &text, r);
        assert_eq!(text.replace(mirror.as_str(), &shop.base_url), own);
        let (_, robots) = get_text(&c, &format!("{mirror}/robots.txt"), Charset::Utf8).await;
        assert!(robots.contains(&format!("Sitemap: {mirror}/sitemap.xml")));
    }
    let log = running.requests();
    let mirror_hits: Vec<_> = log
        .iter()
        .filter(|l| running.shops()[0].mirrors[1].ends_with(&l.host))
        .collect();
    assert_eq!(
        mirror_hits.len(),
        2,
        "one page and robots.txt on mirror 2 of shop 0"
    );
    assert!(mirror_hits.iter().all(|l| l.shop == "tianmao-sim"));
    running.shutdown().await;
}

#[tokio::test]
async fn throttling_answers_every_nth_request_per_host_with_retry_after() {
    let market = Arc::new(Market::generate(&MarketConfig::default()));
    let running = serve(
        market,
        ServeOptions {
            mirrors: 1,
            throttle: Some(Throttle {
                every: 3,
                retry_after_secs: 7,
                ..Throttle::default()
            }),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let c = client();
    let shop = &running.shops()[1];
    let r = running
        .truth_with_urls()
        .into_iter()
        .find(|r| r.shop == shop.name)
        .unwrap();
    let mut statuses = Vec::new();
    for base in [&shop.base_url, &shop.mirrors[0]] {
        for i in 0..7 {
            // robots.txt is neither counted nor throttled.
            let robots = c.get(format!("{base}/robots.txt")).send().await.unwrap();
            assert_eq!(robots.status(), 200);
            let path = if i % 2 == 0 { r.path.as_str() } else { "/" };
            let resp = c.get(format!("{base}{path}")).send().await.unwrap();
            if resp.status() == 429 {
                assert_eq!(resp.headers()[RETRY_AFTER], "7");
            } else {
                assert!(resp.headers().get(RETRY_AFTER).is_none());
            }
            statuses.push(resp.status().as_u16());
        }
    }
    let expected = [200, 200, 429, 200, 200, 429, 200];
    assert_eq!(statuses[..7], expected, "own host");
    assert_eq!(statuses[7..], expected, "the mirror counts on its own");
    let logged: Vec<u16> = running
        .requests()
        .iter()
        .filter(|l| l.path != "/robots.txt")
        .map(|l| l.status)
        .collect();
    assert_eq!(logged, statuses, "the log records the throttled status");
    running.shutdown().await;

    let market = Arc::new(Market::generate(&MarketConfig::default()));
    let unavailable = serve(
        market,
        ServeOptions {
            throttle: Some(Throttle {
                every: 1,
                retry_after_secs: 30,
                status: 503,
            }),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let resp = c
        .get(format!("{}/", unavailable.shops()[0].base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()[RETRY_AFTER], "30");
    unavailable.shutdown().await;
}

#[tokio::test]
async fn bad_serve_options_are_refused_naming_the_field() {
    let market = Arc::new(Market::generate(&MarketConfig::default()));
    for (opts, field) in [
        (
            ServeOptions {
                mirrors: 255,
                ..ServeOptions::default()
            },
            "ServeOptions.mirrors",
        ),
        (
            ServeOptions {
                throttle: Some(Throttle {
                    status: 500,
                    ..Throttle::default()
                }),
                ..ServeOptions::default()
            },
            "Throttle.status",
        ),
        (
            ServeOptions {
                throttle: Some(Throttle {
                    every: 0,
                    ..Throttle::default()
                }),
                ..ServeOptions::default()
            },
            "Throttle.every",
        ),
    ] {
        match serve(market.clone(), opts).await {
            Err(e @ Error::Config { .. }) => assert!(e.to_string().contains(field), "{e}"),
            Err(e) => panic!("{field}: unexpected error {e}"),
            Ok(_) => panic!("{field}: accepted"),
        }
    }
}
