//! The cue signal: words that sellers of fakes use to reach buyers who want fakes (高仿, 原单,
//! 1:1, A货, replica, …), from `seeds/cues.toml`. A negated cue ("拒绝高仿", "not a replica")
//! is a genuine seller's boast and is ignored.

use crate::assessment::{Flag, Signal};
use qsword_listing::catalogue::{find_word, fold, Catalogue};
use qsword_listing::Listing;
use serde_json::json;

/// Words that, just before a cue, negate it.
const NEGATIONS: &[&str] = &[
    "非", "不是", "拒绝", "杜绝", "谢绝", "严禁", "绝非", "no", "not", "non", "never", "anti",
];

/// How many characters before a cue a negation still applies ("拒绝 一切高仿").
const NEGATION_REACH: usize = 4;

/// A description-only cue counts less than one in the title: descriptions quote policies.
const DESCRIPTION_FACTOR: f64 = 0.8;

/// The cue flag of a listing, if its title or description uses a cue word.
pub fn cue_flag(catalogue: &Catalogue, listing: &Listing) -> Option<Flag> {
    let title = fold(&listing.title);
    let description = listing.description.as_deref().map(fold).unwrap_or_default();
    let mut found: Vec<(&str, &'static str, f64)> = Vec::new();
    for cue in &catalogue.cues {
        let word = fold(&cue.word);
        if used(&title, &word) {
            found.push((&cue.word, "title", cue.weight));
        } else if used(&description, &word) {
            found.push((&cue.word, "description", cue.weight * DESCRIPTION_FACTOR));
        }
    }
    let score = found.iter().map(|f| f.2).fold(0.0, f64::max);
    if found.is_empty() {
        return None;
    }
    let quoted: Vec<String> = found
        .iter()
        .map(|(w, place, _)| format!("\"{w}\" in the {place}"))
        .collect();
    let reason = format!("uses words sellers of fakes use: {}", quoted.join(", "));
    let evidence = json!({
        "cues": found.iter().map(|(w, place, _)| json!({"word": w, "where": place})).collect::<Vec<_>>(),
    });
    Some(Flag::new(Signal::Cue, score, reason, evidence))
}

/// Whether `word` occurs in `text` at least once without a negation just before it.
fn used(text: &str, word: &str) -> bool {
    find_word(text, word).any(|at| {
        let before: Vec<char> = text[..at].chars().collect();
        let window: String = before[before.len().saturating_sub(NEGATION_REACH + 3)..]
            .iter()
            .collect();
        !NEGATIONS.iter().any(|n| {
            find_word(&window, n).any(|p| window[p + n.len()..].chars().count() <= NEGATION_REACH)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(title: &str, description: Option<&str>) -> Option<Flag> {
        let mut l = Listing::new("u", title);
        l.description = description.map(str::to_string);
        cue_flag(&Catalogue::embedded(), &l)
    }

    #[test]
    fn cue_words_are_flagged_in_title_and_description() {
        let f = flag("高仿 乐高 积木 1：1 复刻", None).unwrap();
        assert_eq!(f.signal, Signal::Cue);
        assert_eq!(f.score, 0.9, "the strongest cue sets the score");
        assert!(f.reason.contains("\"高仿\" in the title"), "{}", f.reason);
        assert!(
            f.reason.contains("\"1:1\" in the title"),
            "full-width colon folds: {}",
            f.reason
        );
        let f = flag("Sneakers", Some("Top REPLICA quality")).unwrap();
        assert!(
            f.score < 0.85 && f.score > 0.5,
            "description cues count less: {}",
            f.score
        );
    }

    #[test]
    fn negated_cues_and_innocent_words_are_not_flagged() {
        assert!(flag("正品保证 拒绝高仿 乐高积木", None).is_none());
        assert!(flag("Genuine, not a replica", None).is_none());
        assert!(
            flag("Fakery-free kettle", None).is_none(),
            "cues match whole words only"
        );
        assert!(flag("飞利浦 空气炸锅", Some("官方正品")).is_none());
    }
}
