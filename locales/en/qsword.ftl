# qsword English catalogue: the console and digests when English is asked for
# (Accept-Language, the footer's link, or [alerts] language = "en"). Same keys as zh-CN.

## navigation and common words

nav-search = Search
nav-triage = Triage
nav-audit = Audit
nav-stats = Statistics
nav-staff = Staff
logout = Log out
none = None.
page-prev = ← previous
page-next = next →
first-shown = ; the first { $shown } shown
list-separator = {", "}
role-viewer = viewer
role-investigator = investigator
role-admin = admin
action-confirm = confirm
action-dismiss = dismiss
action-note = note
signal-price = price
signal-brand = brand
signal-mark = mark
signal-cue = cue
signal-seller = seller
field-title = title
field-description = description
field-brand = brand field
risk-badge = risk { $risk }
risk-unscored = unscored
no-brand = no brand
delisted = delisted
no-price = no price
marks-list = marks: { $marks }

## table headers

col-when = when (UTC)
col-who = who
col-what = what
col-listing = listing
col-note = note
col-signal = signal
col-score = score
col-reason = reason
col-numbers = numbers
col-captured = captured
col-price = price
col-change = change
col-seller = seller
col-platform = platform
col-risk = risk
col-account = account
col-role = role
col-investigator = investigator (routing)
col-platform-seller = platform · seller
col-category = category
col-why = why
col-listings = listings
col-flagged = flagged
col-flagged-listings = flagged listings
col-day = day (UTC)
col-new-listings = new listings
col-newly-flagged = newly flagged
col-confirmed = confirmed
col-dismissed = dismissed

## login

login-title = Log in
login-name = Name
login-password = Password
login-submit = Log in
login-throttled = Too many attempts. Try again in { $wait } seconds.
login-disabled = This account is disabled; ask an admin.
login-locked = This account is locked after too many failed logins; ask an admin to unlock it.
login-wrong = Unknown name or wrong password.

## refusals and errors

forbidden = forbidden: { $why }
refused-role = { $what } is for the { $needed } role; { $name } is a { $role }
needed-viewer = viewer
needed-investigator = investigator or admin
needed-admin = admin
what-decide = deciding on a flag
what-triage = the triage queue
what-audit = the audit trail
what-stats = statistics
what-staff = the staff accounts
what-access = the access log
what-evidence = a listing's evidence
what-export = the export
what-search = the search
what-listing = the listing page
csrf-login = the login form's CSRF token is missing or wrong; reload the form
csrf-form = the form's CSRF token is missing or wrong
no-session = no session; log in first
render-failed = the page could not be rendered
internal-failed = { $what } failed
no-such-listing = no such listing
note-too-long = the note has more than { $max } characters; shorten it
nothing-to-record = nothing to record: choose Confirm or Dismiss, or write a note
no-capture = no captured page for this listing
no-price-history = no price history for this listing
no-stats-file = no such statistics file: use TABLE.svg or TABLE.csv with TABLE one of category, platform, signal, day, sellers

## search

ph-brand = brand
ph-platform = platform
ph-seller = seller
ph-category = category /家用电器
ph-mark = mark present (CCC, none)
ph-without-mark = mark missing (CCC)
ph-min-price = min price
ph-max-price = max price
ph-min-risk = min risk 0–1
ph-max-risk = max risk 0–1
ph-from-date = from 2026-11-01
ph-to-date = to 2026-11-30
ph-from = from
ph-to = to
first-seen = first seen
last-seen = last seen
delisted-exclude = live only
delisted-include = live and delisted
delisted-only = delisted only
search-submit = Search
search-total = { $total ->
    [one] 1 listing
   *[other] { $total } listings
}
search-shown = , { $first }–{ $last } shown
search-export = export all { $total } as CSV
search-none = No listing matches.
sort-relevance = relevance
sort-risk = riskiest first
sort-price = cheapest first
sort-dearest = dearest first
sort-newest = newest first
facet-category = Category
facet-brand = Brand
facet-platform = Platform
facet-seller = Seller
facet-marks = Marks
facet-marks-missing = Marks missing
facet-no-mark = no { $mark }
param-min-risk = min risk
param-max-risk = max risk
param-min-price = min price
param-max-price = max price
warn-risk = { $name } "{ $value }" ignored: give a number from 0 to 1
warn-price = { $name } "{ $value }" ignored: give an amount like 19.90
param-since = since
param-until = until
param-seen-since = seen since
param-seen-until = seen until
warn-date = { $name } "{ $value }" is neither a day (2026-11-30) nor an RFC 3339 instant
warn-delisted = delisted "{ $value }" ignored: use exclude, include or only
warn-sort = sort "{ $value }" ignored: sorted by relevance
warn-page = page "{ $value }" ignored: showing the first

## listing page

listing-shop-page = the shop's page
flags-title = Flags
flags-none = No flags.
flags-none-unassessed = No flags (not assessed yet).
assessed-at = assessed { $at }
fields-title = Fields
decisions-title = Decisions
decisions-none = None yet.
decision-who = by { $who }
decision-note = Note (optional)
decide-confirm = Confirm
decide-dismiss = Dismiss
decide-note = Add note only

## evidence

evidence-title = Evidence
evidence-frame-title = The captured page, as the crawler received it (scripts off, nothing loaded)
evidence-captured-at = captured at
evidence-page = page
evidence-http-status = HTTP status
evidence-payload-digest = payload digest
evidence-body-matches = the stored body matches it
evidence-body-differs = the stored body does not match it
evidence-store-differs = differs from the store's { $digest }
evidence-block-digest = block digest
evidence-warc-record = WARC record
evidence-in-file = in { $file }
evidence-download = Download evidence:
evidence-download-warc = WARC record (request and response, as stored)
evidence-download-json = case sheet (JSON: listing, flags, capture, digests)
evidence-imported = This listing was imported, not crawled: there is no captured page.
evidence-unreadable = The captured page could not be read: { $error }

## price history, other offers, the seller's other listings

history-title = Price history
history-chart-alt = Chart of the price over time; the same prices are in the table beside it.
history-caption = Price at each capture that changed it
history-none = No priced capture yet.
history-error = the price history could not be read: { $error }
offers-title = Other offers of this product
offers-none = The detector groups no other offers with this one (no price, or too little to tell the product).
offers-summary = Product group { $label }: { $total ->
    [one] 1 other offer
   *[other] { $total } other offers
}, cheapest first
offers-earlier = (As of an earlier state of the store: the groups are being worked out again.)
offers-pending = The product groups are being worked out after the store changed; reload in a moment.
offers-error = the product's other offers could not be read: { $error }
seller-listings-title = The seller's other listings
seller-none = No seller is known for this listing.
seller-listings-summary = { $seller }: { $total ->
    [one] 1 other listing
   *[other] { $total } other listings
} on this platform
seller-error = the seller's other listings could not be searched: { $error }
store-error = reading the store: { $error }

## triage and audit

triage-title = Triage
triage-total = { $total ->
    [one] 1 flagged listing
   *[other] { $total } flagged listings
} without a decision
triage-routed = , routed to { $who }
triage-show-all = show all
triage-all = , all of them
triage-only-mine = only my routing
triage-shown = ; { $first }–{ $last } shown, riskiest first.
triage-unlinked = Your account { $name } is not linked to an investigator of [[alerts.investigators]] (by name or e-mail): showing every flagged listing.
triage-none = Nothing to triage.
audit-title = Audit trail
audit-total = { $total ->
    [one] 1 decision
   *[other] { $total } decisions
} and notes, newest first.
audit-none = No decision yet.

## staff accounts

staff-title = Staff accounts
staff-help-add = Add or change one on the server:
staff-help-link = An account is linked to the investigator of [[alerts.investigators]] whose name or e-mail is its name; the triage queue then follows that routing.
staff-not-linked = not linked: sees every flag
staff-access-link = Access log (logins, searches, exports, evidence views)
col-state = state
state-active = active
state-disabled = disabled
state-locked = locked

## access log

access-title = Access log
access-total = { $total ->
    [one] 1 entry
   *[other] { $total } entries
}, newest first: logins (good, failed, refused), logouts, searches, exports, evidence views and downloads.
access-download = Download all as CSV
access-col-from = from
access-col-about = about
access-none = Nothing recorded yet.
access-login = login
access-login_failed = failed login
access-login_refused = login refused (too many attempts)
access-logout = logout
access-search = search
access-export = export
access-evidence_view = evidence viewed
access-evidence_download = evidence downloaded
access-access_export = access log exported

## statistics

stats-title = Statistics
stats-by-category = By category
stats-by-platform = By platform
stats-by-signal = By signal
stats-by-day = By day
stats-top-sellers = Top sellers by flagged listings
stats-chart-alt-category = chart: listings and flagged listings by category
stats-chart-alt-platform = chart: listings and flagged listings by platform
stats-chart-alt-signal = chart: flagged listings by signal
stats-chart-alt-day = chart: new listings, newly flagged listings and decisions by day
stats-chart-alt-sellers = chart: top sellers by flagged listings
chart-category = Listings and flagged listings by category
chart-platform = Listings and flagged listings by platform
chart-signal = Flagged listings by signal
chart-sellers = Top sellers by flagged listings
chart-day = By day (UTC)
chart-decisions = decisions
stats-first-seen-from = first seen from
stats-to = to
stats-report = Report on this period
stats-live-now = live listings now
stats-period-listings = { $n } listings first seen in the period (delisted since or not)
stats-live-listings = { $n } live listings
stats-flagged = , { $n } flagged (their latest assessment has a flag).

## flag reasons (English readers get the detector's own sentence; these mirror it)

reason-price-history = { $price } is { $drop }% below this listing's own median { $median } over its { $count } earlier prices
reason-price-model = { $price } is { $drop }% below { $reference }, what the price model (brand, title words, quantities; { $offers } products of this batch) expects (±{ $spread }%)
reason-price-median = { $price } is { $drop }% below the median { $reference } of { $offers } other offers
reason-price-anchors = {" "}({ $anchors } of them official-store offers or list prices, weighted up)
reason-price-official = {" "}(sold by the brand's official store: more likely a clearance)
reason-price-explained = {" "}("{ $words }" explains a low price)
reason-rule-unverified = {" "}(rule not verified: { $source })
reason-mark-missing = no { $scheme } certificate shown, but { $category } requires one
reason-mark-missing-peers = ; { $showing } of the { $peers } other offers of the same product show one
reason-mark-missing-text-only = ; absent from the page's text only (the mark may be in its images)
reason-mark-claimed = ; it claims "{ $words }" in words, without a certificate number
reason-mark-malformed = { $scheme } number { $number } is malformed: { $expected }
reason-mark-letters-for-digits = {" "}(letters O/I where digits belong)
reason-mark-impossible-year = { $scheme } number { $number } was issued in { $year }, impossible: must be { $from }–{ $to }
reason-mark-wrong-product-peers = { $scheme } number { $number } is for catalogue product { $product }, but { $agree } of the { $coded } other offers of the same product show certificates for { $code }
reason-mark-wrong-product-category = { $scheme } number { $number } is for catalogue product { $product }, not a { $category } product ({ $codes })
reason-brand-protected = "{ $written }" in the { $field } looks like the protected brand { $genuine } ({ $brand }): { $kind }
reason-brand-protected-same = "{ $written }" in the { $field } looks like the protected brand { $genuine }: { $kind }
reason-brand-learnt = "{ $written }" in the { $field } looks like the brand { $genuine } ({ $sellers } sellers in this batch, this spelling { $written_sellers }): { $kind }
reason-brand-dodging = "{ $written }" in the { $field } is written to dodge brand filters: { $kind }
reason-cue = uses words sellers of fakes use: { $words }
reason-cue-word = "{ $word }" in the { $field }
reason-seller-one = seller { $seller }
reason-seller-network = seller network { $sellers } (linked by { $linked })
reason-seller = { $who }: { $likely }% likely to sell counterfeits throughout, judged by its other listings — it undercuts { $undercut } of the { $brands } brands it prices against other offers, and { $flagged } of its { $listings } listings carry other flags
brand-kind-full-width = full-width letters
brand-kind-homoglyph = look-alike characters
brand-kind-misspelling = misspelling
brand-kind-bent-words = bent words
brand-kind-near-homophone = near-homophone
brand-kind-near-form = near-form characters
brand-kind-split-character = a character split in two
brand-kind-inserted-character = an inserted character
brand-kind-mixed-script = letters of another script mixed into the word
brand-kind-foreign-look-alike = Cyrillic/Greek letters that look Latin
brand-kind-mixed-width = full-width letters mixed into the word
brand-kind-invisible-character = invisible characters inside the word
brand-kind-digit-for-letter = a digit in place of a letter
brand-kind-look-alike = look-alike characters
brand-kind-punctuated = punctuation slipped into the name
brand-kind-transposition = two letters swapped
brand-kind-repetition = a letter doubled or undoubled
brand-kind-omission = a letter left out
brand-kind-addition = a letter added
brand-kind-vowel-swap = one vowel for another
brand-kind-variant = a variant

## e-mail digest

digest-subject = [qsword] { $recipient }: { $count ->
    [one] 1 flagged listing
   *[other] { $count } flagged listings
} ({ $high } high risk) — run { $run }
digest-intro = qsword alert digest for { $recipient }: { $count ->
    [one] 1 listing
   *[other] { $count } listings
} flagged, riskiest first.
digest-duty-name = investigators on duty
digest-run = Run { $run }.
digest-risk = risk
digest-price = Price
digest-platform = Platform
digest-seller = Seller
digest-page = Page
digest-console = Console
digest-evidence = Evidence
digest-col-listing = Listing
digest-col-platform-seller = Platform / seller
digest-col-why = Why
digest-capture = { $file } record { $record } (offset { $offset }), payload { $digest }
digest-no-capture = no capture (imported)
digest-footer = qsword, market surveillance. Confirm or dismiss each flag in the console; your decisions train the detector.
csv-risk = risk
csv-title = title
csv-price = price
csv-platform = platform
csv-seller = seller
csv-category = category
csv-brand = brand
csv-region = region
csv-signals = signals
csv-reasons = reasons
csv-url = url
csv-console = console
csv-evidence = evidence
