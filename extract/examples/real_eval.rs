//! Extraction on the shared corpus without building the binary (same figures as
//! `qsword eval`): `cargo run --release -p qsword-extract --features train --example real_eval -- ../shared/corpus`.

use qsword_extract::real;
use std::path::PathBuf;

#[path = "train_ranker.rs"]
#[allow(dead_code)]
mod train_ranker;

fn main() -> anyhow::Result<()> {
    let corpus = PathBuf::from(std::env::args().nth(1).unwrap_or("../shared/corpus".into()));
    let s = real::price_strings(&corpus.join("price-strings/price_strings_public.jsonl"))?;
    println!(
        "price strings: {}/{} = {:.3}; amount {}/{}, one-currency {}/{}, ambiguous {}/{} ({:.1} µs per string)",
        s.right,
        s.scored,
        s.rate(),
        s.amount_ok,
        s.amount_n,
        s.currency_ok,
        s.currency_n,
        s.ambiguous_ok,
        s.ambiguous_n,
        s.micros_per_string
    );
    for f in &s.failures {
        println!("  miss {f}");
    }
    let sim = train_ranker::sim_pages();
    let p = real::product_pages(&corpus.join("product-pages"), |others| {
        qsword_extract::train_without(&sim, others)
    })?;
    println!(
        "product pages: {} pages, {} sites; {:.0} ms plain extraction, {:.0} ms leave-one-site-out with training ({} simulator pages)",
        p.pages,
        p.sites,
        p.plain.millis,
        p.cv.millis,
        sim.len()
    );
    print!("{}", p.table());
    println!("leave-one-site-out misses:");
    for m in &p.cv.misses {
        println!("  {m}");
    }
    Ok(())
}
