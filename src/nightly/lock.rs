//! The run lock: one nightly run per data directory at a time. An OS file lock (fs4), so it
//! is released by the kernel when the process dies — a `kill -9` never leaves a stale lock.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::path::Path;

pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of `data`, or `None` if another run holds it.
    pub fn try_acquire(data: &Path) -> Result<Option<RunLock>> {
        std::fs::create_dir_all(data)
            .with_context(|| format!("creating the data directory {}", data.display()))?;
        let path = data.join("nightly.lock");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match fs4::FileExt::try_lock_exclusive(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
            // fs4 reports a held lock as WouldBlock on Unix; anything else is a real error.
            Err(e) => return Err(e).with_context(|| format!("locking {}", path.display())),
        }
        // For the operator: who holds it (the lock itself is the kernel's, not this text).
        file.set_len(0)?;
        writeln!(file, "pid {}", std::process::id())?;
        Ok(Some(RunLock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::try_acquire(dir.path()).unwrap();
        assert!(first.is_some());
        assert!(RunLock::try_acquire(dir.path()).unwrap().is_none());
        drop(first);
        assert!(RunLock::try_acquire(dir.path()).unwrap().is_some());
    }
}
