//! `qsword brands`: the brand lexicon the detector learnt from the store's listings at the
//! last `qsword detect` (or nightly run): which brands the market shows, by how many sellers
//! and platforms, and the imitations seen of each. Read-only; the detector writes it.

use crate::pipeline::Ctx;
use crate::search::printable;
use anyhow::{Context, Result};
use qsword_detector::lexicon::BrandLexicon;

#[derive(clap::Args, Debug, Clone)]
pub struct BrandsArgs {
    /// Show this many brands, most sellers first.
    #[arg(long, default_value_t = 30)]
    pub top: usize,
    /// Only brands with imitations seen.
    #[arg(long)]
    pub imitated: bool,
    /// The stored lexicon as JSON (every entry).
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: &BrandsArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let Some(stored) = store.latest_brand_lexicon()? else {
        println!(
            "no brand lexicon in {} yet: `qsword detect` learns one from the stored listings",
            ctx.store_path().display()
        );
        return Ok(());
    };
    if args.json {
        println!("{}", stored.json);
        return Ok(());
    }
    let lexicon: BrandLexicon = serde_json::from_str(&stored.json).with_context(|| {
        format!(
            "the brand lexicon stored at {} does not fit this build (run `qsword detect` again)",
            stored.learnt_at
        )
    })?;
    let mut entries: Vec<_> = lexicon
        .entries
        .iter()
        .filter(|e| e.established && (!args.imitated || !e.imitations.is_empty()))
        .collect();
    entries.sort_by(|a, b| {
        b.sellers
            .cmp(&a.sellers)
            .then(b.listings.cmp(&a.listings))
            .then(a.name.cmp(&b.name))
    });
    println!(
        "brand lexicon learnt {} from {} listings: {} established brands, {} with imitations",
        stored.learnt_at.format("%Y-%m-%d %H:%M UTC"),
        stored.listings,
        lexicon.entries.iter().filter(|e| e.established).count(),
        lexicon
            .entries
            .iter()
            .filter(|e| !e.imitations.is_empty())
            .count()
    );
    println!(
        "{:<24} {:>7} {:>9} {:>8}  {:<10} imitations seen (sellers)",
        "brand", "sellers", "platforms", "listings", "protected"
    );
    for e in entries.into_iter().take(args.top) {
        let imitations: Vec<String> = e
            .imitations
            .iter()
            .map(|i| format!("{} ({})", printable(&i.written), i.sellers))
            .collect();
        println!(
            "{:<24} {:>7} {:>9} {:>8}  {:<10} {}",
            printable(&e.name),
            e.sellers,
            e.platforms,
            e.listings,
            e.protected.as_deref().unwrap_or("-"),
            imitations.join(", ")
        );
    }
    Ok(())
}
