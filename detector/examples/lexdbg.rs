use qsword_detector::real::RealBench;
use qsword_detector::Detector;
fn main() {
    let corpus = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let d = Detector::embedded();
    let bench = RealBench::load(&corpus).unwrap();
    let lex = d.brand_lexicon(&bench.listings);
    for k in std::env::args().skip(2) {
        println!("{:?}", lex.get(&k));
        println!(
            "judge {:?}",
            lex.judge(&k, 1, false)
                .map(|j| (j.target.key.clone(), j.likeness))
        );
    }
    println!("established {}", lex.brands().count());
    for l in &bench.listings {
        if l.title.starts_with("Cann ") {
            println!("{:?}", qsword_detector::latin::latin_variant(l, &lex));
            for c in qsword_detector::lexicon::claims(l) {
                println!("{:?} {:?}", c, lex.get(&c.key).map(|e| e.imitates.clone()));
            }
            println!("{:?}", l);
            println!("{:?}", d.brand_matcher().finding_in(l, &lex));
        }
    }
}
#[allow(dead_code)]
fn unused() {}
