//! The `database` queue kind: makes MariaDB and PostgreSQL hold each
//! database as the store says, one database at a time. A deleted database
//! (or one of a deleted account) is dumped, then dropped; the dump stays in
//! `dump_dir` until the grace period ends, and a restore loads it back.

use super::{DbError, DbServer, DesiredDatabase, DesiredUser};
use crate::{Applied, ProvisionError, Provisioner};
use konbit_core::database::{DbEngine, DbName};
use konbit_core::db_verifier::{is_mysql_native, is_scram};
use konbit_core::model::DatabaseId;
use konbit_store::{DatabaseSource, Store, StoreError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const KIND: &str = "database";

pub struct DatabaseProvisioner<M, P> {
    store: Store,
    mariadb: Option<M>,
    postgres: Option<P>,
    /// `<dump_dir>/<engine>/<name>.sql`, root only.
    dump_dir: PathBuf,
}

fn refused(e: DbError) -> ProvisionError {
    match e {
        DbError::Unreachable(m) => ProvisionError::Transient(m),
        DbError::Refused(m) => ProvisionError::Invalid { reason: m },
    }
}

fn store_error(e: StoreError) -> ProvisionError {
    ProvisionError::Transient(e.to_string())
}

impl<M: DbServer, P: DbServer> DatabaseProvisioner<M, P> {
    pub fn new(store: Store, mariadb: Option<M>, postgres: Option<P>, dump_dir: PathBuf) -> Self {
        Self {
            store,
            mariadb,
            postgres,
            dump_dir,
        }
    }

    pub fn dump_path(dump_dir: &Path, engine: DbEngine, name: &DbName) -> PathBuf {
        dump_dir.join(engine.as_str()).join(format!("{name}.sql"))
    }

    /// Every database's size, by engine and name, from the engines that
    /// answer (one that does not is left out).
    pub async fn sizes(&self) -> HashMap<(DbEngine, String), i64> {
        let mut out = HashMap::new();
        if let Some(m) = &self.mariadb
            && let Ok(sizes) = m.sizes().await
        {
            out.extend(sizes.into_iter().map(|(k, v)| ((DbEngine::Mariadb, k), v)));
        }
        if let Some(p) = &self.postgres
            && let Ok(sizes) = p.sizes().await
        {
            out.extend(
                sizes
                    .into_iter()
                    .map(|(k, v)| ((DbEngine::Postgresql, k), v)),
            );
        }
        out
    }

    async fn apply_one(&self, id: DatabaseId) -> Result<Applied, ProvisionError> {
        let source = {
            let mut tx = self.store.read().await.map_err(store_error)?;
            match tx.database_source(id).await {
                Ok(s) => Some(s),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(store_error(e)),
            }
        };
        let Some(source) = source else {
            return self.sweep_dumps().await;
        };
        match source.database.engine {
            DbEngine::Mariadb => match &self.mariadb {
                Some(m) => self.apply_on(m, &source).await,
                None => Err(not_set_up(DbEngine::Mariadb)),
            },
            DbEngine::Postgresql => match &self.postgres {
                Some(p) => self.apply_on(p, &source).await,
                None => Err(not_set_up(DbEngine::Postgresql)),
            },
        }
    }

    async fn apply_on<S: DbServer>(
        &self,
        server: &S,
        source: &DatabaseSource,
    ) -> Result<Applied, ProvisionError> {
        let db = &source.database;
        let dump = Self::dump_path(&self.dump_dir, db.engine, &db.name);
        let exists = server
            .sizes()
            .await
            .map_err(refused)?
            .contains_key(db.name.as_str());
        if db.is_deleted() || source.parent_deleted {
            if exists {
                if !dump.exists() {
                    self.write_dump(server, &db.name, &dump).await?;
                }
                server.drop_database(&db.name).await.map_err(refused)?;
                return Ok(Applied {
                    changes: vec![format!("dumped and dropped {}", db.name)],
                });
            }
            return Ok(Applied::default());
        }
        let desired = desired(source)?;
        if !exists && dump.exists() {
            server.restore(&desired, &dump).await.map_err(refused)?;
            remove_file(&dump)?;
            return Ok(Applied {
                changes: vec![format!("restored {} from its dump", db.name)],
            });
        }
        server.apply(&desired).await.map_err(refused)?;
        if exists && dump.exists() {
            // Restored while the drop had not been applied yet.
            remove_file(&dump)?;
        }
        Ok(Applied {
            changes: vec![format!("applied {}", db.name)],
        })
    }

    async fn write_dump<S: DbServer>(
        &self,
        server: &S,
        name: &DbName,
        dump: &Path,
    ) -> Result<(), ProvisionError> {
        let dir = dump
            .parent()
            .ok_or_else(|| ProvisionError::Transient("no dump directory".into()))?;
        crate::files::ensure_dir(
            dir,
            crate::files::FileMode {
                mode: 0o700,
                uid: None,
                gid: None,
            },
        )
        .map_err(ProvisionError::Transient)?;
        let partial = dump.with_extension("sql.partial");
        server.dump(name, &partial).await.map_err(refused)?;
        std::fs::rename(&partial, dump)
            .map_err(|e| ProvisionError::Transient(format!("{}: {e}", dump.display())))
    }

    /// Removes the dumps of databases purged from the store.
    async fn sweep_dumps(&self) -> Result<Applied, ProvisionError> {
        let deleted: Vec<(DbEngine, String)> = {
            let mut tx = self.store.read().await.map_err(store_error)?;
            tx.databases(None, true)
                .await
                .map_err(store_error)?
                .into_iter()
                .map(|d| (d.engine, d.name.to_string()))
                .collect()
        };
        let mut changes = Vec::new();
        for engine in DbEngine::ALL {
            let Ok(entries) = std::fs::read_dir(self.dump_dir.join(engine.as_str())) else {
                continue;
            };
            for entry in entries.flatten() {
                let file = entry.file_name();
                let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".sql")) else {
                    continue;
                };
                if !deleted.iter().any(|(e, n)| *e == engine && n == name) {
                    remove_file(&entry.path())?;
                    changes.push(format!("removed the dump of {name}"));
                }
            }
        }
        Ok(Applied { changes })
    }
}

fn not_set_up(engine: DbEngine) -> ProvisionError {
    ProvisionError::Invalid {
        reason: format!("{} is not set up on this server", engine.label()),
    }
}

fn remove_file(path: &Path) -> Result<(), ProvisionError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ProvisionError::Transient(format!(
            "{}: {e}",
            path.display()
        ))),
    }
}

/// The database as it must be, with each stored verifier checked before it
/// goes into SQL.
fn desired(source: &DatabaseSource) -> Result<DesiredDatabase, ProvisionError> {
    let db = &source.database;
    let mut users = Vec::with_capacity(source.users.len());
    for (user, verifier) in &source.users {
        let ok = match db.engine {
            DbEngine::Mariadb => is_mysql_native(verifier),
            DbEngine::Postgresql => is_scram(verifier),
        };
        if !ok {
            return Err(ProvisionError::Invalid {
                reason: format!(
                    "the stored password of {} is not usable: set it again",
                    user.name
                ),
            });
        }
        users.push(DesiredUser {
            name: user.name.clone(),
            right: user.right,
            verifier: verifier.clone(),
        });
    }
    Ok(DesiredDatabase {
        name: db.name.clone(),
        users,
        read_only: db.read_only,
    })
}

impl<M: DbServer, P: DbServer> Provisioner for DatabaseProvisioner<M, P> {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn apply(&self, object_id: i64, _generation: i64) -> Result<Applied, ProvisionError> {
        self.apply_one(DatabaseId(object_id)).await
    }

    async fn remove(&self, object_id: i64) -> Result<Applied, ProvisionError> {
        // A purged database was dropped when it was deleted: only its dump
        // is left to remove.
        self.apply_one(DatabaseId(object_id)).await
    }

    async fn plan(
        &self,
        object_id: i64,
        generation: Option<i64>,
    ) -> Result<Vec<String>, ProvisionError> {
        Ok(vec![match generation {
            Some(_) => format!("database {object_id}: database, users and rights checked"),
            None => format!("database {object_id}: its final dump removed"),
        }])
    }

    async fn all_ids(&self) -> Result<Vec<i64>, ProvisionError> {
        let mut tx = self.store.read().await.map_err(store_error)?;
        let mut ids: Vec<i64> = tx
            .databases(None, false)
            .await
            .map_err(store_error)?
            .into_iter()
            .chain(tx.databases(None, true).await.map_err(store_error)?)
            .map(|d| d.id.0)
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }
}
