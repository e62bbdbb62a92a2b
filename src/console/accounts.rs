//! `/staff` (admin only): the console's accounts, their roles, and the investigator of
//! `[[alerts.investigators]]` each stands for in the triage queue. Read-only: accounts are
//! added and changed with `qsword users add` on the server.

use super::{internal, page_session, render, triage::investigator_of, Shared};
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
            }
        })
        .collect();
    render(
        &app,
        "staff.html",
        context! { staff => &session.staff, csrf => &session.csrf_token, rows => rows },
    )
}
