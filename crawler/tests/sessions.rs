//! Sessions like a browser's, against real HTTP servers on loopback: a consent wall reached
//! through `<meta refresh>` and a cookie, Accept-Language, names resolved by `[crawler]
//! resolve`, and a shop that answers a slider captcha to quick requests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use qsword_crawler::{crawl, CrawlerConfig, MemoryFrontier, Site};

const ITEMS: usize = 6;

fn product(n: usize) -> String {
    format!(
        r#"<html><head><title>公牛插座 GN-{n}</title><script type="application/ld+json">
{{"@context":"https://schema.org","@type":"Product","name":"公牛插座 GN-{n}","sku":"GN-{n}",
"offers":{{"@type":"Offer","price":"{n}9.00","priceCurrency":"CNY"}}}}</script></head>
<body><h1>公牛插座 GN-{n}</h1><p>¥{n}9.00</p></body></html>"#
    )
}

fn home() -> String {
    (1..=ITEMS)
        .map(|n| format!(r#"<a href="/item/{n}.html">{n}</a>"#))
        .collect()
}

/// A site whose product pages are `/item/N.html`.
fn item_site(name: &str, start: String) -> Site {
    Site {
        name: name.into(),
        platform: name.into(),
        start_urls: vec![start],
        product_url: Some(r"/item/\d+\.html$".into()),
        ..Site::default()
    }
}

/// `/item/N.html` for the shop's items, else 404.
fn item_page(path: &str) -> Response {
    match path
        .strip_prefix("/item/")
        .and_then(|r| r.strip_suffix(".html"))
        .and_then(|n| n.parse().ok())
    {
        Some(n) if n <= ITEMS => html(product(n)),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[derive(Default)]
struct Seen {
    languages: Vec<String>,
    walls: usize,
}

/// A shop that shows a consent page until the visitor has its cookie.
async fn consent_shop(seen: Arc<Mutex<Seen>>) -> u16 {
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let lang = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            seen.lock().unwrap().languages.push(lang);
            let consented = headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|c| c.split("; ").any(|p| p == "consent=yes"));
            match uri.path() {
                "/robots.txt" => "User-agent: *\nAllow: /\n".into_response(),
                "/consent" => {
                    let next = uri
                        .query()
                        .and_then(|q| q.strip_prefix("next="))
                        .unwrap_or("/")
                        .replace("%2F", "/");
                    (
                        StatusCode::FOUND,
                        [
                            (header::LOCATION, next),
                            (
                                header::SET_COOKIE,
                                "consent=yes; Path=/; Max-Age=3600".to_owned(),
                            ),
                        ],
                    )
                        .into_response()
                }
                p if !consented => {
                    seen.lock().unwrap().walls += 1;
                    html(format!(
                        r#"<html><head><meta http-equiv="refresh" content="0; url=/consent?next={}"></head>
                        <body><p>请先阅读并同意隐私政策</p></body></html>"#,
                        p.replace('/', "%2F")
                    ))
                }
                "/" => html(home()),
                p => item_page(p),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tokio::test]
async fn a_consent_wall_is_passed_like_a_browser_would_and_the_cookie_is_sent_back() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let port = consent_shop(seen.clone()).await;
    // The shop is named, not numbered: the name resolves through `[crawler] resolve` only.
    let site = item_site("consent", format!("http://consent-shop.test:{port}/"));
    let cfg = CrawlerConfig {
        allow_loopback: true,
        default_delay_ms: 0,
        resolve: BTreeMap::from([("consent-shop.test".into(), "127.0.0.1".parse().unwrap())]),
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = frontier
        .outcomes
        .iter()
        .filter_map(|o| o.listing.as_ref())
        .map(|(l, _)| {
            let price = l
                .price
                .as_ref()
                .map(|p| p.amount.to_string())
                .unwrap_or_default();
            (l.url.clone(), price)
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = (1..=ITEMS)
        .map(|n| {
            (
                format!("http://consent-shop.test:{port}/item/{n}.html"),
                format!("{n}9.00"),
            )
        })
        .collect();
    assert_eq!(got, want, "{report:?}");
    let seen = seen.lock().unwrap();
    // One wall (the first page), then the cookie opens every other page.
    assert_eq!(seen.walls, 1, "{report:?}");
    assert!(
        seen.languages.iter().all(|l| l.starts_with("zh-CN")),
        "{:?}",
        seen.languages
    );
    assert_eq!(report.blocked, 0);
}

/// A shop that answers a slider captcha (status 200) to a request less than 80 ms after the
/// previous one, from the third quick request in a row.
async fn slider_shop(log: Arc<Mutex<Vec<(Instant, bool)>>>) -> String {
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            if uri.path() == "/robots.txt" {
                return "User-agent: *\nAllow: /\n".into_response();
            }
            let now = Instant::now();
            let mut log = log.lock().unwrap();
            let quick_run = log
                .iter()
                .rev()
                .scan(now, |later, (t, _)| {
                    let quick = later.duration_since(*t) < Duration::from_millis(80);
                    *later = *t;
                    quick.then_some(())
                })
                .count();
            let slider = quick_run >= 2;
            log.push((now, slider));
            if slider {
                return html(
                    r#"<html><head><title>安全验证</title></head><body><div class="nc-container">
                    <p>请按住滑块，拖动到最右边</p><span class="slider-btn"></span></div></body></html>"#
                        .into(),
                );
            }
            match uri.path() {
                "/" => html(home()),
                p => item_page(p),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

#[tokio::test]
async fn a_slider_page_slows_the_host_is_tried_again_and_never_becomes_a_listing() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = slider_shop(log.clone()).await;
    let site = Site {
        delay_ms: Some(10),
        ..item_site("slider", start.clone())
    };
    let cfg = CrawlerConfig {
        allow_loopback: true,
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let listings: Vec<_> = frontier
        .outcomes
        .iter()
        .filter_map(|o| o.listing.as_ref())
        .collect();
    assert_eq!(
        listings.len(),
        ITEMS,
        "every product despite the wall: {report:?}"
    );
    assert!(listings.iter().all(|(l, _)| l.price.is_some()));
    assert!(report.blocked >= 1, "{report:?}");
    let host = &report.hosts[start.trim_start_matches("http://").trim_end_matches('/')];
    assert_eq!(host.blocked, report.blocked);
    assert!(
        host.last_block.as_deref().unwrap_or("").contains("slider"),
        "{host:?}"
    );
    assert!(host.effective_delay_ms >= 100, "slowed down: {host:?}");
    assert!(host.parked.is_none(), "{host:?}");
    // No visit committed for a wall: the frontier saw only real answers.
    assert!(frontier.outcomes.iter().all(|o| o.blocked.is_none()));
}

#[tokio::test]
async fn a_host_that_keeps_walling_is_parked_with_its_urls_kept() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = slider_shop(log.clone()).await;
    let site = Site {
        delay_ms: Some(0),
        // Every page of this site is a wall by the site's own rule.
        block_text: vec!["公牛|请按住".into()],
        ..item_site("slider", start.clone())
    };
    let cfg = CrawlerConfig {
        allow_loopback: true,
        park_after_blocks: 3,
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let host = &report.hosts[start.trim_start_matches("http://").trim_end_matches('/')];
    assert_eq!(host.blocked, 3, "{host:?}");
    let why = host.parked.as_deref().unwrap_or("");
    assert!(why.contains("3 block pages"), "{why}");
    assert!(frontier.outcomes.iter().all(|o| o.listing.is_none()));
    assert!(frontier.queued() >= 1, "the URLs wait for the next run");
}

/// A site with `proxy` sends its requests through the proxy: the "proxy" here is a loopback
/// server that answers every absolute-form request itself and records the URLs asked for.
#[tokio::test]
async fn a_sites_requests_go_through_its_proxy() {
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = asked.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.to_string());
            match uri.path() {
                "/robots.txt" => "User-agent: *\nAllow: /\n".into_response(),
                "/" => html(home()),
                _ => html(product(1)),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // Nothing listens on this port: only the proxy can answer.
    let site = Site {
        proxy: Some(proxy),
        ..item_site("proxied", "http://far-shop.test:9/".to_string())
    };
    let cfg = CrawlerConfig {
        allow_loopback: true,
        default_delay_ms: 0,
        resolve: BTreeMap::from([("far-shop.test".into(), "127.0.0.1".parse().unwrap())]),
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let listings = frontier
        .outcomes
        .iter()
        .filter(|o| o.listing.is_some())
        .count();
    assert_eq!(listings, ITEMS, "{report:?}");
    let asked = asked.lock().unwrap();
    assert!(
        asked.contains(&"http://far-shop.test:9/robots.txt".to_string()),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"http://far-shop.test:9/item/3.html".to_string()),
        "{asked:?}"
    );
}
