//! SFTP accounts: a login of the account, chrooted to a directory of its
//! home, with a password (a crypt(3) SHA-512 hash, which ProFTPd checks)
//! and/or SSH keys. One queue object per login (`sftp_account`); the
//! provisioner rewrites ProFTPd's user file, which it reads at each login.

use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::database::ServicePassword;
use konbit_core::model::{AccountId, SftpAccount, SftpAccountId};
use konbit_core::quota::Resource;
use konbit_core::sftp::{SftpLogin, parse_ssh_keys};
use konbit_core::web::DocRoot;
use konbit_core::{FieldError, Rule};
use konbit_store::Tx;
use rand::RngCore;

/// The queue kind of SFTP accounts.
pub const KIND: &str = "sftp_account";

/// How members reach the SFTP server, shown in the panel.
#[derive(Debug, Clone, Default)]
pub struct SftpConfig {
    /// Whether Konbit manages SFTP accounts on this server.
    pub enabled: bool,
    /// The host and port members connect to.
    pub public_host: String,
    pub public_port: u16,
}

/// A new SFTP account as a form or an API body gives it.
#[derive(Debug, Clone, Default)]
pub struct SftpInput {
    /// The account's name.
    pub account: String,
    /// After `<account>_`; empty: the account's name alone.
    pub suffix: String,
    /// Inside the home; empty: the whole home.
    pub dir: String,
    /// Empty: none (keys only), unless `generate_password`.
    pub password: String,
    pub generate_password: bool,
    /// OpenSSH public keys, one per line.
    pub keys: String,
}

/// A change to an SFTP account; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct SftpUpdate {
    pub dir: Option<String>,
    pub keys: Option<String>,
    /// `Some("")`: remove the password.
    pub password: Option<String>,
    pub generate_password: bool,
}

/// An SFTP account, with the password Konbit generated (shown once).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SftpView {
    #[serde(flatten)]
    pub sftp: SftpAccount,
    pub account_name: String,
    pub host: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

pub struct SftpService<'a> {
    pub(crate) app: &'a App,
}

impl SftpService<'_> {
    fn enabled(&self) -> Result<()> {
        if self.app.config.sftp.enabled {
            Ok(())
        } else {
            Err(AppError::conflict("SFTP is not set up on this server"))
        }
    }

    pub async fn list(&self, actor: &Actor, account: Option<AccountId>) -> Result<Vec<SftpView>> {
        let mut tx = self.app.store.read().await?;
        let accounts = match account {
            Some(a) => {
                authorize_on_account(&mut tx, actor, Action::ViewSftp(a), a).await?;
                Some(vec![a])
            }
            None => crate::visible_accounts(&mut tx, actor, Action::ViewSftp).await?,
        };
        let rows = tx.sftp_accounts(accounts.as_deref()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for s in rows {
            out.push(self.view(&mut tx, s, None).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> Result<SftpView> {
        let mut tx = self.app.store.read().await?;
        let s = find(&mut tx, actor, id, false).await?;
        self.view(&mut tx, s, None).await
    }

    pub async fn create(&self, actor: &Actor, input: SftpInput) -> Result<SftpView> {
        self.enabled()?;
        let now = now();
        let account = {
            let mut tx = self.app.store.read().await?;
            let account = crate::named_account(&mut tx, &input.account).await?;
            authorize_on_account(&mut tx, actor, Action::ManageSftp(account.id), account.id).await?
        };
        let mut f = Fields::default();
        let login = f.check(SftpLogin::for_account(
            "login",
            &account.name,
            &input.suffix,
        ));
        let dir = f.check(parse_dir(&input.dir)).flatten();
        let keys = f
            .check(parse_ssh_keys("keys", &input.keys))
            .unwrap_or_default();
        let (password, generated) = f
            .check(choose_password(&input.password, input.generate_password))
            .unwrap_or((None, None));
        if password.is_none() && keys.is_empty() && f.is_empty() {
            f.push(FieldError::new("password", Rule::NeedsPasswordOrKey));
        }
        f.finish()?;
        let Some(login) = login else {
            return Err(AppError::Internal("validated login missing".into()));
        };
        let hash = match password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let mut tx = self.app.store.write().await?;
        let account =
            authorize_on_account(&mut tx, actor, Action::ManageSftp(account.id), account.id)
                .await?;
        let limits = tx.account_limits(account.id).await?;
        let usage = tx.account_usage(account.id).await?;
        konbit_core::quota::check(&limits, &usage, Resource::SftpAccounts, 1)?;
        if tx.sftp_account_by_login(login.as_str()).await?.is_some() {
            return Err(AppError::invalid(FieldError::new("login", Rule::NameTaken)));
        }
        let id = tx
            .insert_sftp_account(
                account.id,
                &login,
                dir.as_ref(),
                hash.as_deref(),
                &keys,
                now,
            )
            .await
            .map_err(crate::duplicate_on("login"))?;
        tx.enqueue(KIND, id.0, 1, now).await?;
        let s = tx.sftp_account(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "sftp_account_created",
                kind: "sftp_account",
                id: s.login.to_string(),
                account: Some(account.id),
                old: None,
                new: json(&s),
            },
            now,
        )
        .await?;
        let v = self.view(&mut tx, s, generated).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    pub async fn update(&self, actor: &Actor, id: i64, input: SftpUpdate) -> Result<SftpView> {
        self.enabled()?;
        let now = now();
        let old = {
            let mut tx = self.app.store.read().await?;
            find(&mut tx, actor, id, true).await?
        };
        let mut f = Fields::default();
        let dir = match &input.dir {
            Some(d) => f.check(parse_dir(d)).flatten(),
            None => old.dir.clone(),
        };
        let keys = match &input.keys {
            Some(k) => f.check(parse_ssh_keys("keys", k)).unwrap_or_default(),
            None => old.keys.clone(),
        };
        // Some(Some(p)): a new password; Some(None): none; None: unchanged.
        let mut generated = None;
        let password: Option<Option<ServicePassword>> = if input.generate_password
            || input.password.as_deref().is_some_and(|p| !p.is_empty())
        {
            let raw = input.password.as_deref().unwrap_or("");
            match f.check(choose_password(raw, input.generate_password)) {
                Some((p, g)) => {
                    generated = g;
                    Some(p)
                }
                None => None,
            }
        } else if input.password.is_some() {
            Some(None)
        } else {
            None
        };
        let has_password = match &password {
            Some(p) => p.is_some(),
            None => old.has_password,
        };
        if !has_password && keys.is_empty() && f.is_empty() {
            f.push(FieldError::new("password", Rule::NeedsPasswordOrKey));
        }
        f.finish()?;
        let hash: Option<Option<String>> = match password {
            Some(Some(p)) => Some(Some(hash_password(p).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        let g = tx
            .update_sftp_account(
                old.id,
                dir.as_ref(),
                &keys,
                hash.as_ref().map(|h| h.as_deref()),
                now,
            )
            .await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.sftp_account(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "sftp_account_updated",
                kind: "sftp_account",
                id: new.login.to_string(),
                account: Some(new.account_id),
                old: json(&old),
                new: json(&new),
            },
            now,
        )
        .await?;
        let v = self.view(&mut tx, new, generated).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// A disabled login is refused by ProFTPd at once; its files stay.
    pub async fn set_enabled(&self, actor: &Actor, id: i64, enabled: bool) -> Result<SftpView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        let g = tx.set_sftp_enabled(old.id, enabled, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.sftp_account(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if enabled {
                    "sftp_account_enabled"
                } else {
                    "sftp_account_disabled"
                },
                kind: "sftp_account",
                id: new.login.to_string(),
                account: Some(new.account_id),
                old: None,
                new: None,
            },
            now,
        )
        .await?;
        let v = self.view(&mut tx, new, None).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Removes the login; the files it wrote stay in the account's home.
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        tx.delete_sftp_account(old.id).await?;
        // Generation 0 with no row left: the login leaves ProFTPd's files.
        tx.enqueue(KIND, old.id.0, 0, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "sftp_account_deleted",
                kind: "sftp_account",
                id: old.login.to_string(),
                account: Some(old.account_id),
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    async fn view(
        &self,
        tx: &mut Tx,
        sftp: SftpAccount,
        password: Option<String>,
    ) -> Result<SftpView> {
        let account = tx.account(sftp.account_id).await?;
        Ok(SftpView {
            sftp,
            account_name: account.name.to_string(),
            host: self.app.config.sftp.public_host.clone(),
            port: self.app.config.sftp.public_port,
            password,
        })
    }
}

/// Re-queues an account's SFTP logins (after it is locked, deleted or
/// restored: ProFTPd must let them in or not).
pub(crate) async fn requeue_account_sftp(
    tx: &mut Tx,
    account: AccountId,
    now: konbit_core::model::Timestamp,
) -> Result<()> {
    for id in tx.sftp_account_ids_of_account(account).await? {
        let s = tx.sftp_account(id).await?;
        tx.enqueue(KIND, id.0, s.provision.generation, now).await?;
    }
    Ok(())
}

async fn find(tx: &mut Tx, actor: &Actor, id: i64, manage: bool) -> Result<SftpAccount> {
    crate::check_scope(
        actor,
        if manage {
            Action::ManageSftp
        } else {
            Action::ViewSftp
        },
    )?;
    let s = tx.sftp_account(SftpAccountId(id)).await?;
    let action = if manage {
        Action::ManageSftp(s.account_id)
    } else {
        Action::ViewSftp(s.account_id)
    };
    authorize_on_account(tx, actor, action, s.account_id).await?;
    Ok(s)
}

fn parse_dir(raw: &str) -> std::result::Result<Option<DocRoot>, FieldError> {
    if raw.trim().trim_matches('/').is_empty() {
        Ok(None)
    } else {
        DocRoot::parse("dir", raw).map(Some)
    }
}

/// The password to set and, when Konbit made it, its text to show once.
pub(crate) fn choose_password(
    raw: &str,
    generate: bool,
) -> std::result::Result<(Option<ServicePassword>, Option<String>), FieldError> {
    if generate {
        let text = crate::secret::random_password();
        let p = ServicePassword::parse("password", &text)?;
        return Ok((Some(p), Some(text)));
    }
    if raw.is_empty() {
        return Ok((None, None));
    }
    Ok((Some(ServicePassword::parse("password", raw)?), None))
}

/// SHA-512 crypt, on the blocking pool: it is deliberately slow.
async fn hash_password(p: ServicePassword) -> Result<String> {
    let mut salt = [0u8; 12];
    rand::rng().fill_bytes(&mut salt);
    tokio::task::spawn_blocking(move || konbit_core::crypt::sha512_crypt_random(p.expose(), salt))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}
