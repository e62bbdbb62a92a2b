//! Every sitemap fixture of the shared corpus (crawler-commons' test sitemaps) parses, and
//! yields the `<loc>` URLs the file holds (counts and URLs checked by reading the files).

use std::path::{Path, PathBuf};

use qsword_crawler::sitemap::{parse_sitemap, Sitemap, SitemapKind};
use url::Url;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/sitemaps");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: sitemap corpus {} not present; sitemap corpus tests did not run",
            dir.display()
        );
        None
    }
}

fn parse(dir: &Path, rel: &str) -> Sitemap {
    let path = dir.join(rel);
    let body = std::fs::read(&path).unwrap();
    let url = Url::parse(&format!("http://corpus.example/{rel}")).unwrap();
    parse_sitemap(&body, &url).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixtures(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["", "extension"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_file() && name != "README.md" && name != "LICENSE" {
                out.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    out.sort();
    out
}

/// (file, kind, number of entries, first entry, last entry)
const EXPECTED: &[(&str, SitemapKind, usize, &str, &str)] = &[
    ("atom.xml", SitemapKind::Feed, 2, "http://example.org/2003/12/13/atom03", "http://example.org/2003/12/13/atom03.html"),
    ("do-not-visit.txt", SitemapKind::Text, 1, "http://www.example.com/do-not-visit-here", "http://www.example.com/do-not-visit-here"),
    ("sitemap-with-bom.txt", SitemapKind::Text, 2, "http://www.domain.com/page1.html", "http://www.domain.com/page2.html"),
    ("sitemap.badns.xml", SitemapKind::UrlSet, 2, "http://www.example.com/1", "http://www.example.com/2"),
    ("sitemap.index.xml", SitemapKind::Index, 15, "https://example.com/sitemap.jss?portalCode=10260&lang=en", "https://example.com/sitemap.jss?portalCode=10570&lang=en"),
    ("sitemap.ns.xml", SitemapKind::UrlSet, 2, "http://www.example.com/1", "http://www.example.com/2"),
    ("sitemap.txt", SitemapKind::Text, 2, "http://www.domain.com/page1.html", "http://www.domain.com/page2.html"),
    ("sitemap.txt.gz", SitemapKind::Text, 5, "http://www.example.com/", "http://www.example.com/catalog?item=83&desc=vacation_usa"),
    ("xmlSitemap.gz", SitemapKind::UrlSet, 5, "http://www.example.com/", "http://www.example.com/catalog?item=83&desc=vacation_usa"),
    ("extension/hebdenbridgetimes-articles-sitemap.xml", SitemapKind::UrlSet, 74, "http://www.hebdenbridgetimes.co.uk/news/local/video-tour-de-yorkshire-in-calderdale-1-7242580", ""),
    ("extension/pagemaps-sitemap.xml", SitemapKind::UrlSet, 2, "http://www.example.com/foo", "http://www.example.com/bar"),
    ("extension/shinpaideshou-news-sitemap.xml", SitemapKind::UrlSet, 3, "https://shinpaideshou.wordpress.com/2017/04/25/job-opening-reischauer-policy-research-fellow/", ""),
    ("extension/sitemap-images.xml", SitemapKind::UrlSet, 1, "http://www.example.com/images/some_image_landing_page.html", "http://www.example.com/images/some_image_landing_page.html"),
    ("extension/sitemap-links.xml", SitemapKind::UrlSet, 3, "http://www.example.com/english/", "http://www.example.com/schweiz-deutsch/"),
    ("extension/sitemap-mobile.xml", SitemapKind::UrlSet, 3, "http://www.example.com/mobile-friendly-1/", ""),
    ("extension/sitemap-news.xml", SitemapKind::UrlSet, 2, "http://www.example.org/business/article55.html", "http://www.example.org/empty_news_name.html"),
    ("extension/sitemap-videos-tvshow.xml", SitemapKind::UrlSet, 1, "https://example.org/my-tv-show/23/13/", "https://example.org/my-tv-show/23/13/"),
    ("extension/sitemap-videos.xml", SitemapKind::UrlSet, 3, "http://www.example.com/videos/some_video_landing_page.html", ""),
];

fn entries(s: &Sitemap) -> Vec<&str> {
    match s.kind {
        SitemapKind::Index => s.sitemaps.iter().map(Url::as_str).collect(),
        _ => s.urls.iter().map(|u| u.loc.as_str()).collect(),
    }
}

#[test]
fn every_corpus_sitemap_yields_its_loc_urls() {
    let Some(dir) = corpus() else { return };
    let files = fixtures(&dir);
    let known: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(
        files,
        {
            let mut k = known.clone();
            k.sort();
            k
        },
        "corpus files and expectations differ"
    );
    for &(file, kind, n, first, last) in EXPECTED {
        let s = parse(&dir, file);
        let got = entries(&s);
        assert_eq!(s.kind, kind, "{file}");
        assert_eq!(got.len(), n, "{file}: {got:?} skipped {:?}", s.skipped);
        assert_eq!(got[0], first, "{file}");
        if !last.is_empty() {
            assert_eq!(*got.last().unwrap(), last, "{file}");
        }
        assert!(s.truncated.is_none(), "{file}: {:?}", s.truncated);
        assert_eq!(s.skipped_count, 0, "{file}: {:?}", s.skipped);
    }
}

#[test]
fn lastmod_dates_are_read_in_every_w3c_form() {
    let Some(dir) = corpus() else { return };
    let s = parse(&dir, "xmlSitemap.gz");
    let lastmods: Vec<Option<String>> = s
        .urls
        .iter()
        .map(|u| u.lastmod.map(|d| d.to_rfc3339()))
        .collect();
    assert_eq!(
        lastmods,
        [
            Some("2005-01-01T00:00:00+00:00".to_owned()),
            None,
            Some("2004-12-23T00:00:00+00:00".to_owned()),
            Some("2004-12-23T18:00:15+00:00".to_owned()),
            Some("2004-11-23T00:00:00+00:00".to_owned()),
        ]
    );
    let atom = parse(&dir, "atom.xml");
    assert_eq!(
        atom.urls[0].lastmod.map(|d| d.to_rfc3339()).as_deref(),
        Some("2003-12-13T18:30:02+00:00")
    );
}

#[test]
fn gzip_and_plain_text_sitemaps_agree() {
    let Some(dir) = corpus() else { return };
    let xml = parse(&dir, "xmlSitemap.gz");
    let txt = parse(&dir, "sitemap.txt.gz");
    assert_eq!(entries(&xml), entries(&txt));
}
