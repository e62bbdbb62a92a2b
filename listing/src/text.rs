//! Text folding and script tests shared by extraction, the index and the detector, so that
//! "the same name" means the same thing everywhere.

/// Case- and width-folding for matching names: full-width ASCII (ＰＨＩＬＩＰＳ, １:１) becomes
/// half-width, the ideographic space a space, and letters lower case. Chinese is unchanged.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Full-width ASCII to half-width and the ideographic space to a space; other characters as
/// they are. Prices and model numbers printed in full width (￥１２９) read like ASCII after it.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A Han ideograph (CJK Unified Ideographs, Extension A, compatibility ideographs, and the
/// supplementary planes' extensions): the characters brand names in Chinese are written in.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Any character of a script written without spaces between words: Han, kana, Hangul. Text
/// in these scripts needs segmentation or n-grams to be searchable.
pub fn is_cjk(c: char) -> bool {
    is_han(c) || matches!(c, '\u{3040}'..='\u{30FF}' | '\u{AC00}'..='\u{D7AF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_scripts() {
        assert_eq!(
            fold("ＰＨＩＬＩＰＳ\u{3000}飞利浦 HD9252"),
            "philips 飞利浦 hd9252"
        );
        assert_eq!(fold_width('１'), '1');
        assert!(is_han('牛') && is_han('\u{20000}') && !is_han('カ'));
        assert!(is_cjk('カ') && is_cjk('한') && !is_cjk('a'));
    }
}
