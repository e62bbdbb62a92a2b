# qsword 中文（简体）消息目录：控制台与邮件摘要的默认语言。
#
# 术语表（市场监管执法用语，全目录统一使用）：
#   clue / lead            线索
#   open a case            立案
#   evidence               证据
#   analysis / assessment  研判
#   disposal / handling    处置
#   risk                   风险
#   seller                 商家（页面文字）/ 卖家（平台上的店铺账号）
#   listing / product      商品（一条在售商品页面）；product group 同款商品
#   counterfeit            假冒
#   certification mark     认证标志（如 CCC 强制性产品认证）
#   confirm / dismiss      确认 / 排除
#   flag                   风险提示；signal 研判信号；triage 线索研判
#   investigator           调查员；viewer 查看员；admin 管理员
#
# 语法：Fluent（https://projectfluent.org）。{ $name } 为参数；以空格开头的文字写作 {" "}。

## 导航与通用

nav-search = 检索
nav-triage = 线索研判
nav-audit = 处置记录
nav-stats = 统计
nav-staff = 人员账号
logout = 退出登录
none = 无。
page-prev = ← 上一页
page-next = 下一页 →
first-shown = ；显示前 { $shown } 条
list-separator = 、
role-viewer = 查看员
role-investigator = 调查员
role-admin = 管理员
action-confirm = 确认
action-dismiss = 排除
action-note = 备注
signal-price = 价格
signal-brand = 品牌
signal-mark = 认证标志
signal-cue = 售假用语
signal-seller = 商家
field-title = 标题
field-description = 描述
field-brand = 品牌栏
risk-badge = 风险 { $risk }
risk-unscored = 未研判
no-brand = 无品牌
delisted = 已下架
no-price = 无价格
marks-list = 认证标志：{ $marks }

## 表头

col-when = 时间（UTC）
col-who = 操作人
col-what = 处置
col-listing = 商品
col-note = 备注
col-signal = 研判信号
col-score = 得分
col-reason = 原因
col-numbers = 数据
col-captured = 采集时间
col-price = 价格
col-change = 变动
col-seller = 商家
col-platform = 平台
col-risk = 风险
col-account = 账号
col-role = 角色
col-investigator = 调查员（线索分派）
col-platform-seller = 平台 · 商家
col-category = 类目
col-why = 原因
col-listings = 商品数
col-flagged = 有风险提示
col-flagged-listings = 有风险提示的商品
col-day = 日期（UTC）
col-new-listings = 新增商品
col-newly-flagged = 新增风险提示
col-confirmed = 已确认
col-dismissed = 已排除

## 登录

login-title = 登录
login-name = 用户名
login-password = 密码
login-submit = 登录
login-throttled = 尝试次数过多，请 { $wait } 秒后再试。
login-disabled = 该账号已停用，请联系管理员。
login-locked = 该账号因多次登录失败已被锁定，请联系管理员解锁。
login-wrong = 用户名或密码错误。

## 拒绝与错误

forbidden = 禁止访问：{ $why }
refused-role = { $what }仅限{ $needed }使用；{ $name } 的角色是{ $role }
needed-viewer = 查看员
needed-investigator = 调查员或管理员
needed-admin = 管理员
what-decide = 对风险提示作出处置
what-triage = 线索研判队列
what-audit = 处置记录
what-stats = 统计
what-staff = 人员账号
what-access = 访问记录
what-evidence = 商品证据
what-export = 导出
what-search = 检索
what-listing = 商品页面
csrf-login = 登录表单的 CSRF 令牌缺失或错误，请重新加载表单
csrf-form = 表单的 CSRF 令牌缺失或错误
no-session = 尚未登录，请先登录
render-failed = 页面无法显示
internal-failed = 服务器内部错误（{ $what }），请稍后重试
no-such-listing = 没有该商品
note-too-long = 备注超过 { $max } 个字符，请缩短
nothing-to-record = 没有可记录的内容：请选择“确认”或“排除”，或填写备注
no-capture = 该商品没有采集到的页面
no-price-history = 该商品没有价格记录
no-stats-file = 没有该统计文件：请使用 TABLE.svg 或 TABLE.csv，TABLE 为 category、platform、signal、day、sellers 之一

## 检索

ph-brand = 品牌
ph-platform = 平台
ph-seller = 商家
ph-category = 类目 /家用电器
ph-mark = 有认证标志（CCC、none）
ph-without-mark = 缺认证标志（CCC）
ph-min-price = 最低价
ph-max-price = 最高价
ph-min-risk = 最低风险 0–1
ph-max-risk = 最高风险 0–1
ph-from-date = 自 2026-11-01
ph-to-date = 至 2026-11-30
ph-from = 自
ph-to = 至
first-seen = 首次发现
last-seen = 最近发现
delisted-exclude = 仅在售
delisted-include = 在售及已下架
delisted-only = 仅已下架
search-submit = 检索
search-total = 共 { $total } 个商品
search-shown = ，显示第 { $first }–{ $last } 个
search-export = 导出全部 { $total } 个为 CSV
search-none = 没有匹配的商品。
sort-relevance = 按相关度
sort-risk = 风险从高到低
sort-price = 价格从低到高
sort-dearest = 价格从高到低
sort-newest = 最新发现在前
facet-category = 类目
facet-brand = 品牌
facet-platform = 平台
facet-seller = 商家
facet-marks = 认证标志
facet-marks-missing = 缺少的认证标志
facet-no-mark = 无 { $mark }
param-min-risk = 最低风险
param-max-risk = 最高风险
param-min-price = 最低价
param-max-price = 最高价
warn-risk = 已忽略{ $name }“{ $value }”：请填写 0 到 1 之间的数
warn-price = 已忽略{ $name }“{ $value }”：请填写金额，如 19.90
param-since = 首次发现起
param-until = 首次发现止
param-seen-since = 最近发现起
param-seen-until = 最近发现止
warn-date = 已忽略{ $name }“{ $value }”：请填写日期（如 2026-11-30）或 RFC 3339 时间
warn-delisted = 已忽略下架条件“{ $value }”：请用 exclude、include 或 only
warn-sort = 已忽略排序“{ $value }”：按相关度排序
warn-page = 已忽略页码“{ $value }”：显示第一页

## 商品页面

listing-shop-page = 平台上的商品页面
flags-title = 风险提示
flags-none = 无风险提示。
flags-none-unassessed = 无风险提示（尚未研判）。
assessed-at = 研判时间 { $at }
fields-title = 字段
decisions-title = 处置
decisions-none = 暂无。
decision-who = （{ $who }）
decision-note = 备注（可选）
decide-confirm = 确认
decide-dismiss = 排除
decide-note = 仅添加备注

## 证据

evidence-title = 证据
evidence-frame-title = 采集到的页面，与爬虫收到的一致（脚本关闭，不加载任何外部内容）
evidence-captured-at = 采集时间
evidence-page = 页面
evidence-http-status = HTTP 状态
evidence-payload-digest = 正文摘要
evidence-body-matches = 存储的正文与摘要一致
evidence-body-differs = 存储的正文与摘要不一致
evidence-store-differs = 与库中记录的 { $digest } 不同
evidence-block-digest = 记录块摘要
evidence-warc-record = WARC 记录
evidence-in-file = 位于 { $file }
evidence-download = 下载证据：
evidence-download-warc = WARC 记录（请求与响应，按存储原样）
evidence-download-json = 案件材料（JSON：商品、风险提示、采集记录、摘要）
evidence-imported = 该商品为导入数据，并非爬取：没有采集到的页面。
evidence-unreadable = 无法读取采集到的页面：{ $error }

## 价格记录、同款商品、商家其他商品

history-title = 价格记录
history-chart-alt = 价格随时间变化图；右侧表格列出相同价格。
history-caption = 每次价格变动时的采集价格
history-none = 暂无带价格的采集记录。
history-error = 无法读取价格记录：{ $error }
offers-title = 同款商品的其他报价
offers-none = 研判未将其他报价与该商品归为同款（无价格，或信息不足以判断商品）。
offers-summary = 同款商品组 { $label }：其他报价 { $total } 个，价格从低到高
offers-earlier = （基于库中较早的状态：同款商品组正在重新计算。）
offers-pending = 库已更新，同款商品组正在重新计算，请稍后刷新。
offers-error = 无法读取同款商品的其他报价：{ $error }
seller-listings-title = 该商家的其他商品
seller-none = 该商品的商家未知。
seller-listings-summary = { $seller }：该平台上的其他商品 { $total } 个
seller-error = 无法检索该商家的其他商品：{ $error }
store-error = 无法读取数据：{ $error }

## 线索研判与处置记录

triage-title = 线索研判
triage-total = { $total } 个有风险提示、尚未处置的商品
triage-routed = ，分派给 { $who }
triage-show-all = 显示全部
triage-all = ，全部
triage-only-mine = 仅看分派给我的
triage-shown = ；显示第 { $first }–{ $last } 个，风险高者在前。
triage-unlinked = 您的账号 { $name } 未关联 [[alerts.investigators]] 中的调查员（按姓名或电子邮箱）：显示全部有风险提示的商品。
triage-none = 暂无待研判线索。
audit-title = 处置记录
audit-total = 共 { $total } 条处置与备注，最新在前。
audit-none = 暂无处置。

## 人员账号

staff-title = 人员账号
staff-help-add = 在服务器上添加或修改账号：
staff-help-link = 账号与 [[alerts.investigators]] 中姓名或电子邮箱相同的调查员关联；线索研判队列随之按分派显示。
staff-not-linked = 未关联：查看全部风险提示
staff-access-link = 访问记录（登录、检索、导出、证据查看）
col-state = 状态
state-active = 正常
state-disabled = 已停用
state-locked = 已锁定

## access log

access-title = 访问记录
access-total = 共 { $total } 条，最新在前：登录（成功、失败、被拒）、退出、检索、导出、证据查看与下载。
access-download = 全部下载为 CSV
access-col-from = 来源地址
access-col-about = 对象
access-none = 暂无记录。
access-login = 登录
access-login_failed = 登录失败
access-login_refused = 登录被拒（尝试过多）
access-logout = 退出登录
access-search = 检索
access-export = 导出
access-evidence_view = 查看证据
access-evidence_download = 下载证据
access-access_export = 导出访问记录

## 统计

stats-title = 统计
stats-by-category = 按类目
stats-by-platform = 按平台
stats-by-signal = 按研判信号
stats-by-day = 按日
stats-top-sellers = 风险提示最多的商家
stats-chart-alt-category = 图表：各类目的商品数与有风险提示的商品数
stats-chart-alt-platform = 图表：各平台的商品数与有风险提示的商品数
stats-chart-alt-signal = 图表：各研判信号的有风险提示商品数
stats-chart-alt-day = 图表：每日新增商品、新增风险提示与处置数
stats-chart-alt-sellers = 图表：风险提示最多的商家
chart-category = 各类目的商品数与有风险提示的商品数
chart-platform = 各平台的商品数与有风险提示的商品数
chart-signal = 各研判信号的有风险提示商品数
chart-sellers = 风险提示最多的商家
chart-day = 按日（UTC）
chart-decisions = 处置
stats-first-seen-from = 首次发现自
stats-to = 至
stats-report = 统计该时段
stats-live-now = 当前在售商品
stats-period-listings = 该时段首次发现的商品 { $n } 个（含此后下架的）
stats-live-listings = 在售商品 { $n } 个
stats-flagged = ，其中 { $n } 个有风险提示（最近一次研判有风险提示）。

## 研判原因（由研判信号与证据数据生成）

reason-price-history = { $price } 比本商品此前 { $count } 次价格的中位数 { $median } 低 { $drop }%
reason-price-model = { $price } 比价格模型的预期价 { $reference } 低 { $drop }%（依据品牌、标题词与数量；本批 { $offers } 个商品；±{ $spread }%）
reason-price-median = { $price } 比同款商品其他 { $offers } 个报价的中位价 { $reference } 低 { $drop }%
reason-price-anchors = （其中 { $anchors } 个为官方旗舰店报价或标价，加权计入）
reason-price-official = （由品牌官方旗舰店销售：更可能是清仓）
reason-price-explained = （“{ $words }”可以解释低价）
reason-rule-unverified = （规则未经核实：{ $source }）
reason-mark-missing = 未展示 { $scheme } 证书，但 { $category } 类商品须取得该认证
reason-mark-missing-peers = ；同款商品的其他 { $peers } 个报价中有 { $showing } 个展示了证书
reason-mark-missing-text-only = ；仅依据页面文字（认证标志可能在图片中）
reason-mark-claimed = ；文字中声称“{ $words }”，但没有证书编号
reason-mark-malformed = { $scheme } 证书编号 { $number } 格式不符：{ $expected }
reason-mark-letters-for-digits = （数字位置出现字母 O/I）
reason-mark-impossible-year = { $scheme } 证书编号 { $number } 的发证年份为 { $year }，不可能：应在 { $from }–{ $to } 之间
reason-mark-wrong-product-peers = { $scheme } 证书编号 { $number } 对应目录产品 { $product }，但同款商品其他 { $coded } 个报价中有 { $agree } 个的证书对应 { $code }
reason-mark-wrong-product-category = { $scheme } 证书编号 { $number } 对应目录产品 { $product }，不属于 { $category } 类产品（{ $codes }）
reason-brand-protected = { $field }中的“{ $written }”疑似仿冒受保护品牌 { $genuine }（{ $brand }）：{ $kind }
reason-brand-protected-same = { $field }中的“{ $written }”疑似仿冒受保护品牌 { $genuine }：{ $kind }
reason-brand-learnt = { $field }中的“{ $written }”疑似仿冒品牌 { $genuine }（本批 { $sellers } 个商家使用该品牌；此写法 { $written_sellers } 个）：{ $kind }
reason-brand-dodging = { $field }中的“{ $written }”为规避品牌过滤而写：{ $kind }
reason-cue = 使用了售假商家的常用词：{ $words }
reason-cue-word = { $field }中的“{ $word }”
reason-seller-one = 商家 { $seller }
reason-seller-network = 商家网络 { $sellers }（关联依据：{ $linked }）
reason-seller = { $who }：依据其其他商品判断，{ $likely }% 可能系统性销售假冒商品——在其标价的 { $brands } 个品牌中有 { $undercut } 个明显低于其他报价，其 { $listings } 个商品中有 { $flagged } 个带有其他风险提示
brand-kind-full-width = 全角字符
brand-kind-homoglyph = 形近字符
brand-kind-misspelling = 拼写变体
brand-kind-bent-words = 词语变形
brand-kind-near-homophone = 近音字
brand-kind-near-form = 形近字
brand-kind-split-character = 拆字
brand-kind-inserted-character = 插入字符
brand-kind-mixed-script = 混用其他文字的字母
brand-kind-foreign-look-alike = 形似拉丁字母的西里尔/希腊字母
brand-kind-mixed-width = 混入全角字母
brand-kind-invisible-character = 词中夹有不可见字符
brand-kind-digit-for-letter = 以数字代替字母
brand-kind-look-alike = 形近字符
brand-kind-punctuated = 名称中插入标点
brand-kind-transposition = 两个字母对调
brand-kind-repetition = 字母重复或少重复
brand-kind-omission = 漏掉一个字母
brand-kind-addition = 多加一个字母
brand-kind-vowel-swap = 元音替换
brand-kind-variant = 变体

## 邮件摘要

digest-subject = [qsword] { $recipient }：{ $count } 条风险线索（{ $high } 条高风险）— 批次 { $run }
digest-intro = qsword 风险线索摘要，收件人 { $recipient }：{ $count } 个商品有风险提示，风险高者在前。
digest-duty-name = 值班调查员
digest-run = 批次 { $run }。
digest-risk = 风险
digest-price = 价格
digest-platform = 平台
digest-seller = 商家
digest-page = 商品页面
digest-console = 控制台
digest-evidence = 证据
digest-col-listing = 商品
digest-col-platform-seller = 平台 / 商家
digest-col-why = 原因
digest-capture = { $file } 记录 { $record }（偏移 { $offset }），正文摘要 { $digest }
digest-no-capture = 无采集页面（导入数据）
digest-footer = qsword 市场监测。请在控制台中逐条确认或排除风险提示；您的处置将用于训练研判模型。
csv-risk = 风险
csv-title = 标题
csv-price = 价格
csv-platform = 平台
csv-seller = 商家
csv-category = 类目
csv-brand = 品牌
csv-region = 地区
csv-signals = 研判信号
csv-reasons = 原因
csv-url = 网址
csv-console = 控制台
csv-evidence = 证据
