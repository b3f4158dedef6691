## Domains and DNS (issue 4)
zone-file-line = Line { $line }: { $message }
error-domain-taken = This domain, or a domain above or below it, is already hosted here by another account.
error-domain-is-alias = This domain is an alias: it serves the records of another domain. Change that domain's records instead.
error-domain-in-use = Other domains still depend on this one (its aliases): delete them first.

## Domains in the panel
nav-domains = Domains
domains-title = Domains
domains-lead = Each domain is a DNS zone served by the co-op's name servers. Point the domain at them at your registrar, then manage its records here.
domains-search = Find a domain
domains-any-account = All accounts
domains-live = Domains in service
domains-none = No domain yet. Add one below.
domains-none-match = No domain matches.
domains-deleted-heading = Deleted domains
domains-deleted-hint = A deleted domain is no longer served. It can be restored until the date shown; after that it is removed for good.
domain-column-name = Domain
domain-column-zone = Status
domain-column-purge = Removed for good on
domain-alias-of = alias of { $name }
domain-restore-named = Restore { $name }
dns-status-applied = Live
dns-status-pending = Pending
dns-status-failed = Failed
dnssec-on-short = On
dnssec-off-short = Off

## Adding a domain
domain-new-title = Add a domain
domain-new-lead = Konbit creates the zone with the co-op's name servers. You then tell your registrar to use them.
domain-new-no-account = You do not belong to any account, so you cannot add a domain.
domain-new-no-account-admin = There is no account yet: create one first, then add its domains.
domain-new-locked = Your account is locked: no domain can be added for now.
domain-choose-account = Choose an account
domain-field-name = Domain name
domain-hint-name = For example example.org or café.example: accented letters are fine.
field-alias-of = Alias of
domain-hint-alias-of = An alias serves exactly the records of another domain of the same account, for example example.com with the records of example.org.
domain-alias-none = None: it has its own records
domain-options = Options
domain-option-dnssec = Sign the zone with DNSSEC
domain-hint-dnssec = Recommended. You will then give a DS record to your registrar.
domain-option-mail = Receive e-mail at this domain
domain-hint-mail = Adds the co-op's MX, SPF and DMARC records. Not for an alias.
domain-create = Add the domain
field-dnssec = DNSSEC
flash-domain-created = The domain was added. Its zone goes live in a few moments.

## A domain's page
domain-zone-status = Zone: { $status }
domain-deleted = Deleted
dnssec-on-badge = DNSSEC
dnssec-is-on = DNSSEC is on.
dnssec-is-off = DNSSEC is off.
domain-has-mail = receives e-mail
domain-failed = The name servers could not apply the latest change of this zone. The co-op's admins have been told; here is the reason:
domain-deleted-notice = This domain is deleted and no longer served. It will be removed for good on { $date } unless it is restored.
domain-restore = Restore the domain
domain-alias-notice = This domain is an alias of { $name }: it serves the records of { $name }. Change them there.
domain-go-to = Go to { $name }
registrar-heading = At your registrar
registrar-nameservers = At the registrar where you bought the domain, set its name servers to these:
registrar-ds-heading = DS record (DNSSEC)
registrar-ds = Then give your registrar this DS record. Copy each value as it is.
registrar-ds-choice = There are two versions of the same record: if your registrar takes only one, give the first (digest type 2, SHA-256).
registrar-ds-none = The DS record will appear here as soon as the zone's key is ready.
ds-key-tag = Key tag
ds-algorithm = Algorithm
ds-digest-type = Digest type
ds-digest = Digest
ds-whole = The whole record
dnssec-on-hint = DNSSEC lets resolvers check that answers about this domain really come from its zone.
dnssec-turn-on = Turn DNSSEC on
dnssec-turn-off = Turn DNSSEC off
dnssec-off-warning = Before you turn DNSSEC off, remove the DS record at your registrar and wait two days. Otherwise the domain stops working for everyone whose resolver checks DNSSEC.
dnssec-off-confirm = The DS record is no longer at my registrar
dnssec-off-confirm-needed = Tick the box to confirm that the DS record is gone from your registrar.
flash-dnssec-on = DNSSEC is on. Give the DS record to your registrar.
flash-dnssec-off = DNSSEC is off.
domain-delete = Delete this domain
domain-delete-hint = Its zone is no longer served, so its web sites and e-mail stop working. Nothing is lost right away: it can be restored during the co-op's grace period.
domain-delete-confirm = Yes, delete { $name }
domain-delete-named = Delete { $name }
domain-delete-confirm-needed = Tick the box to confirm the deletion.
domain-delete-aliases-first = Other domains are aliases of this one: delete them first ({ $names }).
flash-domain-deleted = The domain was deleted. It can be restored during the grace period.
flash-domain-restored = The domain was restored.

## Records
records-heading = Records
records-caption = Records of { $name }
records-none = This zone has no records.
records-read-only-alias = These are the records of { $name }: change them on that domain's page.
records-read-only-deleted = The domain is deleted: restore it to change its records.
record-column-ttl = TTL
record-column-status = Status
record-edit = Edit
record-delete = Delete
record-which = { $name } ({ $type })
record-new-title = Add a record
record-create = Add the record
field-type = Type
field-ttl = TTL (seconds)
field-value = Value
record-hint-name = @ for the domain itself, www for www.<domain>, _sip._tcp for an SRV record, or a sub-domain to delegate with NS.
record-hint-ttl = How long resolvers may keep the answer, in seconds. Leave empty for the default, one hour.
record-hint-value = What it looks like depends on the type:
record-help-a = an IPv4 address:
record-help-aaaa = an IPv6 address:
record-help-cname = another name (not at @):
record-help-mx = a priority, then the mail server:
record-help-txt = any text, for example:
record-help-srv = priority, weight, port and server (name like _sip._tcp):
record-help-caa = flags, tag and value:
record-help-ns = a name server, to delegate a sub-domain:
record-edit-title = Edit the record { $name } ({ $type })
record-current = Current record
record-delete-heading = Delete this record
record-delete-named = Delete { $name } ({ $type })
flash-record-added = The record was added. It goes live in a few moments.
flash-record-updated = The record was saved. The change goes live in a few moments.
flash-record-deleted = The record was deleted.

## Zone files
zonefile-heading = Zone file
zonefile-hint = Download the zone as a BIND zone file, or replace its records with those of a zone file from your previous host.
zonefile-hint-export = Download the zone as a BIND zone file.
zonefile-export = Download the zone file
zonefile-import = Import a zone file
field-zone = Zone file
import-title = Import a zone file into { $name }
import-lead = The zone's records become those of the file: records that are not in it are removed. Konbit keeps its own SOA and name servers. Nothing changes until you confirm.
import-file-heading = The file
import-change-file = Change the file
import-hint = Paste the zone file (BIND format). Names without a final dot are relative to the domain.
import-preview = Preview the changes
import-failed = The file has errors. Nothing was changed.
import-see-lines = See the lines to correct
import-preview-heading = What the import will change
import-no-change = The zone already has exactly these records: nothing to change.
import-added = { $count ->
    [one] One record added
   *[other] { $count } records added
}
import-removed = { $count ->
    [one] One record removed
   *[other] { $count } records removed
}
import-unchanged = { $count ->
    [0] No record stays unchanged.
    [one] One record stays unchanged.
   *[other] { $count } records stay unchanged.
}
import-ignored = { $count ->
    [one] One line skipped
   *[other] { $count } lines skipped
}
import-ignored-hint = Konbit writes these itself: the SOA, the name servers of the domain and the DNSSEC records.
import-ignored-line = Line { $line }: { $type }
import-removes-warning = Records that are not in the file will be removed.
import-apply = Apply these changes
flash-zone-imported = The zone file was imported. The changes go live in a few moments.
flash-zone-import-unchanged = The zone already had these records: nothing changed.
rule-too-many = { $field }: at most { $max } are allowed.
import-upload-label = Zone file to upload (optional)
import-upload-hint = Choose a file, or paste the zone below. A chosen file is used instead of the text.
