//! End-to-end tests of the web console over real HTTP on loopback: `qsword users add`, then
//! `qsword serve --addr 127.0.0.1:0` against a store with imported, scored, indexed listings.
//! (Triage, roles and statistics are in `console_triage.rs`, the evidence over HTTP in
//! `console_evidence.rs`, headless-browser tests in `console_browser.rs`.)

mod common;

use common::console::{
    add_user, client, get, get_json, import_scored, log_in, market_listings, serve, Server,
};
use qsword_listing::{Listing, Price};
use std::path::Path;

const XSS_TITLE: &str =
    "公牛插座 <script>alert(1)</script><img src=x onerror=alert(2)> \"><b>broken";

fn setup(dir: &Path) -> Server {
    let mut listings = market_listings();
    let mut xss = Listing::new("javascript:alert(3)", XSS_TITLE);
    xss.brand = Some("公牛<svg onload=alert(4)>".into());
    xss.description = Some("高仿 <iframe src=javascript:alert(5)></iframe>".into());
    xss.price = Some(Price::new("9.90", "CNY").unwrap());
    listings.push(xss);
    import_scored(dir, &listings);
    add_user(dir, "zhang", "investigator");
    serve(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_logs_in_searches_chinese_and_shows_a_listing_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let c = client();
    let (session, _csrf) = log_in(base, "zhang").await;

    let resp = c
        .get(format!("{base}/search?q=公牛插座&sort=risk"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("risk-"), "risk badges: {html}");
    assert!(!html.contains("<script>alert"), "escaped: {html}");
    assert!(!html.contains("<img src=x"), "escaped: {html}");
    assert!(!html.contains("<svg"), "escaped: {html}");
    assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");

    // A facet count is a link that adds its filter (and marks it chosen).
    let at = html.find("<nav class=\"facets\">").expect("facets");
    let href_at = html[at..]
        .find("href=\"&#x2f;search?")
        .expect("a facet link")
        + at
        + 6;
    let href = html[href_at..html[href_at..].find('"').unwrap() + href_at]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/");
    let (status, faceted) = get(base, &href, &session).await;
    assert_eq!(status, 200, "{href}");
    assert!(faceted.contains("✓"), "the chosen facet is marked: {href}");
    let (status, css) = get(base, "/static/console.css", "").await;
    assert!(
        status == 200 && css.contains(".badge"),
        "the embedded stylesheet"
    );

    // The JSON API mirrors the page and finds the hostile listing among the Chinese hits.
    let api = get_json(base, "/api/search?q=公牛插座&sort=risk", &session).await;
    assert!(api["total"].as_u64().unwrap() >= 1, "{api}");
    assert!(api["facets"]["brand"].is_array(), "{api}");
    let xss = api["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == XSS_TITLE)
        .unwrap_or_else(|| panic!("the XSS listing is found: {api}"));
    let id = xss["id"].as_u64().unwrap();
    assert!(
        html.contains(&format!("/listing/{id}")),
        "linked from the page"
    );

    let listing = c
        .get(format!("{base}/listing/{id}"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), 200);
    let page = listing.text().await.unwrap();
    for payload in [
        "<script>",
        "<img src=x",
        "<svg",
        "<iframe",
        "href=\"javascript:",
    ] {
        assert!(!page.contains(payload), "{payload} escaped: {page}");
    }
    assert!(page.contains("onerror=alert(2)"), "shown as text: {page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"), "{page}");
    // The flags with their reasons, in Chinese: 高仿 in the description is a cue word.
    assert!(
        page.contains("<td>售假用语</td>") && page.contains("描述中的“高仿”"),
        "the cue flag is shown: {page}"
    );

    let api = get_json(base, &format!("/api/listing/{id}"), &session).await;
    assert_eq!(api["listing"]["title"], XSS_TITLE, "{api}");
    assert!(api["assessment"]["flags"].is_array(), "{api}");

    // A flagged listing of the market: its flags come with numbers.
    let flagged = get_json(base, "/api/search?sort=risk&min_risk=0.5", &session).await;
    let top = flagged["hits"][0]["id"]
        .as_u64()
        .expect("a flagged listing");
    let (_, page) = get(base, &format!("/listing/{top}"), &session).await;
    assert!(
        page.contains("<h2>风险提示</h2>") && page.contains("<pre>{"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_refuses_without_session_or_csrf_token() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let c = client();

    // No session: pages go to the login form, the API answers 401, POSTs are refused.
    for path in ["/search?q=插座", "/listing/1"] {
        let resp = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let to = resp.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/login?next="), "{to}");
    }
    for path in ["/api/search", "/api/listing/1"] {
        let api = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(api.status(), 401, "{path}");
    }
    let forged = c
        .post(format!("{base}/logout"))
        .header("cookie", "qsword_session=0000")
        .form(&[("csrf", "0000")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // Login without the form's token, or with a wrong password.
    let no_token = c
        .post(format!("{base}/login"))
        .form(&[("name", "zhang"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);

    // With a session, a POST without (or with a wrong) CSRF token is refused.
    let (session, csrf) = log_in(base, "zhang").await;
    for token in ["", "deadbeef"] {
        let resp = c
            .post(format!("{base}/logout"))
            .header("cookie", &session)
            .form(&[("csrf", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "token {token:?}");
    }
    let still = c
        .get(format!("{base}/search"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200, "the refused logout ended nothing");
    let out = c
        .post(format!("{base}/logout"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = c
        .get(format!("{base}/search"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 303, "the session ended");
}

/// Issue 21: Chinese unless the browser prefers English (before login as after); a footer
/// link switches and a cookie keeps the choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_chinese_by_default_and_english_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path());
    let base = &server.base;
    let c = client();
    let page = |path: &'static str, headers: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move {
            let mut req = c.get(format!("{base}{path}"));
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let resp = req.send().await.unwrap();
            let lang = resp.headers()["content-language"]
                .to_str()
                .unwrap()
                .to_string();
            (lang, resp.text().await.unwrap())
        }
    };

    // Before login: the login form.
    let (lang, zh) = page("/login", vec![]).await;
    assert_eq!(lang, "zh-CN");
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    assert!(zh.contains("<h1>登录</h1>") && zh.contains("密码"), "{zh}");
    assert!(zh.contains(">English</a>"), "a link to English: {zh}");
    assert!(!zh.contains("Password"), "{zh}");
    let chinese_first = ("accept-language", "zh-CN,zh;q=0.9,en;q=0.8".to_string());
    let (lang, _) = page("/login", vec![chinese_first.clone()]).await;
    assert_eq!(lang, "zh-CN");
    let english = ("accept-language", "en-GB,en;q=0.9,zh;q=0.5".to_string());
    let (lang, en) = page("/login", vec![english.clone()]).await;
    assert_eq!(lang, "en");
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(
        en.contains("<h1>Log in</h1>") && en.contains("Password"),
        "{en}"
    );
    assert!(!en.contains("密码"), "{en}");

    // A wrong password: refused in the page's language.
    let wrong = c.get(format!("{base}/login")).send().await.unwrap();
    let (csrf_cookie, _) = common::console::set_cookie(&wrong, "qsword_login_csrf");
    let csrf = csrf_cookie.split_once('=').unwrap().1.to_string();
    let refused = c
        .post(format!("{base}/login"))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "zhang"),
            ("password", "wrong"),
            ("next", "/search"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("用户名或密码错误。"));

    // Logged in: the search page and a listing's flags.
    let (session, _) = log_in(base, "zhang").await;
    let cookie = ("cookie", session.clone());
    let (_, zh) = page("/search?sort=risk", vec![cookie.clone()]).await;
    for word in ["检索", "线索研判", "退出登录", "风险从高到低", "个商品"] {
        assert!(zh.contains(word), "{word}: {zh}");
    }
    assert!(
        !zh.contains("Log out") && !zh.contains("riskiest first"),
        "{zh}"
    );
    let (_, en) = page("/search?sort=risk", vec![cookie.clone(), english.clone()]).await;
    for word in ["Search", "Triage", "Log out", "riskiest first", "listings"] {
        assert!(en.contains(word), "{word}: {en}");
    }

    // The footer's link: English from then on through the cookie, whatever the browser says.
    let switched = c
        .get(format!("{base}/search?q=插座&lang=en"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let (lang_cookie, header) = common::console::set_cookie(&switched, "qsword_lang");
    assert_eq!(lang_cookie, "qsword_lang=en");
    assert!(
        header.contains("Max-Age="),
        "kept across browser restarts: {header}"
    );
    let html = switched.text().await.unwrap();
    assert!(html.contains("Log out"), "{html}");
    // The link back keeps the search.
    assert!(
        html.contains("q=%E6%8F%92%E5%BA%A7&amp;lang=zh-CN"),
        "{html}"
    );
    let both = ("cookie", format!("{session}; {lang_cookie}"));
    let (lang, kept) = page("/search", vec![both, chinese_first]).await;
    assert_eq!(lang, "en");
    assert!(kept.contains("Log out"), "{kept}");
}
