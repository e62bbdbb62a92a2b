//! The real bench's figures on random subsets (fewer sellers per brand, as in a smaller night's
//! batch): `cargo run --release -p qsword-detector --example subsample_eval -- CORPUS 0.5 0.25`.
//! A rule that needs the whole file's counts shows here.

use qsword_detector::real::{report, RealBench};
use qsword_detector::Detector;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let detector = Detector::embedded();
    for share in args.filter_map(|a| a.parse::<f64>().ok()) {
        for seed in 1..=2u64 {
            // A small deterministic hash of the URL decides membership.
            let keep: Vec<usize> = (0..bench.listings.len())
                .filter(|&i| {
                    let h = bench.listings[i]
                        .url
                        .bytes()
                        .fold(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), |h, b| {
                            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
                        });
                    (h % 10_000) as f64 / 10_000.0 < share
                })
                .collect();
            let sub = RealBench {
                listings: keep.iter().map(|&i| bench.listings[i].clone()).collect(),
                labels: keep.iter().map(|&i| bench.labels[i].clone()).collect(),
            };
            let a = detector.detect(&sub.listings);
            let r = report(&sub, &a).to_string();
            println!("== share {share} seed {seed}");
            for line in r.lines().filter(|l| {
                l.contains("listings,")
                    || l.starts_with("    brand ")
                    || l.contains("similar_brand")
                    || l.contains("compat ")
                    || l.contains("(no tag)")
                    || l.contains("cn_text")
            }) {
                println!("{line}");
            }
        }
    }
}
