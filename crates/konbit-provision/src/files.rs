//! Small file-system helpers shared by the provisioners: the group and
//! user ids of daemons, files shared with a daemon's group, atomic writes
//! and path components that cannot leave their directory.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Gives a SQLite database's directory and files to a daemon's group: the
/// directory 2770 (in WAL mode every reader must be able to create `-shm`),
/// the files 0660, nothing for others. `setting` names the configuration
/// key in the error when the group does not exist.
pub fn share_with_group(path: &Path, group: &str, setting: &str) -> Result<(), String> {
    let gid = group_id(group).ok_or_else(|| format!("group {group} does not exist ({setting})"))?;
    let fail = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::os::unix::fs::chown(dir, None, Some(gid)).map_err(|e| fail(dir, e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2770))
            .map_err(|e| fail(dir, e))?;
    }
    let mut files = vec![path.to_owned()];
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        files.push(PathBuf::from(p));
    }
    for f in files.iter().filter(|f| f.exists()) {
        std::os::unix::fs::chown(f, None, Some(gid)).map_err(|e| fail(f, e))?;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o660))
            .map_err(|e| fail(f, e))?;
    }
    Ok(())
}

/// The id of a group, from `/etc/group`.
pub fn group_id(name: &str) -> Option<u32> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.parse().ok()
    })
}

/// The uid and primary gid of a user, from `/etc/passwd`.
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let users = std::fs::read_to_string("/etc/passwd").ok()?;
    users.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// Whether `name` can be used as one path component as is: non-empty, not
/// `.`/`..`, not hidden (temporary files start with a dot), and only the
/// characters of host names and mail addresses. Names come from validated
/// types; this is the last check before they touch the file system.
pub fn safe_component(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+@-".contains(&b))
}

/// `dir/name` when `name` is a [`safe_component`].
pub fn child(dir: &Path, name: &str) -> Result<PathBuf, String> {
    if safe_component(name) {
        Ok(dir.join(name))
    } else {
        Err(format!(
            "{name:?} cannot be a file name in {}",
            dir.display()
        ))
    }
}

/// Ownership and mode of a file written by [`write_atomic`].
#[derive(Debug, Clone, Copy)]
pub struct FileMode {
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// Writes `path` through a temporary file in the same directory and a
/// rename, so a reader sees the old content or the new one, never a part.
/// Owner and mode are set before the rename, so the content is never
/// readable by anyone it is not meant for. Returns whether anything
/// changed (same content, mode and owner: the file is left alone).
pub fn write_atomic(path: &Path, contents: &[u8], mode: FileMode) -> Result<bool, String> {
    use std::os::unix::fs::MetadataExt;
    let fail = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && meta.is_file()
        && meta.mode() & 0o7777 == mode.mode
        && mode.uid.is_none_or(|u| u == meta.uid())
        && mode.gid.is_none_or(|g| g == meta.gid())
        && std::fs::read(path).is_ok_and(|old| old == contents)
    {
        return Ok(false);
    }
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no directory", path.display()))?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    // A temporary file left by a crash of this same process id.
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode.mode)
            .open(&tmp)
            .map_err(|e| fail(&tmp, e))?;
        f.write_all(contents).map_err(|e| fail(&tmp, e))?;
        f.sync_all().map_err(|e| fail(&tmp, e))?;
        if mode.uid.is_some() || mode.gid.is_some() {
            std::os::unix::fs::chown(&tmp, mode.uid, mode.gid).map_err(|e| fail(&tmp, e))?;
        }
        // The umask may have taken bits away at creation.
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode.mode))
            .map_err(|e| fail(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

/// Creates `dir` (and its parents) if needed, then gives it this mode and
/// owner.
pub fn ensure_dir(dir: &Path, mode: FileMode) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let meta = std::fs::symlink_metadata(dir).map_err(fail)?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if mode.uid.is_some() || mode.gid.is_some() {
        std::os::unix::fs::chown(dir, mode.uid, mode.gid).map_err(fail)?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode.mode)).map_err(fail)
}

/// Creates `dir` (and its parents) with this mode and owner if it does not
/// exist; an existing directory is left as it is (a directory another
/// component set up keeps its own permissions).
pub fn make_dir(dir: &Path, mode: FileMode) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(format!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ensure_dir(dir, mode),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

/// Removes a file if it exists; returns whether it did.
pub fn remove_file(path: &Path) -> Result<bool, String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The bytes of the regular files under `path`, without following links
/// and at most `max_depth` levels down; 0 when it does not exist.
pub fn tree_bytes(path: &Path, max_depth: usize) -> u64 {
    fn walk(dir: &Path, depth: usize, max_depth: usize) -> u64 {
        if depth > max_depth {
            return 0;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut total: u64 = 0;
        for entry in entries.filter_map(Result::ok) {
            // `DirEntry::metadata` does not follow links.
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let bytes = if meta.is_dir() {
                walk(&entry.path(), depth + 1, max_depth)
            } else if meta.is_file() {
                meta.len()
            } else {
                0
            };
            total = total.saturating_add(bytes);
        }
        total
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => walk(path, 0, max_depth),
        _ => 0,
    }
}

/// Whether `pid` is a running process: it exists and is not a zombie (a
/// killed process stays a zombie until its parent reaps it).
pub fn process_runs(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_some_and(|state| !matches!(state, 'Z' | 'X')),
        Err(_) => false,
    }
}

/// The pid in a daemon's pid file, if a process of that name runs under
/// it: a pid file left behind by a daemon that died names a pid the
/// kernel may have given to another program since, which must not get
/// the daemon's signal. `comm` is how the name starts (`php-fpm`,
/// `proftpd`, `opendkim`).
pub fn daemon_pid(pid_file: &Path, comm: &str) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 1)?;
    runs_as(pid, comm).then_some(pid)
}

/// Whether `pid` runs and its command name starts with `comm`.
pub fn runs_as(pid: u32, comm: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|name| name.starts_with(comm))
        && process_runs(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_file_names_a_daemon_only_while_a_process_of_its_name_runs() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("daemon.pid");
        let me = std::process::id();
        let my_name = std::fs::read_to_string("/proc/self/comm").unwrap();
        std::fs::write(&file, format!("{me}\n")).unwrap();
        assert_eq!(daemon_pid(&file, my_name.trim()), Some(me));
        assert_eq!(daemon_pid(&file, "php-fpm"), None, "another program");
        assert_eq!(daemon_pid(&dir.path().join("none.pid"), "x"), None);
        std::fs::write(&file, "not a pid\n").unwrap();
        assert_eq!(daemon_pid(&file, my_name.trim()), None);
        std::fs::write(&file, "1\n").unwrap();
        assert_eq!(daemon_pid(&file, "systemd"), None, "never init");
    }

    #[test]
    fn components_cannot_leave_their_directory() {
        for ok in ["ada@example.org", "example.org", "a+b_c-d.sieve", "k2026"] {
            assert!(safe_component(ok), "{ok}");
        }
        for bad in [
            "", ".", "..", "../x", "a/b", ".hidden", "a b", "a\0b", "a\nb", "é",
        ] {
            assert!(!safe_component(bad), "{bad:?}");
        }
        assert!(child(Path::new("/x"), "../etc").is_err());
    }

    #[test]
    fn atomic_writes_report_changes_and_set_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mode = FileMode {
            mode: 0o640,
            uid: None,
            gid: None,
        };
        assert!(write_atomic(&path, b"one", mode).unwrap());
        assert!(!write_atomic(&path, b"one", mode).unwrap());
        assert!(write_atomic(&path, b"two", mode).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        let others: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(others.len(), 1, "no temporary file is left");
    }
}
