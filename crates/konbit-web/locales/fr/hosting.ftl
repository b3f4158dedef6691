## Comptes SFTP et bases de données (issue 7)
rule-ssh-key-format = { $field } : collez une clé publique OpenSSH, une par ligne, comme « ssh-ed25519 AAAA… vous@portable » (types ssh-ed25519, ecdsa-sha2-nistp256/384/521 ou ssh-rsa), le contenu de votre fichier .pub.
rule-ssh-key-too-weak = { $field } : cette clé RSA fait moins de 2048 bits ; créez-en une nouvelle avec ssh-keygen -t ed25519.
rule-db-name-format = { $field } : utilisez seulement des lettres minuscules sans accents, des chiffres et _.
rule-name-taken = { $field } : ce nom est déjà pris ; choisissez-en un autre.
rule-needs-password-or-key = { $field } : donnez un mot de passe, une clé SSH, ou les deux ; sinon personne ne pourrait se connecter.

## Pages SFTP et bases de données : mots communs
nav-sftp = SFTP
nav-databases = Bases de données
field-hosting-account = Compte
hosting-for-account = Pour le compte { $account }.
hosting-no-account = Vous n'êtes encore dans aucun compte : demandez à l'équipe technique de vous y ajouter.
hosting-all-locked = Vos comptes sont verrouillés : rien ne peut être ajouté avant leur déverrouillage.
hosting-column-status = Configuration
hosting-config-status = Configuration : { $status }
hosting-failed = Le serveur n'a pas pu appliquer le dernier changement. La raison :
hosting-quota-heading = Quota
hosting-host = Serveur
hosting-port = Port
hosting-unit-kb = { $n } Ko
password-mode-keep = Garder le mot de passe actuel
password-mode-generate = Créer un mot de passe pour moi
password-mode-generate-hint = Un long mot de passe au hasard, affiché une seule fois juste après l'enregistrement : copiez-le à ce moment-là.
password-mode-choose = Utiliser le mot de passe ci-dessous
password-chosen = Mot de passe de votre choix
password-chosen-hint = De 12 à 128 caractères, sans espaces, guillemets, apostrophes, barres obliques inverses ni accents graves.
password-mode-none = Pas de mot de passe
password-mode-none-hint = Seules les clés SSH ci-dessous peuvent se connecter.
password-shown-once = Copiez-le maintenant : il ne sera plus affiché. Konbit n'en garde qu'une forme brouillée.
password-generated = Mot de passe créé

## Comptes SFTP
field-sftp-login = Identifiant
field-sftp-dir = Dossier
field-sftp-password = Mot de passe
field-ssh-keys = Clés publiques SSH
sftp-title = Accès SFTP
sftp-lead = Des identifiants pour déposer des fichiers dans votre espace avec un logiciel SFTP (FileZilla, WinSCP, Cyberduck) ou la commande sftp, avec un mot de passe, des clés SSH ou les deux.
sftp-not-set-up = Le SFTP n'est pas encore mis en place sur ce serveur : aucun identifiant ne peut être ajouté ni modifié. Demandez à l'équipe technique.
sftp-where = Le serveur SFTP est { $host }, port { $port }.
sftp-logins = Identifiants
sftp-none = Aucun identifiant SFTP pour l'instant.
sftp-column-login = Identifiant
sftp-column-state = En service
sftp-whole-home = Tout l'espace
sftp-key-count = { $count ->
    [0] Aucune clé
    [one] Une clé
   *[other] { $count } clés
}

## Le formulaire SFTP
sftp-new-title = Ajouter un identifiant SFTP
sftp-new-lead = Un identifiant par personne ou par programme est plus sûr qu'un seul partagé par tous.
sftp-create = Ajouter l'identifiant
sftp-hint-login-one = L'identifiant est { $prefix } suivi de ce que vous tapez ici (lettres minuscules, chiffres, _ et -). Laissez vide pour { $account } seul.
sftp-hint-login-many = L'identifiant commence par le nom du compte et _ ({ $prefixes }), suivi de ce que vous tapez ici (lettres minuscules, chiffres, _ et -). Laissez vide pour le nom du compte seul.
sftp-hint-dir = Un dossier de votre espace auquel cet identifiant est limité, comme www/blog.example.org. Laissez vide pour tout l'espace.
sftp-hint-keys = Une clé par ligne, le contenu de votre fichier .pub, comme ssh-ed25519 AAAA… vous@portable. Les lignes qui commencent par # sont ignorées.
flash-sftp-created = L'identifiant a été ajouté. Il fonctionne dans quelques instants.

## La page d'un identifiant SFTP
sftp-password-heading = Mot de passe de { $login }
sftp-about-heading = Cet identifiant
sftp-created-at = Ajouté le
sftp-connect-heading = Comment se connecter
sftp-protocol = Protocole
sftp-command = Avec la commande sftp
sftp-connect-hint = Dans FileZilla, WinSCP ou Cyberduck, choisissez le protocole SFTP (pas FTP) et indiquez le serveur, le port et l'identifiant ci-dessus, puis le mot de passe ou votre clé.
sftp-edit-heading = Modifier l'identifiant
sftp-edit-lead = Son nom ne change pas ; pour un autre nom, ajoutez un autre identifiant.
flash-sftp-saved = Les modifications ont été enregistrées. Elles s'appliquent dans quelques instants.
sftp-state-heading = En service
sftp-is-enabled = Cet identifiant peut se connecter.
sftp-is-disabled = Cet identifiant est désactivé : il ne peut pas se connecter. Rien n'est supprimé.
sftp-disable-hint = Le désactiver refuse ses connexions tout de suite ; ses fichiers restent.
sftp-disable = Désactiver l'identifiant
sftp-enable = Remettre l'identifiant en service
flash-sftp-enabled = L'identifiant peut de nouveau se connecter.
flash-sftp-disabled = L'identifiant est désactivé.
sftp-delete = Supprimer cet identifiant
sftp-delete-hint = L'identifiant cesse de fonctionner tout de suite. Les fichiers qu'il a déposés restent dans votre espace.
sftp-delete-confirm = Oui, supprimer { $login }
sftp-delete-named = Supprimer { $login }
sftp-delete-confirm-needed = Cochez la case pour confirmer la suppression.
flash-sftp-deleted = L'identifiant a été supprimé. Ses fichiers restent dans votre espace.

## Bases de données
field-db-name = Nom de la base
field-db-engine = Moteur
field-db-user = Nom d'utilisateur
field-db-right = Droits
databases-title = Bases de données
databases-lead = Des bases MariaDB ou PostgreSQL pour vos sites et applications, chacune avec son utilisateur ; vous pouvez ajouter des utilisateurs qui ne font que lire.
databases-not-set-up = Aucun serveur de bases de données n'est encore mis en place sur ce serveur : aucune base ne peut être ajoutée. Demandez à l'équipe technique.
databases-live = Bases
databases-none = Aucune base de données pour l'instant.
database-column-size = Taille
database-read-only = Lecture seule
database-over-size = Au-delà de la limite
database-size-not-measured = Pas encore mesurée
databases-deleted-heading = Bases supprimées
databases-deleted-hint = Une dernière copie (dump) de chaque base supprimée est gardée jusqu'à la date indiquée : elle peut être restaurée ou téléchargée jusque-là ; ensuite, elle est effacée pour de bon.
database-restore-named = Restaurer { $name }
database-dump-named = Télécharger le dump de { $name }

## Le formulaire de base de données
database-new-title = Ajouter une base de données
database-new-lead = Une base et son utilisateur, du même nom. Votre site ou votre application se connecte avec ce nom et son mot de passe.
database-create = Ajouter la base
database-hint-name = Le nom commence par { $prefixes }, suivi de ce que vous tapez ici : lettres minuscules sans accents, chiffres et _.
database-engine-only = Moteur : { $engine }.
database-engine-mariadb-help = Compatible avec MySQL : WordPress, Nextcloud, la plupart des applications PHP.
database-engine-postgresql-help = Pour les applications qui demandent PostgreSQL.
flash-database-created = La base a été ajoutée. Elle est prête dans quelques instants.

## La page d'une base de données
database-deleted = Supprimée
database-password-heading = Mot de passe de { $user }
database-deleted-notice = Cette base est supprimée. Son dernier dump est gardé jusqu'au { $date } : d'ici là, elle peut être restaurée, ou le dump téléchargé.
database-restore = Restaurer la base
database-read-only-notice = Cette base dépasse la taille limite ({ $limit }) : elle est en lecture seule jusqu'à ce qu'elle redevienne plus petite. Supprimez les données dont vous n'avez plus besoin.
database-over-size-notice = Cette base dépasse la taille limite ({ $limit }). Supprimez les données dont vous n'avez plus besoin, ou parlez-en à l'équipe technique.
database-connect-heading = Comment se connecter
database-connect-database = Base
database-connect-user = Utilisateur
database-connect-password = Celui affiché à sa création ou à son changement (Konbit ne peut plus l'afficher).
database-connection-string = Chaîne de connexion
database-connection-string-hint = Sans le mot de passe : votre programme le demande à part, ou ajoutez-le après le nom d'utilisateur, sous la forme utilisateur:motdepasse@.
database-engine-gone = Le moteur de cette base n'est plus proposé sur ce serveur. Demandez à l'équipe technique.
database-size-heading = Taille
database-size-used = Espace utilisé
database-size-measured-at = Taille mesurée le { $date }.
database-size-hint-not-measured = La taille apparaît après la prochaine mesure du serveur.
database-size-limit = Limite par base : { $limit }.
database-users-heading = Utilisateurs
database-users-lead = Qui peut se connecter à cette base, et ce que chacun peut faire.
database-right-owner = Propriétaire (tout, y compris la structure des tables)
database-right-read-write = Lecture et écriture
database-right-read-write-hint = Lit et modifie les données, sans changer la structure des tables.
database-right-read-only = Lecture seule
database-right-read-only-hint = Pour des statistiques ou des sauvegardes : lit, ne modifie rien.
database-user-remove-named = Retirer { $user }
database-add-user-heading = Ajouter un utilisateur
database-hint-user = Le nom est { $prefix } suivi de ce que vous tapez ici : lettres minuscules sans accents, chiffres et _.
database-add-user = Ajouter l'utilisateur
flash-database-user-added = L'utilisateur a été ajouté. Il peut se connecter dans quelques instants.
flash-database-user-deleted = L'utilisateur a été retiré.
database-change-password-heading = Changer un mot de passe
database-change-password-lead = L'ancien mot de passe cesse de fonctionner dans quelques instants : mettez à jour les réglages de votre site ou de votre application.
database-password-of = Pour l'utilisateur { $user }.
database-change-password = Changer le mot de passe
flash-database-password-changed = Le mot de passe a été changé. Il fonctionne dans quelques instants.
database-delete = Supprimer cette base
database-delete-hint = Konbit en fait d'abord un dernier dump, gardé jusqu'au { $date } (le délai de grâce) : d'ici là, la base peut être restaurée et le dump téléchargé. Ensuite, elle disparaît pour de bon.
database-delete-confirm = Oui, supprimer { $name }
database-delete-named = Supprimer { $name }
database-delete-confirm-needed = Cochez la case pour confirmer la suppression.
flash-database-deleted = La base a été supprimée. Son dernier dump est gardé pendant le délai de grâce.
flash-database-restored = La base a été restaurée depuis son dernier dump.
