//! Block pages: the answers a shop gives a crawler it does not want — a captcha or slider, a
//! login wall — and soft 404s, which come with status 200 and look like pages. None of them is
//! a listing; a blocked visit slows the host down and is tried again, a soft 404 is a page
//! that is gone.
//!
//! The generic cues are principles that hold across shops, not any one shop's wording: a
//! block page is short, names a verification step (captcha, slider, "verify you are human")
//! or asks for a password, and carries no product. A site file adds its own cues
//! (`block_text`) for walls the generic ones miss.

use regex::Regex;
use scraper::{Html, Selector};
use std::sync::LazyLock;

/// What kind of page stood in for the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A captcha, slider or "are you human" check.
    Captcha,
    /// Sign in first.
    LoginWall,
    /// The site's own cue (`block_text`).
    SiteRule,
    /// "Page not found" served with 200: the page is gone, nobody is blocking.
    SoftNotFound,
}

impl BlockKind {
    /// Whether the shop is pushing back (slow down, try again later), as opposed to a soft 404.
    pub fn is_block(self) -> bool {
        self != BlockKind::SoftNotFound
    }
}

/// A page recognised as a block page, with a reason an operator can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub reason: String,
}

/// Visible text longer than this is a real page with a stray word, not a wall.
const WALL_TEXT_CHARS: usize = 1_500;

/// Words that name a verification step, in the languages shops use. Matched on the visible
/// text of short pages only.
static CAPTCHA_CUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)验证码|滑块|拖动.{0,12}验证|安全验证|人机验证|完成验证|访问验证|行为验证|captcha|verify (that )?you are (a )?human|are you a robot|unusual traffic|security check",
    )
    .expect("valid regex")
});

/// Class and id words of captcha widgets (the markup, for pages whose text is drawn by script).
static CAPTCHA_MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)captcha|geetest|slider|nocaptcha|\bnc_").expect("valid regex")
});

static LOGIN_CUES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)登录|登陆|sign in|log ?in").expect("valid regex"));

static NOT_FOUND_CUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b404\b|页面不存在|页面找不到|找不到(该|此)?页面|您访问的页面|page not found|not found|no longer available",
    )
    .expect("valid regex")
});

static SEL_TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title, h1").unwrap());
static SEL_PASSWORD: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("input[type=password]").unwrap());
static SEL_MARKED: LazyLock<Selector> = LazyLock::new(|| Selector::parse("[class], [id]").unwrap());
static SEL_BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").unwrap());

/// The visible text of the page's body, whitespace collapsed, cut after `limit` characters
/// (a page longer than a wall is not one, whatever else it says).
fn visible_text(doc: &Html, limit: usize) -> String {
    let Some(body) = doc.select(&SEL_BODY).next() else {
        return String::new();
    };
    let mut out = String::new();
    let mut chars = 0;
    for node in body.descendants() {
        let Some(t) = node.value().as_text() else {
            continue;
        };
        // Script, style and template text sits directly in its element.
        let hidden = node
            .parent()
            .and_then(|p| p.value().as_element().map(|e| e.name()))
            .is_some_and(|n| matches!(n, "script" | "style" | "noscript" | "template"));
        if hidden {
            continue;
        }
        for w in t.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
            chars += w.chars().count() + 1;
            if chars > limit {
                return out;
            }
        }
    }
    out
}

/// Whether a 200 page stands in for the page asked for; `has_listing` says extraction found a
/// product on it (a real product page that happens to mention a captcha is not a wall).
pub fn block_page(doc: &Html, site_cues: &[Regex], has_listing: bool) -> Option<Block> {
    // Most pages are product pages with a listing and no site cue: nothing to read.
    if site_cues.is_empty() && has_listing {
        return None;
    }
    let limit = if site_cues.is_empty() {
        WALL_TEXT_CHARS
    } else {
        usize::MAX
    };
    let text = visible_text(doc, limit);
    if let Some(re) = site_cues.iter().find(|re| re.is_match(&text)) {
        return Some(Block {
            kind: BlockKind::SiteRule,
            reason: format!("the site's block_text {:?} matched", re.as_str()),
        });
    }
    if has_listing {
        return None;
    }
    let short = text.chars().count() <= WALL_TEXT_CHARS;
    if !short {
        return None;
    }
    if let Some(m) = CAPTCHA_CUES.find(&text) {
        return Some(Block {
            kind: BlockKind::Captcha,
            reason: format!("captcha or slider page ({:?})", m.as_str()),
        });
    }
    let marked = doc.select(&SEL_MARKED).find(|e| {
        let v = e.value();
        v.attr("class")
            .into_iter()
            .chain(v.attr("id"))
            .any(|s| CAPTCHA_MARKUP.is_match(s))
    });
    if marked.is_some() && text.chars().count() < 300 {
        return Some(Block {
            kind: BlockKind::Captcha,
            reason: "captcha widget on an almost empty page".into(),
        });
    }
    if doc.select(&SEL_PASSWORD).next().is_some() && LOGIN_CUES.is_match(&text) {
        return Some(Block {
            kind: BlockKind::LoginWall,
            reason: "login wall (a password form instead of the page)".into(),
        });
    }
    let heading: String = doc
        .select(&SEL_TITLE)
        .flat_map(|e| e.text())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(m) = NOT_FOUND_CUES.find(&heading) {
        return Some(Block {
            kind: BlockKind::SoftNotFound,
            reason: format!("soft 404: status 200 but the title says {:?}", m.as_str()),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(html: &str) -> Option<BlockKind> {
        block_page(&Html::parse_document(html), &[], false).map(|b| b.kind)
    }

    #[test]
    fn walls_in_chinese_and_english_are_recognised() {
        assert_eq!(
            check("<html><body><div class=verify><p>为了您的账号安全，请按住滑块，拖动到最右边</p></div></body></html>"),
            Some(BlockKind::Captcha)
        );
        assert_eq!(
            check("<title>安全验证</title><body>访问过于频繁，请输入验证码后继续</body>"),
            Some(BlockKind::Captcha)
        );
        assert_eq!(
            check("<body><h2>Please verify you are a human</h2></body>"),
            Some(BlockKind::Captcha)
        );
        assert_eq!(
            check("<body><div id=geetest_box></div><script>init()</script></body>"),
            Some(BlockKind::Captcha)
        );
        assert_eq!(
            check("<body><form>账号 <input name=u> 密码 <input type=password> <button>登录</button></form></body>"),
            Some(BlockKind::LoginWall)
        );
        assert_eq!(
            check("<title>404 - 页面不存在</title><body>返回首页</body>"),
            Some(BlockKind::SoftNotFound)
        );
    }

    #[test]
    fn real_pages_that_mention_the_words_are_not_walls() {
        // A product page with a listing is never a wall, whatever its footer says.
        let page = "<body><h1>公牛插座</h1><p>¥59.00</p><footer>登录 | 验证码登录</footer></body>";
        assert_eq!(block_page(&Html::parse_document(page), &[], true), None);
        // A long category page that mentions a captcha once is a page.
        let long = format!(
            "<body>{}<p>短信验证码登录</p></body>",
            "<p>公牛 GN-H3 插座 三位 总控 1.8米 ¥39.00</p>".repeat(60)
        );
        assert_eq!(check(&long), None);
        // A search page with a price slider widget and plenty of text is a page.
        assert_eq!(
            check(&format!(
                "<body><div class=price-slider></div>{}</body>",
                "<p>商品 ¥9.90 包邮</p>".repeat(30)
            )),
            None
        );
        assert_eq!(
            check("<title>小米 充电宝 10000mAh</title><body>¥99</body>"),
            None
        );
    }

    #[test]
    fn a_sites_own_cue_applies_even_to_pages_with_a_listing() {
        let cue = [Regex::new("系统繁忙").unwrap()];
        let doc = Html::parse_document("<body><h1>X</h1>系统繁忙，请稍后再试 ¥1</body>");
        assert_eq!(
            block_page(&doc, &cue, true).map(|b| b.kind),
            Some(BlockKind::SiteRule)
        );
    }
}
