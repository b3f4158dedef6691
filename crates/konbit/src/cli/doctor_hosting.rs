//! `konbit doctor`'s SFTP and database checks: ProFTPd's configuration
//! passes `proftpd -t`, its user file is there and private, its listener
//! speaks SSH; MariaDB and PostgreSQL answer the administrator's
//! connection, with their versions.

use super::doctor::Check;
use super::sftp_setup::sftp_server;
use crate::config::Config;
use konbit_provision::database::DbServer;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// One TCP or socket connection, and the SSH banner after it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The servers' own pools wait 10 s for a connection.
const QUERY_TIMEOUT: Duration = Duration::from_secs(20);
/// RFC 4253 §4.2: the identification line is at most 255 bytes; the
/// server may send other lines before it.
const BANNER_BYTES: usize = 1024;

pub(crate) async fn sftp_checks(config: &Config) -> Vec<Check> {
    let server = sftp_server(config);
    let checked = konbit_provision::sftp::server::check(&config.sftp.proftpd, &server.conf).await;
    let mut out = vec![Check {
        name: "proftpd configuration",
        ok: checked.is_ok(),
        detail: match checked {
            Ok(()) => format!("{} passes proftpd -t", server.conf.display()),
            Err(e) => format!("proftpd -t: {e}"),
        },
    }];
    let user_file = user_file(&server.files.user_file);
    out.push(Check {
        name: "sftp user file",
        ok: user_file.is_ok(),
        detail: user_file.unwrap_or_else(|e| e),
    });
    let banner = ssh_banner(server.listen).await;
    out.push(Check {
        name: "sftp listener",
        ok: banner.is_ok(),
        detail: banner.unwrap_or_else(|e| e),
    });
    out
}

/// The user file exists, and neither it nor its directory lets anyone
/// else in: it holds the password hashes (and mod_auth_file refuses a
/// world-readable one, or one in a world-writable directory).
fn user_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{shown} does not exist: run `konbit sftp-server setup`"
            ));
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{shown} has mode {mode:04o}: others may read the password hashes; chmod 600 {shown}"
        ));
    }
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::metadata(dir)
        && d.permissions().mode() & 0o002 != 0
    {
        return Err(format!(
            "{} is world-writable, which ProFTPd refuses for its user file",
            dir.display()
        ));
    }
    let logins = std::fs::read_to_string(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    Ok(format!("{shown} (mode {mode:04o}) lists {logins} login(s)"))
}

/// Connects once and reads the server's identification line, which must
/// be SSH 2's. A wildcard listener is reached on loopback.
async fn ssh_banner(listen: SocketAddr) -> Result<String, String> {
    let addr = if listen.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], listen.port()))
    } else {
        listen
    };
    let secs = CONNECT_TIMEOUT.as_secs();
    let mut stream =
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("{addr}: {e} (is ProFTPd running?)")),
            Err(_) => return Err(format!("{addr}: no connection within {secs} s")),
        };
    let mut received = Vec::new();
    let read = tokio::time::timeout(CONNECT_TIMEOUT, async {
        let mut buf = [0u8; 256];
        while received.len() < BANNER_BYTES {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
            if identification(&received).is_some() {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
    match read {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("{addr}: {e}")),
        Err(_) if received.is_empty() => {
            return Err(format!(
                "{addr}: connected, but nothing said within {secs} s"
            ));
        }
        Err(_) => {}
    }
    match identification(&received) {
        Some(line) if line.starts_with("SSH-2.0-") => Ok(format!("{addr} answers {line}")),
        Some(line) => Err(format!("{addr} answers {line:?}, not SSH 2")),
        None => Err(format!(
            "{addr} answers {:?}, not an SSH server",
            String::from_utf8_lossy(&received[..received.len().min(80)])
        )),
    }
}

/// The first whole `SSH-` line received.
fn identification(received: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(received);
    let (whole, _) = text.rsplit_once('\n')?;
    whole
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| l.starts_with("SSH-"))
        .map(str::to_owned)
}

pub(crate) async fn database_checks(config: &Config) -> Vec<Check> {
    let d = &config.databases;
    let mariadb = async {
        let engine = d.mariadb.as_ref()?;
        let server = config.mariadb_server()?;
        Some(engine_check("mariadb", server, mariadb_endpoint(&engine.admin_url)).await)
    };
    let postgres = async {
        let engine = d.postgresql.as_ref()?;
        let server = config.postgres_server()?;
        Some(engine_check("postgresql", server, postgres_endpoint(&engine.admin_url)).await)
    };
    let (mariadb, postgres) = tokio::join!(mariadb, postgres);
    mariadb.into_iter().chain(postgres).collect()
}

/// Where the administrator's connection goes, when its URL says so
/// plainly.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Tcp(String, u16),
    Socket(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(host, port) if host.contains(':') => write!(f, "[{host}]:{port}"),
            Self::Tcp(host, port) => write!(f, "{host}:{port}"),
            Self::Socket(path) => write!(f, "{}", path.display()),
        }
    }
}

/// `mysql://user@host:port/db` or `…?socket=/path`.
fn mariadb_endpoint(admin_url: &str) -> Option<Endpoint> {
    let url = url::Url::parse(admin_url).ok()?;
    if let Some((_, socket)) = url.query_pairs().find(|(k, _)| k == "socket") {
        return Some(Endpoint::Socket(PathBuf::from(socket.into_owned())));
    }
    let host = url.host_str().filter(|h| !h.is_empty())?;
    Some(Endpoint::Tcp(
        host.trim_matches(['[', ']']).to_owned(),
        url.port().unwrap_or(3306),
    ))
}

/// `postgres://user@host:port/db` or `…?host=/socket/dir`.
fn postgres_endpoint(admin_url: &str) -> Option<Endpoint> {
    let url = url::Url::parse(admin_url).ok()?;
    let port = url
        .query_pairs()
        .find(|(k, _)| k == "port")
        .and_then(|(_, p)| p.parse().ok())
        .or(url.port())
        .unwrap_or(5432);
    if let Some((_, host)) = url.query_pairs().find(|(k, _)| k == "host") {
        return host.starts_with('/').then(|| {
            Endpoint::Socket(PathBuf::from(host.as_ref()).join(format!(".s.PGSQL.{port}")))
        });
    }
    let host = url.host_str().filter(|h| !h.is_empty())?;
    Some(Endpoint::Tcp(
        host.trim_matches(['[', ']']).to_owned(),
        port,
    ))
}

/// Whether anything accepts a connection there: a refused connection is
/// said at once, where the server's pool would retry for 10 s and only
/// say it timed out.
async fn reachable(endpoint: &Endpoint) -> Result<(), String> {
    let connected = match endpoint {
        Endpoint::Tcp(host, port) => tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect((host.as_str(), *port)),
        )
        .await
        .map(|r| r.map(drop)),
        Endpoint::Socket(path) => {
            tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::UnixStream::connect(path))
                .await
                .map(|r| r.map(drop))
        }
    };
    match connected {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{endpoint}: {e}")),
        Err(_) => Err(format!(
            "{endpoint}: no connection within {} s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// The administrator connects and asks the server's version.
async fn engine_check<S: DbServer>(
    name: &'static str,
    server: Result<S, String>,
    endpoint: Option<Endpoint>,
) -> Check {
    let fail = |detail: String| Check {
        name,
        ok: false,
        detail,
    };
    let server = match server {
        Ok(s) => s,
        Err(e) => return fail(format!("databases.{name}.admin_url: {e}")),
    };
    if let Some(endpoint) = &endpoint
        && let Err(e) = reachable(endpoint).await
    {
        return fail(format!("cannot connect to {e}"));
    }
    let at = endpoint.map(|e| format!(" at {e}")).unwrap_or_default();
    match tokio::time::timeout(QUERY_TIMEOUT, server.version()).await {
        Ok(Ok(version)) => Check {
            name,
            ok: true,
            detail: format!("version {version}{at}"),
        },
        Ok(Err(e)) => fail(format!("{e}{at} (databases.{name}.admin_url)")),
        Err(_) => fail(format!(
            "no answer{at} within {} s",
            QUERY_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_read_from_the_urls() {
        assert_eq!(
            mariadb_endpoint("mysql://root@localhost/mysql?socket=/run/mysqld/mysqld.sock"),
            Some(Endpoint::Socket("/run/mysqld/mysqld.sock".into()))
        );
        assert_eq!(
            mariadb_endpoint("mysql://root:pw@127.0.0.1:3307/mysql"),
            Some(Endpoint::Tcp("127.0.0.1".into(), 3307))
        );
        assert_eq!(
            mariadb_endpoint("mysql://root@db.example/mysql"),
            Some(Endpoint::Tcp("db.example".into(), 3306))
        );
        assert_eq!(
            postgres_endpoint("postgres://konbit:pw@[::1]:5433/postgres"),
            Some(Endpoint::Tcp("::1".into(), 5433))
        );
        assert_eq!(
            postgres_endpoint("postgres:///postgres?host=/run/postgresql&user=konbit"),
            Some(Endpoint::Socket("/run/postgresql/.s.PGSQL.5432".into()))
        );
        assert_eq!(Endpoint::Tcp("::1".into(), 5433).to_string(), "[::1]:5433");
    }

    #[test]
    fn the_identification_line_is_found() {
        assert_eq!(
            identification(b"SSH-2.0-mod_sftp\r\n"),
            Some("SSH-2.0-mod_sftp".to_owned())
        );
        assert_eq!(
            identification(b"hello\r\nSSH-2.0-x\r\n"),
            Some("SSH-2.0-x".to_owned())
        );
        assert_eq!(identification(b"SSH-2.0-partial"), None);
        assert_eq!(identification(b"220 FTP ready\r\n"), None);
    }
}
