//! A real ProFTPd with mod_sftp for tests, under the [`Daemon`] watchdog,
//! on a free loopback port, with users from an `AuthUserFile`, and OpenSSH
//! `sftp` helpers to log in with a password or a key.
//!
//! [`ProFtpd::start`] generates host keys (RSA 3072 in PEM and ECDSA) in
//! `dir` (the RSA one once per test process, then copied: it takes 1 to 3
//! s), writes `dir/proftpd.conf` (the recipe of SERVICES.md §5: SFTP
//! only, `DefaultRoot ~`, `AuthOrder mod_auth_file.c`, `RequireValidShell
//! off`, `SFTPAuthMethods publickey password`, `DelayEngine off`), checks it
//! with `proftpd -t` and runs `proftpd -n` (foreground, in the watchdog's
//! process group; the per-session children stay in it too).
//!
//! # Users
//!
//! [`ProFtpdOptions::auth_user_file`] has one line per user,
//! `user:crypt-hash:uid:gid::home:shell` (e.g. a `openssl passwd -6` hash);
//! the shell is not checked. ProFTPd reads the file at each login, so a user
//! written while it runs can log in at once. Homes must belong to the
//! user's uid: each session is chrooted there and runs as that uid, so
//! uploads belong to it. Keep the file mode 0600 or 0640, not
//! world-writable.
//!
//! # Public keys: RFC 4716 only
//!
//! The keys of user `u` are read from `<authorized_keys_dir>/u`
//! (`SFTPAuthorizedUserKeys file:<dir>/%u`). **ProFTPd 1.3.8's mod_sftp
//! reads only RFC 4716 blocks there** (`---- BEGIN SSH2 PUBLIC KEY ----`,
//! base64 lines, `---- END SSH2 PUBLIC KEY ----`; several blocks per file
//! are fine, a `Comment:` header too). An OpenSSH one-line key
//! (`ssh-ed25519 AAAA... comment`) is silently ignored: the server answers
//! the client's key probe with "publickey OK" but then refuses the signed
//! request, and logs only `sending userauth failure` (checked with RSA and
//! Ed25519 keys; the one-line format needs the separate
//! `mod_sftp_openssh` module, not among Debian 12's ProFTPd modules). Convert with
//! [`openssh_to_rfc4716`] (or `ssh-keygen -e -m RFC4716 -f key.pub`).
//! Ed25519, ECDSA and RSA client keys all work once converted.
//!
//! Needs Debian's `proftpd-core` and `openssh-client`, and root.
//! [`ProFtpd::try_start`] skips (prints `SKIPPED`) when they are missing,
//! unless `REQUIRE_SFTP_TESTS=1`.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let opts = ProFtpdOptions {
//!     auth_user_file: dir.path().join("ftpd.passwd"),
//!     auth_group_file: dir.path().join("ftpd.group"),
//!     authorized_keys_dir: dir.path().join("keys"),
//! };
//! // ... write the two files (mode 0600) and the keys directory ...
//! let Some(ftp) = ProFtpd::try_start(&dir.path().join("proftpd"), opts).await? else {
//!     return Ok(());
//! };
//! let out = ftp.sftp_password("site1", "S1te-pass", "put /etc/hostname\nls\n")?;
//! assert!(out.status.success());
//! # Ok(()) }
//! ```

use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::daemon::{Daemon, free_port, require_binary, skip_if_missing};
use crate::mariadb::{
    GONE_TIMEOUT, check_config_path, passwd_ids, remove_if_exists, require_root, run_with_input,
    wait_group_gone, write_file,
};

/// Environment variable that turns "not installed" skips into failures.
pub const REQUIRE_ENV: &str = "REQUIRE_SFTP_TESTS";

const PROFTPD: &str = "/usr/sbin/proftpd";
const MODULE_DIR: &str = "/usr/lib/proftpd";
const SFTP: &str = "/usr/bin/sftp";
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const SETSID: &str = "/usr/bin/setsid";
/// The user and group of sessions before login.
const SERVER_USER: &str = "proftpd";
const SERVER_GROUP: &str = "nogroup";
/// How long the server may take to accept connections once started.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// One `proftpd -t` or `ssh-keygen` run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// One `sftp` session.
const SFTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Ports tried when the one picked is taken before the server binds it.
const START_ATTEMPTS: usize = 3;
/// The variable the askpass script prints.
const ASKPASS_VAR: &str = "KONBIT_SFTP_PASSWORD";

/// A caller's configuration: `render(port, host_keys)`.
pub type RenderConfig = dyn Fn(u16, &[PathBuf]) -> String + Sync;

/// Where ProFTPd finds its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProFtpdOptions {
    /// `AuthUserFile`: `user:crypt-hash:uid:gid::home:shell` lines.
    pub auth_user_file: PathBuf,
    /// `AuthGroupFile`: `group:x:gid:members` lines.
    pub auth_group_file: PathBuf,
    /// `SFTPAuthorizedUserKeys file:<dir>/%u`: one file per user, in
    /// RFC 4716 format (see the [module documentation](self)).
    pub authorized_keys_dir: PathBuf,
}

/// A running `proftpd`; killed, with its sessions, when dropped (see
/// [`ProFtpd::stop`]).
#[derive(Debug)]
pub struct ProFtpd {
    daemon: Daemon,
    dir: PathBuf,
    port: u16,
    host_keys: Vec<PathBuf>,
}

impl ProFtpd {
    /// Generate host keys in `dir` (created if needed), write
    /// `dir/proftpd.conf`, check it with `proftpd -t` and start the server
    /// on a free loopback port; returns once the port accepts.
    pub async fn start(dir: &Path, opts: ProFtpdOptions) -> Result<ProFtpd> {
        Self::start_inner(dir, opts, None).await
    }

    /// Like [`ProFtpd::try_start`], with a configuration of the caller's
    /// (e.g. the one Konbit renders): `render(port, host_keys)` must write
    /// its `PidFile` to `<dir>/run/proftpd.pid` and its `SystemLog` to
    /// `<dir>/proftpd.log`, `dir` as canonicalized.
    pub async fn try_start_rendered(
        dir: &Path,
        opts: ProFtpdOptions,
        render: &RenderConfig,
    ) -> Result<Option<ProFtpd>> {
        skip_if_missing(
            Self::start_inner(dir, opts, Some(render)).await,
            REQUIRE_ENV,
        )
    }

    async fn start_inner(
        dir: &Path,
        opts: ProFtpdOptions,
        render: Option<&RenderConfig>,
    ) -> Result<ProFtpd> {
        require_binary(PROFTPD, "proftpd-core")?;
        require_binary(SFTP, "openssh-client")?;
        require_binary(SSH_KEYGEN, "openssh-client")?;
        require_binary(SETSID, "util-linux")?;
        require_root("proftpd switches to each user's uid")?;
        passwd_ids(SERVER_USER)?;
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))?;
        let run = dir.join("run");
        fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
        let opts = ProFtpdOptions {
            auth_user_file: std::path::absolute(&opts.auth_user_file)
                .context("resolving the AuthUserFile path")?,
            auth_group_file: std::path::absolute(&opts.auth_group_file)
                .context("resolving the AuthGroupFile path")?,
            authorized_keys_dir: std::path::absolute(&opts.authorized_keys_dir)
                .context("resolving the authorized keys directory")?,
        };
        for path in [
            &dir,
            &opts.auth_user_file,
            &opts.auth_group_file,
            &opts.authorized_keys_dir,
        ] {
            check_config_path(path)?;
        }

        let rsa = dir.join("ssh_host_rsa_key");
        let ecdsa = dir.join("ssh_host_ecdsa_key");
        rsa_host_key(&rsa)?;
        host_key(&ecdsa, &["-m", "PEM", "-t", "ecdsa"])?;
        let host_keys = vec![rsa, ecdsa];

        let config = dir.join("proftpd.conf");
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let text = match render {
                Some(render) => render(port, &host_keys),
                None => proftpd_conf(&dir, port, &host_keys, &opts),
            };
            write_file(&config, &text)?;
            check_config(&config)?;
            // A pid file left by an earlier run in this directory.
            remove_if_exists(&run.join("proftpd.pid"))?;
            let daemon = Daemon::builder("proftpd", PROFTPD, &dir)
                .arg("-n")
                .arg("-c")
                .arg(&config)
                .current_dir(&dir)
                .start()?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            match daemon.wait_for_tcp(addr, READY_TIMEOUT).await {
                Ok(()) => {
                    return Ok(ProFtpd {
                        daemon,
                        dir,
                        port,
                        host_keys,
                    });
                }
                Err(e) => {
                    let system_log =
                        fs::read_to_string(dir.join("proftpd.log")).unwrap_or_default();
                    let in_use = |s: &str| s.contains("in use") || s.contains("nable to bind");
                    if !(in_use(&system_log) || in_use(&daemon.log())) {
                        return Err(e.context(format!("proftpd's system log:\n{system_log}")));
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("proftpd did not start")))
    }

    /// Like [`ProFtpd::start`], but if ProFTPd or OpenSSH's client is not
    /// installed (or the test is not root), print `SKIPPED: ...` and return
    /// `Ok(None)`, unless `REQUIRE_SFTP_TESTS=1`.
    pub async fn try_start(dir: &Path, opts: ProFtpdOptions) -> Result<Option<ProFtpd>> {
        skip_if_missing(ProFtpd::start(dir, opts).await, REQUIRE_ENV)
    }

    /// The SFTP port, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// The host keys' private halves (RSA, then ECDSA); the public ones
    /// are beside them with `.pub` appended.
    pub fn host_key_paths(&self) -> &[PathBuf] {
        &self.host_keys
    }

    /// `dir/proftpd.conf`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("proftpd.conf")
    }

    /// ProFTPd's `SystemLog` (logins, chroots, errors).
    pub fn system_log_path(&self) -> PathBuf {
        self.dir.join("proftpd.log")
    }

    /// mod_sftp's `SFTPLog` (key exchange and authentication details).
    pub fn sftp_log_path(&self) -> PathBuf {
        self.dir.join("sftp.log")
    }

    /// The server process.
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// The end of the system and SFTP logs, for a failing test.
    pub fn logs(&self) -> String {
        let tail = |path: PathBuf| {
            let text = fs::read(&path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        format!(
            "proftpd system log:\n{}\nsftp log:\n{}\nstderr:\n{}",
            tail(self.system_log_path()),
            tail(self.sftp_log_path()),
            self.daemon.log_tail(30)
        )
    }

    /// Log in as `user` with `password` and run `commands` (sftp commands,
    /// one a line, e.g. `"put /tmp/f\nls -1\n"`).
    ///
    /// OpenSSH `sftp` reads the commands from stdin, not with `-b` (which
    /// forces `BatchMode` and so disables passwords). The password comes
    /// from an askpass script (`SSH_ASKPASS_REQUIRE=force`) that prints it
    /// from an environment variable; it is never on a command line. Only
    /// password authentication is tried, once. Without `-b` sftp does not
    /// stop at a failing command: check the output (each command is echoed
    /// as `sftp> command` on stdout) or the files.
    pub fn sftp_password(&self, user: &str, password: &str, commands: &str) -> Result<Output> {
        let askpass_dir = tempfile::tempdir().context("creating a directory for askpass")?;
        let askpass = askpass_dir.path().join("askpass.sh");
        write_file(
            &askpass,
            &format!("#!/bin/sh\nprintf '%s\\n' \"${ASKPASS_VAR}\"\n"),
        )?;
        fs::set_permissions(&askpass, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("chmod 700 {}", askpass.display()))?;
        let mut cmd = Command::new(SETSID);
        cmd.arg("-w").arg(SFTP);
        self.common_args(&mut cmd);
        cmd.args([
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
        ])
        .arg(format!("{user}@127.0.0.1"))
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env(ASKPASS_VAR, password);
        let out = run_with_input(cmd, commands.as_bytes(), SFTP_TIMEOUT);
        drop(askpass_dir);
        out
    }

    /// Log in as `user` with the private key `key` (`-i key -o
    /// BatchMode=yes`, only that key) and run `commands` as a batch (`-b
    /// -`: sftp stops at the first failing command and exits non-zero).
    pub fn sftp_key(&self, user: &str, key: &Path, commands: &str) -> Result<Output> {
        let mut cmd = Command::new(SETSID);
        cmd.arg("-w").arg(SFTP);
        self.common_args(&mut cmd);
        cmd.arg("-i")
            .arg(key)
            .args([
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "PreferredAuthentications=publickey",
                "-b",
                "-",
            ])
            .arg(format!("{user}@127.0.0.1"));
        run_with_input(cmd, commands.as_bytes(), SFTP_TIMEOUT)
    }

    fn common_args(&self, cmd: &mut Command) {
        cmd.args(["-F", "/dev/null", "-P", &self.port.to_string()])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=10",
            ])
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("DISPLAY");
    }

    /// Kill the server and its sessions now and wait (at most 10 s) until
    /// they are gone; also done on drop.
    pub fn stop(&mut self) {
        self.daemon.stop();
        wait_group_gone(self.daemon.pgid(), GONE_TIMEOUT);
    }
}

impl Drop for ProFtpd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Generate an Ed25519 key pair without a passphrase in `dir` (created if
/// needed), named `id_ed25519` (or `id_ed25519-2` and so on if taken);
/// returns the private key's path and the public key's OpenSSH line
/// (`ssh-ed25519 AAAA... konbit-test`). For ProFTPd, convert the line with
/// [`openssh_to_rfc4716`].
pub fn generate_client_key(dir: &Path) -> Result<(PathBuf, String)> {
    require_binary(SSH_KEYGEN, "openssh-client")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = (1..=100)
        .map(|n| {
            if n == 1 {
                dir.join("id_ed25519")
            } else {
                dir.join(format!("id_ed25519-{n}"))
            }
        })
        .find(|p| !p.exists() && !public_path(p).exists())
        .with_context(|| format!("100 keys named id_ed25519* already in {}", dir.display()))?;
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.args(["-q", "-t", "ed25519", "-N", "", "-C", "konbit-test", "-f"])
        .arg(&private);
    let out = run_with_input(cmd, b"", TOOL_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "ssh-keygen -t ed25519 -f {} failed ({}): {}",
            private.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let public = public_path(&private);
    let line = fs::read_to_string(&public)
        .with_context(|| format!("reading {}", public.display()))?
        .trim()
        .to_owned();
    Ok((private, line))
}

/// Convert an OpenSSH public key line (`type base64 [comment]`, no
/// options) into the RFC 4716 block ProFTPd's mod_sftp reads: the same
/// base64 blob wrapped at 70 columns, the comment as a `Comment:` header.
/// Fails on anything that does not look like a key line.
pub fn openssh_to_rfc4716(line: &str) -> Result<String> {
    let mut fields = line.split_whitespace();
    let (Some(kind), Some(blob)) = (fields.next(), fields.next()) else {
        bail!("not an OpenSSH public key line (want `type base64 [comment]`)");
    };
    let comment: Vec<&str> = fields.collect();
    let known = kind.starts_with("ssh-")
        || kind.starts_with("ecdsa-sha2-")
        || kind.starts_with("sk-ssh-")
        || kind.starts_with("sk-ecdsa-");
    let base64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    if !known || !blob.bytes().all(base64) || blob.len() % 4 != 0 || blob.len() < 16 {
        bail!("not an OpenSSH public key line (type `{kind}`)");
    }
    let mut out = String::from("---- BEGIN SSH2 PUBLIC KEY ----\n");
    if !comment.is_empty() {
        let comment = comment.join(" ").replace(['"', '\\'], "");
        out.push_str(&format!("Comment: \"{comment}\"\n"));
    }
    for chunk in blob.as_bytes().chunks(70) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("---- END SSH2 PUBLIC KEY ----\n");
    Ok(out)
}

fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// The RSA host key made by the first [`ProFtpd::start`] of this process
/// (private, public): making one takes 1 to 3 s, an ECDSA key 10 ms.
static RSA_HOST_KEY: Mutex<Option<(Vec<u8>, Vec<u8>)>> = Mutex::new(None);

/// Put an RSA 3072 host key (PEM) at `path`: a new one the first time in
/// this process, then a copy of it.
fn rsa_host_key(path: &Path) -> Result<()> {
    // Held while generating, so that servers starting at the same time
    // wait for one key instead of each making its own.
    let mut cached = RSA_HOST_KEY.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((private, public)) = cached.as_ref() {
        remove_if_exists(path)?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(private)
            .with_context(|| format!("writing {}", path.display()))?;
        let public_path = public_path(path);
        return fs::write(&public_path, public)
            .with_context(|| format!("writing {}", public_path.display()));
    }
    host_key(path, &["-m", "PEM", "-t", "rsa", "-b", "3072"])?;
    let private = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let public_path = public_path(path);
    let public =
        fs::read(&public_path).with_context(|| format!("reading {}", public_path.display()))?;
    *cached = Some((private, public));
    Ok(())
}

/// Generate the host key `path` (and `path.pub`) with `ssh-keygen
/// KEYGEN_ARGS -N ''`, replacing an old one.
fn host_key(path: &Path, keygen_args: &[&str]) -> Result<()> {
    remove_if_exists(path)?;
    remove_if_exists(&public_path(path))?;
    let mut cmd = Command::new(SSH_KEYGEN);
    cmd.arg("-q")
        .args(keygen_args)
        .args(["-N", "", "-C", "konbit-test-host", "-f"])
        .arg(path);
    let out = run_with_input(cmd, b"", TOOL_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "ssh-keygen {} -f {} failed ({}): {}",
            keygen_args.join(" "),
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `proftpd -t -c CONFIG`: an error quoting its messages when it rejects
/// the configuration.
fn check_config(config: &Path) -> Result<()> {
    let mut cmd = Command::new(PROFTPD);
    cmd.arg("-t").arg("-c").arg(config);
    let out = run_with_input(cmd, b"", TOOL_TIMEOUT)?;
    if !out.status.success() {
        bail!(
            "proftpd -t -c {} rejects the configuration ({}):\n{}{}",
            config.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn proftpd_conf(dir: &Path, port: u16, host_keys: &[PathBuf], opts: &ProFtpdOptions) -> String {
    let d = dir.display();
    let host_keys: String = host_keys
        .iter()
        .map(|k| format!("SFTPHostKey {}\n", k.display()))
        .collect();
    format!(
        "# Written by konbit-testkit for one test run.
ModulePath {MODULE_DIR}
LoadModule mod_sftp.c
ServerType standalone
ServerName \"konbit-test\"
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
Port {port}
User {SERVER_USER}
Group {SERVER_GROUP}
Umask 022
PidFile {d}/run/proftpd.pid
ScoreboardFile {d}/run/proftpd.scoreboard
DelayTable {d}/run/proftpd.delay
DelayEngine off
SystemLog {d}/proftpd.log
TransferLog none
WtmpLog off
UseReverseDNS off
RequireValidShell off
DefaultRoot ~
AuthOrder mod_auth_file.c
AuthUserFile {user_file}
AuthGroupFile {group_file}
SFTPEngine on
SFTPLog {d}/sftp.log
{host_keys}SFTPAuthMethods publickey password
SFTPAuthorizedUserKeys file:{keys}/%u
<Directory ~>
  AllowOverwrite on
</Directory>
",
        user_file = opts.auth_user_file.display(),
        group_file = opts.auth_group_file.display(),
        keys = opts.authorized_keys_dir.display(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn openssh_lines_become_rfc4716_blocks() {
        let blob = "AAAAB3NzaC1yc2EAAAADAQAB".repeat(5);
        assert_eq!(blob.len(), 120);
        let block = openssh_to_rfc4716(&format!("ssh-rsa {blob} me@host  x")).unwrap();
        assert_eq!(
            block,
            format!(
                "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"me@host x\"\n{}\n{}\n---- END SSH2 PUBLIC KEY ----\n",
                &blob[..70],
                &blob[70..]
            )
        );
        let blob = "AAAAC3NzaC1lZDI1NTE5AAAAIILQP1BVxdwxurrNiRDhWiDQX7bEn9AlZt2oJel2IiyX";
        let bare = openssh_to_rfc4716(&format!("ssh-ed25519 {blob}")).unwrap();
        assert!(!bare.contains("Comment"), "{bare}");
        for bad in ["", "ssh-ed25519", "hello world", "ssh-rsa not*base64"] {
            assert!(openssh_to_rfc4716(bad).is_err(), "{bad}");
        }
    }
}
