//! The web console in a real browser: headless Chromium driven through WebDriver
//! (`chromedriver` started here on a free loopback port, the `fantoccini` client), against a
//! console over a crawled store (`common/crawled.rs`). Three scenarios on one browser:
//!
//! 1. an investigator logs in through the form, searches a Chinese query, applies a facet,
//!    opens a flagged listing, sees its reasons and the captured page in the evidence frame,
//!    confirms it with the decision form and sees the label stored;
//! 2. a crawled listing whose title and description carry XSS payloads shows them as text,
//!    and no script runs — on the page or inside the evidence frame (checked in the browser);
//! 3. without a session pages go to the login form, and a form posted with a tampered CSRF
//!    token is refused (403).
//!
//! Screenshots go to `$CARGO_TARGET_DIR/screenshots/` (their paths are printed). Chromium and
//! chromedriver come from Debian's `chromium` and `chromium-driver` (`scripts/test` installs
//! them); without them the test fails under `CI=true` and is skipped, loudly, otherwise.

mod common;

use common::console::{get_json, log_in, PASSWORD};
use common::crawled::{crawled_console, READER, USER, XSS_TITLE};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver and the Chromium it starts, which share a fresh profile directory.
struct Driver {
    child: Child,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    /// chromedriver killed does not take Chromium with it: end the processes started with
    /// this run's profile directory, by their ids.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let marker = self.profile.path().to_string_lossy().into_owned();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for p in procs.flatten() {
            let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            if pid != std::process::id() && String::from_utf8_lossy(&cmdline).contains(&marker) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

/// A headless Chromium session.
struct Browser {
    client: Client,
    _driver: Driver,
}

/// Starts chromedriver and a headless Chromium session, or says why it cannot.
async fn start_browser() -> Result<Browser, String> {
    let chromium = on_path(&["chromium", "chromium-browser", "google-chrome"])
        .ok_or("no chromium on PATH (Debian package `chromium`)")?;
    let driver_bin = on_path(&["chromedriver"])
        .ok_or("no chromedriver on PATH (Debian package `chromium-driver`)")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let child = Command::new(&driver_bin)
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", driver_bin.display()))?;
    let driver = Driver {
        child,
        profile: tempfile::tempdir().map_err(|e| e.to_string())?,
    };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!(
                "chromedriver did not listen on port {port} within 20 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Without the background-networking switches Chromium stalls on this closed network.
    let args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        // A browser set up as the center's are: Chinese (headless Chromium asks for en-US).
        "--lang=zh-CN",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!(
        "--user-data-dir={}",
        driver.profile.path().display()
    )])
    .collect();
    let mut caps = fantoccini::wd::Capabilities::new();
    caps.insert("browserName".into(), "chrome".into());
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"binary": chromium, "args": args,
            "prefs": {"intl.accept_languages": "zh-CN,zh"}}),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("starting a Chromium session through chromedriver: {e}"))?;
    Ok(Browser {
        client,
        _driver: driver,
    })
}

/// Where screenshots go: `screenshots/` of the target directory (`CARGO_TARGET_DIR` too).
fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves the viewport as `console-NAME.png` and prints its path.
async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    let path = screenshot_dir().join(format!("console-{name}.png"));
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
}

/// Polls until the browser's URL path is `path` (navigation after a click is asynchronous).
async fn wait_for_path(c: &Client, path: &str) -> url::Url {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.expect("the current URL");
        if url.path() == path {
            return url;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "expected to be at {path}, still at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls until the browser's URL query contains `part`; `what` says what failed otherwise.
async fn wait_for_query(c: &Client, part: &str, what: &str) {
    let started = Instant::now();
    while !c
        .current_url()
        .await
        .expect("the current URL")
        .query()
        .unwrap_or("")
        .contains(part)
    {
        assert!(started.elapsed() < Duration::from_secs(15), "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (15 s at most) for an element to appear, e.g. after a navigation or in a frame.
async fn wait_for(c: &Client, what: Locator<'_>, why: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(what)
        .await
        .unwrap_or_else(|e| panic!("{why}: {e}"))
}

/// The visible text of the element `css` selects.
async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Clicks the element `css` selects.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// The visible text of the page (or of the frame the client is in).
async fn body_text(c: &Client) -> String {
    text_of(c, "body").await
}

/// That no alert, confirm or prompt is open (a payload that ran would have opened one).
async fn assert_no_dialog(c: &Client, where_: &str) {
    if let Ok(text) = c.get_alert_text().await {
        panic!("a dialog is open on {where_}: {text:?}");
    }
}

/// Logs in through the form, starting from `start` (which sends to the login form).
async fn log_in_with_the_form(c: &Client, base: &str, start: &str) {
    c.goto(&format!("{base}{start}")).await.unwrap();
    let url = wait_for_path(c, "/login").await;
    assert!(
        url.query().unwrap_or("").contains("next="),
        "the login form remembers where to go: {url}"
    );
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys(USER)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(c, "form[action='/login'] button[type=submit]").await;
}

/// Scenario 1: log in, search in Chinese, apply a facet, open a flagged listing, see its
/// reasons and its evidence. Returns the listing's id.
async fn investigator_opens_a_flagged_listing(c: &Client, base: &str, session: &str) -> u64 {
    // The listing to reach, chosen over the API: the riskiest whose title has a Chinese word,
    // which is the query; its platform is the facet.
    let is_han = |w: &str| w.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch));
    let riskiest = get_json(base, "/api/search?sort=risk&min_risk=0.5", session).await;
    let hit = riskiest["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| {
            h["title"].as_str().unwrap().split_whitespace().any(is_han) && h["platform"].is_string()
        })
        .unwrap_or_else(|| panic!("a flagged listing with a Chinese title: {riskiest}"))
        .clone();
    let id = hit["id"].as_u64().unwrap();
    let query = hit["title"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|w| is_han(w))
        .unwrap()
        .to_string();
    let platform = hit["platform"].as_str().unwrap().to_string();
    let api = get_json(base, &format!("/api/listing/{id}"), session).await;
    let flags: Vec<serde_json::Value> = api["assessment"]["flags"].as_array().unwrap().clone();
    assert!(!flags.is_empty(), "listing {id} is flagged: {api}");

    log_in_with_the_form(c, base, "/search").await;
    wait_for_path(c, "/search").await;
    screenshot(c, "1-logged-in").await;

    // Search: the Chinese query, riskiest first.
    let q = c.find(Locator::Css("input[name=q]")).await.unwrap();
    q.send_keys(&query).await.unwrap();
    c.find(Locator::Css("select[name=sort]"))
        .await
        .unwrap()
        .select_by_value("risk")
        .await
        .unwrap();
    click(c, "form.search button[type=submit]").await;
    wait_for_query(c, "q=", "the search did not submit").await;
    let results = body_text(c).await;
    assert!(results.contains(&query), "results for {query}: {results}");
    screenshot(c, "2-search").await;

    // Apply the platform facet: a link that adds the filter, marked chosen afterwards.
    let mut facet = None;
    for a in c.find_all(Locator::Css("nav.facets a")).await.unwrap() {
        if a.text().await.unwrap().trim() == platform {
            facet = Some(a);
            break;
        }
    }
    facet
        .unwrap_or_else(|| panic!("a facet link for {platform}"))
        .click()
        .await
        .unwrap();
    wait_for_query(c, "platform=", "the facet did not apply").await;
    assert!(
        body_text(c).await.contains('✓'),
        "the chosen facet is marked"
    );
    screenshot(c, "3-facet").await;

    // Open the flagged listing from the results.
    c.find(Locator::Css(&format!("a[href='/listing/{id}']")))
        .await
        .unwrap_or_else(|_| panic!("listing {id} among the faceted results"))
        .click()
        .await
        .unwrap();
    wait_for_path(c, &format!("/listing/{id}")).await;
    let page = body_text(c).await;
    // Each flag's reason, in Chinese (the API keeps the detector's English sentence).
    for flag in &flags {
        let name = match flag["signal"].as_str().unwrap() {
            "price" => "价格",
            "brand" => "品牌",
            "mark" => "认证标志",
            "cue" => "售假用语",
            _ => "商家",
        };
        let english = flag["reason"].as_str().unwrap();
        assert!(page.contains(name), "the {name} flag is shown: {page}");
        assert!(!page.contains(english), "not in English: {english}");
        let e = &flag["evidence"];
        let number = |k: &str| e[k].as_str().and_then(|v| v.parse::<f64>().ok());
        let drop = match (e["drop"].as_f64(), number("price"), number("median")) {
            (Some(d), _, _) => Some(d),
            (None, Some(p), Some(m)) => Some(1.0 - p / m),
            _ => None,
        };
        if let Some(drop) = drop {
            let said = format!("低 {:.0}%", drop * 100.0);
            assert!(
                page.contains(&said),
                "the price reason's numbers ({said}): {page}"
            );
        }
    }

    // The evidence frame: sandboxed (no scripts), showing the captured page.
    let frame = c
        .find(Locator::Css("iframe.capture"))
        .await
        .expect("the evidence frame");
    let sandbox = frame.attr("sandbox").await.unwrap();
    assert!(
        sandbox.as_deref().is_some_and(|s| !s.contains("allow-")),
        "a bare sandbox: {sandbox:?}"
    );
    assert!(
        page.contains("正文摘要") && page.contains("采集时间"),
        "{page}"
    );
    screenshot(c, "4-listing").await;
    c.execute(
        "document.getElementById('evidence').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot(c, "5-evidence").await;
    frame.clone().enter_frame().await.unwrap();
    let captured = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The frame holds the captured document: the shop's page (its name shows), with the
    // listing's title in it — visible, or in the page's embedded state for a shop that
    // renders with scripts (which stay off in the frame).
    assert!(
        captured.contains(&platform),
        "the frame shows the shop's page ({platform}): {captured}"
    );
    let source = c.source().await.unwrap();
    assert!(
        !source.contains("下载证据"),
        "the frame's own document, not the listing page"
    );
    let title = api["listing"]["title"].as_str().unwrap();
    let word = title.split_whitespace().next().unwrap();
    assert!(
        source.contains(word),
        "the frame's document is the capture of {title:?}"
    );
    c.enter_parent_frame().await.unwrap();
    id
}

/// Scenario 1, last step: confirm the flag with the listing page's decision form (a note
/// with it) and see the label stored — on the page and through the API.
async fn investigator_confirms_the_flag(c: &Client, base: &str, session: &str, id: u64) {
    let note = "仿冒品，证据已下载 <b>not bold</b>";
    c.find(Locator::Css("form.decide textarea[name=note]"))
        .await
        .expect("the decision form on the listing page")
        .send_keys(note)
        .await
        .unwrap();
    click(c, "form.decide button[name=decision][value=confirm]").await;
    // The form posts, then comes back to the listing.
    wait_for(c, Locator::Css("p.decision"), "the decision is listed").await;
    wait_for_path(c, &format!("/listing/{id}")).await;
    let decisions = text_of(c, "p.decision").await;
    assert!(
        decisions.contains("确认") && decisions.contains(USER) && decisions.contains(note),
        "the confirmation with its note, as text: {decisions}"
    );
    screenshot(c, "5b-confirmed").await;
    let api = get_json(base, &format!("/api/listing/{id}"), session).await;
    let labels = api["labels"].as_array().expect("labels");
    assert!(
        labels
            .iter()
            .any(|l| l["decision"] == "confirm" && l["who"] == USER && l["note"] == note),
        "the label is stored: {api}"
    );
}

/// Scenario 2: the hostile listing's payloads are text; nothing runs, in the frame neither.
async fn hostile_listing_runs_nothing(c: &Client, base: &str) {
    c.goto(&format!("{base}/search?q=安全插座")).await.unwrap();
    let mut link = None;
    for a in c.find_all(Locator::Css(".hit .title a")).await.unwrap() {
        if a.text().await.unwrap().contains("window.__xss=1") {
            link = Some(a);
            break;
        }
    }
    link.expect("the hostile listing among the results, its title as text")
        .click()
        .await
        .unwrap();
    wait_for(
        c,
        Locator::Css("iframe.capture"),
        "the hostile listing's page",
    )
    .await;
    assert_no_dialog(c, "the listing page").await;
    let h1 = text_of(c, "h1").await;
    assert_eq!(h1, XSS_TITLE, "the title is shown literally");
    let page = body_text(c).await;
    assert!(
        page.contains("<svg onload="),
        "the description is shown literally"
    );
    let state = c
        .execute(
            "return {xss: typeof window.__xss, title: document.title, \
             injected: document.querySelectorAll('main script, main img[src=x], main svg, main iframe:not(.capture), a[href^=javascript]').length}",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        state["xss"], "undefined",
        "no payload ran on the page: {state}"
    );
    // The title is the listing's, payload text and all; a payload that ran would set PWNED.
    let page_title = format!("{XSS_TITLE} · qsword");
    assert_eq!(state["title"], page_title.as_str(), "{state}");
    assert_eq!(
        state["injected"], 0,
        "no payload became an element: {state}"
    );
    screenshot(c, "6-hostile-listing").await;

    // Inside the frame: the capture's own scripts, handlers and links did nothing.
    let frame = c.find(Locator::Css("iframe.capture")).await.unwrap();
    frame.enter_frame().await.unwrap();
    wait_for(
        c,
        Locator::Id("captured-title"),
        "the captured page is shown in the frame",
    )
    .await;
    assert_no_dialog(c, "the evidence frame").await;
    match c
        .execute(
            "return {xss: typeof window.__xss, title: document.title, pwned: !!document.getElementById('pwned')}",
            vec![],
        )
        .await
    {
        Ok(state) => {
            assert_eq!(state["xss"], "undefined", "no script ran in the frame: {state}");
            assert_eq!(state["title"], "captured hostile page", "{state}");
            assert_eq!(state["pwned"], false, "{state}");
        }
        // WebDriver may not run scripts in a frame whose sandbox forbids them; the DOM
        // still tells: the page script would have added #pwned.
        Err(e) => {
            eprintln!("note: no script in the sandboxed frame ({e}); checking its DOM instead");
            assert!(
                c.find_all(Locator::Id("pwned")).await.unwrap().is_empty(),
                "the capture's script ran in the frame"
            );
        }
    }
    // A click on the capture's javascript: link does nothing either.
    let _ = c.find(Locator::Id("js-link")).await.unwrap().click().await;
    assert_no_dialog(c, "the evidence frame after a click").await;
    c.enter_parent_frame().await.unwrap();
    let after = c
        .execute("return [typeof window.__xss, document.title]", vec![])
        .await
        .unwrap();
    assert_eq!(
        after[0], "undefined",
        "the frame reached nothing of the page: {after}"
    );
    assert_eq!(after[1], page_title.as_str(), "{after}");
}

/// Scenario 3: no session → the login form; a tampered CSRF token → 403, session intact.
async fn refusals(c: &Client, base: &str, flagged: u64) {
    // A tampered form: the logout form's token changed before it is posted.
    c.goto(&format!("{base}/search")).await.unwrap();
    wait_for_path(c, "/search").await;
    c.execute(
        "document.querySelector('header form input[name=csrf]').value = 'tampered'",
        vec![],
    )
    .await
    .unwrap();
    click(c, "header form button[type=submit]").await;
    wait_for_path(c, "/logout").await;
    let refused = body_text(c).await;
    assert!(
        refused.contains("禁止访问") && refused.contains("CSRF"),
        "{refused}"
    );
    screenshot(c, "7-csrf-refused").await;
    c.goto(&format!("{base}/search")).await.unwrap();
    wait_for_path(c, "/search").await;

    // The session cookie gone (expired or never there): every page sends to the login form.
    c.delete_all_cookies().await.unwrap();
    for path in [
        format!("/listing/{flagged}"),
        format!("/listing/{flagged}/evidence"),
        "/search?q=插座".into(),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let url = wait_for_path(c, "/login").await;
        assert!(url.query().unwrap_or("").contains("next="), "{path}: {url}");
    }
    screenshot(c, "8-no-session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let browser = match start_browser().await {
        Ok(b) => b,
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("the browser tests cannot run under CI: {why}");
            }
            // Straight to the stderr stream: the test harness captures `eprintln!` of a test
            // that passes, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! SKIPPED console_in_a_real_browser: {why}\n!!! install Debian's chromium and chromium-driver (scripts/test does) to run it\n"
            );
            return;
        }
    };
    let console = crawled_console(6);
    let base = &console.base;
    // The API is read as another account: the browser's login would end USER's other session.
    let (session, _) = log_in(base, READER).await;
    let c = &browser.client;
    let flagged = investigator_opens_a_flagged_listing(c, base, &session).await;
    investigator_confirms_the_flag(c, base, &session, flagged).await;
    hostile_listing_runs_nothing(c, base).await;
    refusals(c, base, flagged).await;
    browser.client.clone().close().await.unwrap();
}
