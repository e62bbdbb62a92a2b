//! Learning from investigators: `qsword label URL confirmed|dismissed` stores a decision in
//! the store's `labels` table; `qsword detect --train` scores the store's listings, fits the
//! detector's logistic regression on the labelled ones, reports its cross-validated quality,
//! and saves it to `models/detector.json` only if it ranks held-out listings at least as well
//! as the default weights. `qsword detect` then uses it; without the file, the defaults.

use crate::pipeline::Ctx;
use anyhow::{bail, Context, Result};
use qsword_detector::model::{self, LearntWeights};
use qsword_detector::Detector;
use qsword_store::Decision;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `confirmed` or `dismissed` (also `confirm`, `dismiss`).
pub fn parse_decision(s: &str) -> Result<Decision, String> {
    match s {
        "confirmed" | "confirm" => Ok(Decision::Confirm),
        "dismissed" | "dismiss" => Ok(Decision::Dismiss),
        _ => Err(format!(
            "decision {s:?} is neither \"confirmed\" nor \"dismissed\""
        )),
    }
}

pub fn model_path(ctx: &Ctx) -> PathBuf {
    ctx.data.join("models").join("detector.json")
}

/// `qsword label URL DECISION`: records the decision (appended: the latest one counts).
pub fn label(
    ctx: &Ctx,
    url: &str,
    decision: Decision,
    note: Option<&str>,
    who: &str,
) -> Result<()> {
    let mut store = ctx.open_store()?;
    let Some(listing) = store.listing_by_url(url)? else {
        bail!(
            "no listing with URL {url} in the store {} (labels are for stored listings: crawl or import it first)",
            ctx.store_path().display()
        );
    };
    store.add_label(listing.id, decision, note, who, chrono::Utc::now())?;
    let word = match decision {
        Decision::Confirm => "confirmed",
        Decision::Dismiss => "dismissed",
    };
    println!("{url}: {word} by {who}");
    Ok(())
}

/// The detector `qsword detect` uses: learnt weights when `models/detector.json` exists (a
/// file that cannot be read or does not fit this build is an error, not silently ignored),
/// else the defaults.
pub fn detector(ctx: &Ctx) -> Result<Detector> {
    let detector = base_detector(ctx)?;
    match load_weights(&model_path(ctx))? {
        Some(w) => Ok(detector.with_weights(w)),
        None => Ok(detector),
    }
}

/// The detector of the configuration (`[detector]`: `seeds_dir`, `settings`; `[index] rates`)
/// without learnt weights.
pub fn base_detector(ctx: &Ctx) -> Result<Detector> {
    let catalogue = ctx.catalogue()?;
    let detector = Detector::new(catalogue, ctx.cfg.detector.settings.clone()).map_err(|e| {
        anyhow::anyhow!("{e} (in the seeds of key `detector.seeds_dir`, or the built-in copy)")
    })?;
    // Offers in other currencies are compared at the rates the index uses (`[index] rates`).
    Ok(detector.with_rates(ctx.cfg.index.rates()?))
}

fn load_weights(path: &Path) -> Result<Option<LearntWeights>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let w: LearntWeights = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a detector model (delete it to use the default weights)",
            path.display()
        )
    })?;
    w.check()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some(w))
}

/// `qsword detect --train`.
pub fn train(ctx: &Ctx) -> Result<()> {
    let store = ctx.open_store()?;
    // The latest decision per listing is the current one.
    let mut latest: HashMap<qsword_store::ListingId, Decision> = HashMap::new();
    for l in store.all_labels()? {
        latest.insert(l.listing_id, l.decision);
    }
    let stored = store.listings()?;
    // Features come from the default weights' flags over the whole batch (groups need it).
    let (ids, listings): (Vec<_>, Vec<_>) = stored.into_iter().map(|s| (s.id, s.listing)).unzip();
    let assessments = base_detector(ctx)?.detect(&listings);
    let examples: Vec<_> = ids
        .iter()
        .zip(assessments)
        .filter_map(|(id, a)| latest.get(id).map(|d| (a, *d == Decision::Confirm)))
        .collect();
    let weights = model::train(&examples)?;
    println!(
        "trained on {} labels ({} confirmed, {} dismissed)",
        examples.len(),
        weights.confirmed,
        weights.dismissed
    );
    println!("  {}", weights.quality);
    let path = model_path(ctx);
    if !weights.quality.beats_defaults() {
        println!(
            "  not used: it does not rank held-out listings better than the default weights; {} keeps the defaults",
            if path.exists() {
                "the previous model is kept and"
            } else {
                "qsword detect"
            }
        );
        return Ok(());
    }
    let parts: Vec<String> = weights
        .features
        .iter()
        .zip(&weights.weights)
        .map(|(f, w)| format!("{f} {w:+.2}"))
        .collect();
    println!(
        "  weights: {} (intercept {:+.2})",
        parts.join(", "),
        weights.intercept
    );
    std::fs::create_dir_all(path.parent().expect("models/ has a parent"))
        .with_context(|| format!("creating {}", path.display()))?;
    std::fs::write(&path, serde_json::to_string_pretty(&weights)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "  saved to {}: qsword detect uses it from now on (delete it for the defaults)",
        path.display()
    );
    Ok(())
}
