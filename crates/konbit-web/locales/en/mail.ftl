## Hosted mail: addresses, aliases, automatic replies
field-local-part = Address (before the @)
field-address = Address
field-source = Alias address
field-destination = Destination
field-destinations = Destinations
field-subject = Subject
field-body = Message
field-start-date = First day
field-end-date = Last day
rule-local-part-format = { $field }: use lowercase letters, digits and the characters . _ - + only, with no dot at the start or the end and no two dots in a row.
rule-mail-routing-character = { $field }: the characters % and ! are not allowed in an address, because mail servers may read them as routing instructions.
rule-alias-is-mailbox = { $field }: a mailbox already has this address. To send its mail elsewhere, set up forwarding in the mailbox's settings.
rule-duplicate-alias = { $field }: an alias for this address already exists.
rule-duplicate-destination = { $field }: the same destination appears more than once.
rule-forward-to-self = { $field }: an alias cannot forward to its own address.
rule-alias-loop = { $field }: these aliases forward to each other in a loop, so the mail would never arrive. Send it to a mailbox or an outside address instead.
error-mail-in-use = This domain still has mailboxes or aliases: delete them before turning mail off.

## Mail in the panel (issue 5)
nav-mail = Mail
mail-title = Mail
mail-lead = The mailboxes and aliases of your domains. A mailbox keeps mail for someone to read in their mail program; an alias sends mail on to other addresses.
mail-no-domain = None of your domains receives mail yet. Turn mail on from a domain's page first.
mail-go-to-domains = Go to the domains
mail-filter-domain = Domain
mail-any-domain = All domains
mail-filter-deleted = Show the deleted mailboxes
mail-filter-show = Show
mail-column-status = Status
mail-column-storage = Storage
mail-column-state = In use
mail-new-locked = Your account is locked: no mailbox or alias can be added for now.
field-domain = Domain
field-alias-domain = Domain of the alias
field-quota-mb = Storage (MB)
field-password-confirm = Password, again
field-enabled = In use
field-mail = Mail
mail-label-local-part = Name, before the @
mailbox-storage-used = Used
mail-password-confirm-differs = { $field }: the two passwords differ; type the same one twice.

## Mailboxes
mailboxes-heading = Mailboxes
mailboxes-deleted-heading = Deleted mailboxes
mailboxes-deleted-hint = A deleted mailbox no longer receives mail, but its mail is kept. It can be restored until the date shown; after that it is removed for good.
mailboxes-none = No mailbox yet. Add one below.
mailboxes-none-here = This domain has no mailbox yet.
mailboxes-none-deleted = No deleted mailbox.
mailbox-enabled-short = Yes
mailbox-disabled-short = Turned off
mailbox-restore-named = Restore { $address }
mailbox-storage-of = Storage used by { $address }
mailbox-new-title = Add a mailbox
mailbox-new-lead = Choose its address and a first password, then give both to the person who will read it.
mailbox-hint-local-part = Lowercase letters, digits and . _ - + only, for example info or ada.lovelace.
mailbox-hint-password = At least 12 characters. A sentence is easier to remember.
mailbox-hint-quota = How much mail it may keep. Leave empty for { $size } (less if the account has less left).
mailbox-create = Add the mailbox
flash-mailbox-created = The mailbox was added. It works in a few moments.

## A mailbox's page
mailbox-deleted = Deleted
mailbox-deleted-notice = This mailbox is deleted: it no longer receives mail. Its mail is kept until { $date }, unless it is restored before.
mailbox-restore = Restore the mailbox
mailbox-storage-heading = Storage
mailbox-measured-at = Measured on { $date }.
mailbox-not-measured = Not measured yet: the figure appears once the mail server has counted.
mailbox-quota-heading = Change its storage
mailbox-hint-quota-change = In MB (1024 MB is 1 GB). More storage counts against the account's quota.
mailbox-quota-save = Save the storage
mailbox-password-heading = Set a new password
mailbox-password-lead = For when its user forgot theirs. Its user can also change it alone, knowing the current one.
mailbox-password-set = Set the password
mailbox-state-heading = In use
mailbox-is-enabled = This mailbox receives mail, and its user can sign in.
mailbox-is-disabled = This mailbox is turned off: its mail is refused and its user cannot sign in. Nothing is deleted.
mailbox-disable-hint = Turning it off refuses its mail and its user's sign-in, and keeps everything.
mailbox-disable = Turn the mailbox off
mailbox-enable = Turn the mailbox on
mailbox-delete = Delete this mailbox
mailbox-delete-hint = It stops receiving mail at once. Its mail is kept, and the mailbox can be restored, until { $date }.
mailbox-delete-confirm = Yes, delete { $address }
mailbox-delete-named = Delete { $address }
mailbox-delete-confirm-needed = Tick the box to confirm the deletion.
flash-mailbox-password-set = The password was changed. It works in a few moments.
flash-mailbox-quota-saved = The storage was saved.
flash-mailbox-enabled = The mailbox is on.
flash-mailbox-disabled = The mailbox is off: its mail is refused.
flash-mailbox-deleted = The mailbox was deleted. It can be restored during the grace period.
flash-mailbox-restored = The mailbox was restored.

## Automatic reply
autoreply-heading = Automatic reply
autoreply-lead = While it is on, everyone who writes to this address gets this answer (once every few days per sender).
autoreply-enabled = Send the automatic reply
autoreply-hint-subject = Leave empty for "Auto:" and the subject of the mail received.
autoreply-hint-start = Leave empty to start now.
autoreply-hint-end = Leave empty to keep it until you turn it off. This day is included.
autoreply-save = Save the automatic reply
flash-autoreply-on = The automatic reply is on.
flash-autoreply-off = The automatic reply is off.

## Aliases
aliases-heading = Aliases
aliases-none = No alias yet. Add one below.
aliases-none-here = This domain has no alias yet.
alias-catch-all = every other address
alias-new-title = Add an alias
alias-new-lead = Mail sent to the alias goes to each destination: a mailbox here or any address elsewhere.
alias-catch-all-option = Every address of the domain that is neither a mailbox nor another alias (catch-all)
alias-hint-catch-all = Then leave the name above empty. Catch-alls also receive a lot of spam.
alias-hint-destinations = One address per line.
alias-create = Add the alias
alias-title = The alias { $source }
alias-is-alias = An alias: its mail goes to the destinations below.
alias-is-catch-all = The catch-all: mail for every other address of the domain goes to the destinations below.
alias-destinations-label = Where its mail goes
alias-delete-heading = Delete this alias
alias-delete-hint = Mail sent to it is refused at once.
alias-delete-named = Delete { $source }
flash-alias-created = The alias was added. It works in a few moments.
flash-alias-saved = The destinations were saved.
flash-alias-deleted = The alias was deleted.

## A domain's mail, on its page
domain-mail-heading = Mail
domain-mail-is-on = This domain receives mail.
domain-mail-is-off = This domain does not receive mail here.
domain-mail-on-hint = Turning mail on adds the co-op's MX, SPF, DMARC and DKIM records to the zone; then add mailboxes and aliases.
domain-mail-alias = This domain is an alias of { $name }: its mail goes to the mailboxes and aliases of { $name }.
domain-mail-failed = The mail servers could not apply the latest change. The co-op's admins have been told; here is the reason:
domain-mail-mailboxes = Mailboxes and aliases of { $name }
domain-mail-turn-on = Turn mail on
domain-mail-off-heading = Turn mail off
domain-mail-off-hint = Delete the domain's mailboxes and aliases first. Turning mail off removes the mail records from the zone.
domain-mail-turn-off = Turn mail off
flash-mail-on = Mail is on. Its records go live in a few moments.
flash-mail-off = Mail is off.
dkim-heading = DKIM keys
dkim-lead = Receivers check mail sent from this domain with these keys. They are in the zone already: copy them only if the domain's DNS is served elsewhere.
dkim-selector = Selector
dkim-name = Name
dkim-created = Made on
dkim-signing = signs new mail
dkim-previous = previous key, still published
dkim-rotate-hint = A new key signs new mail from now on; the previous one stays published for mail already sent.
dkim-rotate = Make a new key
flash-dkim-rotated = A new DKIM key signs new mail from now on.

## What a mail program needs
mail-client-heading = Settings for mail programs
mail-client-lead = Most mail programs find these by themselves from the address. If one asks:
mail-client-unset = The co-op has not set its mail servers here yet: ask its admins.
mail-client-incoming = Incoming mail
mail-client-outgoing = Outgoing mail
mail-client-imap = IMAP
mail-client-smtp = SMTP
mail-client-port = port { $port }
mail-client-ssl = SSL/TLS
mail-client-starttls = STARTTLS
mail-client-username = User name
mail-client-username-is = the whole address, with the mailbox's password

## A mailbox's own password, without a Konbit sign-in
mail-own-password-title = Change a mailbox password
mail-own-password-lead = For the person who reads a mailbox: choose a new password by giving the current one. No Konbit account needed.
mail-own-password-address = Mailbox address
mail-own-password-submit = Change the password
mail-own-password-wrong = The address or the current password is wrong.
mail-own-password-link = Change a mailbox password
mail-own-password-tell = Its user can change the password alone:
flash-mailbox-own-password-changed = The password was changed. Use the new one in your mail program from now on.
