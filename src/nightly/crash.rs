//! Crash points for the kill tests: with `QSWORD_CRASH_PAUSE=STAGE` in the environment, the
//! stage announces that it reached its most fragile point — work done, nothing committed
//! yet — by creating `$QSWORD_CRASH_DIR/crash-point-STAGE`, and waits there, so a test can
//! `kill -9` it at exactly that moment. Unset (always, outside tests), this does nothing.

use std::time::Duration;

/// Pauses here if the environment asks for it (see the module doc).
pub fn crash_point(stage: &str) {
    let Ok(wanted) = std::env::var("QSWORD_CRASH_PAUSE") else {
        return;
    };
    if wanted != stage {
        return;
    }
    if let Ok(dir) = std::env::var("QSWORD_CRASH_DIR") {
        let _ = std::fs::write(
            std::path::Path::new(&dir).join(format!("crash-point-{stage}")),
            b"",
        );
    }
    std::thread::sleep(Duration::from_secs(30));
}
