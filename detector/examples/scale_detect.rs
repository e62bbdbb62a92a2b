//! How the detector scales: the real bench replicated N times (each copy's model numbers and
//! titles made distinct, so products keep their real sizes), scored once, timed.
//! `cargo run --release -p qsword-detector --example scale_detect -- ../shared/corpus 150`

use qsword_detector::real::RealBench;
use qsword_detector::Detector;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let copies: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(150);
    let bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let mut listings = Vec::with_capacity(bench.listings.len() * copies);
    for c in 0..copies {
        for l in &bench.listings {
            let mut l = l.clone();
            l.url = format!("{}/{c}", l.url);
            // A distinct product per copy: every word with a digit gets the copy's suffix, and
            // a copy word is added; sellers are distinct per copy too.
            l.title = l
                .title
                .split(' ')
                .map(|w| {
                    if w.chars().any(|ch| ch.is_ascii_digit()) {
                        format!("{w}Q{c}")
                    } else {
                        w.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            l.title.push_str(&format!(" series{c}"));
            l.model = l.model.map(|m| format!("{m}Q{c}"));
            if let Some(s) = &mut l.seller {
                s.id = s.id.as_ref().map(|id| format!("{id}-{c}"));
                s.name = format!("{} {c}", s.name);
            }
            listings.push(l);
        }
    }
    let detector = Detector::embedded();
    let t = std::time::Instant::now();
    let out = detector.detect(&listings);
    let flagged = out.iter().filter(|a| a.risk >= 0.5).count();
    println!(
        "{} listings scored in {:.1} s ({flagged} at risk >= 0.5)",
        out.len(),
        t.elapsed().as_secs_f64()
    );
}
