//! The detector on the shared corpus's real data, without building the binary:
//! `cargo run --release -p qsword-detector --example real_eval -- ../shared/corpus [WORST]`.
//! Prints the center's figures on the public real bench (whole, then each site alone: a rule
//! that needs the other site's listings shows there) and the false alarms on the real titles.

use qsword_detector::real::{evaluate, evaluate_titles, grouping_pairs, RealBench, Titles};
use qsword_detector::Detector;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let worst: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(20);
    let detector = Detector::embedded();
    let bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let t = std::time::Instant::now();
    let (mut report, assessments) = evaluate(&detector, &bench);
    // QSWORD_DUMP=path writes the assessments (one JSON line each, bench order) for study.
    if let Ok(path) = std::env::var("QSWORD_DUMP") {
        let lines: Vec<String> = assessments
            .iter()
            .map(|a| serde_json::to_string(a).expect("assessments serialise"))
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let secs = t.elapsed().as_secs_f64();
    report.grouping = Some(grouping(&detector, &bench));
    println!("== real bench ({secs:.2} s)\n{report}");
    for p in bench.platforms() {
        let alone = bench.only_platform(&p);
        let (mut r, a) = evaluate(&detector, &alone);
        if let Ok(path) = std::env::var("QSWORD_DUMP") {
            let lines: Vec<String> = a
                .iter()
                .map(|a| serde_json::to_string(a).expect("assessments serialise"))
                .collect();
            let path = format!("{path}.{p}");
            std::fs::write(&path, lines.join("\n") + "\n")
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        r.grouping = Some(grouping(&detector, &alone));
        println!("== {p} alone\n{r}");
    }
    let titles = Titles::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "== zh titles\n{}",
        evaluate_titles(&detector, &titles, 0.6, worst)
    );
}

/// Pair precision/recall of the detector's products against the bench's product ids.
fn grouping(
    detector: &Detector,
    bench: &RealBench,
) -> (qsword_detector::real::Rate, qsword_detector::real::Rate) {
    let mut group_of = vec![None; bench.listings.len()];
    for (g, p) in detector.products(&bench.listings).iter().enumerate() {
        for &i in &p.members {
            group_of[i] = Some(g);
        }
    }
    grouping_pairs(bench, &group_of)
}
