//! The page's locale and the site file decide shared currency symbols and bare numbers.

use super::*;

fn read_at(html: &str, url: &str, rules: Option<&SiteRules>) -> Listing {
    let page = decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
    extract_listing(&page, &Url::parse(url).unwrap(), rules).expect("a listing")
}

fn price(l: &Listing) -> String {
    let p = l.price.as_ref().expect("a price");
    format!("{} {}", p.amount, p.currency)
}

const DOLLAR_PAGE: &str = r#"<html><head>{HEAD}<title>Zapatillas Runner</title></head><body>
    <h1>Zapatillas Runner</h1><span class="price">$ 24.990</span></body></html>"#;

#[test]
fn og_locale_and_content_language_resolve_the_dollar() {
    let url = "https://www.tienda.com/p/1";
    let with = |head: &str| read_at(&DOLLAR_PAGE.replace("{HEAD}", head), url, None);
    let l = with(r#"<meta property="og:locale" content="es_AR">"#);
    assert_eq!(price(&l), "24990 ARS");
    let l = with(r#"<meta http-equiv="Content-Language" content="es-CL">"#);
    assert_eq!(price(&l), "24990 CLP");
    // No locale on a generic domain: the usual dollar.
    assert_eq!(price(&with("")), "24990 USD");
    // The domain's country.
    let l = read_at(
        &DOLLAR_PAGE.replace("{HEAD}", ""),
        "https://tienda.com.mx/p/1",
        None,
    );
    assert_eq!(price(&l), "24990 MXN");
}

#[test]
fn a_site_file_states_locale_and_currency() {
    let rules: SiteRules = toml::from_str(
        r#"
        title = "h1"
        price = "em.p"
        currency = "CNY"
        "#,
    )
    .unwrap();
    rules.validate().unwrap();
    let html = r#"<html lang="en"><body><h1>Socket strip 5 outlets</h1><em class="p">129.00</em>
        </body></html>"#;
    let l = read_at(html, "https://shop.example.com/item/7", Some(&rules));
    assert_eq!(price(&l), "129.00 CNY");
    // Without the site file the bare number names no currency.
    let page = decode_html(html.as_bytes(), None);
    let url = Url::parse("https://shop.example.com/item/7").unwrap();
    assert!(extract_listing(&page, &url, None).is_none_or(|l| l.price.is_none()));

    let rules: SiteRules = toml::from_str(
        r#"
        title = "h1"
        price = "em.p"
        locale = "sv-SE"
        "#,
    )
    .unwrap();
    let html = r#"<html lang="en"><body><h1>Lamp</h1><em class="p">199 kr</em></body></html>"#;
    let l = read_at(html, "https://shop.example.com/item/8", Some(&rules));
    assert_eq!(price(&l), "199 SEK");
    // An unknown key or a malformed currency is refused when the file is read.
    assert!(toml::from_str::<SiteRules>(r#"currency = "yuan""#).is_err());
    assert!(toml::from_str::<SiteRules>(r#"currenci = "CNY""#).is_err());
}
