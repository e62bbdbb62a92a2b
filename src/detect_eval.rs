//! `qsword detect --evaluate`: the detector against the simulated marketplace's ground truth
//! (every offer's listing as a perfect extractor would read it, description included) and
//! the brand matcher against its gold lists. Each figure has the floor; the command
//! fails below any of them, so CI catches a regression.
//!
//! The default seed is measured, never tuned on (tune with `--seed 7` or any other), so the
//! default run is on data the detector was not fitted to.

use anyhow::{bail, Result};
use qsword_detector::evaluation::{average_precision, precision_at, roc_auc, Scored, Share};
use qsword_detector::{gold, Detector};
use qsword_listing::Listing;
use qsword_marketsim::{Market, MarketConfig, TruthRecord};
use std::collections::BTreeMap;

/// The floors.
const MIN_AP: f64 = 0.90;
const MIN_P_AT_100: f64 = 0.95;
const MIN_KIND_RECALL: f64 = 0.90;
const MAX_HARD_NEGATIVE_FPR: f64 = 0.02;
const MIN_GOLD_CAUGHT: f64 = 0.95;
const MAX_FALSE_MATCHES: f64 = 0.01;

#[derive(clap::Args, Debug, Clone)]
pub struct EvaluateArgs {
    /// Seed of the simulated marketplace (the default is for measuring; tune on others).
    #[arg(long, default_value_t = 20261203, requires = "evaluate")]
    pub seed: u64,
    /// Catalogue products (each offered ~15 times).
    #[arg(long, default_value_t = 400, requires = "evaluate")]
    pub products: usize,
}

pub fn run(detector: &Detector, threshold: f64, args: &EvaluateArgs) -> Result<()> {
    let market = Market::generate(&MarketConfig {
        seed: args.seed,
        products: args.products,
        ..MarketConfig::default()
    });
    let (truth, listings): (Vec<TruthRecord>, Vec<Listing>) =
        market.listings().filter(|(t, _)| !t.delisted).unzip();
    let assessments = detector.detect(&listings);
    let scored: Vec<Scored> = truth
        .iter()
        .zip(&assessments)
        .map(|(t, a)| Scored {
            risk: a.risk,
            fake: t.fake,
        })
        .collect();
    let flagged = |i: usize| assessments[i].risk >= threshold;
    let fakes = truth.iter().filter(|t| t.fake).count();
    println!(
        "simulated marketplace seed {} ({} products): {} listings, {fakes} fakes; flagged = risk >= {threshold}",
        args.seed,
        args.products,
        listings.len()
    );

    let mut failures = Vec::new();
    let mut check = |name: &str, value: f64, ok: bool, floor: &str| {
        let verdict = if ok { "ok" } else { "BELOW FLOOR" };
        println!("  {name:<34} {value:.3}   ({floor}) {verdict}");
        if !ok {
            failures.push(name.to_string());
        }
    };
    let auc = roc_auc(&scored).unwrap_or(0.0);
    let ap = average_precision(&scored).unwrap_or(0.0);
    let p100 = precision_at(&scored, 100);
    println!("  {:<34} {auc:.3}", "ROC-AUC");
    check("average precision", ap, ap >= MIN_AP, ">= 0.90");
    check("precision@100", p100, p100 >= MIN_P_AT_100, ">= 0.95");

    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in truth.iter().enumerate() {
        for k in &t.fake_kinds {
            kinds.entry(k.as_str()).or_default().push(i);
        }
    }
    for (kind, members) in &kinds {
        let recall = Share::of(members, |&i| flagged(i));
        check(
            &format!("recall {kind} {}/{}", recall.hits, recall.of),
            recall.value(),
            recall.value() >= MIN_KIND_RECALL,
            ">= 0.90",
        );
    }
    let hard: Vec<usize> = (0..truth.len())
        .filter(|&i| truth[i].hard_negative.is_some())
        .collect();
    let fp = Share::of(&hard, |&i| flagged(i));
    check(
        &format!("hard-negative FPR {}/{}", fp.hits, fp.of),
        fp.value(),
        fp.of > 0 && fp.value() <= MAX_HARD_NEGATIVE_FPR,
        "<= 0.02",
    );
    let mut by_kind: BTreeMap<&str, Share> = BTreeMap::new();
    for &i in &hard {
        let s = by_kind
            .entry(truth[i].hard_negative.as_deref().unwrap_or(""))
            .or_insert(Share { hits: 0, of: 0 });
        s.of += 1;
        s.hits += usize::from(flagged(i));
    }
    for (kind, s) in by_kind {
        println!("    false positives on {kind}: {s}");
    }
    // The first few, with why, for whoever tunes the detector.
    for &i in hard.iter().filter(|&&i| flagged(i)).take(5) {
        let reasons: Vec<&str> = assessments[i]
            .flags
            .iter()
            .map(|f| f.reason.as_str())
            .collect();
        println!(
            "      {} risk {}: {}",
            truth[i].hard_negative.as_deref().unwrap_or(""),
            assessments[i].risk,
            reasons.join("; ")
        );
    }
    let genuine: Vec<usize> = (0..truth.len()).filter(|&i| !truth[i].fake).collect();
    println!(
        "  {:<34} {}",
        "FPR on all genuine",
        Share::of(&genuine, |&i| flagged(i))
    );

    let gold = gold::evaluate(detector);
    println!("brand matcher on the gold lists:");
    check(
        &format!(
            "shanzhai names caught {}/{}",
            gold.caught.hits, gold.caught.of
        ),
        gold.caught.value(),
        gold.caught.value() >= MIN_GOLD_CAUGHT,
        ">= 0.95",
    );
    check(
        &format!(
            "false matches on real brands {}/{}",
            gold.false_matches.hits, gold.false_matches.of
        ),
        gold.false_matches.value(),
        gold.false_matches.value() <= MAX_FALSE_MATCHES,
        "<= 0.01",
    );
    for miss in &gold.missed {
        println!("    missed: {miss}");
    }
    for m in &gold.matched_real {
        println!("    false match: {m}");
    }
    if !failures.is_empty() {
        bail!(
            "detector evaluation below its floors: {}",
            failures.join(", ")
        );
    }
    Ok(())
}
