//! The triage queue, notes, the audit trail and the statistics, as the console relies on them.

use chrono::{DateTime, TimeZone, Utc};
use qsword_listing::{Listing, Seller};
use qsword_store::*;

fn night(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20 + n, 2, 0, 0).unwrap()
}

fn listing(n: u32, platform: &str, category: &str, seller: &str) -> Listing {
    let mut l = Listing::new(format!("https://{platform}/item/{n}"), format!("插座 {n}"));
    l.platform = Some(platform.into());
    l.category = Some(category.into());
    l.seller = Some(Seller {
        name: seller.into(),
        id: None,
        url: None,
    });
    l
}

fn flags(signals: &[&str]) -> String {
    let flags: Vec<serde_json::Value> = signals
        .iter()
        .map(|s| serde_json::json!({"signal": s, "score": 0.9, "reason": "r"}))
        .collect();
    serde_json::to_string(&flags).unwrap()
}

/// Four listings on two nights: a (flagged price+mark, risk 0.9), b (flagged cue, 0.7),
/// c (no flags), d (flagged price, 0.8, delisted later).
fn store() -> (Store, Vec<ListingId>) {
    let mut store = Store::open_in_memory().unwrap();
    let ls = [
        listing(1, "a.example", "switches-sockets", "假货店"),
        listing(2, "a.example", "switches-sockets", "假货店"),
        listing(3, "b.example", "toys", "正品店"),
    ];
    store.import_listings_at(&ls, night(1)).unwrap();
    store
        .import_listings_at(&[listing(4, "b.example", "toys", "假货店")], night(2))
        .unwrap();
    let ids: Vec<ListingId> = (1..=4)
        .map(|n| {
            let url = format!(
                "https://{}/item/{n}",
                if n == 1 || n == 2 {
                    "a.example"
                } else {
                    "b.example"
                }
            );
            store.listing_by_url(&url).unwrap().unwrap().id
        })
        .collect();
    store
        .save_assessments_at(
            &[
                (ids[0], 0.9, flags(&["price", "mark"])),
                (ids[1], 0.7, flags(&["cue"])),
                (ids[2], 0.0, "[]".into()),
            ],
            night(1),
        )
        .unwrap();
    store
        .save_assessments_at(&[(ids[3], 0.8, flags(&["price"]))], night(2))
        .unwrap();
    (store, ids)
}

#[test]
fn the_triage_queue_is_the_undecided_flagged_live_listings_riskiest_first() {
    let (mut store, ids) = store();
    let queue = |s: &Store| -> Vec<ListingId> {
        s.unreviewed_flagged()
            .unwrap()
            .iter()
            .map(|u| u.listing.id)
            .collect()
    };
    assert_eq!(queue(&store), vec![ids[0], ids[3], ids[1]]);
    // A note is not a decision; a decision takes the listing out; so does delisting.
    store.add_note(ids[0], "看一下", "zhang", night(3)).unwrap();
    assert_eq!(queue(&store), vec![ids[0], ids[3], ids[1]]);
    store
        .add_label(ids[0], Decision::Dismiss, None, "zhang", night(3))
        .unwrap();
    store
        .mark_delisted("https://b.example/item/4", night(3))
        .unwrap();
    assert_eq!(queue(&store), vec![ids[1]]);
    assert!(store.unreviewed_flagged().unwrap()[0]
        .flags_json
        .contains("cue"));
}

#[test]
fn notes_and_decisions_make_one_audit_trail_newest_first() {
    let (mut store, ids) = store();
    store
        .add_label(ids[0], Decision::Confirm, Some("假 CCC"), "zhang", night(3))
        .unwrap();
    store.add_note(ids[1], "待复核", "li", night(4)).unwrap();
    assert!(
        store.add_note(ids[1], "  ", "li", night(4)).is_err(),
        "blank"
    );
    assert!(store.add_note(ListingId(999), "x", "li", night(4)).is_err());
    let (trail, total) = store.audit_trail(10, 0).unwrap();
    assert_eq!(total, 2);
    let got: Vec<(&str, AuditAction, Option<&str>, ListingId)> = trail
        .iter()
        .map(|e| (e.who.as_str(), e.action, e.note.as_deref(), e.listing_id))
        .collect();
    assert_eq!(
        got,
        vec![
            ("li", AuditAction::Note, Some("待复核"), ids[1]),
            ("zhang", AuditAction::Confirm, Some("假 CCC"), ids[0]),
        ]
    );
    assert_eq!(trail[1].at, night(3));
    assert_eq!(trail[0].listing_title, "插座 2");
    let (page, _) = store.audit_trail(1, 1).unwrap();
    assert_eq!(page[0].who, "zhang");
    assert_eq!(store.notes(ids[1]).unwrap()[0].note, "待复核");
}

#[test]
fn statistics_count_live_and_flagged_listings_exactly() {
    let (mut store, ids) = store();
    store
        .add_label(ids[0], Decision::Confirm, None, "zhang", night(3))
        .unwrap();
    store
        .add_label(ids[1], Decision::Dismiss, None, "zhang", night(3))
        .unwrap();
    let s = store.statistics(Period::default(), 10).unwrap();
    assert_eq!((s.listings, s.flagged), (4, 3));
    let g = |key: &str, l: u64, f: u64| GroupCount {
        key: key.into(),
        listings: l,
        flagged: f,
    };
    assert_eq!(
        s.by_category,
        vec![g("switches-sockets", 2, 2), g("toys", 2, 1)]
    );
    assert_eq!(
        s.by_platform,
        vec![g("a.example", 2, 2), g("b.example", 2, 1)]
    );
    let signals: Vec<(&str, u64)> = s
        .by_signal
        .iter()
        .map(|c| (c.signal.as_str(), c.flagged))
        .collect();
    assert_eq!(signals, vec![("price", 2), ("cue", 1), ("mark", 1)]);
    let days: Vec<(&str, u64, u64, u64, u64)> = s
        .by_day
        .iter()
        .map(|d| {
            (
                d.day.as_str(),
                d.new_listings,
                d.newly_flagged,
                d.confirmed,
                d.dismissed,
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-11-21", 3, 2, 0, 0),
            ("2026-11-22", 1, 1, 0, 0),
            ("2026-11-23", 0, 0, 1, 1),
        ]
    );
    let sellers: Vec<(&str, &str, u64, u64, u64)> = s
        .top_sellers
        .iter()
        .map(|c| {
            (
                c.seller.as_str(),
                c.platform.as_str(),
                c.listings,
                c.flagged,
                c.confirmed,
            )
        })
        .collect();
    // 正品店 has no flagged listing, so it is no "top seller".
    assert_eq!(
        sellers,
        vec![
            ("假货店", "a.example", 2, 2, 1),
            ("假货店", "b.example", 1, 1, 0)
        ]
    );

    // Delisted listings leave the live counts (but not the history of days).
    store
        .mark_delisted("https://b.example/item/4", night(3))
        .unwrap();
    let s = store.statistics(Period::default(), 1).unwrap();
    assert_eq!((s.listings, s.flagged), (3, 2));
    assert_eq!(s.top_sellers.len(), 1);
    assert_eq!(s.by_day[1].new_listings, 1);

    // A period counts what was first seen in it, delisted since or not, and only its days.
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let p = Period {
        since: Some(day(22, 0)),
        until: Some(day(23, 23)),
    };
    let s = store.statistics(p, 10).unwrap();
    assert_eq!((s.listings, s.flagged), (1, 1), "listing 4 only");
    assert_eq!(s.by_platform, vec![g("b.example", 1, 1)]);
    assert_eq!(s.by_signal[0].signal, "price");
    let days: Vec<&str> = s.by_day.iter().map(|d| d.day.as_str()).collect();
    assert_eq!(days, ["2026-11-22", "2026-11-23"]);
    let s = store
        .statistics(
            Period {
                since: None,
                until: Some(day(21, 23)),
            },
            10,
        )
        .unwrap();
    assert_eq!((s.listings, s.flagged), (3, 2), "the first night's three");
    assert_eq!(s.by_day.len(), 1);
}
