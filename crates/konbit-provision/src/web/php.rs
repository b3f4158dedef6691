//! One PHP-FPM pool per account, running as the account's own user, and
//! the PHP-FPM commands the provisioner runs. A reload re-reads every pool
//! and a bad pool stops the master, so every change is checked with
//! `php-fpm -t` first (see the caller).

use super::nginx::{RenderError, plain_path};
use crate::command::run_checked;
use konbit_core::web::UnixLogin;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// The pool's name, user and group.
    pub login: UnixLogin,
    pub socket: PathBuf,
    /// `open_basedir`: PHP reads and writes only here (and PHP's shared
    /// libraries).
    pub home: PathBuf,
    /// Uploads, sessions, temporary files.
    pub tmp_dir: PathBuf,
    pub error_log: PathBuf,
    /// nginx's user: with root, the only one that may connect.
    pub listen_owner: String,
    pub max_children: u32,
    pub memory_limit_mb: u32,
    pub request_timeout_secs: u32,
}

fn plain_word<'a>(field: &'static str, s: &'a str) -> Result<&'a str, RenderError> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        Err(RenderError {
            field,
            reason: format!("{s:?} is not a plain user name"),
        })
    }
}

/// The pool file of one account.
pub fn render_pool(spec: &PoolSpec) -> Result<String, RenderError> {
    let login = spec.login.as_str();
    let socket = plain_path("socket", &spec.socket)?;
    let home = plain_path("home", &spec.home)?;
    let tmp = plain_path("tmp_dir", &spec.tmp_dir)?;
    let error_log = plain_path("error_log", &spec.error_log)?;
    let owner = plain_word("listen_owner", &spec.listen_owner)?;
    let mut out = String::new();
    let _ = writeln!(out, "; Konbit pool of {login} (generated; edits are overwritten)");
    let _ = writeln!(out, "[{login}]");
    let _ = writeln!(out, "user = {login}");
    let _ = writeln!(out, "group = {login}");
    let _ = writeln!(out, "listen = {socket}");
    let _ = writeln!(out, "listen.owner = {owner}");
    let _ = writeln!(out, "listen.group = {owner}");
    out.push_str("listen.mode = 0660\n");
    out.push_str("pm = ondemand\n");
    let _ = writeln!(out, "pm.max_children = {}", spec.max_children.max(1));
    out.push_str("pm.process_idle_timeout = 30s\n");
    out.push_str("pm.max_requests = 500\n");
    let _ = writeln!(out, "request_terminate_timeout = {}s", spec.request_timeout_secs.max(1));
    out.push_str("chdir = /\n");
    out.push_str("clear_env = yes\n");
    let _ = writeln!(out, "env[USER] = {login}");
    let _ = writeln!(out, "env[HOME] = {home}");
    let _ = writeln!(out, "env[TMPDIR] = {tmp}");
    out.push_str("security.limit_extensions = .php\n");
    out.push_str("catch_workers_output = yes\n");
    let _ = writeln!(out, "php_admin_value[open_basedir] = {home}/:/usr/share/php/");
    let _ = writeln!(out, "php_admin_value[upload_tmp_dir] = {tmp}");
    let _ = writeln!(out, "php_admin_value[sys_temp_dir] = {tmp}");
    let _ = writeln!(out, "php_admin_value[session.save_path] = {tmp}");
    let _ = writeln!(out, "php_admin_value[error_log] = {error_log}");
    out.push_str("php_admin_flag[log_errors] = on\n");
    out.push_str(
        "php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec\n",
    );
    let _ = writeln!(out, "php_admin_value[memory_limit] = {}M", spec.memory_limit_mb.max(16));
    Ok(out)
}

/// How the provisioner runs PHP-FPM's master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhpFpm {
    pub binary: PathBuf,
    pub conf: PathBuf,
    pub pid_file: PathBuf,
    pub kill: PathBuf,
}

impl PhpFpm {
    /// `php-fpm -t`: every pool, as the master would load them.
    pub async fn check(&self) -> Result<(), String> {
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.arg("-t").arg("-y").arg(&self.conf);
        run_checked(cmd, TOOL_TIMEOUT).await.map(|_| ()).map_err(|e| {
            let errors: Vec<&str> = e.lines().filter(|l| l.contains("ERROR")).collect();
            if errors.is_empty() { e } else { errors.join(" ") }
        })
    }

    /// SIGUSR2 to the master: it re-reads its pools, finishing the
    /// requests in flight first (`process_control_timeout`). A pid file
    /// left by another program is refused.
    pub async fn reload(&self) -> Result<(), String> {
        let text = tokio::fs::read_to_string(&self.pid_file)
            .await
            .map_err(|e| format!("{}: {e} (is PHP-FPM running?)", self.pid_file.display()))?;
        let pid: u32 = text
            .trim()
            .parse()
            .map_err(|_| format!("{} holds no pid", self.pid_file.display()))?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if !comm.starts_with("php-fpm") || !crate::files::process_runs(pid) {
            return Err(format!(
                "process {pid} from {} is not a running PHP-FPM",
                self.pid_file.display()
            ));
        }
        let mut cmd = tokio::process::Command::new(&self.kill);
        cmd.arg("-USR2").arg(pid.to_string());
        run_checked(cmd, TOOL_TIMEOUT).await.map(|_| ())
    }
}
