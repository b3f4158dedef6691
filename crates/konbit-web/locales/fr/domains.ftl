## Domains and DNS (issue 4)
zone-file-line = Ligne { $line } : { $message }
error-domain-taken = Ce domaine, ou un domaine au-dessus ou en dessous, est déjà hébergé ici par un autre compte.
error-domain-is-alias = Ce domaine est un alias : il sert les enregistrements d'un autre domaine. Modifiez plutôt les enregistrements de ce domaine.
error-domain-in-use = D'autres domaines dépendent encore de celui-ci (ses alias) : supprimez-les d'abord.

## Les domaines dans le panneau
nav-domains = Domaines
domains-title = Domaines
domains-lead = Chaque domaine est une zone DNS servie par les serveurs de noms de la coopérative. Faites pointer le domaine vers eux chez votre registraire, puis gérez ses enregistrements ici.
domains-search = Trouver un domaine
domains-any-account = Tous les comptes
domains-live = Domaines en service
domains-none = Aucun domaine pour l'instant. Ajoutez-en un ci-dessous.
domains-none-match = Aucun domaine ne correspond.
domains-deleted-heading = Domaines supprimés
domains-deleted-hint = Un domaine supprimé n'est plus servi. Il peut être restauré jusqu'à la date indiquée ; ensuite, il est effacé pour de bon.
domain-column-name = Domaine
domain-column-zone = État
domain-column-purge = Effacé pour de bon le
domain-alias-of = alias de { $name }
domain-restore-named = Restaurer { $name }
dns-status-applied = En ligne
dns-status-pending = En attente
dns-status-failed = En échec
dnssec-on-short = Activé
dnssec-off-short = Désactivé

## Ajouter un domaine
domain-new-title = Ajouter un domaine
domain-new-lead = Konbit crée la zone avec les serveurs de noms de la coopérative. Vous indiquez ensuite à votre registraire de les utiliser.
domain-new-no-account = Vous n'appartenez à aucun compte : vous ne pouvez pas ajouter de domaine.
domain-new-no-account-admin = Il n'y a encore aucun compte : créez-en un d'abord, puis ajoutez ses domaines.
domain-new-locked = Votre compte est verrouillé : aucun domaine ne peut être ajouté pour l'instant.
domain-choose-account = Choisissez un compte
domain-field-name = Nom de domaine
domain-hint-name = Par exemple exemple.org ou café.example : les lettres accentuées sont permises.
field-alias-of = Alias de
domain-hint-alias-of = Un alias sert exactement les enregistrements d'un autre domaine du même compte, par exemple exemple.com avec les enregistrements d'exemple.org.
domain-alias-none = Aucun : il a ses propres enregistrements
domain-options = Options
domain-option-dnssec = Signer la zone avec DNSSEC
domain-hint-dnssec = Recommandé. Vous donnerez ensuite un enregistrement DS à votre registraire.
domain-option-mail = Recevoir du courriel à ce domaine
domain-hint-mail = Ajoute les enregistrements MX, SPF et DMARC de la coopérative. Pas pour un alias.
domain-create = Ajouter le domaine
field-dnssec = DNSSEC
flash-domain-created = Le domaine a été ajouté. Sa zone sera en ligne dans quelques instants.

## La page d'un domaine
domain-zone-status = Zone : { $status }
domain-deleted = Supprimé
dnssec-on-badge = DNSSEC
dnssec-is-on = DNSSEC est activé.
dnssec-is-off = DNSSEC est désactivé.
domain-has-mail = reçoit du courriel
domain-failed = Les serveurs de noms n'ont pas pu appliquer le dernier changement de cette zone. Les admins de la coopérative sont prévenus ; voici la raison :
domain-deleted-notice = Ce domaine est supprimé et n'est plus servi. Il sera effacé pour de bon le { $date }, sauf s'il est restauré.
domain-restore = Restaurer le domaine
domain-alias-notice = Ce domaine est un alias de { $name } : il sert les enregistrements de { $name }. Modifiez-les là-bas.
domain-go-to = Aller à { $name }
registrar-heading = Chez votre registraire
registrar-nameservers = Chez le registraire où vous avez acheté le domaine, indiquez ces serveurs de noms :
registrar-ds-heading = Enregistrement DS (DNSSEC)
registrar-ds = Donnez ensuite cet enregistrement DS à votre registraire. Copiez chaque valeur telle quelle.
registrar-ds-choice = Il y a deux versions du même enregistrement : si votre registraire n'en accepte qu'une, donnez la première (type d'empreinte 2, SHA-256).
registrar-ds-none = L'enregistrement DS apparaîtra ici dès que la clé de la zone sera prête.
ds-key-tag = Identifiant de clé (key tag)
ds-algorithm = Algorithme
ds-digest-type = Type d'empreinte
ds-digest = Empreinte
ds-whole = L'enregistrement complet
dnssec-on-hint = DNSSEC permet aux résolveurs de vérifier que les réponses sur ce domaine viennent bien de sa zone.
dnssec-turn-on = Activer DNSSEC
dnssec-turn-off = Désactiver DNSSEC
dnssec-off-warning = Avant de désactiver DNSSEC, retirez l'enregistrement DS chez votre registraire et attendez deux jours. Sinon, le domaine cesse de fonctionner pour toutes les personnes dont le résolveur vérifie DNSSEC.
dnssec-off-confirm = L'enregistrement DS n'est plus chez mon registraire
dnssec-off-confirm-needed = Cochez la case pour confirmer que l'enregistrement DS a été retiré de chez votre registraire.
flash-dnssec-on = DNSSEC est activé. Donnez l'enregistrement DS à votre registraire.
flash-dnssec-off = DNSSEC est désactivé.
domain-delete = Supprimer ce domaine
domain-delete-hint = Sa zone n'est plus servie : ses sites web et son courriel cessent de fonctionner. Rien n'est perdu tout de suite : il peut être restauré pendant le délai de grâce de la coopérative.
domain-delete-confirm = Oui, supprimer { $name }
domain-delete-named = Supprimer { $name }
domain-delete-confirm-needed = Cochez la case pour confirmer la suppression.
domain-delete-aliases-first = D'autres domaines sont des alias de celui-ci : supprimez-les d'abord ({ $names }).
flash-domain-deleted = Le domaine a été supprimé. Il peut être restauré pendant le délai de grâce.
flash-domain-restored = Le domaine a été restauré.

## Enregistrements
records-heading = Enregistrements
records-caption = Enregistrements de { $name }
records-none = Cette zone n'a aucun enregistrement.
records-read-only-alias = Ce sont les enregistrements de { $name } : modifiez-les sur la page de ce domaine.
records-read-only-deleted = Le domaine est supprimé : restaurez-le pour modifier ses enregistrements.
record-column-ttl = TTL
record-column-status = État
record-edit = Modifier
record-delete = Supprimer
record-which = { $name } ({ $type })
record-new-title = Ajouter un enregistrement
record-create = Ajouter l'enregistrement
field-type = Type
field-ttl = TTL (secondes)
field-value = Valeur
record-hint-name = @ pour le domaine lui-même, www pour www.<domaine>, _sip._tcp pour un enregistrement SRV, ou un sous-domaine à déléguer avec NS.
record-hint-ttl = Combien de temps les résolveurs peuvent garder la réponse, en secondes. Laissez vide pour la valeur par défaut, une heure.
record-hint-value = Sa forme dépend du type :
record-help-a = une adresse IPv4 :
record-help-aaaa = une adresse IPv6 :
record-help-cname = un autre nom (pas sur @) :
record-help-mx = une priorité, puis le serveur de courriel :
record-help-txt = du texte libre, par exemple :
record-help-srv = priorité, poids, port et serveur (nom comme _sip._tcp) :
record-help-caa = drapeaux, étiquette et valeur :
record-help-ns = un serveur de noms, pour déléguer un sous-domaine :
record-edit-title = Modifier l'enregistrement { $name } ({ $type })
record-current = Enregistrement actuel
record-delete-heading = Supprimer cet enregistrement
record-delete-named = Supprimer { $name } ({ $type })
flash-record-added = L'enregistrement a été ajouté. Il sera en ligne dans quelques instants.
flash-record-updated = L'enregistrement a été enregistré. Le changement sera en ligne dans quelques instants.
flash-record-deleted = L'enregistrement a été supprimé.

## Fichiers de zone
zonefile-heading = Fichier de zone
zonefile-hint = Téléchargez la zone en fichier de zone BIND, ou remplacez ses enregistrements par ceux d'un fichier de zone de votre hébergeur précédent.
zonefile-hint-export = Téléchargez la zone en fichier de zone BIND.
zonefile-export = Télécharger le fichier de zone
zonefile-import = Importer un fichier de zone
field-zone = Fichier de zone
import-title = Importer un fichier de zone dans { $name }
import-lead = Les enregistrements de la zone deviennent ceux du fichier : ceux qui n'y sont pas sont retirés. Konbit garde son propre SOA et ses serveurs de noms. Rien ne change avant votre confirmation.
import-file-heading = Le fichier
import-change-file = Modifier le fichier
import-hint = Collez le fichier de zone (format BIND). Les noms sans point final sont relatifs au domaine.
import-preview = Voir les changements
import-failed = Le fichier contient des erreurs. Rien n'a été changé.
import-see-lines = Voir les lignes à corriger
import-preview-heading = Ce que l'importation va changer
import-no-change = La zone a déjà exactement ces enregistrements : rien à changer.
import-added = { $count ->
    [one] Un enregistrement ajouté
   *[other] { $count } enregistrements ajoutés
}
import-removed = { $count ->
    [one] Un enregistrement retiré
   *[other] { $count } enregistrements retirés
}
import-unchanged = { $count ->
    [0] Aucun enregistrement ne reste inchangé.
    [one] Un enregistrement reste inchangé.
   *[other] { $count } enregistrements restent inchangés.
}
import-ignored = { $count ->
    [one] Une ligne ignorée
   *[other] { $count } lignes ignorées
}
import-ignored-hint = Konbit les écrit lui-même : le SOA, les serveurs de noms du domaine et les enregistrements DNSSEC.
import-ignored-line = Ligne { $line } : { $type }
import-removes-warning = Les enregistrements absents du fichier seront retirés.
import-apply = Appliquer ces changements
flash-zone-imported = Le fichier de zone a été importé. Les changements seront en ligne dans quelques instants.
flash-zone-import-unchanged = La zone avait déjà ces enregistrements : rien n'a changé.
rule-too-many = { $field } : { $max } au plus sont permis.
import-upload-label = Fichier de zone à envoyer (facultatif)
import-upload-hint = Choisissez un fichier, ou collez la zone ci-dessous. Un fichier choisi remplace le texte.
