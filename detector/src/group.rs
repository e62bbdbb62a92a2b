//! Product groups: offers of the same product across sellers and platforms, so that a price can
//! be compared with the prices of the *same thing*.
//!
//! A listing is keyed by (brand, normalised model) when both are known, else by its GTIN, else
//! by its normalised title tokens (brand and noise words removed, sorted), and always by
//! currency: prices in different currencies are never compared (qsword holds no exchange
//! rates). Offers left in groups too small to judge fall back to a group of their category and
//! brand.

use qsword_listing::catalogue::{find_word, fold, Brand, Catalogue};
use qsword_listing::text::is_han;
use qsword_listing::{Currency, Listing};
use rayon::prelude::*;
use std::collections::HashMap;

/// Offers of one product in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceGroup {
    /// Stable key, e.g. `brand:philips/model:HD9252/CNY` or `title:4.1l 空气炸锅/CNY`.
    pub key: String,
    /// What investigators read: `Philips HD9252`, or the title tokens.
    pub label: String,
    /// The brand the group is of, when known.
    pub brand_id: Option<String>,
    pub currency: Currency,
    /// Indices into the slice of listings the groups were built from.
    pub members: Vec<usize>,
}

/// Words that say nothing about which product it is, removed before title tokens are compared.
const NOISE_WORDS: &[&str] = &[
    "官方正品",
    "正品保证",
    "正品",
    "官方",
    "旗舰店",
    "自营",
    "包邮",
    "特价",
    "新款",
    "热销",
    "爆款",
    "促销",
    "限时",
    "现货",
    "清仓",
    "秒杀",
    "官网",
    "同款",
    "free shipping",
    "official",
    "genuine",
    "original",
    "authentic",
    "new",
    "hot",
    "sale",
];

/// Groups the priced listings. `brand_for(i)` gives the brand listing `i` is of or imitates
/// (imitations are compared with the genuine product's prices), and the text it was written as.
pub fn price_groups<'c>(
    catalogue: &'c Catalogue,
    listings: &[Listing],
    min_offers: usize,
    brand_for: impl Fn(usize) -> Option<(&'c Brand, String)> + Sync,
) -> Vec<PriceGroup> {
    // Keys are worked out in parallel (folding and tokenising titles is the cost), then
    // gathered in input order.
    let keyed: Vec<Option<GroupKey<'c>>> = (0..listings.len())
        .into_par_iter()
        .map(|i| group_key(catalogue, &listings[i], brand_for(i)))
        .collect();
    let mut groups: HashMap<String, PriceGroup> = HashMap::new();
    for (i, keyed) in keyed.into_iter().enumerate() {
        let Some((key, label, brand, currency)) = keyed else {
            continue;
        };
        groups
            .entry(key)
            .or_insert_with_key(|key| PriceGroup {
                key: key.clone(),
                label,
                brand_id: brand.map(|b| b.id.clone()),
                currency,
                members: Vec::new(),
            })
            .members
            .push(i);
    }
    // Offers of a product too rarely sold to judge alone are compared within their category
    // (and brand): a wider spread, so only a far outlier stands out there.
    let (mut kept, small): (Vec<PriceGroup>, Vec<PriceGroup>) = groups
        .into_values()
        .partition(|g| g.members.len() >= min_offers);
    let mut fallback: HashMap<String, PriceGroup> = HashMap::new();
    for g in small {
        for i in g.members {
            let Some(category) = catalogue.categorize(&listings[i]) else {
                continue;
            };
            let brand = g.brand_id.as_deref().unwrap_or("-");
            let key = format!("category:{}/brand:{brand}/{}", category.slug, g.currency);
            fallback
                .entry(key)
                .or_insert_with_key(|key| PriceGroup {
                    key: key.clone(),
                    label: format!(
                        "{} in {}",
                        brand_label(catalogue, &g.brand_id),
                        category.slug
                    ),
                    brand_id: g.brand_id.clone(),
                    currency: g.currency,
                    members: Vec::new(),
                })
                .members
                .push(i);
        }
    }
    kept.extend(fallback.into_values());
    kept.sort_by(|a, b| a.key.cmp(&b.key));
    kept
}

fn brand_label(catalogue: &Catalogue, id: &Option<String>) -> String {
    id.as_deref()
        .and_then(|id| catalogue.brand(id))
        .map_or("products".to_string(), |b| {
            format!("{} products", b.display_name())
        })
}

/// (key, label, brand, currency) of one listing's group.
type GroupKey<'c> = (String, String, Option<&'c Brand>, Currency);

/// The group key and label of one priced listing, `None` for a listing without a price or
/// without anything to tell its product by.
fn group_key<'c>(
    catalogue: &'c Catalogue,
    listing: &Listing,
    brand: Option<(&'c Brand, String)>,
) -> Option<GroupKey<'c>> {
    let price = listing.price.as_ref()?;
    let model = listing
        .model
        .as_deref()
        .or(listing.mpn.as_deref())
        .map(normalise_model)
        .filter(|m| !m.is_empty())
        .or_else(|| model_in_title(&listing.title));
    // Brand + model first, so that fakes (which rarely carry the GTIN) meet the genuine offers;
    // a GTIN alone names the product as well.
    let gtin = listing
        .gtin
        .as_deref()
        .filter(|g| g.len() >= 8 && g.bytes().all(|b| b.is_ascii_digit()));
    let (key, label) = match (&brand, model, gtin) {
        (Some((b, _)), Some(model), _) => (
            format!("brand:{}/model:{model}", b.id),
            format!("{} {model}", b.display_name()),
        ),
        (_, _, Some(gtin)) => (format!("gtin:{gtin}"), format!("GTIN {gtin}")),
        _ => {
            let mut title = fold(&listing.title);
            if let Some((b, written)) = &brand {
                for name in b.names().map(fold).chain([fold(written)]) {
                    title = remove_word(&title, &name);
                }
            }
            let tokens = title_tokens(catalogue, &title);
            if tokens.is_empty() {
                return None;
            }
            let tokens = tokens.join(" ");
            match &brand {
                Some((b, _)) => (
                    format!("brand:{}/title:{tokens}", b.id),
                    format!("{} {tokens}", b.display_name()),
                ),
                None => (format!("title:{tokens}"), tokens),
            }
        }
    };
    Some((
        format!("{key}/{}", price.currency),
        label,
        brand.map(|(b, _)| b),
        price.currency,
    ))
}

/// Model numbers compare without case, spaces or punctuation: `HD-9252`, `hd 9252`, `HD9252`.
pub fn normalise_model(model: &str) -> String {
    fold(model)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The first token of the title that looks like a model number: ASCII letters and digits (and
/// hyphens) with at least one of each, that is not a quantity such as `4.1L`, `1400W`, `20000mAh`.
pub fn model_in_title(title: &str) -> Option<String> {
    let folded = fold(title);
    folded
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .map(|t| t.trim_matches(|c| c == '-' || c == '.'))
        .filter(|t| t.len() >= 4)
        .filter(|t| {
            t.chars().any(|c| c.is_ascii_alphabetic()) && t.chars().any(|c| c.is_ascii_digit())
        })
        .find(|t| !is_quantity(t))
        .map(normalise_model)
}

fn is_quantity(token: &str) -> bool {
    let unit_start = token
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(token.len());
    let (number, unit) = token.split_at(unit_start);
    const UNITS: &[&str] = &[
        "l", "ml", "w", "kw", "v", "a", "ma", "mah", "wh", "kg", "g", "m", "mm", "cm", "mm2", "hz",
        "p", "t", "pcs",
    ];
    !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && UNITS.contains(&unit)
}

/// Sorted, de-duplicated tokens of a folded title without noise words and cue words.
pub fn title_tokens(catalogue: &Catalogue, folded_title: &str) -> Vec<String> {
    let mut title = folded_title.to_string();
    for word in NOISE_WORDS
        .iter()
        .map(|w| w.to_string())
        .chain(catalogue.cues.iter().map(|c| fold(&c.word)))
    {
        title = remove_word(&title, &word);
    }
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_cjk = false;
    for c in title.chars() {
        let cjk = is_han(c);
        let word = cjk || c.is_alphanumeric() || c == '.';
        // A token ends at a separator or where Chinese meets Latin ("炸锅hd9252").
        if !current.is_empty() && (!word || cjk != current_cjk) {
            tokens.push(std::mem::take(&mut current));
        }
        if word {
            current.push(c);
            current_cjk = cjk;
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens.retain(|t| t.trim_matches('.').chars().count() > 0);
    tokens.sort();
    tokens.dedup();
    tokens
}

/// `text` with every whole-word occurrence of `word` (see [`find_word`]) replaced by a space.
fn remove_word(text: &str, word: &str) -> String {
    if word.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in find_word(text, word).collect::<Vec<_>>() {
        if at < last {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push(' ');
        last = at + word.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_numbers_are_found_and_quantities_are_not() {
        assert_eq!(
            model_in_title("飞利浦 空气炸锅 4.1L 1400W HD9252/81").as_deref(),
            Some("HD9252")
        );
        assert_eq!(model_in_title("充电宝 20000mAh 快充"), None);
        assert_eq!(normalise_model("hd-9252"), "HD9252");
    }

    #[test]
    fn offers_of_one_product_share_a_group_whatever_the_wording() {
        let c = Catalogue::embedded();
        let philips = c.brand("philips").unwrap();
        let mut listings = vec![
            Listing::new("a", "飞利浦 空气炸锅 HD9252 包邮"),
            Listing::new("b", "【正品】Philips air fryer hd-9252"),
            Listing::new("c", "飞利浦 空气炸锅 HD9252"),
            Listing::new("d", "空气炸锅 家用 大容量"),
        ];
        for l in &mut listings {
            l.price = Some(qsword_listing::Price::new("299.00", "CNY").unwrap());
        }
        listings[2].price = Some(qsword_listing::Price::new("39.00", "USD").unwrap());
        let groups = price_groups(&c, &listings, 1, |i| {
            (i < 3).then(|| (philips, "飞利浦".to_string()))
        });
        let key_of = |i: usize| {
            groups
                .iter()
                .find(|g| g.members.contains(&i))
                .unwrap()
                .key
                .clone()
        };
        assert_eq!(key_of(0), "brand:philips/model:HD9252/CNY");
        assert_eq!(key_of(1), key_of(0));
        assert_eq!(
            key_of(2),
            "brand:philips/model:HD9252/USD",
            "currencies are never mixed"
        );
        assert_eq!(key_of(3), "title:大容量 家用 空气炸锅/CNY");
    }
}
