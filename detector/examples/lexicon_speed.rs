//! Time of the brand signal (lexicon learning + every listing's finding) on N listings made by
//! repeating the public real bench in memory with other URLs and sellers:
//! `cargo run --release -p qsword-detector --example lexicon_speed -- /work/shared/corpus 1000000`
//! (add `full` for the whole `Detector::detect`).

use qsword_detector::real::RealBench;
use qsword_detector::Detector;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let listings: Vec<_> = (0..n)
        .map(|i| {
            let src = &bench.listings[i % bench.listings.len()];
            let copy = i / bench.listings.len();
            let mut l = src.clone();
            l.url = format!("{}#{copy}", src.url);
            if let Some(s) = l.seller.as_mut() {
                s.name = format!("{} {}", s.name, copy % 97);
                s.id = None;
            }
            l
        })
        .collect();
    let d = Detector::embedded();
    let mode = args.next();
    if mode.as_deref() == Some("learn") {
        let t = Instant::now();
        let lexicon = d.brand_lexicon(&listings);
        println!(
            "learn {:.2} s, {} entries",
            t.elapsed().as_secs_f64(),
            lexicon.entries.len()
        );
        return;
    }
    if mode.as_deref() == Some("full") {
        let t = Instant::now();
        let a = d.detect(&listings);
        println!(
            "full detect of {n} listings on {} threads: {:.2} s ({} at risk >= 0.5)",
            rayon::current_num_threads(),
            t.elapsed().as_secs_f64(),
            a.iter().filter(|a| a.risk >= 0.5).count()
        );
        return;
    }
    let t = Instant::now();
    let lexicon = d.brand_lexicon(&listings);
    let learn = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let found = listings
        .par_iter()
        .filter(|l| d.brand_matcher().finding_in(l, &lexicon).is_some())
        .count();
    let find = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let latin = listings
        .par_iter()
        .filter(|l| qsword_detector::latin::latin_variant(l, &lexicon).is_some())
        .count();
    println!(
        "latin alone {:.2} s ({latin} found)",
        t.elapsed().as_secs_f64()
    );
    println!(
        "{n} listings on {} threads: learn {learn:.2} s ({} entries, {} established), find {find:.2} s ({found} found)",
        rayon::current_num_threads(),
        lexicon.entries.len(),
        lexicon.brands().count()
    );
}
