//! Renders N product pages of a local axum shop (each loads its price by fetch()) and prints
//! pages/s, p50/p95 render latency and the CPU time per page, ours and Chromium's.
//!
//! `cargo run --release -p qsword-render --example bench_render -- [N] [TABS]` (200, 2)

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use qsword_render::{AllowAll, RenderConfig, Renderer};

/// utime + stime (+ reaped children's) of one process, in seconds.
fn cpu_of(pid: &str, with_children: bool) -> Option<(f64, i64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(") ")?.1;
    let f: Vec<&str> = rest.split(' ').collect();
    // After "pid (comm) ": state=0, ppid=1, pgrp=2, … utime=11, stime=12, cutime=13, cstime=14.
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let mut ticks = n(11) + n(12);
    if with_children {
        ticks += n(13) + n(14);
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((ticks / hz, f.get(2)?.parse().ok()?))
}

/// CPU seconds of Chromium: every live process of its group, each with its reaped children.
fn chromium_cpu(pgid: u32) -> f64 {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.parse::<u32>().ok()?;
            let (cpu, pg) = cpu_of(&name, true)?;
            (pg == pgid as i64).then_some(cpu)
        })
        .sum()
}

fn self_cpu() -> f64 {
    cpu_of("self", false).map(|x| x.0).unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let tabs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);

    let app = Router::new()
        .route(
            "/item/{id}",
            get(|Path(id): Path<u32>| async move {
                Html(format!(
                    r#"<!doctype html><html><head><meta charset="utf-8"><title>商品 {id}</title>
<link rel="stylesheet" href="/s.css"></head><body><h1>商品 {id}</h1>
<div class="desc">{}</div><img src="/img/{id}.jpg">
<p>价格：<span class="price">--</span></p>
<script>fetch('/api/price/{id}').then(r => r.json()).then(j => {{
  document.querySelector('.price').textContent = '¥' + j.price; }});</script>
</body></html>"#,
                    "规格参数 说明文字 ".repeat(200)
                ))
            }),
        )
        .route(
            "/api/price/{id}",
            get(|Path(id): Path<u32>| async move {
                axum::Json(serde_json::json!({ "price": format!("{}.00", 100 + id % 900) }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let t_launch = Instant::now();
    let r = Renderer::launch(RenderConfig {
        tabs,
        ..RenderConfig::default()
    })
    .await
    .expect("launch Chromium (apt-get install chromium)");
    let launch = t_launch.elapsed();
    let pgid = r.pid();
    let url = |i: usize| url::Url::parse(&format!("http://{addr}/item/{i}")).unwrap();
    // Warm-up (first renderer process, caches), not counted.
    r.render(&url(0), &[], Arc::new(AllowAll))
        .await
        .expect("warm-up");

    let (own0, chr0) = (self_cpu(), chromium_cpu(pgid));
    let t0 = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(tabs));
    let mut jobs = Vec::new();
    for i in 1..=n {
        let (r, u, sem) = (r.clone(), url(i), sem.clone());
        let permit = sem.acquire_owned().await.unwrap();
        jobs.push(tokio::spawn(async move {
            let t = Instant::now();
            let page = r.render(&u, &[], Arc::new(AllowAll)).await;
            drop(permit);
            let ok = matches!(&page, Ok(p) if !p.timed_out && p.dom.contains('¥'));
            (t.elapsed(), ok)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for j in jobs {
        let (d, ok) = j.await.unwrap();
        lat.push(d);
        failed += usize::from(!ok);
    }
    let wall = t0.elapsed();
    let (own1, chr1) = (self_cpu(), chromium_cpu(pgid));
    r.close().await;

    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("pages: {n} (tabs {tabs}), failed or without price: {failed}");
    println!("launch: {:.0} ms", ms(launch));
    println!(
        "throughput: {:.1} pages/s ({:.1} s)",
        n as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    println!(
        "latency: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(lat[lat.len() - 1])
    );
    println!(
        "CPU per page: Chromium {:.1} ms, this process (client + shop) {:.1} ms",
        (chr1 - chr0) * 1000.0 / n as f64,
        (own1 - own0) * 1000.0 / n as f64
    );
}
