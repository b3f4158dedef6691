//! nginx's limit of open files against what the sites need.
//!
//! nginx's master opens every site's access and error log when it reads
//! its configuration, and its workers inherit them: two files per site,
//! and during a reload four, since the new configuration's files are
//! opened before the old ones are closed (a benchmark with 9,488 sites
//! under a limit of 20,000 never saw a reload take).
//! Under systemd's default soft limit (1024) a reload past about 500 sites
//! fails with "Too many open files", and `nginx -s reload` does not report
//! it: the old configuration goes on being served. `konbit doctor` and
//! `konbit web-server setup` say so before it happens.

use std::path::Path;

/// Files a worker needs besides the logs: listeners, client and upstream
/// connections, the files it serves.
pub const HEADROOM: u64 = 1024;

/// The open files that `sites` sites need through a reload.
pub fn files_needed(sites: usize) -> u64 {
    FILES_PER_SITE * sites as u64 + HEADROOM
}

/// Two logs, held twice during a reload.
pub const FILES_PER_SITE: u64 = 4;

/// A running nginx master and its soft limit of open files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MasterLimit {
    pub pid: u32,
    /// `None`: unlimited.
    pub open_files: Option<u64>,
}

/// The running master of the nginx that reads `main_conf`: its process
/// title names the file after `-c`, or names none when `main_conf` is
/// Debian's default. `None`: no such master runs (or /proc is unreadable).
pub fn master_limit(main_conf: &Path) -> Option<MasterLimit> {
    let default_conf = main_conf == Path::new("/etc/nginx/nginx.conf");
    let conf = main_conf.to_str()?;
    let entries = std::fs::read_dir("/proc").ok()?;
    // Bounded by the number of processes.
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let title = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !title.starts_with("nginx: master process") {
            continue;
        }
        let mine = if title.contains(" -c ") {
            title.contains(&format!(" -c {conf}"))
        } else {
            default_conf
        };
        if !mine {
            continue;
        }
        let limits = std::fs::read_to_string(entry.path().join("limits")).ok()?;
        return Some(MasterLimit {
            pid,
            open_files: parse_open_files(&limits)?,
        });
    }
    None
}

/// The soft "Max open files" of a `/proc/<pid>/limits`; `Some(None)`:
/// unlimited.
fn parse_open_files(limits: &str) -> Option<Option<u64>> {
    parse_open_files_column(limits, 0)
}

/// This process's hard limit of open files, the most a child may get
/// without `CAP_SYS_RESOURCE`; `None`: unreadable or unlimited.
pub fn own_hard_open_files() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_column(&limits, 1)?
}

/// Column 0 (soft) or 1 (hard) of the "Max open files" line.
fn parse_open_files_column(limits: &str, column: usize) -> Option<Option<u64>> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let value = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .nth(column)?;
    if value == "unlimited" {
        return Some(None);
    }
    value.parse().ok().map(Some)
}

/// The number of site files in `sites_dir` (`*.conf`).
pub fn site_files(sites_dir: &Path) -> usize {
    std::fs::read_dir(sites_dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".conf")))
            .count()
    })
}

/// What an operator reads when the limit is too low, with the fix.
pub fn too_low(limit: MasterLimit, sites: usize) -> Option<String> {
    let have = limit.open_files?;
    let need = files_needed(sites);
    (have < need).then(|| {
        format!(
            "nginx (pid {}) may open {have} files, and {sites} sites' logs need about {need}: \
             past that a reload fails and the old configuration stays served. Raise it: \
             LimitNOFILE=65536 in /etc/systemd/system/nginx.service.d/limits.conf, then \
             systemctl daemon-reload && systemctl restart nginx",
            limit.pid
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
        Max cpu time              unlimited            unlimited            seconds   \n\
        Max open files            1024                 524288               files     \n";

    #[test]
    fn the_soft_limit_is_read() {
        assert_eq!(parse_open_files(LIMITS), Some(Some(1024)));
        let unlimited = LIMITS.replace("1024 ", "unlimited ");
        assert_eq!(parse_open_files(&unlimited), Some(None));
        assert_eq!(parse_open_files("Max cpu time 1 1 s"), None);
        assert_eq!(parse_open_files_column(LIMITS, 1), Some(Some(524_288)));
    }

    #[test]
    fn the_need_grows_with_the_sites() {
        let low = MasterLimit {
            pid: 7,
            open_files: Some(1024),
        };
        assert_eq!(too_low(low, 0), None);
        let message = too_low(low, 600).unwrap_or_default();
        assert!(message.contains("600 sites"), "{message}");
        assert!(message.contains("LimitNOFILE"), "{message}");
        let high = MasterLimit {
            pid: 7,
            open_files: Some(65_536),
        };
        assert_eq!(too_low(high, 10_000), None);
        let unlimited = MasterLimit {
            pid: 7,
            open_files: None,
        };
        assert_eq!(too_low(unlimited, 1_000_000), None);
    }

    #[test]
    fn site_files_counts_conf_files_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["site-1.conf", "site-2.conf", "site-3.conf.tmp", "notes"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(site_files(dir.path()), 2);
        assert_eq!(site_files(&dir.path().join("missing")), 0);
    }
}
