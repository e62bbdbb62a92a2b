//! `qsword.toml`: the operator's configuration. Every key is known; an unknown key or a value
//! of the wrong type is refused with the file, line and key before anything runs.

use anyhow::{Context, Result};
use qsword_crawler::{CrawlerConfig, Site};
use qsword_indexer::CurrencyRates;
use qsword_listing::catalogue::Catalogue;
use qsword_listing::{Currency, Decimal};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The whole configuration file. Every section is optional; defaults suit one machine.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the store, WARC files, index, outbox and run reports live.
    pub data_dir: Option<PathBuf>,
    /// Folder of site files (`*.toml`, one site each); relative to the config file.
    pub sites_dir: Option<PathBuf>,
    pub crawler: CrawlerConfig,
    pub detector: DetectorSection,
    pub index: IndexSection,
    pub alerts: AlertsConfig,
    pub nightly: crate::nightly::NightlySection,
    pub cluster: ClusterSection,
    pub console: ConsoleSection,
}

/// `[console]`: sessions and logins of `qsword serve`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSection {
    /// A session ends this long after login, used or not.
    pub session_hours: u32,
    /// A session ends after this long unused.
    pub idle_minutes: u32,
    /// Failed logins in a row after which an account is locked until an admin runs
    /// `qsword users unlock NAME` (0: never locked).
    pub lock_after_failures: u32,
    /// PEM certificate chain and private key: `serve` speaks TLS itself (then cookies are
    /// `Secure` with the `__Host-` prefix, and HSTS is sent). Both or neither; relative to
    /// the working directory.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl ConsoleSection {
    /// The certificate and key files when TLS is configured.
    pub fn tls(&self) -> Option<(&Path, &Path)> {
        Some((self.tls_cert.as_deref()?, self.tls_key.as_deref()?))
    }
}

impl Default for ConsoleSection {
    fn default() -> Self {
        ConsoleSection {
            session_hours: 12,
            idle_minutes: 30,
            lock_after_failures: 20,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// `[cluster]`: several crawler workers over one shared Redis frontier (README "Scale-out").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// `redis://HOST:PORT/DB`: `qsword crawl` runs as a worker of this frontier (no store),
    /// `qsword ingest` stores what the workers stream, `qsword cluster status` reads it.
    pub frontier: Option<String>,
    /// Key prefix of this crawl in Redis (several crawls may share a database).
    pub prefix: String,
    /// How long a worker's host lease lasts unrenewed: a dead worker's hosts and in-flight
    /// URLs go back to the pool this long after it stopped.
    pub lease_ms: u64,
    /// Where a worker writes its WARC files (default: `warc/` in the data directory).
    pub warc_dir: Option<PathBuf>,
}

impl Default for ClusterSection {
    fn default() -> Self {
        ClusterSection {
            frontier: None,
            prefix: "qsword".into(),
            lease_ms: qsword_frontier_redis::DEFAULT_LEASE_MS,
            warc_dir: None,
        }
    }
}

impl ClusterSection {
    /// Checks a frontier URL (from the config or `--frontier`); the error names where it came from.
    pub fn check_url(url: &str, source: &str) -> Result<()> {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            anyhow::bail!(
                "{source} ({url:?}) must be a Redis URL such as \"redis://10.0.0.5:6379/0\""
            );
        }
        Ok(())
    }
}

/// `[index]`: the search index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSection {
    /// The indexing memory budget (tantivy's writer arena), in MiB; more means fewer, larger
    /// segments per run.
    pub memory_mb: usize,
    /// The currency price filters and price sorting use; prices are kept as written.
    pub base_currency: String,
    /// `CODE = rate`: 1 unit of CODE is `rate` units of the base currency (a decimal string
    /// or a number). With base CNY these add to, or replace, qsword's reference rates.
    pub rates: BTreeMap<String, toml::Value>,
}

impl Default for IndexSection {
    fn default() -> Self {
        IndexSection {
            memory_mb: 200,
            base_currency: "CNY".into(),
            rates: BTreeMap::new(),
        }
    }
}

impl IndexSection {
    /// The conversion rates, checked; the error names the key at fault.
    pub fn rates(&self) -> Result<CurrencyRates> {
        let base = Currency::from_str(&self.base_currency).map_err(|_| {
            anyhow::anyhow!(
                "key `index.base_currency` ({:?}) is not an ISO 4217 currency code such as \"CNY\"",
                self.base_currency
            )
        })?;
        let mut rates: BTreeMap<Currency, Decimal> = BTreeMap::new();
        if base == Currency::CNY {
            rates.extend(CurrencyRates::reference().iter());
        }
        for (code, value) in &self.rates {
            let key = format!("index.rates.{code}");
            let currency = Currency::from_str(code)
                .map_err(|_| anyhow::anyhow!("key `{key}`: {code:?} is not an ISO 4217 code"))?;
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => {
                    anyhow::bail!("key `{key}` is {other}; it must be a number such as \"7.10\"")
                }
            };
            let rate = Decimal::from_str(text.trim())
                .ok()
                .filter(|r| *r > Decimal::ZERO)
                .ok_or_else(|| {
                    anyhow::anyhow!("key `{key}` ({text:?}) must be a positive number")
                })?;
            rates.insert(currency, rate);
        }
        Ok(CurrencyRates::new(base, rates)?)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorSection {
    /// A listing whose risk reaches this becomes an alert.
    pub alert_min_risk: f64,
    /// Folder of the catalogues (`brands.toml`, `categories.toml`, `marks.toml`, `cues.toml`),
    /// relative to the config file; a file missing there is taken from the copy built in. Unset:
    /// the built-in copies of `seeds/`.
    pub seeds_dir: Option<PathBuf>,
    /// `[detector.settings]`: thresholds, `flag_missing_marks`, `signal_weights`.
    pub settings: qsword_detector::DetectorConfig,
}

impl Default for DetectorSection {
    fn default() -> Self {
        DetectorSection {
            alert_min_risk: 0.6,
            seeds_dir: None,
            settings: qsword_detector::DetectorConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// `From:` of the digests.
    pub from: String,
    /// Base URL of the web console, for links in the digests.
    pub console_url: String,
    /// Who gets a digest when no investigator's routing matches (or none is configured).
    pub duty_address: String,
    pub investigators: Vec<Investigator>,
    /// How the digests are mailed; without it they stay in `outbox/` as `.eml` files.
    pub smtp: Option<crate::alerts::SmtpConfig>,
    /// A listing already alerted is alerted again only for a new signal, or when its risk
    /// rose by more than this. Scores drift as other offers change price: a price score is
    /// steep in the ratio to the reference (0.5 at 0.45 of it, 0.9 at two thirds of that), so
    /// a reference moving 5 % moves a score by up to 0.08; 0.1 keeps that from being news.
    pub realert_min_rise: f64,
    /// The first retry of a failed send waits this long; each further one twice as long.
    pub retry_backoff_s: u64,
    /// ... up to this.
    pub max_backoff_s: u64,
    /// `platform = "region"`: the region a platform's sellers are registered in, for routing
    /// by `regions` (a listing's own `extra.region`, when the page says, wins).
    pub platform_regions: BTreeMap<String, String>,
    /// The digests' language: `zh-CN` (default; the center reads Chinese) or `en`.
    pub language: String,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            from: "qsword <qsword@localhost>".into(),
            console_url: "http://127.0.0.1:8080".into(),
            duty_address: "duty-investigators@localhost".into(),
            investigators: Vec::new(),
            smtp: None,
            realert_min_rise: 0.1,
            retry_backoff_s: 300,
            max_backoff_s: 6 * 3600,
            platform_regions: BTreeMap::new(),
            language: "zh-CN".into(),
        }
    }
}

impl AlertsConfig {
    /// The digests' language (checked at load: an unknown one is refused there).
    pub fn lang(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::parse(&self.language).unwrap_or_default()
    }
}

/// An investigator and what they cover. Empty lists mean "all".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Investigator {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub brands: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub min_risk: Option<f64>,
}

impl Config {
    /// Loads `path`; a missing file is an error only when the user named it explicitly.
    pub fn load(path: &Path, explicit: bool) -> Result<(Config, Option<PathBuf>)> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let cfg = Self::parse(&text, path)?;
                Ok((cfg, Some(path.to_path_buf())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok((Config::default(), None))
            }
            Err(e) => Err(e).with_context(|| format!("cannot read config file {}", path.display())),
        }
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| config_error(path, text, &e))?;
        cfg.validate(path, text)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let r = self.detector.alert_min_risk;
        if !(0.0..=1.0).contains(&r) {
            anyhow::bail!(
                "{}: key `detector.alert_min_risk` is {r}; it must be between 0 and 1",
                path.display()
            );
        }
        self.detector
            .settings
            .check()
            .map_err(|e| anyhow::anyhow!("{}: in [detector.settings], {e}", path.display()))?;
        self.index
            .rates()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if self.index.memory_mb < 15 {
            anyhow::bail!(
                "{}: key `index.memory_mb` is {}; the index writer needs at least 15",
                path.display(),
                self.index.memory_mb
            );
        }
        if let Some(url) = &self.cluster.frontier {
            ClusterSection::check_url(url, &format!("{}: key `cluster.frontier`", path.display()))?;
        }
        if self.console.tls_cert.is_some() != self.console.tls_key.is_some() {
            anyhow::bail!(
                "{}: `console.tls_cert` and `console.tls_key` go together: give both (TLS) or neither",
                path.display()
            );
        }
        if self.console.session_hours == 0 || self.console.idle_minutes == 0 {
            anyhow::bail!(
                "{}: `console.session_hours` and `console.idle_minutes` must be at least 1",
                path.display()
            );
        }
        if self.cluster.lease_ms < 300 {
            anyhow::bail!(
                "{}: key `cluster.lease_ms` is {}; it must be at least 300 (leases are renewed every third of it)",
                path.display(),
                self.cluster.lease_ms
            );
        }
        crate::alerts::check_config(&self.alerts, path, text)?;
        self.nightly.check(path, text)?;
        Ok(())
    }

    /// The catalogues the detector and the crawler's categorisation use: each file of
    /// `detector.seeds_dir` (relative to the config file) when it is there, else the copy built
    /// in. A file that does not parse is an error naming the file and line.
    pub fn catalogue(&self, config_path: Option<&Path>) -> Result<Catalogue> {
        let Some(dir) = &self.detector.seeds_dir else {
            return Ok(Catalogue::embedded());
        };
        let dir = match config_path.and_then(Path::parent) {
            Some(base) if dir.is_relative() => base.join(dir),
            _ => dir.clone(),
        };
        if !dir.is_dir() {
            anyhow::bail!(
                "{}: key `detector.seeds_dir`: {} is not a folder (it should hold brands.toml, categories.toml, marks.toml, cues.toml)",
                config_path.map_or("qsword.toml".into(), |p| p.display().to_string()),
                dir.display()
            );
        }
        let mut texts = Vec::new();
        for (name, built_in) in qsword_listing::catalogue::EMBEDDED_SEEDS {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => texts.push((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    texts.push((format!("seeds/{name} (built in)"), built_in.to_string()))
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        let at = |i: usize| (texts[i].0.as_str(), texts[i].1.as_str());
        Ok(Catalogue::from_toml_strs(at(0), at(1), at(2), at(3))?)
    }

    /// Loads every site file of the sites folder, sorted by file name.
    pub fn load_sites(&self, config_path: Option<&Path>) -> Result<Vec<Site>> {
        let dir = match (&self.sites_dir, config_path.and_then(Path::parent)) {
            (Some(d), Some(base)) if d.is_relative() => base.join(d),
            (Some(d), _) => d.clone(),
            (None, _) => PathBuf::from("seeds/sites"),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read the sites folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| Site::from_toml_file(f).map_err(anyhow::Error::from))
            .collect()
    }
}

/// toml's message already carries "line N, column M" and the offending key; put the file first.
fn config_error(path: &Path, _text: &str, e: &toml::de::Error) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("qsword.toml"))
    }

    #[test]
    fn unknown_key_is_refused_with_file_line_and_key() {
        let err = parse("data_dir = \"x\"\n\n[crawler]\nconcurency = 4\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("qsword.toml:"), "{err}");
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("concurency"), "{err}");
    }

    #[test]
    fn wrong_type_is_refused_with_line_and_key() {
        let err = parse("[detector]\nalert_min_risk = \"high\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("alert_min_risk"), "{err}");
    }

    #[test]
    fn bad_investigator_address_is_named() {
        let err = parse("[[alerts.investigators]]\nname = \"Li\"\nemail = \"li at example\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.investigators[0].email"), "{err}");
    }

    #[test]
    fn index_rates_are_checked_and_named() {
        let cfg = parse("[index]\nrates = { USD = \"7.20\", JPY = 0.05 }\n").unwrap();
        let rates = cfg.index.rates().unwrap();
        assert_eq!(rates.rate(Currency::USD), Decimal::from_str("7.20").ok());
        assert_eq!(rates.rate(Currency::EUR), Decimal::from_str("7.70").ok());
        let err = parse("[index]\nrates = { USD = \"-1\" }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("index.rates.USD"), "{err}");
        let err = parse("[index]\nbase_currency = \"yuan\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("index.base_currency"), "{err}");
    }

    #[test]
    fn empty_file_gives_defaults() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg.detector.alert_min_risk, 0.6);
        assert!(
            !cfg.crawler.allow_loopback,
            "loopback must be refused by default"
        );
    }

    #[test]
    fn detector_settings_are_read_and_checked_by_key() {
        let cfg = parse(
            "[detector.settings]\nflag_missing_marks = false\n[detector.settings.signal_weights]\nseller = 0.5\n",
        )
        .unwrap();
        assert!(!cfg.detector.settings.flag_missing_marks);
        assert_eq!(cfg.detector.settings.signal_weights.seller, 0.5);
        assert_eq!(cfg.detector.settings.signal_weights.price, 1.0);
        let err = parse("[detector.settings]\nflag_missing_mark = true\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("flag_missing_mark"),
            "{err}"
        );
        let err = parse("[detector.settings.signal_weights]\nmark = 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`signal_weights.mark` is 2"), "{err}");
    }

    #[test]
    fn seeds_are_read_from_the_folder_with_file_and_line_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cfg_path = dir.path().join("qsword.toml");
        let cfg = parse("[detector]\nseeds_dir = \"seeds\"\n").unwrap();
        let err = cfg.catalogue(Some(&cfg_path)).unwrap_err().to_string();
        assert!(
            err.contains("detector.seeds_dir") && err.contains("not a folder"),
            "{err}"
        );
        std::fs::create_dir(dir.path().join("seeds")).unwrap();
        // Only cues.toml overridden: the other three are the built-in copies.
        std::fs::write(
            dir.path().join("seeds/cues.toml"),
            "[[cue]]\nword = \"假货\"\nweight = 0.7\n",
        )
        .unwrap();
        let catalogue = cfg.catalogue(Some(&cfg_path)).unwrap();
        assert_eq!(catalogue.cues.len(), 1);
        assert_eq!(catalogue.cues[0].word, "假货");
        assert_eq!(catalogue.brands, Catalogue::embedded().brands);
        std::fs::write(
            dir.path().join("seeds/cues.toml"),
            "[[cue]]\nword = \"假货\"\nweight = 7\n",
        )
        .unwrap();
        let err = cfg.catalogue(Some(&cfg_path)).unwrap_err().to_string();
        assert!(err.contains("cues.toml:3"), "{err}");
    }
}
