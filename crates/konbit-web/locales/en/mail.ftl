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
