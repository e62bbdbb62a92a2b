//! Every robots.txt fixture of the shared corpus (crawler-commons' test files) parses, and the
//! RFC 9309 examples give the answers the RFC states (sections 2.2.1, 5.1, 5.2).

use std::path::{Path, PathBuf};

use qsword_crawler::robots::RobotsPolicy;
use url::Url;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/robots");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: robots corpus {} not present; robots corpus tests did not run",
            dir.display()
        );
        None
    }
}

fn policy(dir: &Path, file: &str, agent: &str) -> RobotsPolicy {
    let body = std::fs::read(dir.join(file)).unwrap();
    let (p, ok) = RobotsPolicy::parse(agent, &body);
    ok.unwrap_or_else(|e| panic!("{file}: {e}"));
    p
}

/// Asserts `agent` may (`true`) or may not fetch each path under `file`'s rules.
fn check(dir: &Path, file: &str, agent: &str, cases: &[(&str, bool)]) {
    let p = policy(dir, file, agent);
    for &(path, allowed) in cases {
        let url = Url::parse(&format!("http://www.example.com{path}")).unwrap();
        assert_eq!(p.allows(&url), allowed, "{file} agent {agent} path {path}");
    }
}

#[test]
fn every_corpus_file_parses() {
    let Some(dir) = corpus() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".txt") {
            for agent in ["qsword/0.1", "Googlebot/2.1", "foobot"] {
                policy(&dir, &name, agent);
            }
            n += 1;
        }
    }
    assert_eq!(n, 24, "the corpus README lists 24 robots.txt files");
}

#[test]
fn rfc9309_simple_example_section_5_1() {
    let Some(dir) = corpus() else { return };
    let f = "rfc9309-example-simple-robots.txt";
    check(
        &dir,
        f,
        "foobot",
        &[
            ("/example/page.html", true),
            ("/example/allowed.gif", true),
            ("/example/disallowed.gif", false),
            ("/", false),
        ],
    );
    for bot in ["barbot", "bazbot"] {
        check(
            &dir,
            f,
            bot,
            &[("/example/page.html", false), ("/example/other.html", true)],
        );
    }
    // quxbot's group has no rules: everything is allowed.
    check(
        &dir,
        f,
        "quxbot",
        &[("/example/page.html", true), ("/a.gif", true)],
    );
    // Any other bot falls under `*`.
    check(
        &dir,
        f,
        "otherbot",
        &[
            ("/a.gif", false),
            ("/a.gif?x", true),
            ("/example/x.html", false),
            ("/publications/", true),
            ("/", true),
        ],
    );
}

#[test]
fn rfc9309_longest_match_section_5_2() {
    let Some(dir) = corpus() else { return };
    check(
        &dir,
        "rfc9309-example-longest-match-robots.txt",
        "foobot",
        &[
            ("/example/page/", true),
            ("/example/page/other.html", true),
            ("/example/page/disallowed.gif", false),
        ],
    );
}

#[test]
fn rfc9309_groups_for_one_agent_merge_section_2_2_1() {
    let Some(dir) = corpus() else { return };
    let f = "rfc9309-example-rule-group-merging.txt";
    check(
        &dir,
        f,
        "ExampleBot",
        &[
            ("/foo", false),
            ("/bar", false),
            ("/baz", false),
            ("/", true),
        ],
    );
    check(&dir, f, "BazBot", &[("/baz", false), ("/foo", true)]);
    check(
        &dir,
        f,
        "otherbot",
        &[("/foo", false), ("/bar", false), ("/baz", true)],
    );
}

#[test]
fn longest_match_and_wildcards_in_real_files() {
    let Some(dir) = corpus() else { return };
    // testy's two groups merge; the longest matching pattern decides.
    check(
        &dir,
        "precedence-of-rules.txt",
        "testy",
        &[
            ("/foo", false),
            ("/foo/bar", true),
            ("/foo/baz", false),
            ("/other", true),
        ],
    );
    // amazon.com: inner, trailing and leading `*`.
    check(
        &dir,
        "wildcards.txt",
        "qsword/0.1",
        &[
            ("/gp/registry/wishlist/123/reserve", false),
            ("/wishlist/", false),
            // a trailing `*` allow, longer than `Disallow: /wishlist/`
            ("/wishlist/universal-button.html", true),
            ("/gp/wishlist/ipad-install?x=1", true),
            ("/abc/gcrnsts", false),
            ("/gp/cart", false),
            ("/dp/B000123", true),
        ],
    );
    // twitter.com: `/*?` forbids every query.
    check(
        &dir,
        "twitter.com-robots.txt",
        "qsword/0.1",
        &[
            ("/search?q=x", false),
            ("/jack", true),
            ("/jack/with_friends", false),
        ],
    );
}

#[test]
fn byte_order_marks_do_not_change_the_rules() {
    let Some(dir) = corpus() else { return };
    for f in [
        "robots-with-utf8-bom.txt",
        "robots-with-utf16le-bom.txt",
        "robots-with-utf16be-bom.txt",
    ] {
        check(
            &dir,
            f,
            "qsword/0.1",
            &[
                ("/login.aspx", false),
                ("/profile/me", false),
                ("/a/output/print", false),
                ("/products/1", true),
            ],
        );
    }
}

#[test]
fn sitemap_lines_are_exposed_resolved_and_deduplicated() {
    let Some(dir) = corpus() else { return };
    let robots = Url::parse("http://domain.com/robots.txt").unwrap();
    let urls = |file: &str| -> Vec<String> {
        policy(&dir, file, "qsword/0.1")
            .sitemaps(&robots)
            .iter()
            .map(Url::to_string)
            .collect()
    };
    let found = urls("sitemap-robots.txt");
    assert!(
        found.contains(&"http://domain.com/sitemap.xml".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"http://domain.com/dir/MixedCased-sitemap.xml".to_owned()),
        "{found:?}"
    );
    assert_eq!(
        urls("relative-sitemap-robots.txt"),
        ["http://domain.com/sitemap.xml"]
    );
    assert_eq!(
        urls("sitemap-robots-dedup.txt"),
        ["http://example.org/sitemap.xml"]
    );
    assert_eq!(
        urls("www.flot.com-robots.txt"),
        ["http://flot.com/sitemap_index.xml"]
    );
}
