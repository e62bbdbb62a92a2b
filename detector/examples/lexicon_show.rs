//! The brand lexicon learnt from a JSONL file of listings, as `qsword brands` would show it:
//! `cargo run --release -p qsword-detector --example lexicon_show -- LISTINGS.jsonl [N]`.

use qsword_detector::Detector;
use qsword_listing::read_jsonl;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a JSONL file of listings");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report = read_jsonl(std::io::BufReader::new(file), true).expect("readable JSONL");
    let listings: Vec<_> = report.listings.into_iter().map(|(_, l)| l).collect();
    let lexicon = Detector::embedded().brand_lexicon(&listings);
    println!(
        "{} listings: {} spellings, {} established brands, {} ordinary and {} common words",
        lexicon.listings,
        lexicon.entries.len(),
        lexicon.brands().count(),
        lexicon.words.len(),
        lexicon.common.len()
    );
    for e in lexicon.brands().filter(|e| e.listings > 0).take(n) {
        let imitations: Vec<String> = e
            .imitations
            .iter()
            .map(|i| format!("{} ({})", i.written, i.likeness.label()))
            .collect();
        println!(
            "{:<20} sellers {:>4} platforms {} listings {:>5} models {:>4}  {}",
            e.name,
            e.sellers,
            e.platforms,
            e.listings,
            e.models,
            imitations.join(", ")
        );
    }
}
