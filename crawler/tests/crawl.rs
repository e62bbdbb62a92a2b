//! The crawler against tiny axum servers on loopback, judged by what the servers saw.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use qsword_crawler::{
    crawl, read_record, sha1_base32, CrawlReport, CrawlerConfig, FetchRecord, MemoryFrontier, Site,
};

type Log = Arc<Mutex<Vec<(Instant, String)>>>;

/// A shop on one loopback address: every request is logged (arrival time, path?query) and
/// answered by `pages`.
struct Shop {
    addr: SocketAddr,
    log: Log,
}

impl Shop {
    async fn start(ip: &str, pages: impl Fn(&str) -> Response + Send + Sync + 'static) -> Shop {
        let log: Log = Arc::default();
        let pages = Arc::new(pages);
        let l = log.clone();
        let app = axum::Router::new().fallback(move |uri: Uri| {
            let (l, pages) = (l.clone(), pages.clone());
            async move {
                let pq = uri
                    .path_and_query()
                    .map_or("/".to_owned(), |p| p.to_string());
                l.lock().unwrap().push((Instant::now(), pq.clone()));
                pages(&pq)
            }
        });
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Shop { addr, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<(Instant, String)> {
        self.log.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|(_, p)| p).collect()
    }
}

fn html(body: &str) -> Response {
    (
        [("content-type", "text/html; charset=utf-8")],
        format!("<!doctype html><html><body>{body}</body></html>"),
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn test_config() -> CrawlerConfig {
    CrawlerConfig {
        allow_loopback: true,
        default_delay_ms: 0,
        timeout_ms: 5_000,
        retry_backoff_ms: 10,
        ..Default::default()
    }
}

fn site(start_urls: Vec<String>) -> Site {
    Site {
        name: "test-shop".into(),
        platform: "test-shop".into(),
        start_urls,
        ..Default::default()
    }
}

/// Runs a crawl and collects its fetch records.
async fn run(
    cfg: &CrawlerConfig,
    sites: &[Site],
) -> (CrawlReport, Vec<FetchRecord>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(cfg, sites, MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    assert_eq!(frontier.in_flight(), 0, "every leased URL was committed");
    let fetched = frontier
        .outcomes
        .into_iter()
        .flat_map(|o| o.fetches)
        .collect();
    (report, fetched, dir)
}

fn min_gap(reqs: &[(Instant, String)]) -> Duration {
    reqs.windows(2)
        .map(|w| w[1].0.duration_since(w[0].0))
        .min()
        .unwrap_or(Duration::MAX)
}

fn polite_shop_pages(path: &str) -> Response {
    match path {
        "/robots.txt" => "User-agent: *\nDisallow: /private\nCrawl-delay: 0.2\n".into_response(),
        "/" => html(
            r#"<a href="/p1">1</a><a href="/p2">2</a><a href="/p3">3</a><a href="/p4">4</a>
               <a href="/private/x">secret</a>"#,
        ),
        p if p.starts_with("/p") => html(r#"<a href="/">home</a><a href="/private/y">cart</a>"#),
        _ => not_found(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_disallow_and_crawl_delay_hold_per_host_while_hosts_run_concurrently() {
    let a = Shop::start("127.0.0.1", polite_shop_pages).await;
    let b = Shop::start("127.0.0.2", polite_shop_pages).await;
    let cfg = test_config();
    let (report, _, _dir) = run(&cfg, &[site(vec![a.url("/"), b.url("/")])]).await;

    for shop in [&a, &b] {
        let reqs = shop.requests();
        let paths = shop.paths();
        assert_eq!(paths[0], "/robots.txt", "robots.txt is fetched first");
        assert!(
            !paths.iter().any(|p| p.starts_with("/private")),
            "disallowed path requested: {paths:?}"
        );
        assert_eq!(paths.len(), 6, "robots + home + 4 products: {paths:?}");
        // Crawl-delay 0.2 s, measured at the server; 10 ms of slack for server-side scheduling jitter.
        let gap = min_gap(&reqs);
        assert!(
            gap >= Duration::from_millis(190),
            "two requests {gap:?} apart"
        );
    }
    assert_eq!(
        report.robots_disallowed, 4,
        "two /private links per host were skipped"
    );
    assert_eq!(report.pages_fetched, 10);
    for h in report.hosts.values() {
        assert_eq!(h.effective_delay_ms, 200);
        assert_eq!(h.robots, "parsed");
    }
    // Concurrency: the second host started before the first one finished.
    let (a_reqs, b_reqs) = (a.requests(), b.requests());
    assert!(b_reqs[0].0 < a_reqs.last().unwrap().0 && a_reqs[0].0 < b_reqs.last().unwrap().0);
}

/// A Crawl-delay longer than `max_crawl_delay_ms` is never shortened: the host is parked for
/// the run (the crawler must not knowingly go faster than asked), its URLs kept for later.
#[tokio::test]
async fn a_crawl_delay_above_the_cap_parks_the_host() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => "User-agent: qsword\nCrawl-delay: 30\n".into_response(),
        "/" => html(r#"<a href="/p1">1</a><a href="/p2">2</a>"#),
        _ => html("product"),
    })
    .await;
    let cfg = CrawlerConfig {
        max_crawl_delay_ms: 150,
        ..test_config()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(
        &cfg,
        &[site(vec![shop.url("/")])],
        MemoryFrontier::new(),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(
        shop.paths(),
        ["/robots.txt"],
        "nothing fetched faster than asked"
    );
    let h = report.hosts.values().next().unwrap();
    assert_eq!(h.crawl_delay_capped_from_ms, Some(30_000));
    assert!(
        h.parked
            .as_deref()
            .is_some_and(|p| p.contains("Crawl-delay")),
        "{h:?}"
    );
    assert_eq!(report.hosts_parked, 1);
    assert_eq!(frontier.queued(), 1, "the start URL waits for a later run");
    assert_eq!(frontier.in_flight(), 0);
}

#[tokio::test]
async fn the_site_delay_wins_over_a_shorter_crawl_delay() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => "User-agent: qsword\nCrawl-delay: 0.1\n".into_response(),
        "/" => html(r#"<a href="/p1">1</a><a href="/p2">2</a>"#),
        _ => html("product"),
    })
    .await;
    let mut s = site(vec![shop.url("/")]);
    s.delay_ms = Some(250);
    let (report, _, _dir) = run(&test_config(), &[s]).await;
    let h = report.hosts.values().next().unwrap();
    assert_eq!(h.crawl_delay_capped_from_ms, None);
    assert_eq!(
        h.effective_delay_ms, 250,
        "site delay 250 > Crawl-delay 100"
    );
    assert_eq!(shop.paths().len(), 4);
    assert!(min_gap(&shop.requests()) >= Duration::from_millis(240));
}

#[tokio::test]
async fn spellings_of_one_url_are_fetched_once_and_offsite_links_not_followed() {
    let other = Shop::start("127.0.0.3", |_| html("elsewhere")).await;
    let other_url = other.url("/");
    let shop = Shop::start("127.0.0.1", move |p| match p {
        "/" => html(&format!(
            r#"<a href="/a?b=2&a=1#reviews">a</a><a href="/a?b=2&utm_source=mail&a=1">a</a>
               <a href="/a?spm=x.y&b=2&a=1&scm=1">a</a><a href="/skip/me">skip</a>
               <a href="{other_url}">other shop</a><a href="/d1">deep</a>"#
        )),
        "/d1" => html(r#"<a href="/d2">deeper</a><a href="/a?b=2&a=1">a</a>"#),
        "/d2" => html(r#"<a href="/d3">deepest</a>"#),
        "/robots.txt" => not_found(),
        _ => html("page"),
    })
    .await;
    let mut s = site(vec![shop.url("/")]);
    s.exclude = vec!["^/skip/".into()];
    s.max_depth = Some(2);
    let (report, _, _dir) = run(&test_config(), &[s]).await;
    let mut paths = shop.paths();
    paths.sort();
    // The site's order of parameters is kept (robots.txt and signed URLs depend on it).
    assert_eq!(paths, ["/", "/a?b=2&a=1", "/d1", "/d2", "/robots.txt"]);
    assert!(
        other.paths().is_empty(),
        "another host was crawled: {:?}",
        other.paths()
    );
    assert_eq!(
        report.hosts.values().next().unwrap().robots,
        "allow-all (status 404)"
    );
}

/// robots.txt rules match the query as the site linked it: canonicalisation must not reorder
/// it into a spelling the rule does not cover.
#[tokio::test]
async fn robots_rules_match_the_query_as_linked() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => "User-agent: *\nDisallow: /l?sort=\n".into_response(),
        "/" => html(r#"<a href="/l?sort=x&a=1">sorted</a><a href="/l?a=1">plain</a>"#),
        _ => html("list"),
    })
    .await;
    let (report, _, _dir) = run(&test_config(), &[site(vec![shop.url("/")])]).await;
    let paths = shop.paths();
    assert!(
        !paths.iter().any(|p| p.contains("sort=")),
        "disallowed URL fetched: {paths:?}"
    );
    assert!(paths.contains(&"/l?a=1".to_owned()), "{paths:?}");
    assert_eq!(report.robots_disallowed, 1);
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let shop = Shop::start("127.0.0.1", |_| html("hello")).await;
    let cfg = CrawlerConfig {
        allow_loopback: false,
        ..test_config()
    };
    let (report, fetched, _dir) = run(&cfg, &[site(vec![shop.url("/")])]).await;
    assert!(
        shop.paths().is_empty(),
        "server was contacted: {:?}",
        shop.paths()
    );
    assert_eq!(report.pages_fetched, 0);
    assert!(
        report.refused.iter().all(|r| r.contains("loopback")),
        "{:?}",
        report.refused
    );
    assert_eq!(report.refused.len(), 1, "robots.txt refused");
    // Nothing may be fetched from a host whose robots.txt cannot be read: it is parked and
    // its URLs stay queued for a later run.
    let host = report.hosts.values().next().unwrap();
    assert!(
        host.parked
            .as_deref()
            .is_some_and(|p| p.contains("loopback")),
        "{host:?}"
    );
    assert!(fetched.is_empty());
    // The same check is what guards every page URL and redirect hop.
    let policy = qsword_crawler::AddressPolicy::default();
    let err = policy
        .check_url(&url::Url::parse(&shop.url("/")).unwrap())
        .await
        .unwrap_err();
    assert!(err.contains("loopback"), "{err}");
}

#[tokio::test]
async fn body_over_the_limit_is_cut_recorded_and_not_parsed() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/" => html(&format!(
            "{}<a href=\"/hidden\">x</a>",
            "y".repeat(64 * 1024)
        )),
        "/robots.txt" => not_found(),
        _ => html("hidden"),
    })
    .await;
    let cfg = CrawlerConfig {
        max_body_bytes: 8 * 1024,
        ..test_config()
    };
    let (report, fetched, _dir) = run(&cfg, &[site(vec![shop.url("/")])]).await;
    assert!(!shop.paths().contains(&"/hidden".to_owned()));
    let home = fetched.iter().find(|f| f.url == shop.url("/")).unwrap();
    assert!(
        home.error.as_deref().unwrap().contains("max_body_bytes"),
        "{home:?}"
    );
    assert_eq!(report.errors_by_host.values().sum::<u64>(), 1);
    let rec = read_record(home.warc.as_ref().unwrap()).unwrap();
    assert_eq!(rec.warc_header("WARC-Truncated"), Some("length"));
    assert_eq!(rec.payload.len(), 8 * 1024);
}

#[tokio::test]
async fn transient_errors_are_retried_and_others_are_not() {
    let hits: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let shop = Shop::start("127.0.0.1", move |p| {
        let n = {
            let mut h = hits.lock().unwrap();
            let n = h.entry(p.to_owned()).or_default();
            *n += 1;
            *n
        };
        match (p, n) {
            ("/", _) => html(r#"<a href="/flaky">f</a><a href="/gone">g</a><a href="/busy">b</a>"#),
            ("/flaky", 1 | 2) => (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response(),
            ("/busy", 1) => {
                let mut h = HeaderMap::new();
                h.insert("retry-after", HeaderValue::from_static("1"));
                (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response()
            }
            ("/gone", _) | ("/robots.txt", _) => not_found(),
            _ => html("ok"),
        }
    })
    .await;
    let cfg = CrawlerConfig {
        retries: 3,
        ..test_config()
    };
    let (report, fetched, _dir) = run(&cfg, &[site(vec![shop.url("/")])]).await;
    let paths = shop.paths();
    let count = |p: &str| paths.iter().filter(|x| *x == p).count();
    assert_eq!(count("/flaky"), 3, "503, 503, then 200");
    assert_eq!(count("/gone"), 1, "404 is an answer, not retried");
    assert_eq!(count("/busy"), 2);
    let busy: Vec<Instant> = shop
        .requests()
        .into_iter()
        .filter(|(_, p)| p == "/busy")
        .map(|(t, _)| t)
        .collect();
    assert!(
        busy[1].duration_since(busy[0]) >= Duration::from_millis(950),
        "Retry-After: 1 not honoured"
    );
    let flaky = fetched.iter().find(|f| f.url.ends_with("/flaky")).unwrap();
    assert_eq!(flaky.status, Some(200));
    assert!(flaky.error.is_none());
    assert!(
        report.errors_by_host.is_empty(),
        "{:?}",
        report.errors_by_host
    );
}

#[tokio::test]
async fn warc_records_read_back_with_correct_digests_and_raw_gzip() {
    let home = r#"<!doctype html><html><body>商品 <a href="/gz">gz</a></body></html>"#;
    let gz_page = r#"<html><body><a href="/after-gz">next</a></body></html>"#;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(gz_page.as_bytes()).unwrap();
    let gz_bytes = enc.finish().unwrap();
    let gz_sent = gz_bytes.clone();
    let shop = Shop::start("127.0.0.1", move |p| match p {
        "/" => (
            [
                ("content-type", "text/html; charset=utf-8"),
                ("etag", "\"v1\""),
            ],
            home,
        )
            .into_response(),
        "/gz" => (
            [("content-type", "text/html"), ("content-encoding", "gzip")],
            gz_sent.clone(),
        )
            .into_response(),
        "/robots.txt" => not_found(),
        _ => html("after"),
    })
    .await;
    let (report, fetched, _dir) = run(&test_config(), &[site(vec![shop.url("/")])]).await;
    assert!(
        shop.paths().contains(&"/after-gz".to_owned()),
        "links inside a gzip body are followed"
    );
    assert_eq!(fetched.len(), 3);

    let root = fetched.iter().find(|f| f.url == shop.url("/")).unwrap();
    assert_eq!(root.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        root.warc.as_ref().unwrap().payload_digest,
        sha1_base32(home.as_bytes())
    );
    let rec = read_record(root.warc.as_ref().unwrap()).unwrap();
    assert_eq!(rec.payload, home.as_bytes());
    assert_eq!(rec.http_status, Some(200));
    assert_eq!(rec.warc_header("WARC-Type"), Some("response"));
    assert_eq!(
        rec.warc_header("WARC-Target-URI"),
        Some(shop.url("/").as_str())
    );
    assert_eq!(
        rec.warc_header("WARC-Payload-Digest"),
        Some(sha1_base32(home.as_bytes()).as_str())
    );
    assert_eq!(
        root.content_digest.as_deref(),
        Some(sha1_base32(home.as_bytes()).as_str())
    );
    assert!(rec
        .warc_header("WARC-Record-ID")
        .unwrap()
        .starts_with("<urn:uuid:"));

    let gz = fetched.iter().find(|f| f.url.ends_with("/gz")).unwrap();
    let rec = read_record(gz.warc.as_ref().unwrap()).unwrap();
    assert_eq!(rec.payload, gz_bytes, "the WARC keeps the bytes as sent");
    assert_eq!(rec.http_header("content-encoding"), Some("gzip"));
    assert_eq!(rec.decoded_payload().unwrap(), gz_page.as_bytes());

    // A standard WARC reader parses the whole file: warcinfo + (response, request) per fetch
    // (3 pages + robots.txt), and each block digest matches its block.
    let path = report.warc_files[0].clone();
    let records: Vec<_> = warc::WarcReader::from_path_gzip(&path)
        .unwrap()
        .iter_records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 1 + 2 * 4);
    for r in &records[1..] {
        let digest = r.header(warc::WarcHeader::BlockDigest).unwrap();
        assert_eq!(digest, sha1_base32(r.body()));
    }
}

#[test]
fn site_files_name_the_line_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("suning-sim.toml");
    std::fs::write(
        &good,
        "name = \"suning-sim\"\nplatform = \"suning-sim\"\nstart_urls = []\nproduct_url = '/item/\\d+\\.html$'\n\n[rules]\ntitle = \"h1.goods-title\"\nprice = \"em.goods-price\"\n",
    )
    .unwrap();
    let s = Site::from_toml_file(&good).unwrap();
    assert_eq!(s.rules.unwrap().title.as_deref(), Some("h1.goods-title"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nplatform = \"x\"\n\nstart_url = []\n").unwrap();
    let e = Site::from_toml_file(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.toml:4:"), "{e}");
    assert!(e.contains("start_url"), "{e}");

    std::fs::write(&bad, "name = \"x\"\nplatform = \"x\"\ninclude = [\"(\"]\n").unwrap();
    let e = Site::from_toml_file(&bad).unwrap_err().to_string();
    assert!(e.contains("site x: include pattern \"(\""), "{e}");
}

#[tokio::test]
async fn product_pages_become_listings_with_platform_canonical_url_and_evidence() {
    let jsonld = r#"<html><head><script type="application/ld+json">
      {"@type": "Product", "name": "公牛 插座 GN-H3050", "brand": {"@type": "Brand", "name": "公牛"},
       "offers": {"@type": "Offer", "price": "39.90", "priceCurrency": "CNY"}}</script></head>
      <body><a href="/item/2.html">next</a></body></html>"#;
    let (gbk_page, _, _) = encoding_rs::GBK.encode(
        r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>
        <body><h1 class="goods-title">美的 电饭煲 MB-FB40</h1><em class="goods-price">¥199.00</em></body></html>"#,
    );
    let gbk_page = gbk_page.into_owned();
    let shop = Shop::start("127.0.0.1", move |p| match p {
        "/" => {
            html(r#"<a href="/item/1.html?utm_source=feed#top">1</a><a href="/about">about</a>"#)
        }
        "/item/1.html" | "/about" => {
            ([("content-type", "text/html; charset=utf-8")], jsonld).into_response()
        }
        "/item/2.html" => ([("content-type", "text/html")], gbk_page.clone()).into_response(),
        _ => not_found(),
    })
    .await;
    let mut s = site(vec![shop.url("/")]);
    s.platform = "gbk-mall-sim".into();
    s.product_url = Some(r"/item/\d+\.html$".into());
    s.rules = Some(qsword_extract::SiteRules {
        title: Some("h1.goods-title".into()),
        price: Some("em.goods-price".into()),
        ..Default::default()
    });

    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&test_config(), &[s], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let mut listings: Vec<_> = frontier
        .outcomes
        .into_iter()
        .filter_map(|o| o.listing)
        .collect();
    listings.sort_by(|a, b| a.0.url.cmp(&b.0.url));

    assert_eq!(
        report.listings, 2,
        "/about has a Product too but is not a product URL"
    );
    assert_eq!(listings.len(), 2);
    let (one, warc) = &listings[0];
    assert_eq!(
        one.url,
        shop.url("/item/1.html"),
        "canonical: tracking and fragment gone"
    );
    assert_eq!(one.platform.as_deref(), Some("gbk-mall-sim"));
    assert_eq!(one.brand.as_deref(), Some("公牛"));
    assert!(one.fetched_at.is_some());
    assert_eq!(
        read_record(warc).unwrap().warc_header("WARC-Target-URI"),
        Some(shop.url("/item/1.html").as_str())
    );
    let (two, _) = &listings[1];
    assert_eq!(
        two.title, "美的 电饭煲 MB-FB40",
        "GBK page decoded through the crawler"
    );
}

#[tokio::test]
async fn a_site_may_allow_loopback_for_itself_only() {
    let shop = Shop::start("127.0.0.1", polite_shop_pages).await;
    let cfg = CrawlerConfig {
        allow_loopback: false,
        ..test_config()
    };
    let mut local = site(vec![shop.url("/")]);
    local.allow_loopback = true;
    let (report, fetched, _dir) = run(&cfg, &[local]).await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.pages_fetched, 5, "home and four pages");
    assert!(fetched.iter().all(|f| f.status == Some(200)));
}

#[tokio::test]
async fn a_run_ends_at_its_time_budget_and_leaves_the_rest_queued() {
    let shop = Shop::start("127.0.0.1", polite_shop_pages).await;
    let cfg = CrawlerConfig {
        max_run_s: Some(0.5),
        ..test_config()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(
        &cfg,
        &[site(vec![shop.url("/")])],
        MemoryFrontier::new(),
        dir.path(),
    )
    .await
    .unwrap();
    // Crawl-delay 0.2 s: robots.txt, then a page every 0.2 s until the budget is spent.
    assert!(
        (1..5).contains(&report.pages_fetched),
        "{} pages",
        report.pages_fetched
    );
    assert_eq!(frontier.in_flight(), 0, "unvisited leases were given back");
    assert!(frontier.queued() > 0, "the rest waits for the next run");
}

#[tokio::test]
async fn redirects_are_followed_once_and_loops_stop() {
    let shop = Shop::start("127.0.0.1", |p| {
        let moved = |to: &'static str| {
            (StatusCode::MOVED_PERMANENTLY, [("location", to)], "").into_response()
        };
        match p {
            "/" => html(r#"<a href="/old">o</a><a href="/new">n</a><a href="/loop1">l</a>"#),
            "/old" => moved("/new"),
            "/loop1" => moved("/loop2"),
            "/loop2" => moved("/loop1"),
            "/new" => html("new home of the page"),
            _ => not_found(),
        }
    })
    .await;
    let (_, fetched, _dir) = run(&test_config(), &[site(vec![shop.url("/")])]).await;
    let paths = shop.paths();
    for p in ["/old", "/new", "/loop1", "/loop2"] {
        assert_eq!(
            paths.iter().filter(|x| *x == p).count(),
            1,
            "{p} in {paths:?}"
        );
    }
    let old = fetched.iter().find(|f| f.url.ends_with("/old")).unwrap();
    assert_eq!(
        (old.status, old.final_url.clone()),
        (Some(301), shop.url("/new"))
    );
}

#[tokio::test]
async fn names_resolving_to_loopback_and_private_literals_are_refused_without_traffic() {
    let shop = Shop::start("127.0.0.1", |_| html("hello")).await;
    let by_name = format!("http://localhost:{}/", shop.addr.port());
    let cfg = CrawlerConfig {
        allow_loopback: false,
        ..test_config()
    };
    let (report, _, _dir) = run(&cfg, &[site(vec![by_name, "http://10.0.0.1:9/".into()])]).await;
    assert!(shop.paths().is_empty());
    assert_eq!(report.refused.len(), 2, "{:?}", report.refused);
    assert!(report
        .refused
        .iter()
        .any(|r| r.contains("localhost") && r.contains("loopback")));
    assert!(report
        .refused
        .iter()
        .any(|r| r.contains("10.0.0.1") && r.contains("private")));
}

#[tokio::test]
async fn max_pages_bounds_the_run() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => not_found(),
        _ => html(
            &(0..20)
                .map(|i| format!("<a href=\"/p{i}\">{i}</a>"))
                .collect::<String>(),
        ),
    })
    .await;
    let cfg = CrawlerConfig {
        max_pages: 3,
        ..test_config()
    };
    let (report, fetched, _dir) = run(&cfg, &[site(vec![shop.url("/")])]).await;
    assert_eq!(report.pages_fetched, 3);
    assert_eq!(fetched.len(), 3);
    assert_eq!(
        shop.paths().len(),
        4,
        "robots.txt + 3 pages: {:?}",
        shop.paths()
    );
}

#[tokio::test]
async fn infinite_or_nonsense_crawl_delays_neither_panic_nor_hang() {
    let robots = |delay: &'static str| {
        move |p: &str| match p {
            "/robots.txt" => format!("User-agent: *\nCrawl-delay: {delay}\n").into_response(),
            "/" => html(r#"<a href="/p1">1</a>"#),
            _ => html("product"),
        }
    };
    let inf = Shop::start("127.0.0.1", robots("inf")).await;
    let huge = Shop::start("127.0.0.2", robots("1e40")).await;
    let nan = Shop::start("127.0.0.3", robots("NaN")).await;
    let cfg = CrawlerConfig {
        max_crawl_delay_ms: 50,
        ..test_config()
    };
    let s = site(vec![inf.url("/"), huge.url("/"), nan.url("/")]);
    let (report, _, _dir) = tokio::time::timeout(Duration::from_secs(30), run(&cfg, &[s]))
        .await
        .expect("the crawl hung");
    assert_eq!(report.pages_fetched, 2, "{report:?}");
    for shop in [&inf, &huge] {
        let h = &report.hosts[&shop.addr.to_string()];
        assert_eq!(h.crawl_delay_capped_from_ms, Some(u64::MAX));
        assert!(h.parked.is_some(), "{h:?}");
        assert_eq!(shop.paths(), ["/robots.txt"]);
    }
    assert_eq!(report.hosts_parked, 2);
    let h = &report.hosts[&nan.addr.to_string()];
    assert_eq!(
        (h.effective_delay_ms, h.crawl_delay_capped_from_ms),
        (0, None)
    );
    assert!(report.hosts.values().all(|h| h.failure.is_none()));
}

/// A hand-written HTTP/1.1 server for answers axum would not give: `respond(path, stream)`
/// writes the whole response.
async fn raw_server<F, Fut>(respond: F) -> SocketAddr
where
    F: Fn(String, tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                respond(path, stream).await;
            });
        }
    });
    addr
}

const RAW_404: &[u8] = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn a_chunked_response_is_recorded_without_its_transfer_encoding() {
    use tokio::io::AsyncWriteExt;
    let addr = raw_server(|path, mut s| async move {
        let answer: &[u8] = if path == "/robots.txt" {
            RAW_404
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n\
              6\r\n<html>\r\n7\r\n</html>\r\n0\r\n\r\n"
        };
        let _ = s.write_all(answer).await;
        let _ = s.shutdown().await;
    })
    .await;
    let (report, fetched, _dir) =
        run(&test_config(), &[site(vec![format!("http://{addr}/")])]).await;
    let home = fetched
        .iter()
        .find(|f| f.url == format!("http://{addr}/"))
        .unwrap();
    let rec = read_record(home.warc.as_ref().unwrap()).unwrap();
    assert_eq!(
        rec.payload, b"<html></html>",
        "the payload is recorded de-chunked"
    );
    assert_eq!(rec.http_header("transfer-encoding"), None);
    assert_eq!(
        rec.http_header("x-crawler-transfer-encoding"),
        Some("chunked")
    );
    assert_eq!(rec.http_header("content-type"), Some("text/html"));
    // A standard WARC reader gets the same block.
    let records: Vec<_> = warc::WarcReader::from_path_gzip(report.warc_files[0].clone())
        .unwrap()
        .iter_records()
        .collect::<Result<_, _>>()
        .unwrap();
    let body = String::from_utf8_lossy(records[3].body()).into_owned();
    assert!(
        !body.to_ascii_lowercase().contains("\r\ntransfer-encoding:"),
        "{body}"
    );
}

#[tokio::test]
async fn a_server_trickling_bytes_is_cut_off_by_the_total_timeout() {
    use tokio::io::AsyncWriteExt;
    let addr = raw_server(|path, mut s| async move {
        if path == "/robots.txt" {
            let _ = s.write_all(RAW_404).await;
            return;
        }
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 1000\r\n\r\n";
        if s.write_all(head).await.is_err() {
            return;
        }
        // One byte every 50 ms: never idle for the read timeout, done in 50 s.
        for _ in 0..1000 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let cfg = CrawlerConfig {
        total_timeout_ms: 500,
        retries: 0,
        ..test_config()
    };
    let started = Instant::now();
    let (report, fetched, _dir) = tokio::time::timeout(
        Duration::from_secs(20),
        run(&cfg, &[site(vec![format!("http://{addr}/")])]),
    )
    .await
    .expect("the request was not cut off");
    assert!(started.elapsed() < Duration::from_secs(10));
    let home = &fetched[0];
    assert_eq!(home.status, None);
    assert!(
        home.error.as_deref().unwrap().contains("timed out"),
        "{home:?}"
    );
    assert_eq!(report.errors_by_host.values().sum::<u64>(), 1);
}

/// Sitemaps are seeds: robots.txt names an index whose children are a gzip-compressed XML
/// sitemap and a plain-text one; products linked from nowhere are found through them.
#[tokio::test]
async fn products_only_in_sitemaps_are_found_through_robots_txt() {
    let base: Arc<std::sync::OnceLock<String>> = Arc::default();
    let b = base.clone();
    let shop = Shop::start("127.0.0.1", move |p| {
        let base = b.get().unwrap().clone();
        let gz = |text: String| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            ([("content-type", "application/gzip")], e.finish().unwrap()).into_response()
        };
        match p {
            "/robots.txt" => format!("User-agent: *\nDisallow: /cart\nSitemap: {base}/sitemap_index.xml\n").into_response(),
            "/" => html("no links at all"),
            "/sitemap_index.xml" => format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/items-1.xml.gz</loc></sitemap>
  <sitemap><loc>{base}/items-2.txt</loc></sitemap>
</sitemapindex>"#
            )
            .into_response(),
            "/items-1.xml.gz" => gz(format!(
                r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/item/1.html</loc></url><url><loc>{base}/item/2.html?utm_source=map</loc></url><url><loc>{base}/cart/add?id=1</loc></url></urlset>"#
            )),
            "/items-2.txt" => format!("\u{feff}{base}/item/3.html\n\n{base}/item/1.html\n").into_response(),
            p if p.starts_with("/item/") => html(r#"<h1>LEGO 42115</h1><span class="price">¥2,999.00</span>"#),
            _ => not_found(),
        }
    })
    .await;
    base.set(format!("http://{}", shop.addr)).unwrap();
    let mut s = site(vec![shop.url("/")]);
    s.product_url = Some(r"^/item/\d+\.html$".into());
    let (report, fetched, _dir) = run(&test_config(), &[s]).await;
    let mut items: Vec<String> = shop
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("/item/"))
        .collect();
    items.sort();
    assert_eq!(
        items,
        ["/item/1.html", "/item/2.html", "/item/3.html"],
        "{:?} {report:?}",
        shop.paths()
    );
    assert_eq!(
        items,
        ["/item/1.html", "/item/2.html", "/item/3.html"],
        "each product once, canonical"
    );
    assert!(!shop.paths().iter().any(|p| p.starts_with("/cart")));
    assert_eq!(report.listings, 3, "{report:?}");
    assert!(fetched.iter().all(|f| f.error.is_none()), "{fetched:?}");
}

/// A host whose robots.txt answers 503 is not crawled at all this run (RFC 9309: assume
/// complete disallow), is reported parked, and keeps its URLs queued for the next run.
#[tokio::test]
async fn a_failing_robots_txt_parks_the_host_and_keeps_its_urls() {
    let shop = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => (StatusCode::SERVICE_UNAVAILABLE, "down").into_response(),
        _ => html("fine"),
    })
    .await;
    let cfg = CrawlerConfig {
        retries: 0,
        ..test_config()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(
        &cfg,
        &[site(vec![shop.url("/")])],
        MemoryFrontier::new(),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(shop.paths(), ["/robots.txt"]);
    let host = report.hosts.values().next().unwrap();
    assert!(
        host.parked.as_deref().is_some_and(|p| p.contains("503")),
        "{host:?}"
    );
    assert_eq!(frontier.queued(), 1, "the start URL waits for the next run");
}

/// A host that keeps failing is parked after `park_after_failures` visits in a row; its
/// other URLs are given back, not marked failed, and the other hosts finish.
#[tokio::test]
async fn a_host_that_keeps_failing_is_parked_and_the_others_finish() {
    let broken = Shop::start("127.0.0.1", |p| match p {
        "/robots.txt" => not_found(),
        "/" => html(
            &(1..=20)
                .map(|i| format!(r#"<a href="/p{i}">{i}</a>"#))
                .collect::<String>(),
        ),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
    })
    .await;
    let fine = Shop::start("127.0.0.2", polite_shop_pages).await;
    let cfg = CrawlerConfig {
        retries: 0,
        park_after_failures: 3,
        lease_batch: 4,
        ..test_config()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut other = site(vec![fine.url("/")]);
    other.name = "other-shop".into();
    let sites = [site(vec![broken.url("/")]), other];
    let (report, frontier) = crawl(&cfg, &sites, MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let pages: Vec<_> = broken
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("/p"))
        .collect();
    assert_eq!(
        pages.len(),
        3,
        "parked after three failures in a row: {pages:?}"
    );
    let h = &report.hosts[&broken.addr.to_string()];
    assert!(
        h.parked.as_deref().is_some_and(|p| p.contains("3 visits")),
        "{h:?}"
    );
    assert_eq!(
        frontier.queued(),
        17,
        "the 17 unvisited pages wait for the next run"
    );
    assert_eq!(frontier.in_flight(), 0);
    assert_eq!(fine.paths().len(), 6, "the other host finished");
}

/// Hosts waiting out a Retry-After hold no global permit: with fewer permits than throttled
/// hosts, a fast host beside them still finishes its pages at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_waiting_out_retry_after_do_not_hold_up_the_others() {
    let mut throttled = Vec::new();
    for i in 0..16 {
        throttled.push(
            Shop::start(&format!("127.0.0.{}", 10 + i), |p| match p {
                "/robots.txt" => not_found(),
                _ => (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "3")],
                    "slow down",
                )
                    .into_response(),
            })
            .await,
        );
    }
    let fast = Shop::start("127.0.0.2", |p| match p {
        "/robots.txt" => not_found(),
        "/" => html(
            &(1..=5)
                .map(|i| format!(r#"<a href="/p{i}">{i}</a>"#))
                .collect::<String>(),
        ),
        _ => html("product"),
    })
    .await;
    let cfg = CrawlerConfig {
        concurrency: 4,
        retries: 1,
        ..test_config()
    };
    let mut sites: Vec<Site> = throttled
        .iter()
        .enumerate()
        .map(|(i, s)| Site {
            name: format!("throttled-{i}"),
            ..site(vec![s.url("/")])
        })
        .collect();
    sites.push(site(vec![fast.url("/")]));
    let started = Instant::now();
    let (_report, _, _dir) = run(&cfg, &sites).await;
    let reqs = fast.requests();
    assert_eq!(reqs.len(), 7, "robots + home + 5 pages");
    let took = reqs.last().unwrap().0.duration_since(started);
    assert!(
        took < Duration::from_millis(1_000),
        "the fast host's last page came {took:?} after the start (Retry-After is 3 s)"
    );
    for s in &throttled {
        assert_eq!(s.paths().len(), 3, "robots, then the page and its retry");
    }
}

/// Parsing and extracting a hostile page (megabytes of nested tags) and compressing its
/// evidence are CPU work: they run off the async workers, so another host's requests keep
/// their pace even on a single-threaded runtime.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_page_on_one_host_does_not_stall_another() {
    let hostile_page = Arc::new(format!(
        "<!doctype html><html><body>{}</body></html>",
        "<div><span>¥19.90</span><a href=\"/p\">x</a></div>".repeat(320_000)
    ));
    let hostile = Shop::start("127.0.0.1", move |p| match p {
        "/robots.txt" => not_found(),
        _ => (
            [("content-type", "text/html; charset=utf-8")],
            hostile_page.as_str().to_owned(),
        )
            .into_response(),
    })
    .await;
    let fast = Shop::start("127.0.0.2", |p| match p {
        "/robots.txt" => not_found(),
        "/" => html(
            &(1..=15)
                .map(|i| format!(r#"<a href="/p{i}">{i}</a>"#))
                .collect::<String>(),
        ),
        _ => html("product"),
    })
    .await;
    let mut slow_site = site(vec![hostile.url("/")]);
    slow_site.name = "hostile".into();
    slow_site.max_depth = Some(0);
    let mut fast_site = site(vec![fast.url("/")]);
    fast_site.delay_ms = Some(100);
    let cfg = CrawlerConfig {
        // The page is 15.7 MB, under extraction's 16 MiB.
        max_body_bytes: 20 * 1024 * 1024,
        ..test_config()
    };
    let (_report, _, _dir) = run(&cfg, &[slow_site, fast_site]).await;
    assert_eq!(hostile.paths(), ["/robots.txt", "/"]);
    let reqs = fast.requests();
    assert_eq!(reqs.len(), 17, "robots + home + 15 pages");
    let worst = reqs
        .windows(2)
        .map(|w| w[1].0.duration_since(w[0].0))
        .max()
        .unwrap();
    // 100 ms apart; a stalled runtime shows as one gap of the hostile page's parse time
    // (about 2 s in a debug build, more on a busy machine). The bound leaves room for a
    // machine busy with other builds.
    assert!(
        worst < Duration::from_millis(1_000),
        "the fast host waited {worst:?} between two requests"
    );
}

/// The delay runs from the end of an exchange, not its start, and a host never has two
/// requests in flight: against a server taking 300 ms per answer with a 200 ms delay, each
/// request starts at least 200 ms after the previous answer ended (server-side times).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_host_gets_its_delay_after_each_answer_and_one_request_at_a_time() {
    type Spans = Arc<Mutex<Vec<(Instant, Instant, String)>>>;
    let spans: Spans = Arc::default();
    let log = spans.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let log = log.clone();
        async move {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let path = uri.path().to_owned();
            let resp = match path.as_str() {
                "/robots.txt" => not_found(),
                "/" => html(
                    &(1..=4)
                        .map(|i| format!(r#"<a href="/p{i}">{i}</a>"#))
                        .collect::<String>(),
                ),
                _ => html("product"),
            };
            log.lock().unwrap().push((start, Instant::now(), path));
            resp
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut s = site(vec![format!("http://{addr}/")]);
    s.delay_ms = Some(200);
    let (report, _, _dir) = run(&test_config(), &[s]).await;
    let mut spans = spans.lock().unwrap().clone();
    spans.sort_by_key(|s| s.0);
    assert_eq!(spans.len(), 6, "robots + home + 4 pages: {spans:?}");
    for w in spans.windows(2) {
        let (prev, next) = (&w[0], &w[1]);
        assert!(
            next.0 >= prev.1,
            "{} started before {} ended",
            next.2,
            prev.2
        );
        let gap = next.0.duration_since(prev.1);
        // 10 ms of slack for server-side scheduling jitter.
        assert!(
            gap >= Duration::from_millis(190),
            "{} started {gap:?} after {} ended",
            next.2,
            prev.2
        );
    }
    assert!(report.hosts.values().all(|h| h.effective_delay_ms == 200));
}

/// A robots.txt refresh that fails (5xx) keeps the good copy read before (RFC 9309 §2.4)
/// instead of parking the host; its rules still hold.
#[tokio::test]
async fn a_failing_robots_refresh_keeps_the_good_copy() {
    let robots_reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reads = robots_reads.clone();
    let shop = Shop::start("127.0.0.1", move |p| match p {
        "/robots.txt" => {
            if reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                "User-agent: *\nDisallow: /private\n".into_response()
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, "down").into_response()
            }
        }
        "/" => html(r#"<a href="/p1">1</a><a href="/p2">2</a><a href="/private/x">x</a>"#),
        _ => html("product"),
    })
    .await;
    let cfg = CrawlerConfig {
        // Read again before every visit.
        robots_ttl_s: 0,
        retries: 0,
        ..test_config()
    };
    let (report, _, _dir) = run(&cfg, &[site(vec![shop.url("/")])]).await;
    let pages: Vec<_> = shop
        .paths()
        .into_iter()
        .filter(|p| p != "/robots.txt")
        .collect();
    assert_eq!(pages, ["/", "/p1", "/p2"], "the cached rules still hold");
    assert!(robots_reads.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    let h = report.hosts.values().next().unwrap();
    assert_eq!(h.parked, None, "{h:?}");
    assert!(h.robots.contains("kept"), "{h:?}");
}

/// A sitemap is read up to the sitemaps.org 50 MiB once decoded, not `max_body_bytes`: a
/// gzip-encoded sitemap larger than that decoded is no longer dropped whole.
#[tokio::test]
async fn a_sitemap_larger_than_max_body_bytes_decoded_is_read() {
    let base: Arc<std::sync::OnceLock<String>> = Arc::default();
    let b = base.clone();
    let shop = Shop::start("127.0.0.1", move |p| {
        let base = b.get().unwrap().clone();
        match p {
            "/robots.txt" => not_found(),
            "/sitemap.xml" => {
                let mut xml =
                    String::from(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#);
                for i in 0..3_000 {
                    xml += &format!(
                        "<url><loc>{base}/item/{i}.html?{}</loc></url>",
                        "x".repeat(40)
                    );
                }
                xml += "</urlset>";
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(xml.as_bytes()).unwrap();
                (
                    [
                        ("content-type", "application/xml"),
                        ("content-encoding", "gzip"),
                    ],
                    e.finish().unwrap(),
                )
                    .into_response()
            }
            _ => html("page"),
        }
    })
    .await;
    base.set(format!("http://{}", shop.addr)).unwrap();
    let mut s = site(vec![shop.url("/")]);
    s.sitemaps = vec![shop.url("/sitemap.xml")];
    let cfg = CrawlerConfig {
        // The sitemap is ~250 KB decoded, a few KB on the wire.
        max_body_bytes: 64 * 1024,
        max_pages: 2,
        ..test_config()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[s], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let map = frontier
        .outcomes
        .iter()
        .find(|o| o.lease.url.path() == "/sitemap.xml")
        .expect("the sitemap was visited");
    assert_eq!(map.error, None);
    assert_eq!(map.discovered.len(), 3_000);
    assert_eq!(report.discovered, 2 + 3_000, "{report:?}");
}

/// A sitemap's `lastmod` newer than a product's last answer queues it again before its
/// recrawl time; one not newer leaves it alone.
#[tokio::test]
async fn a_newer_sitemap_lastmod_queues_a_product_again() {
    let base: Arc<std::sync::OnceLock<String>> = Arc::default();
    let b = base.clone();
    let shop = Shop::start("127.0.0.1", move |p| {
        let base = b.get().unwrap().clone();
        let old = "2020-01-01";
        let new = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
        match p {
            "/robots.txt" => not_found(),
            // The first run's sitemap dates both products long ago; the second's says
            // item 2 changed since.
            p if p.starts_with("/sitemap.xml") => {
                let second = p.ends_with("v=2");
                format!(
                    r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                    <url><loc>{base}/item/1.html</loc><lastmod>{old}</lastmod></url>
                    <url><loc>{base}/item/2.html</loc><lastmod>{}</lastmod></url></urlset>"#,
                    if second { new.to_string() } else { old.into() }
                )
                .into_response()
            }
            _ => html("product"),
        }
    })
    .await;
    base.set(format!("http://{}", shop.addr)).unwrap();
    let run_with = |frontier: MemoryFrontier, sitemap: String| {
        let mut s = site(vec![format!("{}/", sitemap.rsplit_once('/').unwrap().0)]);
        s.sitemaps = vec![sitemap];
        s.sitemaps_from_robots = false;
        s.product_url = Some(r"^/item/\d+\.html$".into());
        async move {
            let dir = tempfile::tempdir().unwrap();
            crawl(&test_config(), &[s], frontier, dir.path())
                .await
                .unwrap()
                .1
        }
    };
    let frontier = run_with(MemoryFrontier::new(), shop.url("/sitemap.xml")).await;
    let items = |shop: &Shop| {
        shop.paths()
            .into_iter()
            .filter(|p| p.starts_with("/item/"))
            .collect::<Vec<_>>()
    };
    assert_eq!(items(&shop), ["/item/1.html", "/item/2.html"]);
    let frontier = run_with(frontier, shop.url("/sitemap.xml?v=2")).await;
    assert_eq!(
        items(&shop),
        ["/item/1.html", "/item/2.html", "/item/2.html"],
        "only the product the sitemap says changed is visited again"
    );
    assert_eq!(frontier.queued() + frontier.in_flight(), 0);
}

/// A site spans the hosts its `hosts` patterns name: a start URL that redirects to another
/// of them yields that host's pages, fetched by that host's own task (robots.txt first).
#[tokio::test]
async fn a_start_url_redirecting_to_another_host_of_the_site_yields_its_pages() {
    let elsewhere = Shop::start("127.0.0.3", |_| html("not the site")).await;
    let off_site = elsewhere.url("/");
    let www = Shop::start("127.0.0.2", move |p| match p {
        "/robots.txt" => "User-agent: *\nDisallow: /private\n".into_response(),
        "/" => html(&format!(
            r#"<a href="/p1">1</a><a href="/p2">2</a><a href="/private/x">x</a><a href="{off_site}">off</a>"#
        )),
        _ => html("product"),
    })
    .await;
    let target = www.url("/");
    let bare = Shop::start("127.0.0.1", move |p| match p {
        "/robots.txt" => not_found(),
        _ => (
            StatusCode::MOVED_PERMANENTLY,
            [("location", target.clone())],
        )
            .into_response(),
    })
    .await;
    let mut s = site(vec![bare.url("/")]);
    s.hosts = vec!["127.0.0.2".into()];
    let (report, _, _dir) = run(&test_config(), &[s]).await;
    assert_eq!(bare.paths(), ["/robots.txt", "/"]);
    assert_eq!(www.paths(), ["/robots.txt", "/", "/p1", "/p2"]);
    assert!(elsewhere.paths().is_empty());
    assert_eq!(report.hosts.len(), 2, "{report:?}");
}

/// Another host of a site met in an earlier run (its URLs still queued) gets a task in the
/// next run even though no start URL or link of this run names it.
#[tokio::test]
async fn queued_urls_of_another_host_of_the_site_are_crawled_next_run() {
    let www = Shop::start("127.0.0.2", |p| match p {
        "/robots.txt" => not_found(),
        "/" => html(r#"<a href="/p1">1</a><a href="/p2">2</a><a href="/p3">3</a>"#),
        _ => html("product"),
    })
    .await;
    let target = www.url("/");
    let bare = Shop::start("127.0.0.1", move |p| match p {
        "/robots.txt" => not_found(),
        _ => (
            StatusCode::MOVED_PERMANENTLY,
            [("location", target.clone())],
        )
            .into_response(),
    })
    .await;
    let mut s = site(vec![bare.url("/")]);
    s.hosts = vec!["127.0.0.2".into()];
    let dir = tempfile::tempdir().unwrap();
    let first = CrawlerConfig {
        max_pages: 3,
        lease_batch: 1,
        ..test_config()
    };
    let (_, frontier) = crawl(
        &first,
        std::slice::from_ref(&s),
        MemoryFrontier::new(),
        dir.path(),
    )
    .await
    .unwrap();
    assert_eq!(frontier.queued(), 2, "two pages of the other host left");
    let (_, frontier) = crawl(&test_config(), &[s], frontier, dir.path())
        .await
        .unwrap();
    assert_eq!(frontier.queued(), 0);
    let mut pages: Vec<_> = www
        .paths()
        .into_iter()
        .filter(|p| p.starts_with("/p"))
        .collect();
    pages.sort();
    assert_eq!(pages, ["/p1", "/p2", "/p3"]);
}
