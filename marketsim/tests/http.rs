//! The market over real HTTP on loopback: what a crawler sees.

use qsword_marketsim::{
    serve, Charset, Market, MarketConfig, PageStyle, RunningMarket, ServeOptions, TruthRecord,
};
use reqwest::header::{CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
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
    let bytes = r.bytes().await.unwrap();
    let text = match charset {
        Charset::Utf8 => String::from_utf8(bytes.to_vec()).expect("UTF-8 shop sends UTF-8"),
        Charset::Gbk => encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .unwrap()
            .into_owned(),
    };
    (status, text)
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
        assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", shop.base_url)));
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

    let (_, index) = get_text(&c, &format!("{}/sitemap.xml", shop.base_url), Charset::Utf8).await;
    assert!(index.contains("<sitemapindex"));
    let children: Vec<&str> = index
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    assert_eq!(children.len(), 2);
    let (_, items) = get_text(&c, children[0], Charset::Utf8).await;
    let in_sitemap: BTreeSet<String> = items
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap().to_string())
        .collect();
    assert_eq!(
        in_sitemap, live,
        "the item sitemap lists exactly the live products"
    );

    // Following 下一页 through every category reaches every live product too.
    let (_, cats) = get_text(&c, children[1], Charset::Utf8).await;
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
            port: 0,
            request_log: Some(log_path.clone()),
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
