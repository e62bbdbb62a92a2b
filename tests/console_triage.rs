//! The console's triage, roles, search filters, CSV export, statistics and documented API,
//! end to end over real HTTP on loopback (`qsword serve`), against a store of the simulated
//! marketplace's listings plus a few written here with known sellers, marks and prices.

mod common;

use common::console::{
    add_user, get, get_json, import_scored, log_in, market_listings, post, serve, Server,
};
use common::{ok, qsword};
use qsword_listing::{Listing, Mark, Price, Seller};
use std::path::Path;

/// A word only the listings written here have.
const WORD: &str = "zqxprobe";
const FORMULA_TITLE: &str = "=HYPERLINK(\"http://evil.example\",\"open\") zqxprobe";

fn probe(n: u32, seller: &str, marks: &[&str], price: &str) -> Listing {
    let mut l = Listing::new(
        format!("https://probe.example/item/{n}"),
        format!("{WORD} 插座 {n}"),
    );
    l.platform = Some("probe.example".into());
    l.seller = Some(Seller {
        name: seller.into(),
        id: None,
        url: None,
    });
    l.marks = marks
        .iter()
        .map(|m| Mark {
            scheme: (*m).into(),
            number: None,
            source: None,
        })
        .collect();
    l.price = Some(Price::new(price, "CNY").unwrap());
    l
}

/// The market (seed 23) plus the probes; the routing sends `tianmao-sim` to zhang; accounts
/// wang (viewer), zhang (investigator, linked by name), li (investigator, unlinked), root
/// (admin). Probe 3 is delisted.
fn setup(dir: &Path) -> Server {
    let mut listings = market_listings();
    listings.push(probe(1, "甲店", &["CCC"], "10.00"));
    listings.push(probe(2, "乙店", &[], "50.00"));
    listings.push(probe(3, "甲店", &["XK"], "100.00"));
    let mut formula = probe(4, "@SUM(1+1)", &[], "5.00");
    formula.title = FORMULA_TITLE.into();
    formula.brand = Some("+cmd".into());
    listings.push(formula);
    std::fs::write(
        dir.join("qsword.toml"),
        r#"
[alerts.smtp]
host = "127.0.0.1"
port = 2525
tls = "none"

[[alerts.investigators]]
name = "zhang"
email = "zhang@center.example"
platforms = ["tianmao-sim"]
"#,
    )
    .unwrap();
    import_scored(dir, &listings);
    {
        let mut store = qsword_store::Store::open(dir.join("qsword-data/qsword.sqlite")).unwrap();
        assert!(store
            .mark_delisted("https://probe.example/item/3", chrono::Utc::now())
            .unwrap());
    }
    ok(qsword(dir, &["index"]));
    for (name, role) in [
        ("wang", "viewer"),
        ("zhang", "investigator"),
        ("li", "investigator"),
        ("root", "admin"),
    ] {
        add_user(dir, name, role);
    }
    serve(dir)
}

fn ids(v: &serde_json::Value, list: &str, key: &str) -> Vec<u64> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {v}"))
        .iter()
        .map(|h| h[key].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_bound_what_each_account_may_do() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let top = {
        let (s, _) = log_in(base, "wang").await;
        get_json(base, "/api/search?sort=risk", &s).await["hits"][0]["id"]
            .as_u64()
            .unwrap()
    };
    let listing = format!("/listing/{top}");
    let decision = format!("/listing/{top}/decision");
    let reads = [
        "/search?q=插座",
        listing.as_str(),
        "/stats",
        "/stats/category.svg",
        "/stats/day.csv",
        "/search.csv?q=插座",
        "/api/search",
        "/api/stats",
    ];
    let investigating = ["/triage", "/audit", "/api/triage", "/api/audit"];

    let (viewer, viewer_csrf) = log_in(base, "wang").await;
    for path in reads {
        assert_eq!(get(base, path, &viewer).await.0, 200, "viewer reads {path}");
    }
    for path in investigating {
        let (status, body) = get(base, path, &viewer).await;
        assert_eq!(status, 403, "viewer is refused {path}");
        assert!(
            body.contains("仅限调查员或管理员使用") && body.contains("wang 的角色是查看员"),
            "a clear refusal: {body}"
        );
    }
    let (_, page) = get(base, &listing, &viewer).await;
    assert!(!page.contains("/decision"), "no decision form for a viewer");
    let (status, _) = post(
        base,
        &decision,
        &viewer,
        &[("csrf", &viewer_csrf), ("decision", "confirm")],
    )
    .await;
    assert_eq!(status, 403, "a viewer cannot decide, even with the token");

    for name in ["zhang", "root"] {
        let (s, csrf) = log_in(base, name).await;
        for path in reads.iter().chain(&investigating) {
            assert_eq!(get(base, path, &s).await.0, 200, "{name} reads {path}");
        }
        let (status, to) = post(
            base,
            &decision,
            &s,
            &[("csrf", &csrf), ("decision", "dismiss"), ("note", name)],
        )
        .await;
        assert_eq!((status, to.as_str()), (303, listing.as_str()), "{name}");
    }
    // Admin only: the accounts and whom each stands for in the triage queue.
    for name in ["wang", "zhang"] {
        let (s, _) = log_in(base, name).await;
        let (status, body) = get(base, "/staff", &s).await;
        assert_eq!(status, 403, "{name}: {body}");
        assert!(body.contains("仅限管理员使用"), "{body}");
    }
    let (root, _) = log_in(base, "root").await;
    let (status, staff) = get(base, "/staff", &root).await;
    assert_eq!(status, 200);
    assert!(
        staff.contains("<td>zhang</td><td>调查员</td><td>zhang &lt;zhang@center.example&gt;</td>"),
        "{staff}"
    );
    assert!(
        staff.contains("<td>li</td><td>调查员</td><td>未关联"),
        "{staff}"
    );

    // wang's first session ended when wang logged in again above.
    assert_eq!(get(base, "/api/search", &viewer).await.0, 401);
    let (viewer, _) = log_in(base, "wang").await;
    // Who decided what is not a viewer's to read (as /audit): neither in the API nor on the page.
    let api = get_json(base, &format!("/api/listing/{top}"), &viewer).await;
    assert!(api["labels"].is_null() && api["notes"].is_null(), "{api}");
    let (_, page) = get(base, &listing, &viewer).await;
    assert!(!page.contains("<h2>Decisions</h2>"), "{page}");
    // Admin only: the access log.
    assert_eq!(get(base, "/access", &viewer).await.0, 403);
    let api = get_json(base, &format!("/api/listing/{top}"), &root).await;
    let who: Vec<&str> = api["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["who"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["zhang", "root"], "only the allowed decisions: {api}");

    // Without a session: pages to the login form, the API 401, the decision form 403.
    for path in ["/triage", "/audit", "/stats", "/search.csv"] {
        let (status, _) = get(base, path, "").await;
        assert_eq!(status, 303, "{path}");
    }
    for path in ["/api/triage", "/api/audit", "/api/stats"] {
        assert_eq!(get(base, path, "").await.0, 401, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_a_csrf_checked_label_in_the_audit_trail_that_trains_the_detector() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (s, csrf) = log_in(base, "li").await;
    let queue = get_json(base, "/api/triage?all=1", &s).await;
    let first = queue["items"][0]["listing_id"].as_u64().unwrap();
    let decided_today = |stats: &serde_json::Value| {
        let today = stats["by_day"].as_array().unwrap().last().unwrap().clone();
        (today["confirmed"].as_u64(), today["dismissed"].as_u64())
    };
    let before = get_json(base, "/api/stats", &s).await;
    assert_eq!(decided_today(&before), (Some(0), Some(0)));
    let listing = format!("/listing/{first}");
    let action = format!("/listing/{first}/decision");

    // The form the browser tests click, exactly.
    let (_, page) = get(base, &listing, &s).await;
    for markup in [
        format!("<form method=\"post\" action=\"/listing/{first}/decision\""),
        "<textarea name=\"note\"".to_string(),
        "<button name=\"decision\" value=\"confirm\">确认</button>".to_string(),
        "<button name=\"decision\" value=\"dismiss\">排除</button>".to_string(),
    ] {
        assert!(page.contains(&markup), "{markup} in {page}");
    }

    for token in ["", "deadbeef"] {
        let (status, _) = post(
            base,
            &action,
            &s,
            &[("csrf", token), ("decision", "confirm")],
        )
        .await;
        assert_eq!(status, 403, "token {token:?}");
    }
    let (status, _) = post(base, &action, &s, &[("csrf", &csrf), ("decision", "maybe")]).await;
    assert_eq!(status, 400, "an unknown decision");
    let (status, _) = post(base, &action, &s, &[("csrf", &csrf), ("note", "  ")]).await;
    assert_eq!(status, 400, "nothing to record");
    let api = get_json(base, &format!("/api/listing/{first}"), &s).await;
    assert_eq!(
        api["labels"],
        serde_json::json!([]),
        "nothing stored: {api}"
    );

    let (status, to) = post(
        base,
        &action,
        &s,
        &[
            ("csrf", &csrf),
            ("note", "店铺无 3C <b>证书</b>"),
            ("decision", "note"),
        ],
    )
    .await;
    assert_eq!((status, to.as_str()), (303, listing.as_str()));
    let (status, _) = post(
        base,
        &action,
        &s,
        &[
            ("csrf", &csrf),
            ("note", "假冒，已取证"),
            ("decision", "confirm"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = get(base, &listing, &s).await;
    let note_at = page
        .find("<b>备注</b> （li） — 店铺无 3C &lt;b&gt;证书")
        .expect(&page);
    let confirm_at = page.find("<b>确认</b> （li） — 假冒，已取证").expect(&page);
    assert!(note_at < confirm_at, "history oldest first");

    let audit = get_json(base, "/api/audit", &s).await;
    assert_eq!(audit["total"], 2, "{audit}");
    assert_eq!(audit["entries"][0]["action"], "confirm");
    assert_eq!(audit["entries"][0]["who"], "li");
    assert_eq!(audit["entries"][0]["listing_id"], first);
    assert_eq!(audit["entries"][1]["action"], "note");
    let (_, audit_page) = get(base, "/audit", &s).await;
    assert!(audit_page.contains("假冒，已取证"), "{audit_page}");
    let after = get_json(base, "/api/triage?all=1", &s).await;
    assert!(
        !ids(&after, "items", "listing_id").contains(&first),
        "decided: out of the queue"
    );
    assert_eq!(
        after["total"].as_u64().unwrap() + 1,
        queue["total"].as_u64().unwrap()
    );

    // 11 more confirmed (the riskiest), 12 dismissed (the least risky): detect --train learns
    // from exactly these console decisions.
    let queued = ids(&after, "items", "listing_id");
    let low = get_json(base, "/api/search?max_risk=0.3&q=", &s).await;
    let low = ids(&low, "hits", "id");
    assert!(queued.len() >= 11 && low.len() >= 12, "{queued:?} {low:?}");
    for (id, decision) in queued[..11]
        .iter()
        .map(|i| (i, "confirm"))
        .chain(low[..12].iter().map(|i| (i, "dismiss")))
    {
        let (status, _) = post(
            base,
            &format!("/listing/{id}/decision"),
            &s,
            &[("csrf", &csrf), ("decision", decision)],
        )
        .await;
        assert_eq!(status, 303);
    }
    // The statistics count them at once (their cache follows the store).
    let after = get_json(base, "/api/stats", &s).await;
    assert_eq!(decided_today(&after), (Some(12), Some(12)), "{after}");
    let out = ok(qsword(tmp.path(), &["detect", "--train"]));
    assert!(
        out.contains("trained on 24 labels (12 confirmed, 12 dismissed)"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_triage_queue_is_riskiest_first_and_follows_the_investigators_routing() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (zhang, _) = log_in(base, "zhang").await;
    let mine = get_json(base, "/api/triage", &zhang).await;
    let all = get_json(base, "/api/triage?all=1", &zhang).await;
    let stats = get_json(base, "/api/stats", &zhang).await;
    assert_eq!(mine["routed_for"], "zhang");
    assert_eq!(all["routed_for"], serde_json::Value::Null);
    let (n_mine, n_all) = (
        mine["total"].as_u64().unwrap(),
        all["total"].as_u64().unwrap(),
    );
    assert!(0 < n_mine && n_mine < n_all, "{n_mine} of {n_all}");
    assert_eq!(
        n_all,
        stats["flagged"].as_u64().unwrap(),
        "every flagged listing"
    );
    for item in mine["items"].as_array().unwrap() {
        assert_eq!(item["platform"], "tianmao-sim", "{item}");
    }
    let risks: Vec<f64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["risk"].as_f64().unwrap())
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
    assert_eq!(risks.len(), n_all.min(20) as usize, "one page");
    if n_all > 20 {
        let second = get_json(base, "/api/triage?all=1&page=2", &zhang).await;
        assert!(second["items"][0]["risk"].as_f64().unwrap() <= risks[19]);
    }
    let (_, page) = get(base, "/triage", &zhang).await;
    assert!(page.contains("分派给 zhang"), "{page}");
    assert!(page.contains("显示全部"), "{page}");

    // An investigator without a routing sees everything, and is told why.
    let (li, _) = log_in(base, "li").await;
    assert_eq!(get_json(base, "/api/triage", &li).await["total"], n_all);
    let (_, page) = get(base, "/triage", &li).await;
    assert!(
        page.contains("未关联 [[alerts.investigators]] 中的调查员"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_search_filter_changes_the_hits_as_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (s, _) = log_in(base, "wang").await;
    let probes = |path: String| {
        let s = s.clone();
        async move {
            let v = get_json(base, &format!("/api/search?q={WORD}&{path}"), &s).await;
            assert_eq!(v["warnings"], serde_json::json!([]), "{path}: {v}");
            let mut n: Vec<u64> = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    let url = h["url"].as_str().unwrap();
                    url.rsplit('/').next().unwrap().parse().unwrap()
                })
                .collect();
            n.sort();
            n
        }
    };
    let today = chrono::Utc::now().date_naive();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    assert_eq!(probes(String::new()).await, [1, 2, 4], "live by default");
    assert_eq!(probes("seller=甲店".into()).await, [1]);
    assert_eq!(probes("seller=甲店&delisted=include".into()).await, [1, 3]);
    assert_eq!(probes("delisted=only".into()).await, [3]);
    assert_eq!(probes("mark=CCC".into()).await, [1]);
    assert_eq!(probes("mark=none".into()).await, [2, 4]);
    assert_eq!(probes("without_mark=CCC".into()).await, [2, 4]);
    assert_eq!(probes("min_price=20&max_price=60".into()).await, [2]);
    assert_eq!(probes("max_price=9".into()).await, [4]);
    assert_eq!(probes(format!("since={today}")).await, [1, 2, 4]);
    assert_eq!(probes(format!("since={tomorrow}")).await, Vec::<u64>::new());
    assert_eq!(
        probes(format!("until={yesterday}")).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        probes(format!("seen_since={today}&seen_until={today}")).await,
        [1, 2, 4]
    );
    assert_eq!(
        probes(format!("seen_until={yesterday}")).await,
        Vec::<u64>::new()
    );

    // Risk bounds over the whole index: each side holds only its risks, together not more.
    let total = get_json(base, "/api/search", &s).await["total"]
        .as_u64()
        .unwrap();
    let hi = get_json(base, "/api/search?min_risk=0.6&sort=risk", &s).await;
    let lo = get_json(base, "/api/search?max_risk=0.2&sort=risk", &s).await;
    let risks = |v: &serde_json::Value| -> Vec<f64> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["risk"].as_f64().unwrap())
            .collect()
    };
    assert!(!risks(&hi).is_empty() && risks(&hi).iter().all(|r| *r >= 0.6));
    assert!(!risks(&lo).is_empty() && risks(&lo).iter().all(|r| *r <= 0.2));
    assert!(hi["total"].as_u64().unwrap() + lo["total"].as_u64().unwrap() <= total);

    // A bad value is ignored with a warning naming it.
    let bad = get_json(
        base,
        &format!("/api/search?q={WORD}&min_price=cheap&delisted=maybe"),
        &s,
    )
    .await;
    let warnings = bad["warnings"].to_string();
    assert!(
        warnings.contains("已忽略最低价“cheap”") && warnings.contains("下架条件“maybe”"),
        "{warnings}"
    );

    // The page is bookmarkable: the filters are in the form and in every link it makes.
    let (_, page) = get(
        base,
        &format!("/search?q={WORD}&seller=%E7%94%B2%E5%BA%97&delisted=include&max_price=200"),
        &s,
    )
    .await;
    assert!(page.contains("name=\"seller\" value=\"甲店\""), "{page}");
    assert!(
        page.contains("<option value=\"include\" selected>"),
        "{page}"
    );
    assert!(
        page.contains("max_price=200"),
        "links keep the filters: {page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_streams_every_hit_and_neutralises_formula_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (s, _) = log_in(base, "wang").await;
    let api = get_json(base, "/api/search?sort=risk", &s).await;
    let total = api["total"].as_u64().unwrap() as usize;
    assert!(total > 20, "more than a page: {total}");
    let resp = common::console::client()
        .get(format!("{base}/search.csv?sort=risk&page=3"))
        .header("cookie", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = resp.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap().get(0), Some("id"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), total, "every hit, whatever the page");
    let first_ids: Vec<String> = ids(&api, "hits", "id")
        .iter()
        .map(|i| i.to_string())
        .collect();
    let csv_ids: Vec<String> = rows
        .iter()
        .take(first_ids.len())
        .map(|r| r[0].to_string())
        .collect();
    assert_eq!(csv_ids, first_ids, "in the search's order");
    let formula = rows
        .iter()
        .find(|r| r[2].contains("HYPERLINK"))
        .expect("the formula listing");
    assert_eq!(&formula[2], format!("'{FORMULA_TITLE}"));
    assert_eq!(&formula[3], "'+cmd");
    assert_eq!(&formula[5], "'@SUM(1+1)");
    for r in &rows {
        for cell in r.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} in {r:?}");
        }
    }
    let filtered = get(base, &format!("/search.csv?q={WORD}&seller=乙店"), &s)
        .await
        .1;
    assert_eq!(filtered.lines().count(), 2, "header + probe 2: {filtered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_are_the_stores_numbers_with_svg_charts_and_csv_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (s, _) = log_in(base, "wang").await;
    let api = get_json(base, "/api/stats", &s).await;
    let store = qsword_store::Store::open(tmp.path().join("qsword-data/qsword.sqlite")).unwrap();
    let expected = serde_json::to_value(store.statistics(Default::default(), 20).unwrap()).unwrap();
    assert_eq!(api, expected);
    let listings = ok(qsword(tmp.path(), &["export"])).lines().count() as u64;
    assert_eq!(
        api["listings"].as_u64().unwrap() + 1,
        listings,
        "all live but probe 3"
    );
    let by_platform: u64 = api["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["flagged"].as_u64().unwrap())
        .sum();
    assert_eq!(by_platform, api["flagged"].as_u64().unwrap());
    assert!(api["by_signal"].as_array().unwrap().len() >= 2, "{api}");

    let (_, page) = get(base, "/stats", &s).await;
    for table in ["category", "platform", "signal", "day", "sellers"] {
        assert!(
            page.contains(&format!("<img src=\"/stats/{table}.svg\"")),
            "{table}"
        );
        let resp = common::console::client()
            .get(format!("{base}/stats/{table}.svg"))
            .header("cookie", &s)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["content-type"], "image/svg+xml", "{table}");
        assert!(resp.text().await.unwrap().starts_with("<svg"), "{table}");
        let (status, csv) = get(base, &format!("/stats/{table}.csv"), &s).await;
        assert_eq!(status, 200);
        assert!(csv.lines().count() >= 2, "{table}: header and rows: {csv}");
    }
    let top = &api["top_sellers"][0];
    assert!(
        page.contains(&format!(
            "<td>{}</td><td>{}</td>",
            top["listings"], top["flagged"]
        )),
        "{page}"
    );
    assert_eq!(get(base, "/stats/nothing.svg", &s).await.0, 404);

    // A period: what was first seen in it (probe 3, delisted since, included).
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    let now = get_json(base, &format!("/api/stats?since={today}&until={today}"), &s).await;
    assert_eq!(now["listings"].as_u64().unwrap(), listings, "{now}");
    assert_eq!(now["by_day"].as_array().unwrap().len(), 1);
    let later = get_json(base, &format!("/api/stats?since={tomorrow}"), &s).await;
    assert_eq!(
        (later["listings"].as_u64(), later["flagged"].as_u64()),
        (Some(0), Some(0))
    );
    let (_, page) = get(base, &format!("/stats?since={today}"), &s).await;
    assert!(
        page.contains(&format!("/stats/day.csv?since={today}")),
        "{page}"
    );
    let (status, body) = get(base, "/api/stats?since=last+week", &s).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("首次发现起“last week”"), "{body}");
}

/// Every endpoint `docs/api.md` documents answers as documented (`### GET /path` headings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_api_endpoint_answers() {
    let doc = std::fs::read_to_string(common::repo().join("docs/api.md")).unwrap();
    let endpoints: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### GET "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(endpoints.len() >= 5, "{endpoints:?}");
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let (s, _) = log_in(base, "root").await;
    let id = get_json(base, "/api/search", &s).await["hits"][0]["id"].clone();
    for e in endpoints {
        let path = e.replace("{id}", &id.to_string());
        let (status, body) = get(base, &path, &s).await;
        assert_eq!(status, 200, "{path}: {body}");
        if path.starts_with("/api/") {
            serde_json::from_str::<serde_json::Value>(&body)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        let refused = if path.starts_with("/api/") { 401 } else { 303 };
        assert_eq!(
            get(base, &path, "").await.0,
            refused,
            "{path} without a session"
        );
    }
}
