//! The schema and its versioned migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. [`MIGRATIONS`] is append-only:
//! migration *i* (0-based) takes a store from version *i* to *i + 1*, in one transaction
//! together with the version bump, so a crash leaves the store at a version it really has.
//! Never edit a migration that has shipped; add a new one.

use crate::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// Ordered migrations; the store's current version is `MIGRATIONS.len()`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the walking skeleton's tables.
    r#"
-- Latest state of every listing ever seen. The whole Listing JSON is kept (nothing, not even
-- unknown `extra` fields, is lost); the other columns exist to be queried.
CREATE TABLE listings (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE CHECK (length(trim(url)) > 0),
    platform        TEXT,
    title           TEXT NOT NULL,
    brand           TEXT,
    price_amount    TEXT,          -- decimal string, exactly as parsed ("0.10"); never REAL
    currency        TEXT,          -- ISO 4217
    seller_name     TEXT,
    category        TEXT,
    listing_json    TEXT NOT NULL,
    content_digest  TEXT,
    warc_file       TEXT,
    warc_record_id  TEXT,
    warc_offset     INTEGER,
    first_seen      TEXT NOT NULL, -- RFC 3339 UTC
    last_seen       TEXT NOT NULL,
    delisted_at     TEXT,
    risk            REAL           -- latest detector score in [0, 1]; a score, not money
);
CREATE INDEX listings_platform ON listings(platform);
CREATE INDEX listings_brand ON listings(brand);
CREATE INDEX listings_risk ON listings(risk);

-- One row per meaningful change of a listing (the first sighting included): price history.
CREATE TABLE listing_versions (
    id              INTEGER PRIMARY KEY,
    listing_id      INTEGER NOT NULL REFERENCES listings(id),
    fetched_at      TEXT NOT NULL,
    price_amount    TEXT,
    currency        TEXT,
    listing_json    TEXT NOT NULL,
    content_digest  TEXT,
    warc_file       TEXT,
    warc_record_id  TEXT,
    warc_offset     INTEGER
);
CREATE INDEX listing_versions_by_listing ON listing_versions(listing_id, fetched_at);

-- Every fetch attempt, for conditional GET (ETag/Last-Modified) and the run reports.
CREATE TABLE fetches (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    fetched_at      TEXT NOT NULL,
    status          INTEGER,       -- HTTP status; NULL when no response arrived
    etag            TEXT,
    last_modified   TEXT,
    content_digest  TEXT,
    warc_file       TEXT,
    warc_record_id  TEXT,
    warc_offset     INTEGER,
    error           TEXT
);
CREATE INDEX fetches_by_url ON fetches(url, fetched_at);

-- The crawl frontier lives here, not in memory, so a crawl can resume after kill -9.
CREATE TABLE frontier (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    host            TEXT NOT NULL,
    depth           INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'in-flight', 'done', 'failed')),
    priority        INTEGER NOT NULL DEFAULT 0,
    next_fetch_at   TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    discovered_at   TEXT NOT NULL
);
-- "The next URL of this host": highest priority first, then first discovered.
CREATE INDEX frontier_next_per_host ON frontier(host, state, priority DESC, id);
CREATE INDEX frontier_next_any ON frontier(state, priority DESC, id);

-- Detector output, one row per listing per detection run.
CREATE TABLE assessments (
    id              INTEGER PRIMARY KEY,
    listing_id      INTEGER NOT NULL REFERENCES listings(id),
    risk            REAL NOT NULL,
    flags_json      TEXT NOT NULL,
    detected_at     TEXT NOT NULL
);
CREATE INDEX assessments_by_listing ON assessments(listing_id, detected_at);

-- Mail waiting to go out (or gone). An alert and its outbox row are written together.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,  -- e.g. 'digest'
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    eml_path        TEXT,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         TEXT
);
CREATE INDEX outbox_pending ON outbox(sent_at, id);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    listing_id      INTEGER NOT NULL REFERENCES listings(id),
    risk            REAL NOT NULL,
    signals         TEXT NOT NULL,  -- JSON array of signal names, e.g. ["price","brand"]
    created_at      TEXT NOT NULL,
    digest_id       INTEGER REFERENCES outbox(id)  -- the outbox message that carries it
);
CREATE INDEX alerts_by_listing ON alerts(listing_id, created_at);

-- Staff decisions on flagged listings; append-only, so it is also the audit trail.
CREATE TABLE labels (
    id              INTEGER PRIMARY KEY,
    listing_id      INTEGER NOT NULL REFERENCES listings(id),
    decision        TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss')),
    note            TEXT,
    who             TEXT NOT NULL,
    decided_at      TEXT NOT NULL
);
CREATE INDEX labels_by_listing ON labels(listing_id, decided_at);

-- One row per crawl/nightly/detect run, with its JSON report.
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL DEFAULT 'running',
    report_json     TEXT
);
"#,
    // 2: the resumable, incremental frontier (issue 3). What a URL is and which site found it
    // decide its recrawl schedule; its validators make the next visit a conditional GET.
    r#"
ALTER TABLE frontier ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE frontier ADD COLUMN kind TEXT NOT NULL DEFAULT 'page'
    CHECK (kind IN ('page', 'product', 'sitemap'));
ALTER TABLE frontier ADD COLUMN fetched_at TEXT;      -- last visit that got an answer
ALTER TABLE frontier ADD COLUMN status INTEGER;       -- HTTP status of that visit
ALTER TABLE frontier ADD COLUMN etag TEXT;
ALTER TABLE frontier ADD COLUMN last_modified TEXT;
ALTER TABLE frontier ADD COLUMN last_error TEXT;
-- A new run re-queues per site and kind by age.
CREATE INDEX frontier_recrawl ON frontier(site, kind, state, fetched_at);
"#,
    // 3: a change sequence on listings (issue 5), so the search index can catch up with the
    // store incrementally: the index records the sequence it has seen in its commit, and the
    // next `qsword index` reads only listings changed since. Triggers keep it true for every
    // writer, present or future; an update that changes nothing indexed leaves it alone.
    r#"
CREATE TABLE listing_changes (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    seq             INTEGER NOT NULL
);
INSERT INTO listing_changes (id, seq) SELECT 1, coalesce(max(id), 0) FROM listings;
ALTER TABLE listings ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE listings SET change_seq = id;
CREATE INDEX listings_by_change ON listings(change_seq);
CREATE TRIGGER listings_changed_on_insert AFTER INSERT ON listings BEGIN
    UPDATE listing_changes SET seq = seq + 1 WHERE id = 1;
    UPDATE listings SET change_seq = (SELECT seq FROM listing_changes WHERE id = 1)
        WHERE id = NEW.id;
END;
CREATE TRIGGER listings_changed_on_update
    AFTER UPDATE OF listing_json, first_seen, last_seen, delisted_at, risk ON listings
    WHEN OLD.listing_json IS NOT NEW.listing_json OR OLD.first_seen IS NOT NEW.first_seen
      OR OLD.last_seen IS NOT NEW.last_seen OR OLD.delisted_at IS NOT NEW.delisted_at
      OR OLD.risk IS NOT NEW.risk
BEGIN
    UPDATE listing_changes SET seq = seq + 1 WHERE id = 1;
    UPDATE listings SET change_seq = (SELECT seq FROM listing_changes WHERE id = 1)
        WHERE id = NEW.id;
END;
"#,
    // 4: SMTP delivery from the outbox (issue 7). A failed send waits until `next_attempt_at`
    // (backoff); `message_id` is the mail's Message-ID, so a receiver can recognise a
    // message it has seen; `run` is the nightly run that queued it.
    r#"
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN run TEXT;
CREATE INDEX outbox_due ON outbox(sent_at, next_attempt_at);
"#,
    // 5: staff accounts and sessions for the web console (issue 8). Passwords are kept only
    // as Argon2 PHC strings; a session is a random token with its own CSRF token.
    r#"
CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'investigator', 'admin')),
    password_hash   TEXT NOT NULL,  -- Argon2 PHC string ($argon2id$…)
    created_at      TEXT NOT NULL
);
CREATE TABLE sessions (
    token           TEXT PRIMARY KEY,  -- random, 256 bits, hex
    staff_id        INTEGER NOT NULL REFERENCES staff(id),
    csrf_token      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX sessions_by_staff ON sessions(staff_id);
"#,
    // 6: notes on listings from the console's triage (issue 8). A note without a decision
    // cannot be a label (labels are confirm/dismiss, and train the detector); like labels,
    // notes are only appended, so together they are the audit trail.
    r#"
CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    listing_id      INTEGER NOT NULL REFERENCES listings(id),
    note            TEXT NOT NULL CHECK (length(trim(note)) > 0),
    who             TEXT NOT NULL,
    written_at      TEXT NOT NULL
);
CREATE INDEX notes_by_listing ON notes(listing_id, written_at);
CREATE INDEX labels_by_time ON labels(decided_at);
"#,
    // 7: the triage queue and the statistics at a million listings (issue 8). `flag_count`
    // is how many flags the listing's latest assessment carries (kept with `risk` by every
    // assessment save), so "flagged" is a column, not a latest-assessment subquery per row;
    // the partial index holds exactly the live flagged listings, riskiest first: the queue's
    // order, so a page of the queue is a page of the index.
    r#"
ALTER TABLE listings ADD COLUMN flag_count INTEGER NOT NULL DEFAULT 0;
UPDATE listings SET flag_count = coalesce((SELECT json_array_length(a.flags_json)
    FROM assessments a WHERE a.listing_id = listings.id ORDER BY a.id DESC LIMIT 1), 0)
    WHERE risk IS NOT NULL;
CREATE INDEX listings_flagged ON listings(risk DESC, id)
    WHERE flag_count > 0 AND delisted_at IS NULL;
CREATE INDEX assessments_latest ON assessments(listing_id, id);
"#,
    // 8: the brand lexicon the detector learns from each night's listings (issue 17): which
    // brands the market shows, by how many sellers and platforms, and the imitations seen of
    // each. The store keeps it as the detector wrote it (a JSON document), one row a run,
    // so `qsword brands` shows the latest and the night before can be compared.
    r#"
CREATE TABLE brand_lexicons (
    id INTEGER PRIMARY KEY,
    learnt_at TEXT NOT NULL,
    listings INTEGER NOT NULL,
    lexicon_json TEXT NOT NULL
);
"#,
    // 9: console security (issue 21). Session tokens are kept as their SHA-256 (a stolen
    // store file logs no one in), so the plain tokens of existing sessions go; sessions end
    // after an idle time (`last_seen_at`); an account can be disabled, and is locked after
    // too many failed logins in a row until an admin lifts it.
    r#"
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
ALTER TABLE staff ADD COLUMN disabled_at TEXT;
ALTER TABLE staff ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN locked_at TEXT;
"#,
    // 10: a digest is claimed by the process about to send it (issue 21), so a manual
    // `alerts send` racing the nightly delivery cannot mail it twice; a claim lapses at
    // `claimed_until`, so a sender killed mid-send leaves the digest to the next one.
    r#"
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
"#,
    // 11: the console's access log (issue 21): logins, searches, exports, evidence views and
    // downloads, by whom and when. Append-only.
    r#"
CREATE TABLE access_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    who     TEXT NOT NULL,
    address TEXT,
    action  TEXT NOT NULL,
    target  TEXT
);
"#,
    // 12: the crawler's politeness key is the host name (with the port only when it is not
    // the scheme's default), so http://x and https://x share one slot: `scheme://host:port`
    // keys are rewritten (a URL queued under the old key would otherwise get a second task).
    r#"
UPDATE frontier SET host = CASE
    WHEN host LIKE 'http://%:80' THEN substr(host, 8, length(host) - 10)
    WHEN host LIKE 'https://%:443' THEN substr(host, 9, length(host) - 12)
    WHEN host LIKE 'http://%' THEN substr(host, 8)
    WHEN host LIKE 'https://%' THEN substr(host, 9)
    ELSE host
END;
"#,
    // 13: each site's cookie jar (issue 20), so a consent or session cookie outlives the
    // nightly process; the crawler's own JSON, cleared with `qsword cookies clear`.
    r#"
CREATE TABLE site_cookies (
    site       TEXT PRIMARY KEY,
    jar_json   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"#,
];

/// The schema version this binary writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings `conn` up to [`current_version`], refusing a store newer than this binary.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
    let supported = current_version();
    if found > supported {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let fail = |source| StoreError::Migration {
            path: path.to_owned(),
            version,
            source,
        };
        // IMMEDIATE takes the write lock before reading the version, so two processes opening
        // a fresh store cannot both apply the same migration; the loser sees it done and skips.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        let now: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(fail)?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(fail)?;
        // user_version lives in the file header and is covered by the transaction.
        tx.pragma_update(None, "user_version", version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}
