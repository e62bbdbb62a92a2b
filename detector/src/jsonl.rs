//! `qsword detect --input listings.jsonl --output scores.jsonl`: listings in, one assessment
//! line per listing out, without a store.

use crate::Detector;
use qsword_listing::{read_jsonl, RecordError};
use std::io::{self, BufRead, Write};

/// What a JSONL detection run did.
#[derive(Debug, Default)]
pub struct DetectSummary {
    /// Listings read and assessed (one output line each).
    pub assessed: usize,
    /// Of those, listings with at least one flag.
    pub flagged: usize,
    /// Input lines that were not listings (named by line and field); they get no output line.
    pub errors: Vec<RecordError>,
}

impl Detector {
    /// Reads every listing (groups need them all before any price can be judged), assesses
    /// them, and writes one JSON assessment per line in input order. Bad input lines are
    /// reported in the summary and skipped, or end the read with `strict`.
    pub fn detect_jsonl<R: BufRead, W: Write>(
        &self,
        input: R,
        mut output: W,
        strict: bool,
    ) -> io::Result<DetectSummary> {
        let report = read_jsonl(input, strict)?;
        let listings: Vec<_> = report.listings.into_iter().map(|(_, l)| l).collect();
        let assessments = self.detect(&listings);
        let mut summary = DetectSummary {
            errors: report.errors,
            ..Default::default()
        };
        for a in &assessments {
            serde_json::to_writer(&mut output, a)?;
            output.write_all(b"\n")?;
            summary.assessed += 1;
            summary.flagged += usize::from(!a.flags.is_empty());
        }
        output.flush()?;
        Ok(summary)
    }
}
