//! The store's behaviour as its users (crawler, detector, alerts, console) rely on it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use qsword_listing::{Listing, Mark, Price, Seller};
use qsword_store::*;
use serde_json::json;

fn night(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20 + n, 2, 0, 0).unwrap()
}

fn price(amount: &str) -> Option<Price> {
    Some(Price::new(amount, "CNY").unwrap())
}

fn air_fryer() -> Listing {
    let mut l = Listing::new(
        "https://shop.example/item/42",
        "飞利浦 空气炸锅 HD9252 4.1L",
    );
    l.platform = Some("shop.example".into());
    l.brand = Some("Philips".into());
    l.price = price("299.00");
    l.availability = Some("InStock".into());
    l.seller = Some(Seller {
        name: "某某专营店".into(),
        id: Some("s-981".into()),
        url: None,
    });
    l.marks = vec![
        Mark {
            scheme: "CCC".into(),
            number: Some("2021010701234567".into()),
            source: None,
        },
        Mark {
            scheme: "CE".into(),
            number: None,
            source: Some("text".into()),
        },
    ];
    l
}

fn capture(at: DateTime<Utc>, record: &str) -> ListingCapture {
    ListingCapture {
        fetched_at: at,
        content_digest: Some(format!("sha1:{record}")),
        warc: Some(WarcLocation {
            file: "qsword-20261121.warc.gz".into(),
            record_id: format!("<urn:uuid:{record}>"),
            offset: 1234,
        }),
    }
}

#[test]
fn a_file_store_is_migrated_once_and_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qsword.sqlite");
    let id = {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        store
            .upsert_listing(&air_fryer(), &capture(night(1), "a"))
            .unwrap()
            .id
    };
    // Reopening runs no migration again (it would fail: the tables exist) and keeps the data.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema_version());
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let stored = store.listing(id).unwrap().expect("listing survives reopen");
    assert_eq!(stored.listing, air_fryer());
    assert_eq!(stored.warc.unwrap().record_id, "<urn:uuid:a>");
    assert_eq!(store.versions(id).unwrap().len(), 1);
}

#[test]
fn a_store_from_a_newer_qsword_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qsword.sqlite");
    drop(Store::open(&path).unwrap());
    let newer = schema_version() + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();

    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (newer, schema_version()));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("newer qsword"), "{message}");
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, newer);
}

#[test]
fn the_same_listing_seen_twice_is_one_row_and_one_version() {
    let mut store = Store::open_in_memory().unwrap();
    let first = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap();
    assert_eq!(first.change, Change::New);

    // Same content the next night, with a new fetch time, a differently written amount
    // ("299.0" is the same price), marks in another order and a new description.
    let mut again = air_fryer();
    again.fetched_at = Some(night(2));
    again.price = price("299.0");
    again.marks.reverse();
    again.description = Some("new wording".into());
    let second = store
        .upsert_listing(&again, &capture(night(2), "b"))
        .unwrap();

    assert_eq!(
        second,
        UpsertOutcome {
            id: first.id,
            change: Change::Unchanged
        }
    );
    let counts = store.counts().unwrap();
    assert_eq!((counts.listings, counts.versions), (1, 1));
    let stored = store.listing(first.id).unwrap().unwrap();
    assert_eq!(stored.first_seen, night(1));
    assert_eq!(stored.last_seen, night(2));
    assert_eq!(stored.listing.description.as_deref(), Some("new wording"));
    assert_eq!(
        stored.warc.unwrap().record_id,
        "<urn:uuid:b>",
        "latest evidence is kept"
    );
}

#[test]
fn a_price_change_is_a_new_version_and_the_old_price_is_kept() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let mut cheaper = air_fryer();
    cheaper.price = price("89.00");
    let outcome = store
        .upsert_listing(&cheaper, &capture(night(2), "b"))
        .unwrap();
    assert_eq!(
        outcome.change,
        Change::Changed {
            old_price: price("299.00")
        }
    );

    let versions = store.versions(id).unwrap();
    let history: Vec<_> = versions
        .iter()
        .map(|v| {
            (
                v.fetched_at,
                v.price.clone(),
                v.warc.as_ref().unwrap().record_id.clone(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (night(1), price("299.00"), "<urn:uuid:a>".to_string()),
            (night(2), price("89.00"), "<urn:uuid:b>".to_string()),
        ]
    );
    assert_eq!(
        store.listing(id).unwrap().unwrap().listing.price,
        price("89.00")
    );
}

#[test]
fn seller_title_availability_and_marks_changes_are_versions_too() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let changes: [fn(&mut Listing); 4] = [
        |l| l.seller.as_mut().unwrap().name = "另一家店".into(),
        |l| l.title = "飞利浦 空气炸锅 HD9252 5L".into(),
        |l| l.availability = Some("OutOfStock".into()),
        |l| l.marks.truncate(1),
    ];
    let mut listing = air_fryer();
    for (i, change) in changes.iter().enumerate() {
        change(&mut listing);
        let outcome = store
            .upsert_listing(&listing, &capture(night(2 + i as u32), "x"))
            .unwrap();
        assert_eq!(
            outcome.change,
            Change::Changed {
                old_price: price("299.00")
            },
            "change {i}"
        );
    }
    assert_eq!(store.versions(id).unwrap().len(), 1 + changes.len());
}

#[test]
fn delisting_keeps_the_listing_and_its_history_and_a_return_is_a_change() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let mut cheaper = air_fryer();
    cheaper.price = price("89.00");
    store
        .upsert_listing(&cheaper, &capture(night(2), "b"))
        .unwrap();

    assert!(store.mark_delisted(&cheaper.url, night(3)).unwrap());
    assert!(
        !store.mark_delisted(&cheaper.url, night(4)).unwrap(),
        "already delisted"
    );
    assert!(!store
        .mark_delisted("https://shop.example/never-seen", night(3))
        .unwrap());

    let stored = store.listing_by_url(&cheaper.url).unwrap().unwrap();
    assert_eq!(stored.delisted_at, Some(night(3)));
    assert_eq!(stored.listing.price, price("89.00"));
    assert_eq!(store.versions(id).unwrap().len(), 2);
    let counts = store.counts().unwrap();
    assert_eq!((counts.listings, counts.delisted), (1, 1));

    let back = store
        .upsert_listing(&cheaper, &capture(night(5), "c"))
        .unwrap();
    assert_eq!(
        back.change,
        Change::Changed {
            old_price: price("89.00")
        }
    );
    assert_eq!(store.listing(id).unwrap().unwrap().delisted_at, None);
}

#[test]
fn unknown_fields_and_exact_amounts_survive_the_store() {
    let mut store = Store::open_in_memory().unwrap();
    let json = r#"{"url": "https://shop.example/item/7", "title": "公牛 插座 GN-B403",
        "price": {"amount": "0.10", "currency": "CNY"}, "shipping_days": 2,
        "promo": {"code": "双11", "ends": "2026-11-12"}}"#;
    let listing: Listing = serde_json::from_str(json).unwrap();
    let id = store
        .upsert_listing(&listing, &ListingCapture::at(night(1)))
        .unwrap()
        .id;

    let stored = store.listing(id).unwrap().unwrap();
    assert_eq!(stored.listing, listing);
    assert_eq!(stored.listing.extra["promo"]["code"], "双11");
    assert_eq!(stored.listing.price.unwrap().amount.to_string(), "0.10");
    assert_eq!(
        store.versions(id).unwrap()[0]
            .price
            .as_ref()
            .unwrap()
            .amount
            .to_string(),
        "0.10"
    );
    let exported = serde_json::to_value(&store.listings().unwrap()[0].listing).unwrap();
    assert_eq!(exported["price"]["amount"], "0.10");
}

#[test]
fn an_import_with_a_bad_listing_stores_none_of_them() {
    let mut store = Store::open_in_memory().unwrap();
    let good: Vec<Listing> = (0..5)
        .map(|i| Listing::new(format!("https://a.example/{i}"), "乐高 LEGO 42115"))
        .collect();
    let mut batch = good.clone();
    batch.push(Listing::new("https://a.example/bad", "  "));

    let err = store.import_listings_at(&batch, night(1)).unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidListing { url, field: "title", .. } if url == "https://a.example/bad"),
        "{err:?}"
    );
    assert_eq!(
        store.counts().unwrap().listings,
        0,
        "nothing of a failed import is kept"
    );

    let counts = store.import_listings_at(&good, night(1)).unwrap();
    assert_eq!(
        counts,
        ImportCounts {
            new: 5,
            changed: 0,
            unchanged: 0
        }
    );
    let counts = store.import_listings_at(&good, night(2)).unwrap();
    assert_eq!(
        counts,
        ImportCounts {
            new: 0,
            changed: 0,
            unchanged: 5
        }
    );
}

#[test]
fn fetch_history_gives_the_last_fetch_and_the_validators_for_conditional_get() {
    let mut store = Store::open_in_memory().unwrap();
    let url = "https://shop.example/item/42";
    assert_eq!(store.last_fetch(url).unwrap(), None);
    let ok = FetchRow {
        status: Some(200),
        etag: Some("\"v1\"".into()),
        last_modified: Some("Sat, 21 Nov 2026 02:00:00 GMT".into()),
        content_digest: Some("sha1:abc".into()),
        ..FetchRow::new(url, night(1))
    };
    store.record_fetch(&ok).unwrap();
    let timeout = FetchRow {
        error: Some("timed out after 30 s".into()),
        ..FetchRow::new(url, night(2))
    };
    store.record_fetch(&timeout).unwrap();

    assert_eq!(store.last_fetch(url).unwrap(), Some(timeout));
    let v = store.validators(url).unwrap();
    assert_eq!(v.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        v.last_modified.as_deref(),
        Some("Sat, 21 Nov 2026 02:00:00 GMT")
    );
    assert_eq!(store.counts().unwrap().fetches, 2);
}

fn digest_to(recipient: &str) -> NewOutboxMessage {
    NewOutboxMessage {
        kind: "digest".into(),
        recipient: recipient.into(),
        subject: "qsword: 1 个高风险商品".into(),
        body: "飞利浦 空气炸锅 ¥89.00".into(),
        eml_path: None,
    }
}

#[test]
fn an_alert_and_its_outbox_message_are_written_together_and_sent_once() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let alert = NewAlert {
        listing_id: id,
        risk: 0.91,
        signals: vec!["price".into()],
    };

    // An alert about a listing that does not exist fails, and its mail is not queued either.
    let ghost = NewAlert {
        listing_id: ListingId(9999),
        ..alert.clone()
    };
    let err =
        store.create_alerts_with_outbox(&[alert.clone(), ghost], &digest_to("a@x.cn"), night(1));
    assert!(err.is_err());
    assert!(store.pending_outbox().unwrap().is_empty());
    assert!(store.alerts(id).unwrap().is_empty());

    let (alert_id, outbox_id) = store
        .create_alert_with_outbox(&alert, &digest_to("a@x.cn"), night(1))
        .unwrap();
    let stored = store.alerts(id).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].id, stored[0].digest_id),
        (alert_id, Some(outbox_id))
    );
    assert_eq!(stored[0].signals, vec!["price".to_string()]);

    let pending = store.pending_outbox().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].subject, "qsword: 1 个高风险商品");

    assert!(store
        .mark_outbox_failed(outbox_id, "connection refused (127.0.0.1:2525)")
        .unwrap());
    let pending = store.pending_outbox().unwrap();
    assert_eq!(
        (pending[0].attempts, pending[0].last_error.as_deref()),
        (1, Some("connection refused (127.0.0.1:2525)"))
    );

    // Claims: one sender at a time; a lapsed claim can be taken over; a sent message
    // cannot be claimed.
    let t = night(2);
    let lease = |s: i64| t + Duration::seconds(s);
    assert!(store.claim_outbox(outbox_id, "1@a", t, lease(60)).unwrap());
    assert!(!store
        .claim_outbox(outbox_id, "2@b", lease(1), lease(61))
        .unwrap());
    assert!(
        store
            .claim_outbox(outbox_id, "1@a", lease(1), lease(61))
            .unwrap(),
        "renewed"
    );
    assert!(
        store
            .claim_outbox(outbox_id, "2@b", lease(61), lease(121))
            .unwrap(),
        "lapsed"
    );
    assert!(store.mark_outbox_sent(outbox_id, night(2)).unwrap());
    assert!(
        !store.mark_outbox_sent(outbox_id, night(2)).unwrap(),
        "sent once only"
    );
    assert!(!store
        .claim_outbox(outbox_id, "3@c", lease(500), lease(560))
        .unwrap());
    assert!(store.pending_outbox().unwrap().is_empty());
    let counts = store.counts().unwrap();
    assert_eq!((counts.alerts, counts.pending_outbox), (1, 0));
}

#[test]
fn assessments_set_the_risk_and_fail_as_a_whole() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let flags = json!([{"signal": "price", "score": 0.88, "reason": "70% below the median"}]);
    let good: Assessment = (id, 0.91, flags.to_string());

    let unknown_listing = (ListingId(777), 0.5, "[]".to_string());
    assert!(store
        .save_assessments_at(&[good.clone(), unknown_listing], night(1))
        .is_err());
    let not_json = (id, 0.5, "[{signal".to_string());
    let err = store
        .save_assessments_at(&[good.clone(), not_json], night(1))
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidFlags { listing_id, .. } if listing_id == id));
    assert_eq!(store.listing(id).unwrap().unwrap().risk, None);
    assert_eq!(store.counts().unwrap().assessments, 0);

    store.save_assessments_at(&[good], night(1)).unwrap();
    assert_eq!(store.listing(id).unwrap().unwrap().risk, Some(0.91));
    let saved = store.assessments(id).unwrap();
    assert_eq!(
        (saved.len(), &saved[0].flags, saved[0].detected_at),
        (1, &flags, night(1))
    );
}

#[test]
fn a_listing_is_alerted_again_only_when_its_risk_rises_or_a_new_signal_fires() {
    let mut store = Store::open_in_memory().unwrap();
    let fryer = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let lego = store
        .upsert_listing(
            &Listing::new("https://a.example/lego", "乐高 42115"),
            &ListingCapture::at(night(1)),
        )
        .unwrap()
        .id;
    let low = store
        .upsert_listing(
            &Listing::new("https://a.example/ok", "美的 电饭煲"),
            &ListingCapture::at(night(1)),
        )
        .unwrap()
        .id;
    let price = json!([{"signal": "price", "score": 0.9}]).to_string();
    let price_and_brand = json!([{"signal": "price"}, {"signal": "brand"}]).to_string();
    let to_alert = |store: &Store| -> Vec<ListingId> {
        store
            .unalerted_assessments(0.7)
            .unwrap()
            .iter()
            .map(|(l, _)| l.id)
            .collect()
    };

    store
        .save_assessments_at(
            &[
                (fryer, 0.8, price.clone()),
                (lego, 0.95, price.clone()),
                (low, 0.2, "[]".into()),
            ],
            night(1),
        )
        .unwrap();
    assert_eq!(
        to_alert(&store),
        vec![lego, fryer],
        "riskiest first, low risk left out"
    );
    assert!(matches!(
        store.record_digest(&[fryer, low, ListingId(404)], "a@x.cn", "outbox/1.eml"),
        Err(StoreError::NotAssessed {
            listing_id: ListingId(404)
        })
    ));
    assert_eq!(store.counts().unwrap().alerts, 0);
    let digest = store
        .record_digest(&[lego, fryer], "a@x.cn", "outbox/1.eml")
        .unwrap();
    assert_eq!(digest.alert_ids.len(), 2);
    assert_eq!(
        store.alerts(fryer).unwrap()[0].signals,
        vec!["price".to_string()]
    );
    assert_eq!(
        store.pending_outbox().unwrap()[0].eml_path.as_deref(),
        Some("outbox/1.eml")
    );
    assert!(to_alert(&store).is_empty(), "nothing new since the digest");

    // Night 2: the same risk again → nothing; a new signal or a higher risk → alert again.
    store
        .save_assessments_at(
            &[(fryer, 0.8, price_and_brand), (lego, 0.97, price.clone())],
            night(2),
        )
        .unwrap();
    assert_eq!(to_alert(&store), vec![lego, fryer]);
    store
        .record_digest(&[lego, fryer], "a@x.cn", "outbox/2.eml")
        .unwrap();
    store
        .save_assessments_at(&[(lego, 0.97, price)], night(3))
        .unwrap();
    assert!(to_alert(&store).is_empty());
    // A delisted listing is not alerted.
    store
        .save_assessments_at(&[(low, 0.99, "[]".into())], night(3))
        .unwrap();
    store
        .mark_delisted("https://a.example/ok", night(3))
        .unwrap();
    assert!(to_alert(&store).is_empty());
}

fn found(host: &str, p: &str, kind: UrlKind, priority: i64) -> DiscoveredUrl {
    DiscoveredUrl {
        url: format!("http://{host}/{p}"),
        host: host.into(),
        site: "shop-sim".into(),
        kind,
        depth: 1,
        priority,
        lastmod: None,
    }
}

#[test]
fn frontier_deduplicates_and_a_crash_puts_in_flight_urls_back_in_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qsword.sqlite");
    {
        let mut store = Store::open(&path).unwrap();
        let urls = [
            found("127.0.0.2", "item/1", UrlKind::Product, 0),
            found("127.0.0.2", "item/2", UrlKind::Product, 5),
            found("127.0.0.3", "item/1", UrlKind::Product, 0),
            found("127.0.0.2", "item/1", UrlKind::Product, 0),
        ];
        assert_eq!(
            store.frontier_push(&urls, night(1)).unwrap(),
            vec![("127.0.0.2".to_string(), 2), ("127.0.0.3".to_string(), 1)]
        );
        assert!(store
            .frontier_push(&urls[..2], night(1))
            .unwrap()
            .is_empty());
        assert_eq!(
            store.frontier_queued_by_host().unwrap(),
            vec![("127.0.0.2".to_string(), 2), ("127.0.0.3".to_string(), 1)]
        );

        // Highest priority first, per host.
        let leased = store.frontier_lease("127.0.0.2", 1).unwrap();
        assert_eq!(
            (leased[0].url.as_str(), leased[0].state, leased[0].attempts),
            ("http://127.0.0.2/item/2", FrontierState::InFlight, 1)
        );
        let other = store.frontier_lease("127.0.0.3", 10).unwrap();
        assert_eq!(other.len(), 1);
        assert!(store
            .frontier_finish(&other[0].url, &Visit::default())
            .unwrap());
        // The process dies here with item/2 in flight.
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.counts().unwrap().frontier_in_flight, 1);
    assert_eq!(store.frontier_reset_in_flight().unwrap(), 1);
    let c = store.counts().unwrap();
    assert_eq!(
        (c.frontier_queued, c.frontier_in_flight, c.frontier_done),
        (2, 0, 1)
    );
    let again = store.frontier_lease("127.0.0.2", 10).unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(
        (again[0].url.as_str(), again[0].attempts),
        ("http://127.0.0.2/item/2", 2)
    );
    // A parked host gives its leases back unvisited.
    assert_eq!(
        store
            .write(|tx| tx.frontier_release(&[again[1].url.clone()]))
            .unwrap(),
        1
    );
    assert_eq!(
        store.frontier_url(&again[1].url).unwrap().unwrap().state,
        FrontierState::Queued
    );
}

#[test]
fn a_visit_keeps_validators_for_the_next_conditional_get_and_a_new_run_requeues_by_age() {
    let mut store = Store::open_in_memory().unwrap();
    let product = found("127.0.0.2", "item/1", UrlKind::Product, 1);
    let category = found("127.0.0.2", "cat/toys", UrlKind::Page, 0);
    store
        .frontier_push(&[product.clone(), category.clone()], night(1))
        .unwrap();
    store.frontier_lease("127.0.0.2", 10).unwrap();
    let answered = Visit {
        state: Some(FrontierState::Done),
        fetched_at: Some(night(1)),
        status: Some(200),
        etag: Some("\"abc\"".into()),
        last_modified: Some("Mon, 23 Nov 2026 02:00:00 GMT".into()),
        error: None,
    };
    store.frontier_finish(&product.url, &answered).unwrap();
    store.frontier_finish(&category.url, &answered).unwrap();

    // A failed visit with no answer keeps what the last answer said.
    store
        .frontier_requeue("shop-sim", UrlKind::Page, night(2))
        .unwrap();
    store.frontier_lease("127.0.0.2", 10).unwrap();
    let refused = Visit {
        state: Some(FrontierState::Failed),
        error: Some("connection refused".into()),
        ..Visit::default()
    };
    store.frontier_finish(&category.url, &refused).unwrap();
    let c = store.frontier_url(&category.url).unwrap().unwrap();
    assert_eq!(c.state, FrontierState::Failed);
    assert_eq!(c.etag.as_deref(), Some("\"abc\""));
    assert_eq!((c.status, c.fetched_at), (Some(200), Some(night(1))));
    assert_eq!(c.last_error.as_deref(), Some("connection refused"));

    // Products are revisited when older than their schedule; pages every run.
    assert_eq!(
        store
            .frontier_requeue("shop-sim", UrlKind::Product, night(1))
            .unwrap(),
        0,
        "visited at night 1, not before"
    );
    assert_eq!(
        store
            .frontier_requeue("shop-sim", UrlKind::Product, night(2))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .frontier_requeue("other-site", UrlKind::Page, night(2))
            .unwrap(),
        0
    );
    let p = store.frontier_url(&product.url).unwrap().unwrap();
    assert_eq!((p.state, p.attempts), (FrontierState::Queued, 0));
}

#[test]
fn writes_in_one_transaction_commit_together_or_not_at_all() {
    let mut store = Store::open_in_memory().unwrap();
    let link = DiscoveredUrl {
        url: "https://shop.example/item/42".into(),
        ..found("shop.example", "item/42", UrlKind::Product, 0)
    };
    store
        .frontier_push(std::slice::from_ref(&link), night(1))
        .unwrap();
    store.frontier_lease("shop.example", 1).unwrap();

    let result: Result<(), StoreError> = store.write(|tx| {
        tx.upsert_listing(&air_fryer(), &capture(night(1), "a"))?;
        tx.frontier_finish(&link.url, &Visit::default())?;
        tx.upsert_listing(&Listing::new("", "no url"), &ListingCapture::at(night(1)))?;
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(store.counts().unwrap().listings, 0);
    assert_eq!(
        store.frontier_url(&link.url).unwrap().unwrap().state,
        FrontierState::InFlight
    );

    store
        .write(|tx| {
            tx.upsert_listing(&air_fryer(), &capture(night(1), "a"))?;
            tx.record_fetch(&FetchRow {
                status: Some(200),
                ..FetchRow::new(&link.url, night(1))
            })?;
            tx.frontier_finish(&link.url, &Visit::default())
        })
        .unwrap();
    let c = store.counts().unwrap();
    assert_eq!((c.listings, c.fetches, c.frontier_done), (1, 1, 1));
}

#[test]
fn a_not_modified_page_keeps_its_listing_live() {
    let mut store = Store::open_in_memory().unwrap();
    let l = air_fryer();
    store.upsert_listing(&l, &capture(night(1), "a")).unwrap();
    store.mark_delisted(&l.url, night(2)).unwrap();
    assert!(store
        .write(|tx| tx.touch_listing(&l.url, night(3)))
        .unwrap());
    let s = store.listing_by_url(&l.url).unwrap().unwrap();
    assert_eq!((s.last_seen, s.delisted_at), (night(3), None));
    assert_eq!(
        store.versions(s.id).unwrap().len(),
        1,
        "no new version for a 304"
    );
}

#[test]
fn labels_are_an_append_only_audit_trail() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    store
        .add_label(
            id,
            Decision::Confirm,
            Some("假冒，CCC 证书号不存在"),
            "王警官",
            night(1),
        )
        .unwrap();
    store
        .add_label(id, Decision::Dismiss, None, "li.lei", night(2))
        .unwrap();
    assert!(store
        .add_label(ListingId(404), Decision::Confirm, None, "li.lei", night(2))
        .is_err());

    let labels = store.labels(id).unwrap();
    let trail: Vec<_> = labels
        .iter()
        .map(|l| (l.decision, l.who.as_str(), l.decided_at))
        .collect();
    assert_eq!(
        trail,
        vec![
            (Decision::Confirm, "王警官", night(1)),
            (Decision::Dismiss, "li.lei", night(2))
        ]
    );
    assert_eq!(labels[0].note.as_deref(), Some("假冒，CCC 证书号不存在"));
    assert_eq!(store.all_labels().unwrap().len(), 2);
    assert_eq!("dismiss".parse::<Decision>(), Ok(Decision::Dismiss));
    assert!("maybe".parse::<Decision>().is_err());
}

#[test]
fn a_store_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
}

#[test]
fn runs_are_recorded_with_their_report() {
    let mut store = Store::open_in_memory().unwrap();
    let id = store.begin_run("nightly", night(1)).unwrap();
    let unfinished = store.last_run("nightly").unwrap().unwrap();
    assert_eq!(
        (
            unfinished.id,
            unfinished.status.as_str(),
            unfinished.finished_at
        ),
        (id, "running", None)
    );
    store
        .finish_run(
            id,
            "partial",
            &json!({"pages": 120, "errors": 3}),
            night(1) + Duration::minutes(7),
        )
        .unwrap();
    let run = store.last_run("nightly").unwrap().unwrap();
    assert_eq!(run.status, "partial");
    assert_eq!(run.report.unwrap()["pages"], 120);
    assert_eq!(store.last_run("crawl").unwrap(), None);
}

/// A run's digests are queued with their alerts in one transaction (all or none); a failed
/// send waits for its backoff; a sent one is never due again; a small rise is not news.
#[test]
fn digests_queue_together_retry_after_their_backoff_and_small_rises_are_not_news() {
    let mut store = Store::open_in_memory().unwrap();
    let fryer = store
        .upsert_listing(&air_fryer(), &capture(night(1), "a"))
        .unwrap()
        .id;
    let price = json!([{"signal": "price", "score": 0.9}]).to_string();
    store
        .save_assessments_at(&[(fryer, 0.8, price.clone())], night(1))
        .unwrap();
    let digest = |to: &str, ids: Vec<ListingId>| DigestToQueue {
        recipient: to.into(),
        subject: "[qsword] 李明：1 条告警".into(),
        message: "Subject: x\r\n\r\nbody\r\n".into(),
        message_id: format!("qsword-1@{to}"),
        eml_path: None,
        listing_ids: ids,
    };
    // One digest of the run names a listing never assessed: nothing of the run is queued.
    assert!(store
        .queue_digests(
            "r1",
            &[
                digest("a@x.cn", vec![fryer]),
                digest("b@x.cn", vec![ListingId(404)])
            ],
            night(1)
        )
        .is_err());
    assert_eq!(store.counts().unwrap().alerts, 0);
    let queued = store
        .queue_digests(
            "r1",
            &[digest("a@x.cn", vec![fryer]), digest("b@x.cn", vec![fryer])],
            night(1),
        )
        .unwrap();
    assert_eq!(queued.len(), 2);
    let due = store.due_outbox(night(1)).unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(due[0].message_id.as_deref(), Some("qsword-1@a@x.cn"));
    assert_eq!(due[0].run.as_deref(), Some("r1"));
    assert_eq!(
        store.alerts_of_digest(queued[1].outbox_id).unwrap().len(),
        1
    );

    let retry_at = night(1) + Duration::minutes(5);
    assert!(store
        .schedule_retry(queued[0].outbox_id, "connection refused", retry_at)
        .unwrap());
    let due_now: Vec<OutboxId> = store
        .due_outbox(night(1))
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(due_now, vec![queued[1].outbox_id], "the failed one waits");
    assert_eq!(store.due_outbox(retry_at).unwrap().len(), 2);
    assert!(store
        .mark_outbox_sent(queued[0].outbox_id, retry_at)
        .unwrap());
    assert_eq!(
        store.due_outbox(retry_at).unwrap().len(),
        1,
        "sent is never due"
    );

    // The next night the score drifted up a little: not alerted again; a real rise is.
    store
        .save_assessments_at(&[(fryer, 0.82, price.clone())], night(2))
        .unwrap();
    assert!(store.alert_candidates(0.7, 0.05, &[]).unwrap().is_empty());
    assert_eq!(store.alert_candidates(0.7, 0.0, &[]).unwrap().len(), 1);
    store
        .save_assessments_at(&[(fryer, 0.9, price)], night(3))
        .unwrap();
    assert_eq!(store.alert_candidates(0.7, 0.05, &[]).unwrap().len(), 1);
}

#[test]
fn staff_sessions_expire_and_end_with_a_new_password() {
    let mut store = Store::open_in_memory().unwrap();
    let now = Utc::now();
    let idle = Duration::minutes(30);
    let id = store
        .upsert_staff("zhang", Role::Investigator, "$argon2id$x", now)
        .unwrap();
    let staff = store.staff_by_name("zhang").unwrap().unwrap();
    assert_eq!((staff.id, staff.role), (id, Role::Investigator));
    assert!(!staff.disabled && !staff.locked);
    assert!(store.staff_by_name("li").unwrap().is_none());

    let later = now + Duration::hours(1);
    store.create_session("tok", id, "csrf", now, later).unwrap();
    let s = store.session("tok", now, idle).unwrap().unwrap();
    assert_eq!(
        (s.staff.name.as_str(), s.csrf_token.as_str()),
        ("zhang", "csrf")
    );
    assert!(
        store
            .session("tok", later, Duration::hours(2))
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(store.session("other", now, idle).unwrap().is_none());
    // Idle for longer than the idle timeout: over, though not expired.
    assert!(store
        .session("tok", now + Duration::minutes(31), idle)
        .unwrap()
        .is_none());
    // Used within the timeout, it lives on from the last use.
    store
        .session("tok", now + Duration::minutes(20), idle)
        .unwrap()
        .unwrap();
    assert!(store
        .session("tok", now + Duration::minutes(45), idle)
        .unwrap()
        .is_some());

    // A reset password (same name) ends the sessions and keeps the id.
    let again = store
        .upsert_staff("zhang", Role::Admin, "$argon2id$y", now)
        .unwrap();
    assert_eq!(again, id);
    assert!(store.session("tok", now, idle).unwrap().is_none());
    store.create_session("tok2", id, "c2", now, later).unwrap();
    // Logging in again ends the other session.
    store.create_session("tok3", id, "c3", now, later).unwrap();
    assert!(store.session("tok2", now, idle).unwrap().is_none());
    assert!(store.end_session("tok3").unwrap());
    assert!(!store.end_session("tok3").unwrap());
}

#[test]
fn session_tokens_are_kept_hashed_and_accounts_lock_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qsword.sqlite");
    let mut store = Store::open(&path).unwrap();
    let now = Utc::now();
    let idle = Duration::minutes(30);
    let id = store
        .upsert_staff("wang", Role::Viewer, "$argon2id$x", now)
        .unwrap();
    let token = "a".repeat(64);
    store
        .create_session(&token, id, "csrf", now, now + Duration::hours(1))
        .unwrap();
    // A stolen store file: the row does not hold the cookie's value, and presenting the
    // stored value starts no session.
    let raw = rusqlite::Connection::open(&path).unwrap();
    let stored: String = raw
        .query_row("SELECT token FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, token);
    assert!(store.session(&stored, now, idle).unwrap().is_none());
    assert!(store.session(&token, now, idle).unwrap().is_some());

    // Failed logins lock the account at the limit; an admin's unlock lifts it.
    for i in 1..=4 {
        let locked = store.record_failed_login(id, 5, now).unwrap();
        assert!(!locked, "locked after {i}");
    }
    assert!(store.record_failed_login(id, 5, now).unwrap());
    let wang = store.staff_by_name("wang").unwrap().unwrap();
    assert!(wang.locked && wang.failed_logins == 5);
    assert!(store.unlock_staff("wang").unwrap());
    assert!(!store.staff_by_name("wang").unwrap().unwrap().locked);
    assert!(!store.unlock_staff("nobody").unwrap());

    // Disabling ends the sessions and refuses new ones until enabled.
    assert!(store.set_staff_disabled("wang", true, now).unwrap());
    assert!(store.session(&token, now, idle).unwrap().is_none());
    store
        .create_session(&token, id, "csrf", now, now + Duration::hours(1))
        .unwrap();
    assert!(
        store.session(&token, now, idle).unwrap().is_none(),
        "disabled"
    );
    assert!(store.set_staff_disabled("wang", false, now).unwrap());
    assert!(
        store.session(&token, now, idle).unwrap().is_none(),
        "enabling starts no session"
    );
    assert!(store.remove_staff("wang").unwrap());
    assert!(store.staff_by_name("wang").unwrap().is_none());
}
