//! An alert as an investigator reads it: one flagged listing with the reasons and evidence.

use qsword_store::StoredListing;
use serde::Serialize;
use std::collections::BTreeMap;

/// One flagged listing, as an investigator needs to see it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertItem {
    pub listing_id: i64,
    pub url: String,
    pub title: String,
    pub price: String,
    pub platform: String,
    pub seller: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    /// Where the seller is registered: the page's `extra.region`, else the platform's.
    pub region: Option<String>,
    pub risk: f64,
    pub flags: Vec<AlertFlag>,
    /// Where the captured page is: WARC file and record id, and the payload digest.
    pub evidence: String,
    /// The same, as its parts, for the digest's language (not in the JSON).
    #[serde(skip)]
    pub capture: Option<Capture>,
}

/// Where a listing's captured page is.
#[derive(Debug, Clone)]
pub struct Capture {
    pub file: String,
    pub record_id: String,
    pub offset: u64,
    pub payload_digest: String,
}

impl AlertItem {
    /// [`AlertItem::evidence`] in `lang`.
    pub fn evidence_in(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::tf;
        match &self.capture {
            None if self.evidence.starts_with("warc/") => self.evidence.clone(),
            None => crate::i18n::t(lang, "digest-no-capture"),
            Some(c) => tf(
                lang,
                "digest-capture",
                vec![
                    ("file", format!("warc/{}", c.file).into()),
                    ("record", (&c.record_id).into()),
                    ("offset", c.offset.to_string().into()),
                    ("digest", (&c.payload_digest).into()),
                ],
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertFlag {
    pub signal: String,
    pub score: f64,
    /// The detector's English sentence.
    pub reason: String,
    /// The numbers behind it, from which the digest and the console write the sentence in
    /// the reader's language (not in the JSON: the API keeps its shape).
    #[serde(skip)]
    pub evidence: serde_json::Value,
}

impl AlertFlag {
    /// The reason in `lang`.
    pub fn reason_in(&self, lang: crate::i18n::Lang) -> String {
        crate::i18n::reasons::reason(lang, &self.signal, &self.evidence, &self.reason)
    }
}

impl AlertItem {
    /// The alert for a stored listing and its latest flags (the detector's JSON array).
    pub fn of(
        s: &StoredListing,
        flags_json: &str,
        platform_regions: &BTreeMap<String, String>,
    ) -> AlertItem {
        // Flags were checked to be JSON when saved; a shape this binary cannot read still
        // alerts (with no reasons) rather than hiding the listing.
        let flags: Vec<qsword_detector::Flag> =
            serde_json::from_str(flags_json).unwrap_or_default();
        let l = &s.listing;
        let platform = l.platform.clone().unwrap_or_default();
        let region = l
            .extra
            .get("region")
            .and_then(|r| r.as_str())
            .map(str::to_owned)
            .or_else(|| platform_regions.get(&platform).cloned());
        AlertItem {
            listing_id: s.id.0,
            url: l.url.clone(),
            title: l.title.clone(),
            price: l
                .price
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            platform,
            seller: l
                .seller
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            category: l.category.clone(),
            brand: l.brand.clone(),
            region,
            risk: s.risk.unwrap_or(0.0),
            flags: flags
                .iter()
                .map(|f| AlertFlag {
                    signal: f.signal.to_string(),
                    score: f.score,
                    reason: f.reason.clone(),
                    evidence: f.evidence.clone(),
                })
                .collect(),
            evidence: s
                .warc
                .as_ref()
                .map(|w| {
                    format!(
                        "warc/{} record {} (offset {}), payload {}",
                        w.file,
                        w.record_id,
                        w.offset,
                        s.content_digest.as_deref().unwrap_or("-")
                    )
                })
                .unwrap_or_else(|| "no capture (imported)".into()),
            capture: s.warc.as_ref().map(|w| Capture {
                file: w.file.clone(),
                record_id: w.record_id.clone(),
                offset: w.offset,
                payload_digest: s.content_digest.clone().unwrap_or_else(|| "-".into()),
            }),
        }
    }
}
