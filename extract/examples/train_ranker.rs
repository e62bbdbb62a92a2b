//! Trains the visible-price ranker on the simulated market's product pages and all corpus
//! pages, and writes `extract/data/price_ranker.json` (deterministic):
//! `cargo run --release -p qsword-extract --features train --example train_ranker -- ../shared/corpus`.

use qsword_extract::ranker::{self, TrainingPage};
use qsword_extract::{decode_html, real};
use std::path::PathBuf;

/// The simulator's product pages with their true prices (the set `qsword eval` uses too).
pub fn sim_pages() -> Vec<TrainingPage> {
    let market = qsword_marketsim::Market::generate(&qsword_marketsim::MarketConfig {
        products: ranker::SIM_PRODUCTS,
        ..Default::default()
    });
    market
        .product_pages()
        .into_iter()
        .filter_map(|p| TrainingPage::priced(&p.body, p.content_type, &p.url, p.price.amount))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let corpus = PathBuf::from(std::env::args().nth(1).unwrap_or("../shared/corpus".into()));
    let mut pages = sim_pages();
    let sim = pages.len();
    let cases = real::load_pages(&corpus.join("product-pages"))?;
    pages.extend(cases.iter().map(real::PageCase::training_page));
    let started = std::time::Instant::now();
    pages.iter().for_each(|p| drop(ranker::page_rows(p)));
    let rows_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = std::time::Instant::now();
    let model = ranker::train(&pages);
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/price_ranker.json");
    std::fs::write(&out, serde_json::to_string_pretty(&model)? + "\n")?;
    println!(
        "{} simulator + {} corpus pages → {} pages used, {} candidates ({} positive); rows {:.0} ms, fit {:.0} ms; threshold {:.3}",
        sim,
        cases.len(),
        model.trained_on.pages,
        model.trained_on.candidates,
        model.trained_on.positives,
        rows_ms,
        started.elapsed().as_secs_f64() * 1e3,
        model.threshold
    );
    let mut w: Vec<(&String, f64)> = model
        .features
        .iter()
        .zip(model.weights.iter().copied())
        .collect();
    w.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    for (f, x) in w {
        println!("  {f:<26} {x:+.3}");
    }
    println!("wrote {}", out.display());
    ranker_alone(&sim_pages(), &cases);
    Ok(())
}

/// The ranker alone on every priced corpus page, structured data ignored, each site's pages
/// ranked by a model trained without that site: how well it transfers to unseen shops (the
/// extractor uses it only where no structured layer prices the page, which is few pages).
fn ranker_alone(sim: &[TrainingPage], cases: &[real::PageCase]) {
    let sites: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.site.as_str()).collect();
    let (mut right, mut answered, mut priced) = (0, 0, 0);
    for site in sites {
        let others: Vec<&real::PageCase> = cases.iter().filter(|c| c.site != site).collect();
        let model = qsword_extract::train_without(sim, &others).price_ranker;
        for case in cases.iter().filter(|c| c.site == site) {
            let want: Vec<_> = case.prices().iter().map(|p| p.normalize()).collect();
            let page = decode_html(&case.body, None);
            let doc = qsword_extract::parse_page(&page);
            // The hint extraction itself uses (language, og:locale, domain), as in training.
            let hint = qsword_extract::page_hint(&doc, &case.url);
            let got = model
                .choose(&ranker::candidates(&doc, &hint))
                .map(|p| p.amount.normalize());
            priced += !want.is_empty() as usize;
            answered += got.is_some() as usize;
            right += got.is_some_and(|g| want.contains(&g)) as usize;
        }
    }
    let (p, r) = (
        right as f64 / answered.max(1) as f64,
        right as f64 / priced.max(1) as f64,
    );
    println!(
        "ranker alone, leave-one-site-out, structured data ignored: {right} right of {answered} answered, {priced} priced pages: P {p:.3} R {r:.3} F1 {:.3}",
        2.0 * p * r / (p + r).max(f64::EPSILON)
    );
}
