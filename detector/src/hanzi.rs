//! Chinese brand names and their imitations: a character swapped for one alike in shape
//! (公午/公牛, 雷碧/雪碧) or in sound (耐可/耐克, 农夫山全/农夫山泉 — near-homophones via pinyin,
//! with the s/sh, z/zh, c/ch, -n/-ng confusions of southern Mandarin), a character split in two
//! (周住牌 for 雕牌), or one character slipped in (六个土核桃 for 六个核桃).
//!
//! Matching is indexed by character: every character that is, looks like or sounds like a
//! character of a protected name points to (name, position), so a title is read once, not
//! once per name.

use pinyin::ToPinyinMulti;
use qsword_listing::text::is_han;
use std::collections::{HashMap, HashSet};

/// Pairs of Chinese characters a counterfeiter swaps for a brand's: alike in shape (午/牛, 秦/泰,
/// 雷/雪) or in sound (可/克, 菲/飞). Symmetric. Chosen per character of the protected names;
/// pairs that would turn a name into an everyday word are left out.
const NEAR_FORMS: &[(char, char)] = &[
    ('飞', '菲'),
    ('利', '力'),
    ('利', '立'),
    ('利', '莉'),
    ('利', '俐'),
    ('浦', '蒲'),
    ('浦', '莆'),
    ('浦', '甫'),
    ('浦', '普'),
    ('美', '羙'),
    ('美', '镁'),
    ('的', '帝'),
    ('的', '迪'),
    ('公', '工'),
    ('公', '功'),
    ('牛', '午'),
    ('牛', '生'),
    ('正', '止'),
    ('正', '政'),
    ('泰', '秦'),
    ('德', '徳'),
    ('德', '得'),
    ('力', '历'),
    ('力', '立'),
    ('西', '酉'),
    ('西', '茜'),
    ('曼', '蔓'),
    ('曼', '慢'),
    ('曼', '漫'),
    ('牌', '脾'),
    ('博', '搏'),
    ('博', '傅'),
    ('博', '薄'),
    ('世', '士'),
    ('世', '仕'),
    ('乐', '东'),
    ('乐', '勒'),
    ('高', '膏'),
    ('高', '搞'),
    ('高', '篙'),
    ('高', '稿'),
    ('好', '妤'),
    ('孩', '该'),
    ('孩', '骇'),
    ('子', '孑'),
    ('史', '吏'),
    ('丹', '舟'),
    ('丹', '单'),
    ('金', '全'),
    ('大', '犬'),
    ('大', '达'),
    ('嘉', '喜'),
    ('嘉', '佳'),
    ('实', '宝'),
    ('多', '夕'),
    ('孚', '浮'),
    ('孚', '俘'),
    ('孚', '乎'),
    ('孚', '孕'),
    ('小', '少'),
    ('小', '晓'),
    ('米', '木'),
    ('米', '未'),
    ('米', '迷'),
    ('华', '化'),
    ('华', '哗'),
    ('为', '伟'),
    ('为', '维'),
    ('安', '按'),
    ('安', '案'),
    ('克', '可'),
    ('克', '刻'),
    ('克', '客'),
    ('倍', '培'),
    ('倍', '陪'),
    ('倍', '蓓'),
    ('思', '恩'),
    ('思', '斯'),
    ('远', '运'),
    ('东', '冻'),
    ('电', '由'),
    ('缆', '揽'),
    ('缆', '览'),
    ('九', '久'),
    ('九', '丸'),
    ('阳', '杨'),
    ('阳', '扬'),
    ('阳', '羊'),
    ('阳', '洋'),
    ('苏', '酥'),
    ('泊', '伯'),
    ('泊', '柏'),
    ('泊', '铂'),
    ('尔', '迩'),
    ('尔', '耳'),
    ('沙', '莎'),
    ('沙', '纱'),
    ('沙', '砂'),
    ('钢', '刚'),
    ('钢', '岗'),
    ('钢', '纲'),
    ('耐', '奈'),
    ('红', '虹'),
    ('方', '芳'),
    ('雪', '雷'),
    ('雪', '血'),
    ('碧', '璧'),
    ('碧', '壁'),
    // Added with the consumer brands of the gold list (shape alike).
    ('师', '帅'),
    ('奥', '粤'),
    ('兔', '免'),
    ('兔', '兎'),
    ('牌', '碑'),
    ('桃', '挑'),
    ('蒙', '豪'),
    ('吉', '古'),
    ('王', '玉'),
    ('口', '日'),
    ('干', '千'),
    ('干', '于'),
    ('佳', '住'),
    ('李', '季'),
    ('鸭', '鸦'),
    ('星', '昇'),
    ('宁', '亍'),
];

/// Characters a counterfeiter writes as two (雕 → 周住 in 周住牌), as a reader's eye joins them.
const SPLITS: &[(char, &str)] = &[
    ('雕', "周住"),
    ('雕', "周隹"),
    ('好', "女子"),
    ('格', "木各"),
    ('娃', "女圭"),
    ('伊', "亻尹"),
    ('相', "木目"),
];

/// How a written character stands for a name's character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Likeness {
    Same,
    /// Alike in shape, from the table.
    Shape,
    /// Alike in sound: the same pinyin (toneless, any reading), s/sh z/zh c/ch and -n/-ng
    /// confused.
    Sound,
}

/// One imitation of a Chinese name found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct HanziMatch {
    /// Index of the name in the list the matcher was built from.
    pub name: usize,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub how: HanziImitation,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HanziImitation {
    /// Characters swapped: (written, genuine, likeness).
    Swapped(Vec<(char, char, Likeness)>),
    /// A character written as two.
    Split { written: String, genuine: char },
    /// One character slipped into the name.
    Inserted(char),
}

/// The Chinese names to protect, indexed for one pass over a text.
#[derive(Debug, Clone)]
pub struct HanziMatcher {
    names: Vec<Vec<char>>,
    /// written character → (name, position, likeness).
    index: HashMap<char, Vec<(u32, u8, Likeness)>>,
    /// Name spellings with one character split in two: (name, split spelling, written, genuine).
    splits: Vec<(usize, String, String, char)>,
}

impl HanziMatcher {
    pub fn new(names: &[Vec<char>]) -> HanziMatcher {
        let mut shape: HashMap<char, HashSet<char>> = HashMap::new();
        for &(a, b) in NEAR_FORMS {
            shape.entry(a).or_default().insert(b);
            shape.entry(b).or_default().insert(a);
        }
        let wanted: HashSet<char> = names.iter().flatten().copied().collect();
        let sounds = sound_alikes(&wanted);
        let mut index: HashMap<char, Vec<(u32, u8, Likeness)>> = HashMap::new();
        for (n, name) in names.iter().enumerate() {
            for (p, &g) in name.iter().enumerate() {
                let mut add = |w: char, how| {
                    let entry = index.entry(w).or_default();
                    if !entry
                        .iter()
                        .any(|&(en, ep, _)| en == n as u32 && ep == p as u8)
                    {
                        entry.push((n as u32, p as u8, how));
                    }
                };
                add(g, Likeness::Same);
                for &w in shape.get(&g).into_iter().flatten() {
                    add(w, Likeness::Shape);
                }
                for &w in sounds.get(&g).into_iter().flatten() {
                    add(w, Likeness::Sound);
                }
            }
        }
        let mut splits = Vec::new();
        for (n, name) in names.iter().enumerate() {
            for (p, &g) in name.iter().enumerate() {
                for &(c, parts) in SPLITS.iter().filter(|(c, _)| *c == g) {
                    let spelled: String = name[..p]
                        .iter()
                        .chain(parts.chars().collect::<Vec<_>>().iter())
                        .chain(&name[p + 1..])
                        .collect();
                    splits.push((n, spelled, parts.to_string(), c));
                }
            }
        }
        HanziMatcher {
            names: names.to_vec(),
            index,
            splits,
        }
    }

    /// The `i`-th name as written.
    pub fn name(&self, i: usize) -> String {
        self.names[i].iter().collect()
    }

    /// Every imitation of a name in `text` (already folded). Exact names are not imitations.
    pub fn imitations(&self, text: &str) -> Vec<HanziMatch> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut found = Vec::new();
        // (name, start char) → likeness per position.
        let mut windows: HashMap<(u32, usize), Vec<Option<Likeness>>> = HashMap::new();
        for (i, &(_, c)) in chars.iter().enumerate() {
            let Some(entries) = self.index.get(&c) else {
                continue;
            };
            for &(n, p, how) in entries {
                let p = p as usize;
                let len = self.names[n as usize].len();
                if i < p || i - p + len > chars.len() {
                    continue;
                }
                let slot = windows.entry((n, i - p)).or_insert_with(|| vec![None; len]);
                // Same beats Shape beats Sound where a character is several at once.
                if slot[p].is_none_or(|old| rank(how) < rank(old)) {
                    slot[p] = Some(how);
                }
            }
        }
        for ((n, start), slots) in windows {
            let name = &self.names[n as usize];
            if slots.iter().any(Option::is_none) {
                // One character slipped in: the name's head, one Han character, its tail.
                if name.len() >= 4 {
                    if let Some(m) = self.inserted(n as usize, &chars, start) {
                        found.push(m);
                    }
                }
                continue;
            }
            let swaps: Vec<(char, char, Likeness)> = slots
                .iter()
                .zip(name)
                .enumerate()
                .filter_map(|(k, (how, &g))| {
                    let how = (*how)?;
                    (how != Likeness::Same).then(|| (chars[start + k].1, g, how))
                })
                .collect();
            let allowed = if name.len() >= 3 { 2 } else { 1 };
            if swaps.is_empty() || swaps.len() > allowed {
                continue;
            }
            // Two sound-alikes in a three-character name leave too little of it.
            let sounds = swaps.iter().filter(|s| s.2 == Likeness::Sound).count();
            if swaps.len() == 2 && sounds > 0 && name.len() < 4 {
                continue;
            }
            let end_char = start + name.len();
            let end = chars.get(end_char).map_or(text.len(), |&(b, _)| b);
            found.push(HanziMatch {
                name: n as usize,
                start: chars[start].0,
                end,
                how: HanziImitation::Swapped(swaps),
            });
        }
        for (n, spelled, written, genuine) in &self.splits {
            for (at, _) in text.match_indices(spelled.as_str()) {
                found.push(HanziMatch {
                    name: *n,
                    start: at,
                    end: at + spelled.len(),
                    how: HanziImitation::Split {
                        written: written.clone(),
                        genuine: *genuine,
                    },
                });
            }
        }
        found.sort_by_key(|m| (m.start, m.name));
        found
    }

    fn inserted(&self, n: usize, chars: &[(usize, char)], start: usize) -> Option<HanziMatch> {
        let name = &self.names[n];
        let window = chars.get(start..start + name.len() + 1)?;
        if !window.iter().all(|&(_, c)| is_han(c)) {
            return None;
        }
        (1..name.len()).find_map(|k| {
            let head = window[..k]
                .iter()
                .map(|&(_, c)| c)
                .eq(name[..k].iter().copied());
            let tail = window[k + 1..]
                .iter()
                .map(|&(_, c)| c)
                .eq(name[k..].iter().copied());
            (head && tail).then(|| HanziMatch {
                name: n,
                start: window[0].0,
                end: chars.get(start + name.len() + 1).map_or(
                    window[name.len()].0 + window[name.len()].1.len_utf8(),
                    |&(b, _)| b,
                ),
                how: HanziImitation::Inserted(window[k].1),
            })
        })
    }
}

fn rank(l: Likeness) -> u8 {
    match l {
        Likeness::Same => 0,
        Likeness::Shape => 1,
        Likeness::Sound => 2,
    }
}

/// For each wanted character, the common characters that sound like it. Only the CJK Unified
/// Ideographs block is searched (the characters titles are written in).
fn sound_alikes(wanted: &HashSet<char>) -> HashMap<char, HashSet<char>> {
    let mut by_sound: HashMap<String, Vec<char>> = HashMap::new();
    for c in ('\u{4E00}'..='\u{9FFF}').filter(|c| is_common(*c)) {
        for s in sounds_of(c) {
            by_sound.entry(s).or_default().push(c);
        }
    }
    let mut out: HashMap<char, HashSet<char>> = HashMap::new();
    for &g in wanted {
        for s in sounds_of(g) {
            for &w in by_sound.get(&s).into_iter().flatten() {
                if w != g {
                    out.entry(g).or_default().insert(w);
                }
            }
        }
    }
    out
}

/// Toneless readings of a character, with the confusable sounds merged.
fn sounds_of(c: char) -> Vec<String> {
    let Some(multi) = c.to_pinyin_multi() else {
        return Vec::new();
    };
    multi.into_iter().map(|p| fuzzy(p.plain())).collect()
}

/// s/sh, z/zh, c/ch and -ng/-n are one sound to many speakers (山 shan / 三 san).
fn fuzzy(plain: &str) -> String {
    let s = plain
        .strip_prefix("zh")
        .map(|r| format!("z{r}"))
        .or_else(|| plain.strip_prefix("ch").map(|r| format!("c{r}")))
        .or_else(|| plain.strip_prefix("sh").map(|r| format!("s{r}")))
        .unwrap_or_else(|| plain.to_string());
    match s.strip_suffix('g') {
        Some(r) if r.ends_with('n') => r.to_string(),
        _ => s,
    }
}

/// The GB2312 level-1 range is not in Unicode order, so "common" is approximated by the
/// characters GBK encodes in its GB2312 part: those a title is likely written in.
fn is_common(c: char) -> bool {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
    !unmappable && bytes.len() == 2 && (0xB0..=0xF7).contains(&bytes[0]) && bytes[1] >= 0xA1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(names: &[&str]) -> HanziMatcher {
        HanziMatcher::new(
            &names
                .iter()
                .map(|n| n.chars().collect())
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn swaps_splits_and_insertions_are_found_and_the_name_itself_is_not() {
        let m = matcher(&["雕牌", "六个核桃", "农夫山泉", "耐克"]);
        let names = |t: &str| m.imitations(t).iter().map(|x| x.name).collect::<Vec<_>>();
        assert_eq!(names("周住牌 洗衣粉"), vec![0]);
        assert_eq!(names("六个土核桃 饮料"), vec![1]);
        assert_eq!(names("农夫三泉 矿泉水"), vec![2], "shan/san");
        assert_eq!(names("耐可 跑鞋"), vec![3]);
        assert!(names("耐克 跑鞋 农夫山泉").is_empty());
        let found = m.imitations("正品 奈克 跑鞋");
        assert_eq!(&"正品 奈克 跑鞋"[found[0].start..found[0].end], "奈克");
    }

    #[test]
    fn pinyin_is_read_with_the_southern_confusions() {
        assert_eq!(fuzzy("shan"), "san");
        assert_eq!(fuzzy("zhang"), "zan");
        assert_eq!(fuzzy("ming"), "min");
        assert!(sounds_of('山').contains(&"san".to_string()));
        assert!(is_common('山') && !is_common('兎'));
    }
}
