//! Real Chromium against a real axum shop on 127.0.0.1. Chromium missing is a failure (with
//! the install hint in the message), never a skip.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use qsword_render::{AllowAll, Cookie, RenderConfig, RenderError, Renderer, ResourceKind};
use url::Url;

#[derive(Default)]
struct Shop {
    hits: Mutex<HashMap<String, usize>>,
    cookie_seen: Mutex<Option<String>>,
    slow_now: AtomicUsize,
    slow_max: AtomicUsize,
}

impl Shop {
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
    fn total(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

const ITEM: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>商品 7</title>
<link rel="stylesheet" href="/style.css"></head>
<body><h1>测试商品</h1><div>价格：<span class="price"></span></div><img src="/img/a.png">
<script>
fetch('/api/price/7').then(r => r.json()).then(j => {
  document.querySelector('.price').textContent = '¥' + j.price;
});
fetch('/api/track', { method: 'POST', body: 'sku=7' });
fetch('/api/secret').catch(() => { document.body.dataset.secret = 'blocked'; });
document.body.dataset.ws = typeof WebSocket + ',' + typeof Worker + ',' + typeof navigator.serviceWorker;
</script></body></html>"#;

const HANG: &str = r#"<!doctype html><html><body><p id="so-far">rendered so far</p>
<script>fetch('/api/hang'); setInterval(() => fetch('/api/poll'), 50);</script></body></html>"#;

const SPIN: &str = r#"<!doctype html><html><body><p>before the spin</p>
<script>setTimeout(() => { while (true) {} }, 100);</script></body></html>"#;

const COOKIE_PAGE: &str = r#"<!doctype html><html><body><p>cookies</p>
<script>document.cookie = "consent=yes; path=/";
document.body.dataset.prev = String(localStorage.getItem('k')); localStorage.setItem('k', 'v');
</script></body></html>"#;

async fn count(State(shop): State<Arc<Shop>>, req: Request, next: Next) -> Response {
    *shop
        .hits
        .lock()
        .unwrap()
        .entry(req.uri().path().to_string())
        .or_default() += 1;
    next.run(req).await
}

async fn serve() -> (SocketAddr, Arc<Shop>) {
    let shop = Arc::new(Shop::default());
    let app = Router::new()
        .route("/item/7", get(|| async { Html(ITEM) }))
        .route(
            "/api/price/7",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"price":"199.00"}"#,
                )
            }),
        )
        .route("/api/secret", get(|| async { "secret" }))
        .route(
            "/api/track",
            axum::routing::post(|body: String| async move { body }),
        )
        .route("/img/a.png", get(|| async { "png" }))
        .route("/style.css", get(|| async { "body{}" }))
        .route("/hang", get(|| async { Html(HANG) }))
        .route(
            "/api/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "never"
            }),
        )
        .route("/api/poll", get(|| async { "{}" }))
        .route("/spin", get(|| async { Html(SPIN) }))
        .route(
            "/framed",
            get(|headers: HeaderMap| async move {
                let port = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .and_then(|h| h.rsplit_once(':'))
                    .map(|(_, p)| p.to_string())
                    .unwrap_or_default();
                Html(format!(
                    r#"<html><body><iframe src="http://other.shop.test:{port}/inner"></iframe>
<script>addEventListener('message', e => {{ document.body.dataset.inner = e.data; }});</script></body></html>"#
                ))
            }),
        )
        .route(
            "/inner",
            get(|| async {
                Html(
                    "<html><body><script>fetch('/api/price/7'); parent.postMessage(\
                     typeof WebSocket + ',' + typeof Worker, '*');</script></body></html>",
                )
            }),
        )
        .route("/go", get(|| async { Redirect::to("/item/7") }))
        .route("/away", get(|| async { Redirect::to("/forbidden") }))
        .route("/forbidden", get(|| async { "no" }))
        .route(
            "/slow/{n}",
            get(|State(shop): State<Arc<Shop>>| async move {
                let now = shop.slow_now.fetch_add(1, Ordering::SeqCst) + 1;
                shop.slow_max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1000)).await;
                shop.slow_now.fetch_sub(1, Ordering::SeqCst);
                Html("<html><body><p>slow</p></body></html>")
            }),
        )
        .route(
            "/cookie",
            get(
                |State(shop): State<Arc<Shop>>, headers: HeaderMap| async move {
                    *shop.cookie_seen.lock().unwrap() = headers
                        .get(header::COOKIE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    (
                        [(header::SET_COOKIE, "server=1; Path=/")],
                        Html(COOKIE_PAGE),
                    )
                        .into_response()
                },
            ),
        )
        .route(
            "/missing",
            get(|| async { (StatusCode::NOT_FOUND, Html("<p>gone</p>")) }),
        )
        .layer(middleware::from_fn_with_state(shop.clone(), count))
        .with_state(shop.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, shop)
}

async fn launch(cfg: RenderConfig) -> Renderer {
    match Renderer::launch(cfg).await {
        Ok(r) => r,
        Err(e) => panic!(
            "these tests need a real Chromium: install Debian's `chromium` package \
             (apt-get install chromium): {e}"
        ),
    }
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xhr_price_lands_in_the_dom_and_answers_gate_blocks_secret_and_images() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let seen = Arc::new(Mutex::new(Vec::<(String, ResourceKind)>::new()));
    let seen_w = seen.clone();
    let gate = move |u: &Url, k: &ResourceKind| {
        seen_w
            .lock()
            .unwrap()
            .push((u.path().to_string(), k.clone()));
        if u.path() == "/api/secret" {
            Err("robots.txt disallows /api/".to_string())
        } else {
            Ok(())
        }
    };
    let page = r
        .render(&url(addr, "/item/7"), &[], Arc::new(gate))
        .await
        .expect("render");
    assert!(!page.timed_out);
    assert_eq!(page.status, Some(200));
    assert!(page.dom.contains("¥199.00"), "DOM: {}", page.dom);
    assert!(
        page.dom.contains(r#"data-secret="blocked""#),
        "DOM: {}",
        page.dom
    );
    // The raw document is the server's HTML, without the price.
    let doc = page.document.as_ref().expect("document");
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body, ITEM.as_bytes());
    assert_eq!(doc.mime.as_deref(), Some("text/html"));
    assert!(!String::from_utf8_lossy(&doc.body).contains("199.00"));
    // The XHR answer, exact.
    let price: Vec<_> = page
        .answers
        .iter()
        .filter(|a| a.url.path() == "/api/price/7")
        .collect();
    assert_eq!(price.len(), 1, "answers: {:?}", page.answers);
    assert_eq!(price[0].status, 200);
    assert_eq!(price[0].method, "GET");
    assert_eq!(price[0].body, br#"{"price":"199.00"}"#);
    assert_eq!(price[0].mime.as_deref(), Some("application/json"));
    assert!(!price[0].truncated);
    assert_eq!(price[0].request_body, None);
    // A POST keeps its body (the evidence's request record needs it).
    let track = page
        .answers
        .iter()
        .find(|a| a.url.path() == "/api/track")
        .expect("POST answer");
    assert_eq!(track.method, "POST");
    assert_eq!(track.request_body.as_deref(), Some(&b"sku=7"[..]));
    assert_eq!(track.body, b"sku=7");
    // Refused: the secret by the gate, the image and the stylesheet by type; none reached the server.
    let refused: Vec<&str> = page.refused.iter().map(|(u, _)| u.path()).collect();
    assert!(refused.contains(&"/api/secret"), "{:?}", page.refused);
    assert!(refused.contains(&"/img/a.png"), "{:?}", page.refused);
    assert!(refused.contains(&"/style.css"), "{:?}", page.refused);
    assert_eq!(shop.hits("/api/secret"), 0);
    assert_eq!(shop.hits("/img/a.png"), 0);
    assert_eq!(shop.hits("/style.css"), 0);
    assert_eq!(shop.hits("/item/7"), 1);
    assert_eq!(shop.hits("/api/price/7"), 1);
    // The gate saw the page once (before the tab opened) and the XHRs; never the image.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().filter(|(p, _)| p == "/item/7").count(),
        1,
        "{seen:?}"
    );
    assert!(seen.contains(&("/api/price/7".into(), ResourceKind::Xhr)));
    assert!(!seen.iter().any(|(p, _)| p == "/img/a.png"));
    assert_eq!(page.final_url, url(addr, "/item/7"));
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_refusing_the_page_sends_nothing() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let gate = |_: &Url, _: &ResourceKind| Err("host parked".to_string());
    let err = r
        .render(&url(addr, "/item/7"), &[], Arc::new(gate))
        .await
        .unwrap_err();
    match &err {
        RenderError::Refused { url: u, reason } => {
            assert_eq!(u.path(), "/item/7");
            assert_eq!(reason, "host parked");
        }
        e => panic!("expected Refused, got {e}"),
    }
    assert!(err.to_string().contains("/item/7"));
    assert_eq!(shop.total(), 0);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_never_settles_times_out_with_the_dom_so_far() {
    let (addr, _shop) = serve().await;
    let budget = Duration::from_secs(3);
    let r = launch(RenderConfig {
        page_timeout: budget,
        ..RenderConfig::default()
    })
    .await;
    let t = Instant::now();
    let page = r
        .render(&url(addr, "/hang"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    let took = t.elapsed();
    assert!(page.timed_out);
    assert!(took < budget + Duration::from_secs(3), "took {took:?}");
    assert!(page.dom.contains("rendered so far"), "DOM: {}", page.dom);
    assert_eq!(page.status, Some(200));
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_renders_on_two_tabs_never_more_than_two_in_flight() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig {
        tabs: 2,
        ..RenderConfig::default()
    })
    .await;
    let jobs: Vec<_> = (0..4)
        .map(|i| {
            let r = r.clone();
            let u = url(addr, &format!("/slow/{i}"));
            tokio::spawn(async move { r.render(&u, &[], Arc::new(AllowAll)).await })
        })
        .collect();
    for j in jobs {
        let page = j.await.unwrap().expect("render");
        assert!(page.dom.contains("slow"));
        assert!(!page.timed_out);
    }
    assert_eq!(shop.slow_max.load(Ordering::SeqCst), 2);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_go_in_and_come_back() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let jar = [Cookie {
        name: "session".into(),
        value: "abc".into(),
        domain: "127.0.0.1".into(),
        path: "/".into(),
    }];
    let page = r
        .render(&url(addr, "/cookie"), &jar, Arc::new(AllowAll))
        .await
        .expect("render");
    assert_eq!(
        shop.cookie_seen.lock().unwrap().as_deref(),
        Some("session=abc")
    );
    let get = |n: &str| {
        page.cookies
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.value.as_str())
    };
    assert_eq!(get("server"), Some("1"), "{:?}", page.cookies);
    assert_eq!(get("consent"), Some("yes"), "{:?}", page.cookies);
    assert_eq!(get("session"), Some("abc"), "{:?}", page.cookies);
    // A second render starts from an empty jar (a fresh browser context).
    let again = r
        .render(&url(addr, "/cookie"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    assert_eq!(*shop.cookie_seen.lock().unwrap(), None);
    assert!(!again.cookies.iter().any(|c| c.name == "session"));
    // …and empty storage (the tab is reused, wiped).
    assert!(
        page.dom.contains(r#"data-prev="null""#),
        "DOM: {}",
        page.dom
    );
    assert!(
        again.dom.contains(r#"data-prev="null""#),
        "DOM: {}",
        again.dom
    );
    r.close().await;
}

#[tokio::test]
async fn a_missing_chromium_is_a_clear_error() {
    let err = Renderer::launch(RenderConfig {
        chromium: "/nonexistent/chromium".into(),
        ..RenderConfig::default()
    })
    .await
    .err()
    .expect("must fail");
    let msg = err.to_string();
    assert!(matches!(err, RenderError::NotFound { .. }), "{msg}");
    assert!(msg.contains("/nonexistent/chromium"), "{msg}");
    assert!(msg.contains("apt-get install chromium"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_rules_map_a_shop_name_to_loopback() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig {
        host_rules: vec![("item.shop.test".into(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
        ..RenderConfig::default()
    })
    .await;
    let u = Url::parse(&format!("http://item.shop.test:{}/item/7", addr.port())).unwrap();
    let page = r.render(&u, &[], Arc::new(AllowAll)).await.expect("render");
    assert_eq!(page.final_url, u);
    assert!(page.dom.contains("¥199.00"), "DOM: {}", page.dom);
    assert_eq!(shop.hits("/item/7"), 1);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_come_back_with_their_status_and_close_leaves_no_process() {
    let (addr, _shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let pid = r.pid();
    let page = r
        .render(&url(addr, "/missing"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    assert_eq!(page.status, Some(404));
    assert!(page.dom.contains("gone"));
    r.close().await;
    assert!(
        group_left(pid).is_empty(),
        "left behind: {:?}",
        group_left(pid)
    );
}

/// Live (not zombie) processes of process group `pgid`.
fn group_left(pgid: u32) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let rest = stat.rsplit_once(") ").map(|x| x.1).unwrap_or("");
            let f: Vec<&str> = rest.split(' ').collect();
            f.len() > 2 && f[2] == pgid.to_string() && f[0] != "Z" && f[0] != "X"
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_clone_kills_chromium_too() {
    let (addr, _shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let pid = r.pid();
    let clone = r.clone();
    r.render(&url(addr, "/item/7"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    assert!(!group_left(pid).is_empty(), "Chromium should be running");
    drop(r);
    assert!(!group_left(pid).is_empty(), "a clone still holds it");
    drop(clone);
    assert!(
        group_left(pid).is_empty(),
        "left behind: {:?}",
        group_left(pid)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_gated_and_followed() {
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let seen = Arc::new(Mutex::new(Vec::<(String, ResourceKind)>::new()));
    let seen_w = seen.clone();
    let gate = move |u: &Url, k: &ResourceKind| {
        seen_w
            .lock()
            .unwrap()
            .push((u.path().to_string(), k.clone()));
        if u.path() == "/forbidden" {
            Err("disallowed".to_string())
        } else {
            Ok(())
        }
    };
    let gate = Arc::new(gate);
    let page = r
        .render(&url(addr, "/go"), &[], gate.clone())
        .await
        .expect("render");
    assert_eq!(page.final_url, url(addr, "/item/7"));
    assert_eq!(page.status, Some(200));
    assert_eq!(page.document.as_ref().unwrap().url.path(), "/item/7");
    assert!(page.dom.contains("¥199.00"));
    assert!(seen
        .lock()
        .unwrap()
        .contains(&("/item/7".into(), ResourceKind::Document)));
    // A redirect of the page to a refused URL is the page refused; the target is never asked.
    let err = r.render(&url(addr, "/away"), &[], gate).await.unwrap_err();
    match err {
        RenderError::Refused { url: u, reason } => {
            assert_eq!(u.path(), "/forbidden");
            assert_eq!(reason, "disallowed");
        }
        e => panic!("expected Refused, got {e}"),
    }
    assert_eq!(shop.hits("/away"), 1);
    assert_eq!(shop.hits("/forbidden"), 0);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_script_is_stopped_at_the_budget() {
    let (addr, _shop) = serve().await;
    let budget = Duration::from_secs(2);
    let r = launch(RenderConfig {
        page_timeout: budget,
        ..RenderConfig::default()
    })
    .await;
    let t = Instant::now();
    let page = r
        .render(&url(addr, "/spin"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    assert!(
        t.elapsed() < budget + Duration::from_secs(4),
        "took {:?}",
        t.elapsed()
    );
    assert!(page.timed_out);
    assert!(page.dom.contains("before the spin"), "DOM: {}", page.dom);
    // The browser is still usable afterwards.
    let next = r
        .render(&url(addr, "/item/7"), &[], Arc::new(AllowAll))
        .await
        .expect("render after a spin");
    assert!(next.dom.contains("¥199.00"));
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_cut_the_dom_and_the_answers() {
    let (addr, _shop) = serve().await;
    let r = launch(RenderConfig {
        max_dom_bytes: 100,
        max_answer_bytes: 5,
        ..RenderConfig::default()
    })
    .await;
    let page = r
        .render(&url(addr, "/item/7"), &[], Arc::new(AllowAll))
        .await
        .expect("render");
    assert!(page.dom_truncated);
    assert!(
        page.dom.len() <= 100 && page.dom.len() > 90,
        "{}",
        page.dom.len()
    );
    let price = page
        .answers
        .iter()
        .find(|a| a.url.path() == "/api/price/7")
        .expect("answer");
    assert!(price.truncated);
    assert!(price.body.len() <= 5);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_carries_every_request_and_memory_flag_is_accepted() {
    // The shop doubles as the HTTP proxy: Chromium sends absolute-form requests, which axum
    // routes by their path.
    let (addr, shop) = serve().await;
    let r = launch(RenderConfig {
        proxy: Some(format!("http://{addr}")),
        memory_mb: Some(256),
        ..RenderConfig::default()
    })
    .await;
    let u = Url::parse("http://far.shop.test/item/7").unwrap();
    let page = r.render(&u, &[], Arc::new(AllowAll)).await.expect("render");
    assert_eq!(page.final_url, u);
    assert!(page.dom.contains("¥199.00"), "DOM: {}", page.dom);
    assert_eq!(shop.hits("/item/7"), 1);
    assert_eq!(shop.hits("/api/price/7"), 1);
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_dropped_midway_frees_its_tab() {
    let (addr, _shop) = serve().await;
    let r = launch(RenderConfig {
        tabs: 1,
        ..RenderConfig::default()
    })
    .await;
    // The caller gives up before the page settles (it never would).
    let gave_up = tokio::time::timeout(
        Duration::from_millis(800),
        r.render(&url(addr, "/hang"), &[], Arc::new(AllowAll)),
    )
    .await;
    assert!(gave_up.is_err());
    // The only tab is free again and works.
    let page = tokio::time::timeout(
        Duration::from_secs(10),
        r.render(&url(addr, "/item/7"), &[], Arc::new(AllowAll)),
    )
    .await
    .expect("the tab was not freed")
    .expect("render");
    assert!(page.dom.contains("¥199.00"));
    r.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_frame_and_its_requests_are_gated_too() {
    let (addr, shop) = serve().await;
    let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let r = launch(RenderConfig {
        host_rules: vec![
            ("item.shop.test".into(), lo),
            ("other.shop.test".into(), lo),
        ],
        ..RenderConfig::default()
    })
    .await;
    let seen = Arc::new(Mutex::new(Vec::<(String, ResourceKind)>::new()));
    let seen_w = seen.clone();
    let gate = move |u: &Url, k: &ResourceKind| {
        seen_w.lock().unwrap().push((
            format!("{}{}", u.host_str().unwrap_or(""), u.path()),
            k.clone(),
        ));
        Ok(())
    };
    let u = Url::parse(&format!("http://item.shop.test:{}/framed", addr.port())).unwrap();
    let page = r.render(&u, &[], Arc::new(gate)).await.expect("render");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains(&("other.shop.test/inner".into(), ResourceKind::Document)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("other.shop.test/api/price/7".into(), ResourceKind::Xhr)),
        "{seen:?}"
    );
    assert_eq!(shop.hits("/api/price/7"), 1);
    // The lockdown script runs in the frame too.
    assert!(
        page.dom.contains(r#"data-inner="undefined,undefined""#),
        "DOM: {}",
        page.dom
    );
    assert!(page
        .answers
        .iter()
        .any(|a| a.url.host_str() == Some("other.shop.test")));
    r.close().await;
}

/// A gate that waits, as per-host spacing does.
struct Spacing {
    wait: Duration,
    asked: AtomicUsize,
}

impl qsword_render::Gate for Spacing {
    fn admit<'a>(&'a self, url: &'a Url, kind: ResourceKind) -> qsword_render::GateFuture<'a> {
        Box::pin(async move {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if kind == ResourceKind::Xhr && url.path().starts_with("/api/price") {
                tokio::time::sleep(self.wait).await;
            }
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_that_waits_holds_the_request_and_the_page_waits_for_it() {
    let (addr, _shop) = serve().await;
    let r = launch(RenderConfig::default()).await;
    let gate = Arc::new(Spacing {
        wait: Duration::from_millis(1500),
        asked: AtomicUsize::new(0),
    });
    let page = r
        .render(&url(addr, "/item/7"), &[], gate.clone())
        .await
        .expect("render");
    assert!(!page.timed_out);
    assert!(
        page.elapsed >= Duration::from_millis(1500),
        "{:?}",
        page.elapsed
    );
    // Settling waited for the held request: the price is there.
    assert!(page.dom.contains("¥199.00"), "DOM: {}", page.dom);
    assert!(gate.asked.load(Ordering::SeqCst) >= 3);
    r.close().await;
}
