//! One render: a tab in a browser context of its own (kept and wiped between pages), every
//! request paused (DevTools Fetch domain) until the gate decides, XHR and document bodies read at the response stage, then the DOM
//! once the network has been quiet for `settle` after the load.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, ContinueRequestParams, EventRequestPaused, FailRequestParams, GetResponseBodyParams,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    self, CookieParam, ErrorReason, EventLoadingFailed, EventLoadingFinished,
    EventRequestWillBeSent, ResourceType, SetBypassServiceWorkerParams, SetCacheDisabledParams,
    SetCookiesParams, SetUserAgentOverrideParams,
};
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, NavigateParams,
};
use chromiumoxide::cdp::browser_protocol::storage;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{EvaluateParams, TerminateExecutionParams};
use chromiumoxide::{Browser, Page};
use futures::StreamExt;
use tokio::task::JoinSet;
use url::Url;

use crate::{Answer, Cookie, Gate, RenderConfig, RenderError, Rendered, ResourceKind};

/// Runs in every frame before the page's scripts: traffic of WebSockets and workers escapes
/// the tab's request interception, and a service worker would outlive the page.
const LOCKDOWN_JS: &str = r#"(() => {
  for (const n of ['WebSocket', 'Worker', 'SharedWorker']) {
    try { Object.defineProperty(window, n, { value: undefined, configurable: false, writable: false }); } catch (e) {}
  }
  try { Object.defineProperty(Navigator.prototype, 'serviceWorker', { get() { return undefined; } }); } catch (e) {}
})();"#;

/// Commands that clean up or read the result after the budget get this long each.
const AFTER_BUDGET: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    /// The page's own URL, admitted before the tab opened: its first request is not gated again.
    preadmitted: Option<String>,
    /// The gate refused a main-frame document (a redirect of the page).
    main_refused: Option<(Url, String)>,
    document: Option<Answer>,
    status: Option<u16>,
    answers: Vec<Answer>,
    refused: Vec<(Url, String)>,
    /// Network request ids between requestWillBeSent and loadingFinished/Failed.
    inflight: HashSet<String>,
    /// Origins of every request the page made or tried (their storage is wiped afterwards).
    origins: HashSet<String>,
    /// Ids already finished: the three event streams are merged without their relative order,
    /// so a request's end may be seen before its start.
    finished: HashSet<String>,
    /// Paused requests whose decision or body read has not finished.
    paused: usize,
    last_activity: Option<Instant>,
}

impl State {
    fn touch(&mut self) {
        self.last_activity = Some(Instant::now());
    }
}

fn proto(url: &Url) -> impl Fn(chromiumoxide::error::CdpError) -> RenderError + '_ {
    move |e| RenderError::Protocol {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// A tab in a browser context of its own, kept between renders (a new context costs a new
/// renderer process). It is wiped between pages: cookies and storage of every origin the page
/// touched are cleared, and the HTTP cache is off, so one render never sees another's state.
pub(crate) struct Tab {
    ctx: BrowserContextId,
    page: Page,
}

async fn open_tab(browser: &Browser, cfg: &RenderConfig, url: &Url) -> Result<Tab, RenderError> {
    let ctx = browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
        .map_err(proto(url))?;
    let opened = async {
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(ctx.clone())
            .build()
            .map_err(|e| RenderError::Protocol {
                url: url.to_string(),
                reason: e,
            })?;
        let page = browser.new_page(target).await.map_err(proto(url))?;
        let mut ua = SetUserAgentOverrideParams::new(cfg.user_agent.clone());
        ua.accept_language = Some(cfg.accept_language.clone());
        page.execute(ua).await.map_err(proto(url))?;
        page.execute(SetBypassServiceWorkerParams::new(true))
            .await
            .map_err(proto(url))?;
        // Answers must come from the server each time (they are evidence), and a cache would
        // carry one render's state into the next.
        page.execute(SetCacheDisabledParams::new(true))
            .await
            .map_err(proto(url))?;
        page.execute(AddScriptToEvaluateOnNewDocumentParams::new(LOCKDOWN_JS))
            .await
            .map_err(proto(url))?;
        Ok::<Page, RenderError>(page)
    };
    match opened.await {
        Ok(page) => Ok(Tab { ctx, page }),
        Err(e) => {
            let _ = browser.dispose_browser_context(ctx).await;
            Err(e)
        }
    }
}

/// Back to a blank tab with no cookies and no storage for the origins the page touched.
async fn wipe(browser: &Browser, tab: &Tab, origins: &HashSet<String>) -> bool {
    let page = &tab.page;
    page.execute(fetch::DisableParams::default()).await.is_ok()
        && page
            .execute(NavigateParams::new("about:blank"))
            .await
            .is_ok()
        && browser
            .execute(
                storage::ClearCookiesParams::builder()
                    .browser_context_id(tab.ctx.clone())
                    .build(),
            )
            .await
            .is_ok()
        && futures::future::join_all(
            origins
                .iter()
                .map(|o| page.execute(storage::ClearDataForOriginParams::new(o.clone(), "all"))),
        )
        .await
        .iter()
        .all(|r| r.is_ok())
}

/// Holds a tab while it is in use. If the render future is dropped midway (the caller's own
/// timeout), the tab's context is disposed in the background instead of leaking in Chromium.
struct Lent {
    browser: Arc<Browser>,
    tab: Option<Tab>,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let (Some(tab), Ok(rt)) = (self.tab.take(), tokio::runtime::Handle::try_current()) {
            let browser = self.browser.clone();
            rt.spawn(async move {
                let _ =
                    tokio::time::timeout(AFTER_BUDGET, browser.dispose_browser_context(tab.ctx))
                        .await;
            });
        }
    }
}

pub(crate) async fn render(
    browser: &Arc<Browser>,
    cfg: &RenderConfig,
    tabs: &tokio::sync::Semaphore,
    idle: &Mutex<Vec<Tab>>,
    url: &Url,
    cookies: &[Cookie],
    gate: Arc<dyn Gate>,
) -> Result<Rendered, RenderError> {
    gate.admit(url, ResourceKind::Document)
        .await
        .map_err(|reason| RenderError::Refused {
            url: url.clone(),
            reason,
        })?;
    let _permit = tabs.acquire().await.map_err(|_| RenderError::Closed)?;
    let started = Instant::now();
    let deadline = started + cfg.page_timeout;
    let reused = idle.lock().unwrap().pop();
    let tab = match reused {
        Some(t) => t,
        None => match tokio::time::timeout_at(deadline.into(), open_tab(browser, cfg, url)).await {
            Ok(t) => t?,
            Err(_) => {
                return Err(RenderError::Timeout {
                    url: url.clone(),
                    after: cfg.page_timeout,
                })
            }
        },
    };
    let mut lent = Lent {
        browser: browser.clone(),
        tab: Some(tab),
    };
    let state = Arc::new(Mutex::new(State {
        preadmitted: Some(url.to_string()),
        ..State::default()
    }));
    let mut tasks = JoinSet::new();
    let tab = lent.tab.as_ref().expect("just lent");
    let result = render_in(
        browser, cfg, tab, &state, url, cookies, gate, deadline, started, &mut tasks,
    )
    .await;
    // Stop intercepting first: pending gate calls are dropped with their tasks.
    tasks.abort_all();
    // A tab is kept only after a clean page; one that errored or ran out of time goes with
    // its context (a stuck renderer goes with it).
    let origins = std::mem::take(&mut state.lock().unwrap().origins);
    let clean = matches!(&result, Ok(r) if !r.timed_out)
        && tokio::time::timeout(AFTER_BUDGET, wipe(browser, tab, &origins))
            .await
            .unwrap_or(false);
    if clean {
        idle.lock().unwrap().extend(lent.tab.take());
    }
    // Otherwise `lent` disposes of the context when it goes.
    result
}

#[allow(clippy::too_many_arguments)]
async fn render_in(
    browser: &Browser,
    cfg: &RenderConfig,
    tab: &Tab,
    state: &Arc<Mutex<State>>,
    url: &Url,
    cookies: &[Cookie],
    gate: Arc<dyn Gate>,
    deadline: Instant,
    started: Instant,
    tasks: &mut JoinSet<()>,
) -> Result<Rendered, RenderError> {
    let (page, ctx) = (&tab.page, &tab.ctx);
    if !cookies.is_empty() {
        let params: Vec<CookieParam> = cookies
            .iter()
            .map(|c| {
                let mut p = CookieParam::new(c.name.clone(), c.value.clone());
                if c.domain.is_empty() {
                    p.url = Some(url.to_string());
                } else {
                    p.domain = Some(c.domain.clone());
                }
                p.path = Some(if c.path.is_empty() {
                    "/".into()
                } else {
                    c.path.clone()
                });
                p
            })
            .collect();
        page.execute(SetCookiesParams::new(params))
            .await
            .map_err(proto(url))?;
    }
    // The tab's main frame has the target's id.
    let main_frame = page.target_id().as_ref().to_string();

    // Network events only count what is in flight (for settling).
    let sent = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .map_err(proto(url))?;
    let finished = page
        .event_listener::<EventLoadingFinished>()
        .await
        .map_err(proto(url))?;
    let failed = page
        .event_listener::<EventLoadingFailed>()
        .await
        .map_err(proto(url))?;
    {
        let state = state.clone();
        tasks.spawn(async move {
            let sent = sent.map(|e| (true, e.request_id.as_ref().to_string()));
            let finished = finished.map(|e| (false, e.request_id.as_ref().to_string()));
            let failed = failed.map(|e| (false, e.request_id.as_ref().to_string()));
            let mut all = futures::stream::select(sent, futures::stream::select(finished, failed));
            while let Some((start, id)) = all.next().await {
                let mut s = state.lock().unwrap();
                if start {
                    if !s.finished.contains(&id) {
                        s.inflight.insert(id);
                    }
                } else {
                    s.inflight.remove(&id);
                    s.finished.insert(id);
                }
                s.touch();
            }
        });
    }

    // Each paused request is handled on its own task, so a gate that waits (per-host spacing)
    // holds up only its own request; the set is aborted with the render.
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(proto(url))?;
    {
        let state = state.clone();
        let page = page.clone();
        let limits = (cfg.max_answer_bytes, cfg.max_dom_bytes);
        tasks.spawn(async move {
            let mut handlers = JoinSet::new();
            loop {
                tokio::select! {
                    ev = paused.next() => {
                        let Some(ev) = ev else { break };
                        {
                            let mut s = state.lock().unwrap();
                            s.paused += 1;
                            s.touch();
                        }
                        let (state, page, gate, main_frame) =
                            (state.clone(), page.clone(), gate.clone(), main_frame.clone());
                        handlers.spawn(async move {
                            on_paused(&page, &*gate, &state, &ev, &main_frame, limits).await;
                            let mut s = state.lock().unwrap();
                            s.paused -= 1;
                            s.touch();
                        });
                    }
                    Some(_) = handlers.join_next(), if !handlers.is_empty() => {}
                }
            }
        });
    }

    // Request stage for everything (the gate), response stage for what we keep the body of.
    let mut patterns = vec![RequestPattern::builder()
        .url_pattern("*")
        .request_stage(RequestStage::Request)
        .build()];
    for t in [
        ResourceType::Document,
        ResourceType::Xhr,
        ResourceType::Fetch,
    ] {
        patterns.push(
            RequestPattern::builder()
                .url_pattern("*")
                .resource_type(t)
                .request_stage(RequestStage::Response)
                .build(),
        );
    }
    page.execute(fetch::EnableParams::builder().patterns(patterns).build())
        .await
        .map_err(proto(url))?;

    let mut timed_out = false;
    match tokio::time::timeout_at(
        deadline.into(),
        page.execute(NavigateParams::new(url.to_string())),
    )
    .await
    {
        Err(_) => timed_out = true,
        Ok(Err(e)) => return Err(proto(url)(e)),
        Ok(Ok(r)) => {
            if let Some(err) = r.result.error_text.as_ref().filter(|e| !e.is_empty()) {
                if let Some((u, reason)) = state.lock().unwrap().main_refused.take() {
                    return Err(RenderError::Refused { url: u, reason });
                }
                return Err(RenderError::Navigation {
                    url: url.clone(),
                    reason: err.clone(),
                });
            }
        }
    }

    // Settle: the load event has fired, nothing is in flight or paused, and that has been so
    // for `settle`. A page that keeps polling faster than that runs into the budget.
    if !timed_out {
        state.lock().unwrap().touch();
        let poll = (cfg.settle / 4).clamp(Duration::from_millis(10), Duration::from_millis(50));
        loop {
            if Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            let quiet = {
                let s = state.lock().unwrap();
                s.inflight.is_empty()
                    && s.paused == 0
                    && s.last_activity.is_none_or(|t| t.elapsed() >= cfg.settle)
            };
            if quiet {
                let left = deadline.saturating_duration_since(Instant::now());
                let ready = tokio::time::timeout(
                    left.min(Duration::from_secs(1)),
                    evaluate(page, "document.readyState"),
                )
                .await;
                if let Ok(Some(v)) = ready {
                    if v.as_str() == Some("complete") {
                        break;
                    }
                }
            }
            tokio::time::sleep(poll).await;
        }
    }
    if timed_out {
        {
            let s = state.lock().unwrap();
            tracing::debug!(
                "{url}: budget spent; in flight {:?}, paused {}",
                s.inflight,
                s.paused
            );
        }
        // A script spinning on the main thread would keep the DOM read from ever running.
        let _ = tokio::time::timeout(AFTER_BUDGET, page.execute(TerminateExecutionParams {})).await;
    }

    let max = cfg.max_dom_bytes;
    // Cut in JS first (UTF-16 units ≥ bytes/3) so a huge DOM never crosses the socket whole.
    let expr = format!(
        "(() => {{ const e = document.documentElement; const h = e ? e.outerHTML : ''; \
         return [location.href, h.length > {max} ? h.slice(0, {max}) : h, h.length > {max}]; }})()"
    );
    let got = tokio::time::timeout(AFTER_BUDGET, evaluate(page, &expr))
        .await
        .ok()
        .flatten();
    let (final_url, mut dom, mut dom_truncated) = match got {
        Some(serde_json::Value::Array(v)) if v.len() == 3 => (
            v[0].as_str()
                .and_then(|s| Url::parse(s).ok())
                .unwrap_or_else(|| url.clone()),
            v[1].as_str().unwrap_or_default().to_string(),
            v[2].as_bool().unwrap_or(false),
        ),
        _ => (url.clone(), String::new(), false),
    };
    if dom.len() > max {
        dom.truncate(floor_char_boundary(&dom, max));
        dom_truncated = true;
    }

    let cookies = match tokio::time::timeout(
        AFTER_BUDGET,
        browser.execute(
            storage::GetCookiesParams::builder()
                .browser_context_id(ctx.clone())
                .build(),
        ),
    )
    .await
    {
        Ok(Ok(r)) => r
            .result
            .cookies
            .iter()
            .map(|c| Cookie {
                name: c.name.clone(),
                value: c.value.clone(),
                domain: c.domain.clone(),
                path: c.path.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };

    tasks.abort_all();
    let mut s = state.lock().unwrap();
    Ok(Rendered {
        final_url,
        status: s.status,
        document: s.document.take(),
        dom,
        dom_truncated,
        answers: std::mem::take(&mut s.answers),
        refused: std::mem::take(&mut s.refused),
        timed_out,
        elapsed: started.elapsed(),
        cookies,
    })
}

/// `Runtime.evaluate` by value in the main frame; `None` on any failure or exception.
async fn evaluate(page: &Page, expr: &str) -> Option<serde_json::Value> {
    let params = EvaluateParams::builder()
        .expression(expr)
        .return_by_value(true)
        .build()
        .ok()?;
    let r = page.execute(params).await.ok()?;
    if r.result.exception_details.is_some() {
        return None;
    }
    r.result.result.value.clone()
}

fn kind_of(t: &ResourceType) -> Result<ResourceKind, &'static str> {
    Ok(match t {
        ResourceType::Document => ResourceKind::Document,
        ResourceType::Script => ResourceKind::Script,
        ResourceType::Xhr | ResourceType::Fetch => ResourceKind::Xhr,
        ResourceType::Image => return Err("image (never fetched)"),
        ResourceType::Font => return Err("font (never fetched)"),
        ResourceType::Media => return Err("media (never fetched)"),
        ResourceType::Stylesheet => return Err("stylesheet (never fetched)"),
        ResourceType::TextTrack => return Err("text track (never fetched)"),
        ResourceType::WebSocket => return Err("WebSocket (never opened)"),
        other => ResourceKind::Other(other.as_ref().to_string()),
    })
}

async fn on_paused(
    page: &Page,
    gate: &dyn Gate,
    state: &Mutex<State>,
    ev: &EventRequestPaused,
    main_frame: &str,
    (max_answer, max_document): (usize, usize),
) {
    let id = ev.request_id.clone();
    let is_main_doc =
        ev.resource_type == ResourceType::Document && ev.frame_id.as_ref() == main_frame;
    let at_response = ev.response_status_code.is_some() || ev.response_error_reason.is_some();
    if !at_response {
        let decision = match kind_of(&ev.resource_type) {
            Err(why) => Err(why.to_string()),
            Ok(kind) => match Url::parse(&ev.request.url) {
                Err(e) => Err(format!("unparsable URL: {e}")),
                Ok(u) => {
                    let pre = {
                        let mut s = state.lock().unwrap();
                        s.origins.insert(u.origin().ascii_serialization());
                        is_main_doc && s.preadmitted.as_deref() == Some(u.as_str()) && {
                            s.preadmitted = None;
                            true
                        }
                    };
                    if pre {
                        Ok(())
                    } else {
                        gate.admit(&u, kind).await
                    }
                }
            },
        };
        match decision {
            Ok(()) => {
                let _ = page.execute(ContinueRequestParams::new(id)).await;
            }
            Err(reason) => {
                if let Ok(u) = Url::parse(&ev.request.url) {
                    let mut s = state.lock().unwrap();
                    if is_main_doc {
                        s.main_refused = Some((u.clone(), reason.clone()));
                    }
                    s.refused.push((u, reason));
                }
                let _ = page
                    .execute(FailRequestParams::new(id, ErrorReason::BlockedByClient))
                    .await;
            }
        }
        return;
    }

    let is_xhr = matches!(ev.resource_type, ResourceType::Xhr | ResourceType::Fetch);
    if let (Some(code), None, true) = (
        ev.response_status_code,
        &ev.response_error_reason,
        is_xhr || is_main_doc,
    ) {
        let headers: Vec<(String, String)> = ev
            .response_headers
            .iter()
            .flatten()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        let limit = if is_xhr { max_answer } else { max_document };
        let redirect = (300..400).contains(&code) && header("location").is_some();
        let declared: Option<usize> = header("content-length").and_then(|v| v.trim().parse().ok());
        let (mut body, mut truncated) = (Vec::new(), false);
        if redirect {
            // No body to keep; the redirect's target is paused (and gated) on its own.
        } else if declared.is_some_and(|n| n > limit) {
            truncated = true;
        } else {
            match page.execute(GetResponseBodyParams::new(id.clone())).await {
                Ok(r) => {
                    body = if r.result.base64_encoded {
                        data_encoding::BASE64
                            .decode(r.result.body.as_bytes())
                            .unwrap_or_default()
                    } else {
                        r.result.body.clone().into_bytes()
                    };
                    if body.len() > limit {
                        body.truncate(limit);
                        truncated = true;
                    }
                }
                Err(e) => tracing::debug!("{}: no body: {e}", ev.request.url),
            }
        }
        if let Ok(u) = Url::parse(&ev.request.url) {
            let mime = header("content-type")
                .map(|v| {
                    v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .filter(|m| !m.is_empty());
            let answer = Answer {
                url: u,
                method: ev.request.method.clone(),
                request_headers: headers_of(&ev.request.headers),
                request_body: ev.request.post_data_entries.as_ref().map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| e.bytes.as_ref().map(|b| -> &str { b.as_ref() }))
                        .flat_map(|b| {
                            data_encoding::BASE64
                                .decode(b.as_bytes())
                                .unwrap_or_default()
                        })
                        .collect()
                }),
                status: code as u16,
                headers: headers.clone(),
                body,
                mime,
                truncated,
            };
            let mut s = state.lock().unwrap();
            if is_main_doc {
                s.status = Some(code as u16);
                if !redirect {
                    s.document = Some(answer);
                }
            } else {
                s.answers.push(answer);
            }
        }
    }
    let _ = page.execute(ContinueRequestParams::new(id)).await;
}

fn headers_of(h: &network::Headers) -> Vec<(String, String)> {
    match h.inner() {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let v = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                (k.clone(), v)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
