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
