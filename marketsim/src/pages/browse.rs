//! Pages that lead to products: home, paginated category pages, search results, seller pages,
//! and the error pages.

use super::{chrome, esc, yuan};
use crate::catalogue::CATEGORIES;
use crate::market::{item_path, Market, Offer};
use std::fmt::Write;

/// Products per category page.
pub(crate) const PAGE_SIZE: usize = 20;

/// `item` prefixes product links: empty (relative links) or the product host's marker.
fn goods_list(m: &Market, shop: usize, offers: &[&Offer], item: &str) -> String {
    let y = yuan(m, shop);
    let mut s = String::from("<ul class=\"goods-list\">");
    for o in offers {
        let seller = &m.sellers[shop].all[o.seller];
        let _ = write!(
            s,
            "<li class=\"goods-item\"><a class=\"goods-link\" href=\"{item}{}\">{}</a> <span class=\"price\">{y}{}</span> \
             <a class=\"shop\" href=\"/seller/{}\">{}</a></li>",
            item_path(o.item_id),
            esc(&o.title),
            o.price,
            seller.id,
            esc(&seller.name)
        );
    }
    s.push_str("</ul>");
    s
}

pub(super) fn home(m: &Market, shop: usize, item: &str) -> String {
    let mut main = String::from("<section class=\"banner\"><h2>双11狂欢季 爆款直降</h2><p>满299减30，跨店可用</p></section>\n<section class=\"categories\"><h2>全部分类</h2><ul>");
    for (c, cat) in CATEGORIES.iter().enumerate() {
        let _ = write!(
            main,
            "<li><a href=\"/category/{}\">{}</a> <span class=\"count\">{}件商品</span></li>",
            cat.slug,
            esc(cat.zh),
            m.live[shop][c].len()
        );
    }
    main.push_str("</ul></section>\n<section class=\"hot\"><h2>热卖推荐</h2>");
    let hot: Vec<&Offer> = m.live[shop]
        .iter()
        .filter_map(|l| l.first())
        .map(|&i| &m.offers[i])
        .collect();
    main.push_str(&goods_list(m, shop, &hot, item));
    main.push_str("</section>");
    chrome(m, shop, "首页", "", &main)
}

/// Page `page_no` (from 1) of a category; `None` for an unknown category or a page past the end.
pub(super) fn category(
    m: &Market,
    shop: usize,
    slug: &str,
    page_no: usize,
    item: &str,
) -> Option<String> {
    let c = CATEGORIES.iter().position(|c| c.slug == slug)?;
    let list = &m.live[shop][c];
    let pages = list.len().div_ceil(PAGE_SIZE).max(1);
    if page_no == 0 || page_no > pages {
        return None;
    }
    let offers: Vec<&Offer> = list
        .iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|&i| &m.offers[i])
        .collect();
    let mut main = format!(
        "<div class=\"crumbs-nav\"><a href=\"/\">首页</a> &gt; {}</div>\n<div class=\"filter\">排序：<span>综合</span> <span>销量</span> <span>价格</span></div>\n{}\n<div class=\"pager\">",
        esc(CATEGORIES[c].zh),
        goods_list(m, shop, &offers, item)
    );
    if page_no > 1 {
        let _ = write!(
            main,
            "<a class=\"prev\" href=\"/category/{slug}?page={}\">上一页</a> ",
            page_no - 1
        );
    }
    let _ = write!(
        main,
        "<span class=\"current\">第{page_no}页 / 共{pages}页</span>"
    );
    if page_no < pages {
        let _ = write!(
            main,
            " <a class=\"next\" href=\"/category/{slug}?page={}\">下一页</a>",
            page_no + 1
        );
    }
    main.push_str("</div>");
    Some(chrome(m, shop, CATEGORIES[c].zh, "", &main))
}

pub(super) fn search(m: &Market, shop: usize, q: &str, item: &str) -> String {
    let needle = q.trim().to_lowercase();
    let hits: Vec<&Offer> = if needle.is_empty() {
        Vec::new()
    } else {
        m.live[shop]
            .iter()
            .flatten()
            .map(|&i| &m.offers[i])
            .filter(|o| {
                o.title.to_lowercase().contains(&needle) || o.brand.to_lowercase().contains(&needle)
            })
            .take(40)
            .collect()
    };
    let main = format!(
        "<h2>“{}” 的搜索结果（{}件）</h2>\n{}",
        esc(q),
        hits.len(),
        goods_list(m, shop, &hits, item)
    );
    chrome(m, shop, &format!("{q} - 搜索"), "", &main)
}

pub(super) fn seller(m: &Market, shop: usize, id: u64, item: &str) -> Option<String> {
    let (si, seller) = m.sellers[shop]
        .all
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == id)?;
    let offers: Vec<&Offer> = m.live_by_seller[shop][si]
        .iter()
        .take(60)
        .map(|&i| &m.offers[i])
        .collect();
    let badge = match seller.kind.as_str() {
        "official" => "<span class=\"badge\">品牌官方</span>",
        "authorised" => "<span class=\"badge\">品牌授权</span>",
        _ => "",
    };
    let main = format!(
        "<div class=\"shop-head\"><h1 class=\"shop-name\">{}</h1>{badge}<p>店铺评分 4.{} · 开店{}年</p></div>\n{}",
        esc(&seller.name),
        5 + id % 5,
        1 + id % 9,
        goods_list(m, shop, &offers, item)
    );
    Some(chrome(m, shop, &seller.name, "", &main))
}

pub(super) fn gone(m: &Market, shop: usize, status: u16) -> String {
    let text = if status == 410 {
        "该商品已删除"
    } else {
        "商品已下架或不存在"
    };
    chrome(
        m,
        shop,
        text,
        "",
        &format!("<div class=\"error\"><h1>{text}</h1><a href=\"/\">返回首页</a></div>"),
    )
}

pub(super) fn not_found(m: &Market, shop: usize) -> String {
    chrome(
        m,
        shop,
        "页面不存在",
        "",
        "<div class=\"error\"><h1>抱歉，您访问的页面不存在</h1><a href=\"/\">返回首页</a></div>",
    )
}

pub(super) fn members_only(m: &Market, shop: usize) -> String {
    chrome(m, shop, "请登录", "", "<div class=\"login\"><h1>请先登录</h1><form><input name=\"user\"><input name=\"pass\" type=\"password\"></form></div>")
}
