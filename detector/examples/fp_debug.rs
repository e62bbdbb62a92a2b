//! False alarms on the shared corpus's genuine listings with a given hard-negative tag, per
//! platform alone or whole: `cargo run --release -p qsword-detector --example fp_debug --
//! /work/shared/corpus TAG [PLATFORM]`. Reads the corpus where it lies, never copies it.

use qsword_detector::real::RealBench;
use qsword_detector::Detector;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let tag = args.next().unwrap_or_default();
    let detector = Detector::embedded();
    let mut bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    if let Some(p) = args.next() {
        bench = bench.only_platform(&p);
    }
    let a = detector.detect(&bench.listings);
    for ((l, lab), a) in bench.listings.iter().zip(&bench.labels).zip(&a) {
        let tagged = if tag == "none" {
            lab.kind.is_empty()
        } else {
            lab.kind.contains(&tag)
        };
        if lab.fake || !tagged || a.risk < 0.5 {
            continue;
        }
        println!(
            "{:.2} {} | seller {:?}",
            a.risk,
            l.title,
            l.seller.as_ref().map(|s| &s.name)
        );
        for f in &a.flags {
            println!("      {:?} {:.2} {}", f.signal, f.score, f.reason);
        }
    }
}
