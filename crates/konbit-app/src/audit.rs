//! The audit log: the helper every service uses to record a change in the
//! change's own transaction, and `AuditService`, which shows the log to the
//! people allowed to see it (members: their accounts' entries; admins: all),
//! exports it as CSV and verifies its hash chain.

use crate::{App, AppError, Fields, Result, authorize_on_account};
use konbit_core::audit::OBJECT_KINDS;
use konbit_core::authz::{Action, Actor, Target, authorize};
use konbit_core::model::{AccountId, Timestamp, UserId};
use konbit_core::page::{Page, PageRequest};
use konbit_core::{Denied, FieldError, Rule};
use konbit_store::{AuditEntry, AuditFilter, ChainReport, NewAuditEntry, StoreError, Tx};

/// One change to record.
pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub kind: &'a str,
    pub id: String,
    pub account: Option<AccountId>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// Records a change in the transaction that makes it. The store redacts
/// secrets and chains the entry.
pub(crate) async fn audit(tx: &mut Tx, actor: &Actor, a: Audit<'_>, now: Timestamp) -> Result<()> {
    tx.insert_audit(
        NewAuditEntry {
            actor,
            impersonator: actor.impersonator,
            action: a.action,
            object_kind: a.kind,
            object_id: a.id,
            account_id: a.account,
            old_value: a.old,
            new_value: a.new,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The most entries one CSV export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

/// Filters as people and programs type them; `AuditService` validates them.
/// Empty strings count as absent.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub account_id: Option<i64>,
    /// `account`, `membership`, `user`, `api_token` or `quota_profile`.
    pub kind: Option<String>,
    pub object_id: Option<String>,
    /// The actor's e-mail address.
    pub actor: Option<String>,
    pub actor_id: Option<i64>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `YYYY-MM-DD` to the unix time of that day's midnight, UTC.
pub fn parse_date(field: &'static str, s: &str) -> std::result::Result<Timestamp, FieldError> {
    let bad = || FieldError::new(field, Rule::DateFormat);
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let num = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| p.parse::<i32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
        return Err(bad());
    };
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(y, month, day).map_err(|_| bad())?;
    Ok(date.midnight().assume_utc().unix_timestamp())
}

impl AuditQuery {
    /// Validates the query into a store filter (without the visibility
    /// limit), naming every bad field at once.
    pub fn validate(&self) -> Result<AuditFilter> {
        let mut f = Fields::default();
        let kind = non_empty(&self.kind).map(str::to_owned);
        if let Some(k) = &kind
            && !OBJECT_KINDS.contains(&k.as_str())
        {
            f.push(FieldError::new("kind", Rule::UnknownChoice));
        }
        let text = |f: &mut Fields, field: &'static str, v: Option<&str>, max: usize| {
            let v = v?;
            if v.chars().count() > max {
                f.push(FieldError::new(field, Rule::TooLong { max }));
                None
            } else if v.chars().any(char::is_control) {
                f.push(FieldError::new(field, Rule::ControlCharacter));
                None
            } else {
                Some(v.to_owned())
            }
        };
        let object_id = text(&mut f, "object_id", non_empty(&self.object_id), 100);
        let actor = text(&mut f, "actor", non_empty(&self.actor), 254);
        let from = non_empty(&self.from).and_then(|s| f.check(parse_date("from", s)));
        let to = non_empty(&self.to).and_then(|s| f.check(parse_date("to", s)));
        if let (Some(a), Some(b)) = (from, to)
            && b < a
        {
            f.push(FieldError::new("to", Rule::DateOrder));
        }
        f.finish()?;
        Ok(AuditFilter {
            visible_accounts: None,
            account: self.account_id.map(AccountId),
            object_kind: kind,
            object_id,
            actor_user_id: self.actor_id.map(UserId),
            actor_label: actor,
            from,
            // The end date is inclusive: up to its last second.
            to: to.map(|t| t.saturating_add(86_400)),
        })
    }
}

pub struct AuditService<'a> {
    pub(crate) app: &'a App,
}

impl AuditService<'_> {
    /// The accounts whose entries the actor may see: `None` for everything
    /// (admins), otherwise the live accounts they belong to.
    async fn visible(&self, tx: &mut Tx, actor: &Actor) -> Result<Option<Vec<AccountId>>> {
        match authorize(actor, Action::ViewAllAudit, Target::default()) {
            Ok(()) => return Ok(None),
            Err(Denied::Forbidden) => {}
            Err(d) => return Err(d.into()),
        }
        let mut ids = Vec::new();
        for m in &actor.memberships {
            let account = match tx.account(m.account_id).await {
                Ok(a) => a,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            let target = Target {
                account_locked: account.locked,
                account_deleted: account.is_deleted(),
            };
            if authorize(actor, Action::ViewAccountAudit(m.account_id), target).is_ok() {
                ids.push(m.account_id);
            }
        }
        Ok(Some(ids))
    }

    async fn filter(&self, tx: &mut Tx, actor: &Actor, q: &AuditQuery) -> Result<AuditFilter> {
        let visible = self.visible(tx, actor).await?;
        let mut filter = q.validate()?;
        if let (Some(account), Some(visible)) = (filter.account, &visible)
            && !visible.contains(&account)
        {
            // Another account's log does not exist for a member.
            return Err(AppError::NotFound);
        }
        filter.visible_accounts = visible;
        Ok(filter)
    }

    /// A page of the entries the actor may see, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        q: &AuditQuery,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let mut tx = self.app.store.read().await?;
        let filter = self.filter(&mut tx, actor, q).await?;
        Ok(tx.audit_page(&filter, page).await?)
    }

    /// Every entry the actor may see that matches (up to `EXPORT_LIMIT`),
    /// newest first, for a CSV export.
    pub async fn export(&self, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut tx = self.app.store.read().await?;
        let filter = self.filter(&mut tx, actor, q).await?;
        Ok(tx.audit_matching(&filter, EXPORT_LIMIT, 0).await?)
    }

    /// The newest entries of one account, for its page.
    pub async fn recent(
        &self,
        actor: &Actor,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let mut tx = self.app.store.read().await?;
        authorize_on_account(&mut tx, actor, Action::ViewAccountAudit(account), account).await?;
        Ok(tx.audit_entries(Some(account), limit).await?)
    }

    /// Walks the hash chain (the whole co-op's log: admins only).
    pub async fn verify(&self, actor: &Actor) -> Result<ChainReport> {
        authorize(actor, Action::ViewAllAudit, Target::default())?;
        let mut tx = self.app.store.read().await?;
        Ok(tx.verify_audit_chain().await?)
    }
}

/// Makes a cell safe to open in a spreadsheet: a value starting with `=`,
/// `+`, `-`, `@` (or a tab or carriage return) would be read as a formula,
/// so it gets a leading `'`. Then RFC 4180 quoting where needed.
pub fn csv_cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r'])
        || neutral.starts_with(' ')
        || neutral.ends_with(' ')
    {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// ISO 8601 in UTC, as the CSV and the API print times.
pub fn iso_time(ts: Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ts.to_string())
}

pub const CSV_HEADER: [&str; 15] = [
    "id",
    "time",
    "actor",
    "actor_user_id",
    "token_id",
    "impersonator_user_id",
    "source",
    "ip",
    "action",
    "object_kind",
    "object_id",
    "account_id",
    "old_value",
    "new_value",
    "hash",
];

/// The entries as CSV with a header row, lines ended by CRLF (RFC 4180).
pub fn csv(entries: &[AuditEntry]) -> String {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for e in entries {
        let cells = [
            e.id.to_string(),
            iso_time(e.at),
            e.actor_label.clone(),
            opt(e.actor_user_id),
            opt(e.token_id),
            opt(e.impersonator_user_id),
            e.source.clone(),
            e.ip.clone().unwrap_or_default(),
            e.action.clone(),
            e.object_kind.clone(),
            e.object_id.clone(),
            opt(e.account_id),
            e.old_value.clone().unwrap_or_default(),
            e.new_value.clone().unwrap_or_default(),
            e.hash.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_neutralised() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn dates_are_strict_and_ordered() {
        assert_eq!(parse_date("from", "1970-01-02"), Ok(86_400));
        for bad in [
            "2024-1-02",
            "2024-02-30",
            "02/03/2024",
            "2024-02-03T00:00",
            "",
            "+024-01-01",
        ] {
            assert!(parse_date("from", bad).is_err(), "{bad}");
        }
        let q = AuditQuery {
            from: Some("2024-03-02".into()),
            to: Some("2024-03-01".into()),
            kind: Some("nonsense".into()),
            ..Default::default()
        };
        match q.validate() {
            Err(AppError::Invalid(f)) => {
                let rules: Vec<_> = f.iter().map(|e| (e.field, e.rule.clone())).collect();
                assert!(rules.contains(&("to", Rule::DateOrder)));
                assert!(rules.contains(&("kind", Rule::UnknownChoice)));
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
        let ok = AuditQuery {
            from: Some("2024-03-01".into()),
            to: Some("2024-03-01".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.to.unwrap() - ok.from.unwrap(), 86_400);
    }

    #[test]
    fn csv_has_a_header_and_one_line_per_entry() {
        let e = AuditEntry {
            id: 1,
            at: 0,
            actor_user_id: Some(2),
            actor_label: "=cmd|' /C calc'!A0".into(),
            token_id: None,
            impersonator_user_id: None,
            source: "panel".into(),
            ip: None,
            action: "account_updated".into(),
            object_kind: "account".into(),
            object_id: "3".into(),
            account_id: Some(3),
            old_value: Some(r#"{"display_name":"a,b"}"#.into()),
            new_value: None,
            prev_hash: None,
            hash: Some("ab".into()),
        };
        let out = csv(&[e]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert!(lines[1].starts_with("1,1970-01-01T00:00:00Z,'=cmd|' /C calc'!A0,2,"));
        assert!(lines[1].contains(r#""{""display_name"":""a,b""}""#));
    }
}
