//! Tokenizers for Chinese-and-English listing text.
//!
//! tantivy's default tokenizer treats a run of Chinese characters as one long token, so a
//! title like `公牛插座五孔` could only be found by typing it whole. Two analyzers fix that:
//!
//! * [`ZH_EN`] — jieba word segmentation in search mode (a long word also yields its
//!   sub-words: `中华人民共和国` → `中华`, `人民`, `共和国`, …), lower-cased, with punctuation and
//!   whitespace dropped. English words and model numbers stay whole (`Mate60` → `mate60`).
//! * [`CJK_NGRAM`] — every CJK character and every pair of adjacent CJK characters (other
//!   words kept whole). It finds any substring of a Chinese run, whatever jieba made of it;
//!   the index gives it a low boost.
//!
//! Token positions are **character indexes** into the text, not token counters. jieba search
//! mode emits overlapping tokens, and segmentation depends on the surrounding text; with
//! positions tied to the text itself, a phrase typed by a user lines up with the same
//! characters in a title however each side was segmented. Offsets are byte offsets, as
//! tantivy's snippet highlighter expects.

use jieba_rs::Jieba;
use std::sync::OnceLock;
use tantivy::tokenizer::{
    LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
    TokenizerManager,
};

/// Name of the jieba + lower-case analyzer (title, description, brand, model).
pub const ZH_EN: &str = "zh_en";
/// Name of the CJK 1–2 character n-gram analyzer (the title fallback field).
pub const CJK_NGRAM: &str = "cjk_ngram";
/// Name of the whole-value, lower-cased analyzer used for exact filters (brand, seller, …).
pub const RAW_LOWER: &str = "raw_lower";

/// Tokens longer than this (in bytes) are dropped: they are never typed by a user and a long
/// run of letters (a base64 blob in a description) would only bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 100;

/// The jieba dictionary is embedded in the binary (jieba-rs `default-dict` feature); loading it
/// takes a noticeable fraction of a second, so every tokenizer shares one instance.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Registers [`ZH_EN`], [`CJK_NGRAM`] and [`RAW_LOWER`] with an index's tokenizer manager.
///
/// Must be called on every [`tantivy::Index`] opened with the listing schema before it is
/// written or searched; [`crate::ListingIndex`] does it for you.
pub fn register_tokenizers(manager: &TokenizerManager) {
    manager.register(ZH_EN, zh_en_analyzer());
    manager.register(CJK_NGRAM, TextAnalyzer::from(CjkNgramTokenizer::default()));
    manager.register(
        RAW_LOWER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// The [`ZH_EN`] analyzer: [`JiebaTokenizer`] + lower-casing + long-token removal.
pub fn zh_en_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// jieba segmentation in search mode (HMM on for unknown words), without punctuation or
/// whitespace tokens. Case is left alone; [`zh_en_analyzer`] lower-cases.
#[derive(Clone, Copy, Debug, Default)]
pub struct JiebaTokenizer;

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        // Full-width letters and digits (ＰＨＩＬＩＰＳ, Ｍａｔｅ６０) are a counterfeiter's way past
        // a name search, and jieba cuts them one by one: segment the half-width text instead.
        // Folding is char for char, so char indexes agree; offsets are mapped back.
        let folded: Option<(String, Vec<usize>)> =
            text.chars().any(|c| fold_width(c) != c).then(|| {
                let starts = text.char_indices().map(|(i, _)| i).chain([text.len()]);
                (text.chars().map(fold_width).collect(), starts.collect())
            });
        let segmented = folded.as_ref().map_or(text, |(f, _)| f.as_str());
        let base = segmented.as_ptr() as usize;
        let mut chars = CharIndexer::new(segmented);
        let tokens = jieba()
            .cut_for_search(segmented, true)
            .into_iter()
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .filter_map(|word| {
                // jieba returns sub-slices of its input; their address gives the byte offset.
                let from = (word.as_ptr() as usize).checked_sub(base)?;
                let to = from + word.len();
                segmented.get(from..to)?;
                let position = chars.char_index(from);
                let (offset_from, offset_to) = match &folded {
                    None => (from, to),
                    Some((_, starts)) => {
                        let end = position + word.chars().count();
                        (starts[position], starts[end])
                    }
                };
                Some(Token {
                    offset_from,
                    offset_to,
                    position,
                    text: word.to_string(),
                    position_length: 1,
                })
            })
            .collect();
        VecTokenStream::new(tokens)
    }
}

/// The tokenizers a query is analysed with: those of [`register_tokenizers`], except that
/// [`CJK_NGRAM`] yields only the pairs of a run of two or more CJK characters (see
/// [`CjkNgramTokenizer::for_queries`]).
pub fn query_tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    register_tokenizers(&manager);
    manager.register(
        CJK_NGRAM,
        TextAnalyzer::from(CjkNgramTokenizer::for_queries()),
    );
    manager
}

/// Every CJK character and every pair of adjacent CJK characters. Runs of other letters and
/// digits are kept whole and lower-cased, so that `第18晚` does not match `第19晚` (the digits
/// must match too), and punctuation and spaces are skipped.
#[derive(Clone, Copy, Debug, Default)]
pub struct CjkNgramTokenizer {
    pairs_only: bool,
}

impl CjkNgramTokenizer {
    /// The query side: a run of CJK characters as its pairs alone (a lone character as
    /// itself). The pairs at consecutive positions already pin every character down, so the
    /// single characters would only make the phrase longer to check: `插座` becomes one term
    /// instead of a three-term phrase.
    pub fn for_queries() -> Self {
        CjkNgramTokenizer { pairs_only: true }
    }
}

impl Tokenizer for CjkNgramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(offset, _)| offset);
        let mut tokens = Vec::new();
        let mut position = 0;
        while position < chars.len() {
            let (from, c) = chars[position];
            if is_cjk(c) {
                let cjk_at = |i: usize| chars.get(i).is_some_and(|&(_, c)| is_cjk(c));
                let pair = cjk_at(position + 1);
                let lone = !pair && (position == 0 || !cjk_at(position - 1));
                if !self.pairs_only || lone {
                    tokens.push(token(text, from, end_of(position + 1), position));
                }
                if pair {
                    tokens.push(token(text, from, end_of(position + 2), position));
                }
                position += 1;
            } else if c.is_alphanumeric() {
                let start = position;
                while chars
                    .get(position)
                    .is_some_and(|&(_, c)| c.is_alphanumeric() && !is_cjk(c))
                {
                    position += 1;
                }
                let to = end_of(position);
                if to - from <= MAX_TOKEN_BYTES {
                    let mut word = token(text, from, to, start);
                    word.text = qsword_listing::text::fold(&word.text);
                    tokens.push(word);
                }
            } else {
                position += 1;
            }
        }
        VecTokenStream::new(tokens)
    }
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text: text[from..to].to_string(),
        position_length: 1,
    }
}

use qsword_listing::text::fold_width;
pub use qsword_listing::text::is_cjk;

/// Converts byte offsets to character indexes for offsets that arrive mostly in increasing
/// order (jieba's search mode steps back only within one word), in linear time overall.
struct CharIndexer<'a> {
    text: &'a str,
    byte: usize,
    char_index: usize,
}

impl<'a> CharIndexer<'a> {
    fn new(text: &'a str) -> Self {
        CharIndexer {
            text,
            byte: 0,
            char_index: 0,
        }
    }

    fn char_index(&mut self, byte: usize) -> usize {
        if byte >= self.byte {
            self.char_index += self.text[self.byte..byte].chars().count();
        } else {
            self.char_index -= self.text[byte..self.byte].chars().count();
        }
        self.byte = byte;
        self.char_index
    }
}

/// A token stream over tokens computed up front (segmentation needs the whole text anyway).
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        analyzer
            .token_stream(text)
            .process(&mut |t| out.push(t.clone()));
        out
    }

    fn texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        tokens(analyzer, text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn model_numbers_and_english_words_come_out_whole_and_lower_cased() {
        let words = texts(
            &mut zh_en_analyzer(),
            "华为 Mate60 Pro, 飞利浦 HD9252 Air Fryer!",
        );
        for expected in ["华为", "mate60", "pro", "飞利浦", "hd9252", "air", "fryer"] {
            assert!(
                words.contains(&expected.to_string()),
                "{expected} missing from {words:?}"
            );
        }
        assert!(
            words.iter().all(|w| w.chars().any(char::is_alphanumeric)),
            "punctuation or whitespace token in {words:?}"
        );
    }

    #[test]
    fn model_number_glued_to_chinese_is_cut_out() {
        let words = texts(&mut zh_en_analyzer(), "飞利浦HD9252空气炸锅");
        for expected in ["飞利浦", "hd9252", "空气", "炸锅"] {
            assert!(
                words.contains(&expected.to_string()),
                "{expected} missing from {words:?}"
            );
        }
    }

    #[test]
    fn chinese_run_is_segmented_into_words() {
        let words = texts(&mut zh_en_analyzer(), "公牛插座五孔");
        assert!(words.contains(&"插座".to_string()), "{words:?}");
        assert!(words.contains(&"公牛".to_string()), "{words:?}");
    }

    #[test]
    fn offsets_are_byte_offsets_of_the_token_and_positions_are_char_indexes() {
        let text = "【正品】华为 Mate60 Pro 手机";
        for token in tokens(&mut zh_en_analyzer(), text) {
            let slice = &text[token.offset_from..token.offset_to];
            assert_eq!(slice.to_lowercase(), token.text);
            assert_eq!(token.position, text[..token.offset_from].chars().count());
        }
    }

    #[test]
    fn full_width_words_are_the_half_width_words_with_offsets_into_the_original() {
        let text = "【正品】ＰＨＩＬＩＰＳ 空气炸锅 Ｍａｔｅ６０";
        let got = tokens(&mut zh_en_analyzer(), text);
        let words: Vec<&str> = got.iter().map(|t| t.text.as_str()).collect();
        assert!(words.contains(&"philips"), "{words:?}");
        assert!(words.contains(&"mate60"), "{words:?}");
        for token in &got {
            let slice = &text[token.offset_from..token.offset_to];
            assert_eq!(qsword_listing::text::fold(slice), token.text);
            assert_eq!(token.position, text[..token.offset_from].chars().count());
        }
        let mut ngrams = TextAnalyzer::from(CjkNgramTokenizer::default());
        assert!(texts(&mut ngrams, "ＰＨＩＬＩＰＳ插座").contains(&"philips".to_string()));
    }

    #[test]
    fn ngrams_cover_every_cjk_character_and_pair_and_keep_other_words_whole() {
        let mut analyzer = TextAnalyzer::from(CjkNgramTokenizer::default());
        let got = texts(&mut analyzer, "插座A五孔, 第18晚");
        assert_eq!(
            got,
            ["插", "插座", "座", "a", "五", "五孔", "孔", "第", "18", "晚"]
        );
        // Queries: pairs alone, a lone character as itself, at the indexed positions.
        let mut query = TextAnalyzer::from(CjkNgramTokenizer::for_queries());
        let got = texts(&mut query, "空气炸锅 锅 第18晚");
        assert_eq!(got, ["空气", "气炸", "炸锅", "锅", "第", "18", "晚"]);
        let positions: Vec<usize> = tokens(&mut query, "空气炸锅")
            .iter()
            .map(|t| t.position)
            .collect();
        assert_eq!(positions, [0, 1, 2]);
        let text = "公牛插座";
        for token in tokens(&mut analyzer, text) {
            assert_eq!(&text[token.offset_from..token.offset_to], token.text);
        }
    }
}
