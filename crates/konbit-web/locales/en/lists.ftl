# Mailing lists.
rule-list-name-format = { $field }: use lowercase letters, digits, hyphens, underscores and dots, starting and ending with a letter or a digit.
rule-list-address-taken = { $field }: a mailing list of this domain already uses this address (lists also take their -bounces, -request, -owner, -join, -leave, -confirm, -subscribe and -unsubscribe addresses).
# The fields of a list, as the API's and the CLI's messages name them
# (`field-address` is mail's).
field-description = Description
field-subscription = Who may join
field-posting = Who may post
field-reply-to = Replies go to
field-reply-to-address = Reply address
field-munge-from = Rewrite the sender (DMARC)
field-archives = Archives
field-digest = Digest
field-language = Language of the list
error-list-not-ready = This list is still being set up on the list server. Try again in a minute.
error-service-unavailable = The list server does not answer right now. Nothing was changed; try again in a few minutes.
field-addresses = Addresses
