//! Wakes the reconciler of a running `konbit serve` when another process
//! (the CLI) has committed a change, so the change is applied at once and
//! not at the worker's next idle tick. A datagram on a Unix socket in the
//! state directory (mode 0700, so only Konbit's user can poke it); the
//! payload means nothing, the worker always reads the queue itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Notify;

pub fn socket_path(state_dir: &Path) -> PathBuf {
    state_dir.join("reconcile.sock")
}

/// Listens on `path` and turns every datagram into a wake-up. A stale
/// socket left by a killed server is replaced.
pub fn listen(
    path: &Path,
    wakeups: Vec<Arc<Notify>>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let socket = tokio::net::UnixDatagram::bind(path)?;
    Ok(tokio::spawn(async move {
        let mut buf = [0u8; 16];
        loop {
            match socket.recv(&mut buf).await {
                Ok(_) => wakeups.iter().for_each(|w| w.notify_one()),
                Err(e) => {
                    tracing::warn!(error = %e, "reconcile wake-up socket failed");
                    return;
                }
            }
        }
    }))
}

/// Tells a running server that changes are queued. Best effort: without a
/// server (or with an old socket file) nothing happens, and the worker's
/// idle tick picks the change up anyway.
pub fn poke(path: &Path) {
    if let Ok(socket) = std::os::unix::net::UnixDatagram::unbound() {
        let _ = socket.set_nonblocking(true);
        let _ = socket.send_to(b"1", path);
    }
}
