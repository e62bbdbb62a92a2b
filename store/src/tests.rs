//! Tests that need the raw connection: injected database failures and the stored columns.

use super::*;
use chrono::{TimeZone, Utc};
use qsword_listing::{Listing, Price};

#[test]
fn an_import_failing_in_the_database_midway_stores_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    // Make the database itself refuse the fourth listing, after three were inserted.
    store
        .conn
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON listings
             WHEN NEW.url = 'https://a.example/3'
             BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
        )
        .unwrap();
    let listings: Vec<Listing> = (0..6)
        .map(|i| Listing::new(format!("https://a.example/{i}"), "正泰 断路器 NXB-63"))
        .collect();
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();

    let err = store.import_listings_at(&listings, at).unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    assert!(err.to_string().contains("https://a.example/3"), "{err}");
    let c = store.counts().unwrap();
    assert_eq!((c.listings, c.versions), (0, 0));
}

#[test]
fn amounts_are_stored_as_the_exact_decimal_text() {
    let mut store = Store::open_in_memory().unwrap();
    let mut l = Listing::new("https://a.example/cable", "BV 2.5 电线 100米");
    l.price = Some(Price::new("0.10", "CNY").unwrap());
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
    store.upsert_listing(&l, &ListingCapture::at(at)).unwrap();
    let (kind, text): (String, String) = store
        .conn
        .query_row(
            "SELECT typeof(price_amount), price_amount FROM listings",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), text.as_str()), ("text", "0.10"));
    let version: String = store
        .conn
        .query_row("SELECT price_amount FROM listing_versions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, "0.10");
}

#[test]
fn a_fetch_recorded_once_is_not_recorded_again_but_a_later_one_is() {
    // The cluster's coordinator may be handed one capture twice (a crash between its commit
    // and the stream's acknowledgement): the second copy must add no row.
    let mut store = Store::open_in_memory().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap();
    let mut f = FetchRow::new("https://shop.example/item/1", at);
    f.status = Some(200);
    f.warc = Some(WarcLocation {
        file: "/srv/worker-a/warc/a.warc.gz".into(),
        record_id: "<urn:uuid:1>".into(),
        offset: 0,
    });
    assert!(store.write(|tx| tx.record_fetch_once(&f)).unwrap());
    assert!(!store.write(|tx| tx.record_fetch_once(&f)).unwrap());
    // An error without a WARC record, twice, is one row too; a later fetch is another.
    let mut e = FetchRow::new("https://shop.example/item/1", at);
    e.error = Some("connect refused".into());
    assert!(store.write(|tx| tx.record_fetch_once(&e)).unwrap());
    assert!(!store.write(|tx| tx.record_fetch_once(&e)).unwrap());
    f.fetched_at = at + chrono::Duration::seconds(1);
    assert!(store.write(|tx| tx.record_fetch_once(&f)).unwrap());
    assert_eq!(store.counts().unwrap().fetches, 3);
}

/// The triage queue and its count read the partial index of flagged listings and look the
/// labels up by listing: no scan of `listings` or `labels` (that is what keeps a page of the
/// queue cheap at a million listings).
#[test]
fn the_triage_queue_is_index_lookups_not_scans() {
    let store = Store::open_in_memory().unwrap();
    let filter = QueueFilter {
        categories: vec!["toys".into()],
        min_risk: 0.5,
        ..Default::default()
    };
    let (from, values) = filter.queue_sql();
    let plan = |sql: &str| -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(&values), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    };
    for sql in [
        format!("SELECT count(*) {from}"),
        format!(
            "SELECT l.id, (SELECT flags_json FROM assessments WHERE listing_id = l.id
             ORDER BY id DESC LIMIT 1) {from} ORDER BY l.risk DESC, l.id LIMIT 20"
        ),
    ] {
        let plan = plan(&sql);
        assert!(plan.contains("USING INDEX listings_flagged"), "{plan}");
        assert!(
            plan.contains("labels USING COVERING INDEX labels_by_listing"),
            "{plan}"
        );
        assert!(
            !plan.contains("USE TEMP B-TREE"),
            "the page is sorted: {plan}"
        );
        for line in plan.lines() {
            assert!(
                !line.starts_with("SCAN") || line.contains("INDEX"),
                "a table scan: {plan}"
            );
        }
    }
}

/// Migration 7 gives listings assessed before it their latest assessment's flag count.
#[test]
fn flag_counts_are_backfilled_from_the_latest_assessment() {
    let mut store = Store::open_in_memory().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
    let a = store
        .upsert_listing(
            &Listing::new("https://a.example/1", "积木"),
            &ListingCapture::at(at),
        )
        .unwrap()
        .id;
    let flag = r#"[{"signal":"price","score":0.9,"reason":"low"}]"#.to_string();
    store.save_assessments_at(&[(a, 0.9, flag)], at).unwrap();
    store
        .save_assessments_at(&[(a, 0.1, "[]".into())], at)
        .unwrap();
    store
        .conn
        .execute_batch("UPDATE listings SET flag_count = 5")
        .unwrap();
    // Run migration 7's SQL again, as on a store that did not have the column.
    let backfill = MIGRATIONS[6]
        .split(';')
        .find(|s| s.contains("UPDATE listings"))
        .unwrap();
    store.conn.execute_batch(backfill).unwrap();
    let n: i64 = store
        .conn
        .query_row("SELECT flag_count FROM listings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "the latest assessment has no flag");
}
