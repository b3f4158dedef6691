## SFTP accounts and databases (issue 7)
rule-ssh-key-format = { $field }: paste an OpenSSH public key, one per line, such as "ssh-ed25519 AAAA… you@laptop" (types ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa), the content of your .pub file.
rule-ssh-key-too-weak = { $field }: this RSA key is shorter than 2048 bits; make a new one with ssh-keygen -t ed25519.
rule-db-name-format = { $field }: use lowercase letters without accents, digits and _ only.
rule-name-taken = { $field }: this name is already used; choose another one.
rule-needs-password-or-key = { $field }: give a password, an SSH key, or both; otherwise nobody could log in.
