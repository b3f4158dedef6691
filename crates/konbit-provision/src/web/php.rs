//! One PHP-FPM pool per account, running as the account's own user, and
//! the PHP-FPM commands the provisioner runs.
//!
//! A reload (SIGUSR2) re-executes the master with every pool, and a pool it
//! cannot load (an unknown user, a socket in a missing directory) stops the
//! master: every PHP site is down until someone starts it again. So every
//! change is checked with [`PhpFpm::check`] first, the account's user and
//! the socket's directory exist before the pool file is written (see
//! [`preflight`]), and a refused pool file is taken back (the caller's job).
//!
//! The master's own settings are the operator's: `process_control_timeout`
//! (5–10 s; the default 0 kills the requests in flight on every reload) and
//! `-d opcache.validate_permission=1 -d opcache.validate_root=1` (all
//! pools share one opcache) cannot go in a pool file.

use super::nginx::{RenderError, plain_path, socket_path};
use crate::command::run_bounded;
use konbit_core::web::UnixLogin;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `php-fpm -t` takes 0.04 s with 2 pools, 0.11 s with 102; this only
/// bounds a hung binary.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Below this PHP cannot run a typical application's bootstrap; a typo
/// (`memory_limit_mb = 0`) would break every site of the server.
pub const MIN_MEMORY_LIMIT_MB: u32 = 16;

/// Everything one account's pool file is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    /// The pool's name, user and group (the account's own group). The
    /// name must be unique among every pool the master loads: `php-fpm -t`
    /// accepts two `[name]` sections and the master merges them, so with
    /// an empty login prefix an account named `www` would take over
    /// Debian's `www` pool.
    pub login: UnixLogin,
    /// At most 107 bytes (a Unix socket path); its directory must exist
    /// before the reload.
    pub socket: PathBuf,
    /// `open_basedir`: PHP opens files only under here, `tmp_dir` and
    /// PHP's shared libraries (`/usr/share/php/`).
    pub home: PathBuf,
    /// Uploads, sessions and temporary files (`upload_tmp_dir`,
    /// `sys_temp_dir`, `session.save_path`), private to the account.
    pub tmp_dir: PathBuf,
    /// PHP's error log for this account (PHP writes it whatever
    /// `open_basedir` says).
    pub error_log: PathBuf,
    /// nginx's user, owner and group of the socket (mode 0660): with root,
    /// the only one that may connect to the pool. The group of the same
    /// name must exist (Debian's `www-data` is both).
    pub listen_owner: String,
    pub max_children: u32,
    pub memory_limit_mb: u32,
    /// `request_terminate_timeout`: a request running longer is killed.
    pub request_timeout_secs: u32,
}

/// A user or group name as PHP-FPM reads it unquoted: lowercase letters,
/// digits, `-` and `_`, starting with a letter or `_`, at most 32.
fn plain_name(field: &'static str, s: &str) -> Result<String, RenderError> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(RenderError::new(
            field,
            format!("{s:?} is not a plain user name"),
        ))
    }
}

fn at_least(field: &'static str, value: u32, min: u32) -> Result<u32, RenderError> {
    if value >= min {
        Ok(value)
    } else {
        Err(RenderError::new(
            field,
            format!("{value} is below the minimum of {min}"),
        ))
    }
}

/// The pool file of one account.
pub fn render_pool(spec: &PoolSpec) -> Result<String, RenderError> {
    // Validated by its type already; checked again because it becomes a
    // section name and a user name in an ini file.
    let login = plain_name("login", spec.login.as_str())?;
    let socket = socket_path("socket", &spec.socket)?;
    let home = plain_path("home", &spec.home)?;
    if home == "/" {
        return Err(RenderError::new(
            "home",
            "`/` would open every file to PHP (open_basedir)",
        ));
    }
    let tmp = plain_path("tmp_dir", &spec.tmp_dir)?;
    let error_log = plain_path("error_log", &spec.error_log)?;
    let owner = plain_name("listen_owner", &spec.listen_owner)?;
    let max_children = at_least("max_children", spec.max_children, 1)?;
    let memory = at_least("memory_limit_mb", spec.memory_limit_mb, MIN_MEMORY_LIMIT_MB)?;
    let timeout = at_least("request_timeout_secs", spec.request_timeout_secs, 1)?;
    // The trailing `/` keeps `/srv/homes/kb-a` from also opening
    // `/srv/homes/kb-ab` (open_basedir is a prefix match).
    let mut basedir = format!("{home}/");
    if !tmp.starts_with(&basedir) {
        let _ = write!(basedir, ":{tmp}/");
    }
    basedir.push_str(":/usr/share/php/");

    let mut out = String::new();
    out.push_str("; Konbit PHP-FPM pool — generated, do not edit\n");
    let _ = writeln!(out, "[{login}]");
    let _ = writeln!(out, "user = {login}");
    let _ = writeln!(out, "group = {login}");
    let _ = writeln!(out, "listen = {socket}");
    let _ = writeln!(out, "listen.owner = {owner}");
    let _ = writeln!(out, "listen.group = {owner}");
    out.push_str("listen.mode = 0660\n");
    // No idle workers: memory grows with the sites in use, not the sites.
    out.push_str("pm = ondemand\n");
    let _ = writeln!(out, "pm.max_children = {max_children}");
    out.push_str("pm.process_idle_timeout = 30s\n");
    out.push_str("pm.max_requests = 500\n");
    let _ = writeln!(out, "request_terminate_timeout = {timeout}s");
    out.push_str("chdir = /\n");
    // The master's environment (root's) is not the account's business.
    out.push_str("clear_env = yes\n");
    let _ = writeln!(out, "env[USER] = {login}");
    let _ = writeln!(out, "env[HOME] = {home}");
    let _ = writeln!(out, "env[TMPDIR] = {tmp}");
    // An uploaded `.jpg` is never run as PHP.
    out.push_str("security.limit_extensions = .php\n");
    out.push_str("catch_workers_output = yes\n");
    // `php_admin_*`: a script's `ini_set` cannot loosen these.
    let _ = writeln!(out, "php_admin_value[open_basedir] = {basedir}");
    let _ = writeln!(out, "php_admin_value[upload_tmp_dir] = {tmp}");
    let _ = writeln!(out, "php_admin_value[sys_temp_dir] = {tmp}");
    let _ = writeln!(out, "php_admin_value[session.save_path] = {tmp}");
    let _ = writeln!(out, "php_admin_value[error_log] = {error_log}");
    out.push_str("php_admin_flag[log_errors] = on\n");
    out.push_str(
        "php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec\n",
    );
    let _ = writeln!(out, "php_admin_value[memory_limit] = {memory}M");
    Ok(out)
}

/// What `php-fpm -t` cannot see and a reload would die of: the pool's user
/// and group, and the socket's directory. Run before writing the pool file.
pub fn preflight(spec: &PoolSpec) -> Result<(), String> {
    let login = spec.login.as_str();
    if crate::files::user_ids(login).is_none() {
        return Err(format!("the Unix user {login} does not exist"));
    }
    if crate::files::group_id(login).is_none() {
        return Err(format!("the group {login} does not exist"));
    }
    if crate::files::group_id(&spec.listen_owner).is_none() {
        return Err(format!("the group {} does not exist", spec.listen_owner));
    }
    match spec.socket.parent().map(std::fs::metadata) {
        Some(Ok(m)) if m.is_dir() => Ok(()),
        _ => Err(format!(
            "the directory of {} does not exist",
            spec.socket.display()
        )),
    }
}

/// How the provisioner runs PHP-FPM's master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhpFpm {
    /// `php-fpm8.2`.
    pub binary: PathBuf,
    /// The master's configuration (`-y`), which includes the pool files.
    pub conf: PathBuf,
    /// The master's `pid` setting.
    pub pid_file: PathBuf,
    /// `/bin/kill`.
    pub kill: PathBuf,
}

impl PhpFpm {
    /// `php-fpm -t -y conf`: every pool, as the master would load them.
    /// Returns PHP-FPM's errors on one line.
    pub async fn check(&self) -> Result<(), String> {
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.arg("-t").arg("-y").arg(&self.conf);
        let output = run_bounded(cmd, TOOL_TIMEOUT).await?;
        if output.status.success() {
            return Ok(());
        }
        // PHP-FPM writes to stderr (and to its error_log) with a timestamp.
        let text = String::from_utf8_lossy(&output.stderr);
        let message = fpm_errors(&text);
        if message.is_empty() {
            Err(format!(
                "php-fpm -t failed ({}): {}",
                output.status,
                text.trim()
            ))
        } else {
            Err(message)
        }
    }

    /// The master's pid, from the pid file, if it is a running PHP-FPM: a
    /// pid file left behind may name another program by now.
    pub fn master_pid(&self) -> Result<u32, String> {
        let file = self.pid_file.display();
        let text = std::fs::read_to_string(&self.pid_file)
            .map_err(|e| format!("{file}: {e} (is PHP-FPM running?)"))?;
        let pid: u32 = text
            .trim()
            .parse()
            .ok()
            .filter(|p| *p > 1)
            .ok_or_else(|| format!("{file} holds no pid: {:?}", text.trim()))?;
        if !crate::files::runs_as(pid, "php-fpm") {
            return Err(format!(
                "process {pid} from {file} is not a running PHP-FPM (stale pid file?)"
            ));
        }
        // Another master's pid, or a worker's (PHP-FPM's pids come and go
        // with its workers), must not get this master's reload.
        let title = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if !masters(&String::from_utf8_lossy(&title), &self.conf) {
            return Err(format!(
                "process {pid} from {file} is not the PHP-FPM master of {} (stale pid file?)",
                self.conf.display()
            ));
        }
        Ok(pid)
    }

    /// [`PhpFpm::master_pid`], once a master re-executing after a reload
    /// has written its pid file again: it takes the file away until its
    /// pools are up (tens of ms), and two changes in a row must not fail
    /// for that. Waits only while the file is missing or empty; bounded:
    /// 2 s.
    pub async fn settled_master_pid(&self) -> Result<u32, String> {
        for _ in 0..100 {
            // Missing, or created but not written yet.
            let written = std::fs::metadata(&self.pid_file).is_ok_and(|m| m.len() > 0);
            if written {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.master_pid()
    }

    /// SIGUSR2 to the master: it re-reads its pools, letting requests in
    /// flight finish for up to `process_control_timeout`. Returns once the
    /// signal is sent; a new pool's socket appears some 30–70 ms later.
    /// Only after [`PhpFpm::check`] passed.
    pub async fn reload(&self) -> Result<(), String> {
        let pid = self.settled_master_pid().await?;
        let mut cmd = tokio::process::Command::new(&self.kill);
        cmd.arg("-USR2").arg(pid.to_string());
        let output = run_bounded(cmd, TOOL_TIMEOUT).await?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "kill -USR2 {pid} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

/// Whether a process title is that of the PHP-FPM master of `conf`. The
/// master calls itself `php-fpm: master process (<its -y path>)`, a worker
/// `php-fpm: pool <name>`. The path is compared when it is whole and
/// absolute (a title can be cut short, and a relative path is the
/// master's, not ours to resolve).
fn masters(title: &str, conf: &Path) -> bool {
    let Some(rest) = title
        .trim_end_matches('\0')
        .strip_prefix("php-fpm: master process (")
    else {
        return false;
    };
    match rest.strip_suffix(')').map(Path::new) {
        Some(given) if given.is_absolute() => {
            match (std::fs::canonicalize(given), std::fs::canonicalize(conf)) {
                (Ok(a), Ok(b)) => a == b,
                _ => given == conf,
            }
        }
        _ => true,
    }
}

/// The `ERROR:` lines of PHP-FPM's output without their timestamps, and
/// without the closing "FPM initialization failed" when there is more.
fn fpm_errors(text: &str) -> String {
    let errors: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("ERROR: ").map(|(_, e)| e.trim()))
        .filter(|e| !e.is_empty())
        .collect();
    let specific: Vec<&str> = errors
        .iter()
        .copied()
        .filter(|e| *e != "FPM initialization failed")
        .collect();
    if specific.is_empty() {
        errors.join("; ")
    } else {
        specific.join("; ")
    }
}

/// Where a pool's files go, for tests and callers that lay them out the
/// default way: `<dir>/<login>.conf`.
pub fn pool_file(dir: &Path, login: &UnixLogin) -> PathBuf {
    dir.join(format!("{login}.conf"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const PHP_FPM: &str = "/usr/sbin/php-fpm8.2";

    fn php_missing() -> bool {
        if Path::new(PHP_FPM).exists() {
            false
        } else {
            println!("SKIPPED: {PHP_FPM} is not installed");
            true
        }
    }

    fn spec(login: &str, dir: &Path) -> PoolSpec {
        let home = dir.join("homes").join(login);
        PoolSpec {
            login: UnixLogin::parse_existing(login).unwrap(),
            socket: dir.join(format!("{login}.sock")),
            tmp_dir: home.join("tmp"),
            error_log: home.join("logs/php-error.log"),
            home,
            listen_owner: "www-data".into(),
            max_children: 4,
            memory_limit_mb: 128,
            request_timeout_secs: 60,
        }
    }

    fn has_line(text: &str, line: &str) {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in:\n{text}"
        );
    }

    #[test]
    fn the_pool_has_the_template_lines() {
        let s = render_pool(&spec("kb-radio", Path::new("/srv/k"))).unwrap();
        assert_eq!(
            s.lines().next(),
            Some("; Konbit PHP-FPM pool — generated, do not edit")
        );
        for line in [
            "[kb-radio]",
            "user = kb-radio",
            "group = kb-radio",
            "listen = /srv/k/kb-radio.sock",
            "listen.owner = www-data",
            "listen.group = www-data",
            "listen.mode = 0660",
            "pm = ondemand",
            "pm.max_children = 4",
            "pm.process_idle_timeout = 30s",
            "pm.max_requests = 500",
            "request_terminate_timeout = 60s",
            "chdir = /",
            "clear_env = yes",
            "security.limit_extensions = .php",
            "catch_workers_output = yes",
            "php_admin_value[open_basedir] = /srv/k/homes/kb-radio/:/usr/share/php/",
            "php_admin_value[upload_tmp_dir] = /srv/k/homes/kb-radio/tmp",
            "php_admin_value[sys_temp_dir] = /srv/k/homes/kb-radio/tmp",
            "php_admin_value[session.save_path] = /srv/k/homes/kb-radio/tmp",
            "php_admin_value[error_log] = /srv/k/homes/kb-radio/logs/php-error.log",
            "php_admin_value[disable_functions] = exec,passthru,shell_exec,system,proc_open,popen,pcntl_exec",
            "php_admin_value[memory_limit] = 128M",
        ] {
            has_line(&s, line);
        }
        // One section: nothing else can start a pool.
        assert_eq!(s.lines().filter(|l| l.starts_with('[')).count(), 1);
    }

    #[test]
    fn a_tmp_dir_outside_the_home_is_opened_too() {
        let mut s = spec("kb-radio", Path::new("/srv/k"));
        s.tmp_dir = "/var/tmp/konbit/kb-radio".into();
        has_line(
            &render_pool(&s).unwrap(),
            "php_admin_value[open_basedir] = /srv/k/homes/kb-radio/:/var/tmp/konbit/kb-radio/:/usr/share/php/",
        );
    }

    #[test]
    fn bad_values_are_refused() {
        type Set = fn(&mut PoolSpec, PathBuf);
        let fields: [(&str, Set); 4] = [
            ("socket", |s, p| s.socket = p),
            ("home", |s, p| s.home = p),
            ("tmp_dir", |s, p| s.tmp_dir = p),
            ("error_log", |s, p| s.error_log = p),
        ];
        for (field, set) in fields {
            for bad in [
                "relative", "/a b", "/a;b", "/a=b", "/a$b", "/a\"b", "/a\nb", "/a/../b", "/a/",
                "/a&b", "/a~b", "/a(b", "",
            ] {
                let mut s = spec("kb-radio", Path::new("/srv/k"));
                set(&mut s, bad.into());
                assert_eq!(render_pool(&s).unwrap_err().field, field, "{bad:?}");
            }
        }
        let base = || spec("kb-radio", Path::new("/srv/k"));
        let mut s = base();
        s.home = "/".into();
        assert_eq!(render_pool(&s).unwrap_err().field, "home");
        let mut s = base();
        s.socket = format!("/run/php/{}.sock", "a".repeat(100)).into();
        assert_eq!(render_pool(&s).unwrap_err().field, "socket");
        for owner in ["", "www data", "www-data\n", "WWW", "a;b", "1abc"] {
            let mut s = base();
            s.listen_owner = owner.into();
            assert_eq!(
                render_pool(&s).unwrap_err().field,
                "listen_owner",
                "{owner:?}"
            );
        }
        let mut s = base();
        s.max_children = 0;
        assert_eq!(render_pool(&s).unwrap_err().field, "max_children");
        let mut s = base();
        s.memory_limit_mb = 8;
        assert_eq!(render_pool(&s).unwrap_err().field, "memory_limit_mb");
        let mut s = base();
        s.request_timeout_secs = 0;
        assert_eq!(render_pool(&s).unwrap_err().field, "request_timeout_secs");
    }

    #[test]
    fn fpm_errors_are_one_line() {
        let out = "[22-Nov-2026 13:35:17] ERROR: [pool bad] cannot get uid for user 'nosuchuser'\n[22-Nov-2026 13:35:17] ERROR: FPM initialization failed\n";
        assert_eq!(
            fpm_errors(out),
            "[pool bad] cannot get uid for user 'nosuchuser'"
        );
        assert_eq!(
            fpm_errors("[x] ERROR: FPM initialization failed\n"),
            "FPM initialization failed"
        );
        assert_eq!(fpm_errors("NOTICE: fine\n"), "");
    }

    /// A master configuration in `dir` that loads `dir/pool.d/*.conf`.
    fn master(dir: &Path) -> PhpFpm {
        let d = dir.display();
        std::fs::create_dir_all(dir.join("pool.d")).unwrap();
        let conf = dir.join("php-fpm.conf");
        std::fs::write(
            &conf,
            format!(
                "[global]\npid = {d}/php-fpm.pid\nerror_log = {d}/php-fpm.log\nprocess_control_timeout = 10s\ninclude = {d}/pool.d/*.conf\n"
            ),
        )
        .unwrap();
        PhpFpm {
            binary: PHP_FPM.into(),
            conf,
            pid_file: dir.join("php-fpm.pid"),
            kill: "/bin/kill".into(),
        }
    }

    fn write_pool(dir: &Path, spec: &PoolSpec) {
        let text = render_pool(spec).unwrap();
        std::fs::write(pool_file(&dir.join("pool.d"), &spec.login), text).unwrap();
    }

    #[tokio::test]
    async fn php_fpm_accepts_a_pool_and_refuses_a_missing_user() {
        if php_missing() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let fpm = master(dir.path());
        let good = spec("www-data", dir.path());
        preflight(&good).unwrap();
        write_pool(dir.path(), &good);
        let started = Instant::now();
        fpm.check().await.unwrap();
        println!("php-fpm -t with one pool: {:?}", started.elapsed());

        // The pitfall: `-t` is what stands between this pool and a master
        // that dies on reload, taking every site with it.
        let missing = spec("konbit-no-such-user", dir.path());
        let err = preflight(&missing).unwrap_err();
        assert!(err.contains("konbit-no-such-user"), "{err}");
        write_pool(dir.path(), &missing);
        let err = fpm.check().await.unwrap_err();
        println!("missing user: {err}");
        assert!(err.contains("cannot get uid"), "{err}");
        assert!(err.contains("konbit-no-such-user"), "{err}");
        assert!(!err.contains("initialization failed"), "{err}");

        // What -t does not see: a socket in a missing directory.
        let mut no_dir = spec("www-data", dir.path());
        no_dir.socket = dir.path().join("missing/www-data.sock");
        assert!(preflight(&no_dir).unwrap_err().contains("directory"));
    }

    #[tokio::test]
    async fn reload_refuses_a_stale_pid_file() {
        let dir = tempfile::tempdir().unwrap();
        let fpm = PhpFpm {
            binary: PHP_FPM.into(),
            conf: dir.path().join("php-fpm.conf"),
            pid_file: dir.path().join("php-fpm.pid"),
            kill: "/bin/kill".into(),
        };
        let err = fpm.reload().await.unwrap_err();
        assert!(err.contains("is PHP-FPM running"), "{err}");
        std::fs::write(&fpm.pid_file, "garbage\n").unwrap();
        assert!(fpm.reload().await.unwrap_err().contains("holds no pid"));
        // This test's own process: alive, but not PHP-FPM.
        std::fs::write(&fpm.pid_file, format!("{}\n", std::process::id())).unwrap();
        let err = fpm.reload().await.unwrap_err();
        assert!(err.contains("not a running PHP-FPM"), "{err}");
    }

    #[test]
    fn only_the_master_of_this_configuration_is_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("php-fpm.conf");
        std::fs::write(&conf, "[global]\n").unwrap();
        let title = |path: &Path| format!("php-fpm: master process ({})\0", path.display());
        assert!(masters(&title(&conf), &conf));
        // The same file by another spelling.
        let spelled = dir.path().join(".").join("php-fpm.conf");
        assert!(masters(&title(&spelled), &conf));
        // Another master, a worker, another program.
        let other = dir.path().join("other.conf");
        std::fs::write(&other, "[global]\n").unwrap();
        assert!(!masters(&title(&other), &conf));
        assert!(!masters(&title(Path::new("/gone/php-fpm.conf")), &conf));
        assert!(!masters("php-fpm: pool www\0", &conf));
        assert!(!masters("/usr/sbin/nginx\0-g\0daemon off;\0", &conf));
        // Cut short, or relative: the master's title is all there is.
        assert!(masters("php-fpm: master process (/etc/php/8", &conf));
        assert!(masters("php-fpm: master process (php-fpm.conf)", &conf));
    }

    /// Waits up to 5 s for `path` to exist.
    async fn appears(path: &Path) -> bool {
        for _ in 0..250 {
            if path.exists() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_reload_brings_up_a_new_pool() {
        if php_missing() {
            return;
        }
        // PHP-FPM's master runs as root; as another user it cannot switch
        // to the pool's user.
        if std::fs::read_to_string("/proc/self/status")
            .is_ok_and(|s| !s.lines().any(|l| l.starts_with("Uid:\t0\t")))
        {
            println!("SKIPPED: not root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let fpm = master(dir.path());
        let first = spec("www-data", dir.path());
        write_pool(dir.path(), &first);
        let mut child = tokio::process::Command::new(PHP_FPM)
            .arg("-F")
            .arg("-y")
            .arg(&fpm.conf)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let result = async {
            if !appears(&first.socket).await {
                return Err("the first pool's socket did not appear".to_owned());
            }
            let pid = fpm.master_pid()?;
            // A second pool under another name (same user is fine).
            let mut second = spec("www-data", dir.path());
            second.login = UnixLogin::parse_existing("konbit-second").unwrap();
            second.socket = dir.path().join("second.sock");
            let text = render_pool(&second)
                .map_err(|e| e.to_string())?
                .replace("user = konbit-second", "user = www-data")
                .replace("group = konbit-second", "group = www-data");
            std::fs::write(dir.path().join("pool.d/second.conf"), text)
                .map_err(|e| e.to_string())?;
            fpm.check().await?;
            let started = Instant::now();
            fpm.reload().await?;
            if !appears(&second.socket).await {
                return Err("the second pool's socket did not appear".to_owned());
            }
            println!("USR2 until the new pool's socket: {:?}", started.elapsed());
            // The master re-executes in place: same pid.
            if fpm.settled_master_pid().await? != pid {
                return Err("the master's pid changed".to_owned());
            }
            Ok(())
        }
        .await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        result.unwrap();
    }
}
