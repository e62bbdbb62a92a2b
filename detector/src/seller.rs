//! The seller signal: sellers as networks, judged by the probability that they sell
//! counterfeits throughout. Fakes cluster around a few sellers; a bulk counterfeiter's
//! listings often look genuine one by one (a plausible 70–95 % price, a real-looking title),
//! and only the seller as a whole gives them away.
//!
//! **Networks.** Sellers (platform + id, else name) are linked when they share an identifier
//! that honest, unrelated shops do not share: the shop-name skeleton on one platform (folded,
//! legal forms such as Co., Ltd, LLC, 有限公司 and punctuation removed: `Lopez Electronics LLC`
//! and `lopez electronics` under another id; names are unique within a platform, not across
//! platforms, where two unrelated shops may share a common name), a phone number or e-mail address in the listing
//! (`extra` fields `seller_phone`/`phone`/`seller_address`/`address`/`seller_email`, or written
//! in the description), or an image URL. An identifier carried by more than
//! [`MAX_SHARED_BY`] sellers links nobody (a brand's CDN picture, a platform hotline). Titles
//! do not link: honest resellers copy the manufacturer's text. A network's evidence is pooled.
//!
//! **Evidence, as a posterior probability** that the network sells counterfeits throughout
//! (prior [`PRIOR`]), from two independent parts:
//! - *Prices, per brand*: a dealer's prices for one brand come from one supplier deal, so the
//!   unit of evidence is the (network, brand), not the listing. A brand counts as undercut
//!   when the network's median price ratio to its products' reference prices
//!   ([`crate::price`]) is below 1 − [`UNDERCUT`]. A counterfeiter undercuts nearly every
//!   brand it sells (probability [`P_UNDERCUT_COUNTERFEIT`]); an honest dealer undercuts a
//!   brand as often as the batch's dealers do (measured on the batch). So an honest discounter
//!   of three brands stays unremarkable, and a seller undercutting thirty brands does not.
//! - *Other signals' flags, with a Bayesian prior*: k of the network's n listings carry a flag
//!   of another signal (score ≥ 0.5). An honest seller's listings are flagged at the batch's
//!   rate (false alarms, a bad batch); a counterfeit seller's rate is unknown (uniform prior,
//!   Beta-binomial marginal likelihood): 3 of 3 flagged is strong evidence, 3 of 900 is none.
//!   One-sided: a counterfeiter whose listings show nothing is what this signal is for, so few
//!   flags never count as evidence of honesty.
//!
//! The flag's score is the posterior computed from the network's *other* listings (at most
//! [`MAX_SCORE`]), times what the listing's own price allows: full below its product's
//! reference (a counterfeiter-throughout undercuts), [`AT_PRICE_FACTOR`] at or above it or when
//! its wording explains a low price (clearance, open box …), [`UNCHECKED_FACTOR`] without a
//! reference. It is raised on the network's listings once the
//! posterior reaches [`MIN_POSTERIOR`]; its sentence says which listings of the network
//! carried which signals and which brands were undercut.
//!
//! Not here: seller age. The Listing contract has no "seller since"; the store's first-seen
//! dates could add it later.

use crate::assessment::{round2, round3, Flag, Signal};
use qsword_listing::catalogue::fold;
use qsword_listing::Listing;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Prior probability that a seller network sells counterfeits throughout (one in fifty).
pub const PRIOR: f64 = 0.02;
/// A brand is undercut when the seller's median price for it is this far below reference.
pub const UNDERCUT: f64 = 0.05;
/// Probability that a counterfeit-throughout seller undercuts a brand it sells.
pub const P_UNDERCUT_COUNTERFEIT: f64 = 0.9;
/// The seller flag is raised from this posterior on.
pub const MIN_POSTERIOR: f64 = 0.2;
pub const MAX_SCORE: f64 = 0.95;
/// Factor on the seller score of a listing priced at or above its product's reference.
pub const AT_PRICE_FACTOR: f64 = 0.5;
/// Factor on the seller score of a listing without a reference price to check it against.
pub const UNCHECKED_FACTOR: f64 = 0.6;
/// An identifier shared by more sellers than this links none of them.
pub const MAX_SHARED_BY: usize = 5;

/// What the other signals and the price references say about one listing.
#[derive(Debug, Clone, Default)]
pub struct ListingVerdict {
    /// Signals with a flag of score ≥ 0.5 on the listing (not the seller's).
    pub signals: Vec<Signal>,
    /// ln(price / reference of other offers of the product), when a group reference exists.
    pub log_ratio: Option<f64>,
    /// The listing's wording explains a low price (clearance, open box …: [`crate::price`]).
    pub explained: bool,
}

/// Legal forms and shop words that do not tell shops apart.
const LEGAL_FORMS: &[&str] = &[
    "co",
    "ltd",
    "llc",
    "inc",
    "corp",
    "company",
    "limited",
    "gmbh",
    "有限公司",
    "有限责任公司",
    "公司",
    "商行",
    "经营部",
];

/// The shop-name skeleton: folded, legal forms and everything but letters and digits removed.
pub fn name_skeleton(name: &str) -> String {
    let folded = fold(name);
    let mut words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.retain(|w| !LEGAL_FORMS.contains(w));
    let mut s: String = words.concat();
    for form in LEGAL_FORMS.iter().filter(|f| !f.is_ascii()) {
        if s.ends_with(form) {
            s.truncate(s.len() - form.len());
        }
    }
    s
}

/// Phone numbers and e-mail addresses written in a text: runs of 7+ digits that follow a
/// phone word (tel, phone, 电话, 微信, wechat, whatsapp, qq, 手机), and e-mails.
fn contacts(text: &str, out: &mut Vec<String>) {
    let folded = fold(text);
    for word in folded.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '；'))
    {
        if let Some(at) = word.find('@') {
            let (user, host) = word.split_at(at);
            if !user.is_empty() && host.contains('.') {
                out.push(format!(
                    "mail:{}",
                    word.trim_matches(|c: char| !c.is_alphanumeric())
                ));
            }
        }
    }
    let bytes: Vec<char> = folded.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            let mut digits = String::new();
            while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], '-' | ' ')) {
                if bytes[i].is_ascii_digit() {
                    digits.push(bytes[i]);
                }
                i += 1;
            }
            let before: String = bytes[start.saturating_sub(12)..start].iter().collect();
            let phone_word = [
                "tel", "phone", "电话", "微信", "wechat", "whatsapp", "qq", "手机",
            ]
            .iter()
            .any(|w| before.contains(w));
            // Only after a phone word: a bare run of digits may be a certificate or part number.
            if digits.len() >= 7 && phone_word {
                out.push(format!("phone:{digits}"));
            }
        } else {
            i += 1;
        }
    }
}

/// The identifiers of a listing's seller that may link it to others.
fn identifiers(l: &Listing) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(s) = &l.seller {
        // A shop name is unique within a platform, not across platforms: the skeleton links
        // shops of one platform only (hard identifiers below link across platforms).
        let skeleton = name_skeleton(&s.name);
        if skeleton.chars().count() >= 4 {
            ids.push(format!(
                "name:{}/{skeleton}",
                l.platform.as_deref().unwrap_or("")
            ));
        }
    }
    for key in [
        "seller_phone",
        "phone",
        "seller_address",
        "address",
        "seller_email",
    ] {
        if let Some(v) = l.extra.get(key).and_then(|v| v.as_str()) {
            let v: String = fold(v).chars().filter(|c| c.is_alphanumeric()).collect();
            if v.len() >= 6 {
                ids.push(format!("{key}:{v}"));
            }
        }
    }
    if let Some(d) = &l.description {
        contacts(d, &mut ids);
    }
    for image in &l.images {
        ids.push(format!("image:{image}"));
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Who made the product, as the seller's brand units count it.
fn maker(l: &Listing) -> String {
    match l.brand.as_deref().map(|b| fold(b).trim().to_string()) {
        Some(b) if !b.is_empty() => b,
        _ => fold(&l.title)
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| w.chars().count() >= 2)
            .unwrap_or("")
            .to_string(),
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits), so that ln C(n, k) costs
/// the same for a seller of three listings as for one of a hundred thousand.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let t = x + 7.5;
    let mut a = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

fn ln_choose(n: usize, k: usize) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Seller flags as (listing index, flag), given the other signals' verdicts.
pub fn seller_flags(listings: &[Listing], verdicts: &[ListingVerdict]) -> Vec<(usize, Flag)> {
    // Sellers.
    let mut seller_of: Vec<Option<usize>> = vec![None; listings.len()];
    let mut seller_ids: HashMap<(&str, &str), usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, l) in listings.iter().enumerate() {
        let Some(seller) = &l.seller else { continue };
        let id = seller.id.as_deref().unwrap_or(&seller.name);
        if id.trim().is_empty() {
            continue;
        }
        let platform = l.platform.as_deref().unwrap_or("");
        let next = seller_ids.len();
        let s = *seller_ids.entry((platform, id)).or_insert_with(|| {
            names.push(seller.name.as_str());
            next
        });
        seller_of[i] = Some(s);
    }
    let sellers = seller_ids.len();
    if sellers == 0 {
        return Vec::new();
    }
    // Networks: union of sellers sharing a rare identifier.
    let mut by_identifier: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, l) in listings.iter().enumerate() {
        let Some(s) = seller_of[i] else { continue };
        for id in identifiers(l) {
            let v = by_identifier.entry(id).or_default();
            if !v.contains(&s) && v.len() <= MAX_SHARED_BY {
                v.push(s);
            }
        }
    }
    let mut parent: Vec<usize> = (0..sellers).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut links: Vec<(usize, usize, String)> = Vec::new();
    let mut ids: Vec<(&String, &Vec<usize>)> = by_identifier.iter().collect();
    ids.sort();
    for (id, group) in ids {
        if group.len() < 2 || group.len() > MAX_SHARED_BY {
            continue;
        }
        for &s in &group[1..] {
            let (a, b) = (find(&mut parent, group[0]), find(&mut parent, s));
            if a != b {
                parent[b.max(a)] = a.min(b);
                links.push((group[0], s, id.clone()));
            }
        }
    }
    let network: Vec<usize> = (0..sellers).map(|s| find(&mut parent, s)).collect();

    // Batch rates: how often a listing is flagged, how often a (seller, brand) is undercut.
    let flagged = |i: usize| !verdicts[i].signals.is_empty();
    let n_all = listings.len().max(1);
    let rho_honest = ((0..listings.len()).filter(|&i| flagged(i)).count() as f64 / n_all as f64)
        .clamp(0.005, 0.3);
    let mut units: HashMap<(usize, String), Vec<f64>> = HashMap::new();
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in seller_of.iter().enumerate() {
        let Some(s) = s else { continue };
        let net = network[*s];
        members.entry(net).or_default().push(i);
        if let Some(r) = verdicts[i].log_ratio {
            units.entry((net, maker(&listings[i]))).or_default().push(r);
        }
    }
    let undercut_of = |ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2] < (1.0 - UNDERCUT).ln()
    };
    let mut per_net: HashMap<usize, (Vec<String>, usize)> = HashMap::new();
    let (mut undercut_all, mut units_all) = (0usize, 0usize);
    let mut unit_keys: Vec<(usize, String)> = units.keys().cloned().collect();
    unit_keys.sort();
    for key in unit_keys {
        let ratios = units.get_mut(&key).expect("key of units");
        let under = undercut_of(ratios);
        let e = per_net.entry(key.0).or_default();
        if under {
            e.0.push(key.1.clone());
            undercut_all += 1;
        }
        e.1 += 1;
        units_all += 1;
    }
    let p_undercut_honest = if units_all == 0 {
        0.5
    } else {
        (undercut_all as f64 / units_all as f64).clamp(0.05, 0.8)
    };

    // The posterior of a network from its counts: undercut brands, other priced brands,
    // flagged listings, listings.
    let posterior_of = |nb: f64, na: f64, k: usize, n: usize| -> f64 {
        // Flags: k of n under a uniform rate (Beta-binomial) against the batch's rate;
        // one-sided, since a counterfeiter whose listings show nothing is what this signal is
        // for: few flags are no evidence of honesty, many are evidence against it.
        let flags_llr = if n == 0 || (k as f64) <= rho_honest * n as f64 {
            // No more flagged than an honest seller of the batch: no evidence either way.
            0.0
        } else {
            (-((n + 1) as f64).ln()
                - ln_choose(n, k)
                - (k as f64 * rho_honest.ln() + (n - k) as f64 * (1.0 - rho_honest).ln()))
            .max(0.0)
        };
        let ln_c =
            nb * P_UNDERCUT_COUNTERFEIT.ln() + na * (1.0 - P_UNDERCUT_COUNTERFEIT).ln() + flags_llr;
        let ln_h = nb * p_undercut_honest.ln() + na * (1.0 - p_undercut_honest).ln();
        1.0 / (1.0 + ((ln_h - ln_c).exp() * (1.0 - PRIOR) / PRIOR))
    };
    let mut sellers_of_net: HashMap<usize, Vec<usize>> = HashMap::new();
    for (s, &net) in network.iter().enumerate() {
        sellers_of_net.entry(net).or_default().push(s);
    }
    let mut links_of_net: HashMap<usize, Vec<&str>> = HashMap::new();
    for (a, _, id) in &links {
        links_of_net
            .entry(network[*a])
            .or_default()
            .push(id.as_str());
    }
    let mut flags = Vec::new();
    for (net, listing_ids) in &members {
        let (undercut, brand_units) = per_net.get(net).cloned().unwrap_or_default();
        let n = listing_ids.len();
        let k = listing_ids.iter().filter(|&&i| flagged(i)).count();
        // Each listing is judged by the *other* listings of its network: its own flag and, when
        // it is its brand's only priced listing there, its own brand are left out.
        let own_unit = |i: usize| -> Option<bool> {
            verdicts[i].log_ratio?;
            let key = (*net, maker(&listings[i]));
            let ratios = units.get(&key)?;
            (ratios.len() == 1).then(|| undercut.contains(&key.1))
        };
        let posterior_without = |i: usize| -> f64 {
            let (mut nb, mut na) = (undercut.len() as f64, (brand_units - undercut.len()) as f64);
            match own_unit(i) {
                Some(true) => nb -= 1.0,
                Some(false) => na -= 1.0,
                None => {}
            }
            posterior_of(nb, na, k - usize::from(flagged(i)), n - 1)
        };
        let posterior = posterior_of(
            undercut.len() as f64,
            (brand_units - undercut.len()) as f64,
            k,
            n,
        );
        if posterior.is_nan() || posterior < MIN_POSTERIOR {
            continue;
        }
        // Who is in the network, and why.
        let sellers_in = sellers_of_net.get(net).cloned().unwrap_or_default();
        let seller_names: Vec<&str> = sellers_in.iter().take(20).map(|&s| names[s]).collect();
        let linked_by: Vec<&str> = links_of_net
            .get(net)
            .map(|l| l.iter().take(20).copied().collect())
            .unwrap_or_default();
        let mut by_signal: BTreeMap<&str, usize> = BTreeMap::new();
        let mut carried: Vec<serde_json::Value> = Vec::new();
        for &i in listing_ids {
            for s in &verdicts[i].signals {
                *by_signal.entry(s.as_str()).or_default() += 1;
            }
            if flagged(i) && carried.len() < 10 {
                let signals: Vec<&str> = verdicts[i].signals.iter().map(|s| s.as_str()).collect();
                carried.push(json!({"url": listings[i].url, "signals": signals}));
            }
        }
        let signal_text: Vec<String> = by_signal.iter().map(|(s, c)| format!("{s} {c}")).collect();
        let mut undercut_shown = undercut.clone();
        undercut_shown.truncate(8);
        let who = if seller_names.len() == 1 {
            format!("seller {}", seller_names[0])
        } else {
            format!(
                "seller network {} (linked by {})",
                seller_names.join(", "),
                linked_by.join(", ")
            )
        };
        // The likelihood is the one this listing is judged by: its seller's record without it.
        let mut reason = format!(
            "{who}: {{likely}}% likely to sell counterfeits throughout, judged by its other listings — it undercuts {} of the {} brands it prices against other offers",
            undercut.len(),
            brand_units
        );
        if !undercut_shown.is_empty() {
            reason.push_str(&format!(" ({}", undercut_shown.join(", ")));
            if undercut.len() > undercut_shown.len() {
                reason.push_str(", …");
            }
            reason.push(')');
        }
        reason.push_str(&format!(", and {k} of its {n} listings carry other flags"));
        if !signal_text.is_empty() {
            reason.push_str(&format!(" ({})", signal_text.join(", ")));
        }
        let _ = posterior; // the network's own figure, for the sentence
        let evidence = json!({
            "seller": seller_names.first().copied().unwrap_or(""),
            "network": seller_names,
            "linked_by": linked_by,
            "posterior": round3(posterior),
            "listings": n,
            "others_flagged": k,
            "flagged_share": round2(k as f64 / n as f64),
            "brands_priced": brand_units,
            "discounted_brands": undercut,
            "flagged_listings": carried,
            "batch_flag_rate": round3(rho_honest),
            "batch_undercut_rate": round3(p_undercut_honest),
        });
        // Only the listing's own flag and own brand unit vary: at most six cases per network.
        let mut cache: HashMap<(bool, Option<bool>), f64> = HashMap::new();
        for &i in listing_ids {
            let own = *cache
                .entry((flagged(i), own_unit(i)))
                .or_insert_with(|| posterior_without(i));
            if own < MIN_POSTERIOR {
                continue;
            }
            // What the record says of this listing depends on the listing's own price: a
            // counterfeiter-throughout sells below the going price, so an offer at or above it
            // is less likely one of its fakes, and one without a reference cannot be checked.
            let position = match verdicts[i].log_ratio {
                _ if verdicts[i].explained => AT_PRICE_FACTOR,
                Some(r) if r < 0.0 => 1.0,
                Some(_) => AT_PRICE_FACTOR,
                None => UNCHECKED_FACTOR,
            };
            let mut evidence = evidence.clone();
            evidence["posterior_without_this_listing"] = json!(round3(own));
            evidence["price_position_factor"] = json!(position);
            flags.push((
                i,
                Flag::new(
                    Signal::Seller,
                    (own * MAX_SCORE * position).min(MAX_SCORE),
                    reason.replace("{likely}", &format!("{:.0}", own * 100.0)),
                    evidence,
                ),
            ));
        }
    }
    flags.sort_by_key(|f| f.0);
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_listing::Seller;

    fn listing(i: usize, seller: &str, brand: &str) -> Listing {
        let mut l = Listing::new(format!("https://shop.example/{seller}/{i}"), "x");
        l.brand = Some(brand.into());
        l.seller = Some(Seller {
            name: seller.into(),
            id: Some(seller.into()),
            ..Default::default()
        });
        l
    }

    #[test]
    fn ln_choose_is_exact_enough() {
        assert!((ln_choose(5, 2) - 10f64.ln()).abs() < 1e-9);
        assert!((ln_choose(900, 0)).abs() < 1e-9);
        assert!((ln_choose(40, 20) - 137_846_528_820f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn names_reduce_to_their_skeleton() {
        assert_eq!(name_skeleton("Lopez Electronics, LLC"), "lopezelectronics");
        assert_eq!(name_skeleton("深圳市宏达电子有限公司"), "深圳市宏达电子");
    }

    #[test]
    fn undercutting_many_brands_is_damning_and_a_discounter_of_few_is_not() {
        let mut listings = Vec::new();
        let mut verdicts = Vec::new();
        // A bulk seller undercutting 20 brands by 10-25 %, no other flags.
        for i in 0..20 {
            listings.push(listing(i, "bulk", &format!("brand{i}")));
            verdicts.push(ListingVerdict {
                signals: vec![],
                log_ratio: Some((0.75 + 0.01 * i as f64).ln()),
                explained: false,
            });
        }
        // An honest discounter of 3 brands, 15 listings all 15 % off.
        for i in 0..15 {
            listings.push(listing(i, "discounter", &format!("brand{}", i % 3)));
            verdicts.push(ListingVerdict {
                signals: vec![],
                log_ratio: Some(0.85f64.ln()),
                explained: false,
            });
        }
        // A big honest seller: 300 listings around the reference, 3 false flags.
        for i in 0..300 {
            listings.push(listing(i, "big", &format!("brand{}", i % 40)));
            let r = if i % 2 == 0 { 0.9 } else { 1.1 };
            verdicts.push(ListingVerdict {
                signals: if i < 3 { vec![Signal::Brand] } else { vec![] },
                log_ratio: Some(f64::ln(r)),
                explained: false,
            });
        }
        let flags = seller_flags(&listings, &verdicts);
        let flagged = |seller: &str| {
            flags
                .iter()
                .filter(|(i, _)| listings[*i].seller.as_ref().unwrap().name == seller)
                .map(|(_, f)| f.score)
                .fold(0.0, f64::max)
        };
        assert!(flagged("bulk") >= 0.5, "{flags:?}");
        assert!(flagged("discounter") < 0.5);
        assert_eq!(flagged("big"), 0.0);
        let (_, f) = flags.iter().find(|(i, _)| *i == 0).unwrap();
        assert!(
            f.reason.contains("undercuts 20 of the 20 brands"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn a_clean_big_seller_in_a_batch_full_of_flags_is_not_suspect() {
        let mut listings = Vec::new();
        let mut verdicts = Vec::new();
        for i in 0..400 {
            listings.push(listing(i, "official", "a"));
            verdicts.push(ListingVerdict::default());
        }
        for i in 0..1000 {
            listings.push(listing(i, &format!("s{}", i / 10), "b"));
            verdicts.push(ListingVerdict {
                signals: if i % 3 == 0 {
                    vec![Signal::Brand]
                } else {
                    vec![]
                },
                ..Default::default()
            });
        }
        let flags = seller_flags(&listings, &verdicts);
        assert!(!flags.iter().any(|(i, _)| *i < 400), "{:?}", flags.first());
    }

    #[test]
    fn three_of_three_flagged_differs_from_three_of_nine_hundred() {
        let mut listings = Vec::new();
        let mut verdicts = Vec::new();
        for i in 0..3 {
            listings.push(listing(i, "small", "a"));
            verdicts.push(ListingVerdict {
                signals: vec![Signal::Cue],
                log_ratio: None,
                explained: false,
            });
        }
        for i in 0..900 {
            listings.push(listing(i, "huge", "b"));
            verdicts.push(ListingVerdict {
                signals: if i < 3 { vec![Signal::Cue] } else { vec![] },
                log_ratio: None,
                explained: false,
            });
        }
        // Background: many sellers with a few flags, so the batch's flag rate is ~2 %.
        for i in 0..2000 {
            listings.push(listing(i, &format!("s{}", i / 4), "c"));
            verdicts.push(ListingVerdict {
                signals: if i % 50 == 0 {
                    vec![Signal::Mark]
                } else {
                    vec![]
                },
                log_ratio: None,
                explained: false,
            });
        }
        let flags = seller_flags(&listings, &verdicts);
        assert!(
            flags.iter().any(|(i, f)| *i < 3 && f.score > 0.5),
            "{flags:?}"
        );
        assert!(!flags.iter().any(|(i, _)| (3..903).contains(i)));
    }

    #[test]
    fn sellers_sharing_a_phone_are_one_network() {
        let mut a = listing(0, "alpha", "x");
        a.description = Some("call tel: 138-0013-8000".into());
        let mut b = listing(1, "beta", "y");
        b.description = Some("微信 13800138000".into());
        let mut ids = Vec::new();
        contacts(a.description.as_deref().unwrap(), &mut ids);
        contacts(b.description.as_deref().unwrap(), &mut ids);
        assert_eq!(ids, vec!["phone:13800138000", "phone:13800138000"]);
    }
}
