//! Trains the visible-price ranker on the simulated market's product pages and all corpus
//! pages, and writes `extract/data/price_ranker.json` (deterministic):
//! `cargo run --release -p qsword-extract --example train_ranker -- ../shared/corpus`.

use qsword_extract::ranker::{self, Known, TrainingPage};
use qsword_extract::{decode_html, real};
use std::path::PathBuf;

/// The simulator's product pages with their true prices (the same set `real_eval` uses).
pub fn sim_pages() -> Vec<TrainingPage> {
    let market = qsword_marketsim::Market::generate(&qsword_marketsim::MarketConfig {
        products: 10,
        ..Default::default()
    });
    market
        .product_pages()
        .into_iter()
        .map(|p| TrainingPage {
            page: decode_html(&p.body, Some(p.content_type)),
            url: url::Url::parse(&p.url).expect("simulator URL"),
            known: Known::Amounts(vec![p.price.amount]),
        })
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
    Ok(())
}
