//! Finding, starting and killing the Chromium process (and its whole process group).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::RenderError;

/// The names tried on PATH when the configuration keeps the default `chromium`.
pub(crate) const DEFAULT_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// Resolves the configured executable: a path is taken as it is, a bare name is looked up on
/// PATH (the default name also tries the other usual names). The error names everything tried.
pub(crate) fn find(configured: &Path) -> Result<PathBuf, RenderError> {
    let names: Vec<PathBuf> = if configured == Path::new(DEFAULT_NAMES[0]) {
        DEFAULT_NAMES.iter().map(PathBuf::from).collect()
    } else {
        vec![configured.to_path_buf()]
    };
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut tried = Vec::new();
    for name in &names {
        if name.components().count() > 1 || name.is_absolute() {
            if name.is_file() {
                return Ok(name.clone());
            }
            tried.push(name.display().to_string());
        } else {
            for dir in &path_dirs {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
            tried.push(format!("{} (on PATH)", name.display()));
        }
    }
    Err(RenderError::NotFound { tried })
}

/// A running Chromium. It leads its own process group (renderers, zygote and GPU helpers are
/// in it), so one `kill(-pgid)` ends them all.
pub(crate) struct Chromium {
    pid: i32,
    exited: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Chromium {
    /// Starts Chromium with `args` and waits for its DevTools WebSocket address.
    pub(crate) async fn spawn(
        exe: &Path,
        args: Vec<String>,
    ) -> Result<(Chromium, String), RenderError> {
        let (spawned_tx, spawned_rx) = tokio::sync::oneshot::channel();
        let (exit_tx, exit_rx) = mpsc::channel();
        let exe_owned = exe.to_path_buf();
        // The child is spawned and waited for on a thread of its own that lives as long as
        // the child: PR_SET_PDEATHSIG fires when the *thread* that forked dies, so it must not
        // be a pool thread that may retire; and if this whole process is killed, Chromium is too.
        std::thread::Builder::new()
            .name("chromium-reaper".into())
            .spawn(move || {
                let mut cmd = Command::new(&exe_owned);
                cmd.args(&args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .process_group(0);
                // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                match cmd.spawn() {
                    Err(e) => {
                        let _ = spawned_tx.send(Err(e));
                    }
                    Ok(mut child) => {
                        let stderr = child.stderr.take();
                        let _ = spawned_tx.send(Ok((child.id(), stderr)));
                        let _ = child.wait();
                        let _ = exit_tx.send(());
                    }
                }
            })
            .map_err(|e| RenderError::Launch(format!("cannot start a thread: {e}")))?;
        let (pid, stderr) = match spawned_rx.await {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                return Err(RenderError::Launch(format!(
                    "cannot run {}: {e}",
                    exe.display()
                )))
            }
            Err(_) => return Err(RenderError::Launch("the launcher thread died".into())),
        };
        let chromium = Chromium {
            pid: pid as i32,
            exited: Mutex::new(Some(exit_rx)),
        };
        let stderr = stderr.ok_or_else(|| RenderError::Launch("no stderr pipe".into()))?;
        // Chromium must never block on a full stderr pipe, so a thread drains it for good and
        // keeps the last lines for error messages.
        let tail = Arc::new(Mutex::new(VecDeque::<String>::new()));
        let (ws_tx, ws_rx) = tokio::sync::oneshot::channel::<String>();
        let tail_w = tail.clone();
        std::thread::Builder::new()
            .name("chromium-stderr".into())
            .spawn(move || {
                let mut ws_tx = Some(ws_tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.split("DevTools listening on ").nth(1) {
                        if let Some(tx) = ws_tx.take() {
                            let _ = tx.send(rest.trim().to_string());
                        }
                    }
                    tracing::trace!(target: "chromium", "{line}");
                    let mut t = tail_w.lock().unwrap();
                    if t.len() == 20 {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            })
            .map_err(|e| RenderError::Launch(format!("cannot start a thread: {e}")))?;
        match tokio::time::timeout(Duration::from_secs(30), ws_rx).await {
            Ok(Ok(ws)) => Ok((chromium, ws)),
            other => {
                chromium.kill();
                let why = if other.is_err() {
                    "timed out after 30 s"
                } else {
                    "exited"
                };
                let tail: Vec<String> = tail.lock().unwrap().iter().cloned().collect();
                Err(RenderError::Launch(format!(
                    "{} {why} before printing its DevTools address; its last output: {}",
                    exe.display(),
                    tail.join(" | ")
                )))
            }
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// SIGKILL to the whole group, then wait (bounded) for the browser process to be reaped.
    pub(crate) fn kill(&self) {
        // SAFETY: plain syscall; a negative pid addresses the process group we created.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
        if let Some(rx) = self.exited.lock().unwrap().take() {
            let _ = rx.recv_timeout(Duration::from_secs(5));
        }
        // The other members die asynchronously; wait (bounded) until none is left running, so
        // a caller that closes and then counts processes finds none.
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while group_alive(self.pid) && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if self.exited.lock().unwrap().is_some() {
            self.kill();
        }
    }
}

/// Whether a process of group `pgid` is still there and not a zombie (whose reaping is up to
/// its new parent).
fn group_alive(pgid: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .any(|stat| {
            let fields: Vec<&str> = stat
                .rsplit_once(") ")
                .map(|x| x.1)
                .unwrap_or("")
                .split(' ')
                .collect();
            fields.len() > 2
                && fields[2] == pgid.to_string()
                && fields[0] != "Z"
                && fields[0] != "X"
        })
}
