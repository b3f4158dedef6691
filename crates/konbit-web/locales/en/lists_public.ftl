# The public page of a list: subscribe and unsubscribe, with confirmation by e-mail.
lpub-title = Mailing list { $list }
lpub-lead = Give your e-mail address: we send you a link there to confirm.
lpub-moderated = A moderator approves each new subscriber.
lpub-action-legend = You want to
lpub-action-subscribe = Subscribe to this list
lpub-action-unsubscribe = Leave this list
lpub-choose-action = Choose whether to subscribe or to leave the list.
lpub-submit = Send me the link
lpub-sent = Done: if this request can be carried out, a link is on its way to this address. Open it to confirm; nothing changes until then.
lpub-unavailable = Subscribing through this page is not available on this server. Write to the list's owners instead.
lpub-unavailable-now = The list server does not answer right now. Nothing was changed and your link still works: try again in a few minutes.
lpub-link-invalid = This link no longer works: it was already used, it has expired, or it is not valid. Ask for a new one on the list's page.
lpub-confirm-subscribe = Subscribe { $address } to the list { $list }?
lpub-confirm-unsubscribe = Take { $address } off the list { $list }?
lpub-confirm-subscribe-button = Yes, subscribe me
lpub-confirm-unsubscribe-button = Yes, take me off
lpub-done-subscribed = { $address } is subscribed to { $list }.
lpub-done-awaiting-approval = Your address is confirmed. A moderator of { $list } still has to approve the subscription of { $address }; you will get an e-mail then.
lpub-done-unsubscribed = { $address } no longer receives { $list }.
lpub-back = Back to the list's page
lpub-mail-subscribe-subject = Confirm your subscription to { $list }
lpub-mail-subscribe-body = Hello,

    Someone (probably you) asked to subscribe this address to the mailing list { $list }.
    To confirm, open this link within { $hours } hours and press the button:

    { $link }

    The link works once. If you did not ask for it, ignore this message: nothing changes.
lpub-mail-unsubscribe-subject = Confirm you are leaving { $list }
lpub-mail-unsubscribe-body = Hello,

    Someone (probably you) asked to take this address off the mailing list { $list }.
    To confirm, open this link within { $hours } hours and press the button:

    { $link }

    The link works once. If you did not ask for it, ignore this message: nothing changes.
