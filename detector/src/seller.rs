//! The seller signal: who sells a listing says something too. A seller most of whose *other*
//! listings are flagged, or who sells several brands at deep discounts, makes each of its
//! listings more suspect. Weak on purpose (a seller is judged by its other listings, and an
//! honest dealer can carry one bad batch), so it adds to other evidence rather than raising
//! an alert alone.
//!
//! Not here: seller age. The Listing contract has no "seller since" and a batch cannot tell a
//! new seller from an old one; the store's first-seen dates could, later.

use crate::assessment::{round2, Flag, Signal};
use qsword_listing::Listing;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// A seller needs this many other listings in the batch before its record counts.
const MIN_OTHER_LISTINGS: usize = 4;
/// Share of the other listings flagged from which the seller counts against a listing.
const FLAGGED_SHARE: f64 = 0.5;
/// Distinct brands sold at deep discounts from which the seller counts.
const DISCOUNTED_BRANDS: usize = 3;
const MAX_SCORE: f64 = 0.2;

/// What the other signals found on one listing, as the seller signal needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListingVerdict<'a> {
    pub flagged: bool,
    /// The brand (id) of a listing flagged on price.
    pub discounted_brand: Option<&'a str>,
}

/// Seller flags as (listing index, flag), given the other signals' verdicts.
pub fn seller_flags(listings: &[Listing], verdicts: &[ListingVerdict<'_>]) -> Vec<(usize, Flag)> {
    let mut by_seller: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, l) in listings.iter().enumerate() {
        let Some(seller) = &l.seller else { continue };
        let id = seller.id.as_deref().unwrap_or(&seller.name);
        if id.is_empty() {
            continue;
        }
        let platform = l.platform.as_deref().unwrap_or("");
        by_seller.entry((platform, id)).or_default().push(i);
    }
    let mut flags = Vec::new();
    for members in by_seller.values() {
        if members.len() <= MIN_OTHER_LISTINGS {
            continue;
        }
        let flagged = members.iter().filter(|&&i| verdicts[i].flagged).count();
        let brands: HashSet<&str> = members
            .iter()
            .filter_map(|&i| verdicts[i].discounted_brand)
            .collect();
        for &i in members {
            let others = members.len() - 1;
            let others_flagged = flagged - usize::from(verdicts[i].flagged);
            let share = others_flagged as f64 / others as f64;
            let many_brands = brands.len() >= DISCOUNTED_BRANDS;
            if share < FLAGGED_SHARE && !many_brands {
                continue;
            }
            let score = MAX_SCORE * share.max(if many_brands { 0.8 } else { 0.0 });
            let name = &listings[i].seller.as_ref().expect("grouped by seller").name;
            let mut reason = format!(
                "seller {name}: {others_flagged} of its {others} other listings are flagged"
            );
            if many_brands {
                reason.push_str(&format!(
                    ", and it sells {} brands at deep discounts",
                    brands.len()
                ));
            }
            let mut sorted: Vec<&&str> = brands.iter().collect();
            sorted.sort();
            flags.push((
                i,
                Flag::new(
                    Signal::Seller,
                    score,
                    reason,
                    json!({"seller": name, "other_listings": others, "others_flagged": others_flagged,
                           "flagged_share": round2(share), "discounted_brands": sorted}),
                ),
            ));
        }
    }
    flags
}
