//! How much disk each account's home uses, measured and recorded in the
//! store for the panel and the quota.

use super::host::UnixSettings;
use crate::ProvisionError;
use konbit_store::Store;

/// Deep enough for any site's tree; deeper directories are not counted.
const MAX_DEPTH: usize = 32;

fn store_error(e: konbit_store::StoreError) -> ProvisionError {
    ProvisionError::Transient(format!("state store: {e}"))
}

/// Measures every account's home and records it; returns how many were
/// measured. The walk happens outside any transaction.
pub async fn refresh_usage(store: &Store, unix: &UnixSettings) -> Result<usize, ProvisionError> {
    let accounts = {
        let mut tx = store.read().await.map_err(store_error)?;
        tx.account_names().await.map_err(store_error)?
    };
    let homes: Vec<_> = accounts
        .into_iter()
        .filter_map(|(id, name)| {
            let login = unix.login(id, &name).ok()?;
            Some((id, unix.homes_root.join(login.as_str())))
        })
        .collect();
    let measured = tokio::task::spawn_blocking(move || {
        homes
            .into_iter()
            .filter(|(_, home)| home.is_dir())
            .map(|(id, home)| (id, crate::files::tree_bytes(&home, MAX_DEPTH)))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ProvisionError::Transient(e.to_string()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut tx = store.write().await.map_err(store_error)?;
    for (id, bytes) in &measured {
        tx.set_web_usage(*id, *bytes, now)
            .await
            .map_err(store_error)?;
    }
    tx.commit().await.map_err(store_error)?;
    Ok(measured.len())
}
