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
