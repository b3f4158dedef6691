## Comptes SFTP et bases de données (issue 7)
rule-ssh-key-format = { $field } : collez une clé publique OpenSSH, une par ligne, comme « ssh-ed25519 AAAA… vous@portable » (types ssh-ed25519, ecdsa-sha2-nistp256/384/521 ou ssh-rsa), le contenu de votre fichier .pub.
rule-ssh-key-too-weak = { $field } : cette clé RSA fait moins de 2048 bits ; créez-en une nouvelle avec ssh-keygen -t ed25519.
rule-db-name-format = { $field } : utilisez seulement des lettres minuscules sans accents, des chiffres et _.
rule-name-taken = { $field } : ce nom est déjà pris ; choisissez-en un autre.
rule-needs-password-or-key = { $field } : donnez un mot de passe, une clé SSH, ou les deux ; sinon personne ne pourrait se connecter.
