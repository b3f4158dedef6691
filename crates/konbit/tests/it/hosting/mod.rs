//! SFTP logins and member databases end to end: the API writes, the SFTP
//! and database provisioners apply, and the real ProFTPd (with the
//! configuration Konbit renders), MariaDB and PostgreSQL that the testkit
//! starts on loopback are reached with their own clients (`sftp`,
//! `mariadb`, `psql`). Each test starts its own Konbit, daemons, worker and
//! Unix users (a random prefix and uid range), removed when it ends.

mod databases;
mod sftp;

use crate::web::{remove_test_users, unix_settings};
use konbit_app::AppConfig;
use konbit_app::database::{DatabaseConfig, EngineConfig, OverSize};
use konbit_app::sftp::SftpConfig;
use konbit_provision::database::DatabaseProvisioner;
use konbit_provision::database::mariadb::MariaDbServer;
use konbit_provision::database::postgres::PostgresServer;
use konbit_provision::sftp::files::SftpFiles;
use konbit_provision::sftp::provisioner::SftpProvisioner;
use konbit_provision::sftp::server::SftpServer;
use konbit_provision::web::UnixSettings;
use konbit_provision::{Registry, Worker};
use konbit_testkit::app::{Api, TestApp};
use konbit_testkit::mariadb::MariaDb;
use konbit_testkit::postgres::Postgres;
use konbit_testkit::proftpd::{ProFtpd, ProFtpdOptions};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::oneshot;

pub type Databases = DatabaseProvisioner<MariaDbServer, PostgresServer>;

/// What a test needs.
#[derive(Default)]
pub struct Options {
    pub sftp: bool,
    pub databases: bool,
    /// Per database, in MiB (0: none); over it a database is made
    /// read-only.
    pub max_size_mb: u64,
}

pub struct HostingEnv {
    pub t: TestApp,
    /// Account "radio"'s owner, with SFTP and database scopes.
    pub api: Api,
    /// Account "tele"'s owner: another member of the co-op.
    pub tele_api: Api,
    pub radio: i64,
    pub unix: UnixSettings,
    pub ftp: Option<ProFtpd>,
    pub mariadb: Option<MariaDb>,
    pub postgres: Option<Postgres>,
    /// The provisioner the worker uses, for measuring sizes.
    pub databases: Option<Databases>,
    /// Kept for the test's life: the final dumps.
    _dumps: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    /// MariaDB's and PostgreSQL's data, removed after they stop (fields
    /// drop in order).
    _daemon_dirs: tempfile::TempDir,
}

impl HostingEnv {
    /// `None` when a daemon is missing and the test may skip.
    pub async fn start(options: Options) -> Option<Self> {
        let dumps = tempfile::tempdir().unwrap();
        let daemon_dirs = tempfile::tempdir().unwrap();
        let (mariadb, postgres) = if options.databases {
            let m = MariaDb::try_start(&daemon_dirs.path().join("mariadb"))
                .await
                .unwrap()?;
            let p = Postgres::try_start(&daemon_dirs.path().join("postgres"))
                .await
                .unwrap()?;
            (Some(m), Some(p))
        } else {
            (None, None)
        };
        let engine = |addr: SocketAddr| EngineConfig {
            public_host: addr.ip().to_string(),
            public_port: addr.port(),
        };
        let t = TestApp::spawn_with(AppConfig {
            sftp: SftpConfig {
                enabled: options.sftp,
                public_host: "127.0.0.1".into(),
                public_port: 22,
            },
            databases: DatabaseConfig {
                mariadb: mariadb.as_ref().map(|m| engine(m.addr())),
                postgresql: postgres.as_ref().map(|p| engine(p.addr())),
                max_size_mb: options.max_size_mb,
                over_size: OverSize::ReadOnly,
                dump_dir: Some(dumps.path().to_owned()),
            },
            ..AppConfig::default()
        })
        .await
        .unwrap();
        // Sessions chrooted in the homes, and `mkdir` as the account's
        // user, must get through the test's directory.
        std::fs::set_permissions(t.dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let unix = unix_settings(t.dir.path().join("homes"));
        std::fs::create_dir_all(&unix.homes_root).unwrap();
        std::fs::set_permissions(&unix.homes_root, std::fs::Permissions::from_mode(0o711)).unwrap();
        let files = SftpFiles {
            user_file: t.dir.path().join("sftp/passwd"),
            group_file: t.dir.path().join("sftp/group"),
            keys_dir: t.dir.path().join("sftp/keys"),
        };
        let ftp = if options.sftp {
            // ProFTPd reads these at start: they must exist.
            files.write_all(&[]).unwrap();
            Some(start_proftpd(&t.dir.path().join("proftpd"), &files).await?)
        } else {
            None
        };

        let (radio, owner, _) = t.seed_account("radio").await.unwrap();
        let (_, tele_owner, _) = t.seed_account("tele").await.unwrap();
        let scopes = ["sftp:write", "databases:write", "accounts:read"];
        let api = t
            .api(Some(&t.token_for(&owner, &scopes).await.unwrap()))
            .unwrap();
        let tele_api = t
            .api(Some(&t.token_for(&tele_owner, &scopes).await.unwrap()))
            .unwrap();

        let mut registry = Registry::new();
        if options.sftp {
            registry = registry.register(SftpProvisioner::new(
                t.app.store.clone(),
                files.clone(),
                unix.clone(),
            ));
        }
        let databases = if options.databases {
            let server = |pg: &Postgres| {
                PostgresServer::new(&pg.admin_url(), pg.bin_dir().to_owned()).unwrap()
            };
            let maria = |m: &MariaDb| {
                MariaDbServer::new(&m.admin_url(), "/usr/bin".into(), Some(m.socket().into()))
                    .unwrap()
            };
            let make = || {
                DatabaseProvisioner::new(
                    t.app.store.clone(),
                    mariadb.as_ref().map(maria),
                    postgres.as_ref().map(server),
                    dumps.path().to_owned(),
                )
            };
            registry = registry.register(make());
            Some(make())
        } else {
            None
        };
        let worker = Worker::new(
            t.app.store.clone(),
            registry,
            t.app.reconcile_wakeup.clone(),
            crate::dns::worker_config(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let worker = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        Some(Self {
            t,
            api,
            tele_api,
            radio: radio.0,
            unix,
            ftp,
            mariadb,
            postgres,
            databases,
            _dumps: dumps,
            stop: Some(stop),
            worker: Some(worker),
            _daemon_dirs: daemon_dirs,
        })
    }

    pub fn ftp(&self) -> &ProFtpd {
        self.ftp.as_ref().unwrap()
    }

    /// Sends `body` with `method` to `path` as `api`; panics unless the
    /// status is `want`.
    pub async fn call_as(
        api: &Api,
        method: reqwest::Method,
        path: &str,
        body: Value,
        want: u16,
    ) -> Value {
        let res = api.send_json(method, path, &body).await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, want, "{path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value, want: u16) -> Value {
        Self::call_as(&self.api, method, path, body, want).await
    }

    /// Waits (at most 15 s) until the object at `path` is `applied` as of
    /// its latest generation; panics on `failed`.
    pub async fn until_applied_as(api: &Api, path: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..300 {
            last = api.get(path).await.unwrap().json().await.unwrap();
            let status = &last["status"];
            if status["state"] == "applied" && status["generation"] == status["applied_generation"]
            {
                return last;
            }
            assert_ne!(status["state"], "failed", "{path}: {last:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never became applied: {last:#}");
    }

    pub async fn until_applied(&self, path: &str) -> Value {
        Self::until_applied_as(&self.api, path).await
    }

    /// Account "radio"'s home, as the provisioner makes it.
    pub fn home(&self, account: &str) -> PathBuf {
        self.unix
            .homes_root
            .join(format!("{}{account}", self.unix.prefix))
    }

    pub fn uid(&self, account_id: i64) -> u32 {
        self.unix.uid_base + u32::try_from(account_id).unwrap()
    }
}

/// ProFTPd with the configuration `konbit sftp-server setup` renders.
async fn start_proftpd(dir: &std::path::Path, files: &SftpFiles) -> Option<ProFtpd> {
    std::fs::create_dir_all(dir).unwrap();
    let canonical = std::fs::canonicalize(dir).unwrap();
    let opts = ProFtpdOptions {
        auth_user_file: files.user_file.clone(),
        auth_group_file: files.group_file.clone(),
        authorized_keys_dir: files.keys_dir.clone(),
    };
    let files = files.clone();
    let render = move |port: u16, host_keys: &[PathBuf]| {
        SftpServer {
            conf: canonical.join("proftpd.conf"),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            files: files.clone(),
            host_keys: host_keys.to_vec(),
            pid_file: canonical.join("run/proftpd.pid"),
            scoreboard: canonical.join("run/proftpd.scoreboard"),
            log: canonical.join("proftpd.log"),
            max_login_attempts: 3,
        }
        .render()
        .unwrap()
    };
    ProFtpd::try_start_rendered(dir, opts, &render)
        .await
        .unwrap()
}

impl Drop for HostingEnv {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        if let Some(ftp) = &mut self.ftp {
            ftp.stop();
        }
        remove_test_users(&self.unix.prefix);
    }
}

/// The JSON body of a new SFTP login.
pub fn sftp_body(suffix: &str, dir: &str, password: &str, keys: &[&str]) -> Value {
    json!({
        "account": "radio",
        "suffix": suffix,
        "dir": dir,
        "password": password,
        "keys": keys,
    })
}
