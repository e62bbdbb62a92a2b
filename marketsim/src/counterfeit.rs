//! How counterfeiters disguise a listing: look-alike brand names, missing or malformed
//! certificate numbers, cue words. Also the genuine certificate numbers they imitate.

use crate::catalogue::Brand;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Words that give a fake away to buyers (and to the detector), some written to slip past
/// plain word filters (spaced, a digit for a letter, split by a space).
pub const CUE_WORDS: &[&str] = &[
    "高仿",
    "原单",
    "1:1",
    "replica",
    "A货",
    "高 仿",
    "一比一",
    "r e p l i c a",
    "rep1ica",
    "super copy",
];

/// A look-alike of `brand`, either hand-picked (near-form characters 公牛→公午, near-homophones,
/// typos) or derived from the names by the families real counterfeiters use: full-width
/// letters, `O`→`0`, `m`→`rn`, `I`→`l`, a Cyrillic letter for a Latin one, an invisible
/// character inside the name, a hyphen, two neighbours swapped, a letter doubled, a digit for
/// a letter. The derived families are there so that the simulator does not reward a detector
/// for knowing its hand-picked pairs.
pub fn lookalike_brand(brand: &Brand, rng: &mut ChaCha8Rng) -> String {
    let mut options: Vec<String> = brand.zh_lookalikes.iter().map(|s| s.to_string()).collect();
    options.extend(brand.en_lookalikes.iter().map(|s| s.to_string()));
    options.push(full_width(brand.en));
    options.extend(derived_lookalikes(brand.en));
    options.push(with_invisible(brand.zh));
    for derived in [
        swap_first(brand.en, &[('O', "0"), ('o', "0")]),
        swap_first(brand.en, &[('m', "rn")]),
        swap_first(brand.en, &[('I', "l"), ('l', "I"), ('i', "l")]),
    ]
    .into_iter()
    .flatten()
    {
        options.push(derived);
    }
    options
        .choose(rng)
        .expect("every protected brand has look-alikes")
        .clone()
}

/// Look-alikes derived from a Latin name by families the hand-picked lists do not use.
fn derived_lookalikes(en: &str) -> Vec<String> {
    let chars: Vec<char> = en.chars().collect();
    let mut out: Vec<String> = [
        // Cyrillic letters that look Latin.
        swap_first(
            en,
            &[
                ('o', "о"),
                ('a', "а"),
                ('e', "е"),
                ('c', "с"),
                ('p', "р"),
                ('O', "О"),
                ('A', "А"),
                ('E', "Е"),
                ('C', "С"),
                ('S', "Ѕ"),
                ('H', "Н"),
                ('K', "К"),
                ('M', "М"),
                ('T', "Т"),
            ],
        ),
        // A digit for a letter.
        swap_first(
            en,
            &[('e', "3"), ('a', "4"), ('s', "5"), ('E', "3"), ('S', "5")],
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.push(with_invisible(en));
    if chars.len() >= 4 && chars.iter().all(|c| c.is_ascii_alphabetic()) {
        let mid = chars.len() / 2;
        // Hyphenated: So-ny.
        out.push(format!(
            "{}-{}",
            chars[..mid].iter().collect::<String>(),
            chars[mid..].iter().collect::<String>()
        ));
    }
    if chars.len() >= 5 && chars.iter().all(|c| c.is_ascii_alphabetic()) {
        // Two neighbours in the middle swapped, a letter doubled.
        let mut swapped = chars.clone();
        swapped.swap(2, 3);
        if swapped != chars {
            out.push(swapped.into_iter().collect());
        }
        let mut doubled = chars.clone();
        doubled.insert(2, chars[2]);
        out.push(doubled.into_iter().collect());
    }
    out
}

/// The name with a zero-width joiner after its first character: it reads the same and
/// dodges exact-match filters.
fn with_invisible(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}\u{200D}{}", chars.as_str()),
        None => String::new(),
    }
}

/// `BULL` → `ＢＵＬＬ`: ASCII letters and digits to their full-width forms.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            ' ' => '\u{3000}',
            c => c,
        })
        .collect()
}

/// Replaces the first character found of `pairs` (in order of preference), if any.
fn swap_first(s: &str, pairs: &[(char, &str)]) -> Option<String> {
    pairs.iter().find_map(|(from, to)| {
        s.find(*from)
            .map(|at| format!("{}{}{}", &s[..at], to, &s[at + from.len_utf8()..]))
    })
}

/// A valid-looking 16-digit CCC certificate number: issue year (≥ 2002) + `01` + the product
/// code + a 6-digit serial.
pub fn ccc_number(code: &str, rng: &mut ChaCha8Rng) -> String {
    let year = rng.gen_range(2005..=2024);
    let serial = rng.gen_range(0..1_000_000);
    format!("{year}01{code}{serial:06}")
}

/// A broken CCC number of the kinds seen on fakes: 15 digits, letter O for zero, or an
/// impossible issue year.
pub fn malformed_ccc(valid: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..3) {
        0 => valid[..15].to_string(),
        1 => {
            let at = valid[4..].find('0').map(|i| i + 4).unwrap_or(4);
            format!("{}O{}", &valid[..at], &valid[at + 1..])
        }
        _ => {
            let year = *["1998", "2031", "2099", "1987"]
                .choose(rng)
                .expect("non-empty");
            format!("{year}{}", &valid[4..])
        }
    }
}

/// Is `number` a well-formed CCC certificate number (what the fakes get wrong)?
pub fn is_valid_ccc(number: &str) -> bool {
    number.len() == 16
        && number.bytes().all(|b| b.is_ascii_digit())
        && number[..4]
            .parse::<u32>()
            .is_ok_and(|y| (2002..=2026).contains(&y))
        && &number[4..6] == "01"
}

/// 肥料登记证: `农肥(2019)准字1234号`.
pub fn fertilizer_registration(rng: &mut ChaCha8Rng) -> String {
    format!(
        "农肥({})准字{}号",
        rng.gen_range(2012..=2023),
        rng.gen_range(1000..9999)
    )
}

/// 工业产品生产许可证 for hot-rolled rebar: `XK05-001-01234`.
pub fn production_licence(rng: &mut ChaCha8Rng) -> String {
    format!("XK05-001-{:05}", rng.gen_range(0..100_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::BRANDS;
    use rand::SeedableRng;

    #[test]
    fn lookalikes_differ_from_the_brand_and_malformed_numbers_are_invalid() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for b in BRANDS.iter().filter(|b| b.protected) {
            for _ in 0..20 {
                let l = lookalike_brand(b, &mut rng);
                assert!(l != b.zh && l != b.en, "{l} imitates {} too well", b.en);
            }
            let good = ccc_number("0201", &mut rng);
            assert!(is_valid_ccc(&good), "{good}");
            for _ in 0..20 {
                let bad = malformed_ccc(&good, &mut rng);
                assert!(!is_valid_ccc(&bad), "{bad} should be malformed");
            }
        }
        assert_eq!(full_width("BULL"), "ＢＵＬＬ");
        assert_eq!(
            swap_first("Xiaomi", &[('m', "rn")]).as_deref(),
            Some("Xiaorni")
        );
    }
}
