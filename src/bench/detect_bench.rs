//! `qsword bench detect`: the detector alone at scale. A million listings from the simulated
//! marketplace's generator (titles, descriptions, brands, sellers, categories, marks, prices;
//! no pages rendered) are scored in one batch, as `qsword detect` scores a night's listings,
//! and checked against the ground truth so a fast detector cannot be a wrong one.

use super::{peak_rss_mib, rate};
use anyhow::{ensure, Result};
use qsword_detector::evaluation::{average_precision, Scored};
use qsword_detector::Detector;
use qsword_listing::Listing;
use qsword_marketsim::{Market, MarketConfig, MAX_SHOPS};
use std::time::Instant;

#[derive(clap::Args)]
pub struct DetectArgs {
    /// Listings to score in one batch.
    #[arg(long, default_value_t = 1_000_000)]
    listings: usize,
    /// Seed of the simulated marketplace.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

pub fn run(detector: &Detector, threshold: f64, args: &DetectArgs) -> Result<()> {
    ensure!(args.listings > 0, "--listings must be at least 1");
    let offers_per_product = 15;
    let cfg = MarketConfig {
        seed: args.seed,
        // A few more products than needed: offers per product vary by a fifth.
        products: (args.listings * 6 / 5).div_ceil(offers_per_product).max(1),
        offers_per_product,
        shops: MAX_SHOPS,
        ..MarketConfig::default()
    };
    println!(
        "bench detect: {} listings, market of {} products on {} shops (seed {}; {} cores, {})",
        args.listings,
        cfg.products,
        cfg.shops,
        cfg.seed,
        super::cores(),
        super::build_kind()
    );
    let t = Instant::now();
    let market = Market::generate(&cfg);
    let (fakes, listings): (Vec<bool>, Vec<Listing>) = market
        .listings()
        .take(args.listings)
        .map(|(truth, listing)| (truth.fake, listing))
        .unzip();
    drop(market);
    ensure!(
        listings.len() == args.listings,
        "the market made only {} listings",
        listings.len()
    );
    println!(
        "  listings   generated in {:.2}s (not counted below)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let assessments = detector.detect(&listings);
    let took = t.elapsed();
    let flagged = assessments.iter().filter(|a| a.risk >= threshold).count();
    let scored: Vec<Scored> = assessments
        .iter()
        .zip(&fakes)
        .map(|(a, &fake)| Scored { risk: a.risk, fake })
        .collect();
    println!(
        "  detect     {} listings in {:.2}s = {:.0} listings/s; {} flagged at risk >= {threshold}, average precision {:.3}",
        listings.len(),
        took.as_secs_f64(),
        rate(listings.len(), took),
        flagged,
        average_precision(&scored).unwrap_or(0.0)
    );
    match peak_rss_mib() {
        Some(m) => println!("  memory     peak RSS {m:.0} MiB (listings, assessments and the market's generator included)"),
        None => println!("  memory     peak RSS unknown (no /proc)"),
    }
    Ok(())
}
