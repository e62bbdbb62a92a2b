//! Every route × every role (anonymous, viewer, investigator, admin) answers as its policy in
//! [`super::routes`] says: the table is the router's own, so a new route is tested as soon as
//! it exists. In-process requests through the whole router (middleware included).

use super::{app_router, routes, Access};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use qsword_listing::{Listing, Price};
use qsword_store::{Role, Store};
use tower::ServiceExt;

const ROLES: [Option<Role>; 4] = [
    None,
    Some(Role::Viewer),
    Some(Role::Investigator),
    Some(Role::Admin),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_its_policy_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qsword.sqlite");
    let mut store = Store::open(&path).unwrap();
    let mut l = Listing::new("https://shop.example/item/1.html", "公牛 插座 GN-H3050");
    l.price = Some(Price::new("39.90", "CNY").unwrap());
    store.import_listings(&[l]).unwrap();
    let now = chrono::Utc::now();
    let mut ids = std::collections::HashMap::new();
    for role in ROLES.into_iter().flatten() {
        let id = store.upsert_staff(role.as_str(), role, "x", now).unwrap();
        ids.insert(role, id);
    }
    let index = qsword_indexer::ListingIndex::open_or_create(&dir.path().join("index")).unwrap();
    // The test's own connection makes sessions while the router holds the other.
    let mut sessions = Store::open(&path).unwrap();
    let app = app_router(
        store,
        index,
        dir.path().join("warc"),
        Default::default(),
        Default::default(),
    );

    let mut checked = 0;
    let mut wrong = Vec::new();
    for route in routes() {
        let uri = route
            .path
            .replace("{id}", "1")
            .replace("{file}", "category.svg");
        for method in route.methods {
            for role in ROLES {
                // A fresh session per request (a POST /logout ends the one it is sent with).
                let (token, csrf) = (super::auth::random_token(), super::auth::random_token());
                if let Some(role) = role {
                    sessions
                        .create_session(
                            &token,
                            ids[&role],
                            &csrf,
                            now,
                            now + chrono::Duration::hours(1),
                        )
                        .unwrap();
                }
                let mut req = Request::builder().method(*method).uri(&uri);
                if role.is_some() {
                    req = req.header("cookie", format!("qsword_session={token}"));
                }
                let body = if *method == "POST" {
                    req = req.header("content-type", "application/x-www-form-urlencoded");
                    Body::from(format!("csrf={csrf}&decision=note&note=route+test"))
                } else {
                    Body::empty()
                };
                let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
                let status = resp.status();
                let to_login = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|l| l.starts_with("/login"));
                let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                    || (status == StatusCode::SEE_OTHER && to_login && route.path != "/logout");
                let ok = match (route.access, role) {
                    // The login form and its POST are the way in (the POST without the form's
                    // CSRF cookie is refused: that is its own check, not a role's).
                    (Access::Public, _) if route.path == "/login" => true,
                    (Access::Public, _) => status != StatusCode::UNAUTHORIZED && !to_login,
                    (Access::Page(_), None) => status == StatusCode::SEE_OTHER && to_login,
                    (Access::Api(_), None) => status == StatusCode::UNAUTHORIZED,
                    (Access::Post(_), None) => status == StatusCode::FORBIDDEN,
                    (Access::Page(least) | Access::Api(least) | Access::Post(least), Some(r)) => {
                        if r < least {
                            status == StatusCode::FORBIDDEN
                        } else {
                            !refused
                        }
                    }
                };
                checked += 1;
                if !ok {
                    wrong.push(format!(
                        "{method} {uri} as {}: {status} (policy {:?})",
                        role.map_or("anonymous", |r| r.as_str()),
                        route.access
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{checked} checked; against the policy:\n{}",
        wrong.join("\n")
    );
    assert!(checked >= 4 * 25, "{checked}");
}
