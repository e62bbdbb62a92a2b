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
            recipient_name: "investigators on duty".into(),
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
            }],
            evidence: "warc/x.warc.gz#urn:uuid:1".into(),
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
