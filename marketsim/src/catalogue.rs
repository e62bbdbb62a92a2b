//! The product catalogue the marketplace sells: focus categories of the enforcement campaign,
//! real brands (zh + en) and product templates with realistic CNY reference prices.
//!
//! The templates are hand-written; bigger markets (`products` > the number of templates) reuse
//! them with derived model numbers and prices, so 2 000 products still look like real goods.

/// Which certification or licence a category's genuine listings show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkRule {
    /// China Compulsory Certification: a 16-digit certificate number.
    Ccc,
    /// Fertilizer registration certificate (肥料登记证), e.g. `农肥(2019)准字1234号`.
    FertilizerRegistration,
    /// Industrial product production licence (生产许可证), e.g. `XK05-001-01234` for rebar.
    ProductionLicence,
    /// Nothing compulsory.
    None,
}

/// A focus category: qsword's slug, the shop's top breadcrumb and its mark rule.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub slug: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub mark: MarkRule,
}

pub const CATEGORIES: &[Category] = &[
    Category {
        slug: "toys",
        zh: "玩具乐器",
        en: "Toys",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "childrens-products",
        zh: "母婴童车",
        en: "Children's Products",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "household-appliances",
        zh: "家用电器",
        en: "Home Appliances",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "wire-cable",
        zh: "电线电缆",
        en: "Wire & Cable",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "switches-sockets",
        zh: "开关插座",
        en: "Switches & Sockets",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "chargers-power-banks",
        zh: "手机配件",
        en: "Chargers & Power Banks",
        mark: MarkRule::Ccc,
    },
    Category {
        slug: "fertilizers",
        zh: "农资肥料",
        en: "Fertilizers",
        mark: MarkRule::FertilizerRegistration,
    },
    Category {
        slug: "agri-machinery-parts",
        zh: "农机配件",
        en: "Agricultural Machinery Parts",
        mark: MarkRule::None,
    },
    Category {
        slug: "steel",
        zh: "钢材建材",
        en: "Steel",
        mark: MarkRule::ProductionLicence,
    },
    Category {
        slug: "auto-filters",
        zh: "汽车配件",
        en: "Auto Parts",
        mark: MarkRule::None,
    },
    Category {
        slug: "lubricants-fuel",
        zh: "汽车养护",
        en: "Lubricants & Fuel",
        mark: MarkRule::None,
    },
];

pub fn category(slug: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.slug == slug)
}

/// A brand as it is written in Chinese and English, with hand-picked look-alikes that
/// counterfeiters use (near-form and near-homophone characters, typos). Algorithmic variants
/// (full-width letters, `0/O`, `rn/m`, `l/I`) are added by the counterfeit module.
#[derive(Debug, Clone, Copy)]
pub struct Brand {
    pub zh: &'static str,
    pub en: &'static str,
    /// Protected brands are the ones counterfeiters imitate; accessory makers are not.
    pub protected: bool,
    pub zh_lookalikes: &'static [&'static str],
    pub en_lookalikes: &'static [&'static str],
}

pub const BRANDS: &[Brand] = &[
    Brand {
        zh: "飞利浦",
        en: "Philips",
        protected: true,
        zh_lookalikes: &["飞利蒲", "飞立浦"],
        en_lookalikes: &["Philipps", "Phiilps"],
    },
    Brand {
        zh: "美的",
        en: "Midea",
        protected: true,
        zh_lookalikes: &["美帝", "美地"],
        en_lookalikes: &["Midia", "Mdiea"],
    },
    Brand {
        zh: "公牛",
        en: "BULL",
        protected: true,
        zh_lookalikes: &["公午", "公生"],
        en_lookalikes: &["BUL", "BULI"],
    },
    Brand {
        zh: "正泰",
        en: "CHINT",
        protected: true,
        zh_lookalikes: &["正秦", "正奏"],
        en_lookalikes: &["CHIMT", "CHNT"],
    },
    Brand {
        zh: "德力西",
        en: "DELIXI",
        protected: true,
        zh_lookalikes: &["德力酉", "德立西"],
        en_lookalikes: &["DELIXL", "DELIX1"],
    },
    Brand {
        zh: "曼牌",
        en: "MANN-FILTER",
        protected: true,
        zh_lookalikes: &["曼脾", "蔓牌"],
        en_lookalikes: &["MAN-FILTER", "MANN-FILTFR"],
    },
    Brand {
        zh: "博世",
        en: "BOSCH",
        protected: true,
        zh_lookalikes: &["博士", "博仕"],
        en_lookalikes: &["BOSH", "BOCSH"],
    },
    Brand {
        zh: "乐高",
        en: "LEGO",
        protected: true,
        zh_lookalikes: &["乐搞", "勒高"],
        en_lookalikes: &["LECO", "LEGOO"],
    },
    Brand {
        zh: "好孩子",
        en: "goodbaby",
        protected: true,
        zh_lookalikes: &["好孩了", "好孫子"],
        en_lookalikes: &["goodbady", "gooodbaby"],
    },
    Brand {
        zh: "史丹利",
        en: "Stanley",
        protected: true,
        zh_lookalikes: &["史丹莉", "史丹力"],
        en_lookalikes: &["Stanlay", "Standley"],
    },
    Brand {
        zh: "金正大",
        en: "Kingenta",
        protected: true,
        zh_lookalikes: &["金正太", "金正犬"],
        en_lookalikes: &["Kingneta", "Kingenda"],
    },
    Brand {
        zh: "嘉实多",
        en: "Castrol",
        protected: true,
        zh_lookalikes: &["嘉食多", "佳实多"],
        en_lookalikes: &["Castroll", "Castro1"],
    },
    Brand {
        zh: "美孚",
        en: "Mobil",
        protected: true,
        zh_lookalikes: &["美孕", "美浮"],
        en_lookalikes: &["Mobii", "Mobill"],
    },
    Brand {
        zh: "小米",
        en: "Xiaomi",
        protected: true,
        zh_lookalikes: &["小未", "小咪"],
        en_lookalikes: &["Xiaomy", "Xaiomi"],
    },
    Brand {
        zh: "安克",
        en: "Anker",
        protected: true,
        zh_lookalikes: &["安可", "按克"],
        en_lookalikes: &["Ankor", "Ankerr"],
    },
    Brand {
        zh: "倍思",
        en: "Baseus",
        protected: true,
        zh_lookalikes: &["倍恩", "培思"],
        en_lookalikes: &["Baseuss", "Basues"],
    },
    Brand {
        zh: "远东电缆",
        en: "Far East Cable",
        protected: true,
        zh_lookalikes: &["远东电揽", "远冻电缆"],
        en_lookalikes: &["Far Eest Cable", "FarEast Cabel"],
    },
    Brand {
        zh: "九阳",
        en: "Joyoung",
        protected: true,
        zh_lookalikes: &["九杨", "久阳"],
        en_lookalikes: &["Joyuong", "Joyong"],
    },
    Brand {
        zh: "苏泊尔",
        en: "SUPOR",
        protected: true,
        zh_lookalikes: &["苏伯尔", "苏泊尓"],
        en_lookalikes: &["SUPOOR", "SUPRO"],
    },
    Brand {
        zh: "沙钢",
        en: "Shagang",
        protected: true,
        zh_lookalikes: &["沙刚", "莎钢"],
        en_lookalikes: &["Shagong", "Shangang"],
    },
    Brand {
        zh: "东方红",
        en: "YTO",
        protected: true,
        zh_lookalikes: &["东方虹", "东芳红"],
        en_lookalikes: &["YT0", "YTQ"],
    },
    // Makers of compatible replacement parts: real, legal, and not imitated here.
    Brand {
        zh: "马勒",
        en: "MAHLE",
        protected: false,
        zh_lookalikes: &[],
        en_lookalikes: &[],
    },
    Brand {
        zh: "汉格斯特",
        en: "HENGST",
        protected: false,
        zh_lookalikes: &[],
        en_lookalikes: &[],
    },
    Brand {
        zh: "绿联",
        en: "UGREEN",
        protected: false,
        zh_lookalikes: &[],
        en_lookalikes: &[],
    },
    Brand {
        zh: "品胜",
        en: "PISEN",
        protected: false,
        zh_lookalikes: &[],
        en_lookalikes: &[],
    },
];

pub fn brand(en: &str) -> &'static Brand {
    BRANDS
        .iter()
        .find(|b| b.en == en)
        .expect("template names a brand in BRANDS")
}

/// A product as its maker sells it; offers are generated from it.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub brand: &'static str,
    pub category: &'static str,
    /// Second breadcrumb level, e.g. 厨房电器.
    pub sub: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub model: &'static str,
    /// Reference (manufacturer's suggested / usual street) price in CNY.
    pub price: f64,
    /// CCC product code (4 digits) for CCC categories, "" otherwise.
    pub ccc_code: &'static str,
    pub specs: &'static [(&'static str, &'static str)],
}

macro_rules! t {
    ($brand:expr, $cat:expr, $sub:expr, $zh:expr, $en:expr, $model:expr, $price:expr, $code:expr, [$(($k:expr, $v:expr)),* $(,)?]) => {
        Template { brand: $brand, category: $cat, sub: $sub, name_zh: $zh, name_en: $en, model: $model,
                   price: $price, ccc_code: $code, specs: &[$(($k, $v)),*] }
    };
}

pub const TEMPLATES: &[Template] = &[
    // household appliances (CCC 07xx)
    t!(
        "Philips",
        "household-appliances",
        "厨房电器",
        "空气炸锅 4.1L 家用大容量",
        "Air Fryer 4.1L",
        "HD9252/91",
        399.0,
        "0712",
        [("功率", "1400W"), ("容量", "4.1L")]
    ),
    t!(
        "Philips",
        "household-appliances",
        "个人护理",
        "电动剃须刀 三刀头 全身水洗",
        "Electric Shaver",
        "S5266/12",
        599.0,
        "0709",
        [("刀头", "三刀头"), ("续航", "60分钟")]
    ),
    t!(
        "Midea",
        "household-appliances",
        "厨房电器",
        "电饭煲 4L 智能预约 噪音<40dB",
        "Rice Cooker 4L",
        "MB-FB40E511",
        299.0,
        "0711",
        [("容量", "4L"), ("功率", "860W")]
    ),
    t!(
        "Midea",
        "household-appliances",
        "厨房电器",
        "电磁炉 2200W 触控 火锅炒菜",
        "Induction Cooker 2200W",
        "C22-RT22E01",
        229.0,
        "0714",
        [("功率", "2200W")]
    ),
    t!(
        "Midea",
        "household-appliances",
        "生活电器",
        "落地扇 七叶 遥控定时",
        "Floor Fan",
        "SAF30AC",
        249.0,
        "0704",
        [("功率", "45W"), ("叶片", "7叶")]
    ),
    t!(
        "Joyoung",
        "household-appliances",
        "厨房电器",
        "豆浆机 1.3L 免滤 预约",
        "Soymilk Maker 1.3L",
        "DJ13B-D08D",
        399.0,
        "0713",
        [("容量", "1.3L")]
    ),
    t!(
        "Joyoung",
        "household-appliances",
        "厨房电器",
        "破壁机 加热 静音 1.75L",
        "High-speed Blender",
        "L18-P393",
        699.0,
        "0713",
        [("容量", "1.75L"), ("功率", "1000W")]
    ),
    t!(
        "SUPOR",
        "household-appliances",
        "厨房电器",
        "电压力锅 5L 双胆 一键排气",
        "Electric Pressure Cooker 5L",
        "SY-50YC8001",
        399.0,
        "0711",
        [("容量", "5L")]
    ),
    t!(
        "SUPOR",
        "household-appliances",
        "厨房电器",
        "电热水壶 1.7L 304不锈钢",
        "Electric Kettle 1.7L",
        "SW-17S22A",
        129.0,
        "0705",
        [("容量", "1.7L"), ("功率", "1800W")]
    ),
    t!(
        "Xiaomi",
        "household-appliances",
        "厨房电器",
        "米家电水壶2 1.7L",
        "Mijia Electric Kettle 2",
        "MJDSH04YM",
        99.0,
        "0705",
        [("容量", "1.7L")]
    ),
    // toys and children's products (CCC 22xx, used consistently: 2201 children's cycles and
    // strollers, 2202 electric toys, 2203 plastic toys, 2204 child restraints)
    t!(
        "LEGO",
        "toys",
        "积木拼插",
        "城市系列 特快客运列车 拼插积木",
        "City Express Passenger Train",
        "60337",
        699.0,
        "2203",
        [("适用年龄", "7岁+"), ("颗粒数", "764")]
    ),
    t!(
        "LEGO",
        "toys",
        "积木拼插",
        "经典创意 大号积木盒",
        "Classic Creative Fun",
        "11005",
        199.0,
        "2203",
        [("适用年龄", "4岁+"), ("颗粒数", "1500")]
    ),
    t!(
        "LEGO",
        "toys",
        "积木拼插",
        "机械组 迈凯伦F1赛车",
        "Technic McLaren Formula 1",
        "42141",
        1099.0,
        "2203",
        [("适用年龄", "18岁+"), ("颗粒数", "1432")]
    ),
    t!(
        "goodbaby",
        "childrens-products",
        "婴儿推车",
        "婴儿推车 轻便折叠 可坐可躺",
        "Baby Stroller",
        "D850",
        1299.0,
        "2201",
        [("适用年龄", "0-36个月"), ("承重", "25kg")]
    ),
    t!(
        "goodbaby",
        "childrens-products",
        "安全座椅",
        "儿童安全座椅 ISOFIX 0-7岁 360°旋转",
        "Child car seat ISOFIX",
        "CS779",
        1499.0,
        "2204",
        [("适用年龄", "0-7岁"), ("接口", "ISOFIX")]
    ),
    t!(
        "goodbaby",
        "childrens-products",
        "儿童出行",
        "儿童三轮车 脚踏车 1-6岁",
        "Kids Tricycle",
        "SR500",
        399.0,
        "2201",
        [("适用年龄", "1-6岁")]
    ),
    t!(
        "goodbaby",
        "toys",
        "电动玩具",
        "儿童电动车 四轮遥控 可坐",
        "Kids Ride-on Electric Car",
        "W472Q",
        899.0,
        "2202",
        [("电池", "12V"), ("适用年龄", "1-6岁")]
    ),
    // wire & cable (CCC 0105)
    t!(
        "Far East Cable",
        "wire-cable",
        "家装电线",
        "BV2.5平方 单芯铜线 国标 100米",
        "BV 2.5mm² copper wire 100m",
        "BV2.5",
        269.0,
        "0105",
        [("截面积", "2.5mm²"), ("长度", "100米")]
    ),
    t!(
        "Far East Cable",
        "wire-cable",
        "家装电线",
        "BVR4平方 多股软线 国标 100米",
        "BVR 4mm² flexible wire 100m",
        "BVR4",
        429.0,
        "0105",
        [("截面积", "4mm²"), ("长度", "100米")]
    ),
    t!(
        "Far East Cable",
        "wire-cable",
        "护套线",
        "RVV 3×1.5 护套线 100米",
        "RVV 3x1.5 sheathed cable 100m",
        "RVV3x1.5",
        359.0,
        "0105",
        [("芯数", "3芯"), ("长度", "100米")]
    ),
    t!(
        "CHINT",
        "wire-cable",
        "家装电线",
        "正泰电线 BV4平方 单芯硬线 100米",
        "BV 4mm² copper wire 100m",
        "BV4",
        399.0,
        "0105",
        [("截面积", "4mm²")]
    ),
    t!(
        "DELIXI",
        "wire-cable",
        "家装电线",
        "BV1.5平方 单芯铜线 100米",
        "BV 1.5mm² copper wire 100m",
        "BV1.5",
        179.0,
        "0105",
        [("截面积", "1.5mm²")]
    ),
    // switches & sockets (CCC 0201 plugs/sockets, 0202 switches)
    t!(
        "BULL",
        "switches-sockets",
        "插线板",
        "新国标插座 5孔位 1.8米 总控开关",
        "Power Strip 5 outlets 1.8m",
        "GN-B3050",
        59.0,
        "0201",
        [("插孔", "5孔位"), ("线长", "1.8米")]
    ),
    t!(
        "BULL",
        "switches-sockets",
        "插线板",
        "USB插座 3孔+3USB 2米",
        "USB Power Strip",
        "GN-U3303",
        79.0,
        "0201",
        [("插孔", "3孔位+3USB"), ("线长", "2米")]
    ),
    t!(
        "BULL",
        "switches-sockets",
        "墙壁开关",
        "G07 五孔插座 86型 暗装",
        "G07 wall socket 5-hole",
        "G07Z223",
        15.9,
        "0201",
        [("规格", "86型")]
    ),
    t!(
        "BULL",
        "switches-sockets",
        "墙壁开关",
        "G28 一开单控开关 86型",
        "G28 one-gang switch",
        "G28K111",
        12.9,
        "0202",
        [("规格", "86型")]
    ),
    t!(
        "CHINT",
        "switches-sockets",
        "墙壁开关",
        "NEW7L 五孔插座 10A 86型",
        "NEW7L wall socket 10A",
        "NEW7L-10A",
        9.9,
        "0201",
        [("额定电流", "10A")]
    ),
    t!(
        "CHINT",
        "switches-sockets",
        "墙壁开关",
        "NEW2S 双开双控开关",
        "NEW2S two-gang switch",
        "NEW2S-K22",
        13.5,
        "0202",
        [("规格", "86型")]
    ),
    t!(
        "DELIXI",
        "switches-sockets",
        "墙壁开关",
        "CD816 五孔插座 斜五孔",
        "CD816 wall socket",
        "CD816-5K",
        11.9,
        "0201",
        [("额定电流", "10A")]
    ),
    // chargers & power banks (CCC 0907 adapters, 0911 power banks)
    t!(
        "Anker",
        "chargers-power-banks",
        "移动电源",
        "充电宝 10000mAh 22.5W 快充",
        "PowerCore 10000 power bank",
        "A1263",
        149.0,
        "0911",
        [("容量", "10000mAh"), ("输出", "22.5W")]
    ),
    t!(
        "Anker",
        "chargers-power-banks",
        "充电器",
        "65W 氮化镓充电器 USB-C & USB-A 三口",
        "65W GaN charger",
        "A2668",
        199.0,
        "0907",
        [("功率", "65W")]
    ),
    t!(
        "Anker",
        "chargers-power-banks",
        "充电器",
        "Nano 20W PD快充头",
        "Nano 20W charger",
        "A2633",
        79.0,
        "0907",
        [("功率", "20W")]
    ),
    t!(
        "Xiaomi",
        "chargers-power-banks",
        "移动电源",
        "小米充电宝 10000mAh 22.5W",
        "Mi Power Bank 10000mAh",
        "PB1022ZM",
        129.0,
        "0911",
        [("容量", "10000mAh")]
    ),
    t!(
        "Xiaomi",
        "chargers-power-banks",
        "充电器",
        "67W 快充充电器 Type-C",
        "67W charger",
        "MDY-12-EH",
        99.0,
        "0907",
        [("功率", "67W")]
    ),
    t!(
        "Baseus",
        "chargers-power-banks",
        "移动电源",
        "充电宝 20000mAh 65W 笔记本可充",
        "Blade power bank 20000mAh",
        "PPBD050001",
        259.0,
        "0911",
        [("容量", "20000mAh"), ("输出", "65W")]
    ),
    t!(
        "Baseus",
        "chargers-power-banks",
        "充电器",
        "65W 氮化镓 2C1A 快充头",
        "65W GaN charger",
        "CCGAN65",
        129.0,
        "0907",
        [("功率", "65W")]
    ),
    // fertilizers (registration certificate)
    t!(
        "Stanley",
        "fertilizers",
        "复合肥",
        "硫酸钾型复合肥 15-15-15 50kg",
        "Compound fertilizer 15-15-15 50kg",
        "S-45-SOP",
        189.0,
        "",
        [("养分", "N-P-K 15-15-15"), ("净含量", "50kg")]
    ),
    t!(
        "Stanley",
        "fertilizers",
        "水溶肥",
        "大量元素水溶肥 高钾型 10kg",
        "Water-soluble fertilizer 10kg",
        "S-WS-2030",
        119.0,
        "",
        [("净含量", "10kg")]
    ),
    t!(
        "Kingenta",
        "fertilizers",
        "控释肥",
        "控释掺混肥 26-10-12 40kg",
        "Controlled-release fertilizer 40kg",
        "KT-CRF-48",
        199.0,
        "",
        [("养分", "26-10-12"), ("净含量", "40kg")]
    ),
    t!(
        "Kingenta",
        "fertilizers",
        "水溶肥",
        "水溶肥 平衡型 20-20-20 5kg",
        "Water-soluble fertilizer 5kg",
        "KT-WS-60",
        79.0,
        "",
        [("净含量", "5kg")]
    ),
    // agricultural machinery parts
    t!(
        "BOSCH",
        "agri-machinery-parts",
        "拖拉机配件",
        "喷油嘴 拖拉机柴油机",
        "Injector nozzle",
        "DLLA150P1011",
        168.0,
        "",
        [("适用", "4102/4105柴油机")]
    ),
    t!(
        "YTO",
        "agri-machinery-parts",
        "拖拉机配件",
        "拖拉机离合器总成",
        "Tractor clutch assembly",
        "LX1004-CL",
        860.0,
        "",
        [("适用机型", "LX1004")]
    ),
    t!(
        "YTO",
        "agri-machinery-parts",
        "拖拉机配件",
        "拖拉机 柴油滤清器",
        "Tractor diesel filter",
        "C0708B",
        35.0,
        "",
        [("适用机型", "东方红LX/ME系列")]
    ),
    // steel (production licence)
    t!(
        "Shagang",
        "steel",
        "螺纹钢",
        "螺纹钢 HRB400E Φ16 9米 每吨",
        "Rebar HRB400E 16mm per tonne",
        "HRB400E-16",
        3890.0,
        "",
        [("牌号", "HRB400E"), ("规格", "Φ16×9m")]
    ),
    t!(
        "Shagang",
        "steel",
        "盘螺",
        "盘螺 HRB400E Φ8 每吨",
        "Coiled rebar HRB400E 8mm per tonne",
        "HRB400E-8",
        3950.0,
        "",
        [("牌号", "HRB400E"), ("规格", "Φ8")]
    ),
    t!(
        "Shagang",
        "steel",
        "热轧卷板",
        "热轧卷板 Q235B 3.0mm 每吨",
        "Hot-rolled coil Q235B per tonne",
        "Q235B-3.0",
        4100.0,
        "",
        [("牌号", "Q235B"), ("厚度", "3.0mm")]
    ),
    // auto parts: filters
    t!(
        "MANN-FILTER",
        "auto-filters",
        "滤清器",
        "机油滤清器 机滤 大众/奥迪",
        "Oil filter",
        "W712/75",
        45.0,
        "",
        [("适用车型", "大众 朗逸/速腾 1.6L")]
    ),
    t!(
        "MANN-FILTER",
        "auto-filters",
        "滤清器",
        "空气滤清器 空滤 丰田",
        "Air filter",
        "C27114",
        68.0,
        "",
        [("适用车型", "丰田 卡罗拉/雷凌")]
    ),
    t!(
        "MANN-FILTER",
        "auto-filters",
        "滤清器",
        "空调滤清器 活性炭 本田",
        "Cabin filter activated carbon",
        "CUK26009",
        89.0,
        "",
        [("适用车型", "本田 雅阁/思域")]
    ),
    t!(
        "BOSCH",
        "auto-filters",
        "滤清器",
        "机油滤清器 日产/本田",
        "Oil filter",
        "0986AF0051",
        39.0,
        "",
        [("适用车型", "日产 轩逸/本田 飞度")]
    ),
    // lubricants & fuel
    t!(
        "Castrol",
        "lubricants-fuel",
        "机油",
        "极护 EDGE 全合成机油 5W-30 SP 4L",
        "EDGE fully synthetic 5W-30 4L",
        "EDGE-5W30-4L",
        399.0,
        "",
        [("粘度", "5W-30"), ("容量", "4L")]
    ),
    t!(
        "Castrol",
        "lubricants-fuel",
        "机油",
        "磁护 全合成机油 5W-40 SN 4L",
        "Magnatec fully synthetic 5W-40 4L",
        "MAG-5W40-4L",
        259.0,
        "",
        [("粘度", "5W-40"), ("容量", "4L")]
    ),
    t!(
        "Mobil",
        "lubricants-fuel",
        "机油",
        "美孚1号 全合成机油 0W-40 SP 4L",
        "Mobil 1 fully synthetic 0W-40 4L",
        "M1-0W40-4L",
        459.0,
        "",
        [("粘度", "0W-40"), ("容量", "4L")]
    ),
    t!(
        "Mobil",
        "lubricants-fuel",
        "机油",
        "速霸1000 合成机油 5W-30 SP 4L",
        "Super 1000 5W-30 4L",
        "S1000-5W30-4L",
        159.0,
        "",
        [("粘度", "5W-30"), ("容量", "4L")]
    ),
    t!(
        "Mobil",
        "lubricants-fuel",
        "柴机油",
        "黑霸王 柴油机油 15W-40 CH-4 18L",
        "Delvac diesel engine oil 15W-40 18L",
        "DELVAC-15W40-18L",
        499.0,
        "",
        [("粘度", "15W-40"), ("容量", "18L")]
    ),
];

/// Templates in round-robin order over categories, so that even a small market covers every
/// focus category.
pub fn interleaved() -> Vec<&'static Template> {
    let mut by_cat: Vec<Vec<&'static Template>> = CATEGORIES
        .iter()
        .map(|c| TEMPLATES.iter().filter(|t| t.category == c.slug).collect())
        .collect();
    by_cat.iter_mut().for_each(|v| v.reverse());
    let mut out = Vec::with_capacity(TEMPLATES.len());
    while out.len() < TEMPLATES.len() {
        for v in by_cat.iter_mut() {
            if let Some(t) = v.pop() {
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_names_a_known_brand_and_category_with_a_code_where_ccc_is_required() {
        for t in TEMPLATES {
            let _ = brand(t.brand);
            let cat = category(t.category).expect("known category");
            assert_eq!(
                cat.mark == MarkRule::Ccc,
                t.ccc_code.len() == 4,
                "{}",
                t.model
            );
        }
        assert_eq!(interleaved().len(), TEMPLATES.len());
        // The first interleaved templates cover every category once.
        let first: std::collections::BTreeSet<_> = interleaved()[..CATEGORIES.len()]
            .iter()
            .map(|t| t.category)
            .collect();
        assert_eq!(first.len(), CATEGORIES.len());
    }
}
