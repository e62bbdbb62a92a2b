//! The console's login and sessions attacked over real HTTP (`qsword serve` on loopback):
//! open redirects through `next`, password guessing, a login flood, stolen store files,
//! disabled and locked accounts, cookie flags, and page numbers that overflow.

mod common;

use common::console::{
    add_user, client, get, hidden_csrf, import_scored, log_in, market_listings, serve, set_cookie,
    Server, PASSWORD,
};
use common::{ok, qsword};
use std::path::Path;

fn setup(dir: &Path, config: &str) -> Server {
    std::fs::write(dir.join("qsword.toml"), config).unwrap();
    import_scored(dir, &market_listings()[..20]);
    add_user(dir, "zhang", "investigator");
    add_user(dir, "li", "viewer");
    serve(dir)
}

/// One login attempt as a browser makes it: the form's CSRF cookie and field, then the POST.
async fn attempt(base: &str, name: &str, password: &str, next: &str) -> reqwest::Response {
    let c = client();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "qsword_login_csrf");
    let csrf = hidden_csrf(&form.text().await.unwrap());
    c.post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", name),
            ("password", password),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_after_login_only_ever_lands_on_this_console() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path(), "");
    let base = url::Url::parse(&server.base).unwrap();
    let variants = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%09/evil.example",
        "/ /evil.example",
        "/./\t/evil.example",
        "/..//evil.example",
        "/search?q=插座",
    ];
    for next in variants {
        let resp = attempt(&server.base, "zhang", PASSWORD, next).await;
        assert_eq!(resp.status(), 303, "{next:?}");
        let to = resp.headers()["location"].to_str().unwrap().to_string();
        // What a browser does with the Location: it must stay on this origin.
        let landed = base.join(&to).unwrap();
        assert_eq!(landed.origin(), base.origin(), "{next:?} → {to:?}");
        assert!(
            to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'),
            "{next:?} → {to:?}"
        );
        assert!(!to.chars().any(char::is_control), "{next:?} → {to:?}");
        // The login form's hidden field is sanitised the same way.
        let form = client()
            .get(base.join("/login").unwrap())
            .query(&[("next", next)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = form.find("name=\"next\" value=\"").expect("a next field") + 19;
        let field = &form[at..at + form[at..].find('"').unwrap()];
        let field = field.replace("&#x2f;", "/").replace("&amp;", "&");
        assert_eq!(
            base.join(&field).unwrap().origin(),
            base.origin(),
            "{next:?}: {field}"
        );
        assert!(
            field.starts_with('/') && !field.starts_with("//"),
            "{next:?}: {field}"
        );
    }
    // A same-origin destination with its query survives.
    let resp = attempt(&server.base, "zhang", PASSWORD, "/triage?all=1").await;
    assert_eq!(resp.headers()["location"], "/triage?all=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_is_throttled_before_argon2_and_locks_the_account() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path(), "[console]\nlock_after_failures = 8\n");
    let base = &server.base;
    for i in 0..5 {
        let resp = attempt(base, "zhang", "wrong password!", "/search").await;
        assert_eq!(resp.status(), 401, "attempt {i}");
        // No timing header on the login: it would tell known names from unknown ones.
        assert!(resp.headers().get("server-timing").is_none());
    }
    // The 6th within the minute is refused before its password is looked at: even the
    // right one is turned away, with the wait in Retry-After.
    let sixth = attempt(base, "zhang", PASSWORD, "/search").await;
    assert_eq!(sixth.status(), 429);
    let wait: u64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(sixth
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap().starts_with("qsword_session=")));
    // Unknown names are throttled alike (no way to tell them apart).
    for _ in 0..5 {
        assert_eq!(attempt(base, "nobody", "x", "/").await.status(), 401);
    }
    assert_eq!(attempt(base, "nobody", "x", "/").await.status(), 429);
    // Another account is not locked out by the guessing at zhang.
    log_in(base, "li").await;

    // The store's count: 5 failures so far; 3 more (after a restart clears the throttle)
    // lock the account until an admin unlocks it.
    drop(server);
    let server = serve(tmp.path());
    let base = &server.base;
    for _ in 0..3 {
        assert_eq!(
            attempt(base, "zhang", "wrong again!", "/").await.status(),
            401
        );
    }
    let locked = attempt(base, "zhang", PASSWORD, "/").await;
    assert_eq!(locked.status(), 401);
    assert!(locked.text().await.unwrap().contains("已被锁定"));
    ok(qsword(tmp.path(), &["users", "unlock", "zhang"]));
    log_in(base, "zhang").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_is_answered_without_unbounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path(), "");
    let base = server.base.clone();
    // Forms first (each attempt needs its CSRF pair), then 1,000 POSTs at once, each for a
    // different name so the per-account throttle does not stop them early.
    let c = client();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "qsword_login_csrf");
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (c, base, cookie, csrf) = (c.clone(), base.clone(), login_cookie.clone(), csrf.clone());
        tasks.push(tokio::spawn(async move {
            c.post(format!("{base}/login"))
                .header("cookie", cookie)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("name", &format!("guess{i}")),
                    ("password", "hunter2hunter2"),
                ])
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for t in tasks {
        if let Ok(Ok(s)) = t.await {
            *statuses.entry(s).or_default() += 1;
        }
    }
    let peak = server.peak_rss_mib();
    eprintln!("1,000 concurrent logins: statuses {statuses:?}, server peak RSS {peak} MiB");
    assert!(
        statuses.keys().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
    // Most are turned away (busy, then throttled by address) without Argon2's 19 MiB each.
    assert!(
        statuses.get(&401).copied().unwrap_or(0) <= 100,
        "{statuses:?}"
    );
    assert!(peak < 1024, "peak RSS {peak} MiB");
    // The console still answers its staff (after the address's wait, from another client
    // the throttle would not know; here the session is made in the store directly).
    drop(server);
    let server = serve(tmp.path());
    log_in(&server.base, "zhang").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_safe_against_theft_and_end_when_they_should() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path(), "");
    let base = &server.base;
    let resp = attempt(base, "zhang", PASSWORD, "/search").await;
    let (session, header) = set_cookie(&resp, "qsword_session");
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Strict"),
        "{header}"
    );
    assert!(
        !header.contains("Max-Age") && !header.contains("Expires"),
        "{header}"
    );
    assert_eq!(get(base, "/search", &session).await.0, 200);

    // A stolen copy of the store: its session rows start no session.
    let db = tmp.path().join("qsword-data/qsword.sqlite");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<String> = conn
        .prepare("SELECT token FROM sessions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!rows.is_empty());
    for token in &rows {
        assert!(!session.contains(token.as_str()));
        let (status, _) = get(base, "/search", &format!("qsword_session={token}")).await;
        assert_eq!(status, 303, "a stored row is not a cookie");
    }

    // Logging in again ends the older session.
    let (second, _) = log_in(base, "zhang").await;
    assert_eq!(get(base, "/search", &session).await.0, 303);
    assert_eq!(get(base, "/search", &second).await.0, 200);

    // Disabled: the session ends at once and the right password does not log in.
    ok(qsword(tmp.path(), &["users", "disable", "zhang"]));
    assert_eq!(get(base, "/search", &second).await.0, 303);
    let refused = attempt(base, "zhang", PASSWORD, "/").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("已停用"));
    ok(qsword(tmp.path(), &["users", "enable", "zhang"]));
    let (third, _) = log_in(base, "zhang").await;

    // Page numbers past any queue do not overflow (a debug build used to panic).
    for path in [
        "/triage?page=18446744073709551615",
        "/audit?page=18446744073709551615",
        "/search?page=18446744073709551615",
    ] {
        assert_eq!(get(base, path, &third).await.0, 200, "{path}");
    }
    let missing = qsword(tmp.path(), &["users", "remove", "nobody"]);
    assert!(!missing.status.success());
    ok(qsword(tmp.path(), &["users", "remove", "li"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_records_logins_searches_exports_and_is_for_admins() {
    let tmp = tempfile::tempdir().unwrap();
    let server = setup(tmp.path(), "");
    add_user(tmp.path(), "root", "admin");
    let base = &server.base;
    assert_eq!(
        attempt(base, "zhang", "not the password", "/")
            .await
            .status(),
        401
    );
    let (zhang, _) = log_in(base, "zhang").await;
    assert_eq!(get(base, "/search?q=插座", &zhang).await.0, 200);
    assert_eq!(get(base, "/search.csv?q=插座", &zhang).await.0, 200);
    // Not for an investigator.
    assert_eq!(get(base, "/access", &zhang).await.0, 403);
    assert_eq!(get(base, "/access.csv", &zhang).await.0, 403);

    let (root, _) = log_in(base, "root").await;
    let (status, page) = get(base, "/access", &root).await;
    assert_eq!(status, 200);
    for what in [
        "login_failed",
        "login",
        "search",
        "export",
        "q=%E6%8F%92%E5%BA%A7",
    ] {
        assert!(page.contains(what), "{what} in {page}");
    }
    let (status, csv) = get(base, "/access.csv", &root).await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0]
        .trim_start_matches('\u{feff}')
        .starts_with("at,who,address,action,target"));
    // at, who, address, action, target
    let zhang_rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.split(',').collect::<Vec<_>>())
        .filter(|c| c.get(1) == Some(&"zhang"))
        .collect();
    for action in ["login_failed", "login", "search", "export"] {
        assert!(zhang_rows.iter().any(|c| c[3] == action), "{action}: {csv}");
    }
    assert!(zhang_rows.iter().all(|c| c[2] == "127.0.0.1"), "{csv}");
    // The download is itself recorded.
    let (_, page) = get(base, "/access", &root).await;
    assert!(page.contains("access_export"), "{page}");
}

/// `[console] tls_cert/tls_key`: `serve` speaks TLS itself; cookies are `Secure` with the
/// `__Host-` prefix, every answer carries HSTS; a half-configured TLS is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_over_tls_the_cookies_are_host_only_and_secure_with_hsts() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();

    // Half a TLS configuration is an error naming both keys.
    std::fs::write(
        dir.join("qsword.toml"),
        "[console]\ntls_cert = \"cert.pem\"\n",
    )
    .unwrap();
    let half = qsword(dir, &["serve", "--addr", "127.0.0.1:0"]);
    assert!(!half.status.success());
    let err = String::from_utf8_lossy(&half.stderr);
    assert!(
        err.contains("console.tls_cert") && err.contains("console.tls_key"),
        "{err}"
    );
    // A certificate file that is not there is named.
    std::fs::write(
        dir.join("qsword.toml"),
        "[console]\ntls_cert = \"missing.pem\"\ntls_key = \"key.pem\"\n",
    )
    .unwrap();
    let missing = qsword(dir, &["serve", "--addr", "127.0.0.1:0"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("missing.pem"));

    let config = "[console]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n";
    std::fs::write(dir.join("qsword.toml"), config).unwrap();
    import_scored(dir, &market_listings()[..10]);
    add_user(dir, "zhang", "investigator");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qsword"))
        .current_dir(dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("QSWORD_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("https://127.0.0.1:"), "{line}");
    let c = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(
        form.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let (login_cookie, header) = set_cookie(&form, "__Host-qsword_login_csrf");
    assert!(
        header.contains("Secure") && header.contains("Path=/"),
        "{header}"
    );
    assert!(!header.contains("Domain"), "{header}");
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let resp = c
        .post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "zhang"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (session, header) = set_cookie(&resp, "__Host-qsword_session");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(flag), "{flag}: {header}");
    }
    assert!(
        !header.contains("Max-Age") && !header.contains("Domain"),
        "{header}"
    );
    let ok = c
        .get(format!("{base}/search"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().contains_key("strict-transport-security"));
    // The plain-HTTP cookie name is not a session over TLS.
    let token = session.split_once('=').unwrap().1;
    let plain = c
        .get(format!("{base}/search"))
        .header("cookie", format!("qsword_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 303);
    child.kill().ok();
    child.wait().ok();
}
