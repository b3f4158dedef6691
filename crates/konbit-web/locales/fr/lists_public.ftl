# La page publique d'une liste : s'abonner et se désabonner, avec confirmation par courriel.
lpub-title = Liste de diffusion { $list }
lpub-lead = Indiquez votre adresse courriel : nous y envoyons un lien pour confirmer.
lpub-moderated = Une personne modère cette liste et approuve chaque nouvel abonnement.
lpub-action-legend = Vous souhaitez
lpub-action-subscribe = Vous abonner à cette liste
lpub-action-unsubscribe = Quitter cette liste
lpub-choose-action = Choisissez de vous abonner ou de quitter la liste.
lpub-submit = M'envoyer le lien
lpub-sent = C'est fait : si cette demande peut aboutir, un lien part vers cette adresse. Ouvrez-le pour confirmer ; rien ne change d'ici là.
lpub-unavailable = L'abonnement par cette page n'est pas disponible sur ce serveur. Écrivez plutôt aux responsables de la liste.
lpub-unavailable-now = Le serveur de listes ne répond pas pour le moment. Rien n'a changé et votre lien fonctionne toujours : réessayez dans quelques minutes.
lpub-link-invalid = Ce lien ne fonctionne plus : il a déjà servi, il a expiré ou il n'est pas valide. Demandez-en un nouveau sur la page de la liste.
lpub-confirm-subscribe = Abonner { $address } à la liste { $list } ?
lpub-confirm-unsubscribe = Retirer { $address } de la liste { $list } ?
lpub-confirm-subscribe-button = Oui, abonnez-moi
lpub-confirm-unsubscribe-button = Oui, retirez-moi
lpub-done-subscribed = { $address } est abonnée à { $list }.
lpub-done-awaiting-approval = Votre adresse est confirmée. Une personne qui modère { $list } doit encore approuver l'abonnement de { $address } ; vous recevrez alors un courriel.
lpub-done-unsubscribed = { $address } ne reçoit plus { $list }.
lpub-back = Retour à la page de la liste
lpub-mail-subscribe-subject = Confirmez votre abonnement à { $list }
lpub-mail-subscribe-body = Bonjour,

    Quelqu'un (sans doute vous) a demandé l'abonnement de cette adresse à la liste de diffusion { $list }.
    Pour confirmer, ouvrez ce lien dans les { $hours } heures et appuyez sur le bouton :

    { $link }

    Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : rien ne change.
lpub-mail-unsubscribe-subject = Confirmez votre départ de { $list }
lpub-mail-unsubscribe-body = Bonjour,

    Quelqu'un (sans doute vous) a demandé de retirer cette adresse de la liste de diffusion { $list }.
    Pour confirmer, ouvrez ce lien dans les { $hours } heures et appuyez sur le bouton :

    { $link }

    Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : rien ne change.
