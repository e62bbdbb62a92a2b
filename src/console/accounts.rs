//! `/staff` (admin only): the console's accounts, their roles and state, and the investigator
//! of `[[alerts.investigators]]` each stands for in the triage queue. Read-only: accounts are
//! added and changed with `qsword users …` on the server. `/access` and `/access.csv` (admin
//! only): the access log.

use super::{internal, page_session, render, triage::investigator_of, Shared};
use crate::spreadsheet::cell;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use minijinja::context;
use qsword_store::Role;

pub(super) async fn staff_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Admin, "what-staff") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let accounts = match app.store.lock() {
        Ok(store) => store.staff_accounts(),
        Err(_) => return internal("reading the staff accounts", "store lock poisoned"),
    };
    let accounts = match accounts {
        Ok(a) => a,
        Err(e) => return internal("reading the staff accounts", e),
    };
    let rows: Vec<minijinja::Value> = accounts
        .iter()
        .map(|a| {
            let inv = investigator_of(&app.alerts, a);
            context! {
                name => &a.name,
                role => a.role.as_str(),
                investigator => inv.map(|i| format!("{} <{}>", i.name, i.email)),
                state => if a.disabled { "disabled" } else if a.locked { "locked" } else { "active" },
            }
        })
        .collect();
    render(
        &app,
        "staff.html",
        context! { staff => &session.staff, csrf => &session.csrf_token, rows => rows },
    )
}

/// Access-log entries per page.
const ACCESS_PAGE: usize = 100;

#[derive(serde::Deserialize, Default)]
pub(super) struct AccessParams {
    page: Option<String>,
}

/// `/access` (admin only): who logged in (or failed to), searched, exported and viewed or
/// downloaded evidence, newest first.
pub(super) async fn access_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    axum::extract::Query(params): axum::extract::Query<AccessParams>,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Admin, "what-access") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let page = params
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(10_000_000);
    let read = match app.store.lock() {
        Ok(store) => store.access_log(ACCESS_PAGE, (page - 1) * ACCESS_PAGE),
        Err(_) => return internal("reading the access log", "store lock poisoned"),
    };
    let (entries, total) = match read {
        Ok(r) => r,
        Err(e) => return internal("reading the access log", e),
    };
    let rows: Vec<minijinja::Value> = entries
        .iter()
        .map(|a| {
            context! {
                at => a.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                who => &a.who,
                address => &a.address,
                action => &a.action,
                target => &a.target,
            }
        })
        .collect();
    let href = |p: usize| format!("/access?page={p}");
    render(
        &app,
        "access.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            rows => rows,
            total => total,
            prev_href => (page > 1).then(|| href(page - 1)),
            next_href => ((page * ACCESS_PAGE) < total as usize).then(|| href(page + 1)),
        },
    )
}

/// `/access.csv` (admin only): the whole access log, oldest last, as CSV; the download is
/// itself recorded.
pub(super) async fn access_csv(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Admin, "what-access") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    super::record_access(
        &app,
        &session.staff.name,
        &extensions,
        "access_export",
        None,
    );
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let written = (|| -> anyhow::Result<()> {
        w.write_record(["at", "who", "address", "action", "target"])?;
        let mut offset = 0;
        loop {
            let (entries, _) = match app.store.lock() {
                Ok(store) => store.access_log(10_000, offset)?,
                Err(_) => anyhow::bail!("store lock poisoned"),
            };
            if entries.is_empty() {
                break;
            }
            offset += entries.len();
            for a in &entries {
                w.write_record([
                    a.at.to_rfc3339(),
                    cell(&a.who),
                    a.address.clone().unwrap_or_default(),
                    a.action.clone(),
                    cell(a.target.as_deref().unwrap_or("")),
                ])?;
            }
        }
        Ok(())
    })();
    match written.and_then(|()| Ok(w.into_inner()?)) {
        Ok(bytes) => super::download("text/csv; charset=utf-8", "qsword-access.csv", bytes),
        Err(e) => internal("writing the access log", format!("{e:#}")),
    }
}
