//! People: operator admins, and the people of each account with their role.

use crate::account::{OwnerInput, find_or_create_person};
use crate::{
    App, AppError, Audit, Fields, Result, audit, authorize_on_account, duplicate_on, json, now,
    password,
};
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{AccountId, Locale, Person, Role, UserId};
use konbit_core::names::{DisplayName, EmailAddress, Password};
use konbit_core::page::{Page, PageRequest};
use konbit_core::{Denied, ErrorCode, FieldError, Rule};
use konbit_store::{NewUser, StoreError};

pub const KIND: &str = "user";

pub struct UserService<'a> {
    pub(crate) app: &'a App,
}

/// Someone to add to an account: found by e-mail, or created with a name and
/// a first password they can change.
#[derive(Debug, Clone)]
pub struct AddPerson {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default)]
pub struct NewAdmin {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, Default)]
pub struct UpdatePerson {
    pub display_name: Option<String>,
    /// `Some(None)` clears the preference (then the browser decides).
    pub locale: Option<Option<Locale>>,
    pub is_admin: Option<bool>,
}

impl UserService<'_> {
    /// The people of one account, or (admins only) of the whole co-op.
    pub async fn list(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Page<Person>> {
        let mut tx = self.app.store.read().await?;
        match account {
            Some(id) => {
                authorize_on_account(&mut tx, actor, Action::ViewPeople(id), id).await?;
            }
            None => authorize(actor, Action::ListAllUsers, Target::default())?,
        }
        Ok(tx.users(account, page).await?)
    }

    /// A person, if the actor may see them: themself, anyone for an admin,
    /// or someone who shares an account with them.
    pub async fn get(&self, actor: &Actor, id: UserId) -> Result<Person> {
        let user = actor.user_id;
        // The scope check comes first, and before revealing whether the id
        // exists; for oneself, reading needs `users:read` like anything else.
        authorize(actor, Action::ViewPeople(AccountId(0)), Target::default()).or_else(
            |d| match d {
                Denied::NotFound => Ok(()),
                other => Err(other),
            },
        )?;
        let mut tx = self.app.store.read().await?;
        let person = tx.user(id).await?;
        // An admin sees everyone, unless acting through a token limited to
        // one account: then only that account's people.
        let unlimited = actor.token.as_ref().is_none_or(|g| g.account.is_none());
        if user == Some(id) || (actor.is_admin && unlimited) {
            return Ok(person);
        }
        for m in &person.memberships {
            if authorize_on_account(
                &mut tx,
                actor,
                Action::ViewPeople(m.account_id),
                m.account_id,
            )
            .await
            .is_ok()
            {
                return Ok(person);
            }
        }
        Err(AppError::NotFound)
    }

    /// Looks a person up by e-mail address (admins, or the person themself).
    pub async fn get_by_email(&self, actor: &Actor, email: &str) -> Result<Person> {
        let email = EmailAddress::parse("email", email).map_err(AppError::invalid)?;
        let found = match self
            .app
            .store
            .read()
            .await?
            .user_auth_by_email(email.as_str())
            .await
        {
            Ok(f) => f.person,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        self.get(actor, found.id).await
    }

    pub async fn add_to_account(
        &self,
        actor: &Actor,
        account: AccountId,
        input: AddPerson,
    ) -> Result<Person> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        authorize_on_account(&mut tx, actor, Action::ManagePeople(account), account).await?;
        let email = EmailAddress::parse("email", &input.email).map_err(AppError::invalid)?;
        let owner = OwnerInput {
            email: input.email.clone(),
            display_name: input.display_name.clone(),
            password: input.password.clone(),
        };
        let user = find_or_create_person(&mut tx, actor, &email, &owner, now)
            .await
            .map_err(|e| match e {
                // The form of this path names its fields without `owner_`.
                AppError::Invalid(errs) => AppError::Invalid(
                    errs.into_iter()
                        .map(|f| FieldError {
                            field: f.field.strip_prefix("owner_").unwrap_or(f.field),
                            rule: f.rule,
                        })
                        .collect(),
                ),
                other => other,
            })?;
        let existing = tx.user(user).await?;
        let old_role = existing
            .memberships
            .iter()
            .find(|m| m.account_id == account)
            .map(|m| m.role);
        if old_role == Some(Role::Owner)
            && input.role != Role::Owner
            && tx.owner_count(account).await? <= 1
        {
            return Err(AppError::Conflict {
                code: ErrorCode::LastOwner,
                detail: "last owner".into(),
            });
        }
        tx.upsert_membership(account, user, input.role, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: if old_role.is_some() {
                    "membership_changed"
                } else {
                    "membership_added"
                },
                kind: "membership",
                id: format!("{account}/{user}"),
                account: Some(account),
                old: old_role.map(|r| serde_json::json!({ "user_id": user, "role": r })),
                new: Some(serde_json::json!({ "user_id": user, "role": input.role })),
            },
            now,
        )
        .await?;
        let person = tx.user(user).await?;
        self.app.commit(tx).await?;
        Ok(person)
    }

    pub async fn set_role(
        &self,
        actor: &Actor,
        account: AccountId,
        user: UserId,
        role: Role,
    ) -> Result<Person> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        authorize_on_account(&mut tx, actor, Action::ManagePeople(account), account).await?;
        let person = tx.user(user).await?;
        let old_role = person
            .memberships
            .iter()
            .find(|m| m.account_id == account)
            .map(|m| m.role)
            .ok_or(AppError::NotFound)?;
        if old_role == Role::Owner && role != Role::Owner && tx.owner_count(account).await? <= 1 {
            return Err(AppError::Conflict {
                code: ErrorCode::LastOwner,
                detail: "last owner".into(),
            });
        }
        tx.upsert_membership(account, user, role, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "membership_changed",
                kind: "membership",
                id: format!("{account}/{user}"),
                account: Some(account),
                old: Some(serde_json::json!({ "user_id": user, "role": old_role })),
                new: Some(serde_json::json!({ "user_id": user, "role": role })),
            },
            now,
        )
        .await?;
        let person = tx.user(user).await?;
        self.app.commit(tx).await?;
        Ok(person)
    }

    /// Takes a person out of an account; the person keeps their sign-in.
    pub async fn remove_from_account(
        &self,
        actor: &Actor,
        account: AccountId,
        user: UserId,
    ) -> Result<()> {
        let now = now();
        let mut tx = self.app.store.write().await?;
        authorize_on_account(&mut tx, actor, Action::ManagePeople(account), account).await?;
        let person = tx.user(user).await?;
        let role = person
            .memberships
            .iter()
            .find(|m| m.account_id == account)
            .map(|m| m.role)
            .ok_or(AppError::NotFound)?;
        if role == Role::Owner && tx.owner_count(account).await? <= 1 {
            return Err(AppError::Conflict {
                code: ErrorCode::LastOwner,
                detail: "last owner".into(),
            });
        }
        tx.delete_membership(account, user).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "membership_removed",
                kind: "membership",
                id: format!("{account}/{user}"),
                account: Some(account),
                old: Some(serde_json::json!({ "user_id": user, "role": role })),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(())
    }

    /// Creates an operator admin. The CLI uses this to bootstrap the first one.
    pub async fn create_admin(&self, actor: &Actor, input: NewAdmin) -> Result<Person> {
        authorize(actor, Action::ManageAdmins, Target::default())?;
        self.create_person(
            actor,
            &input.email,
            &input.display_name,
            &input.password,
            true,
        )
        .await
    }

    /// Creates a person who belongs to no account yet (admins only).
    pub async fn create(&self, actor: &Actor, input: NewAdmin, is_admin: bool) -> Result<Person> {
        authorize(actor, Action::ManageAdmins, Target::default())?;
        self.create_person(
            actor,
            &input.email,
            &input.display_name,
            &input.password,
            is_admin,
        )
        .await
    }

    async fn create_person(
        &self,
        actor: &Actor,
        email: &str,
        display_name: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<Person> {
        let mut f = Fields::default();
        let email = f.check(EmailAddress::parse("email", email));
        let display_name = f.check(DisplayName::parse("display_name", display_name));
        let password = f.check(Password::parse("password", password));
        f.finish()?;
        let (Some(email), Some(display_name), Some(password)) = (email, display_name, password)
        else {
            return Err(AppError::Internal("validated fields missing".into()));
        };
        let hash = password::hash(password.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let id = tx
            .insert_user(
                &NewUser {
                    email,
                    display_name,
                    password_hash: hash,
                    is_admin,
                    locale: None,
                },
                now,
            )
            .await
            .map_err(duplicate_on("email"))?;
        let person = tx.user(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "user_created",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: json(&person),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(person)
    }

    /// A person edits themself (name, language); an admin may edit anyone and
    /// grant or remove admin rights.
    pub async fn update(&self, actor: &Actor, id: UserId, input: UpdatePerson) -> Result<Person> {
        let is_self = actor.user_id == Some(id);
        if !is_self || input.is_admin.is_some() {
            authorize(actor, Action::ManageAdmins, Target::default()).map_err(|d| match d {
                Denied::Forbidden if !is_self => AppError::NotFound,
                other => other.into(),
            })?;
        } else {
            authorize(actor, Action::ViewOwnTokens, Target::default())?;
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = tx.user(id).await?;
        let display_name = match &input.display_name {
            Some(d) => DisplayName::parse("display_name", d).map_err(AppError::invalid)?,
            None => old.display_name.clone(),
        };
        let locale = input.locale.unwrap_or(old.locale);
        tx.update_user(id, &display_name, locale, now).await?;
        if let Some(admin) = input.is_admin
            && admin != old.is_admin
        {
            if !admin && tx.admin_count().await? <= 1 {
                return Err(AppError::Conflict {
                    code: ErrorCode::LastOwner,
                    detail: "last admin".into(),
                });
            }
            tx.set_user_admin(id, admin, now).await?;
        }
        let new = tx.user(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "user_updated",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: json(&old),
                new: json(&new),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(new)
    }

    /// Changes one's own password; every other session ends, and the session
    /// whose cookie is `keep_session` (the one making the change) stays.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new_password: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        konbit_core::authz::authorize(
            actor,
            konbit_core::authz::Action::ManageOwnCredentials,
            Default::default(),
        )?;
        let user = actor.user_id.ok_or(Denied::Unauthenticated)?;
        let new_password =
            Password::parse("new_password", new_password).map_err(AppError::invalid)?;
        let stored = self.app.store.read().await?.password_hash(user).await?;
        if !password::verify(current.to_owned(), Some(stored)).await? {
            return Err(AppError::invalid(FieldError::new(
                "current_password",
                Rule::UnknownChoice,
            )));
        }
        let hash = password::hash(new_password.expose().to_owned()).await?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        tx.set_password_hash(user, &hash, now).await?;
        let keep = keep_session.map(crate::secret::sha256_hex);
        tx.delete_user_sessions_except(user, keep.as_deref())
            .await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "password_changed",
                kind: KIND,
                id: user.to_string(),
                account: None,
                old: None,
                new: Some(serde_json::json!({ "password": "[redacted]" })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a person (admins only). Refused while they are the last owner
    /// of an account, so no account is left without someone to run it.
    pub async fn delete(&self, actor: &Actor, id: UserId) -> Result<()> {
        authorize(actor, Action::ManageAdmins, Target::default())?;
        if actor.user_id == Some(id) {
            return Err(AppError::Conflict {
                code: ErrorCode::Conflict,
                detail: "cannot delete yourself".into(),
            });
        }
        let now = now();
        let mut tx = self.app.store.write().await?;
        let old = match tx.user(id).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        for m in &old.memberships {
            if m.role == Role::Owner && tx.owner_count(m.account_id).await? <= 1 {
                return Err(AppError::Conflict {
                    code: ErrorCode::LastOwner,
                    detail: format!("last owner of account {}", m.account_id),
                });
            }
        }
        if old.is_admin && tx.admin_count().await? <= 1 {
            return Err(AppError::Conflict {
                code: ErrorCode::LastOwner,
                detail: "last admin".into(),
            });
        }
        tx.delete_user(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "user_deleted",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: json(&old),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(())
    }
}
