//! The console's evidence and listing-page extras over real HTTP, against a crawled store
//! (simulated marketplace + one hostile shop, see `common/crawled.rs`): the captured page for
//! the sandboxed frame with its own policy, the WARC download whose digests verify with a
//! standard reader, the JSON case sheet, the price-history chart, the other offers of the
//! product and the seller's other listings; nothing without a session.

mod common;

use common::console::{client, get, get_json, get_response, log_in};
use common::crawled::{crawled_console, USER, XSS_TITLE};
use qsword_crawler::sha1_base32;
use warc::{WarcHeader, WarcReader};

/// Undoes minijinja's HTML escaping, for substring checks on rendered pages.
fn unescape(html: &str) -> String {
    html_escape::decode_html_entities(html).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_frame_downloads_and_extras_of_a_crawled_listing() {
    let console = crawled_console(8);
    let base = &console.base;
    let (session, _) = log_in(base, USER).await;
    let c = client();

    // A price-flagged listing of the market (its flag names its product group).
    let flagged = get_json(base, "/api/search?sort=risk&min_risk=0.3", &session).await;
    let mut target = None;
    for hit in flagged["hits"].as_array().unwrap() {
        let id = hit["id"].as_u64().unwrap();
        let api = get_json(base, &format!("/api/listing/{id}"), &session).await;
        let price_flag = api["assessment"]["flags"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["signal"] == "price").cloned());
        if let Some(flag) = price_flag {
            target = Some((id, api, flag));
            break;
        }
    }
    let (id, api, price_flag) = target.expect("a price-flagged listing among the riskiest");
    let url = api["listing"]["url"].as_str().unwrap().to_string();
    let record_id = api["warc"]["record_id"].as_str().unwrap().to_string();

    // The listing page: the frame (sandboxed, no scripts), digest and time, download links.
    let resp = get_response(base, &format!("/listing/{id}"), &session).await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "no scripts on the page: {csp}");
    let mut page = unescape(&resp.text().await.unwrap());
    // The product groups are worked out in the background after the store changed: a slow
    // machine may show "正在重新计算" (being worked out) first.
    let started = std::time::Instant::now();
    while page.contains("正在重新计算") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the product groups are never ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        page = unescape(&get(base, &format!("/listing/{id}"), &session).await.1);
    }
    let frame_at = page.find("<iframe").expect("the evidence frame");
    let frame_tag = &page[frame_at..frame_at + page[frame_at..].find('>').unwrap()];
    assert!(
        frame_tag.contains(&format!("src=\"/listing/{id}/evidence\""))
            && frame_tag.contains(" sandbox"),
        "{frame_tag}"
    );
    assert!(!frame_tag.contains("allow-"), "a bare sandbox: {frame_tag}");
    assert!(
        page.contains(&format!("/listing/{id}/evidence.warc.gz")),
        "download link"
    );
    assert!(
        page.contains(&format!("/listing/{id}/evidence.json")),
        "case sheet link"
    );
    assert!(page.contains(&record_id), "the record id is shown");
    assert!(page.contains("采集时间"), "the capture time");

    // Price history: a chart from the server (an image the policy allows) and its table.
    assert!(
        page.contains(&format!("<img src=\"/listing/{id}/price-history.svg\"")),
        "the chart"
    );
    let chart = get_response(base, &format!("/listing/{id}/price-history.svg"), &session).await;
    assert_eq!(chart.status(), 200);
    assert_eq!(chart.headers()["content-type"], "image/svg+xml");
    let svg = chart.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<circle"), "{svg}");
    assert!(!svg.contains("<script"), "{svg}");

    // The other offers of its product group (the group its price flag names), with prices,
    // and the seller's other listings.
    let group = price_flag["evidence"]["group"]
        .as_str()
        .expect("the flag's group");
    assert!(
        page.contains(group),
        "the product group {group} is named: {page}"
    );
    let offers_at = page
        .find("id=\"group-offers\"")
        .expect("a table of other offers");
    let offers = &page[offers_at..offers_at + page[offers_at..].find("</table>").unwrap()];
    let offer_rows = offers.matches("<tr><td>").count();
    let others = price_flag["evidence"]["offers"].as_u64().unwrap_or(0) as usize;
    // Every other priced offer the flag's reference was taken over (the flag's `offers` counts
    // the others: the reference leaves the listing itself out).
    assert_eq!(offer_rows, others.min(30), "{offers}");
    assert!(
        offers.contains("/listing/") && offers.contains("<td>¥"),
        "prices: {offers}"
    );
    assert!(page.contains("该商家的其他商品"), "{page}");

    // The frame's document: the captured page, decoded, under its own sandbox policy.
    let frame = get_response(base, &format!("/listing/{id}/evidence"), &session).await;
    assert_eq!(frame.status(), 200);
    let h = frame.headers();
    let frame_csp = h["content-security-policy"].to_str().unwrap();
    for part in ["sandbox", "default-src 'none'", "frame-ancestors 'self'"] {
        assert!(frame_csp.contains(part), "{part} in {frame_csp}");
    }
    assert!(!frame_csp.contains("script-src"), "{frame_csp}");
    assert_eq!(h["x-frame-options"], "SAMEORIGIN");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let captured = frame.text().await.unwrap();
    let title = api["listing"]["title"].as_str().unwrap();
    let shown = title.split_whitespace().next().unwrap();
    assert!(
        captured.contains(shown),
        "the captured page shows {shown:?}"
    );

    // A GBK page (charset only in its <meta>) comes out as UTF-8 text, as the crawler read it.
    let gbk = get_json(base, "/api/search?platform=gbk-mall-sim", &session).await;
    let gbk_hit = &gbk["hits"][0];
    let gbk_id = gbk_hit["id"].as_u64().expect("a listing of the GBK shop");
    let gbk_frame = get_response(base, &format!("/listing/{gbk_id}/evidence"), &session).await;
    assert_eq!(
        gbk_frame.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let gbk_page = gbk_frame.text().await.unwrap();
    let gbk_title = gbk_hit["title"].as_str().unwrap();
    assert!(
        gbk_page.contains(gbk_title),
        "the GBK capture decoded: {gbk_title:?} in {gbk_page}"
    );

    // Download: the WARC exchange as stored — a standard reader verifies its digests.
    let warc = get_response(base, &format!("/listing/{id}/evidence.warc.gz"), &session).await;
    assert_eq!(warc.status(), 200);
    assert!(warc.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bytes = warc.bytes().await.unwrap().to_vec();
    let path = console.dir.path().join("download.warc.gz");
    std::fs::write(&path, &bytes).unwrap();
    let records: Vec<_> = WarcReader::from_path_gzip(&path)
        .unwrap()
        .iter_records()
        .map(|r| r.expect("a WARC record"))
        .collect();
    assert_eq!(records.len(), 2, "the response and its request");
    let response = &records[0];
    assert_eq!(response.header(WarcHeader::WarcType).unwrap(), "response");
    assert_eq!(response.warc_id(), record_id);
    assert_eq!(
        response.header(WarcHeader::TargetURI).unwrap(),
        url.as_str()
    );
    for rec in &records {
        assert_eq!(
            rec.header(WarcHeader::BlockDigest).unwrap(),
            sha1_base32(rec.body()),
            "the block digest of the {} record verifies",
            rec.header(WarcHeader::WarcType).unwrap()
        );
    }
    let body = response.body();
    let payload = &body[body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let payload_digest = response
        .header(WarcHeader::PayloadDigest)
        .unwrap()
        .into_owned();
    assert_eq!(payload_digest, sha1_base32(payload));
    assert!(
        page.contains(&payload_digest),
        "the page shows the payload digest"
    );
    assert!(page.contains("✓ 存储的正文与摘要一致"), "and checks it");
    assert!(
        !page.contains("与库中记录的"),
        "the store's digest is the record's"
    );
    assert_eq!(records[1].header(WarcHeader::WarcType).unwrap(), "request");
    assert_eq!(
        records[1].header(WarcHeader::ConcurrentTo).unwrap(),
        record_id.as_str()
    );

    // The case sheet: the listing, its flags, the capture, and the download's SHA-1.
    let (status, sheet) = get(base, &format!("/listing/{id}/evidence.json"), &session).await;
    assert_eq!(status, 200);
    let sheet: serde_json::Value = serde_json::from_str(&sheet).unwrap();
    assert_eq!(sheet["listing"]["url"], url.as_str());
    assert_eq!(sheet["capture"]["payload_digest"], payload_digest.as_str());
    assert_eq!(sheet["capture"]["payload_digest_verified"], true);
    assert_eq!(sheet["capture"]["warc_record_id"], record_id.as_str());
    assert_eq!(sheet["capture"]["http_status"], 200);
    assert!(
        sheet["capture"]["captured_at"].as_str().is_some(),
        "{sheet}"
    );
    assert_eq!(sheet["warc_download"]["sha1"], sha1_base32(&bytes).as_str());
    assert!(sheet["assessment"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["signal"] == "price"));

    // Without a session every evidence route sends to the login form.
    for path in [
        "evidence",
        "evidence.warc.gz",
        "evidence.json",
        "price-history.svg",
    ] {
        let resp = c
            .get(format!("{base}/listing/{id}/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let to = resp.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{path}: {to}");
    }

    // Each view and download of the evidence is in the access log, by whom.
    let store = qsword_store::Store::open(console.dir.path().join("data/qsword.sqlite")).unwrap();
    let (log, _) = store.access_log(1000, 0).unwrap();
    let by_user = |action: &str, target: &str| {
        log.iter()
            .any(|a| a.who == USER && a.action == action && a.target.as_deref() == Some(target))
    };
    assert!(by_user("evidence_view", &id.to_string()), "{log:?}");
    assert!(
        by_user("evidence_download", &format!("{id} evidence.warc.gz")),
        "{log:?}"
    );
    assert!(
        by_user("evidence_download", &format!("{id} evidence.json")),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_listing_is_text_on_the_page_and_sandboxed_in_the_frame() {
    let console = crawled_console(4);
    let base = &console.base;
    let (session, _) = log_in(base, USER).await;
    let found = get_json(base, "/api/search?q=安全插座", &session).await;
    let hit = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["url"] == console.hostile_url.as_str())
        .unwrap_or_else(|| panic!("the hostile listing is crawled and found: {found}"))
        .clone();
    assert_eq!(
        hit["title"], XSS_TITLE,
        "the crawler kept the payload as text"
    );
    let id = hit["id"].as_u64().unwrap();
    let (status, page) = get(base, &format!("/listing/{id}"), &session).await;
    assert_eq!(status, 200);
    for payload in [
        "<script>window",
        "<img src=x",
        "<svg",
        "<iframe src=\"javascript",
        "href=\"javascript:",
    ] {
        assert!(!page.contains(payload), "{payload} escaped: {page}");
    }
    assert!(
        page.contains("&lt;script&gt;window.__xss=1"),
        "shown as text"
    );
    // The frame's document is the capture itself, scripts and all: only its policy (and the
    // frame's sandbox, checked in the browser test) keep them from running.
    let resp = get_response(base, &format!("/listing/{id}/evidence"), &session).await;
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("sandbox;"), "{csp}");
    let captured = resp.text().await.unwrap();
    assert!(
        captured.contains("<script>window.__xss=6"),
        "the capture as received"
    );
}
