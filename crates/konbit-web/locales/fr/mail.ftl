## Hosted mail: addresses, aliases, automatic replies
field-local-part = Adresse (avant le @)
field-address = Adresse
field-source = Adresse de l'alias
field-destination = Destinataire
field-destinations = Destinataires
field-subject = Objet
field-body = Message
field-start-date = Premier jour
field-end-date = Dernier jour
rule-local-part-format = { $field } : utilisez seulement des lettres minuscules, des chiffres et les caractères . _ - +, sans point au début ni à la fin, ni deux points de suite.
rule-mail-routing-character = { $field } : les caractères % et ! ne sont pas permis dans une adresse, car les serveurs de courriel peuvent les lire comme des instructions d'acheminement.
rule-alias-is-mailbox = { $field } : une boîte aux lettres a déjà cette adresse. Pour envoyer son courriel ailleurs, activez le transfert dans les réglages de la boîte.
rule-duplicate-alias = { $field } : un alias existe déjà pour cette adresse.
rule-duplicate-destination = { $field } : le même destinataire figure plusieurs fois.
rule-forward-to-self = { $field } : un alias ne peut pas renvoyer vers sa propre adresse.
rule-alias-loop = { $field } : ces alias se renvoient le courriel en boucle, il n'arriverait jamais. Envoyez-le plutôt vers une boîte aux lettres ou une adresse extérieure.
error-mail-in-use = Ce domaine a encore des boîtes ou des alias : supprimez-les avant de couper le courriel.

## Le courriel dans le panneau (issue 5)
nav-mail = Courriel
mail-title = Courriel
mail-lead = Les boîtes aux lettres et les alias de vos domaines. Une boîte garde le courriel qu'une personne lit dans son logiciel de courriel ; un alias renvoie le courriel vers d'autres adresses.
mail-no-domain = Aucun de vos domaines ne reçoit encore de courriel. Activez d'abord le courriel depuis la page d'un domaine.
mail-go-to-domains = Aller aux domaines
mail-filter-domain = Domaine
mail-any-domain = Tous les domaines
mail-filter-deleted = Afficher les boîtes supprimées
mail-filter-show = Afficher
mail-column-status = État
mail-column-storage = Espace
mail-column-state = En service
mail-new-locked = Votre compte est verrouillé : aucune boîte ni aucun alias ne peut être ajouté pour l'instant.
field-domain = Domaine
field-alias-domain = Domaine de l'alias
field-quota-mb = Espace (Mo)
field-password-confirm = Mot de passe, encore
field-enabled = En service
field-mail = Courriel
mail-label-local-part = Nom, avant le @
mailbox-storage-used = Utilisé
mail-password-confirm-differs = { $field } : les deux mots de passe diffèrent ; tapez deux fois le même.

## Boîtes aux lettres
mailboxes-heading = Boîtes aux lettres
mailboxes-deleted-heading = Boîtes aux lettres supprimées
mailboxes-deleted-hint = Une boîte supprimée ne reçoit plus de courriel, mais son courriel est gardé. Elle peut être restaurée jusqu'à la date indiquée ; ensuite, elle est effacée pour de bon.
mailboxes-none = Aucune boîte aux lettres pour l'instant. Ajoutez-en une ci-dessous.
mailboxes-none-here = Ce domaine n'a pas encore de boîte aux lettres.
mailboxes-none-deleted = Aucune boîte supprimée.
mailbox-enabled-short = Oui
mailbox-disabled-short = Désactivée
mailbox-restore-named = Restaurer { $address }
mailbox-storage-of = Espace utilisé par { $address }
mailbox-new-title = Ajouter une boîte aux lettres
mailbox-new-lead = Choisissez son adresse et un premier mot de passe, puis donnez-les à la personne qui la lira.
mailbox-hint-local-part = Lettres minuscules, chiffres et . _ - + seulement, par exemple info ou ada.lovelace.
mailbox-hint-password = Au moins 12 caractères. Une phrase se retient plus facilement.
mailbox-hint-quota = Combien de courriel elle peut garder. Laissez vide pour { $size } (moins s'il en reste moins au compte).
mailbox-create = Ajouter la boîte
flash-mailbox-created = La boîte aux lettres a été ajoutée. Elle fonctionnera dans quelques instants.

## La page d'une boîte aux lettres
mailbox-deleted = Supprimée
mailbox-deleted-notice = Cette boîte est supprimée : elle ne reçoit plus de courriel. Son courriel est gardé jusqu'au { $date }, sauf si elle est restaurée avant.
mailbox-restore = Restaurer la boîte
mailbox-storage-heading = Espace
mailbox-measured-at = Mesuré le { $date }.
mailbox-not-measured = Pas encore mesuré : le chiffre apparaîtra dès que le serveur de courriel aura compté.
mailbox-quota-heading = Changer son espace
mailbox-hint-quota-change = En Mo (1024 Mo font 1 Go). Plus d'espace compte dans le quota du compte.
mailbox-quota-save = Enregistrer l'espace
mailbox-password-heading = Définir un nouveau mot de passe
mailbox-password-lead = Pour quand la personne qui l'utilise a oublié le sien. Elle peut aussi le changer seule, en connaissant l'actuel.
mailbox-password-set = Définir le mot de passe
mailbox-state-heading = En service
mailbox-is-enabled = Cette boîte reçoit du courriel, et la personne qui l'utilise peut s'y connecter.
mailbox-is-disabled = Cette boîte est désactivée : son courriel est refusé et personne ne peut s'y connecter. Rien n'est supprimé.
mailbox-disable-hint = La désactiver refuse son courriel et les connexions, et garde tout.
mailbox-disable = Désactiver la boîte
mailbox-enable = Réactiver la boîte
mailbox-delete = Supprimer cette boîte aux lettres
mailbox-delete-hint = Elle cesse aussitôt de recevoir du courriel. Son courriel est gardé, et la boîte peut être restaurée, jusqu'au { $date }.
mailbox-delete-confirm = Oui, supprimer { $address }
mailbox-delete-named = Supprimer { $address }
mailbox-delete-confirm-needed = Cochez la case pour confirmer la suppression.
flash-mailbox-password-set = Le mot de passe a été changé. Il fonctionnera dans quelques instants.
flash-mailbox-quota-saved = L'espace a été enregistré.
flash-mailbox-enabled = La boîte est réactivée.
flash-mailbox-disabled = La boîte est désactivée : son courriel est refusé.
flash-mailbox-deleted = La boîte a été supprimée. Elle peut être restaurée pendant le délai de grâce.
flash-mailbox-restored = La boîte a été restaurée.

## Réponse automatique
autoreply-heading = Réponse automatique
autoreply-lead = Tant qu'elle est active, toute personne qui écrit à cette adresse reçoit cette réponse (une fois tous les quelques jours par expéditeur).
autoreply-enabled = Envoyer la réponse automatique
autoreply-hint-subject = Laissez vide pour « Auto: » suivi de l'objet du courriel reçu.
autoreply-hint-start = Laissez vide pour commencer maintenant.
autoreply-hint-end = Laissez vide pour la garder jusqu'à ce que vous la désactiviez. Ce jour est inclus.
autoreply-save = Enregistrer la réponse automatique
flash-autoreply-on = La réponse automatique est active.
flash-autoreply-off = La réponse automatique est désactivée.

## Alias
aliases-heading = Alias
aliases-none = Aucun alias pour l'instant. Ajoutez-en un ci-dessous.
aliases-none-here = Ce domaine n'a pas encore d'alias.
alias-catch-all = toutes les autres adresses
alias-new-title = Ajouter un alias
alias-new-lead = Le courriel envoyé à l'alias va à chaque destinataire : une boîte d'ici ou n'importe quelle adresse ailleurs.
alias-catch-all-option = Toutes les adresses du domaine qui ne sont ni une boîte ni un autre alias (adresse fourre-tout)
alias-hint-catch-all = Laissez alors le nom ci-dessus vide. Une adresse fourre-tout reçoit aussi beaucoup de pourriel.
alias-hint-destinations = Une adresse par ligne.
alias-create = Ajouter l'alias
alias-title = L'alias { $source }
alias-is-alias = Un alias : son courriel va aux destinataires ci-dessous.
alias-is-catch-all = L'adresse fourre-tout : le courriel de toutes les autres adresses du domaine va aux destinataires ci-dessous.
alias-destinations-label = Où va son courriel
alias-delete-heading = Supprimer cet alias
alias-delete-hint = Le courriel qui lui est envoyé est refusé aussitôt.
alias-delete-named = Supprimer { $source }
flash-alias-created = L'alias a été ajouté. Il fonctionnera dans quelques instants.
flash-alias-saved = Les destinataires ont été enregistrés.
flash-alias-deleted = L'alias a été supprimé.

## Le courriel d'un domaine, sur sa page
domain-mail-heading = Courriel
domain-mail-is-on = Ce domaine reçoit du courriel.
domain-mail-is-off = Ce domaine ne reçoit pas de courriel ici.
domain-mail-on-hint = Activer le courriel ajoute à la zone les enregistrements MX, SPF, DMARC et DKIM de la coopérative ; ajoutez ensuite des boîtes et des alias.
domain-mail-alias = Ce domaine est un alias de { $name } : son courriel va aux boîtes et aux alias de { $name }.
domain-mail-failed = Les serveurs de courriel n'ont pas pu appliquer le dernier changement. Les admins de la coopérative sont prévenus ; voici la raison :
domain-mail-mailboxes = Boîtes et alias de { $name }
domain-mail-turn-on = Activer le courriel
domain-mail-off-heading = Désactiver le courriel
domain-mail-off-hint = Supprimez d'abord les boîtes et les alias du domaine. Désactiver le courriel retire de la zone les enregistrements de courriel.
domain-mail-turn-off = Désactiver le courriel
flash-mail-on = Le courriel est activé. Ses enregistrements seront en ligne dans quelques instants.
flash-mail-off = Le courriel est désactivé.
dkim-heading = Clés DKIM
dkim-lead = Les destinataires vérifient le courriel envoyé de ce domaine avec ces clés. Elles sont déjà dans la zone : copiez-les seulement si le DNS du domaine est servi ailleurs.
dkim-selector = Sélecteur
dkim-name = Nom
dkim-created = Créée le
dkim-signing = signe le nouveau courriel
dkim-previous = clé précédente, encore publiée
dkim-rotate-hint = Une nouvelle clé signe le courriel à partir de maintenant ; la précédente reste publiée pour le courriel déjà envoyé.
dkim-rotate = Créer une nouvelle clé
flash-dkim-rotated = Une nouvelle clé DKIM signe le courriel à partir de maintenant.

## Ce qu'il faut à un logiciel de courriel
mail-client-heading = Réglages pour les logiciels de courriel
mail-client-lead = La plupart des logiciels de courriel les trouvent seuls à partir de l'adresse. Si l'un d'eux les demande :
mail-client-unset = La coopérative n'a pas encore indiqué ses serveurs de courriel ici : demandez à ses admins.
mail-client-incoming = Courriel entrant
mail-client-outgoing = Courriel sortant
mail-client-imap = IMAP
mail-client-smtp = SMTP
mail-client-port = port { $port }
mail-client-ssl = SSL/TLS
mail-client-starttls = STARTTLS
mail-client-username = Nom d'utilisateur
mail-client-username-is = l'adresse complète, avec le mot de passe de la boîte

## Le mot de passe d'une boîte, sans connexion à Konbit
mail-own-password-title = Changer le mot de passe d'une boîte
mail-own-password-lead = Pour la personne qui lit une boîte aux lettres : choisissez un nouveau mot de passe en donnant l'actuel. Pas besoin de compte Konbit.
mail-own-password-address = Adresse de la boîte
mail-own-password-submit = Changer le mot de passe
mail-own-password-wrong = L'adresse ou le mot de passe actuel est erroné.
mail-own-password-link = Changer le mot de passe d'une boîte aux lettres
mail-own-password-tell = La personne qui l'utilise peut changer le mot de passe seule :
flash-mailbox-own-password-changed = Le mot de passe a été changé. Utilisez le nouveau dans votre logiciel de courriel dès maintenant.
