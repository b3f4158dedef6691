# Panneau Konbit : messages en français. Chaque id doit aussi exister dans en/main.ftl.

## Gabarit
skip-to-content = Aller au contenu
nav-label = Menu principal
nav-dashboard = Tableau de bord
nav-accounts = Comptes
nav-profiles = Profils de quota
nav-tokens = Jetons d'API
nav-settings = Réglages
role-admin = admin
switch-language = English
sign-out = Se déconnecter
sign-out-everywhere = Se déconnecter de tous les appareils
footer = Konbit, l'hébergement fait ensemble. Logiciel libre sous licence AGPL.
optional = (facultatif)
form-has-errors = Veuillez corriger ce qui suit :
save = Enregistrer
cancel = Annuler
search = Chercher
actions = Actions
created-at = Créé le

## Connexion
login-title = Connexion
login-lead = Connectez-vous pour gérer l'hébergement de votre groupe.
login-submit = Se connecter

## Confirmations
flash-signed-out = Vous êtes déconnecté·e.
flash-signed-out-everywhere = Vous êtes déconnecté·e de tous les appareils.
flash-account-created = Le compte a été créé.
flash-account-updated = Le compte a été enregistré.
flash-account-locked = Le compte est verrouillé.
flash-account-unlocked = Le compte est déverrouillé.
flash-account-deleted = Le compte a été supprimé. Il peut être restauré pendant le délai de grâce.
flash-account-restored = Le compte a été restauré.
flash-person-added = La personne a été ajoutée au compte.
flash-role-changed = Le rôle a été changé.
flash-person-removed = La personne a été retirée du compte.
flash-profile-created = Le profil de quota a été créé.
flash-profile-saved = Le profil de quota a été enregistré.
flash-profile-deleted = Le profil de quota a été supprimé.
flash-token-revoked = Le jeton a été révoqué. Il ne fonctionne plus.
flash-settings-saved = Vos réglages ont été enregistrés.
flash-password-changed = Votre mot de passe a été changé. Vos autres sessions ont été fermées.

## Tableau de bord
dashboard-title = Tableau de bord
dashboard-welcome = Bienvenue, { $name }.
dashboard-coop = La coopérative
dashboard-active-accounts = comptes actifs
dashboard-locked-accounts = verrouillés
dashboard-deleted-accounts = supprimés, restaurables
dashboard-people = personnes
dashboard-all-accounts = Tous les comptes
dashboard-my-accounts = Mes comptes
dashboard-recent-accounts = Comptes les plus récents
dashboard-no-account = Vous n'appartenez encore à aucun compte. Demandez à votre coopérative de vous ajouter.

## Quotas
quota-heading = Quota
quota-usage = { $used } sur { $limit }
unit-gb = { $n } Go
unit-mb = { $n } Mo
unit-mb-short = Mo
resource-domains = Domaines
resource-mailboxes = Boîtes aux lettres
resource-mail-storage-mb = Espace courriel
resource-aliases = Alias de courriel
resource-mailing-lists = Listes de diffusion
resource-sites = Sites web
resource-sftp-accounts = Comptes SFTP
resource-databases = Bases de données
resource-disk-mb = Espace disque web

## Comptes
accounts-title = Comptes
accounts-search = Trouver un compte
accounts-show-deleted = Montrer les comptes supprimés
accounts-none = Aucun compte ne correspond.
account-state = État
account-active = Actif
account-locked = Verrouillé
account-deleted = Supprimé
pager-label = Pages
pager-previous = ← Précédente
pager-next = Suivante →
pager-position = Page { $page } sur { $pages }
account-new-title = Nouveau compte
account-new-lead = Un compte est un groupe membre : une radio communautaire, un comité de locataires, un petit organisme. Ses personnes gèrent son hébergement dans les limites de son profil de quota.
account-new-group = Le groupe
account-new-owner = Sa première responsable
account-new-owner-hint = Facultatif. Indiquez le courriel de la personne qui s'occupera du compte. Si elle est nouvelle ici, donnez aussi son nom et un premier mot de passe qu'elle pourra changer.
account-create = Créer le compte
status-help = Indique si les services en ligne ont rattrapé ce changement
status-pending = En cours d'application
status-applied = En ligne
status-failed = En échec
account-locked-notice = Ce compte est verrouillé. Ses personnes peuvent consulter mais ne rien modifier.
account-deleted-notice = Ce compte est supprimé. Il sera effacé pour de bon le { $date }, sauf s'il est restauré.
account-restore = Restaurer le compte
people-heading = Personnes
people-none = Personne n'appartient encore à ce compte.
role-owner = Responsable
role-member = Membre
people-role-of = Rôle de { $name }
people-change-role = Changer
people-remove = Retirer { $name }
people-add = Ajouter une personne
people-add-hint = Pour quelqu'un qui a déjà un accès à Konbit, son courriel suffit.
account-admin-heading = Administration de la coopérative
account-edit = Modifier
account-lock = Verrouiller
account-lock-hint = Montré aux personnes du compte, par exemple « cotisation impayée ».
account-unlock = Déverrouiller
account-unlock-hint = Ses personnes pourront de nouveau faire des changements.
account-delete = Supprimer
account-delete-hint = Rien n'est perdu tout de suite : le compte peut être restauré pendant 30 jours.
account-delete-confirm = Oui, supprimer { $name }
account-delete-confirm-needed = Cochez la case pour confirmer la suppression.
activity-heading = Activité récente
activity-none = Rien pour l'instant.
source-panel = panneau
source-api = API
source-cli = ligne de commande
source-system = Konbit

## Actions du journal
audit-account-created = Compte créé
audit-account-updated = Compte modifié
audit-account-locked = Compte verrouillé
audit-account-unlocked = Compte déverrouillé
audit-account-deleted = Compte supprimé
audit-account-restored = Compte restauré
audit-account-purged = Compte effacé pour de bon
audit-membership-added = Personne ajoutée
audit-membership-changed = Rôle changé
audit-membership-removed = Personne retirée
audit-user-created = Personne créée
audit-user-updated = Personne modifiée
audit-user-deleted = Personne supprimée
audit-password-changed = Mot de passe changé
audit-sign-in = Connexion
audit-sign-in-failed = Connexion échouée
audit-sign-out-everywhere = Déconnexion de partout
audit-token-created = Jeton d'API créé
audit-token-revoked = Jeton d'API révoqué
audit-quota-profile-created = Profil de quota créé
audit-quota-profile-updated = Profil de quota modifié
audit-quota-profile-deleted = Profil de quota supprimé

## Profils de quota
profiles-title = Profils de quota
profiles-lead = Un profil de quota fixe ce qu'un compte peut utiliser. Modifier un profil le modifie pour tous les comptes qui l'ont.
profiles-none = Il n'y a encore aucun profil de quota.
profiles-accounts = Comptes
profile-new-title = Nouveau profil de quota
profile-edit-title = Modifier le profil de quota
profile-limits = Limites
profile-delete = Supprimer ce profil
profile-in-use = { $count ->
    [one] Un compte utilise ce profil ; donnez-lui d'abord un autre profil.
   *[other] { $count } comptes utilisent ce profil ; donnez-leur d'abord un autre profil.
}

## Jetons d'API
tokens-title = Jetons d'API
tokens-lead = Un jeton permet à un script d'utiliser l'API de Konbit en votre nom, limité aux parties du panneau que vous choisissez.
token-created = Votre nouveau jeton
token-secret-once = Copiez-le maintenant : il n'est montré qu'une seule fois. Konbit n'en garde qu'une empreinte.
token-secret = Jeton
tokens-existing = Vos jetons
tokens-none = Vous n'avez aucun jeton.
token-prefix = Commence par
token-expires = Expire le
token-last-used = Dernière utilisation
token-never = Jamais
token-never-used = Pas encore utilisé
token-revoke = Révoquer { $name }
token-new = Nouveau jeton
token-create = Créer le jeton
area-accounts = Comptes
area-users = Personnes
area-quota-profiles = Profils de quota
area-tokens = Jetons d'API
area-audit = Journal d'audit
area-domains = Domaines et DNS
area-mail = Courriel
area-sites = Sites web
area-sftp = Comptes SFTP
area-databases = Bases de données
area-lists = Listes de diffusion
access-read = lecture
access-write = lecture et modification

## Réglages
settings-title = Réglages
settings-profile = Profil
locale-browser = La langue du navigateur
settings-password = Mot de passe
settings-change-password = Changer le mot de passe
settings-sessions = Sessions
settings-sessions-hint = Téléphone perdu ou ordinateur partagé ? Déconnectez-vous de partout, y compris de cet appareil.
password-mismatch = Les deux nouveaux mots de passe diffèrent.
password-current-wrong = Le mot de passe actuel n'est pas le bon.

## Champs de formulaire
field-email = Courriel
field-password = Mot de passe
field-name = Nom
field-display-name = Nom complet
field-quota-profile-id = Profil de quota
field-owner-email = Courriel de la responsable
field-owner-display-name = Nom complet de la responsable
field-owner-password = Premier mot de passe de la responsable
field-role = Rôle
field-reason = Motif
field-scopes = Portées
field-expires-in-days = Expire après (jours)
field-locale = Langue
field-current-password = Mot de passe actuel
field-new-password = Nouveau mot de passe
field-confirm-password = Nouveau mot de passe, encore
field-domains = Domaines
field-mailboxes = Boîtes aux lettres
field-mail-storage-mb = Espace courriel
field-aliases = Alias de courriel
field-mailing-lists = Listes de diffusion
field-sites = Sites web
field-sftp-accounts = Comptes SFTP
field-databases = Bases de données
field-disk-mb = Espace disque web
hint-owner-password = Au moins 12 caractères. Seulement pour une nouvelle personne.
hint-password = Au moins 12 caractères. Seulement pour une personne nouvelle dans Konbit.
hint-new-password = Au moins 12 caractères. Une phrase se retient plus facilement.
hint-expires-in-days = Laissez vide pour un jeton qui n'expire pas.

## Règles de validation
rule-required = { $field } : ce champ est obligatoire.
rule-too-short = { $field } : utilisez au moins { $min } caractères.
rule-too-long = { $field } : utilisez au plus { $max } caractères.
rule-control-character = { $field } : les sauts de ligne et caractères de contrôle ne sont pas permis.
rule-slug-format = { $field } : utilisez des minuscules, des chiffres et des traits d'union simples, en commençant par une lettre.
rule-reserved = { $field } : ce nom est réservé ; choisissez-en un autre.
rule-email-format = { $field } : ce n'est pas un courriel valide.
rule-hostname-format = { $field } : ce n'est pas un nom de domaine valide.
rule-out-of-range = { $field } : donnez un nombre entier de { $min } à { $max }.
rule-unknown-choice = { $field } : ce choix n'est pas valide.

## Erreurs
error-invalid-input = Certaines informations ne sont pas valides.
error-unauthenticated = Veuillez vous connecter.
error-invalid-credentials = Le courriel ou le mot de passe est erroné.
error-forbidden = Vous n'avez pas le droit de faire ceci.
error-insufficient-scope = Les portées de ce jeton ne permettent pas ceci.
error-not-found = Cette page ou cet objet n'existe pas, ou vous ne pouvez pas le voir.
error-method-not-allowed = Cette adresse n'accepte pas ce type de requête.
error-conflict = Ceci entre en conflit avec l'état actuel ; rechargez la page et réessayez.
error-duplicate = Ceci existe déjà.
error-duplicate-field = { $field } : cette valeur est déjà prise.
error-account-locked = Ce compte est verrouillé : les changements sont suspendus.
error-quota-exceeded = Ceci dépasserait le quota du compte.
error-quota-exceeded-detail = { $resource } : le quota en permet { $limit }, et ceci le dépasserait.
error-last-owner = Un compte a besoin d'au moins une personne responsable (et la coopérative d'au moins un·e admin).
error-profile-in-use = Des comptes utilisent encore ce profil de quota.
error-csrf-rejected = Ce formulaire a expiré ou vient d'un autre site. Revenez en arrière, rechargez la page et réessayez.
error-payload-too-large = Ce que vous avez envoyé est trop volumineux.
error-malformed-body = Ce que vous avez envoyé n'a pas pu être lu.
error-unsupported-media-type = Ce type de contenu n'est pas accepté ici.
error-internal = Quelque chose n'a pas fonctionné de notre côté. C'est noté ; réessayez plus tard.
error-back-home = Retour au tableau de bord
error-title-400 = Requête illisible
error-title-401 = Connexion nécessaire
error-title-403 = Non permis
error-title-404 = Introuvable
error-title-405 = Méthode non permise
error-title-409 = Conflit
error-title-413 = Trop volumineux
error-title-415 = Mauvais type de contenu
error-title-422 = Informations non valides
error-title-423 = Compte verrouillé
error-title-500 = Erreur interne

## Journal d'audit
nav-audit = Journal
audit-title = Journal des modifications
audit-intro = Chaque modification apportée à vos comptes : qui l'a faite, quand et d'où. Les heures sont en UTC.
audit-filter = Filtrer
audit-any-account = Tous les comptes
audit-any-kind = Tout
audit-apply = Afficher
audit-reset = Effacer les filtres
audit-entries = Entrées
audit-total = { $count ->
    [0] Aucune entrée
    [one] Une entrée
   *[other] { $count } entrées
}
audit-none = Aucune entrée ne correspond.
audit-export-csv = Télécharger en CSV (tableur)
audit-see-all = Voir tout le journal de ce compte
audit-by = par { $actor } ({ $source })
audit-from-ip = adresse { $ip }
audit-empty = (vide)
audit-became = est devenu
audit-field-label = { $field } :
audit-value-yes = oui
audit-value-no = non
audit-sign-out = Déconnexion
audit-kind-account = Compte
audit-kind-membership = Appartenance
audit-kind-user = Personne
audit-kind-api-token = Jeton d'API
audit-kind-quota-profile = Profil de quotas
audit-field-name = Nom
audit-field-display-name = Nom complet
audit-field-quota-profile-name = Profil de quotas
audit-field-locked = Verrouillé
audit-field-lock-reason = Raison du verrouillage
audit-field-deleted-at = Supprimé le
audit-field-purge-after = Effacé définitivement après
audit-field-role = Rôle
audit-field-user-id = Personne (numéro)
audit-field-email = Adresse courriel
audit-field-is-admin = Administrateur de la coop
audit-field-locale = Langue
audit-field-memberships = Comptes
audit-field-password = Mot de passe
audit-field-scopes = Portées
audit-field-expires-at = Expire le
audit-field-last-used-at = Dernière utilisation le
audit-field-prefix = Début du jeton
audit-field-sessions-ended = Sessions fermées
audit-field-account-count = Comptes qui l'utilisent
audit-field-limits-domains = Domaines
audit-field-limits-mailboxes = Boîtes courriel
audit-field-limits-mail-storage-mb = Espace courriel (Mo)
audit-field-limits-aliases = Alias courriel
audit-field-limits-mailing-lists = Listes de diffusion
audit-field-limits-sites = Sites Web
audit-field-limits-sftp-accounts = Comptes SFTP
audit-field-limits-databases = Bases de données
audit-field-limits-disk-mb = Espace disque Web (Mo)
field-account-id = Compte
field-kind = Type d'objet
field-object-id = Numéro de l'objet
field-actor = Fait par (adresse courriel)
field-from = Du (date)
field-to = Au (date, incluse)
hint-from = Sous la forme année-mois-jour, par exemple 2025-01-31.
hint-to = Sous la forme année-mois-jour, par exemple 2025-01-31.
rule-date-format = { $field } : écrivez la date sous la forme année-mois-jour, par exemple 2025-01-31.
rule-date-order = { $field } : cette date vient avant la date de début.

## Sécurité du compte : double vérification, limites d'essais, mot de passe oublié, sessions (issue 3)
rate-limited-seconds = Trop d'essais. Réessayez dans { $seconds } secondes.
rate-limited-minutes = Trop d'essais. Réessayez dans { $minutes } minutes.
error-rate-limited = Trop d'essais. Attendez un peu et réessayez.
error-two-factor-required = Votre coopérative exige la vérification en deux étapes pour ceci : reconnectez-vous d'abord avec votre code.
error-invalid-code = Ce code est erroné ou a déjà servi.
error-invalid-link = Ce lien n'est plus valide.
error-title-410 = Lien expiré
error-title-429 = Trop d'essais
two-factor-code-empty = Tapez le code de votre application, ou un code de secours.
two-factor-code-too-long = Ce code est beaucoup trop long : un code a 6 chiffres, un code de secours 16 caractères.
two-factor-code-length = Le code de l'application a exactement 6 chiffres.
two-factor-code-digits = Le code de l'application n'a que des chiffres (un code de secours a 16 lettres et chiffres).
two-factor-code-wrong = Ce code est erroné ou a déjà servi. Attendez le prochain code et réessayez.
two-factor-login-title = Vérification en deux étapes
two-factor-login-lead = Tapez le code à 6 chiffres affiché par votre application d'authentification, ou un de vos codes de secours.
field-code = Code
two-factor-login-submit = Vérifier
two-factor-cancel = Annuler et me déconnecter
two-factor-title = Vérification en deux étapes
two-factor-lead = En plus de votre mot de passe, un code venant d'une application sur votre cellulaire (comme Aegis, FreeOTP ou Google Authenticator) protège votre compte.
two-factor-required-notice = Votre coopérative exige la vérification en deux étapes. Activez-la pour continuer.
two-factor-enabled-now = La vérification en deux étapes est activée
two-factor-recovery-once = Gardez ces codes de secours en lieu sûr. Chacun sert une seule fois si vous perdez votre cellulaire. Ils ne sont affichés que maintenant.
two-factor-continue = Continuer
two-factor-on = La vérification en deux étapes est activée.
two-factor-off = La vérification en deux étapes est désactivée.
two-factor-recovery-left = { $count ->
    [one] Il reste un code de secours inutilisé.
   *[other] Il reste { $count } codes de secours inutilisés.
}
field-proof = Code actuel ou mot de passe
hint-proof = Un code de votre application, un code de secours ou votre mot de passe.
two-factor-disable = Désactiver la vérification en deux étapes
two-factor-cannot-disable = Votre coopérative exige la vérification en deux étapes : elle ne peut pas être désactivée.
two-factor-proof-wrong = Ce code ou ce mot de passe est erroné.
two-factor-enrol-heading = Configurer votre application
two-factor-enrol-scan = Balayez ce code QR avec votre application d'authentification.
two-factor-qr-caption = Code QR de votre clé secrète (la même clé est écrite plus bas).
two-factor-enrol-type = Ou tapez cette clé dans l'application :
two-factor-secret = Clé secrète
two-factor-enrol-confirm = Code affiché par l'application
two-factor-enable = Activer
two-factor-start = Configurer la vérification en deux étapes
two-factor-manage = Gérer la vérification en deux étapes
flash-two-factor-disabled = La vérification en deux étapes est désactivée.
flash-session-ended = La session a été fermée.
flash-password-reset-done = Votre mot de passe a été changé. Connectez-vous avec le nouveau.
login-forgot = Mot de passe oublié?
reset-title = Réinitialiser votre mot de passe
reset-lead = Indiquez votre courriel : nous vous envoyons un lien pour choisir un nouveau mot de passe.
reset-sent = Si ce courriel appartient à quelqu'un ici, un lien s'en vient. Vérifiez votre boîte de réception.
reset-submit = Envoyer le lien
reset-back = Retour à la connexion
reset-new-title = Choisir un nouveau mot de passe
reset-link-invalid = Ce lien ne fonctionne plus : il a déjà servi, il a expiré ou il n'est pas valide. Demandez-en un nouveau.
reset-again = Demander un nouveau lien
reset-set = Enregistrer le mot de passe
reset-mail-subject = Konbit : réinitialisez votre mot de passe
reset-mail-body = Bonjour,

    Quelqu'un (sans doute vous) a demandé à réinitialiser le mot de passe de votre compte Konbit.
    Pour choisir un nouveau mot de passe, ouvrez ce lien d'ici { $minutes } minutes :

    { $link }

    Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.
session-device = Appareil
session-ip = Adresse IP
session-created = Connexion
session-last-seen = Dernière activité
session-current = celle-ci
session-pending = non vérifiée
session-end = Fermer
dashboard-incomplete-sign-ins = { $count ->
    [one] Quelqu'un a tapé votre mot de passe correctement sans terminer la vérification en deux étapes. Si ce n'était pas vous, changez votre mot de passe.
   *[other] { $count } connexions ont utilisé votre bon mot de passe sans terminer la vérification en deux étapes. Si ce n'était pas vous, changez votre mot de passe.
}

## Jetons limités à un compte
hint-account-id = Un jeton limité à un compte ne peut en atteindre aucun autre, ni les réglages de la coopérative.
token-all-accounts = Tous les comptes que je peux atteindre
token-limited-to = Seulement { $name }

## Agir en tant que quelqu'un
impersonation-start = Agir en tant que { $name }
impersonation-banner = { $admin }, vous agissez en tant que { $name } pour l'aider. Tout ce que vous faites est noté sous vos deux noms.
impersonation-end = Cesser d'agir en son nom
impersonation-helped-by = Une personne admin de la coopérative ({ $names }) agit en ce moment dans votre compte pour vous aider. C'est noté dans le journal de votre compte.
flash-impersonation-started = Vous agissez maintenant en tant que cette personne. Terminez depuis le bandeau quand vous avez fini.
flash-impersonation-ended = Vous êtes de nouveau vous-même.
audit-impersonation-started = Une personne admin a commencé à agir en son nom
audit-impersonation-ended = Une personne admin a cessé d'agir en son nom

## Enregistrements DNS et fichiers de zone : règles de validation
rule-dns-name = { $field } : utilisez des lettres, des chiffres, des traits d'union et des tirets bas, avec des points entre les parties ; un * ne peut être que la première partie, seul.
rule-dns-label-too-long = { $field } : chaque partie entre deux points peut avoir au plus { $max } caractères.
rule-unsafe-character = { $field } : les espaces, guillemets, points-virgules, barres obliques inverses et parenthèses ne sont pas permis ici.
rule-name-outside-zone = { $field } : ce nom n'est pas dans ce domaine. Écrivez-le relativement au domaine (www), ou en entier, en finissant par le nom du domaine.
rule-zone-name-twice = { $field } : le nom du domaine apparaît deux fois ; n'écrivez que ce qui le précède (www plutôt que www.example.org.example.org).
rule-unsupported-type = { $field } : Konbit ne sert pas d'enregistrements { $rtype }. Les types disponibles sont A, AAAA, CNAME, MX, TXT, SRV, CAA et NS.
rule-ipv4-format = { $field } : ce n'est pas une adresse IPv4 valide (par exemple 192.0.2.1).
rule-ipv6-format = { $field } : ce n'est pas une adresse IPv6 valide (par exemple 2001:db8::1).
rule-ipv6-needs-aaaa = { $field } : c'est une adresse IPv6 ; ajoutez-la dans un enregistrement AAAA.
rule-ipv4-needs-a = { $field } : c'est une adresse IPv4 ; ajoutez-la dans un enregistrement A.
rule-target-format = { $field } : donnez un nom d'hôte complet, comme mail.example.org, ou @ pour le domaine lui-même.
rule-target-is-ip = { $field } : donnez ici un nom d'hôte, pas une adresse IP. Ajoutez un enregistrement A ou AAAA pour cet hôte, puis indiquez son nom.
rule-null-target-not-allowed = { $field } : un point seul (aucun hôte) n'est permis que pour un enregistrement MX de préférence 0 et pour un enregistrement SRV.
rule-mx-format = { $field } : écrivez une préférence et un serveur de courriel, par exemple 10 mail.example.org.
rule-srv-format = { $field } : écrivez la priorité, le poids, le port et la cible, par exemple 10 5 5060 sip.example.org.
rule-srv-name = { $field } : le nom d'un enregistrement SRV commence par le service et le protocole, par exemple _sip._tcp.
rule-caa-format = { $field } : écrivez les drapeaux, l'étiquette et la valeur, par exemple 0 issue "letsencrypt.org".
rule-caa-flags = { $field } : les drapeaux CAA valent 0, ou 128 pour une étiquette critique.
rule-caa-tag = { $field } : l'étiquette CAA est issue, issuewild ou iodef (ou une autre étiquette d'au plus 15 lettres et chiffres).
rule-caa-value = { $field } : la valeur CAA s'écrit en caractères ASCII simples, sans guillemets ni barres obliques inverses à l'intérieur ; pour iodef, une adresse mailto: ou https:.
rule-txt-format = { $field } : le texte commence par un guillemet ; il est donc lu comme des chaînes entre guillemets, et elles sont mal formées. Fermez chaque guillemet, ou retirez les guillemets.
rule-cname-at-apex = { $field } : le domaine lui-même (@) ne peut pas avoir d'enregistrement CNAME ; utilisez des enregistrements A et AAAA, ou placez le CNAME sur un sous-domaine.
rule-cname-not-alone = { $field } : un nom qui a un enregistrement CNAME ne peut en avoir aucun autre, pas même un second CNAME.
rule-apex-needs-ns = { $field } : le domaine doit garder au moins un enregistrement NS à son propre nom (@).
rule-below-delegation = { $field } : ce nom est délégué à d'autres serveurs de noms par un enregistrement NS ; seuls des enregistrements NS peuvent se trouver à ce nom, et seuls des enregistrements A ou AAAA (de colle) en dessous.
rule-duplicate-record = { $field } : le même enregistrement existe déjà.
rule-null-target-not-alone = { $field } : un enregistrement dont la cible est un point seul indique que ce service n'existe pas ici ; il doit donc être le seul de son type à ce nom.
rule-zone-file-syntax = { $field } : cette ligne ne peut pas être lue comme un enregistrement de fichier de zone.
rule-zone-file-directive = { $field } : seules les directives $ORIGIN et $TTL sont prises en charge.
rule-zone-file-too-large = { $field } : le fichier de zone est trop grand ; il peut contenir au plus 1 Mio et 10 000 enregistrements.
