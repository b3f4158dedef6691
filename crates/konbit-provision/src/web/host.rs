//! The Unix side of an account: its user (uid `base + account id`), its
//! home `<homes_root>/<login>` and the directories its sites serve.
//!
//! | path | owner | mode | why |
//! | --- | --- | --- | --- |
//! | home | login, group of nginx | 0750 | nginx traverses it, other accounts cannot |
//! | home/tmp, home/logs | login | 0700 | PHP's uploads, sessions and errors |
//! | a site's root | login | 0755 | made *as the login* (`setpriv`), so a symlink the member planted cannot turn root's `mkdir` elsewhere |

use crate::ProvisionError;
use crate::command::run_checked;
use crate::files::{FileMode, ensure_dir};
use konbit_core::model::AccountId;
use konbit_core::names::AccountName;
use konbit_core::web::{DocRoot, UnixLogin};
use std::path::{Path, PathBuf};
use std::time::Duration;

const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

/// How accounts become Unix users.
#[derive(Debug, Clone)]
pub struct UnixSettings {
    /// Put before the account name (`kb-radio`).
    pub prefix: String,
    /// An account's uid is `uid_base + id`.
    pub uid_base: u32,
    /// Where homes live; only directories right under it are ever removed.
    pub homes_root: PathBuf,
    /// nginx's group: it may traverse homes.
    pub web_group: String,
    pub useradd: PathBuf,
    pub userdel: PathBuf,
    pub setpriv: PathBuf,
    pub shell: PathBuf,
}

impl Default for UnixSettings {
    fn default() -> Self {
        Self {
            prefix: "kb-".into(),
            uid_base: 20_000,
            homes_root: "/srv/konbit/homes".into(),
            web_group: "www-data".into(),
            useradd: "/usr/sbin/useradd".into(),
            userdel: "/usr/sbin/userdel".into(),
            setpriv: "/usr/bin/setpriv".into(),
            shell: "/usr/sbin/nologin".into(),
        }
    }
}

/// One account's Unix identity.
#[derive(Debug, Clone)]
pub struct AccountHost {
    pub login: UnixLogin,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

impl AccountHost {
    pub fn tmp_dir(&self) -> PathBuf {
        self.home.join("tmp")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.home.join("logs")
    }
    pub fn root(&self, root: &DocRoot) -> PathBuf {
        self.home.join(root.as_str())
    }
}

fn invalid(reason: impl Into<String>) -> ProvisionError {
    ProvisionError::Invalid {
        reason: reason.into(),
    }
}

impl UnixSettings {
    pub fn login(&self, id: AccountId, name: &AccountName) -> Result<UnixLogin, ProvisionError> {
        UnixLogin::for_account(&self.prefix, id, name).map_err(|e| invalid(format!("{e}")))
    }

    pub fn uid(&self, id: AccountId) -> Result<u32, ProvisionError> {
        UnixLogin::uid(self.uid_base, id).ok_or_else(|| invalid("no uid fits this account id"))
    }

    /// Creates the account's user and home if they are missing, and puts
    /// the home's owner and mode right. Idempotent and cheap when all is
    /// in place (reads `/etc/passwd` and two directories).
    pub async fn ensure(
        &self,
        id: AccountId,
        name: &AccountName,
    ) -> Result<AccountHost, ProvisionError> {
        let login = self.login(id, name)?;
        let uid = self.uid(id)?;
        let home = self.homes_root.join(login.as_str());
        let gid = match crate::files::user_ids(login.as_str()) {
            Some((existing, gid)) if existing == uid => gid,
            Some((existing, _)) => {
                return Err(invalid(format!(
                    "the Unix user {login} exists with uid {existing}, not {uid}: it is not this account's"
                )));
            }
            None => {
                if let Some(other) = login_of_uid(uid) {
                    return Err(invalid(format!(
                        "uid {uid} already belongs to the Unix user {other}"
                    )));
                }
                let mut cmd = tokio::process::Command::new(&self.useradd);
                cmd.arg("--uid")
                    .arg(uid.to_string())
                    .arg("--user-group")
                    .arg("--no-create-home")
                    .arg("--home-dir")
                    .arg(&home)
                    .arg("--shell")
                    .arg(&self.shell)
                    .arg("--")
                    .arg(login.as_str());
                run_checked(cmd, TOOL_TIMEOUT)
                    .await
                    .map_err(|e| ProvisionError::Transient(format!("useradd {login}: {e}")))?;
                crate::files::user_ids(login.as_str())
                    .map(|(_, gid)| gid)
                    .ok_or_else(|| {
                        ProvisionError::Transient(format!("useradd made no user {login}"))
                    })?
            }
        };
        let web_gid = crate::files::group_id(&self.web_group).ok_or_else(|| {
            ProvisionError::Fatal(format!(
                "the group {} (nginx's) does not exist",
                self.web_group
            ))
        })?;
        let host = AccountHost {
            login,
            uid,
            gid,
            home,
        };
        let fail = |e: String| ProvisionError::Transient(e);
        ensure_dir(
            &self.homes_root,
            FileMode {
                mode: 0o755,
                uid: None,
                gid: None,
            },
        )
        .map_err(fail)?;
        ensure_dir(
            &host.home,
            FileMode {
                mode: 0o750,
                uid: Some(uid),
                gid: Some(web_gid),
            },
        )
        .map_err(fail)?;
        for private in [host.tmp_dir(), host.logs_dir()] {
            ensure_dir(
                &private,
                FileMode {
                    mode: 0o700,
                    uid: Some(uid),
                    gid: Some(gid),
                },
            )
            .map_err(fail)?;
        }
        Ok(host)
    }

    /// Creates a site's directory as the account's user, with a page that
    /// says the site works, the first time only.
    pub async fn ensure_root(
        &self,
        host: &AccountHost,
        root: &DocRoot,
        placeholder: &Path,
    ) -> Result<(), ProvisionError> {
        if !self.ensure_subdir(host, root).await? {
            return Ok(());
        }
        let dir = host.root(root);
        let mut cp = self.as_account(host, "cp");
        cp.arg("--no-clobber")
            .arg("--")
            .arg(placeholder)
            .arg(dir.join("index.html"));
        run_checked(cp, TOOL_TIMEOUT).await.map_err(|e| {
            invalid(format!(
                "cannot write the first page in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(())
    }

    /// A command run as the account's user, without any other group.
    fn as_account(&self, host: &AccountHost, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.setpriv);
        cmd.arg(format!("--reuid={}", host.uid))
            .arg(format!("--regid={}", host.gid))
            .arg("--clear-groups")
            .arg("--")
            .arg(program);
        cmd
    }

    /// Creates a directory of the home as the account's user (so a link
    /// the member left on the way cannot make root write elsewhere);
    /// `true` when it was made now.
    pub async fn ensure_subdir(
        &self,
        host: &AccountHost,
        sub: &DocRoot,
    ) -> Result<bool, ProvisionError> {
        let dir = host.root(sub);
        if tokio::fs::symlink_metadata(&dir).await.is_ok() {
            return Ok(false);
        }
        let mut mkdir = self.as_account(host, "mkdir");
        mkdir.arg("-p").arg("-m").arg("0755").arg("--").arg(&dir);
        run_checked(mkdir, TOOL_TIMEOUT)
            .await
            .map_err(|e| invalid(format!("cannot create {}: {e}", dir.display())))?;
        Ok(true)
    }

    /// Removes the user of account `id` and its home, found by uid (the
    /// account's row, and so its name, is gone by then). Only a home right
    /// under `homes_root` is removed.
    pub async fn remove(&self, id: AccountId) -> Result<Option<UnixLogin>, ProvisionError> {
        let uid = self.uid(id)?;
        let Some(login) = login_of_uid(uid) else {
            return Ok(None);
        };
        let home = self.homes_root.join(&login);
        let mut cmd = tokio::process::Command::new(&self.userdel);
        cmd.arg("--").arg(&login);
        run_checked(cmd, TOOL_TIMEOUT)
            .await
            .map_err(|e| ProvisionError::Transient(format!("userdel {login}: {e}")))?;
        if crate::files::safe_component(&login) {
            match tokio::fs::remove_dir_all(&home).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ProvisionError::Transient(format!(
                        "{}: {e}",
                        home.display()
                    )));
                }
            }
        }
        UnixLogin::parse_existing(&login).map(Some).map_err(invalid)
    }
}

/// The login that has `uid`, from `/etc/passwd`.
pub fn login_of_uid(uid: u32) -> Option<String> {
    let users = std::fs::read_to_string("/etc/passwd").ok()?;
    users.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let found: u32 = fields.nth(1)?.parse().ok()?;
        (found == uid).then(|| name.to_owned())
    })
}
