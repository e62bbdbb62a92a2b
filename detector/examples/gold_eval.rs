//! The brand matcher on its gold lists (`detector/gold/`):
//! `cargo run --release -p qsword-detector --example gold_eval`.

fn main() {
    let d = qsword_detector::Detector::embedded();
    let g = qsword_detector::gold::evaluate(&d);
    println!(
        "caught {}/{}  false matches {}/{}",
        g.caught.hits, g.caught.of, g.false_matches.hits, g.false_matches.of
    );
    for m in g.missed {
        println!("  missed {m}");
    }
    for m in g.matched_real {
        println!("  real matched {m}");
    }
}
