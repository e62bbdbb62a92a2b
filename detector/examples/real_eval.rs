//! The detector on the shared corpus's real data, without building the binary:
//! `cargo run --release -p qsword-detector --example real_eval -- ../shared/corpus [WORST]`.
//! Prints the center's figures on the public real bench (whole, then each site alone: a rule
//! that needs the other site's listings shows there) and the false alarms on the real titles.

use qsword_detector::real::{evaluate, evaluate_titles, RealBench, Titles};
use qsword_detector::Detector;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "../shared/corpus".into()));
    let worst: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(20);
    let detector = Detector::embedded();
    let bench = RealBench::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    let t = std::time::Instant::now();
    let (report, assessments) = evaluate(&detector, &bench);
    // QSWORD_DUMP=path writes the assessments (one JSON line each, bench order) for study.
    if let Ok(path) = std::env::var("QSWORD_DUMP") {
        let lines: Vec<String> = assessments
            .iter()
            .map(|a| serde_json::to_string(a).expect("assessments serialise"))
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let secs = t.elapsed().as_secs_f64();
    println!("== real bench ({secs:.2} s)\n{report}");
    for p in bench.platforms() {
        let alone = bench.only_platform(&p);
        let (r, a) = evaluate(&detector, &alone);
        if let Ok(path) = std::env::var("QSWORD_DUMP") {
            let lines: Vec<String> = a
                .iter()
                .map(|a| serde_json::to_string(a).expect("assessments serialise"))
                .collect();
            let path = format!("{path}.{p}");
            std::fs::write(&path, lines.join("\n") + "\n")
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        println!("== {p} alone\n{r}");
    }
    // The supervised stage, leave-one-site-out: learnt on one site's labels, measured on the
    // other's (as deployed: unflagged listings stay at 0).
    let platforms = bench.platforms();
    for (train_on, test_on) in [(0, 1), (1, 0)] {
        let (Some(a), Some(b)) = (platforms.get(train_on), platforms.get(test_on)) else {
            continue;
        };
        let (train_bench, test_bench) = (bench.only_platform(a), bench.only_platform(b));
        let (_, train_a) = evaluate(&detector, &train_bench);
        let examples: Vec<_> = train_a
            .into_iter()
            .zip(&train_bench.labels)
            .map(|(a, l)| (a, l.fake))
            .collect();
        match qsword_detector::model::train(&examples) {
            Ok(w) => {
                let (_, mut test_a) = evaluate(&detector, &test_bench);
                for a in &mut test_a {
                    if !a.flags.is_empty() {
                        a.risk = w.risk(a);
                    }
                }
                let r = qsword_detector::real::report(&test_bench, &test_a);
                let scored: Vec<_> = test_a
                    .iter()
                    .zip(&test_bench.labels)
                    .map(|(a, l)| qsword_detector::evaluation::Scored {
                        risk: a.risk,
                        fake: l.fake,
                    })
                    .collect();
                let (brier, ece) = qsword_detector::model::calibration(&scored);
                println!(
                    "== learnt weights: trained on {a} ({}), applied to {b}: AP {:.3}, recall@0.5 {:.3}, FPR {:.3}, Brier {brier:.3}, calibration error {ece:.3}",
                    w.quality, r.ap, r.recall.value(), r.fpr.value()
                );
            }
            Err(e) => println!("== learnt weights on {a}: {e}"),
        }
    }
    let titles = Titles::load(&corpus).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "== zh titles\n{}",
        evaluate_titles(&detector, &titles, 0.6, worst)
    );
}
