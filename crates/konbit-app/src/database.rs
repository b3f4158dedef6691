//! Members' databases on MariaDB and PostgreSQL: a database and its owner
//! user named `<account>_<suffix>`, extra users with read-write or
//! read-only rights, passwords kept only as the engine's verifier, sizes
//! measured against the operator's limit. One queue object per database
//! (`database`); deleting one dumps it first, and the dump is kept for the
//! grace period (restore brings the database back from it).

use crate::sftp::choose_password;
use crate::{App, AppError, Audit, Fields, Result, audit, authorize_on_account, json, now};
use konbit_core::authz::{Action, Actor};
use konbit_core::database::{DbEngine, DbName, DbRight, ServicePassword};
use konbit_core::model::{AccountId, Database, DatabaseId, DatabaseUser, DatabaseUserId};
use konbit_core::quota::Resource;
use konbit_core::{FieldError, Rule};
use konbit_store::Tx;
use rand::RngCore;
use std::path::PathBuf;

/// The queue kind of databases.
pub const KIND: &str = "database";

/// What to do with a database over its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverSize {
    /// Its users may only read until it shrinks.
    #[default]
    ReadOnly,
    /// Only shown, to the member and the admins.
    Report,
}

/// One engine as the members see it.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The host and port members' programs connect to.
    pub public_host: String,
    pub public_port: u16,
}

/// Database settings the services need.
#[derive(Debug, Clone, Default)]
pub struct DatabaseConfig {
    pub mariadb: Option<EngineConfig>,
    pub postgresql: Option<EngineConfig>,
    /// Per database; 0: no limit.
    pub max_size_mb: u64,
    pub over_size: OverSize,
    /// Where the final dumps of deleted databases are kept.
    pub dump_dir: Option<PathBuf>,
}

impl DatabaseConfig {
    pub fn engine(&self, engine: DbEngine) -> Option<&EngineConfig> {
        match engine {
            DbEngine::Mariadb => self.mariadb.as_ref(),
            DbEngine::Postgresql => self.postgresql.as_ref(),
        }
    }

    /// The file of a database's final dump.
    pub fn dump_path(&self, engine: DbEngine, name: &DbName) -> Option<PathBuf> {
        self.dump_dir
            .as_ref()
            .map(|d| d.join(engine.as_str()).join(format!("{name}.sql")))
    }
}

/// A new database as a form or an API body gives it.
#[derive(Debug, Clone, Default)]
pub struct DatabaseInput {
    pub account: String,
    /// `mariadb` or `postgresql`.
    pub engine: String,
    /// After `<account>_`.
    pub suffix: String,
    /// Empty: Konbit makes one (shown once).
    pub password: String,
}

/// A new extra user.
#[derive(Debug, Clone, Default)]
pub struct DatabaseUserInput {
    pub suffix: String,
    /// `read_write` or `read_only`.
    pub right: String,
    pub password: String,
}

/// How a program connects to a database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// `mysql://user@host:port/db` or `postgresql://…`, without the
    /// password.
    pub url: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DatabaseView {
    #[serde(flatten)]
    pub database: Database,
    pub account_name: String,
    pub users: Vec<DatabaseUser>,
    pub connection: Option<Connection>,
    /// The operator's limit per database, in bytes (none: 0).
    pub max_size_bytes: u64,
    pub over_size: bool,
    /// A deleted database's final dump can be downloaded.
    pub dump_available: bool,
    /// The password Konbit generated, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

pub struct DatabaseService<'a> {
    pub(crate) app: &'a App,
}

impl DatabaseService<'_> {
    pub async fn list(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        deleted: bool,
    ) -> Result<Vec<DatabaseView>> {
        let mut tx = self.app.store.read().await?;
        let accounts = match account {
            Some(a) => {
                authorize_on_account(&mut tx, actor, Action::ViewDatabases(a), a).await?;
                Some(vec![a])
            }
            None => crate::visible_accounts(&mut tx, actor, Action::ViewDatabases).await?,
        };
        let rows = tx.databases(accounts.as_deref(), deleted).await?;
        let mut out = Vec::with_capacity(rows.len());
        for d in rows {
            out.push(self.view(&mut tx, d, None).await?);
        }
        Ok(out)
    }

    pub async fn get(&self, actor: &Actor, id: i64) -> Result<DatabaseView> {
        let mut tx = self.app.store.read().await?;
        let d = find(&mut tx, actor, id, false).await?;
        self.view(&mut tx, d, None).await
    }

    pub async fn create(&self, actor: &Actor, input: DatabaseInput) -> Result<DatabaseView> {
        let now = now();
        let account = {
            let mut tx = self.app.store.read().await?;
            let account = crate::named_account(&mut tx, &input.account).await?;
            authorize_on_account(
                &mut tx,
                actor,
                Action::ManageDatabases(account.id),
                account.id,
            )
            .await?
        };
        let mut f = Fields::default();
        let engine = f.check(DbEngine::parse("engine", &input.engine).and_then(|e| {
            self.app
                .config
                .databases
                .engine(e)
                .map(|_| e)
                .ok_or(FieldError::new("engine", Rule::UnknownChoice))
        }));
        let name = f.check(DbName::for_account("name", &account.name, &input.suffix));
        let password = f.check(choose_password(&input.password, input.password.is_empty()));
        f.finish()?;
        let (Some(engine), Some(name), Some((Some(password), generated))) =
            (engine, name, password)
        else {
            return Err(AppError::Internal("validated database missing".into()));
        };
        let verifier = verifier(engine, &password);
        let mut tx = self.app.store.write().await?;
        let account = authorize_on_account(
            &mut tx,
            actor,
            Action::ManageDatabases(account.id),
            account.id,
        )
        .await?;
        let limits = tx.account_limits(account.id).await?;
        let usage = tx.account_usage(account.id).await?;
        konbit_core::quota::check(&limits, &usage, Resource::Databases, 1)?;
        if tx.database_name_taken(engine, &name).await? {
            return Err(AppError::invalid(FieldError::new("name", Rule::NameTaken)));
        }
        let id = tx
            .insert_database(account.id, engine, &name, now)
            .await
            .map_err(crate::duplicate_on("name"))?;
        let database = tx.database(id).await?;
        tx.insert_database_user(&database, &name, DbRight::Owner, &verifier, now)
            .await
            .map_err(crate::duplicate_on("name"))?;
        tx.enqueue(KIND, id.0, database.provision.generation, now)
            .await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_created",
                kind: "database",
                id: format!("{engine}:{name}"),
                account: Some(account.id),
                old: None,
                new: json(&database),
            },
            now,
        )
        .await?;
        let v = self.view(&mut tx, database, generated).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    pub async fn add_user(
        &self,
        actor: &Actor,
        id: i64,
        input: DatabaseUserInput,
    ) -> Result<DatabaseView> {
        let now = now();
        let (database, account) = {
            let mut tx = self.app.store.read().await?;
            let d = find(&mut tx, actor, id, true).await?;
            let a = tx.account(d.account_id).await?;
            (d, a)
        };
        if database.is_deleted() {
            return Err(AppError::NotFound);
        }
        let mut f = Fields::default();
        let name = f.check(DbName::for_account("name", &account.name, &input.suffix));
        let right = f.check(DbRight::parse_extra("right", &input.right));
        let password = f.check(choose_password(&input.password, input.password.is_empty()));
        f.finish()?;
        let (Some(name), Some(right), Some((Some(password), generated))) = (name, right, password)
        else {
            return Err(AppError::Internal("validated user missing".into()));
        };
        let verifier = verifier(database.engine, &password);
        let mut tx = self.app.store.write().await?;
        let database = find(&mut tx, actor, id, true).await?;
        if tx.database_name_taken(database.engine, &name).await? {
            return Err(AppError::invalid(FieldError::new("name", Rule::NameTaken)));
        }
        tx.insert_database_user(&database, &name, right, &verifier, now)
            .await
            .map_err(crate::duplicate_on("name"))?;
        let g = tx.bump_database(database.id, now).await?;
        tx.enqueue(KIND, database.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_user_created",
                kind: "database",
                id: format!("{}:{}", database.engine, database.name),
                account: Some(database.account_id),
                old: None,
                new: Some(serde_json::json!({ "user": name, "right": right })),
            },
            now,
        )
        .await?;
        let database = tx.database(database.id).await?;
        let v = self.view(&mut tx, database, generated).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Sets a user's password (empty: Konbit makes one, shown once).
    pub async fn set_password(
        &self,
        actor: &Actor,
        id: i64,
        user: i64,
        password: &str,
    ) -> Result<DatabaseView> {
        let now = now();
        let (password, generated) =
            choose_password(password, password.is_empty()).map_err(AppError::invalid)?;
        let Some(password) = password else {
            return Err(AppError::Internal("no password".into()));
        };
        let mut tx = self.app.store.write().await?;
        let database = find(&mut tx, actor, id, true).await?;
        if database.is_deleted() {
            return Err(AppError::NotFound);
        }
        let user = find_user(&mut tx, &database, user).await?;
        tx.set_database_user_verifier(user.id, &verifier(database.engine, &password), now)
            .await?;
        let g = tx.bump_database(database.id, now).await?;
        tx.enqueue(KIND, database.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_password_changed",
                kind: "database",
                id: format!("{}:{}", database.engine, database.name),
                account: Some(database.account_id),
                old: None,
                new: Some(serde_json::json!({ "user": user.name })),
            },
            now,
        )
        .await?;
        let database = tx.database(database.id).await?;
        let v = self.view(&mut tx, database, generated).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Removes an extra user (the owner goes with its database).
    pub async fn delete_user(&self, actor: &Actor, id: i64, user: i64) -> Result<DatabaseView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let database = find(&mut tx, actor, id, true).await?;
        let user = find_user(&mut tx, &database, user).await?;
        if user.right == DbRight::Owner {
            return Err(AppError::conflict(
                "the database's own user goes only with the database",
            ));
        }
        tx.delete_database_user(user.id).await?;
        let g = tx.bump_database(database.id, now).await?;
        tx.enqueue(KIND, database.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_user_deleted",
                kind: "database",
                id: format!("{}:{}", database.engine, database.name),
                account: Some(database.account_id),
                old: Some(serde_json::json!({ "user": user.name })),
                new: None,
            },
            now,
        )
        .await?;
        let database = tx.database(database.id).await?;
        let v = self.view(&mut tx, database, None).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// Dumps then drops the database; the dump is kept for the grace
    /// period, and [`restore`](Self::restore) loads it back.
    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if old.is_deleted() {
            return Err(AppError::NotFound);
        }
        let purge_after = now + self.app.config.deletion_grace_secs;
        let g = tx
            .set_database_deleted(old.id, Some(now), Some(purge_after), now)
            .await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_deleted",
                kind: "database",
                id: format!("{}:{}", old.engine, old.name),
                account: Some(old.account_id),
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await
    }

    pub async fn restore(&self, actor: &Actor, id: i64) -> Result<DatabaseView> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = find(&mut tx, actor, id, true).await?;
        if !old.is_deleted() {
            return Err(AppError::conflict("this database is not deleted"));
        }
        let limits = tx.account_limits(old.account_id).await?;
        let usage = tx.account_usage(old.account_id).await?;
        konbit_core::quota::check(&limits, &usage, Resource::Databases, 1)?;
        let g = tx.set_database_deleted(old.id, None, None, now).await?;
        tx.enqueue(KIND, old.id.0, g, now).await?;
        let new = tx.database(old.id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "database_restored",
                kind: "database",
                id: format!("{}:{}", new.engine, new.name),
                account: Some(new.account_id),
                old: None,
                new: json(&new),
            },
            now,
        )
        .await?;
        let v = self.view(&mut tx, new, None).await?;
        self.app.commit(tx).await?;
        Ok(v)
    }

    /// The final dump of a deleted database, for a download.
    pub async fn dump_path(&self, actor: &Actor, id: i64) -> Result<PathBuf> {
        let mut tx = self.app.store.read().await?;
        let d = find(&mut tx, actor, id, false).await?;
        if !d.is_deleted() {
            return Err(AppError::NotFound);
        }
        let path = self
            .app
            .config
            .databases
            .dump_path(d.engine, &d.name)
            .ok_or(AppError::NotFound)?;
        if path.exists() {
            Ok(path)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Records measured sizes (`(engine, name) -> bytes`); a database over
    /// the operator's limit is made read-only (or only reported), and
    /// writable again once under it.
    pub async fn record_sizes(
        &self,
        sizes: &std::collections::HashMap<(DbEngine, String), i64>,
    ) -> Result<usize> {
        let now = now();
        let max = self
            .app
            .config
            .databases
            .max_size_mb
            .saturating_mul(1024 * 1024);
        let read_only_mode = self.app.config.databases.over_size == OverSize::ReadOnly;
        let mut tx = self.app.store.write().await?;
        let mut changed = 0;
        for d in tx.live_databases().await? {
            let Some(bytes) = sizes.get(&(d.engine, d.name.as_str().to_owned())) else {
                continue;
            };
            let over = max > 0 && u64::try_from(*bytes).unwrap_or(0) > max;
            if let Some(g) = tx
                .set_database_size(d.id, *bytes, over && read_only_mode, now)
                .await?
            {
                tx.enqueue(KIND, d.id.0, g, now).await?;
                changed += 1;
            }
        }
        self.app.commit(tx).await?;
        Ok(changed)
    }

    /// Removes for good the deleted databases whose grace period is over:
    /// generation 0 makes the provisioner delete the dump.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<usize> {
        konbit_core::authz::authorize(
            actor,
            Action::DeleteAccount(AccountId(0)),
            Default::default(),
        )?;
        let now = now();
        let due = self
            .app
            .store
            .read()
            .await?
            .databases_due_for_purge(now)
            .await?;
        for id in &due {
            let mut tx = self.app.store.write().await?;
            let old = tx.database(*id).await?;
            tx.purge_database(*id).await?;
            tx.enqueue(KIND, id.0, 0, now).await?;
            audit(
                &mut tx,
                actor,
                Audit {
                    action: "database_purged",
                    kind: "database",
                    id: format!("{}:{}", old.engine, old.name),
                    account: Some(old.account_id),
                    old: None,
                    new: None,
                },
                now,
            )
            .await?;
            self.app.commit(tx).await?;
        }
        Ok(due.len())
    }

    async fn view(
        &self,
        tx: &mut Tx,
        database: Database,
        password: Option<String>,
    ) -> Result<DatabaseView> {
        let account = tx.account(database.account_id).await?;
        let users = tx.database_users(database.id).await?;
        let config = &self.app.config.databases;
        let connection = config.engine(database.engine).map(|e| {
            let scheme = match database.engine {
                DbEngine::Mariadb => "mysql",
                DbEngine::Postgresql => "postgresql",
            };
            Connection {
                host: e.public_host.clone(),
                port: e.public_port,
                database: database.name.to_string(),
                user: database.name.to_string(),
                url: format!(
                    "{scheme}://{user}@{host}:{port}/{db}",
                    user = database.name,
                    host = e.public_host,
                    port = e.public_port,
                    db = database.name
                ),
            }
        });
        let max_size_bytes = config.max_size_mb.saturating_mul(1024 * 1024);
        let over_size = max_size_bytes > 0
            && database
                .size_bytes
                .is_some_and(|b| u64::try_from(b).unwrap_or(0) > max_size_bytes);
        let dump_available = database.is_deleted()
            && config
                .dump_path(database.engine, &database.name)
                .is_some_and(|p| p.exists());
        Ok(DatabaseView {
            database,
            account_name: account.name.to_string(),
            users,
            connection,
            max_size_bytes,
            over_size,
            dump_available,
            password,
        })
    }
}

/// The engine's verifier of a password; the password itself is not kept.
fn verifier(engine: DbEngine, password: &ServicePassword) -> String {
    match engine {
        DbEngine::Mariadb => konbit_core::db_verifier::mysql_native(password.expose()),
        DbEngine::Postgresql => {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            konbit_core::db_verifier::scram_sha256(password.expose(), &salt, 4096)
        }
    }
}

/// Re-queues an account's databases (after it is deleted or restored).
pub(crate) async fn requeue_account_databases(
    tx: &mut Tx,
    account: AccountId,
    now: konbit_core::model::Timestamp,
) -> Result<()> {
    for id in tx.database_ids_of_account(account).await? {
        let g = tx.bump_database(id, now).await?;
        tx.enqueue(KIND, id.0, g, now).await?;
    }
    Ok(())
}

async fn find(tx: &mut Tx, actor: &Actor, id: i64, manage: bool) -> Result<Database> {
    crate::check_scope(
        actor,
        if manage {
            Action::ManageDatabases
        } else {
            Action::ViewDatabases
        },
    )?;
    let d = tx.database(DatabaseId(id)).await?;
    let action = if manage {
        Action::ManageDatabases(d.account_id)
    } else {
        Action::ViewDatabases(d.account_id)
    };
    authorize_on_account(tx, actor, action, d.account_id).await?;
    Ok(d)
}

async fn find_user(tx: &mut Tx, database: &Database, id: i64) -> Result<DatabaseUser> {
    let user = tx.database_user(DatabaseUserId(id)).await?;
    if user.database_id != database.id {
        return Err(AppError::NotFound);
    }
    Ok(user)
}
