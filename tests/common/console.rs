//! The web console over real HTTP on loopback: accounts made with `qsword users add`, then
//! `qsword serve --addr 127.0.0.1:0`; a client that logs in like a browser does.

use super::{ok, qsword};
use qsword_listing::Listing;
use qsword_marketsim::{Market, MarketConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// The server process's peak resident memory so far (`VmHWM`), in MiB.
    #[allow(dead_code)] // not every test binary measures it
    pub fn peak_rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in /proc/PID/status")
            / 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The simulated market's listings (seed 23, 10 products) the console tests start from.
pub fn market_listings() -> Vec<Listing> {
    Market::generate(&MarketConfig {
        seed: 23,
        products: 10,
        ..Default::default()
    })
    .listings()
    .map(|(_, l)| l)
    .collect()
}

/// `qsword import` of `listings` (as JSONL), then `detect` and `index`, in `dir`.
pub fn import_scored(dir: &Path, listings: &[Listing]) {
    let text: String = listings
        .iter()
        .map(|l| serde_json::to_string(l).unwrap() + "\n")
        .collect();
    std::fs::write(dir.join("listings.jsonl"), text).unwrap();
    ok(qsword(dir, &["import", "listings.jsonl"]));
    ok(qsword(dir, &["detect"]));
    ok(qsword(dir, &["index"]));
}

/// `qsword users add NAME --role ROLE` with [`PASSWORD`].
pub fn add_user(dir: &Path, name: &str, role: &str) {
    let mut add = Command::new(env!("CARGO_BIN_EXE_qsword"))
        .current_dir(dir)
        .args(["users", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(add.wait_with_output().unwrap().status.success());
}

/// Starts `qsword serve` in `dir` on a free loopback port.
pub fn serve(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsword"))
        .current_dir(dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("QSWORD_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    Server { child, base }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `name=value` of a Set-Cookie header for `name`, and the header itself.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> (String, String) {
    let header = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"));
    (header.split(';').next().unwrap().to_string(), header)
}

pub fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..at + 64].to_string()
}

/// Logs `name` in: the session cookie (`qsword_session=…`) and the session's CSRF token.
pub async fn log_in(base: &str, name: &str) -> (String, String) {
    log_in_with(base, name, PASSWORD).await
}

/// [`log_in`] with another password than the test accounts' (the demo's own account).
pub async fn log_in_with(base: &str, name: &str, password: &str) -> (String, String) {
    let c = client();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "qsword_login_csrf");
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let resp = c
        .post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", name),
            ("password", password),
            ("next", "/search"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "login redirects");
    let (session, header) = set_cookie(&resp, "qsword_session");
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Strict"), "{header}");
    let (_, page) = get(base, "/search", &session).await;
    (session, hidden_csrf(&page))
}

/// GET `path` with the session cookie: the whole response (headers too).
pub async fn get_response(base: &str, path: &str, session: &str) -> reqwest::Response {
    client()
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
}

/// GET `path` with the session cookie: the status and the body.
pub async fn get(base: &str, path: &str, session: &str) -> (u16, String) {
    let resp = client()
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

pub async fn get_json(base: &str, path: &str, session: &str) -> serde_json::Value {
    let (status, body) = get(base, path, session).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// POST a form with the session cookie: the status and the `Location` header.
pub async fn post(base: &str, path: &str, session: &str, form: &[(&str, &str)]) -> (u16, String) {
    let resp = client()
        .post(format!("{base}{path}"))
        .header("cookie", session)
        .form(form)
        .send()
        .await
        .unwrap();
    let to = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), to)
}
