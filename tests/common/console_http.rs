//! The console over HTTP as a test client sees it: logging in through the form (its CSRF
//! cookie and field), GETs with the session cookie. No cookie jar: each step is explicit.

use super::crawled::{PASSWORD, USER};

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

pub async fn log_in(base: &str) -> (String, String) {
    let c = client();
    let form = c.get(format!("{base}/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "qsword_login_csrf");
    let csrf = hidden_csrf(&form.text().await.unwrap());
    let resp = c
        .post(format!("{base}/login"))
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", USER),
            ("password", PASSWORD),
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
