# Konbit panel: English messages. Every id here must also exist in fr/main.ftl.

## Layout
skip-to-content = Skip to content
nav-label = Main menu
nav-dashboard = Dashboard
nav-accounts = Accounts
nav-profiles = Quota profiles
nav-tokens = API tokens
nav-settings = Settings
role-admin = admin
switch-language = Français
sign-out = Sign out
sign-out-everywhere = Sign out on every device
footer = Konbit, hosting run together. Free software under the AGPL.
optional = (optional)
form-has-errors = Please correct the following:
save = Save
cancel = Cancel
search = Search
actions = Actions
created-at = Created

## Sign-in
login-title = Sign in
login-lead = Sign in to manage your group's hosting.
login-submit = Sign in

## Confirmations
flash-signed-out = You are signed out.
flash-signed-out-everywhere = You are signed out on every device.
flash-account-created = The account was created.
flash-account-updated = The account was saved.
flash-account-locked = The account is locked.
flash-account-unlocked = The account is unlocked.
flash-account-deleted = The account was deleted. It can be restored during the grace period.
flash-account-restored = The account was restored.
flash-person-added = The person was added to the account.
flash-role-changed = The role was changed.
flash-person-removed = The person was removed from the account.
flash-profile-created = The quota profile was created.
flash-profile-saved = The quota profile was saved.
flash-profile-deleted = The quota profile was deleted.
flash-token-revoked = The token was revoked. It no longer works.
flash-settings-saved = Your settings were saved.
flash-password-changed = Your password was changed. Your other sessions were signed out.

## Dashboard
dashboard-title = Dashboard
dashboard-welcome = Welcome, { $name }.
dashboard-coop = The co-op
dashboard-active-accounts = active accounts
dashboard-locked-accounts = locked
dashboard-deleted-accounts = deleted, restorable
dashboard-people = people
dashboard-all-accounts = All accounts
dashboard-my-accounts = My accounts
dashboard-recent-accounts = Newest accounts
dashboard-no-account = You do not belong to any account yet. Ask your co-op to add you.

## Quotas
quota-heading = Quota
quota-usage = { $used } of { $limit }
unit-gb = { $n } GB
unit-mb = { $n } MB
unit-mb-short = MB
resource-domains = Domains
resource-mailboxes = Mailboxes
resource-mail-storage-mb = Mail storage
resource-aliases = Mail aliases
resource-mailing-lists = Mailing lists
resource-sites = Websites
resource-sftp-accounts = SFTP accounts
resource-databases = Databases
resource-disk-mb = Web disk space

## Accounts
accounts-title = Accounts
accounts-search = Find an account
accounts-show-deleted = Show deleted accounts
accounts-none = No account matches.
account-state = State
account-active = Active
account-locked = Locked
account-deleted = Deleted
pager-label = Pages
pager-previous = ← Previous
pager-next = Next →
pager-position = Page { $page } of { $pages }
account-new-title = New account
account-new-lead = An account is a member group: a community radio, a tenants' union, a small non-profit. Its people manage its hosting within its quota profile.
account-new-group = The group
account-new-owner = Its first owner
account-new-owner-hint = Optional. Give the e-mail address of the person who will run the account. If they are new here, also give their name and a first password that they can change.
account-create = Create the account
status-help = Whether the live services have caught up with this change
status-pending = Being applied
status-applied = Live
status-failed = Failed
account-locked-notice = This account is locked. Its people can look but not change anything.
account-deleted-notice = This account is deleted. It will be removed for good on { $date } unless it is restored.
account-restore = Restore the account
people-heading = People
people-none = Nobody belongs to this account yet.
role-owner = Owner
role-member = Member
people-role-of = Role of { $name }
people-change-role = Change
people-remove = Remove { $name }
people-add = Add a person
people-add-hint = Someone who already has a Konbit sign-in only needs their e-mail address.
account-admin-heading = Co-op administration
account-edit = Edit
account-lock = Lock
account-lock-hint = Shown to the account's people, for example "dues unpaid".
account-unlock = Unlock
account-unlock-hint = Its people will be able to make changes again.
account-delete = Delete
account-delete-hint = Nothing is lost right away: the account can be restored for 30 days.
account-delete-confirm = Yes, delete { $name }
account-delete-confirm-needed = Tick the box to confirm the deletion.
activity-heading = Recent activity
activity-none = Nothing yet.
source-panel = panel
source-api = API
source-cli = command line
source-system = Konbit

## Audit actions
audit-account-created = Account created
audit-account-updated = Account edited
audit-account-locked = Account locked
audit-account-unlocked = Account unlocked
audit-account-deleted = Account deleted
audit-account-restored = Account restored
audit-account-purged = Account removed for good
audit-membership-added = Person added
audit-membership-changed = Role changed
audit-membership-removed = Person removed
audit-user-created = Person created
audit-user-updated = Person edited
audit-user-deleted = Person deleted
audit-password-changed = Password changed
audit-sign-in = Signed in
audit-sign-in-failed = Failed sign-in
audit-sign-out-everywhere = Signed out everywhere
audit-token-created = API token created
audit-token-revoked = API token revoked
audit-quota-profile-created = Quota profile created
audit-quota-profile-updated = Quota profile edited
audit-quota-profile-deleted = Quota profile deleted

## Quota profiles
profiles-title = Quota profiles
profiles-lead = A quota profile sets what an account may use. Changing a profile changes it for every account that has it.
profiles-none = There is no quota profile yet.
profiles-accounts = Accounts
profile-new-title = New quota profile
profile-edit-title = Edit the quota profile
profile-limits = Limits
profile-delete = Delete this profile
profile-in-use = { $count ->
    [one] One account uses this profile; give it another profile first.
   *[other] { $count } accounts use this profile; give them another profile first.
}

## API tokens
tokens-title = API tokens
tokens-lead = A token lets a script use the Konbit API in your name, limited to the parts of the panel you choose.
token-created = Your new token
token-secret-once = Copy it now: it is shown only this once. Konbit keeps only a fingerprint of it.
token-secret = Token
tokens-existing = Your tokens
tokens-none = You have no token.
token-prefix = Starts with
token-expires = Expires
token-last-used = Last used
token-never = Never
token-never-used = Not used yet
token-revoke = Revoke { $name }
token-new = New token
token-create = Create the token
area-accounts = Accounts
area-users = People
area-quota-profiles = Quota profiles
area-tokens = API tokens
area-audit = Audit log
area-domains = Domains and DNS
area-mail = Mail
area-sites = Websites
area-sftp = SFTP accounts
area-databases = Databases
area-lists = Mailing lists
access-read = read
access-write = read and change

## Settings
settings-title = Settings
settings-profile = Profile
locale-browser = The browser's language
settings-password = Password
settings-change-password = Change the password
settings-sessions = Sessions
settings-sessions-hint = Lost a phone or used a shared computer? Sign out everywhere, this device included.
password-mismatch = The two new passwords differ.
password-current-wrong = The current password is not right.

## Form fields
field-email = E-mail address
field-password = Password
field-name = Name
field-display-name = Full name
field-quota-profile-id = Quota profile
field-owner-email = Owner's e-mail address
field-owner-display-name = Owner's full name
field-owner-password = Owner's first password
field-role = Role
field-reason = Reason
field-scopes = Scopes
field-expires-in-days = Expires after (days)
field-locale = Language
field-current-password = Current password
field-new-password = New password
field-confirm-password = New password, again
field-domains = Domains
field-mailboxes = Mailboxes
field-mail-storage-mb = Mail storage
field-aliases = Mail aliases
field-mailing-lists = Mailing lists
field-sites = Websites
field-sftp-accounts = SFTP accounts
field-databases = Databases
field-disk-mb = Web disk space
hint-owner-password = At least 12 characters. Only for a new person.
hint-password = At least 12 characters. Only for someone new to Konbit.
hint-new-password = At least 12 characters. A sentence is easier to remember.
hint-expires-in-days = Leave empty for a token that does not expire.

## Validation rules
rule-required = { $field }: this is required.
rule-too-short = { $field }: use at least { $min } characters.
rule-too-long = { $field }: use at most { $max } characters.
rule-control-character = { $field }: line breaks and control characters are not allowed.
rule-slug-format = { $field }: use lowercase letters, digits and single hyphens, starting with a letter.
rule-reserved = { $field }: this name is reserved; choose another.
rule-email-format = { $field }: this is not a valid e-mail address.
rule-hostname-format = { $field }: this is not a valid domain name.
rule-out-of-range = { $field }: give a whole number from { $min } to { $max }.
rule-unknown-choice = { $field }: this choice is not valid.

## Errors
error-invalid-input = Some information is not valid.
error-unauthenticated = Please sign in.
error-invalid-credentials = The e-mail address or the password is wrong.
error-forbidden = You are not allowed to do this.
error-insufficient-scope = This token's scopes do not allow this.
error-not-found = This page or object does not exist, or you cannot see it.
error-method-not-allowed = This address does not accept this kind of request.
error-conflict = This conflicts with the current state; reload the page and try again.
error-duplicate = This already exists.
error-duplicate-field = { $field }: this is already taken.
error-account-locked = This account is locked: changes are paused.
error-quota-exceeded = This would go over the account's quota.
error-quota-exceeded-detail = { $resource }: the quota allows { $limit }, and this would go past it.
error-last-owner = An account needs at least one owner (and the co-op at least one admin).
error-profile-in-use = Accounts still use this quota profile.
error-csrf-rejected = This form expired or came from another site. Go back, reload the page and try again.
error-payload-too-large = What you sent is too large.
error-malformed-body = What you sent could not be read.
error-unsupported-media-type = This kind of content is not accepted here.
error-internal = Something went wrong on our side. It was logged; please try again later.
error-back-home = Back to the dashboard
error-title-400 = Unreadable request
error-title-401 = Sign-in needed
error-title-403 = Not allowed
error-title-404 = Not found
error-title-405 = Method not allowed
error-title-409 = Conflict
error-title-413 = Too large
error-title-415 = Wrong content type
error-title-422 = Invalid information
error-title-423 = Account locked
error-title-500 = Internal error

## Audit log
nav-audit = Audit log
audit-title = Audit log
audit-intro = Every change made to your accounts, by whom, when and from where. Times are in UTC.
audit-filter = Filter
audit-any-account = All accounts
audit-any-kind = Everything
audit-apply = Show
audit-reset = Clear the filters
audit-entries = Entries
audit-total = { $count ->
    [0] No entries
    [one] One entry
   *[other] { $count } entries
}
audit-none = No entry matches.
audit-export-csv = Download as CSV (spreadsheet)
audit-see-all = See the whole audit log of this account
audit-by = by { $actor } ({ $source })
audit-from-ip = address { $ip }
audit-empty = (empty)
audit-became = became
audit-field-label = { $field }:
audit-value-yes = yes
audit-value-no = no
audit-sign-out = Signed out
audit-kind-account = Account
audit-kind-membership = Membership
audit-kind-user = Person
audit-kind-api-token = API token
audit-kind-quota-profile = Quota profile
audit-field-name = Name
audit-field-display-name = Full name
audit-field-quota-profile-name = Quota profile
audit-field-locked = Locked
audit-field-lock-reason = Reason for the lock
audit-field-deleted-at = Deleted on
audit-field-purge-after = Removed for good after
audit-field-role = Role
audit-field-user-id = Person (number)
audit-field-email = E-mail address
audit-field-is-admin = Operator admin
audit-field-locale = Language
audit-field-memberships = Accounts
audit-field-password = Password
audit-field-scopes = Scopes
audit-field-expires-at = Expires on
audit-field-last-used-at = Last used on
audit-field-prefix = Token start
audit-field-sessions-ended = Sessions ended
audit-field-account-count = Accounts using it
audit-field-limits-domains = Domains
audit-field-limits-mailboxes = Mailboxes
audit-field-limits-mail-storage-mb = Mail storage (MB)
audit-field-limits-aliases = Mail aliases
audit-field-limits-mailing-lists = Mailing lists
audit-field-limits-sites = Websites
audit-field-limits-sftp-accounts = SFTP accounts
audit-field-limits-databases = Databases
audit-field-limits-disk-mb = Web disk space (MB)
field-account-id = Account
field-kind = Kind of object
field-object-id = Object number
field-actor = Made by (e-mail address)
field-from = From (date)
field-to = To (date, included)
hint-from = Written year-month-day, for example 2025-01-31.
hint-to = Written year-month-day, for example 2025-01-31.
rule-date-format = { $field }: write the date as year-month-day, for example 2025-01-31.
rule-date-order = { $field }: this date comes before the start date.

## Account security: two-factor, rate limits, password reset, sessions (issue 3)
rate-limited-seconds = Too many attempts. Try again in { $seconds } seconds.
rate-limited-minutes = Too many attempts. Try again in { $minutes } minutes.
error-rate-limited = Too many attempts. Wait a moment and try again.
error-two-factor-required = Your co-op requires two-step verification for this: sign in again with your code first.
error-invalid-code = This code is wrong or was already used.
error-invalid-link = This link is no longer valid.
error-title-410 = Link no longer valid
error-title-429 = Too many attempts
two-factor-code-empty = Type the code from your app, or a recovery code.
two-factor-code-too-long = This code is far too long: a code has 6 digits, a recovery code 16 characters.
two-factor-code-length = A code from the app has exactly 6 digits.
two-factor-code-digits = A code from the app has digits only (a recovery code has 16 letters and digits).
two-factor-code-wrong = This code is wrong or was already used. Wait for the next code and try again.
two-factor-login-title = Two-step verification
two-factor-login-lead = Type the 6-digit code your authenticator app shows, or one of your recovery codes.
field-code = Code
two-factor-login-submit = Verify
two-factor-cancel = Cancel and sign out
two-factor-title = Two-step verification
two-factor-lead = Besides your password, a code from an app on your phone (such as Aegis, FreeOTP or Google Authenticator) protects your account.
two-factor-required-notice = Your co-op requires two-step verification. Set it up to continue.
two-factor-enabled-now = Two-step verification is on
two-factor-recovery-once = Keep these recovery codes somewhere safe. Each one works once if you lose your phone. They are shown only now.
two-factor-continue = Continue
two-factor-on = Two-step verification is on.
two-factor-off = Two-step verification is off.
two-factor-recovery-left = { $count ->
    [one] One unused recovery code left.
   *[other] { $count } unused recovery codes left.
}
field-proof = Current code or password
hint-proof = A code from your app, a recovery code, or your password.
two-factor-disable = Turn off two-step verification
two-factor-cannot-disable = Your co-op requires two-step verification, so it cannot be turned off.
two-factor-proof-wrong = This code or password is wrong.
two-factor-enrol-heading = Set up your app
two-factor-enrol-scan = Scan this QR code with your authenticator app.
two-factor-qr-caption = QR code of your secret key (the same key is written below).
two-factor-enrol-type = Or type this key into the app:
two-factor-secret = Secret key
two-factor-enrol-confirm = Code shown by the app
two-factor-enable = Turn on
two-factor-start = Set up two-step verification
two-factor-manage = Manage two-step verification
flash-two-factor-disabled = Two-step verification is off.
flash-session-ended = The session was ended.
flash-password-reset-done = Your password was changed. Sign in with it.
login-forgot = Forgot your password?
reset-title = Reset your password
reset-lead = Give your e-mail address: we send you a link to choose a new password.
reset-sent = If this address belongs to someone here, a link is on its way. Check your inbox.
reset-submit = Send the link
reset-back = Back to sign-in
reset-new-title = Choose a new password
reset-link-invalid = This link no longer works: it was already used, it has expired, or it is not valid. Ask for a new one.
reset-again = Ask for a new link
reset-set = Set the password
reset-mail-subject = Konbit: reset your password
reset-mail-body = Hello,

    Someone (probably you) asked to reset the password of your Konbit account.
    To choose a new password, open this link within { $minutes } minutes:

    { $link }

    The link works once. If you did not ask for it, ignore this message: your password does not change.
session-device = Device
session-ip = IP address
session-created = Signed in
session-last-seen = Last seen
session-current = this one
session-pending = not verified
session-end = End
dashboard-incomplete-sign-ins = { $count ->
    [one] Someone typed your password correctly but did not finish two-step verification. If it was not you, change your password.
   *[other] { $count } sign-ins used your password correctly but did not finish two-step verification. If it was not you, change your password.
}

## Tokens limited to one account
hint-account-id = A token limited to one account cannot reach any other, nor the co-op's settings.
token-all-accounts = Every account I can reach
token-limited-to = Only { $name }

## Acting as someone (impersonation)
impersonation-start = Act as { $name }
impersonation-banner = { $admin }, you are acting as { $name } to help them. Everything you do is recorded under both your names.
impersonation-end = Stop acting as them
impersonation-helped-by = An admin of the co-op ({ $names }) is acting in your account right now to help you. It is recorded in your account's log.
flash-impersonation-started = You now act as this person. End it from the banner when you are done.
flash-impersonation-ended = You are yourself again.
audit-impersonation-started = An admin started acting as this person
audit-impersonation-ended = An admin stopped acting as this person

## DNS records and zone files: validation rules
rule-dns-name = { $field }: use letters, digits, hyphens and underscores, with dots between the parts; a * may only stand alone as the first part.
rule-dns-label-too-long = { $field }: each part between dots can have at most { $max } characters.
rule-unsafe-character = { $field }: spaces, quotes, semicolons, backslashes and parentheses are not allowed here.
rule-name-outside-zone = { $field }: this name is not in this domain. Write it relative to the domain (www), or in full, ending with the domain's name.
rule-zone-name-twice = { $field }: the domain's name appears twice; write only the part before it (www rather than www.example.org.example.org).
rule-unsupported-type = { $field }: Konbit does not serve { $rtype } records. The types available are A, AAAA, CNAME, MX, TXT, SRV, CAA and NS.
rule-ipv4-format = { $field }: this is not a valid IPv4 address (for example 192.0.2.1).
rule-ipv6-format = { $field }: this is not a valid IPv6 address (for example 2001:db8::1).
rule-ipv6-needs-aaaa = { $field }: this is an IPv6 address; add it as an AAAA record.
rule-ipv4-needs-a = { $field }: this is an IPv4 address; add it as an A record.
rule-target-format = { $field }: give a full host name, such as mail.example.org, or @ for the domain itself.
rule-target-is-ip = { $field }: give a host name here, not an IP address. Add an A or AAAA record for that host, then give its name.
rule-null-target-not-allowed = { $field }: a lone dot (no host) is only allowed for an MX record of preference 0 and for an SRV record.
rule-mx-format = { $field }: write a preference and a mail server, for example 10 mail.example.org.
rule-srv-format = { $field }: write the priority, weight, port and target, for example 10 5 5060 sip.example.org.
rule-srv-name = { $field }: the name of an SRV record starts with the service and the protocol, for example _sip._tcp.
rule-caa-format = { $field }: write the flags, tag and value, for example 0 issue "letsencrypt.org".
rule-caa-flags = { $field }: CAA flags are 0, or 128 for a critical tag.
rule-caa-tag = { $field }: the CAA tag is issue, issuewild or iodef (or another tag of up to 15 letters and digits).
rule-caa-value = { $field }: the CAA value uses plain ASCII characters, with no quotes or backslashes inside; for iodef, a mailto: or https: address.
rule-txt-format = { $field }: the text starts with a quote, so it is read as quoted strings, and they are not well formed. Close every quote, or remove the quotes.
rule-cname-at-apex = { $field }: the domain itself (@) cannot have a CNAME record; use A and AAAA records, or put the CNAME on a subdomain.
rule-cname-not-alone = { $field }: a name with a CNAME record cannot have any other record, not even a second CNAME.
rule-apex-needs-ns = { $field }: the domain must keep at least one NS record of its own (@).
rule-below-delegation = { $field }: this name is delegated to other name servers by an NS record; only NS records may be at that name, and only A or AAAA records (glue) below it.
rule-duplicate-record = { $field }: the same record already exists.
rule-null-target-not-alone = { $field }: a record whose target is a lone dot says there is no such service here, so it must be the only one of its type at this name.
rule-zone-file-syntax = { $field }: this line cannot be read as a zone-file record.
rule-zone-file-directive = { $field }: only the $ORIGIN and $TTL directives are supported.
rule-zone-file-too-large = { $field }: the zone file is too large; it may hold at most 1 MiB and 10,000 records.
