//! A listing's evidence in the console: the captured page, read back from its WARC record and
//! served for a sandboxed frame (no scripts, no network), the capture's digests and time for
//! the listing page, and the two downloads — the WARC exchange exactly as stored
//! (`evidence.warc.gz`, its digests verify) and a JSON case sheet (`evidence.json`).
//!
//! Not for: reading or writing WARC files (the crawler's `evidence` module does that) or
//! laying out the listing page (its template includes `listing_evidence.html`).

use super::{download, internal, page_session, Shared};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use qsword_crawler::{WarcRecordData, WarcRef};
use qsword_store::{ListingId, Role, Session, StoredAssessment, StoredListing};

/// The captured page's own policy: a sandbox (scripts, forms, plugins, popups and top
/// navigation off; an opaque origin, so no cookies), nothing fetched from anywhere (inline
/// styles and `data:` images only), framed only by the console itself.
pub const FRAME_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

/// The listing page's policy: the console's, plus frames from the console (the evidence).
pub const LISTING_PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the store says about a listing, read under one lock.
pub(super) struct Evidence {
    pub stored: StoredListing,
    pub assessment: Option<StoredAssessment>,
    /// The latest capture's record, `None` for a listing that was imported, not crawled.
    pub warc: Option<WarcRef>,
}

/// For a request about listing `id` (its frame, downloads, chart): the session and what the
/// store says; `Err` is the response to send (to the login form without a session, 404).
// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(super) fn listing_request(
    app: &super::App,
    headers: &HeaderMap,
    uri: &Uri,
    id: &str,
) -> Result<(Session, Evidence), Response> {
    let session = page_session(app, headers, uri, Role::Viewer, "what-evidence")?;
    Ok((session, evidence_of(app, id)?))
}

/// [`listing_request`] for a listing that must have a captured page.
#[allow(clippy::result_large_err)]
fn captured_request(
    app: &super::App,
    headers: &HeaderMap,
    uri: &Uri,
    id: &str,
) -> Result<(Session, Evidence, WarcRef), Response> {
    let (session, ev) = listing_request(app, headers, uri, id)?;
    match ev.warc.clone() {
        Some(warc) => Ok((session, ev, warc)),
        None => Err((
            StatusCode::NOT_FOUND,
            format!("{}\n", super::tr("no-capture")),
        )
            .into_response()),
    }
}

/// Reads listing `id` and where its evidence is; `Err` is the response to send.
#[allow(clippy::result_large_err)]
fn evidence_of(app: &super::App, id: &str) -> Result<Evidence, Response> {
    let not_found = super::no_such_listing;
    let Ok(n) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let store = app
        .store
        .lock()
        .map_err(|_| internal("reading the listing", "store lock poisoned"))?;
    let stored = store
        .listing(ListingId(n))
        .map_err(|e| internal("reading the listing", e))?
        .ok_or_else(not_found)?;
    let assessment = store
        .assessments(stored.id)
        .map_err(|e| internal("reading the assessments", e))?
        .pop();
    let warc = stored
        .warc
        .as_ref()
        .map(|w| crate::pipeline::warc_ref(&app.warc_dir, w));
    drop(store);
    Ok(Evidence {
        stored,
        assessment,
        warc,
    })
}

/// The capture as the listing page and the case sheet show it: WARC headers of the record,
/// the HTTP status and type, and the store's digest of the payload.
fn capture_json(stored: &StoredListing, warc: &WarcRef, rec: &WarcRecordData) -> serde_json::Value {
    let location = stored.warc.as_ref();
    serde_json::json!({
        "target_uri": rec.warc_header("WARC-Target-URI"),
        "captured_at": rec.warc_header("WARC-Date"),
        "ip_address": rec.warc_header("WARC-IP-Address"),
        "warc_file": location.map(|l| l.file.as_str()),
        "warc_record_id": warc.record_id,
        "warc_offset": warc.offset,
        "payload_digest": rec.warc_header("WARC-Payload-Digest"),
        "payload_digest_verified": payload_verified(rec),
        "block_digest": rec.warc_header("WARC-Block-Digest"),
        "truncated": rec.warc_header("WARC-Truncated"),
        "content_digest": stored.content_digest,
        "http_status": rec.http_status,
        "content_type": rec.http_header("content-type"),
        "content_encoding": rec.http_header("content-encoding"),
        "charset": stored.listing.extra.get("charset"),
    })
}

/// Whether the stored body still hashes to the record's `WARC-Payload-Digest` (the body as
/// received, content-encoding not undone, is what the digest was taken over).
fn payload_verified(rec: &WarcRecordData) -> bool {
    rec.warc_header("WARC-Payload-Digest")
        == Some(qsword_crawler::sha1_base32(&rec.payload).as_str())
}

/// The listing page's evidence section (`listing_evidence.html`): the frame's address, the
/// capture's time and digests, the downloads; or why there is none.
pub(super) fn page_context(app: &super::App, stored: &StoredListing) -> minijinja::Value {
    let id = stored.id;
    let Some(warc) = stored
        .warc
        .as_ref()
        .map(|w| crate::pipeline::warc_ref(&app.warc_dir, w))
    else {
        return context! { missing => super::tr("evidence-imported") };
    };
    match qsword_crawler::read_record(&warc) {
        Ok(rec) => {
            let payload_digest = rec.warc_header("WARC-Payload-Digest").map(str::to_string);
            let stored_digest = stored.content_digest.clone();
            context! {
                frame_src => format!("/listing/{id}/evidence"),
                warc_href => format!("/listing/{id}/evidence.warc.gz"),
                json_href => format!("/listing/{id}/evidence.json"),
                captured_at => rec.warc_header("WARC-Date"),
                target_uri => rec.warc_header("WARC-Target-URI"),
                record_id => &warc.record_id,
                warc_file => stored.warc.as_ref().map(|w| w.file.clone()),
                payload_digest => &payload_digest,
                payload_verified => payload_verified(&rec),
                block_digest => rec.warc_header("WARC-Block-Digest"),
                http_status => rec.http_status,
                // The store's digest of the page must be the record's: say so when not.
                digest_mismatch => stored_digest.is_some() && stored_digest != payload_digest,
                content_digest => stored_digest,
            }
        }
        Err(e) => {
            tracing::error!("evidence of listing {id}: {e}");
            context! { missing => super::trf("evidence-unreadable", vec![("error", e.to_string().into())]) }
        }
    }
}

/// The captured body as UTF-8 text: decoded with the charset the crawler recorded for the
/// listing (`extra.charset.encoding`), else sniffed as the crawler sniffs (BOM, header,
/// `<meta>`, detection).
fn decoded_body(stored: &StoredListing, rec: &WarcRecordData) -> std::io::Result<String> {
    let body = rec.decoded_payload()?;
    let recorded = stored
        .listing
        .extra
        .get("charset")
        .and_then(|c| c.get("encoding"))
        .and_then(|e| e.as_str())
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    Ok(match recorded {
        Some(encoding) => encoding.decode(&body).0.into_owned(),
        None => qsword_extract::decode_html(&body, rec.http_header("content-type")).html,
    })
}

/// `GET /listing/{id}/evidence`: the captured page for the listing page's `<iframe sandbox>`.
pub(super) async fn frame(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let (session, ev, warc) = match captured_request(&app, &headers, &uri, &id) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    super::record_access(
        &app,
        &session.staff.name,
        &extensions,
        "evidence_view",
        Some(id),
    );
    let html =
        match qsword_crawler::read_record(&warc).and_then(|rec| decoded_body(&ev.stored, &rec)) {
            Ok(html) => html,
            Err(e) => return internal("reading the captured page", e),
        };
    (
        [
            // Re-encoded as UTF-8; the HTTP charset outranks the page's own <meta charset>.
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FRAME_CSP),
            ),
            (
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            ),
        ],
        html,
    )
        .into_response()
}

/// `GET /listing/{id}/evidence.warc.gz`: the response record and its request, the gzip
/// members as stored.
pub(super) async fn warc_download(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let (session, ev, warc) = match captured_request(&app, &headers, &uri, &id) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let target = format!("{id} evidence.warc.gz");
    super::record_access(
        &app,
        &session.staff.name,
        &extensions,
        "evidence_download",
        Some(target),
    );
    match qsword_crawler::exchange_bytes(&warc) {
        Ok(bytes) => download(
            "application/warc+gzip",
            &format!("listing-{}-evidence.warc.gz", ev.stored.id),
            bytes,
        ),
        Err(e) => internal("reading the WARC record", e),
    }
}

/// `GET /listing/{id}/evidence.json`: the case sheet — the listing, its latest flags, the
/// capture's metadata and digests, and the SHA-1 of the `.warc.gz` download, which ties the
/// two files together.
pub(super) async fn json_download(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let (session, ev) = match listing_request(&app, &headers, &uri, &id) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let target = format!("{id} evidence.json");
    super::record_access(
        &app,
        &session.staff.name,
        &extensions,
        "evidence_download",
        Some(target),
    );
    let (capture, download_file) = match &ev.warc {
        Some(warc) => {
            let read = qsword_crawler::read_record(warc)
                .and_then(|rec| Ok((rec, qsword_crawler::exchange_bytes(warc)?)));
            match read {
                Ok((rec, bytes)) => (
                    capture_json(&ev.stored, warc, &rec),
                    serde_json::json!({
                        "file_name": format!("listing-{}-evidence.warc.gz", ev.stored.id),
                        "bytes": bytes.len(),
                        "sha1": qsword_crawler::sha1_base32(&bytes),
                    }),
                ),
                Err(e) => return internal("reading the WARC record", e),
            }
        }
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    let sheet = serde_json::json!({
        "listing_id": ev.stored.id,
        "listing": ev.stored.listing,
        "risk": ev.stored.risk,
        "first_seen": ev.stored.first_seen,
        "last_seen": ev.stored.last_seen,
        "delisted_at": ev.stored.delisted_at,
        "assessment": ev.assessment,
        "capture": capture,
        "warc_download": download_file,
        "exported_at": chrono::Utc::now(),
        "exported_by": session.staff.name,
    });
    match serde_json::to_vec_pretty(&sheet) {
        Ok(bytes) => download(
            "application/json",
            &format!("listing-{}-evidence.json", ev.stored.id),
            bytes,
        ),
        Err(e) => internal("writing the case sheet", e),
    }
}
