//! Triage: investigators confirm or dismiss flags (or write a note) from the listing page,
//! work through the queue of flagged listings nobody has decided on (`/triage`, riskiest
//! first, filtered by their alert routing), and read the audit trail (`/audit`).
//!
//! A decision is a label in the store (`qsword_store::Label`, the same as `qsword label`),
//! so `qsword detect --train` learns from it; a note without a decision is a store note and
//! teaches nothing. Both are append-only: they are the audit trail. Not here: the listing
//! page itself (`mod.rs`), labelling in bulk.
//!
//! A staff account is linked to an investigator of `[[alerts.investigators]]` when its name
//! is the investigator's `name` or `email`: the queue then shows what that investigator's
//! digests would carry; `?all=1` (and any account without a link) shows every flag.

use super::{
    api_session, checked_post, internal, non_empty, page_session, render, require, Shared,
    PAGE_SIZE,
};
use crate::alerts::{routing::queue_filter, AlertItem};
use crate::config::{AlertsConfig, Investigator};
use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use qsword_store::{AuditEntry, Decision, Label, ListingId, Note, Role, Session, Staff};
use serde::Deserialize;
use std::collections::HashMap;

/// Longest note kept; a longer one is refused rather than cut.
const MAX_NOTE_CHARS: usize = 4000;
/// Audit entries per page.
const AUDIT_PAGE: usize = 50;

fn bad_request(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
}

/// `POST /listing/{id}/decision`: `decision` = `confirm` | `dismiss` (a label, with the note
/// if any) or absent / `note` (the note alone); then back to the listing page (303).
pub(super) async fn decide(
    State(app): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let session = match checked_post(&app, &headers, &form) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    if let Err(refused) = require(&session, Role::Investigator, "what-decide") {
        return refused;
    }
    let Ok(n) = id.parse::<i64>() else {
        return super::no_such_listing();
    };
    let note = form.get("note").map(|s| s.trim()).filter(|s| !s.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return bad_request(&super::trf(
            "note-too-long",
            vec![("max", MAX_NOTE_CHARS.into())],
        ));
    }
    let decision = match form.get("decision").map(|s| s.trim()) {
        None | Some("" | "note") => None,
        Some(d) => match d.parse::<Decision>() {
            Ok(d) => Some(d),
            Err(e) => return bad_request(&e),
        },
    };
    if decision.is_none() && note.is_none() {
        return bad_request(&super::tr("nothing-to-record"));
    }
    let id = ListingId(n);
    let who = session.staff.name.as_str();
    let now = chrono::Utc::now();
    let mut store = match app.store.lock() {
        Ok(s) => s,
        Err(_) => return internal("recording the decision", "store lock poisoned"),
    };
    match store.listing(id) {
        Ok(Some(_)) => {}
        Ok(None) => return super::no_such_listing(),
        Err(e) => return internal("recording the decision", e),
    }
    let written = match decision {
        Some(d) => store.add_label(id, d, note, who, now).map(|_| ()),
        None => store
            .add_note(id, note.unwrap_or_default(), who, now)
            .map(|_| ()),
    };
    if let Err(e) = written {
        return internal("recording the decision", e);
    }
    tracing::info!(
        "listing {id}: {} by {who}",
        decision.map(|d| d.as_str()).unwrap_or("note")
    );
    Redirect::to(&format!("/listing/{n}")).into_response()
}

/// The listing page's decision history (labels and notes, oldest first) as template rows.
pub(super) fn history(labels: &[Label], notes: &[Note]) -> Vec<minijinja::Value> {
    let mut rows: Vec<(chrono::DateTime<chrono::Utc>, minijinja::Value)> = labels
        .iter()
        .map(|l| {
            (
                l.decided_at,
                context! { at => l.decided_at.to_rfc3339(), action => l.decision.as_str(), who => &l.who, note => &l.note },
            )
        })
        .chain(notes.iter().map(|n| {
            (
                n.written_at,
                context! { at => n.written_at.to_rfc3339(), action => "note", who => &n.who, note => &n.note },
            )
        }))
        .collect();
    rows.sort_by_key(|(at, _)| *at);
    rows.into_iter().map(|(_, v)| v).collect()
}

/// The investigator a staff account stands for: same name, or its e-mail as the name.
pub(super) fn investigator_of<'a>(
    cfg: &'a AlertsConfig,
    staff: &Staff,
) -> Option<&'a Investigator> {
    cfg.investigators
        .iter()
        .find(|i| i.name == staff.name || i.email.eq_ignore_ascii_case(&staff.name))
}

#[derive(Deserialize, Default)]
pub(super) struct TriageParams {
    /// `1`: every flagged listing, not only the investigator's routing.
    all: Option<String>,
    page: Option<String>,
}

/// Deepest page number read: far past any real queue, and small enough that the offset
/// (`(page - 1) * page size`) cannot overflow (a URL's `page=18446744073709551615` did).
const MAX_PAGE: usize = 10_000_000;

fn page_of(page: &Option<String>) -> usize {
    non_empty(page)
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(MAX_PAGE)
}

/// One page of the queue as this session sees it.
struct Queue {
    items: Vec<AlertItem>,
    /// The whole (filtered) queue's length.
    total: usize,
    /// The page shown: the one asked for, or the last one when fewer remain.
    page: usize,
    /// The investigator whose routing filtered it, if it was filtered.
    routed_for: Option<String>,
    /// Why it is not filtered although `all` was not asked for.
    unlinked: bool,
}

/// Page `page` of the queue (the last page when it is beyond the end, if `clamp`). Routing
/// is a store query filter, so only one page of listings is read and decoded.
// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn queue(
    app: &super::App,
    session: &Session,
    all: bool,
    page: usize,
    clamp: bool,
) -> Result<Queue, Response> {
    let investigator = investigator_of(&app.alerts, &session.staff);
    let routing = investigator.filter(|_| !all);
    let filter = routing
        .map(|inv| queue_filter(inv, &app.alerts.platform_regions))
        .unwrap_or_default();
    let failed = |e: &dyn std::fmt::Display| internal("reading the triage queue", e);
    let store = app
        .store
        .lock()
        .map_err(|_| failed(&"store lock poisoned"))?;
    let read = |page: usize| store.triage_queue(&filter, PAGE_SIZE, (page - 1) * PAGE_SIZE);
    let (mut unreviewed, mut total) = read(page).map_err(|e| failed(&e))?;
    let mut page = page;
    let last = (total as usize).div_ceil(PAGE_SIZE).max(1);
    if clamp && page > last {
        page = last;
        (unreviewed, total) = read(page).map_err(|e| failed(&e))?;
    }
    drop(store);
    let items = unreviewed
        .iter()
        .map(|u| AlertItem::of(&u.listing, &u.flags_json, &app.alerts.platform_regions))
        .collect();
    Ok(Queue {
        items,
        total: total as usize,
        page,
        routed_for: routing.map(|i| i.name.clone()),
        unlinked: investigator.is_none() && !all,
    })
}

pub(super) async fn triage_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<TriageParams>,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Investigator, "what-triage") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let all = non_empty(&params.all).is_some_and(|a| a != "0");
    let q = match queue(&app, &session, all, page_of(&params.page), true) {
        Ok(q) => q,
        Err(refused) => return refused,
    };
    let (total, page) = (q.total, q.page);
    let first = (page - 1) * PAGE_SIZE;
    let rows: Vec<minijinja::Value> = q
        .items
        .iter()
        .map(|i| {
            context! {
                id => i.listing_id,
                title => &i.title,
                risk => i.risk,
                price => &i.price,
                platform => &i.platform,
                seller => &i.seller,
                category => &i.category,
                flags => i.flags.iter().map(|f| context! {
                    signal => &f.signal,
                    signal_name => crate::i18n::reasons::signal_name(crate::i18n::current(), &f.signal),
                    reason => f.reason_in(crate::i18n::current()),
                }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let href = |p: usize| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        if all {
            ser.append_pair("all", "1");
        }
        ser.append_pair("page", &p.to_string());
        format!("/triage?{}", ser.finish())
    };
    render(
        &app,
        "triage.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            total => total,
            first => first + 1,
            last => first + rows.len(),
            rows => rows,
            all => all,
            routed_for => q.routed_for,
            unlinked => q.unlinked,
            prev_href => (page > 1).then(|| href(page - 1)),
            next_href => (first + PAGE_SIZE < total).then(|| href(page + 1)),
        },
    )
}

pub(super) async fn api_triage(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<TriageParams>,
) -> Response {
    let session = match api_session(&app, &headers, Role::Investigator, "what-triage") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let all = non_empty(&params.all).is_some_and(|a| a != "0");
    let q = match queue(&app, &session, all, page_of(&params.page), false) {
        Ok(q) => q,
        Err(refused) => return refused,
    };
    axum::Json(serde_json::json!({
        "total": q.total,
        "page": q.page,
        "per_page": PAGE_SIZE,
        "routed_for": q.routed_for,
        "items": q.items,
    }))
    .into_response()
}

// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn audit_entries(app: &super::App, page: usize) -> Result<(Vec<AuditEntry>, u64), Response> {
    match app.store.lock() {
        Ok(store) => store.audit_trail(AUDIT_PAGE, (page - 1) * AUDIT_PAGE),
        Err(_) => return Err(internal("reading the audit trail", "store lock poisoned")),
    }
    .map_err(|e| internal("reading the audit trail", e))
}

#[derive(Deserialize, Default)]
pub(super) struct PageParams {
    page: Option<String>,
}

pub(super) async fn audit_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<PageParams>,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Investigator, "what-audit") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let page = page_of(&params.page);
    let (entries, total) = match audit_entries(&app, page) {
        Ok(e) => e,
        Err(refused) => return refused,
    };
    let rows: Vec<minijinja::Value> = entries
        .iter()
        .map(|e| {
            context! {
                at => e.at.to_rfc3339(),
                who => &e.who,
                action => e.action.as_str(),
                note => &e.note,
                id => e.listing_id.0,
                title => &e.listing_title,
            }
        })
        .collect();
    let shown_to = (page - 1) * AUDIT_PAGE + rows.len();
    render(
        &app,
        "audit.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            total => total,
            rows => rows,
            prev_href => (page > 1).then(|| format!("/audit?page={}", page - 1)),
            next_href => ((shown_to as u64) < total).then(|| format!("/audit?page={}", page + 1)),
        },
    )
}

pub(super) async fn api_audit(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    if let Err(refused) = api_session(&app, &headers, Role::Investigator, "what-audit") {
        return refused;
    }
    let page = page_of(&params.page);
    match audit_entries(&app, page) {
        Ok((entries, total)) => axum::Json(serde_json::json!({
            "total": total,
            "page": page,
            "per_page": AUDIT_PAGE,
            "entries": entries,
        }))
        .into_response(),
        Err(refused) => refused,
    }
}
