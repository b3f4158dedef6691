//! `[sftp]`: where the SFTP provisioner writes ProFTPd's user, group and
//! key files, and what members are told to connect to; `[databases]`: the
//! MariaDB and PostgreSQL servers members' databases live on, the size
//! limit and where the final dumps of deleted databases are kept.
//! Relative paths are under `state_dir`.

use super::Config;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SftpSection {
    /// Whether Konbit manages SFTP logins (needs `[web]`'s Unix users, and
    /// root).
    pub enabled: bool,
    /// ProFTPd's `AuthUserFile` and `AuthGroupFile`, which Konbit owns.
    pub user_file: PathBuf,
    pub group_file: PathBuf,
    /// `SFTPAuthorizedUserKeys file:<keys_dir>/%u`.
    pub keys_dir: PathBuf,
    /// What members connect to; empty: the panel's host.
    pub public_host: String,
    pub public_port: u16,
    /// `konbit sftp-server setup`: ProFTPd's configuration, its address
    /// and host keys, pid, scoreboard and log.
    pub proftpd: PathBuf,
    pub proftpd_conf: PathBuf,
    pub listen: SocketAddr,
    pub host_keys_dir: PathBuf,
    pub run_dir: PathBuf,
    pub log: PathBuf,
    pub max_login_attempts: u32,
}

impl Default for SftpSection {
    fn default() -> Self {
        Self {
            enabled: false,
            user_file: "sftp/passwd".into(),
            group_file: "sftp/group".into(),
            keys_dir: "sftp/keys".into(),
            public_host: String::new(),
            public_port: 2222,
            proftpd: "/usr/sbin/proftpd".into(),
            proftpd_conf: "sftp/proftpd.conf".into(),
            listen: SocketAddr::from(([0, 0, 0, 0], 2222)),
            host_keys_dir: "sftp/host-keys".into(),
            run_dir: "sftp/run".into(),
            log: "sftp/proftpd.log".into(),
            max_login_attempts: 3,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabasesSection {
    /// Per database, in MiB; 0: no limit.
    pub max_size_mb: u64,
    /// `read-only`: a database over the limit may only be read until it
    /// shrinks; `report`: it is only shown.
    pub over_size: konbit_app::database::OverSize,
    /// `<dump_dir>/<engine>/<name>.sql`, root only.
    pub dump_dir: PathBuf,
    /// Sizes are measured this often.
    pub usage_minutes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mariadb: Option<EngineSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgresql: Option<EngineSection>,
}

impl Default for DatabasesSection {
    fn default() -> Self {
        Self {
            max_size_mb: 0,
            over_size: Default::default(),
            dump_dir: "database-dumps".into(),
            usage_minutes: 10,
            mariadb: None,
            postgresql: None,
        }
    }
}

/// One database server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// An administrator's connection: MariaDB's root over its socket
    /// (`mysql://root@localhost/mysql?socket=/run/mysqld/mysqld.sock`), a
    /// PostgreSQL superuser (`postgres://konbit:…@127.0.0.1:5432/postgres`).
    pub admin_url: String,
    /// What members' programs connect to.
    pub public_host: String,
    pub public_port: u16,
    /// MariaDB's socket, for `mariadb-dump` (default: from `admin_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<PathBuf>,
    /// Where the engine's clients are (`mariadb`, `mariadb-dump`; `psql`,
    /// `pg_dump`). Default: `/usr/bin` for MariaDB, the newest
    /// `/usr/lib/postgresql/<version>/bin` for PostgreSQL, whose
    /// `/usr/bin` wrappers pick a version of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_bin_dir: Option<PathBuf>,
}

impl EngineSection {
    pub fn mariadb_client_bin_dir(&self) -> PathBuf {
        self.client_bin_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/usr/bin"))
    }

    pub fn postgres_client_bin_dir(&self) -> PathBuf {
        self.client_bin_dir
            .clone()
            .unwrap_or_else(newest_postgres_bin_dir)
    }
}

/// Debian installs each PostgreSQL major version's programs under
/// `/usr/lib/postgresql/<major>/bin`.
fn newest_postgres_bin_dir() -> PathBuf {
    let root = std::path::Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .max();
    match newest {
        Some(major) => root.join(major.to_string()).join("bin"),
        None => PathBuf::from("/usr/bin"),
    }
}

impl Config {
    pub fn sftp_app_config(&self) -> konbit_app::sftp::SftpConfig {
        let host = if self.sftp.public_host.is_empty() {
            self.public_url.host_str().unwrap_or("localhost").to_owned()
        } else {
            self.sftp.public_host.clone()
        };
        konbit_app::sftp::SftpConfig {
            enabled: self.sftp.enabled,
            public_host: host,
            public_port: self.sftp.public_port,
        }
    }

    pub fn databases_app_config(&self) -> konbit_app::database::DatabaseConfig {
        let engine = |e: &Option<EngineSection>| {
            e.as_ref().map(|e| konbit_app::database::EngineConfig {
                public_host: e.public_host.clone(),
                public_port: e.public_port,
            })
        };
        let d = &self.databases;
        konbit_app::database::DatabaseConfig {
            mariadb: engine(&d.mariadb),
            postgresql: engine(&d.postgresql),
            max_size_mb: d.max_size_mb,
            over_size: d.over_size,
            dump_dir: Some(self.state_path(&d.dump_dir)),
        }
    }
}

impl Config {
    /// ProFTPd's user, group and key files.
    pub fn sftp_files(&self) -> konbit_provision::sftp::files::SftpFiles {
        konbit_provision::sftp::files::SftpFiles {
            user_file: self.state_path(&self.sftp.user_file),
            group_file: self.state_path(&self.sftp.group_file),
            keys_dir: self.state_path(&self.sftp.keys_dir),
        }
    }

    pub fn database_dump_dir(&self) -> PathBuf {
        self.state_path(&self.databases.dump_dir)
    }

    /// The MariaDB server, when `[databases.mariadb]` is set; `Err` names
    /// what is wrong with its settings.
    pub fn mariadb_server(
        &self,
    ) -> Option<Result<konbit_provision::database::mariadb::MariaDbServer, String>> {
        self.databases.mariadb.as_ref().map(|e| {
            konbit_provision::database::mariadb::MariaDbServer::new(
                &e.admin_url,
                e.mariadb_client_bin_dir(),
                e.socket.clone(),
            )
            .map_err(|e| e.to_string())
        })
    }

    /// The PostgreSQL server, when `[databases.postgresql]` is set.
    pub fn postgres_server(
        &self,
    ) -> Option<Result<konbit_provision::database::postgres::PostgresServer, String>> {
        self.databases.postgresql.as_ref().map(|e| {
            konbit_provision::database::postgres::PostgresServer::new(
                &e.admin_url,
                e.postgres_client_bin_dir(),
            )
            .map_err(|e| e.to_string())
        })
    }
}
