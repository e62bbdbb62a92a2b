//! `GET /search.csv?…`: every hit of a search (the search page's parameters, paging
//! ignored) as CSV, streamed while the index is read, so an export of a million hits holds
//! one chunk in memory, not the file. The rows are `qsword search --csv`'s ([`HitCsv`]:
//! header row, formula cells made text). Not for paging or facets: that is `/api/search`.

use super::{page_session, SearchParams, Shared};
use crate::search::HitCsv;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use qsword_store::Role;

/// Bytes of CSV gathered before a chunk goes out.
const CHUNK_BYTES: usize = 64 * 1024;

pub(super) async fn search_csv(
    State(app): State<Shared>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    uri: Uri,
    Query(params): Query<SearchParams>,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Viewer, "what-export") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let query = uri.query().unwrap_or("").to_string();
    super::record_access(
        &app,
        &session.staff.name,
        &extensions,
        "export",
        Some(query),
    );
    let (mut req, _, warnings) = params.request();
    for w in &warnings {
        tracing::info!("search.csv: {w}");
    }
    req.facets = false;
    req.offset = 0;
    // Fail before the first byte if the search itself cannot run (the status is still ours).
    let export = match super::fresh_index(&app).export(&req) {
        Ok(e) => e,
        Err(e) => return super::internal("the export", e),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let errors = tx.clone();
        let run = || -> anyhow::Result<()> {
            // A BOM, so spreadsheet programs read the Chinese as UTF-8.
            let mut out = Chunks {
                buf: "\u{feff}".as_bytes().to_vec(),
                tx,
            };
            out.buf.reserve(CHUNK_BYTES);
            let mut csv = HitCsv::new(out)?;
            for hit in export {
                csv.hit(&hit?)?;
            }
            csv.finish()
        };
        if let Err(e) = run() {
            if errors.is_closed() {
                return; // the client went away
            }
            // The status line is gone: cut the body so the client sees a broken download.
            tracing::error!("search.csv export failed midway: {e:#}");
            let _ = errors.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    super::download(
        "text/csv; charset=utf-8",
        "qsword-search.csv",
        Body::from_stream(stream),
    )
}

/// The response body as a `Write`: bytes gather into chunks of [`CHUNK_BYTES`] that go to the
/// client as they fill (and the rest on flush); a client that went away is a write error.
struct Chunks {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}
