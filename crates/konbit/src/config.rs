//! Configuration: defaults, then the TOML file, then `KONBIT_*` environment
//! variables (`__` nests: `KONBIT_SESSION__IDLE_MINUTES`). An error names the
//! bad key and where its value came from.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = "/etc/konbit/konbit.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The file format's version, so a later Konbit can migrate it.
    pub version: u32,
    /// Where Konbit keeps its state.
    pub state_dir: PathBuf,
    /// The state database, relative to `state_dir` unless absolute.
    pub database: PathBuf,
    /// The address the panel and API listen on.
    pub listen: SocketAddr,
    /// The URL people use to reach the panel.
    pub public_url: url::Url,
    pub session: SessionConfig,
    pub accounts: AccountsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub idle_minutes: u32,
    pub absolute_hours: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    /// Days a deleted account can still be restored.
    pub deletion_grace_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: 1,
            state_dir: PathBuf::from("/var/lib/konbit"),
            database: PathBuf::from("konbit.db"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: url::Url::parse("http://127.0.0.1:8080")
                .unwrap_or_else(|_| unreachable_url()),
            session: SessionConfig {
                idle_minutes: 60,
                absolute_hours: 12,
            },
            accounts: AccountsConfig {
                deletion_grace_days: 30,
            },
        }
    }
}

// The literal above always parses; this keeps the code free of `expect`.
fn unreachable_url() -> url::Url {
    url::Url::parse("http://localhost").unwrap_or_else(|_| std::process::abort())
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        if self.database.is_absolute() {
            self.database.clone()
        } else {
            self.state_dir.join(&self.database)
        }
    }

    pub fn app_config(&self) -> konbit_app::AppConfig {
        konbit_app::AppConfig {
            session_idle_secs: i64::from(self.session.idle_minutes) * 60,
            session_absolute_secs: i64::from(self.session.absolute_hours) * 3600,
            deletion_grace_secs: i64::from(self.accounts.deletion_grace_days) * 86_400,
        }
    }

    /// Loads the configuration. `explicit` is `--config` or `KONBIT_CONFIG`:
    /// it must exist. Without it, the default file is read if present.
    pub fn load(explicit: Option<&Path>) -> Result<(Self, Option<PathBuf>), Box<figment::Error>> {
        let file = match explicit {
            Some(p) => {
                if !p.exists() {
                    return Err(Box::new(figment::Error::from(format!(
                        "the configuration file {} does not exist",
                        p.display()
                    ))));
                }
                Some(p.to_path_buf())
            }
            None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
        };
        let mut fig = Figment::new().merge(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            fig = fig.merge(Named(Toml::file_exact(f), |k| k.join(".")));
        }
        let env = Env::prefixed("KONBIT_").split("__").filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            !(k == "config" || k.starts_with("playground") || k.starts_with("test"))
        });
        fig = fig.merge(Named(env, |k| {
            format!("KONBIT_{}", k.join("__").to_ascii_uppercase())
        }));
        let config: Config = fig.extract().map_err(Box::new)?;
        config.check()?;
        Ok((config, file))
    }

    fn check(&self) -> Result<(), Box<figment::Error>> {
        if self.version != 1 {
            return Err(Box::new(figment::Error::from(format!(
                "version = {} is not supported (this Konbit reads version 1)",
                self.version
            ))));
        }
        if !matches!(self.public_url.scheme(), "http" | "https") {
            return Err(Box::new(figment::Error::from(
                "public_url must start with http:// or https://".to_owned(),
            )));
        }
        if self.session.idle_minutes == 0 || self.session.absolute_hours == 0 {
            return Err(Box::new(figment::Error::from(
                "session.idle_minutes and session.absolute_hours must be at least 1".to_owned(),
            )));
        }
        Ok(())
    }

    /// The file `konbit init` writes.
    pub fn to_toml(&self) -> String {
        format!(
            "# Konbit configuration. Environment variables KONBIT_* override these\n\
             # values (KONBIT_LISTEN, KONBIT_PUBLIC_URL, KONBIT_SESSION__IDLE_MINUTES...).\n\
             version = 1\n\
             state_dir = {state_dir}\n\
             database = {database}\n\
             listen = \"{listen}\"\n\
             public_url = \"{public_url}\"\n\n\
             [session]\n\
             idle_minutes = {idle}\n\
             absolute_hours = {absolute}\n\n\
             [accounts]\n\
             deletion_grace_days = {grace}\n",
            state_dir = toml_string(&self.state_dir.to_string_lossy()),
            database = toml_string(&self.database.to_string_lossy()),
            listen = self.listen,
            public_url = self.public_url,
            idle = self.session.idle_minutes,
            absolute = self.session.absolute_hours,
            grace = self.accounts.deletion_grace_days,
        )
    }
}

/// A provider whose errors name a key the way the operator writes it:
/// `session.idle_minutes` in the file (figment would say
/// `default.session.idle_minutes`), `KONBIT_SESSION__IDLE_MINUTES` in the
/// environment (figment would say `SESSION.IDLE_MINUTES`).
struct Named<P>(P, fn(&[&str]) -> String);

impl<P: figment::Provider> figment::Provider for Named<P> {
    fn metadata(&self) -> figment::Metadata {
        let name = self.1;
        self.0
            .metadata()
            .interpolater(move |_: &figment::Profile, k: &[&str]| name(k))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.0.data()
    }
}

/// A TOML basic string with the characters TOML requires escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config {
            state_dir: dir.path().join("we\"ird dir"),
            ..Config::default()
        };
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        let (read, file) = Config::load(Some(&path)).unwrap();
        assert_eq!(read.state_dir, c.state_dir);
        assert_eq!(file.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn errors_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("konbit.toml");
        std::fs::write(&path, "version = 1\nlisten = \"not an address\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("listen"), "{err}");
        assert!(err.contains("konbit.toml"), "{err}");
        std::fs::write(&path, "version = 1\nlisen = \"127.0.0.1:1\"\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
