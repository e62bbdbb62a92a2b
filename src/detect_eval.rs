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
/// The shanzhai list was once the source of the Chinese look-alike table it was measured with
/// (issue 17), which made 0.95 easy. Near forms now come from decomposition data and real
/// words are protected, so the list measures a matcher it did not shape: 61 of 75 at the
/// change. The misses are dictionary words (安可, 奈克, 菲利浦 — itself an old spelling of
/// Philips), variant forms outside GB2312 (兎) and pairs the decomposition data does not call
/// alike (秦/泰, 住/隹); catching them by listing them would be the old table again.
const MIN_GOLD_CAUGHT: f64 = 0.80;
const MAX_FALSE_MATCHES: f64 = 0.01;

#[derive(clap::Args, Debug, Clone)]
pub struct EvaluateArgs {
    /// Seed of the simulated marketplace (the default is for measuring; tune on others).
    #[arg(long, default_value_t = 20261203, requires = "evaluate")]
    pub seed: u64,
    /// Catalogue products (each offered ~15 times).
    #[arg(long, default_value_t = 400, requires = "evaluate")]
    pub products: usize,
    /// Measure on the real data of the shared corpus instead (its `detector/` bench and
    /// `zh-titles/`): the center's metrics, each site alone, and the floors below.
    #[arg(long, value_name = "CORPUS", requires = "evaluate")]
    pub real: Option<std::path::PathBuf>,
}

/// Floors on the public real bench, enforced by `--real` (a landing may not fall below them),
/// and the issues' targets, printed beside them. The floors sit a little under what the
/// detector measured when issues 17 and 18 landed (AP 0.984, brand 1.000, cue 1.000, mark
/// 0.867, price 0.996, seller-only 0.950, worst hard-negative FPR 0.030, zh titles 0.17 %),
/// so a change that loses ground on real data fails CI.
struct RealFloor {
    name: &'static str,
    floor: f64,
    target: f64,
    /// Higher is better (recall, AP) or lower (FPR, alarms).
    higher: bool,
}

const REAL_FLOORS: &[RealFloor] = &[
    RealFloor {
        name: "AP",
        floor: 0.90,
        target: 0.85,
        higher: true,
    },
    RealFloor {
        name: "recall brand",
        floor: 0.90,
        target: 0.85,
        higher: true,
    },
    RealFloor {
        name: "recall cue",
        floor: 0.90,
        target: 0.90,
        higher: true,
    },
    RealFloor {
        name: "recall mark",
        floor: 0.80,
        target: 0.90,
        higher: true,
    },
    RealFloor {
        name: "recall price",
        floor: 0.90,
        target: 0.80,
        higher: true,
    },
    RealFloor {
        name: "recall hard",
        floor: 0.80,
        target: 0.60,
        higher: true,
    },
    RealFloor {
        name: "worst hard-negative FPR",
        floor: 0.06,
        target: 0.03,
        higher: false,
    },
    RealFloor {
        name: "zh titles at alert level",
        floor: 0.01,
        target: 0.01,
        higher: false,
    },
];

/// `detect --evaluate --real CORPUS`: the detector on real text written by others.
pub fn run_real(detector: &Detector, alert_level: f64, corpus: &std::path::Path) -> Result<()> {
    use qsword_detector::real::{evaluate, evaluate_titles, RealBench, Titles};
    let bench = RealBench::load(corpus)?;
    let started = std::time::Instant::now();
    let (report, _) = evaluate(detector, &bench);
    println!(
        "real bench {} ({:.1} s)\n{report}",
        corpus.join("detector").display(),
        started.elapsed().as_secs_f64()
    );
    for platform in bench.platforms() {
        let (alone, _) = evaluate(detector, &bench.only_platform(&platform));
        println!("{platform} alone (nothing learnt from the other site)\n{alone}");
    }
    let titles = Titles::load(corpus)?;
    let t = evaluate_titles(detector, &titles, alert_level, 20);
    println!("{t}");

    let kind = |k: &str| report.by_kind.get(k).map_or(0.0, |r| r.value());
    let worst_fpr = report
        .by_negative
        .values()
        .filter(|r| r.of >= 20)
        .map(|r| r.value())
        .fold(0.0, f64::max);
    let value = |name: &str| match name {
        "AP" => report.ap,
        "recall brand" => kind("brand"),
        "recall cue" => kind("cue"),
        "recall mark" => kind("mark"),
        "recall price" => kind("price"),
        "recall hard" => kind("hard"),
        "worst hard-negative FPR" => worst_fpr,
        _ => t.alarms.value(),
    };
    let mut failures = Vec::new();
    println!("floors (a landing may not fall below) and the issues' targets:");
    for f in REAL_FLOORS {
        let v = value(f.name);
        let (ok, met) = if f.higher {
            (v >= f.floor, v >= f.target)
        } else {
            (v <= f.floor, v <= f.target)
        };
        let cmp = if f.higher { ">=" } else { "<=" };
        println!(
            "  {:<28} {v:.3}   floor {cmp} {:.2} {}   target {cmp} {:.2} {}",
            f.name,
            f.floor,
            if ok { "ok" } else { "BELOW FLOOR" },
            f.target,
            if met { "met" } else { "not yet" }
        );
        if !ok {
            failures.push(f.name);
        }
    }
    if !failures.is_empty() {
        bail!(
            "detector on real data below its floors: {}",
            failures.join(", ")
        );
    }
    Ok(())
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
        ">= 0.80",
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
