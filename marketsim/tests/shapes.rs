//! The real-world shapes over real HTTP: prices by XHR, a consent wall, a slider captcha after
//! quick requests, and product pages on a second host behind an apex → www redirect.

use qsword_marketsim::{
    serve, Market, MarketConfig, RunningMarket, ServeOptions, ServedShop, Shapes, Slider,
    TruthRecord,
};
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .user_agent("qsword-test/0.1 (+https://example.org/qsword)")
        .build()
        .unwrap()
}

async fn start(shapes: Shapes) -> RunningMarket {
    let market = Arc::new(Market::generate(&MarketConfig::default()));
    serve(
        market,
        ServeOptions {
            shapes,
            ..ServeOptions::default()
        },
    )
    .await
    .expect("market serves on loopback")
}

fn shop(running: &RunningMarket, name: &str) -> ServedShop {
    running
        .shops()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
}

fn live(running: &RunningMarket, name: &str) -> Vec<TruthRecord> {
    running
        .truth_with_urls()
        .into_iter()
        .filter(|r| r.shop == name && !r.delisted)
        .collect()
}

async fn get(c: &reqwest::Client, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = c.get(url).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in {text}"))
        + start.len();
    let len = text[from..].find(end).unwrap();
    &text[from..from + len]
}

#[tokio::test]
async fn xhr_prices_leave_the_page_without_a_price_and_the_api_gives_it_exactly() {
    let running = start(Shapes {
        xhr_prices: true,
        ..Shapes::default()
    })
    .await;
    let c = client();
    let base = running.base_url("pinduo-sim").unwrap().to_string();
    let (_, _, robots) = get(&c, &format!("{base}/robots.txt")).await;
    assert!(
        !robots.contains("/api"),
        "the browser's XHR must be allowed"
    );
    let records = live(&running, "pinduo-sim");
    assert!(records.len() > 20);
    for r in &records {
        let id = &r.item_id;
        let url = r.url.as_deref().unwrap();
        assert_eq!(url, format!("{base}{}", r.path));
        let (status, _, page) = get(&c, url).await;
        assert_eq!(status, 200);
        let price = r.price.amount.to_string();
        assert!(!page.contains(&price), "{url} shows its price {price}");
        if let Some(lp) = &r.list_price {
            assert!(
                !page.contains(&lp.amount.to_string()),
                "{url} shows its list price"
            );
        }
        assert!(!page.contains("minGroupPrice") && !page.contains("marketPrice"));
        assert!(page.contains(&format!("fetch('/api/item/{id}/price')")));
        assert!(page.contains("<span class=\"price\" id=\"goods-price\"></span>"));
        // Everything else is where the style had it.
        let state: serde_json::Value =
            serde_json::from_str(between(&page, "window.__INITIAL_STATE__ = ", ";</script>"))
                .unwrap();
        assert_eq!(state["goods"]["goodsName"], r.title.as_str());
        assert_eq!(state["goods"]["brandName"], r.brand.as_str());
        assert_eq!(state["goods"]["mall"]["mallName"], r.seller.name.as_str());

        let api = c
            .get(format!("{base}/api/item/{id}/price"))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        assert_eq!(api.headers()[CACHE_CONTROL], "no-store");
        let json: serde_json::Value = serde_json::from_slice(&api.bytes().await.unwrap()).unwrap();
        let list = r.list_price.as_ref().map(|l| l.amount.to_string());
        assert_eq!(
            json,
            serde_json::json!({"price": price, "list_price": list, "currency": "CNY"})
        );
    }
    let gone = running
        .truth_with_urls()
        .into_iter()
        .find(|r| r.shop == "pinduo-sim" && r.delisted);
    if let Some(g) = gone {
        let (status, _, _) = get(&c, &format!("{base}/api/item/{}/price", g.item_id)).await;
        assert_eq!(Some(status), g.gone_status);
    }
    let (status, _, _) = get(&c, &format!("{base}/api/item/1/price")).await;
    assert_eq!(status, 404);
    running.shutdown().await;
}

#[tokio::test]
async fn the_consent_wall_gives_way_to_its_cookie() {
    let running = start(Shapes {
        consent: true,
        ..Shapes::default()
    })
    .await;
    let c = client();
    let base = running.base_url("suning-sim").unwrap().to_string();
    let r = &live(&running, "suning-sim")[0];
    let path = format!("{}?from=list&x=1", r.path);
    let (status, _, wall) = get(&c, &format!("{base}{path}")).await;
    assert_eq!(status, 200);
    assert!(wall.contains("请先同意隐私政策"));
    assert!(!wall.contains(&html_escape::encode_text(&r.title).into_owned()));
    assert!(!wall.contains(&r.price.amount.to_string()));
    let refresh = between(
        &wall,
        "<meta http-equiv=\"refresh\" content=\"0; url=",
        "\"",
    );
    assert!(wall.contains(&format!("href=\"{refresh}\"")));
    assert!(refresh.starts_with("/consent?next=%2Fitem%2F"));

    let consent = c.get(format!("{base}{refresh}")).send().await.unwrap();
    assert_eq!(consent.status(), 302);
    assert_eq!(consent.headers()[LOCATION], path.as_str());
    let cookie = consent.headers()[SET_COOKIE].to_str().unwrap();
    assert_eq!(cookie, "consent=yes; Path=/; Max-Age=31536000");
    let page = c
        .get(format!("{base}{path}"))
        .header(COOKIE, "lang=zh; consent=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let market = running.market();
    let expected = market.page(3, &base, &r.path, Some("from=list&x=1")).body;
    assert_eq!(page.bytes().await.unwrap(), expected);

    // What a crawler reads first is served without the cookie.
    for p in ["/robots.txt", "/sitemap.xml", "/sitemap.txt"] {
        let (status, _, text) = get(&c, &format!("{base}{p}")).await;
        assert_eq!(status, 200);
        assert!(!text.contains("请先同意"), "{p} is walled");
    }
    // Only this site's paths are redirected to.
    for next in [
        "%2F%2Fevil.example%2Fx",
        "http%3A%2F%2Fevil.example%2F",
        "x",
    ] {
        let r = c
            .get(format!("{base}/consent?next={next}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()[LOCATION], "/", "next={next}");
    }
    let log = running.requests();
    assert!(log
        .iter()
        .any(|l| l.path.starts_with("/consent?") && l.status == 302));
    running.shutdown().await;
}

#[tokio::test]
async fn quick_requests_trip_the_slider_and_a_slow_one_recovers() {
    // The defaults: the shops' 50 ms Crawl-delay is quick, 100 ms is not.
    let d = Slider::default();
    assert!(d.quick_ms > 50 && d.quick_ms < 100 && d.after == 25);
    // A wide window, so back-to-back requests are quick even on a loaded machine.
    let slider = Slider {
        quick_ms: 300,
        after: 10,
    };
    let running = start(Shapes {
        slider: Some(slider),
        ..Shapes::default()
    })
    .await;
    let c = client();
    let records = live(&running, "tianmao-sim");
    let url = |i: usize| records[i % records.len()].url.clone().unwrap();
    let base = running.base_url("tianmao-sim").unwrap().to_string();
    // Back to back: the first request is not quick, the next `after` are served, then the slider.
    let n = slider.after as usize + 1;
    for i in 0..n {
        let (status, _, page) = get(&c, &url(i)).await;
        assert_eq!(status, 200);
        assert!(!page.contains("nc_wrapper"), "request {i} got the slider");
    }
    for i in n..n + 3 {
        let (status, _, page) = get(&c, &url(i)).await;
        assert_eq!(status, 200);
        assert!(page.contains("请拖动下方滑块完成验证") && page.contains("nc_wrapper"));
        assert!(!page.contains(&records[i % records.len()].title));
    }
    // robots.txt is neither counted nor blocked.
    let (_, _, robots) = get(&c, &format!("{base}/robots.txt")).await;
    assert!(robots.contains("Crawl-delay"));
    // Slowing down to the window recovers at once and never trips again (arrivals are at
    // least the sleep apart, however slow the machine).
    for i in 0..4 {
        tokio::time::sleep(Duration::from_millis(slider.quick_ms)).await;
        let (status, _, page) = get(&c, &url(i)).await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("nc_wrapper"),
            "slow request {i} got the slider"
        );
    }
    // Other shops never see it.
    let other = running.base_url("jingdong-sim").unwrap().to_string();
    for _ in 0..n + 3 {
        let (_, _, page) = get(&c, &format!("{other}/")).await;
        assert!(!page.contains("nc_wrapper"));
    }
    let log = running.requests();
    let blocked: Vec<_> = log.iter().filter(|l| l.blocked).collect();
    assert_eq!(blocked.len(), 3);
    assert!(blocked
        .iter()
        .all(|l| l.status == 200 && l.shop == "tianmao-sim"));
    running.shutdown().await;
}

#[tokio::test]
async fn the_apex_redirects_to_www_and_products_live_on_the_item_host() {
    let running = start(Shapes {
        hosts: true,
        ..Shapes::default()
    })
    .await;
    let jd = shop(&running, "jingdong-sim");
    let port = jd.base_url.rsplit(':').next().unwrap().to_string();
    assert_eq!(jd.start_url, format!("http://jingdong-sim.test:{port}/"));
    assert_eq!(jd.hosts, ["jingdong-sim.test", "*.jingdong-sim.test"]);
    let names: Vec<&str> = jd.resolve.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "jingdong-sim.test",
            "www.jingdong-sim.test",
            "item.jingdong-sim.test"
        ]
    );
    let tm = shop(&running, "tianmao-sim");
    assert_eq!(tm.start_url, format!("{}/", tm.base_url));
    assert_eq!(tm.hosts, ["127.0.0.2"]);
    assert!(tm.resolve.is_empty());

    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none());
    for (name, ip) in &jd.resolve {
        builder = builder.resolve(name, SocketAddr::new(*ip, 0));
    }
    let c = builder.build().unwrap();
    let www = format!("http://www.jingdong-sim.test:{port}");
    let item = format!("http://item.jingdong-sim.test:{port}");

    let (status, headers, _) = get(&c, &jd.start_url).await;
    assert_eq!(status, 301);
    assert_eq!(headers[LOCATION], format!("{www}/").as_str());
    let (status, headers, _) = get(&c, &format!("http://jingdong-sim.test:{port}/x?y=1")).await;
    assert_eq!(status, 301);
    assert_eq!(headers[LOCATION], format!("{www}/x?y=1").as_str());

    let (status, _, home) = get(&c, &format!("{www}/")).await;
    assert_eq!(status, 200);
    assert!(home.contains(&format!("href=\"{item}/item/")));
    assert!(!home.contains("href=\"/item/"));

    // Every product link of the category pages and the sitemaps is on the item host, and
    // together they are exactly the truth's URLs.
    let truth: BTreeSet<String> = live(&running, "jingdong-sim")
        .into_iter()
        .map(|r| r.url.unwrap())
        .collect();
    assert!(truth
        .iter()
        .all(|u| u.starts_with(&format!("{item}/item/"))));
    let mut linked = BTreeSet::new();
    for cat in qsword_marketsim::catalogue::CATEGORIES {
        let mut page = 1;
        loop {
            let (status, _, text) =
                get(&c, &format!("{www}/category/{}?page={page}", cat.slug)).await;
            if status != 200 {
                break;
            }
            assert!(!text.contains("href=\"/item/"));
            for part in text.split("class=\"goods-link\" href=\"").skip(1) {
                linked.insert(part[..part.find('"').unwrap()].to_string());
            }
            page += 1;
        }
    }
    assert_eq!(linked, truth);
    let (_, _, robots) = get(&c, &format!("{www}/robots.txt")).await;
    assert!(robots.contains(&format!("Sitemap: {www}/sitemap.xml")));
    let (_, _, txt) = get(&c, &format!("{www}/sitemap.txt")).await;
    assert!(txt.lines().all(|u| truth.contains(u)));
    let (_, _, index) = get(&c, &format!("{www}/sitemap.xml")).await;
    assert!(index.contains(&format!("<loc>{www}/sitemap-items-1.xml</loc>")));

    // The item host serves product pages (with absolute related links) and its robots.txt;
    // the rest goes to www, and www sends product paths to the item host.
    let r = live(&running, "jingdong-sim").remove(0);
    let url = r.url.clone().unwrap();
    let (status, _, page) = get(&c, &url).await;
    assert_eq!(status, 200);
    assert!(page.contains(&html_escape::encode_text(&r.title).into_owned()));
    assert!(page.contains(&format!("<a href=\"{item}/item/")));
    // Its seller link is absolute on www, where the truth has it.
    let seller = r.seller.url.clone().unwrap();
    assert!(page.contains(&format!("itemprop=\"url\" href=\"{seller}\"")));
    let (status, _, robots) = get(&c, &format!("{item}/robots.txt")).await;
    assert_eq!(status, 200);
    assert!(robots.contains("Disallow: /cart"));
    let (status, headers, _) = get(&c, &format!("{item}/category/toys")).await;
    assert_eq!(status, 301);
    assert_eq!(headers[LOCATION], format!("{www}/category/toys").as_str());
    let (status, headers, _) = get(&c, &format!("{www}{}", r.path)).await;
    assert_eq!(status, 301);
    assert_eq!(headers[LOCATION], url.as_str());
    assert_eq!(
        r.seller.url.as_deref(),
        Some(format!("{www}/seller/{}", r.seller.id.as_deref().unwrap_or("")).as_str())
    );

    // By IP (an unknown Host) the shop is served as without the shape.
    let (_, _, by_ip) = get(&c, &format!("{}{}", jd.base_url, r.path)).await;
    let expected = running.market().page(1, &jd.base_url, &r.path, None).body;
    assert_eq!(by_ip.as_bytes(), expected);
    running.shutdown().await;
}

#[tokio::test]
async fn with_shapes_off_or_for_other_shops_every_page_is_the_plain_one() {
    for shapes in [Shapes::default(), Shapes::all()] {
        let running = start(shapes).await;
        let c = client();
        let market = running.market().clone();
        for (k, s) in running.shops().iter().enumerate() {
            let shaped = shapes != Shapes::default() && k < 4;
            if shaped {
                continue;
            }
            assert_eq!(s.start_url, format!("{}/", s.base_url));
            let r = live(&running, &s.name).remove(0);
            for path in ["/", "/category/toys", r.path.as_str(), "/robots.txt"] {
                let got = c
                    .get(format!("{}{path}", s.base_url))
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                assert_eq!(got, market.page(k, &s.base_url, path, None).body);
            }
        }
        assert!(running.requests().iter().all(|l| !l.blocked));
        running.shutdown().await;
    }
}

#[tokio::test]
async fn the_default_slider_trips_at_the_crawl_delay_and_never_at_100_ms() {
    let running = start(Shapes {
        slider: Some(Slider::default()),
        ..Shapes::default()
    })
    .await;
    let delay = running.market().config().crawl_delay;
    let records = live(&running, "tianmao-sim");
    let url = |i: usize| records[i % records.len()].url.clone().unwrap();
    // Requests started on a Crawl-delay schedule (not waiting for answers), as a polite
    // crawler with one connection per host would: arrivals are ~50 ms apart.
    let c = client();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(delay));
    let mut tasks = Vec::new();
    for i in 0..30 {
        tick.tick().await;
        let (c, u) = (c.clone(), url(i));
        tasks.push(tokio::spawn(async move { get(&c, &u).await }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let tripped = running.requests().iter().filter(|l| l.blocked).count();
    assert!(
        tripped >= 1,
        "30 requests {delay} s apart never tripped the slider"
    );
    // 100 ms apart: the first request recovers, none trips again.
    let before = running.requests().len();
    for i in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, _, page) = get(&c, &url(i)).await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("nc_wrapper"),
            "request {i} at 100 ms got the slider"
        );
    }
    assert!(running.requests()[before..].iter().all(|l| !l.blocked));
    running.shutdown().await;
}

#[tokio::test]
async fn with_https_the_names_redirect_to_tls_under_a_certificate_the_shop_names() {
    let refused = serve(
        Arc::new(Market::generate(&MarketConfig::default())),
        ServeOptions {
            shapes: Shapes {
                https: true,
                ..Shapes::default()
            },
            ..ServeOptions::default()
        },
    )
    .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("ServeOptions.shapes.https")));

    let running = start(Shapes {
        hosts: true,
        https: true,
        ..Shapes::default()
    })
    .await;
    let jd = shop(&running, "jingdong-sim");
    let port = jd.base_url.rsplit(':').next().unwrap().to_string();
    let ca = jd
        .ca_pem
        .clone()
        .expect("the https shape names its certificate");
    let pem = std::fs::read(&ca).unwrap();
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
    for (name, ip) in &jd.resolve {
        builder = builder.resolve(name, SocketAddr::new(*ip, 0));
    }
    let c = builder.build().unwrap();

    // http://apex → https://apex → https://www.
    let (status, headers, _) = get(&c, &jd.start_url).await;
    assert_eq!(status, 301);
    let tls_apex = headers[LOCATION].to_str().unwrap().to_string();
    assert!(tls_apex.starts_with("https://jingdong-sim.test:") && tls_apex.ends_with('/'));
    let tls_port = tls_apex.trim_end_matches('/').rsplit(':').next().unwrap();
    assert_ne!(tls_port, port);
    let (status, headers, _) = get(&c, &tls_apex).await;
    assert_eq!(status, 301);
    let www = format!("https://www.jingdong-sim.test:{tls_port}");
    let item = format!("https://item.jingdong-sim.test:{tls_port}");
    assert_eq!(headers[LOCATION], format!("{www}/").as_str());
    let (status, _, home) = get(&c, &format!("{www}/")).await;
    assert_eq!(status, 200);
    assert!(home.contains(&format!("href=\"{item}/item/")));
    // Any name over http goes to the same URL over https.
    let (status, headers, _) = get(
        &c,
        &format!("http://www.jingdong-sim.test:{port}/category/toys?page=2"),
    )
    .await;
    assert_eq!(status, 301);
    assert_eq!(
        headers[LOCATION],
        format!("{www}/category/toys?page=2").as_str()
    );

    let r = live(&running, "jingdong-sim").remove(0);
    let url = r.url.clone().unwrap();
    assert!(url.starts_with(&format!("{item}/item/")));
    let (status, _, page) = get(&c, &url).await;
    assert_eq!(status, 200);
    assert!(page.contains(&html_escape::encode_text(&r.title).into_owned()));
    assert!(running
        .requests()
        .iter()
        .any(|l| l.path == r.path && l.status == 200 && l.host.ends_with(tls_port)));
    // A client that does not trust the certificate is refused.
    let strict = reqwest::Client::builder()
        .no_proxy()
        .resolve(
            "item.jingdong-sim.test",
            SocketAddr::new(jd.resolve[0].1, 0),
        )
        .build()
        .unwrap();
    assert!(strict.get(&url).send().await.is_err());
    // By IP over http the shop is still the plain one.
    let (status, _, _) = get(&c, &format!("{}{}", jd.base_url, r.path)).await;
    assert_eq!(status, 200);
    running.shutdown().await;
    assert!(
        !std::path::Path::new(&ca).exists(),
        "the certificate is removed"
    );
}
