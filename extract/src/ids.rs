//! Product identifiers with a check digit: GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN, and
//! ISBN-13), GTIN-14. A page's `gtin` is kept only when its check digit holds: a wrong one is
//! a typo, a placeholder (`0000000000000`) or another number altogether, and a counterfeit
//! check must not match products on it.

/// The GTIN in `text` as digits only (spaces and hyphens dropped), if it is one: 8, 12, 13
/// or 14 digits, not all zero, with a valid GS1 mod-10 check digit. The error says why not.
pub fn gtin(text: &str) -> Result<String, String> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{text:?} is not all digits"));
    }
    if ![8, 12, 13, 14].contains(&digits.len()) {
        return Err(format!(
            "{text:?} has {} digits; a GTIN has 8, 12, 13 or 14",
            digits.len()
        ));
    }
    if digits.bytes().all(|b| b == b'0') {
        return Err(format!("{text:?} is a placeholder"));
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = d.split_at(d.len() - 1);
    // GS1: from the right of the body, weights 3, 1, 3, 1, …
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, x)| if i % 2 == 0 { x * 3 } else { *x })
        .sum();
    let want = (10 - sum % 10) % 10;
    if want != check[0] {
        return Err(format!(
            "{text:?} fails its check digit (ends in {}, should end in {want})",
            check[0]
        ));
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::gtin;

    #[test]
    fn real_gtins_pass_and_typos_fail() {
        assert_eq!(gtin("4006381333931").as_deref(), Ok("4006381333931")); // EAN-13
        assert_eq!(gtin("0 36000 29145 2").as_deref(), Ok("036000291452")); // UPC-A
        assert_eq!(gtin("96385074").as_deref(), Ok("96385074")); // EAN-8
        assert_eq!(gtin("978-0-306-40615-7").as_deref(), Ok("9780306406157")); // ISBN-13
        assert_eq!(gtin("10012345678902").as_deref(), Ok("10012345678902")); // GTIN-14
        let typo = gtin("4006381333932").unwrap_err();
        assert!(typo.contains("should end in 1"), "{typo}");
        assert!(gtin("0000000000000").is_err());
        assert!(gtin("12345").is_err());
        assert!(gtin("ABC1234567890").is_err());
    }

    /// A layer's GTIN with a wrong check digit is set aside (and recorded with its source),
    /// so a later layer's valid one is taken.
    #[test]
    fn a_bad_gtin_in_one_layer_gives_way_to_a_good_one_in_the_next() {
        let html = r#"<html><head><script type="application/ld+json">
          {"@type":"Product","name":"Philips HD9252 Airfryer","gtin13":"8710103000001",
           "offers":{"@type":"Offer","price":"399.00","priceCurrency":"CNY"}}</script></head>
          <body><div itemscope itemtype="https://schema.org/Product">
          <meta itemprop="gtin13" content="8710103000006"></div></body></html>"#;
        let url = url::Url::parse("https://shop.example/item/1.html").unwrap();
        let page = crate::decode_html(html.as_bytes(), None);
        let l = crate::extract_listing(&page, &url, None).unwrap();
        assert_eq!(l.gtin.as_deref(), Some("8710103000006"));
        assert_eq!(l.extra["field_sources"]["gtin"], "microdata");
        let rejected = &l.extra["rejected_gtins"][0];
        assert_eq!(rejected["source"], "json-ld");
        assert!(rejected["why"].as_str().unwrap().contains("check digit"));
    }
}
