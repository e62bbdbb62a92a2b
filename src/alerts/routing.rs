//! Routing: which investigator gets which alert. Each investigator covers categories,
//! brands, platforms and regions above a minimum risk (an empty list covers all); what
//! nobody covers goes to the duty address, so no flag is silently dropped.

use super::AlertItem;
use crate::config::{AlertsConfig, Investigator};

/// The alerts one recipient gets in one run.
#[derive(Debug)]
pub struct Digest<'a> {
    pub recipient_name: String,
    pub address: String,
    pub items: Vec<&'a AlertItem>,
}

/// Whether `inv`'s routing selects `item` (also the console's triage queue filter).
pub(crate) fn covers(inv: &Investigator, item: &AlertItem) -> bool {
    let any_or = |list: &[String], v: Option<&str>| {
        list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
    };
    item.risk >= inv.min_risk.unwrap_or(0.0)
        && any_or(&inv.categories, item.category.as_deref())
        && any_or(&inv.platforms, Some(&item.platform))
        && any_or(&inv.brands, item.brand.as_deref())
        && any_or(&inv.regions, item.region.as_deref())
}

/// `inv`'s routing as a store query filter: the same selection as [`covers`] (tested below),
/// so the console's triage queue can be paged in SQL instead of filtered in Rust.
pub(crate) fn queue_filter(
    inv: &Investigator,
    platform_regions: &std::collections::BTreeMap<String, String>,
) -> qsword_store::QueueFilter {
    qsword_store::QueueFilter {
        min_risk: inv.min_risk.unwrap_or(0.0),
        categories: inv.categories.clone(),
        platforms: inv.platforms.clone(),
        brands: inv.brands.clone(),
        regions: inv.regions.clone(),
        platform_regions: platform_regions.clone(),
    }
}

/// One digest per investigator whose routing covers at least one alert; alerts nobody covers
/// go to the duty address so that no flag is silently dropped.
pub fn route<'a>(cfg: &AlertsConfig, items: &'a [AlertItem]) -> Vec<Digest<'a>> {
    let mut digests: Vec<Digest> = cfg
        .investigators
        .iter()
        .map(|inv| Digest {
            recipient_name: inv.name.clone(),
            address: inv.email.clone(),
            items: items.iter().filter(|i| covers(inv, i)).collect(),
        })
        .collect();
    let uncovered: Vec<&AlertItem> = items
        .iter()
        .filter(|i| !cfg.investigators.iter().any(|inv| covers(inv, i)))
        .collect();
    if !uncovered.is_empty() {
        digests.push(Digest {
            recipient_name: crate::i18n::t(cfg.lang(), "digest-duty-name"),
            address: cfg.duty_address.clone(),
            items: uncovered,
        });
    }
    digests.retain(|d| !d.items.is_empty());
    for d in &mut digests {
        d.items.sort_by(|a, b| b.risk.total_cmp(&a.risk));
    }
    digests
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alerts::item::AlertFlag;

    pub(crate) fn item(
        id: i64,
        title: &str,
        risk: f64,
        platform: &str,
        category: &str,
    ) -> AlertItem {
        AlertItem {
            listing_id: id,
            url: format!("http://shop.example/item/{id}.html"),
            title: title.into(),
            price: "¥39.90".into(),
            platform: platform.into(),
            seller: "某某专营店".into(),
            category: Some(category.into()),
            brand: None,
            region: None,
            risk,
            flags: vec![AlertFlag {
                signal: "price".into(),
                score: 0.9,
                reason: "far below".into(),
                evidence: serde_json::Value::Null,
            }],
            evidence: "warc/x.warc.gz#urn:uuid:1".into(),
            capture: None,
        }
    }

    pub(crate) fn investigator(name: &str, categories: &[&str]) -> Investigator {
        Investigator {
            name: name.into(),
            email: format!("{name}@center.example"),
            categories: categories.iter().map(|s| s.to_string()).collect(),
            platforms: vec![],
            brands: vec![],
            regions: vec![],
            min_risk: None,
        }
    }

    /// The store's queue filter and `covers` select the same listings, for routing on each
    /// field, names in other cases, listings missing the field, regions from the page and
    /// from the platform, and a risk threshold.
    #[test]
    fn queue_filter_selects_what_covers_selects() {
        use chrono::{TimeZone, Utc};
        use qsword_listing::Listing;
        use qsword_store::{ListingCapture, Store};
        let mut store = Store::open_in_memory().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let categories = [Some("toys"), Some("Wire-Cable"), None];
        let platforms = [Some("shop-a"), Some("SHOP-B"), None];
        let brands = [Some("LEGO"), Some("乐高"), Some("philips"), None];
        let regions = [Some("Zhejiang"), Some("guangdong"), None];
        let mut assessments = vec![];
        let mut n = 0;
        for c in categories {
            for p in platforms {
                for b in brands {
                    for r in regions {
                        n += 1;
                        let mut l = Listing::new(format!("https://x.example/{n}"), "货品");
                        l.category = c.map(Into::into);
                        l.platform = p.map(Into::into);
                        l.brand = b.map(Into::into);
                        if let Some(r) = r {
                            l.extra.insert("region".into(), r.into());
                        } else if n % 2 == 0 {
                            // Not a string: routing ignores it and falls back to the platform.
                            l.extra.insert("region".into(), 7.into());
                        }
                        let id = store
                            .upsert_listing(&l, &ListingCapture::at(at))
                            .unwrap()
                            .id;
                        let risk = (n % 10) as f64 / 10.0;
                        let flags = r#"[{"signal":"price","score":0.9,"reason":"low"}]"#;
                        assessments.push((id, risk, flags.to_string()));
                    }
                }
            }
        }
        store.save_assessments_at(&assessments, at).unwrap();
        let platform_regions: std::collections::BTreeMap<String, String> = [
            ("shop-a".into(), "zhejiang".into()),
            ("SHOP-B".into(), "Jiangsu".into()),
        ]
        .into();
        let all = store.unreviewed_flagged().unwrap();
        assert_eq!(all.len(), n);
        let mut routings = vec![investigator("all", &[])];
        routings.push(investigator("toys", &["TOYS", "wire-cable"]));
        let mut i = investigator("platform", &[]);
        i.platforms = vec!["shop-b".into(), "".into()];
        routings.push(i);
        let mut i = investigator("brand", &[]);
        i.brands = vec!["lego".into(), "乐高".into()];
        routings.push(i);
        let mut i = investigator("region", &["toys"]);
        i.regions = vec!["ZHEJIANG".into(), "jiangsu".into()];
        routings.push(i);
        let mut i = investigator("risky", &[]);
        i.min_risk = Some(0.7);
        i.brands = vec!["Philips".into()];
        routings.push(i);
        for inv in &routings {
            let by_covers: Vec<i64> = all
                .iter()
                .map(|u| AlertItem::of(&u.listing, &u.flags_json, &platform_regions))
                .filter(|item| covers(inv, item))
                .map(|item| item.listing_id)
                .collect();
            let filter = queue_filter(inv, &platform_regions);
            let (page, total) = store.triage_queue(&filter, usize::MAX, 0).unwrap();
            let by_sql: Vec<i64> = page.iter().map(|u| u.listing.id.0).collect();
            assert_eq!(by_sql, by_covers, "routing {}", inv.name);
            assert_eq!(total as usize, by_covers.len(), "routing {}", inv.name);
            assert!(
                !by_covers.is_empty(),
                "routing {} selects nothing",
                inv.name
            );
        }
    }

    #[test]
    fn routing_by_category_and_nothing_dropped() {
        let cfg = AlertsConfig {
            investigators: vec![
                investigator("li", &["toys"]),
                investigator("wang", &["wire-cable"]),
            ],
            ..Default::default()
        };
        let items = vec![
            item(1, "乐高 积木", 0.7, "a", "toys"),
            item(2, "电线", 0.9, "a", "wire-cable"),
            item(3, "化肥", 0.8, "a", "fertilizers"),
        ];
        let d = route(&cfg, &items);
        let who: Vec<(&str, Vec<i64>)> = d
            .iter()
            .map(|d| {
                (
                    d.address.as_str(),
                    d.items.iter().map(|i| i.listing_id).collect(),
                )
            })
            .collect();
        assert_eq!(
            who,
            vec![
                ("li@center.example", vec![1]),
                ("wang@center.example", vec![2]),
                ("duty-investigators@localhost", vec![3])
            ]
        );
    }
}
