//! API tokens: made by a person for themself, with scopes and an optional
//! expiry. The secret is returned once and stored only as a hash.

use crate::secret::{random_token, sha256_hex};
use crate::{App, AppError, Audit, Fields, Result, audit, json, now};
use konbit_core::authz::{Action, Actor, Scope, Source, Target, authorize};
use konbit_core::model::{AccountId, ApiToken, TokenId};
use konbit_core::names::Label;
use konbit_core::{Denied, FieldError, Rule};
use konbit_store::NewToken;

pub const KIND: &str = "api_token";
/// Every token starts with this, so leaked tokens are easy to spot in logs
/// and secret scanners.
pub const TOKEN_PREFIX: &str = "konbit_";

pub struct TokenService<'a> {
    pub(crate) app: &'a App,
}

#[derive(Debug, Clone, Default)]
pub struct CreateToken {
    pub name: String,
    pub scopes: Vec<String>,
    /// Days until expiry; `None` for no expiry.
    pub expires_in_days: Option<u32>,
    /// Limits the token to one account.
    pub account_id: Option<i64>,
}

/// A token just made: the only time its secret is known.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl TokenService<'_> {
    pub async fn list(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        authorize(actor, Action::ViewOwnTokens, Target::default())?;
        let user = actor.user_id.ok_or(Denied::Unauthenticated)?;
        Ok(self.app.store.read().await?.tokens_of(user).await?)
    }

    pub async fn create(&self, actor: &Actor, input: CreateToken) -> Result<CreatedToken> {
        let user = actor.user_id.ok_or(Denied::Unauthenticated)?;
        self.create_for(actor, user, input).await
    }

    /// Makes a token that acts as `user`. Only an admin may make one for
    /// someone else (the CLI does, to hand a script its token).
    pub async fn create_for(
        &self,
        actor: &Actor,
        user: konbit_core::model::UserId,
        input: CreateToken,
    ) -> Result<CreatedToken> {
        authorize(actor, Action::ManageOwnTokens, Target::default())?;
        if actor.user_id != Some(user) {
            authorize(actor, Action::ManageAdmins, Target::default())?;
        }
        // The operator's 2FA policy: when it requires a second factor of
        // this person, a token is made only from a panel session that
        // passed one (never from another token). The CLI on the server is
        // the operator and is exempt.
        if actor.source != Source::Cli
            && self.app.config.two_factor_policy.requires(actor.is_admin)
            && !(actor.mfa && actor.token.is_none())
        {
            return Err(AppError::Conflict {
                code: konbit_core::ErrorCode::TwoFactorRequired,
                detail: "the 2FA policy requires a session that passed 2FA to make a token".into(),
            });
        }
        let mut f = Fields::default();
        let name = f.check(Label::parse("name", &input.name));
        let mut scopes = Vec::new();
        for s in &input.scopes {
            match Scope::parse(s) {
                Some(scope) => scopes.push(scope),
                None => f.push(FieldError::new("scopes", Rule::UnknownChoice)),
            }
        }
        if input.scopes.is_empty() {
            f.push(FieldError::new("scopes", Rule::Required));
        }
        if let Some(days) = input.expires_in_days
            && !(1..=3650).contains(&days)
        {
            f.push(FieldError::new(
                "expires_in_days",
                Rule::OutOfRange { min: 1, max: 3650 },
            ));
        }
        f.finish()?;
        let name = name.ok_or_else(|| AppError::Internal("validated field missing".into()))?;
        scopes.sort();
        scopes.dedup();
        // A token never holds more than the session that made it: a token
        // made with a token cannot widen its own scopes.
        if let Some(grant) = &actor.token
            && !scopes
                .iter()
                .all(|s| grant.scopes.iter().any(|g| g.grants(s.area, s.access)))
        {
            return Err(Denied::InsufficientScope.into());
        }
        // A token made with a token limited to one account stays limited
        // to that account.
        let inherited = actor.token.as_ref().and_then(|g| g.account);
        let account = match (input.account_id.map(AccountId), inherited) {
            (Some(asked), Some(only)) if asked != only => return Err(Denied::NotFound.into()),
            (_, Some(only)) => Some(only),
            (asked, None) => asked,
        };
        let now = now();
        let secret = format!("{TOKEN_PREFIX}{}", random_token());
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let expires_at = input
            .expires_in_days
            .map(|d| now.saturating_add(i64::from(d) * 86_400));
        let mut tx = self.app.store.write().await?;
        if let Some(a) = account {
            // The token's person must be able to see the account.
            let owner = tx.user(user).await?;
            let visible = match tx.account(a).await {
                Ok(acc) => {
                    !acc.is_deleted()
                        && (owner.is_admin || owner.memberships.iter().any(|m| m.account_id == a))
                }
                Err(konbit_store::StoreError::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if !visible {
                return Err(AppError::invalid(FieldError::new(
                    "account_id",
                    Rule::UnknownChoice,
                )));
            }
        }
        let id = tx
            .insert_token(
                &NewToken {
                    user_id: user,
                    name,
                    prefix,
                    secret_hash: sha256_hex(&secret),
                    scopes,
                    account_id: account,
                    expires_at,
                },
                now,
            )
            .await?;
        let token = tx.token(id).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "token_created",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: None,
                new: json(&token),
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(CreatedToken { token, secret })
    }

    /// Revokes one of the actor's own tokens; someone else's is not found.
    pub async fn revoke(&self, actor: &Actor, id: TokenId) -> Result<()> {
        authorize(actor, Action::ManageOwnTokens, Target::default())?;
        let user = actor.user_id.ok_or(Denied::Unauthenticated)?;
        let now = now();
        let mut tx = self.app.store.write().await?;
        let token = tx.token(id).await?;
        if token.user_id != user {
            return Err(AppError::NotFound);
        }
        tx.revoke_token(id, now).await?;
        audit(
            &mut tx,
            actor,
            Audit {
                action: "token_revoked",
                kind: KIND,
                id: id.to_string(),
                account: None,
                old: json(&token),
                new: None,
            },
            now,
        )
        .await?;
        self.app.commit(tx).await?;
        Ok(())
    }
}
