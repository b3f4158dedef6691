//! `konbit sftp-server setup`: ProFTPd's configuration for SFTP, from
//! `[sftp]`. It makes the directories with their modes, writes empty user
//! and group files when there are none yet (the SFTP provisioner fills
//! them; existing logins are never dropped here), makes the host keys
//! that are missing, writes the configuration and checks it with
//! `proftpd -t` (a refused file is rolled back), and with `--reload` tells
//! a running ProFTPd to read it again. It starts nothing: it prints the
//! command that does.

use crate::config::Config;
use crate::output::{Format, fail_msg, print};
use clap::Subcommand;
use konbit_provision::sftp::server::{self, SftpServer};
use konbit_provision::web::nginx::RenderError;
use konbit_provision::web::server::install;
use serde::Serialize;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// OpenSSH's key generator (Debian's `openssh-client`).
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
/// The configuration Debian's `proftpd.service` runs by default.
const DEBIAN_CONF: &str = "/etc/proftpd/proftpd.conf";
/// Where Debian's unit reads `CONFIG_FILE`.
const DEBIAN_DEFAULTS: &str = "/etc/default/proftpd";

/// Who may read what: the user, group and key files hold password hashes
/// and who may log in; the host keys are private keys.
const PRIVATE_DIR: u32 = 0o700;
/// The configuration, pid and scoreboard: no secret, read by root.
const PUBLIC_DIR: u32 = 0o755;

#[derive(Subcommand, Debug)]
pub enum SftpServerCommand {
    /// Prepare the directories and the host keys, write and check ProFTPd's configuration for SFTP (sftp.proftpd_conf).
    Setup {
        /// Then tell the running ProFTPd to read its configuration again (logins need no reload: ProFTPd reads its user files at each login).
        #[arg(long)]
        reload: bool,
    },
}

#[derive(Debug, Serialize)]
struct Report {
    files: Files,
    /// The files this run wrote.
    changed: Vec<PathBuf>,
    /// The host keys this run made.
    host_keys_made: Vec<PathBuf>,
    listen: SocketAddr,
    reloaded: bool,
    /// Asked to reload, but not running.
    not_running: bool,
    /// The command that starts ProFTPd with this configuration.
    start: String,
    /// What the operator should know or fix.
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Files {
    conf: PathBuf,
    user_file: PathBuf,
    group_file: PathBuf,
    keys_dir: PathBuf,
    host_keys: Vec<PathBuf>,
    pid_file: PathBuf,
    log: PathBuf,
}

/// ProFTPd as `[sftp]` describes it, with the paths under `state_dir`.
pub(crate) fn sftp_server(config: &Config) -> SftpServer {
    let s = &config.sftp;
    let host_keys_dir = config.state_path(&s.host_keys_dir);
    let run_dir = config.state_path(&s.run_dir);
    SftpServer {
        conf: config.state_path(&s.proftpd_conf),
        listen: s.listen,
        files: config.sftp_files(),
        // The types every SFTP client of the last decade takes; the file
        // names tell `generate_host_keys` which type to make.
        host_keys: vec![
            host_keys_dir.join("ssh_host_ed25519_key"),
            host_keys_dir.join("ssh_host_ecdsa_key"),
        ],
        pid_file: run_dir.join("proftpd.pid"),
        scoreboard: run_dir.join("proftpd.scoreboard"),
        log: config.state_path(&s.log),
        max_login_attempts: s.max_login_attempts,
    }
}

pub async fn run(format: Format, config: &Config, command: SftpServerCommand) -> ExitCode {
    let SftpServerCommand::Setup { reload } = command;
    let server = sftp_server(config);
    let file = match server.file() {
        Ok(f) => f,
        Err(e) => return fail_msg(format!("configuration error: {}", describe(&e))),
    };
    if !server::ours(&server.conf) {
        return fail_msg(format!(
            "{} exists and was not written by Konbit: it is left alone. Move it away (it is \
             replaced by Konbit's), or point sftp.proftpd_conf elsewhere",
            server.conf.display()
        ));
    }
    for (program, package) in [
        (config.sftp.proftpd.as_path(), "proftpd-core"),
        (Path::new(SSH_KEYGEN), "openssh-client"),
    ] {
        if !program.is_file() {
            return fail_msg(format!(
                "{} is not installed (apt-get install {package})",
                program.display()
            ));
        }
    }
    let mod_sftp = Path::new(server::MODULE_DIR).join("mod_sftp.so");
    if !mod_sftp.is_file() {
        return fail_msg(format!(
            "{} is missing: ProFTPd's SFTP module is in Debian's proftpd-mod-crypto \
             (apt-get install proftpd-mod-crypto)",
            mod_sftp.display()
        ));
    }
    if let Err(e) = prepare_dirs(config, &server) {
        return fail_msg(e);
    }
    let mut changed = Vec::new();
    let mut notes = Vec::new();
    match user_files(&server) {
        Ok(UserFiles::Written(paths)) => changed.extend(paths),
        Ok(UserFiles::Present) => {}
        Ok(UserFiles::OneMissing { missing, present }) => notes.push(format!(
            "{} is missing while {} exists: it is not written here, so that no login is \
             dropped; Konbit's SFTP provisioner writes both at the next change to an SFTP login",
            missing.display(),
            present.display()
        )),
        Err(e) => return fail_msg(format!("writing the SFTP user files: {e}")),
    }
    let host_keys_made =
        match server::generate_host_keys(Path::new(SSH_KEYGEN), &server.host_keys).await {
            Ok(made) => made,
            Err(e) => return fail_msg(format!("making the host keys (sftp.host_keys_dir): {e}")),
        };
    changed.extend(host_keys_made.iter().cloned());
    let previous = match install(std::slice::from_ref(&file)) {
        Ok(p) => p,
        Err(e) => return fail_msg(format!("writing ProFTPd's configuration: {e}")),
    };
    if let Err(e) = server::check(&config.sftp.proftpd, &server.conf).await {
        let restored = match previous.restore() {
            Ok(()) => "the previous file is back".to_owned(),
            Err(e) => format!("putting the previous file back failed: {e}"),
        };
        return fail_msg(format!(
            "proftpd -t refused the configuration: {e} ({restored})"
        ));
    }
    changed.extend(previous.changed);

    if !config.sftp.enabled {
        notes.push(
            "sftp.enabled is false: Konbit writes no SFTP login until it is true (and \
             `konbit serve` runs as root)"
                .to_owned(),
        );
    }
    if !running_as_root() {
        notes.push(
            "not run as root: ProFTPd's master must run as root (it chroots each session and \
             switches to its login's uid), and these files should be root's"
                .to_owned(),
        );
    }

    let mut reloaded = false;
    let mut not_running = false;
    let mut failure = None;
    if reload {
        match running_pid(&server.pid_file) {
            None => not_running = true,
            Some(pid) => match hang_up(pid) {
                Ok(()) => reloaded = true,
                Err(e) => failure = Some(format!("kill -HUP {pid}: {e}")),
            },
        }
    }

    let report = Report {
        files: Files {
            conf: server.conf.clone(),
            user_file: server.files.user_file.clone(),
            group_file: server.files.group_file.clone(),
            keys_dir: server.files.keys_dir.clone(),
            host_keys: server.host_keys.clone(),
            pid_file: server.pid_file.clone(),
            log: server.log.clone(),
        },
        changed,
        host_keys_made,
        listen: server.listen,
        reloaded,
        not_running,
        start: format!(
            "{} -n -c {}",
            config.sftp.proftpd.display(),
            server.conf.display()
        ),
        notes,
    };
    print(format, &report, text);
    match failure {
        None => ExitCode::SUCCESS,
        Some(e) => fail_msg(format!(
            "the configuration is written and checked, but ProFTPd did not reload: {e}"
        )),
    }
}

/// Makes the directories ProFTPd and the SFTP provisioner need; refuses a
/// world-writable one, which ProFTPd refuses for its user file,
/// scoreboard and log.
fn prepare_dirs(config: &Config, server: &SftpServer) -> Result<(), String> {
    let s = &config.sftp;
    let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
    // The private ones first: a directory shared with the configuration
    // keeps the strictest mode.
    let dirs = [
        (
            "sftp.user_file",
            parent(&server.files.user_file),
            PRIVATE_DIR,
        ),
        (
            "sftp.group_file",
            parent(&server.files.group_file),
            PRIVATE_DIR,
        ),
        (
            "sftp.host_keys_dir",
            config.state_path(&s.host_keys_dir),
            PRIVATE_DIR,
        ),
        ("sftp.log", parent(&server.log), PRIVATE_DIR),
        ("sftp.run_dir", config.state_path(&s.run_dir), PUBLIC_DIR),
        ("sftp.proftpd_conf", parent(&server.conf), PUBLIC_DIR),
    ];
    for (key, dir, mode) in &dirs {
        make_dir(dir, *mode).map_err(|e| format!("{key}: {}: {e}", dir.display()))?;
        let meta = std::fs::metadata(dir).map_err(|e| format!("{key}: {}: {e}", dir.display()))?;
        if meta.permissions().mode() & 0o002 != 0 {
            return Err(format!(
                "{key}: {} is world-writable, which ProFTPd refuses: chmod o-w {}, or point \
                 {key} elsewhere",
                dir.display(),
                dir.display()
            ));
        }
    }
    // Key files hold who may log in with which key: root's alone, as the
    // provisioner makes it.
    let keys_dir = &server.files.keys_dir;
    make_dir(keys_dir, PRIVATE_DIR)
        .and_then(|()| {
            std::fs::set_permissions(keys_dir, std::fs::Permissions::from_mode(PRIVATE_DIR))
        })
        .map_err(|e| format!("sftp.keys_dir: {}: {e}", keys_dir.display()))
}

/// Creates `dir` and its missing parents with `mode` (whatever the
/// umask); an existing directory keeps its own.
fn make_dir(dir: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "not a directory",
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
}

enum UserFiles {
    Written(Vec<PathBuf>),
    Present,
    OneMissing { missing: PathBuf, present: PathBuf },
}

/// Empty user and group files when there are none yet, so that ProFTPd
/// starts; existing ones hold the logins and are left to the provisioner.
fn user_files(server: &SftpServer) -> Result<UserFiles, String> {
    let files = &server.files;
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    match (exists(&files.user_file), exists(&files.group_file)) {
        (false, false) => files
            .write_all(&[])
            .map(|report| UserFiles::Written(report.changed)),
        (true, true) => Ok(UserFiles::Present),
        (true, false) => Ok(UserFiles::OneMissing {
            missing: files.group_file.clone(),
            present: files.user_file.clone(),
        }),
        (false, true) => Ok(UserFiles::OneMissing {
            missing: files.user_file.clone(),
            present: files.group_file.clone(),
        }),
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// The pid in ProFTPd's pid file, if it is a running ProFTPd: a pid file
/// left behind may name another program by now.
pub(crate) fn running_pid(pid_file: &Path) -> Option<u32> {
    konbit_provision::daemon_pid(pid_file, "proftpd")
}

/// SIGHUP: ProFTPd's master reads its configuration again.
fn hang_up(pid: u32) -> Result<(), String> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| format!("{pid} is not a process id"))?;
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).map_err(|e| e.to_string())
}

/// The configuration key a [`SftpServer`] field comes from.
fn config_key(field: &str) -> &'static str {
    match field {
        "conf" => "sftp.proftpd_conf",
        "listen" => "sftp.listen",
        "files.user_file" => "sftp.user_file",
        "files.group_file" => "sftp.group_file",
        "files.keys_dir" => "sftp.keys_dir",
        "host_keys" => "sftp.host_keys_dir",
        "pid_file" | "scoreboard" => "sftp.run_dir",
        "log" => "sftp.log",
        "max_login_attempts" => "sftp.max_login_attempts",
        _ => "sftp",
    }
}

/// A [`RenderError`] told with the configuration key.
fn describe(e: &RenderError) -> String {
    format!("{}: {}", config_key(e.field), e.reason)
}

fn text(r: &Report) -> String {
    let f = &r.files;
    let mut s = String::from("ProFTPd's SFTP configuration is written and checked.\n\n");
    s.push_str(&format!(
        "  ProFTPd    {} (SFTP only, on {})\n",
        f.conf.display(),
        r.listen
    ));
    s.push_str(&format!(
        "  logins     {}, {}, keys in {} (written by Konbit's SFTP provisioner)\n",
        f.user_file.display(),
        f.group_file.display(),
        f.keys_dir.display()
    ));
    let keys: Vec<String> = f
        .host_keys
        .iter()
        .map(|k| k.display().to_string())
        .collect();
    s.push_str(&format!(
        "  host keys  {}{}\n",
        keys.join(", "),
        if r.host_keys_made.is_empty() {
            ""
        } else {
            " (made now)"
        }
    ));
    s.push_str(&format!("  log        {}\n", f.log.display()));
    if r.changed.is_empty() {
        s.push_str("  (nothing changed)\n");
    }
    if r.reloaded {
        s.push_str("\nReloaded: proftpd.\n");
    } else {
        if r.not_running {
            s.push_str("\nNot running, so not reloaded: proftpd.\n");
        }
        s.push_str(&format!(
            "\nStart it, as root, in the foreground:\n  {}\n\
             or with Debian's proftpd.service, which runs {DEBIAN_CONF} (an FTP server): this \
             file is a whole server of its own, to run instead of Debian's rather than be \
             included in it, so set CONFIG_FILE={} in {DEBIAN_DEFAULTS} and give the unit \
             PIDFile={} (`systemctl edit proftpd`).\n",
            r.start,
            f.conf.display(),
            f.pid_file.display()
        ));
        s.push_str(
            "After a change to [sftp], run `konbit sftp-server setup --reload` while it runs. \
             Logins need no reload: ProFTPd reads its user files at each login.\n",
        );
    }
    for n in &r.notes {
        s.push_str(&format!("\nNote: {n}"));
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_as_in_the_file() {
        assert_eq!(config_key("conf"), "sftp.proftpd_conf");
        assert_eq!(config_key("files.keys_dir"), "sftp.keys_dir");
        assert_eq!(config_key("scoreboard"), "sftp.run_dir");
        assert_eq!(config_key("host_keys"), "sftp.host_keys_dir");
    }

    #[test]
    fn only_a_running_proftpd_is_signalled() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("proftpd.pid");
        assert_eq!(running_pid(&pid_file), None);
        // This test process runs, but is not ProFTPd.
        std::fs::write(&pid_file, format!("{}\n", std::process::id())).unwrap();
        assert_eq!(running_pid(&pid_file), None);
        std::fs::write(&pid_file, "not a pid\n").unwrap();
        assert_eq!(running_pid(&pid_file), None);
    }
}
