//! The detector measured on real text written by others: the public real bench of
//! `shared/corpus/detector/` (real offers of real shops with injected fakes and labelled hard
//! negatives) and the real Chinese shop titles of `shared/corpus/zh-titles/` (genuine, so
//! every alarm there is a false alarm). The metrics are the center's (`real_eval.py`): AP with
//! equal risks as one block, P@100 with ties broken by expectation, recall at risk ≥ 0.5 per
//! injected kind, brand-variant family, mark fault and cue placement, FPR per hard-negative
//! tag; on the titles, the share at or above the alert level, per signal, with the worst.
//!
//! Not here: the floors (the binary's `detect --evaluate --real` holds them) and the simulated
//! marketplace (`qsword detect --evaluate`). The corpus is read from where it lies and never
//! copied: its licences and the held-back halves forbid that.

use crate::{Assessment, Detector, Signal};
use qsword_listing::{read_jsonl, Listing};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Risk at which a bench listing counts as flagged (the center's level for the offers).
pub const FLAGGED: f64 = 0.5;

/// Why the corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RealError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Bad {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// One label of the real bench (`labels.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub url: String,
    pub fake: bool,
    /// Fake: its injected signals; genuine: its hard-negative tags.
    pub kind: Vec<String>,
    pub group: i64,
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// The public real bench: listings and their labels, in file order.
#[derive(Debug, Clone)]
pub struct RealBench {
    pub listings: Vec<Listing>,
    pub labels: Vec<Label>,
}

/// The real Chinese titles, each as a title-only listing (as the center feeds them).
#[derive(Debug, Clone)]
pub struct Titles {
    pub ids: Vec<String>,
    pub listings: Vec<Listing>,
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>, RealError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(|source| RealError::Io {
            path: path.to_owned(),
            source,
        })
}

impl RealBench {
    /// Reads `CORPUS/detector/real_offers.jsonl` and `labels.jsonl`, joined by URL.
    pub fn load(corpus: &Path) -> Result<RealBench, RealError> {
        let offers = corpus.join("detector/real_offers.jsonl");
        let labels_path = corpus.join("detector/labels.jsonl");
        let report = read_jsonl(open(&offers)?, true).map_err(|source| RealError::Io {
            path: offers.clone(),
            source,
        })?;
        let listings: Vec<Listing> = report.listings.into_iter().map(|(_, l)| l).collect();
        let text = std::fs::read_to_string(&labels_path).map_err(|source| RealError::Io {
            path: labels_path.clone(),
            source,
        })?;
        let mut by_url = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let label: Label = serde_json::from_str(line).map_err(|e| RealError::Bad {
                path: labels_path.clone(),
                line: n + 1,
                message: e.to_string(),
            })?;
            by_url.insert(label.url.clone(), label);
        }
        let labels = listings
            .iter()
            .enumerate()
            .map(|(i, l)| {
                by_url.remove(&l.url).ok_or_else(|| RealError::Bad {
                    path: labels_path.clone(),
                    line: 0,
                    message: format!("no label for listing {} ({})", i + 1, l.url),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(RealBench { listings, labels })
    }

    /// The listings of one platform only, with their labels (for leave-one-site-out).
    pub fn only_platform(&self, platform: &str) -> RealBench {
        let keep: Vec<usize> = (0..self.listings.len())
            .filter(|&i| self.listings[i].platform.as_deref() == Some(platform))
            .collect();
        RealBench {
            listings: keep.iter().map(|&i| self.listings[i].clone()).collect(),
            labels: keep.iter().map(|&i| self.labels[i].clone()).collect(),
        }
    }

    pub fn platforms(&self) -> Vec<String> {
        let mut p: Vec<String> = self
            .listings
            .iter()
            .filter_map(|l| l.platform.clone())
            .collect();
        p.sort();
        p.dedup();
        p
    }
}

impl Titles {
    /// Reads `CORPUS/zh-titles/titles_public.jsonl` into title-only listings.
    pub fn load(corpus: &Path) -> Result<Titles, RealError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            title: String,
        }
        let path = corpus.join("zh-titles/titles_public.jsonl");
        let text = std::fs::read_to_string(&path).map_err(|source| RealError::Io {
            path: path.clone(),
            source,
        })?;
        let mut ids = Vec::new();
        let mut listings = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let row: Row = serde_json::from_str(line).map_err(|e| RealError::Bad {
                path: path.clone(),
                line: n + 1,
                message: e.to_string(),
            })?;
            let mut l = Listing::new(
                format!("https://taobao.example/item/{}", n + 1),
                row.title.as_str(),
            );
            l.platform = Some("taobao.example".into());
            l.fetched_at = "2026-11-20T00:00:00Z".parse().ok();
            ids.push(row.id);
            listings.push(l);
        }
        Ok(Titles { ids, listings })
    }
}

/// A share with its counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rate {
    pub hits: usize,
    pub of: usize,
}

impl Rate {
    pub fn value(&self) -> f64 {
        if self.of == 0 {
            0.0
        } else {
            self.hits as f64 / self.of as f64
        }
    }
    fn add(&mut self, hit: bool) {
        self.of += 1;
        self.hits += usize::from(hit);
    }
}

/// The figures on the real bench.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub listings: usize,
    pub fakes: usize,
    pub ap: f64,
    pub p_at_100: f64,
    pub recall: Rate,
    pub precision: Rate,
    pub fpr: Rate,
    /// Recall at risk ≥ 0.5 per injected kind (`price`, `brand`, `mark`, `cue`, `hard`).
    pub by_kind: BTreeMap<String, Rate>,
    pub by_brand_family: BTreeMap<String, Rate>,
    pub by_mark_fault: BTreeMap<String, Rate>,
    pub by_cue_place: BTreeMap<String, Rate>,
    /// False-positive rate per hard-negative tag of the genuine listings.
    pub by_negative: BTreeMap<String, Rate>,
    /// Listings carrying a flag of each signal.
    pub flags_by_signal: BTreeMap<String, usize>,
    /// Grouping pair precision and recall against the bench's product groups, when measured.
    pub grouping: Option<(Rate, Rate)>,
}

/// The AP and P@100 as the center computes them: equal risks form one block.
pub fn block_ap_p100(scored: &[(f64, bool)]) -> (f64, f64) {
    let npos = scored.iter().filter(|s| s.1).count();
    if npos == 0 {
        return (0.0, 0.0);
    }
    let mut blocks: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for &(r, y) in scored {
        let b = blocks.entry(r.clamp(0.0, 1.0).to_bits()).or_default();
        b.0 += 1;
        b.1 += usize::from(y);
    }
    let (mut tp, mut seen, mut ap, mut top) = (0usize, 0usize, 0.0, 0.0);
    // Non-negative f64s order as their bits do.
    for (_, &(n, pos)) in blocks.iter().rev() {
        if seen < 100 {
            top += (n.min(100 - seen)) as f64 * pos as f64 / n as f64;
        }
        tp += pos;
        seen += n;
        ap += (pos as f64 / npos as f64) * (tp as f64 / seen as f64);
    }
    (ap, top / 100.0)
}

/// Scores the bench with `detector` and computes the center's figures.
pub fn evaluate(detector: &Detector, bench: &RealBench) -> (BenchReport, Vec<Assessment>) {
    let assessments = detector.detect(&bench.listings);
    let mut r = report(bench, &assessments);
    r.grouping = Some(product_grouping(detector, bench));
    (r, assessments)
}

/// Pair precision and recall of the detector's products ([`Detector::products`]) against the
/// bench's product groups.
pub fn product_grouping(detector: &Detector, bench: &RealBench) -> (Rate, Rate) {
    let mut group_of = vec![None; bench.listings.len()];
    for (g, p) in detector.products(&bench.listings).iter().enumerate() {
        for &i in &p.members {
            group_of[i] = Some(g);
        }
    }
    grouping_pairs(bench, &group_of)
}

/// The figures of given assessments (one per bench listing, same order).
pub fn report(bench: &RealBench, assessments: &[Assessment]) -> BenchReport {
    let risk: Vec<f64> = assessments.iter().map(|a| a.risk).collect();
    let scored: Vec<(f64, bool)> = risk
        .iter()
        .zip(&bench.labels)
        .map(|(&r, l)| (r, l.fake))
        .collect();
    let (ap, p_at_100) = block_ap_p100(&scored);
    let mut r = BenchReport {
        listings: bench.listings.len(),
        fakes: bench.labels.iter().filter(|l| l.fake).count(),
        ap,
        p_at_100,
        ..Default::default()
    };
    for ((label, &risk), a) in bench.labels.iter().zip(&risk).zip(assessments) {
        let flagged = risk >= FLAGGED;
        let mut signals: Vec<&str> = a.flags.iter().map(|f| f.signal.as_str()).collect();
        signals.sort();
        signals.dedup();
        for s in signals {
            *r.flags_by_signal.entry(s.to_string()).or_default() += 1;
        }
        if flagged {
            r.precision.add(label.fake);
        }
        if label.fake {
            r.recall.add(flagged);
            for k in &label.kind {
                r.by_kind.entry(k.clone()).or_default().add(flagged);
            }
            let d = &label.detail;
            if let Some(f) = d.get("brand_family").and_then(|v| v.as_str()) {
                r.by_brand_family
                    .entry(f.to_string())
                    .or_default()
                    .add(flagged);
            }
            if let Some(f) = d.get("mark").and_then(|v| v.as_str()) {
                r.by_mark_fault
                    .entry(f.to_string())
                    .or_default()
                    .add(flagged);
            }
            if let Some(f) = d.get("cue_in").and_then(|v| v.as_str()) {
                r.by_cue_place
                    .entry(f.to_string())
                    .or_default()
                    .add(flagged);
            }
        } else {
            r.fpr.add(flagged);
            if label.kind.is_empty() {
                r.by_negative
                    .entry("(no tag)".into())
                    .or_default()
                    .add(flagged);
            }
            for k in &label.kind {
                r.by_negative.entry(k.clone()).or_default().add(flagged);
            }
        }
    }
    r
}

/// Pair precision and recall of a grouping (`group_of[i]`: listing `i`'s group, `None` for
/// none) against the bench's product groups, counted over pairs of listings.
pub fn grouping_pairs(bench: &RealBench, group_of: &[Option<usize>]) -> (Rate, Rate) {
    let mut ours: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, g) in group_of.iter().enumerate() {
        if let Some(g) = g {
            ours.entry(*g).or_default().push(i);
        }
    }
    let mut truth: HashMap<i64, usize> = HashMap::new();
    for l in &bench.labels {
        *truth.entry(l.group).or_default() += 1;
    }
    let true_pairs: usize = truth.values().map(|&n| n * (n - 1) / 2).sum();
    let (mut our_pairs, mut both) = (0usize, 0usize);
    for members in ours.values() {
        let n = members.len();
        our_pairs += n * (n - 1) / 2;
        let mut by_truth: HashMap<i64, usize> = HashMap::new();
        for &i in members {
            *by_truth.entry(bench.labels[i].group).or_default() += 1;
        }
        both += by_truth.values().map(|&k| k * (k - 1) / 2).sum::<usize>();
    }
    (
        Rate {
            hits: both,
            of: our_pairs,
        },
        Rate {
            hits: both,
            of: true_pairs,
        },
    )
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} listings, {} fakes: AP {:.3}  P@100 {:.3}  recall@{FLAGGED} {:.3}  precision {:.3}  FPR {:.3}",
            self.listings,
            self.fakes,
            self.ap,
            self.p_at_100,
            self.recall.value(),
            self.precision.value(),
            self.fpr.value()
        )?;
        let table = |f: &mut std::fmt::Formatter<'_>, title: &str, m: &BTreeMap<String, Rate>| {
            writeln!(f, "  {title}")?;
            for (k, r) in m {
                writeln!(f, "    {k:<22} {:>5}  {:.3}", r.of, r.value())?;
            }
            Ok(())
        };
        table(f, "recall per injected kind", &self.by_kind)?;
        table(f, "recall per brand-variant family", &self.by_brand_family)?;
        table(f, "recall per mark fault", &self.by_mark_fault)?;
        table(f, "recall per cue placement", &self.by_cue_place)?;
        table(f, "FPR per hard-negative tag", &self.by_negative)?;
        if let Some((p, r)) = &self.grouping {
            writeln!(
                f,
                "  grouping pairs: precision {:.3} ({}/{}), recall {:.3} ({}/{})",
                p.value(),
                p.hits,
                p.of,
                r.value(),
                r.hits,
                r.of
            )?;
        }
        let signals: Vec<String> = self
            .flags_by_signal
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        writeln!(f, "  listings flagged per signal: {}", signals.join(", "))
    }
}

/// False alarms on the real titles.
#[derive(Debug, Clone, Default)]
pub struct TitlesReport {
    pub titles: usize,
    pub alert_level: f64,
    /// Titles at or above the alert level.
    pub alarms: Rate,
    /// Titles at or above the alert level carrying a flag of each signal.
    pub by_signal: BTreeMap<String, usize>,
    /// The worst: (id, risk, title, reasons), highest risk first.
    pub worst: Vec<(String, f64, String, Vec<String>)>,
}

/// Scores the titles and reports the alarms at `alert_level`, with the `worst` highest.
pub fn evaluate_titles(
    detector: &Detector,
    titles: &Titles,
    alert_level: f64,
    worst: usize,
) -> TitlesReport {
    let assessments = detector.detect(&titles.listings);
    let mut r = TitlesReport {
        titles: titles.listings.len(),
        alert_level,
        ..Default::default()
    };
    let mut order: Vec<usize> = (0..assessments.len()).collect();
    order.sort_by(|&a, &b| assessments[b].risk.total_cmp(&assessments[a].risk));
    for a in &assessments {
        let alarm = a.risk >= alert_level;
        r.alarms.add(alarm);
        if alarm {
            let mut signals: Vec<Signal> = a.flags.iter().map(|f| f.signal).collect();
            signals.sort_by_key(|s| s.as_str());
            signals.dedup();
            for s in signals {
                *r.by_signal.entry(s.as_str().to_string()).or_default() += 1;
            }
        }
    }
    for &i in order.iter().take(worst) {
        let a = &assessments[i];
        if a.risk <= 0.0 {
            break;
        }
        r.worst.push((
            titles.ids[i].clone(),
            a.risk,
            titles.listings[i].title.clone(),
            a.flags
                .iter()
                .map(|f| format!("{} {}: {}", f.signal, f.score, f.reason))
                .collect(),
        ));
    }
    r
}

impl std::fmt::Display for TitlesReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signals: Vec<String> = self
            .by_signal
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        writeln!(
            f,
            "{} real titles: {:.2} % ({}) at risk >= {}; by signal: {}",
            self.titles,
            100.0 * self.alarms.value(),
            self.alarms.hits,
            self.alert_level,
            if signals.is_empty() {
                "none".into()
            } else {
                signals.join(", ")
            }
        )?;
        let mut out = String::new();
        for (id, risk, title, reasons) in &self.worst {
            let _ = writeln!(out, "    {risk:.3} {id} {title}");
            for r in reasons {
                let _ = writeln!(out, "          {r}");
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ap_counts_ties_as_one_block() {
        // Perfect ranking: AP 1.
        let (ap, _) = block_ap_p100(&[(0.9, true), (0.1, false)]);
        assert!((ap - 1.0).abs() < 1e-12);
        // Everything tied: AP = precision of the whole = share of fakes.
        let (ap, p) = block_ap_p100(&[(0.5, true), (0.5, false), (0.5, false), (0.5, false)]);
        assert!((ap - 0.25).abs() < 1e-12);
        assert!((p - 0.01).abs() < 1e-12, "1 expected fake in a top of 100");
    }
}
