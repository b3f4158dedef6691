# The public page of a list: subscribe and unsubscribe, with confirmation by e-mail.
