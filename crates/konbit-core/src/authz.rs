//! Authorization rules, deny by default. Every front end asks `authorize`
//! before it reads or changes anything, so the rules live in one place and
//! one table-driven test covers them.

use crate::error::Denied;
use crate::model::{AccountId, Membership, Role, TokenId, UserId};
use serde::{Deserialize, Serialize};

/// An area of the product a token scope can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Accounts,
    Users,
    QuotaProfiles,
    Tokens,
    Audit,
    Domains,
    Mail,
    Sites,
    Sftp,
    Databases,
    Lists,
    Governance,
}

impl Area {
    pub const ALL: [Area; 12] = [
        Area::Accounts,
        Area::Users,
        Area::QuotaProfiles,
        Area::Tokens,
        Area::Audit,
        Area::Domains,
        Area::Mail,
        Area::Sites,
        Area::Sftp,
        Area::Databases,
        Area::Lists,
        Area::Governance,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Users => "users",
            Self::QuotaProfiles => "quota-profiles",
            Self::Tokens => "tokens",
            Self::Audit => "audit",
            Self::Domains => "domains",
            Self::Mail => "mail",
            Self::Sites => "sites",
            Self::Sftp => "sftp",
            Self::Databases => "databases",
            Self::Lists => "lists",
            Self::Governance => "governance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// `area:read` or `area:write`; write implies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub area: Area,
    pub access: Access,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        let (area, access) = s.trim().split_once(':')?;
        let area = Area::ALL.into_iter().find(|a| a.as_str() == area)?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return None,
        };
        Some(Self { area, access })
    }

    pub fn grants(&self, area: Area, access: Access) -> bool {
        self.area == area && (self.access == Access::Write || access == Access::Read)
    }

    /// Every scope, for the token form.
    pub fn all() -> Vec<Scope> {
        Area::ALL
            .into_iter()
            .flat_map(|area| [Access::Read, Access::Write].map(|access| Scope { area, access }))
            .collect()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let access = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(f, "{}:{}", self.area.as_str(), access)
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown scope `{s}`")))
    }
}

/// Where a change came from; recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Panel,
    Api,
    Cli,
    System,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Panel => "panel",
            Self::Api => "api",
            Self::Cli => "cli",
            Self::System => "system",
        }
    }
}

/// Who is acting. A person signed in to the panel has their full rights; a
/// token has its owner's rights narrowed by its scopes; the local operator
/// (the CLI on the server) is an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub label: String,
    pub is_admin: bool,
    pub memberships: Vec<Membership>,
    /// `None` for a session or the CLI; `Some` for an API token.
    pub token: Option<TokenGrant>,
    pub source: Source,
    pub ip: Option<String>,
    /// Whether this panel session passed a second factor (the 2FA policy
    /// for making tokens reads it). `false` for tokens and the CLI.
    pub mfa: bool,
    /// The admin acting as this person to help them, if any.
    pub impersonator: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub id: TokenId,
    pub scopes: Vec<Scope>,
    /// A token limited to one account reaches nothing else, whoever made it.
    pub account: Option<AccountId>,
}

impl Actor {
    /// The operator at the server's shell: full rights, no person behind it.
    pub fn operator_cli() -> Self {
        Self {
            user_id: None,
            label: "cli".into(),
            is_admin: true,
            memberships: Vec::new(),
            token: None,
            source: Source::Cli,
            ip: None,
            mfa: false,
            impersonator: None,
        }
    }

    /// Background work done by Konbit itself (purges, reconcile).
    pub fn system() -> Self {
        Self {
            label: "system".into(),
            source: Source::System,
            ..Self::operator_cli()
        }
    }

    pub fn role_in(&self, account: AccountId) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| m.account_id == account)
            .map(|m| m.role)
    }
}

/// Everything an actor can ask to do. Actions on an account's objects name
/// the account, so the rule can compare it with the actor's memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List every account of the co-op.
    ListAccounts,
    CreateAccount,
    ViewAccount(AccountId),
    /// Rename, change the quota profile: the operator decides.
    UpdateAccount(AccountId),
    LockAccount(AccountId),
    DeleteAccount(AccountId),
    RestoreAccount(AccountId),
    ViewPeople(AccountId),
    ManagePeople(AccountId),
    /// Every person of the co-op, admins included.
    ListAllUsers,
    ManageAdmins,
    ViewQuotaProfiles,
    ManageQuotaProfiles,
    /// A person's own tokens and settings.
    ManageOwnTokens,
    ViewOwnTokens,
    /// The audit log of the whole co-op, entries without an account included.
    ViewAllAudit,
    /// The audit log of one account: every person of the account.
    ViewAccountAudit(AccountId),
    /// Act as a member to help them (admins, from the panel only).
    Impersonate,
    /// Change what belongs to the person alone: their password, second
    /// factor and sessions. Never while someone acts as them.
    ManageOwnCredentials,
    /// An account's domains, their DNS records and DNSSEC keys.
    ViewDomains(AccountId),
    /// Add, change, delete and restore domains and records: every person
    /// of the account, owners and members alike.
    ManageDomains(AccountId),
    /// An account's mail: mail settings of its domains, mailboxes, aliases,
    /// automatic replies.
    ViewMail(AccountId),
    /// Turn mail on and off, add and change mailboxes and aliases: every
    /// person of the account, like domains.
    ManageMail(AccountId),
    /// An account's websites, their certificates, logs and disk usage.
    ViewSites(AccountId),
    /// Add, change, disable, delete and restore websites: every person of
    /// the account, like domains.
    ManageSites(AccountId),
    /// An account's SFTP accounts.
    ViewSftp(AccountId),
    /// Add, change, disable and delete SFTP accounts: every person of the
    /// account, like sites.
    ManageSftp(AccountId),
    /// An account's databases, their users and sizes.
    ViewDatabases(AccountId),
    /// Add and delete databases and their users, set their passwords:
    /// every person of the account, like sites.
    ManageDatabases(AccountId),
    /// An account's mailing lists, their subscribers and held messages.
    ViewLists(AccountId),
    /// Add, change and delete mailing lists, their subscribers, owners and
    /// moderators, and moderate held messages: every person of the
    /// account, like mail.
    ManageLists(AccountId),
    /// The co-op's bodies, proposals, discussions and tallies: every
    /// person of the co-op (the public decision log needs no sign-in).
    ViewGovernance,
    /// Propose, comment and vote. Never while an admin acts as the person:
    /// a vote is the person's own, like their password.
    TakePartInGovernance,
    /// Create bodies and write their rules, name their people, roll back
    /// an applied decision: the operator's admins.
    ManageGovernance,
}

impl Action {
    /// The token scope an action needs.
    pub fn scope(self) -> (Area, Access) {
        use Access::{Read, Write};
        match self {
            Self::ListAccounts | Self::ViewAccount(_) => (Area::Accounts, Read),
            Self::CreateAccount
            | Self::UpdateAccount(_)
            | Self::LockAccount(_)
            | Self::DeleteAccount(_)
            | Self::RestoreAccount(_) => (Area::Accounts, Write),
            Self::ViewPeople(_) | Self::ListAllUsers => (Area::Users, Read),
            Self::ManagePeople(_) | Self::ManageAdmins => (Area::Users, Write),
            Self::ViewQuotaProfiles => (Area::QuotaProfiles, Read),
            Self::ManageQuotaProfiles => (Area::QuotaProfiles, Write),
            Self::ViewOwnTokens => (Area::Tokens, Read),
            Self::ManageOwnTokens => (Area::Tokens, Write),
            Self::ViewAllAudit | Self::ViewAccountAudit(_) => (Area::Audit, Read),
            Self::Impersonate => (Area::Users, Write),
            Self::ManageOwnCredentials => (Area::Tokens, Write),
            Self::ViewDomains(_) => (Area::Domains, Read),
            Self::ManageDomains(_) => (Area::Domains, Write),
            Self::ViewMail(_) => (Area::Mail, Read),
            Self::ManageMail(_) => (Area::Mail, Write),
            Self::ViewSites(_) => (Area::Sites, Read),
            Self::ManageSites(_) => (Area::Sites, Write),
            Self::ViewSftp(_) => (Area::Sftp, Read),
            Self::ManageSftp(_) => (Area::Sftp, Write),
            Self::ViewDatabases(_) => (Area::Databases, Read),
            Self::ManageDatabases(_) => (Area::Databases, Write),
            Self::ViewLists(_) => (Area::Lists, Read),
            Self::ManageLists(_) => (Area::Lists, Write),
            Self::ViewGovernance => (Area::Governance, Read),
            Self::TakePartInGovernance | Self::ManageGovernance => (Area::Governance, Write),
        }
    }

    fn account(self) -> Option<AccountId> {
        match self {
            Self::ViewAccount(a)
            | Self::UpdateAccount(a)
            | Self::LockAccount(a)
            | Self::DeleteAccount(a)
            | Self::RestoreAccount(a)
            | Self::ViewPeople(a)
            | Self::ManagePeople(a)
            | Self::ViewAccountAudit(a)
            | Self::ViewDomains(a)
            | Self::ManageDomains(a)
            | Self::ViewMail(a)
            | Self::ManageMail(a)
            | Self::ViewSites(a)
            | Self::ManageSites(a)
            | Self::ViewSftp(a)
            | Self::ManageSftp(a)
            | Self::ViewDatabases(a)
            | Self::ManageDatabases(a)
            | Self::ViewLists(a)
            | Self::ManageLists(a) => Some(a),
            _ => None,
        }
    }

    /// Whether the action changes the account (refused while it is locked).
    fn writes_account_content(self) -> bool {
        matches!(
            self,
            Self::ManagePeople(_)
                | Self::ManageDomains(_)
                | Self::ManageMail(_)
                | Self::ManageSites(_)
                | Self::ManageSftp(_)
                | Self::ManageDatabases(_)
                | Self::ManageLists(_)
        )
    }
}

/// Facts about the target that the rules need and the actor may not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target {
    pub account_locked: bool,
    pub account_deleted: bool,
}

/// The one authorization rule of Konbit.
pub fn authorize(actor: &Actor, action: Action, target: Target) -> Result<(), Denied> {
    if actor.user_id.is_none() && !actor.is_admin {
        return Err(Denied::Unauthenticated);
    }
    let (area, access) = action.scope();
    if let Some(grant) = &actor.token {
        if !grant.scopes.iter().any(|s| s.grants(area, access)) {
            return Err(Denied::InsufficientScope);
        }
        if let Some(only) = grant.account {
            match action.account() {
                // Another account's objects do not exist for this token.
                Some(a) if a != only => return Err(Denied::NotFound),
                Some(_) => {}
                // Co-op-wide actions are out of reach; one's own tokens are not.
                None if matches!(action, Action::ManageOwnTokens | Action::ViewOwnTokens) => {}
                None => return Err(Denied::Forbidden),
            }
        }
    }
    // An admin acting as someone helps with their hosting; their keys
    // (tokens, password, second factor, sessions) stay theirs alone.
    if actor.impersonator.is_some()
        && matches!(
            action,
            Action::ManageOwnTokens | Action::ManageOwnCredentials | Action::TakePartInGovernance
        )
    {
        return Err(Denied::Forbidden);
    }
    // Impersonation starts from an admin's own panel session, never from a
    // token or from inside another impersonation.
    if action == Action::Impersonate && (actor.token.is_some() || actor.impersonator.is_some()) {
        return Err(Denied::Forbidden);
    }
    if actor.is_admin {
        return Ok(());
    }
    match action {
        Action::ManageOwnTokens
        | Action::ViewOwnTokens
        | Action::ManageOwnCredentials
        | Action::ViewGovernance
        | Action::TakePartInGovernance => Ok(()),
        Action::ListAccounts
        | Action::CreateAccount
        | Action::ListAllUsers
        | Action::ManageAdmins
        | Action::ViewQuotaProfiles
        | Action::ManageQuotaProfiles
        | Action::ViewAllAudit
        | Action::Impersonate
        | Action::ManageGovernance => Err(Denied::Forbidden),
        _ => {
            let Some(account) = action.account() else {
                return Err(Denied::Forbidden);
            };
            // Another account's objects, and deleted accounts, do not exist
            // for a member: 404, never a hint.
            let Some(role) = actor.role_in(account) else {
                return Err(Denied::NotFound);
            };
            if target.account_deleted {
                return Err(Denied::NotFound);
            }
            match action {
                Action::ViewAccount(_)
                | Action::ViewPeople(_)
                | Action::ViewAccountAudit(_)
                | Action::ViewDomains(_)
                | Action::ViewMail(_)
                | Action::ViewSites(_)
                | Action::ViewSftp(_)
                | Action::ViewDatabases(_)
                | Action::ViewLists(_) => Ok(()),
                Action::ManageDomains(_)
                | Action::ManageMail(_)
                | Action::ManageSites(_)
                | Action::ManageSftp(_)
                | Action::ManageDatabases(_)
                | Action::ManageLists(_)
                    if target.account_locked =>
                {
                    Err(Denied::AccountLocked)
                }
                Action::ManageDomains(_)
                | Action::ManageMail(_)
                | Action::ManageSites(_)
                | Action::ManageSftp(_)
                | Action::ManageDatabases(_)
                | Action::ManageLists(_) => Ok(()),
                Action::ManagePeople(_) if role == Role::Owner => {
                    if target.account_locked && action.writes_account_content() {
                        Err(Denied::AccountLocked)
                    } else {
                        Ok(())
                    }
                }
                _ => Err(Denied::Forbidden),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(memberships: Vec<Membership>) -> Actor {
        Actor {
            user_id: Some(UserId(7)),
            label: "p".into(),
            is_admin: false,
            memberships,
            token: None,
            source: Source::Panel,
            ip: None,
            mfa: false,
            impersonator: None,
        }
    }

    const A: AccountId = AccountId(1);
    const B: AccountId = AccountId(2);

    #[test]
    fn table() {
        let owner = person(vec![Membership {
            account_id: A,
            role: Role::Owner,
        }]);
        let member = person(vec![Membership {
            account_id: A,
            role: Role::Member,
        }]);
        let admin = Actor {
            is_admin: true,
            ..person(vec![])
        };
        let anon = Actor {
            user_id: None,
            ..person(vec![])
        };
        let t = Target::default();
        let locked = Target {
            account_locked: true,
            ..t
        };
        let deleted = Target {
            account_deleted: true,
            ..t
        };
        let cases: &[(&Actor, Action, Target, Result<(), Denied>)] = &[
            (
                &anon,
                Action::ViewAccount(A),
                t,
                Err(Denied::Unauthenticated),
            ),
            (&owner, Action::ViewAccount(A), t, Ok(())),
            (&owner, Action::ViewAccount(B), t, Err(Denied::NotFound)),
            (&owner, Action::ManagePeople(A), t, Ok(())),
            (
                &owner,
                Action::ManagePeople(A),
                locked,
                Err(Denied::AccountLocked),
            ),
            (&owner, Action::ManagePeople(B), t, Err(Denied::NotFound)),
            (
                &owner,
                Action::ViewAccount(A),
                deleted,
                Err(Denied::NotFound),
            ),
            (&owner, Action::LockAccount(A), t, Err(Denied::Forbidden)),
            (&owner, Action::UpdateAccount(A), t, Err(Denied::Forbidden)),
            (&member, Action::ViewPeople(A), t, Ok(())),
            (&member, Action::ManagePeople(A), t, Err(Denied::Forbidden)),
            (&member, Action::ListAccounts, t, Err(Denied::Forbidden)),
            (&member, Action::ManageOwnTokens, t, Ok(())),
            (&admin, Action::LockAccount(B), t, Ok(())),
            (&admin, Action::ManageQuotaProfiles, t, Ok(())),
            (&anon, Action::ViewAllAudit, t, Err(Denied::Unauthenticated)),
            (&member, Action::ViewAccountAudit(A), t, Ok(())),
            (&owner, Action::ViewAccountAudit(A), locked, Ok(())),
            (
                &owner,
                Action::ViewAccountAudit(B),
                t,
                Err(Denied::NotFound),
            ),
            (
                &member,
                Action::ViewAccountAudit(A),
                deleted,
                Err(Denied::NotFound),
            ),
            (&owner, Action::ViewAllAudit, t, Err(Denied::Forbidden)),
            (&admin, Action::ViewAllAudit, t, Ok(())),
            (&admin, Action::ViewAccountAudit(B), deleted, Ok(())),
        ];
        for (actor, action, target, want) in cases {
            assert_eq!(
                authorize(actor, *action, *target),
                *want,
                "{action:?} by {:?}",
                actor.memberships
            );
        }
    }

    #[test]
    fn token_scopes_narrow_even_an_admin() {
        let admin = Actor {
            is_admin: true,
            token: Some(TokenGrant {
                id: TokenId(1),
                scopes: vec![Scope {
                    area: Area::Accounts,
                    access: Access::Read,
                }],
                account: None,
            }),
            ..person(vec![])
        };
        assert_eq!(
            authorize(&admin, Action::ListAccounts, Target::default()),
            Ok(())
        );
        assert_eq!(
            authorize(&admin, Action::CreateAccount, Target::default()),
            Err(Denied::InsufficientScope)
        );
        assert_eq!(
            authorize(&admin, Action::ManageQuotaProfiles, Target::default()),
            Err(Denied::InsufficientScope)
        );
    }

    proptest::proptest! {
        #[test]
        fn scope_parse_accepts_only_known_scopes(s in "\\PC{0,30}") {
            if let Some(scope) = Scope::parse(&s) {
                // Whatever parses prints back as one of the known scopes.
                proptest::prop_assert!(Scope::all().contains(&scope));
                proptest::prop_assert_eq!(s.trim(), scope.to_string());
            }
        }

        #[test]
        fn role_and_locale_parse_only_their_words(s in "\\PC{0,12}") {
            if let Some(r) = crate::model::Role::parse(&s) {
                proptest::prop_assert_eq!(r.as_str(), s.as_str());
            }
            if let Some(l) = crate::model::Locale::parse(&s) {
                proptest::prop_assert_eq!(l.as_str(), s.trim().to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn a_token_limited_to_one_account_reaches_nothing_else() {
        let grant = |account| TokenGrant {
            id: TokenId(1),
            scopes: Scope::all(),
            account,
        };
        let admin = Actor {
            is_admin: true,
            token: Some(grant(Some(A))),
            ..person(vec![])
        };
        let t = Target::default();
        assert_eq!(authorize(&admin, Action::ViewAccount(A), t), Ok(()));
        assert_eq!(authorize(&admin, Action::LockAccount(A), t), Ok(()));
        assert_eq!(
            authorize(&admin, Action::ViewAccount(B), t),
            Err(Denied::NotFound)
        );
        assert_eq!(
            authorize(&admin, Action::ListAccounts, t),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize(&admin, Action::ManageQuotaProfiles, t),
            Err(Denied::Forbidden)
        );
        assert_eq!(authorize(&admin, Action::ManageOwnTokens, t), Ok(()));
        let owner = Actor {
            token: Some(grant(Some(B))),
            ..person(vec![
                Membership {
                    account_id: A,
                    role: Role::Owner,
                },
                Membership {
                    account_id: B,
                    role: Role::Owner,
                },
            ])
        };
        assert_eq!(
            authorize(&owner, Action::ManagePeople(A), t),
            Err(Denied::NotFound)
        );
        assert_eq!(authorize(&owner, Action::ManagePeople(B), t), Ok(()));
    }

    #[test]
    fn impersonation_is_for_admins_and_keeps_the_persons_keys_theirs() {
        let t = Target::default();
        let admin = Actor {
            is_admin: true,
            ..person(vec![])
        };
        assert_eq!(authorize(&admin, Action::Impersonate, t), Ok(()));
        let owner = person(vec![Membership {
            account_id: A,
            role: Role::Owner,
        }]);
        assert_eq!(
            authorize(&owner, Action::Impersonate, t),
            Err(Denied::Forbidden)
        );
        let helped = Actor {
            impersonator: Some(UserId(1)),
            ..owner.clone()
        };
        assert_eq!(authorize(&helped, Action::ManagePeople(A), t), Ok(()));
        assert_eq!(
            authorize(&helped, Action::ManageOwnTokens, t),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize(&helped, Action::ManageOwnCredentials, t),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize(&helped, Action::Impersonate, t),
            Err(Denied::Forbidden)
        );
        assert_eq!(authorize(&owner, Action::ManageOwnCredentials, t), Ok(()));
    }

    #[test]
    fn governance_is_for_every_person_and_a_vote_is_never_cast_by_a_helper() {
        let t = Target::default();
        let member = person(vec![Membership {
            account_id: A,
            role: Role::Member,
        }]);
        assert_eq!(authorize(&member, Action::ViewGovernance, t), Ok(()));
        assert_eq!(authorize(&member, Action::TakePartInGovernance, t), Ok(()));
        assert_eq!(
            authorize(&member, Action::ManageGovernance, t),
            Err(Denied::Forbidden)
        );
        let admin = Actor {
            is_admin: true,
            ..person(vec![])
        };
        assert_eq!(authorize(&admin, Action::ManageGovernance, t), Ok(()));
        let helped = Actor {
            impersonator: Some(UserId(1)),
            ..member.clone()
        };
        assert_eq!(authorize(&helped, Action::ViewGovernance, t), Ok(()));
        assert_eq!(
            authorize(&helped, Action::TakePartInGovernance, t),
            Err(Denied::Forbidden)
        );
        let anon = Actor {
            user_id: None,
            ..member
        };
        assert_eq!(
            authorize(&anon, Action::ViewGovernance, t),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn scope_round_trip() {
        for s in Scope::all() {
            assert_eq!(Scope::parse(&s.to_string()), Some(s));
        }
        assert_eq!(Scope::parse("accounts:admin"), None);
        assert_eq!(Scope::parse("dns:read"), None);
        assert_eq!(
            Scope::parse("audit:read"),
            Some(Scope {
                area: Area::Audit,
                access: Access::Read
            })
        );
    }
}
