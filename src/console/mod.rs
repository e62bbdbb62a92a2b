//! `qsword serve`: the web console for the center's staff (issue 8).
//!
//! Server-rendered pages (minijinja, HTML auto-escaping: every crawled string is escaped, the
//! index's snippets are escaped already but for `<b>`), no JavaScript, every asset embedded,
//! a strict Content-Security-Policy on every response. Staff log in (Argon2 hashes, see
//! [`auth`]); a session cookie is HttpOnly and SameSite=Strict, and every POST form carries the
//! session's CSRF token; what an account may do is its role's ([`require`]: viewer reads,
//! investigator also decides and triages, admin everything).
//!
//! Here: the router, sessions and role checks, `/search` (query, every filter, facets,
//! paging, all in the GET URL), `/listing/{id}` (fields, flags with reasons and numbers,
//! decisions), `/api/search`, `/api/listing/{id}`. Elsewhere: decisions, triage and audit
//! (`triage`), the CSV export (`export`), statistics (`stats`), accounts (`accounts`), the
//! listing page's evidence — captured page in a sandboxed frame, downloads — ([`evidence`]),
//! and its price history, other offers of the product and the seller's other listings
//! ([`listing_extras`]).

mod accounts;
pub mod auth;
mod evidence;
mod export;
pub mod guard;
mod listing_extras;
#[cfg(test)]
mod route_tests;
mod stats;
mod triage;

use crate::i18n::{self, Lang};
use crate::pipeline::Ctx;
use anyhow::{Context, Result};
use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use minijinja::{context, Environment};
use qsword_indexer::{Delisted, ListingIndex, SearchRequest, SearchResults, Sort};
use qsword_store::{ListingId, Role, Session, Store};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Hits per page.
const PAGE_SIZE: usize = 20;
/// Deepest page offered (tantivy collects offset + limit hits).
const MAX_OFFSET: usize = 10_000;

/// No scripts, no frames, no plugins, nothing from elsewhere: styles and images from here only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; loopback by default (put a TLS proxy in front to serve others).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
}

struct App {
    store: Mutex<Store>,
    index: ListingIndex,
    templates: Environment<'static>,
    /// The investigators' routing (`[[alerts.investigators]]`), for the triage queue.
    alerts: crate::config::AlertsConfig,
    /// Where the WARC files the store points to are (`warc/` of the data directory).
    warc_dir: std::path::PathBuf,
    /// Product groups of the live listings, worked out once per store change.
    groups: listing_extras::GroupCache,
    /// The last statistics counted, for the page's charts and tables (see `stats`).
    stats_cache: stats::Cache,
    /// A second connection to the store for the statistics: counting takes seconds at a
    /// million listings, and WAL lets it read beside `store`, so it must not hold `store`'s
    /// lock and keep every other page waiting. `None` for an in-memory store (a second
    /// connection would see another, empty database): the statistics then use `store`.
    stats_store: Option<Mutex<Store>>,
    /// `[console]`: session lifetimes and the account lock.
    settings: crate::config::ConsoleSection,
    /// The login throttle and the bounded password-check pool.
    guard: guard::LoginGuard,
    /// An Argon2 hash of a random password: unknown names are checked against it, so they
    /// cost the same time as known ones.
    dummy_hash: String,
    /// The cookies' names and flags (`Secure`, `__Host-` when serving TLS).
    cookies: auth::Cookies,
}

type Shared = Arc<App>;

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    i18n::add_to_environment(&mut env);
    // `.html` names turn on minijinja's HTML auto-escaping: crawled text is hostile.
    for (name, source) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        ("search.html", include_str!("templates/search.html")),
        ("listing.html", include_str!("templates/listing.html")),
        ("decisions.html", include_str!("templates/decisions.html")),
        ("triage.html", include_str!("templates/triage.html")),
        ("audit.html", include_str!("templates/audit.html")),
        ("stats.html", include_str!("templates/stats.html")),
        ("staff.html", include_str!("templates/staff.html")),
        ("access.html", include_str!("templates/access.html")),
        (
            "listing_evidence.html",
            include_str!("templates/listing_evidence.html"),
        ),
        (
            "listing_extras.html",
            include_str!("templates/listing_extras.html"),
        ),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("console template {name}: {e}"));
    }
    env
}

pub fn serve(ctx: &Ctx, args: ServeArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let dir = ctx.index_dir();
    let index = ListingIndex::open_or_create(&dir)
        .with_context(|| format!("opening the index {}", dir.display()))?
        .with_rates(ctx.cfg.index.rates()?);
    let tls = ctx.cfg.console.tls();
    let app = app_router(
        store,
        index,
        ctx.warc_dir(),
        ctx.cfg.alerts.clone(),
        ctx.cfg.console.clone(),
    );
    // The peer address feeds the per-address login throttle and the access log.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(args.addr)
            .with_context(|| format!("listening on {}", args.addr))?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Tests and scripts read this line for the port (`--addr 127.0.0.1:0`).
        println!("qsword console listening on {scheme}://{local}");
        use std::io::Write;
        std::io::stdout().flush()?;
        match tls {
            Some((cert, key)) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .with_context(|| {
                        format!(
                            "[console] tls_cert {} / tls_key {}: reading the PEM certificate \
                             chain and private key",
                            cert.display(),
                            key.display()
                        )
                    })?;
                axum_server::from_tcp_rustls(listener, config)?
                    .serve(app)
                    .await
                    .context("serving the console over TLS")
            }
            None => axum::serve(tokio::net::TcpListener::from_std(listener)?, app)
                .await
                .context("serving the console"),
        }
    })
}

/// The console's routes over an open store and index (and the WARC files the store points
/// into, and the alert routing for the triage queue): `serve` binds it, `bench console`
/// measures it.
pub(crate) fn app_router(
    store: Store,
    index: ListingIndex,
    warc_dir: std::path::PathBuf,
    alerts: crate::config::AlertsConfig,
    settings: crate::config::ConsoleSection,
) -> Router {
    let tls = settings.tls().is_some();
    let stats_store = (store.path() != std::path::Path::new(":memory:"))
        .then(|| Store::open(store.path()))
        .and_then(|opened| {
            opened
                .inspect_err(|e| {
                    tracing::warn!("statistics will share the store's connection: {e}")
                })
                .ok()
        })
        .map(Mutex::new);
    router(Arc::new(App {
        stats_store,
        store: Mutex::new(store),
        index,
        templates: templates(),
        alerts,
        warc_dir,
        groups: listing_extras::GroupCache::default(),
        stats_cache: Default::default(),
        settings,
        guard: guard::LoginGuard::default(),
        dummy_hash: auth::hash_password(&auth::random_token())
            .expect("hashing a random password with default Argon2 parameters"),
        cookies: auth::Cookies { secure: tls },
    }))
}

/// Who may use a route: the policy `route_tests` holds every route of [`routes`] to, for every
/// role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone (the login form, the stylesheet).
    Public,
    /// A page: without a session the login form (303), below the role 403.
    Page(Role),
    /// The JSON API: without a session 401, below the role 403.
    Api(Role),
    /// A form POST: without a session or CSRF token 403, below the role 403.
    Post(Role),
}

/// A route of the console: path, the methods it answers, its policy and its handlers.
pub(crate) struct RouteDef {
    pub path: &'static str,
    // Read by the route × role test only; the router needs only path and handler.
    #[cfg_attr(not(test), allow(dead_code))]
    pub methods: &'static [&'static str],
    #[cfg_attr(not(test), allow(dead_code))]
    pub access: Access,
    handler: axum::routing::MethodRouter<Shared>,
}

/// Every route the console serves. The router is built from this list and the route × role
/// test reads it, so a route cannot be added without its policy, nor escape the test.
pub(crate) fn routes() -> Vec<RouteDef> {
    use axum::routing::post;
    use Access::*;
    use Role::*;
    let r = |path, methods, access, handler| RouteDef {
        path,
        methods,
        access,
        handler,
    };
    const GET: &[&str] = &["GET"];
    const POST: &[&str] = &["POST"];
    vec![
        r("/", GET, Public, get(|| async { Redirect::to("/search") })),
        r(
            "/login",
            &["GET", "POST"],
            Public,
            get(login_form).post(login),
        ),
        r("/logout", POST, Post(Viewer), post(logout)),
        r("/search", GET, Page(Viewer), get(search_page)),
        r("/listing/{id}", GET, Page(Viewer), get(listing_page)),
        r(
            "/listing/{id}/evidence",
            GET,
            Page(Viewer),
            get(evidence::frame),
        ),
        r(
            "/listing/{id}/evidence.warc.gz",
            GET,
            Page(Viewer),
            get(evidence::warc_download),
        ),
        r(
            "/listing/{id}/evidence.json",
            GET,
            Page(Viewer),
            get(evidence::json_download),
        ),
        r(
            "/listing/{id}/price-history.svg",
            GET,
            Page(Viewer),
            get(listing_extras::price_chart),
        ),
        r("/api/search", GET, Api(Viewer), get(api_search)),
        r("/api/listing/{id}", GET, Api(Viewer), get(api_listing)),
        r(
            "/listing/{id}/decision",
            POST,
            Post(Investigator),
            post(triage::decide),
        ),
        r("/triage", GET, Page(Investigator), get(triage::triage_page)),
        r(
            "/api/triage",
            GET,
            Api(Investigator),
            get(triage::api_triage),
        ),
        r("/audit", GET, Page(Investigator), get(triage::audit_page)),
        r("/api/audit", GET, Api(Investigator), get(triage::api_audit)),
        r("/search.csv", GET, Page(Viewer), get(export::search_csv)),
        r("/stats", GET, Page(Viewer), get(stats::stats_page)),
        r("/stats/{file}", GET, Page(Viewer), get(stats::stats_file)),
        r("/api/stats", GET, Api(Viewer), get(stats::api_stats)),
        r("/staff", GET, Page(Admin), get(accounts::staff_page)),
        r("/access", GET, Page(Admin), get(accounts::access_page)),
        r("/access.csv", GET, Page(Admin), get(accounts::access_csv)),
        r("/static/console.css", GET, Public, get(stylesheet)),
    ]
}

fn router(app: Shared) -> Router {
    let hsts = app.cookies.secure;
    let router = routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        })
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(language))
        .layer(axum::middleware::from_fn(server_timing))
        .with_state(app);
    if hsts {
        // Served over TLS: browsers must not come back over plain HTTP (a year, as usual).
        router.layer(axum::middleware::map_response(
            |mut r: Response| async move {
                r.headers_mut().insert(
                    header::STRICT_TRANSPORT_SECURITY,
                    HeaderValue::from_static("max-age=31536000"),
                );
                r
            },
        ))
    } else {
        router
    }
}

/// `Server-Timing: app;dur=…`: the handler's own time, so slow pages show in the browser's
/// network panel and `bench console` can tell server time from the client's.
/// Not on `/login`: how long a login took would tell whether the name exists.
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let login = request.uri().path() == "/login";
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    if login {
        return response;
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.2}")) {
        response.headers_mut().insert("server-timing", v);
    }
    response
}

tokio::task_local! {
    /// This page in English and in Chinese (the footer's language links): its path and query
    /// with `lang` set.
    static SWITCH: (String, String);
}

/// The request's language: `?lang=` (then kept in a cookie), else the cookie, else the
/// browser's `Accept-Language`, else Chinese. Handlers and templates read it from
/// [`i18n::current`].
async fn language(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = request.uri().clone();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let asked = pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(v));
    let lang = asked
        .or_else(|| auth::cookie(request.headers(), i18n::COOKIE).and_then(Lang::parse))
        .unwrap_or_else(|| {
            let accept = request
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Lang::from_accept_language(accept)
        });
    let href = |to: Lang| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "lang") {
            ser.append_pair(k, v);
        }
        ser.append_pair("lang", to.code());
        format!("{}?{}", uri.path(), ser.finish())
    };
    let switch = (href(Lang::En), href(Lang::Zh));
    let mut response = i18n::CURRENT
        .scope(lang, SWITCH.scope(switch, next.run(request)))
        .await;
    if let Some(asked) = asked {
        let cookie = auth::set_cookie(i18n::COOKIE, asked.code(), 365 * 24 * 3600);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
        .headers_mut()
        .entry(header::CONTENT_LANGUAGE)
        .or_insert(HeaderValue::from_static(lang.code()));
    response
}

/// The message `key` in the request's language.
fn tr(key: &str) -> String {
    i18n::t(i18n::current(), key)
}

/// The message `key` with arguments in the request's language.
fn trf(key: &str, args: Vec<(&str, i18n::Arg)>) -> String {
    i18n::tf(i18n::current(), key, args)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    // A route may set its own policy and framing (the listing page and its evidence frame).
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("assets/console.css"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// sessions

fn session(app: &App, headers: &HeaderMap) -> Option<Session> {
    let token = auth::cookie(headers, app.cookies.session_name())?;
    let store = app.store.lock().ok()?;
    let idle = chrono::Duration::minutes(app.settings.idle_minutes.into());
    match store.session(token, chrono::Utc::now(), idle) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("reading a console session: {e}");
            None
        }
    }
}

/// Appends to the access log (who, from where, what, about what). A failure to record is
/// logged, not shown: the staff's work goes on, and the server log says what was lost.
fn record_access(
    app: &App,
    who: &str,
    extensions: &axum::http::Extensions,
    action: &str,
    target: Option<String>,
) {
    let access = qsword_store::Access {
        at: chrono::Utc::now(),
        who: who.to_string(),
        address: extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        action: action.to_string(),
        target,
    };
    let recorded = match app.store.lock() {
        Ok(mut store) => store.record_access(&access).map_err(|e| e.to_string()),
        Err(_) => Err("store lock poisoned".into()),
    };
    if let Err(e) = recorded {
        tracing::error!("recording {action} by {who:?} in the access log: {e}");
    }
}

/// Where a page without a session is sent: the login form, coming back here afterwards.
fn to_login(uri: &Uri) -> Response {
    let next = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/search");
    let href = format!(
        "/login?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish()
    );
    Redirect::to(&href).into_response()
}

/// Only a path of this console may be a post-login destination (no open redirect): `next`
/// must parse, relative to this origin, as a URL of this origin whose path starts with one
/// `/`; control characters and backslashes are refused outright, because browsers drop or
/// rewrite them (`/\t/evil.example` becomes `//evil.example`).
fn local_path(next: &str) -> String {
    const FALLBACK: &str = "/search";
    let suspicious = next
        .chars()
        .any(|c| c.is_control() || c == '\\' || c.is_whitespace());
    if suspicious || !next.starts_with('/') || next.starts_with("//") {
        return FALLBACK.into();
    }
    let base = url::Url::parse("http://console.invalid/").expect("static URL");
    match base.join(next) {
        Ok(u) if u.origin() == base.origin() && !u.path().starts_with("//") => {
            let mut out = u.path().to_string();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            out
        }
        _ => FALLBACK.into(),
    }
}

fn render(app: &App, name: &str, ctx: minijinja::Value) -> Response {
    let lang = i18n::current();
    let (lang_href_en, lang_href_zh) = SWITCH
        .try_with(Clone::clone)
        .unwrap_or_else(|_| ("?lang=en".into(), "?lang=zh-CN".into()));
    let ctx = context! { lang => lang.code(), lang_href_en, lang_href_zh, ..ctx };
    match app.templates.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("rendering {name}: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, tr("render-failed")).into_response()
        }
    }
}

/// The refusal of an action the session's role does not allow: 403 naming the role needed.
// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn require(session: &Session, least: Role, what: &str) -> Result<(), Response> {
    if session.staff.role >= least {
        return Ok(());
    }
    let needed = match least {
        Role::Viewer => "needed-viewer",
        Role::Investigator => "needed-investigator",
        Role::Admin => "needed-admin",
    };
    Err(forbidden(&trf(
        "refused-role",
        vec![
            ("what", tr(what).into()),
            ("needed", tr(needed).into()),
            ("name", (&session.staff.name).into()),
            ("role", tr(&format!("role-{}", session.staff.role)).into()),
        ],
    )))
}

/// The session of a page request whose role allows `what`: without a session the login
/// form, with too low a role 403.
// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn page_session(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    least: Role,
    what: &str,
) -> Result<Session, Response> {
    let session = session(app, headers).ok_or_else(|| to_login(uri))?;
    require(&session, least, what)?;
    Ok(session)
}

/// [`page_session`] for the JSON API: without a session 401.
#[allow(clippy::result_large_err)]
fn api_session(
    app: &App,
    headers: &HeaderMap,
    least: Role,
    what: &str,
) -> Result<Session, Response> {
    let session = session(app, headers).ok_or_else(api_unauthorized)?;
    require(&session, least, what)?;
    Ok(session)
}

fn forbidden(why: &str) -> Response {
    let text = trf("forbidden", vec![("why", why.into())]);
    (StatusCode::FORBIDDEN, format!("{text}\n")).into_response()
}

fn internal(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!("{what}: {e}");
    let text = trf("internal-failed", vec![("what", what.into())]);
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{text}\n")).into_response()
}

/// The refusal of a date parameter (`name` a `param-*` key) that is neither a day nor an
/// RFC 3339 instant.
fn bad_date(name: &str, value: &str) -> String {
    trf(
        "warn-date",
        vec![("name", tr(name).into()), ("value", value.into())],
    )
}

fn no_such_listing() -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("{}\n", tr("no-such-listing")),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login_form(State(app): State<Shared>, Query(q): Query<LoginQuery>) -> Response {
    login_page(&app, q.next.as_deref().unwrap_or("/search"), None)
}

fn login_page(app: &App, next: &str, error: Option<&str>) -> Response {
    // The login form has no session yet: its CSRF token is a fresh cookie the form echoes.
    let csrf = auth::random_token();
    let mut response = render(
        app,
        "login.html",
        context! { csrf => &csrf, next => local_path(next), error => error },
    );
    let cookie = app.cookies.set(app.cookies.login_csrf_name(), &csrf, 3600);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    if error.is_some() {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
    }
    response
}

async fn login(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let expected = auth::cookie(&headers, app.cookies.login_csrf_name()).unwrap_or("");
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if !auth::tokens_match(expected, sent) {
        return forbidden(&tr("csrf-login"));
    }
    let name = form.get("name").map(|s| s.trim()).unwrap_or("");
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let next = local_path(form.get("next").map(String::as_str).unwrap_or("/search"));
    let addr = extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let refused = |why: guard::Refusal| {
        let (status, wait) = match why {
            guard::Refusal::Throttled(w) => (StatusCode::TOO_MANY_REQUESTS, w.as_secs().max(1)),
            guard::Refusal::Busy => (StatusCode::SERVICE_UNAVAILABLE, 5),
        };
        tracing::warn!("console login for {name:?} from {addr:?} refused: wait {wait} s");
        record_access(
            &app,
            name,
            &extensions,
            "login_refused",
            Some(format!("wait {wait} s")),
        );
        let mut r = login_page(
            &app,
            &next,
            Some(&trf("login-throttled", vec![("wait", wait.into())])),
        );
        *r.status_mut() = status;
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    };
    if let Err(why) = app.guard.check(name, addr, std::time::Instant::now()) {
        return refused(why);
    }
    let staff = {
        let store = match app.store.lock() {
            Ok(s) => s,
            Err(_) => return internal("login", "store lock poisoned"),
        };
        match store.staff_by_name(name) {
            Ok(s) => s,
            Err(e) => return internal("login", e),
        }
    };
    // The same Argon2 work whether or not the name exists (a dummy hash for unknown names).
    let phc = staff
        .as_ref()
        .map_or_else(|| app.dummy_hash.clone(), |s| s.password_hash.clone());
    let password = password.to_string();
    let matches = match app
        .guard
        .hash(move || auth::verify_password(&password, &phc))
        .await
    {
        Ok(m) => m,
        Err(why) => return refused(why),
    };
    let staff = match staff {
        Some(staff) if matches && !staff.disabled && !staff.locked => staff,
        Some(staff) => {
            app.guard.failed(name, addr, std::time::Instant::now());
            let lock_after = i64::from(app.settings.lock_after_failures);
            if !matches && lock_after > 0 {
                let counted = match app.store.lock() {
                    Ok(mut store) => {
                        store.record_failed_login(staff.id, lock_after, chrono::Utc::now())
                    }
                    Err(_) => return internal("login", "store lock poisoned"),
                };
                if let Ok(true) = counted {
                    if !staff.locked {
                        tracing::warn!(
                            "console account {} locked after {lock_after} failed logins",
                            staff.name
                        );
                    }
                }
            }
            // Only the right password learns that the account is disabled or locked.
            let why = match (matches, staff.disabled, staff.locked) {
                (true, true, _) => "login-disabled",
                (true, _, true) => "login-locked",
                _ => "login-wrong",
            };
            tracing::info!("console login refused for {name:?} from {addr:?}");
            record_access(
                &app,
                name,
                &extensions,
                "login_failed",
                Some(why.to_string()),
            );
            return login_page(&app, &next, Some(&tr(why)));
        }
        None => {
            app.guard.failed(name, addr, std::time::Instant::now());
            tracing::info!("console login refused for {name:?} from {addr:?}");
            record_access(
                &app,
                name,
                &extensions,
                "login_failed",
                Some("unknown name".into()),
            );
            return login_page(&app, &next, Some(&tr("login-wrong")));
        }
    };
    app.guard.succeeded(name);
    let token = auth::random_token();
    let csrf = auth::random_token();
    let now = chrono::Utc::now();
    let expires = now + chrono::Duration::hours(app.settings.session_hours.into());
    let created = match app.store.lock() {
        Ok(mut store) => store.create_session(&token, staff.id, &csrf, now, expires),
        Err(_) => return internal("login", "store lock poisoned"),
    };
    if let Err(e) = created {
        return internal("starting a session", e);
    }
    tracing::info!(
        "console login: {} ({}) from {addr:?}",
        staff.name,
        staff.role
    );
    record_access(&app, &staff.name, &extensions, "login", None);
    let mut response = Redirect::to(&next).into_response();
    let cookies = [
        app.cookies.session(&token),
        app.cookies.set(app.cookies.login_csrf_name(), "", 0),
    ];
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// The session of a POST whose form carries its CSRF token, or the refusal.
// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn checked_post(
    app: &App,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Session, Response> {
    let Some(session) = session(app, headers) else {
        return Err(forbidden(&tr("no-session")));
    };
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if !auth::tokens_match(&session.csrf_token, sent) {
        return Err(forbidden(&tr("csrf-form")));
    }
    Ok(session)
}

async fn logout(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match checked_post(&app, &headers, &form) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    record_access(&app, &session.staff.name, &extensions, "logout", None);
    if let Some(token) = auth::cookie(&headers, app.cookies.session_name()) {
        if let Ok(mut store) = app.store.lock() {
            if let Err(e) = store.end_session(token) {
                return internal("logging out", e);
            }
        }
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&app.cookies.set(app.cookies.session_name(), "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

// ---------------------------------------------------------------------------------------------
// search

/// The search page's URL parameters (also `/api/search`'s and `/search.csv`'s). Every value
/// is optional and a value that cannot be read is ignored with a warning, so a hand-edited
/// URL still answers.
#[derive(Debug, Default, Clone, Deserialize)]
struct SearchParams {
    q: Option<String>,
    brand: Option<String>,
    platform: Option<String>,
    seller: Option<String>,
    category: Option<String>,
    /// A mark scheme claimed (`CCC`), or `none`.
    mark: Option<String>,
    /// A mark scheme not claimed.
    without_mark: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    min_risk: Option<String>,
    max_risk: Option<String>,
    /// First seen from / to: a day (`2026-11-30`) or an RFC 3339 instant.
    since: Option<String>,
    until: Option<String>,
    /// Last seen from / to.
    seen_since: Option<String>,
    seen_until: Option<String>,
    /// `exclude` (default), `include`, `only`.
    delisted: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl SearchParams {
    /// Every parameter by its URL name, in the order URLs are written.
    fn pairs(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("q", non_empty(&self.q)),
            ("brand", non_empty(&self.brand)),
            ("platform", non_empty(&self.platform)),
            ("seller", non_empty(&self.seller)),
            ("category", non_empty(&self.category)),
            ("mark", non_empty(&self.mark)),
            ("without_mark", non_empty(&self.without_mark)),
            ("min_price", non_empty(&self.min_price)),
            ("max_price", non_empty(&self.max_price)),
            ("min_risk", non_empty(&self.min_risk)),
            ("max_risk", non_empty(&self.max_risk)),
            ("since", non_empty(&self.since)),
            ("until", non_empty(&self.until)),
            ("seen_since", non_empty(&self.seen_since)),
            ("seen_until", non_empty(&self.seen_until)),
            ("delisted", non_empty(&self.delisted)),
            ("sort", non_empty(&self.sort)),
            ("page", non_empty(&self.page)),
        ]
    }

    /// The library request, the page number (1-based) and what was ignored.
    fn request(&self) -> (SearchRequest, usize, Vec<String>) {
        let mut warnings = Vec::new();
        let mut risk = |name: &str, v: &Option<String>| {
            non_empty(v).and_then(|s| match s.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Some(r),
                _ => {
                    warnings.push(trf(
                        "warn-risk",
                        vec![("name", tr(name).into()), ("value", s.into())],
                    ));
                    None
                }
            })
        };
        let (min_risk, max_risk) = (
            risk("param-min-risk", &self.min_risk),
            risk("param-max-risk", &self.max_risk),
        );
        let mut price = |name: &str, v: &Option<String>| {
            non_empty(v).and_then(|s| match s.parse::<qsword_listing::Decimal>() {
                Ok(p) => Some(p),
                Err(_) => {
                    warnings.push(trf(
                        "warn-price",
                        vec![("name", tr(name).into()), ("value", s.into())],
                    ));
                    None
                }
            })
        };
        let (min_price, max_price) = (
            price("param-min-price", &self.min_price),
            price("param-max-price", &self.max_price),
        );
        let mut moment = |name: &str, v: &Option<String>, bound: crate::search::Bound| {
            let v = non_empty(v);
            crate::search::moment(name, &v, bound).unwrap_or_else(|_| {
                warnings.push(bad_date(name, v.as_deref().unwrap_or("")));
                None
            })
        };
        use crate::search::Bound::{End, Start};
        let first_seen_from = moment("param-since", &self.since, Start);
        let first_seen_to = moment("param-until", &self.until, End);
        let last_seen_from = moment("param-seen-since", &self.seen_since, Start);
        let last_seen_to = moment("param-seen-until", &self.seen_until, End);
        let delisted = non_empty(&self.delisted)
            .map(|s| {
                Delisted::parse(&s).unwrap_or_else(|| {
                    warnings.push(trf("warn-delisted", vec![("value", s.into())]));
                    Delisted::Exclude
                })
            })
            .unwrap_or_default();
        let sort = non_empty(&self.sort)
            .map(|s| {
                Sort::parse(&s).unwrap_or_else(|| {
                    warnings.push(trf("warn-sort", vec![("value", s.into())]));
                    Sort::Relevance
                })
            })
            .unwrap_or_default();
        let page = non_empty(&self.page)
            .map(|s| match s.parse::<usize>() {
                Ok(p) if p >= 1 => p,
                _ => {
                    warnings.push(trf("warn-page", vec![("value", s.into())]));
                    1
                }
            })
            .unwrap_or(1);
        let page = page.min(MAX_OFFSET / PAGE_SIZE);
        let req = SearchRequest {
            query: non_empty(&self.q).unwrap_or_default(),
            brand: non_empty(&self.brand),
            platform: non_empty(&self.platform),
            seller: non_empty(&self.seller),
            category: non_empty(&self.category),
            mark: non_empty(&self.mark),
            without_mark: non_empty(&self.without_mark),
            min_price,
            max_price,
            min_risk,
            max_risk,
            first_seen_from,
            first_seen_to,
            last_seen_from,
            last_seen_to,
            delisted,
            sort,
            facets: true,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        };
        (req, page, warnings)
    }

    /// This search's URL at `path` with some parameters changed (`None` removes one);
    /// paging restarts unless `page` is among them.
    fn href_at(&self, path: &str, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs = self.pairs();
        if let Some(p) = pairs.iter_mut().find(|(name, _)| *name == "page") {
            p.1 = None;
        }
        for (k, v) in changes {
            if let Some(p) = pairs.iter_mut().find(|(name, _)| name == k) {
                p.1 = v.clone();
            }
        }
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if let Some(v) = v {
                ser.append_pair(k, &v);
            }
        }
        format!("{path}?{}", ser.finish())
    }

    fn href(&self, changes: &[(&str, Option<String>)]) -> String {
        self.href_at("/search", changes)
    }
}

// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn run_search(app: &App, req: &SearchRequest) -> Result<SearchResults, Response> {
    fresh_index(app)
        .search(req)
        .map_err(|e| internal("the search", e))
}

/// The index as of its last commit: the nightly job commits in another process, so every
/// read of the index picks that commit up first.
fn fresh_index(app: &App) -> &ListingIndex {
    if let Err(e) = app.index.reload() {
        tracing::warn!("reloading the index: {e}");
    }
    &app.index
}

/// A download: the body with its type and file name (`attachment`, so a browser saves rather
/// than shows it).
fn download(
    content_type: &'static str,
    file_name: &str,
    body: impl Into<axum::body::Body>,
) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn search_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    Query(params): Query<SearchParams>,
) -> Response {
    let Some(session) = session(&app, &headers) else {
        return to_login(&uri);
    };
    let query = uri.query().unwrap_or("").to_string();
    record_access(
        &app,
        &session.staff.name,
        &extensions,
        "search",
        Some(query),
    );
    let (req, page, mut warnings) = params.request();
    let results = match run_search(&app, &req) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    warnings.extend(results.warnings.iter().cloned());
    let facet =
        |name: &str, key: &str, selected: Option<String>, values: Vec<(String, String, u64)>| {
            let values: Vec<minijinja::Value> = values
                .into_iter()
                .map(|(value, label, count)| {
                    let is_selected = selected.as_deref() == Some(value.as_str());
                    let change = if is_selected { None } else { Some(value) };
                    context! {
                        label => label,
                        count => count,
                        selected => is_selected,
                        href => params.href(&[(key, change)]),
                    }
                })
                .collect();
            context! { name => tr(name), values => values }
        };
    let plain = |v: &[qsword_indexer::FacetCount]| -> Vec<(String, String, u64)> {
        v.iter()
            .map(|f| (f.value.clone(), f.value.clone(), f.count))
            .collect()
    };
    let f = &results.facets;
    let facets = vec![
        facet(
            "facet-category",
            "category",
            req.category.clone(),
            f.category
                .iter()
                .map(|c| (c.path.clone(), c.name.clone(), c.count))
                .collect(),
        ),
        facet("facet-brand", "brand", req.brand.clone(), plain(&f.brand)),
        facet(
            "facet-platform",
            "platform",
            req.platform.clone(),
            plain(&f.platform),
        ),
        facet(
            "facet-seller",
            "seller",
            req.seller.clone(),
            plain(&f.seller),
        ),
        facet("facet-marks", "mark", req.mark.clone(), plain(&f.marks)),
        // A scheme's count is exact over all matches, so the listings without it are the rest.
        facet(
            "facet-marks-missing",
            "without_mark",
            req.without_mark.clone(),
            f.marks
                .iter()
                .filter(|m| m.value != "none")
                .map(|m| {
                    let without = (results.total as u64).saturating_sub(m.count);
                    let label = trf("facet-no-mark", vec![("mark", (&m.value).into())]);
                    (m.value.clone(), label, without)
                })
                .filter(|(_, _, n)| *n > 0)
                .collect(),
        ),
    ];
    let hits: Vec<minijinja::Value> = results
        .hits
        .iter()
        .map(|h| {
            context! {
                id => h.id,
                snippet_html => &h.snippet_html,
                risk => h.risk,
                price => h.price.as_ref().map(|p| p.to_string()).unwrap_or_else(|| tr("no-price")),
                brand => &h.brand,
                platform => &h.platform,
                seller => &h.seller,
                category => &h.category,
                category_path => &h.category_path,
                marks => &h.marks,
                delisted => h.delisted,
            }
        })
        .collect();
    let shown_to = req.offset + results.hits.len();
    let prev_href = (page > 1).then(|| params.href(&[("page", Some((page - 1).to_string()))]));
    let next_href = (shown_to < results.total
        && shown_to + PAGE_SIZE <= MAX_OFFSET + PAGE_SIZE
        && page < MAX_OFFSET / PAGE_SIZE)
        .then(|| params.href(&[("page", Some((page + 1).to_string()))]));
    let sorts: Vec<minijinja::Value> = [
        ("relevance", "sort-relevance"),
        ("risk", "sort-risk"),
        ("price", "sort-price"),
        ("-price", "sort-dearest"),
        ("newest", "sort-newest"),
    ]
    .iter()
    .map(|(v, l)| context! { value => v, label => tr(l) })
    .collect();
    render(
        &app,
        "search.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            q => &req.query,
            p => params
                .pairs()
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect::<std::collections::BTreeMap<_, _>>(),
            sort => params.sort.as_deref().unwrap_or("relevance"),
            delisted => params.delisted.as_deref().unwrap_or("exclude"),
            csv_href => params.href_at("/search.csv", &[]),
            sorts => sorts,
            warnings => warnings,
            total => results.total,
            first => req.offset + 1,
            last => shown_to,
            facets => facets,
            hits => hits,
            prev_href => prev_href,
            next_href => next_href,
        },
    )
}

/// The API's answer to a request without a session.
fn api_unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({"error": "no session; log in at /login"})),
    )
        .into_response()
}

async fn api_search(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    Query(params): Query<SearchParams>,
) -> Response {
    let Some(session) = session(&app, &headers) else {
        return api_unauthorized();
    };
    let query = uri.query().unwrap_or("").to_string();
    record_access(
        &app,
        &session.staff.name,
        &extensions,
        "search",
        Some(query),
    );
    let (req, page, mut warnings) = params.request();
    let results = match run_search(&app, &req) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    warnings.extend(results.warnings.iter().cloned());
    axum::Json(serde_json::json!({
        "total": results.total,
        "page": page,
        "per_page": PAGE_SIZE,
        "offset": req.offset,
        "warnings": warnings,
        "facets": results.facets,
        "hits": results.hits,
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// listing

/// The listing's fields as (name, text) rows: every field of the JSON contract, `extra` too.
fn field_rows(listing: &qsword_listing::Listing) -> Vec<minijinja::Value> {
    let json = serde_json::to_value(listing).unwrap_or_default();
    let Some(map) = json.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => serde_json::to_string_pretty(other).unwrap_or_default(),
            };
            context! { name => k, value => text }
        })
        .collect()
}

async fn listing_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(session) = session(&app, &headers) else {
        return to_login(&uri);
    };
    let Ok(id) = id.parse::<i64>() else {
        return no_such_listing();
    };
    let id = ListingId(id);
    let (stored, assessments, labels, notes) = {
        let store = match app.store.lock() {
            Ok(s) => s,
            Err(_) => return internal("reading the listing", "store lock poisoned"),
        };
        let read = || -> Result<_, qsword_store::StoreError> {
            Ok((
                store.listing(id)?,
                store.assessments(id)?,
                store.labels(id)?,
                store.notes(id)?,
            ))
        };
        match read() {
            Ok(r) => r,
            Err(e) => return internal("reading the listing", e),
        }
    };
    let Some(stored) = stored else {
        return no_such_listing();
    };
    let latest = assessments.last();
    let flags: Vec<minijinja::Value> = latest
        .and_then(|a| a.flags.as_array())
        .map(|flags| {
            flags
                .iter()
                .map(|f| {
                    let signal = f.get("signal").and_then(|v| v.as_str()).unwrap_or("?");
                    let evidence = f.get("evidence").unwrap_or(&serde_json::Value::Null);
                    let english = f.get("reason").and_then(|v| v.as_str()).unwrap_or("");
                    context! {
                        signal => signal,
                        signal_name => i18n::reasons::signal_name(i18n::current(), signal),
                        score => f.get("score").and_then(|v| v.as_f64()).map(|s| format!("{s:.2}")),
                        reason => i18n::reasons::reason(i18n::current(), signal, evidence, english),
                        evidence => serde_json::to_string_pretty(evidence).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let url = &stored.listing.url;
    // Only a web address becomes a link: a crawled `javascript:` URL stays text.
    let page_link = (url.starts_with("https://") || url.starts_with("http://")).then_some(url);
    let mut response = render(
        &app,
        "listing.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            title => &stored.listing.title,
            risk => stored.risk,
            page_link => page_link,
            flags => flags,
            detected_at => latest.map(|a| a.detected_at.to_rfc3339()),
            listing_id => id.0,
            // Who decided what is the audit trail's matter: investigators and admins only.
            decisions => triage::history(&labels, &notes),
            can_read_decisions => session.staff.role >= Role::Investigator,
            can_decide => session.staff.role >= Role::Investigator,
            fields => field_rows(&stored.listing),
            evidence => evidence::page_context(&app, &stored),
            extras => listing_extras::page_context(&app, &stored),
        },
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(evidence::LISTING_PAGE_CSP),
    );
    response
}

async fn api_listing(
    State(app): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(session) = session(&app, &headers) else {
        return api_unauthorized();
    };
    // Decisions and notes (who decided what) are for investigators and admins, as `/audit`.
    let decisions_shown = session.staff.role >= Role::Investigator;
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": format!("no listing {id:?}")})),
        )
            .into_response()
    };
    let Ok(n) = id.parse::<i64>() else {
        return not_found();
    };
    let store = match app.store.lock() {
        Ok(s) => s,
        Err(_) => return internal("reading the listing", "store lock poisoned"),
    };
    let lid = ListingId(n);
    let read = || -> Result<_, qsword_store::StoreError> {
        Ok((
            store.listing(lid)?,
            store.assessments(lid)?,
            store.labels(lid)?,
            store.notes(lid)?,
        ))
    };
    match read() {
        Ok((Some(stored), assessments, labels, notes)) => axum::Json(serde_json::json!({
            "id": stored.id,
            "listing": stored.listing,
            "risk": stored.risk,
            "first_seen": stored.first_seen,
            "last_seen": stored.last_seen,
            "delisted_at": stored.delisted_at,
            "warc": stored.warc,
            "assessment": assessments.last(),
            "labels": if decisions_shown { serde_json::json!(labels) } else { serde_json::Value::Null },
            "notes": if decisions_shown { serde_json::json!(notes) } else { serde_json::Value::Null },
        }))
        .into_response(),
        Ok((None, ..)) => not_found(),
        Err(e) => internal("reading the listing", e),
    }
}
