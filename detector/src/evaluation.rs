//! How good the risks are against known answers (ground truth or investigators' labels):
//! ranking quality (ROC-AUC, average precision, precision at k) and, at a threshold, recall
//! and false-positive rate. Pure functions over `(risk, is_fake)` pairs.
//!
//! Ties in risk are broken pessimistically (genuine listings ranked first), so a detector that
//! gives everything the same risk scores no better than chance.

/// One scored listing with its known answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub risk: f64,
    pub fake: bool,
}

/// Highest risk first; among equal risks, genuine first (the pessimistic order).
fn ranked(scored: &[Scored]) -> Vec<Scored> {
    let mut v = scored.to_vec();
    v.sort_by(|a, b| b.risk.total_cmp(&a.risk).then(a.fake.cmp(&b.fake)));
    v
}

/// Area under the ROC curve: the chance that a random fake outranks a random genuine listing
/// (ties count half). `None` without both classes.
pub fn roc_auc(scored: &[Scored]) -> Option<f64> {
    let mut v = scored.to_vec();
    v.sort_by(|a, b| a.risk.total_cmp(&b.risk));
    let (pos, neg) = counts(scored);
    if pos == 0 || neg == 0 {
        return None;
    }
    // Mann–Whitney U with mid-ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].risk == v[i].risk {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += mid_rank * v[i..j].iter().filter(|s| s.fake).count() as f64;
        i = j;
    }
    let u = rank_sum - (pos * (pos + 1)) as f64 / 2.0;
    Some(u / (pos * neg) as f64)
}

/// Average precision: the mean, over the fakes, of the precision at the rank where each is
/// found. `None` without fakes.
pub fn average_precision(scored: &[Scored]) -> Option<f64> {
    let (pos, _) = counts(scored);
    if pos == 0 {
        return None;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, s) in ranked(scored).iter().enumerate() {
        if s.fake {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    Some(sum / pos as f64)
}

/// Share of fakes among the `k` highest risks (fewer when there are fewer listings).
pub fn precision_at(scored: &[Scored], k: usize) -> f64 {
    let top: Vec<Scored> = ranked(scored).into_iter().take(k).collect();
    if top.is_empty() {
        return 0.0;
    }
    top.iter().filter(|s| s.fake).count() as f64 / top.len() as f64
}

/// `(fakes, genuine)` counts.
fn counts(scored: &[Scored]) -> (usize, usize) {
    let pos = scored.iter().filter(|s| s.fake).count();
    (pos, scored.len() - pos)
}

/// A share with its counts, printed as `0.98 (49/50)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub hits: usize,
    pub of: usize,
}

impl Share {
    pub fn of<T>(items: &[T], hit: impl Fn(&T) -> bool) -> Share {
        Share {
            hits: items.iter().filter(|t| hit(t)).count(),
            of: items.len(),
        }
    }

    /// 0 of 0 is 0: nothing to measure is not a success.
    pub fn value(&self) -> f64 {
        if self.of == 0 {
            0.0
        } else {
            self.hits as f64 / self.of as f64
        }
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} ({}/{})", self.value(), self.hits, self.of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(risk: f64, fake: bool) -> Scored {
        Scored { risk, fake }
    }

    #[test]
    fn a_perfect_ranking_scores_one_and_a_reversed_one_zero() {
        let good = [s(0.9, true), s(0.8, true), s(0.2, false), s(0.1, false)];
        assert_eq!(roc_auc(&good), Some(1.0));
        assert_eq!(average_precision(&good), Some(1.0));
        assert_eq!(precision_at(&good, 2), 1.0);
        let bad = [s(0.9, false), s(0.8, false), s(0.2, true), s(0.1, true)];
        assert_eq!(roc_auc(&bad), Some(0.0));
        // Fakes found at ranks 3 and 4: (1/3 + 2/4) / 2.
        assert!((average_precision(&bad).unwrap() - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn ties_are_not_rewarded() {
        let flat = [s(0.5, true), s(0.5, false), s(0.5, false), s(0.5, true)];
        assert_eq!(roc_auc(&flat), Some(0.5));
        assert_eq!(precision_at(&flat, 2), 0.0, "genuine first among ties");
        assert_eq!(roc_auc(&[s(0.5, true)]), None, "one class only");
        assert_eq!(Share { hits: 0, of: 0 }.value(), 0.0);
    }
}
