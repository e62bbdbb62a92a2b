//! Brand-signal debugging on the shared corpus (read where it lies, never copied):
//! `cargo run --release -p qsword-detector --example brand_debug -- /work/shared/corpus`.
//! Prints genuine listings the brand signal flags (with their hard-negative tags), brand fakes
//! it misses, and real Chinese titles it flags.

use qsword_detector::real::{RealBench, Titles};
use qsword_detector::{Detector, Signal};
use std::path::PathBuf;

fn main() {
    let corpus = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/corpus".into()),
    );
    let detector = Detector::embedded();
    let mut bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    if let Some(p) = std::env::args().nth(2) {
        bench = bench.only_platform(&p); // leave-one-site-out
    }
    let a = detector.detect(&bench.listings);
    println!("== genuine listings with a brand flag");
    for ((l, lab), a) in bench.listings.iter().zip(&bench.labels).zip(&a) {
        if lab.fake {
            continue;
        }
        for f in a.flags.iter().filter(|f| f.signal == Signal::Brand) {
            println!(
                "{:.2} {:?} | {} | brand {:?} | {}",
                f.score, lab.kind, l.title, l.brand, f.reason
            );
        }
    }
    let n = bench
        .labels
        .iter()
        .filter(|l| l.fake && l.kind.iter().any(|k| k == "brand"))
        .count();
    println!(
        "== brand fakes missed (of {n}, {} listings)",
        bench.listings.len()
    );
    for ((l, lab), a) in bench.listings.iter().zip(&bench.labels).zip(&a) {
        if !lab.fake || !lab.kind.iter().any(|k| k == "brand") {
            continue;
        }
        let b = a
            .flags
            .iter()
            .filter(|f| f.signal == Signal::Brand)
            .map(|f| f.score)
            .fold(0.0, f64::max);
        if b < 0.5 || a.risk < 0.5 {
            println!(
                "{:.2} {} | {} | brand {:?} | {}",
                b, lab.detail, l.title, l.brand, a.risk
            );
        }
    }
    let titles = Titles::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let a = detector.detect(&titles.listings);
    println!("== zh titles with a brand flag");
    for (l, a) in titles.listings.iter().zip(&a) {
        for f in a.flags.iter().filter(|f| f.signal == Signal::Brand) {
            if f.evidence
                .get("kind")
                .and_then(|k| k.as_str())
                .is_some_and(|k| {
                    !matches!(
                        k,
                        "near-form" | "near-homophone" | "split-character" | "inserted-character"
                    )
                })
            {
                println!("{:.2} | {} | {}", f.score, l.title, f.reason);
            }
        }
    }
}
