## SFTP accounts and databases (issue 7)
rule-ssh-key-format = { $field }: paste an OpenSSH public key, one per line, such as "ssh-ed25519 AAAA… you@laptop" (types ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa), the content of your .pub file.
rule-ssh-key-too-weak = { $field }: this RSA key is shorter than 2048 bits; make a new one with ssh-keygen -t ed25519.
rule-db-name-format = { $field }: use lowercase letters without accents, digits and _ only.
rule-name-taken = { $field }: this name is already used; choose another one.
rule-needs-password-or-key = { $field }: give a password, an SSH key, or both; otherwise nobody could log in.

## SFTP and database pages: shared words
nav-sftp = SFTP
nav-databases = Databases
field-hosting-account = Account
hosting-for-account = For the account { $account }.
hosting-no-account = You belong to no account yet: ask the technical team to add you to one.
hosting-all-locked = Your accounts are locked: nothing can be added until they are unlocked.
hosting-column-status = Configuration
hosting-config-status = Configuration: { $status }
hosting-failed = The server could not apply the last change. The reason:
hosting-quota-heading = Quota
hosting-host = Server
hosting-port = Port
hosting-unit-kb = { $n } KB
password-mode-keep = Keep the current password
password-mode-generate = Generate a password for me
password-mode-generate-hint = A long random password, shown once right after you save: copy it then.
password-mode-choose = Use the password below
password-chosen = Password of your choice
password-chosen-hint = 12 to 128 characters, without spaces, quotes, backslashes or backticks.
password-mode-none = No password
password-mode-none-hint = Only the SSH keys below can log in.
password-shown-once = Copy it now: it will not be shown again. Konbit keeps only a scrambled form of it.
password-generated = Generated password

## SFTP accounts
field-sftp-login = Login
field-sftp-dir = Directory
field-sftp-password = Password
field-ssh-keys = SSH public keys
sftp-title = SFTP access
sftp-lead = Logins to put files in your space with an SFTP program (FileZilla, WinSCP, Cyberduck) or the sftp command, with a password, SSH keys or both.
sftp-not-set-up = SFTP is not set up on this server yet: no login can be added or changed. Ask the technical team.
sftp-where = The SFTP server is { $host }, port { $port }.
sftp-logins = Logins
sftp-none = No SFTP login yet.
sftp-column-login = Login
sftp-column-state = In use
sftp-whole-home = The whole space
sftp-key-count = { $count ->
    [0] No key
    [one] One key
   *[other] { $count } keys
}

## The SFTP form
sftp-new-title = Add an SFTP login
sftp-new-lead = A login of its own for each person or program is safer than one shared by all.
sftp-create = Add the login
sftp-hint-login-one = The login is { $prefix } followed by what you type here (lowercase letters, digits, _ and -). Leave empty for { $account } alone.
sftp-hint-login-many = The login starts with the account's name and _ ({ $prefixes }), followed by what you type here (lowercase letters, digits, _ and -). Leave empty for the account's name alone.
sftp-hint-dir = A folder of your space this login is limited to, such as www/blog.example.org. Leave empty for the whole space.
sftp-hint-keys = One key per line, the content of your .pub file, such as ssh-ed25519 AAAA… you@laptop. Lines starting with # are ignored.
flash-sftp-created = The login was added. It works in a few moments.

## An SFTP login's page
sftp-password-heading = Password of { $login }
sftp-about-heading = This login
sftp-created-at = Added on
sftp-connect-heading = How to connect
sftp-protocol = Protocol
sftp-command = With the sftp command
sftp-connect-hint = In FileZilla, WinSCP or Cyberduck, choose the SFTP protocol (not FTP) and give the server, the port and the login above, then the password or your key.
sftp-edit-heading = Change the login
sftp-edit-lead = Its name does not change; for another name, add another login.
flash-sftp-saved = The changes were saved. They apply in a few moments.
sftp-state-heading = In use
sftp-is-enabled = This login can connect.
sftp-is-disabled = This login is disabled: it cannot connect. Nothing is deleted.
sftp-disable-hint = Disabling it refuses its connections at once; its files stay.
sftp-disable = Disable the login
sftp-enable = Put the login back in use
flash-sftp-enabled = The login can connect again.
flash-sftp-disabled = The login is disabled.
sftp-delete = Delete this login
sftp-delete-hint = The login stops working at once. The files it put in your space stay there.
sftp-delete-confirm = Yes, delete { $login }
sftp-delete-named = Delete { $login }
sftp-delete-confirm-needed = Tick the box to confirm the deletion.
flash-sftp-deleted = The login was deleted. Its files stay in your space.

## Databases
field-db-name = Database name
field-db-engine = Engine
field-db-user = User name
field-db-right = Rights
databases-title = Databases
databases-lead = MariaDB or PostgreSQL databases for your sites and applications, each with its own user; you can add users that only read.
databases-not-set-up = No database server is set up on this server yet: no database can be added. Ask the technical team.
databases-live = Databases
databases-none = No database yet.
database-column-size = Size
database-read-only = Read-only
database-over-size = Over the limit
database-size-not-measured = Not measured yet
databases-deleted-heading = Deleted databases
databases-deleted-hint = A final copy (dump) of each deleted database is kept until the date shown: it can be restored or downloaded until then; after that, it is removed for good.
database-restore-named = Restore { $name }
database-dump-named = Download the dump of { $name }

## The database form
database-new-title = Add a database
database-new-lead = A database and its user, with the same name. Your site or application connects with this name and its password.
database-create = Add the database
database-hint-name = The name starts with { $prefixes }, followed by what you type here: lowercase letters without accents, digits and _.
database-engine-only = Engine: { $engine }.
database-engine-mariadb-help = Compatible with MySQL: WordPress, Nextcloud, most PHP applications.
database-engine-postgresql-help = For applications that ask for PostgreSQL.
flash-database-created = The database was added. It is ready in a few moments.

## A database's page
database-deleted = Deleted
database-password-heading = Password of { $user }
database-deleted-notice = This database is deleted. Its final dump is kept until { $date }: until then it can be restored, or the dump downloaded.
database-restore = Restore the database
database-read-only-notice = This database is over the size limit ({ $limit }): it is read-only until it gets smaller than that. Delete data you no longer need.
database-over-size-notice = This database is over the size limit ({ $limit }). Delete data you no longer need, or talk to the technical team.
database-connect-heading = How to connect
database-connect-database = Database
database-connect-user = User
database-connect-password = The one shown when it was made or changed (Konbit cannot show it again).
database-connection-string = Connection string
database-connection-string-hint = Without the password: your program asks for it separately, or add it after the user name, as user:password@.
database-engine-gone = This database's engine is no longer offered on this server. Ask the technical team.
database-size-heading = Size
database-size-used = Space used
database-size-measured-at = Size measured on { $date }.
database-size-hint-not-measured = The size appears after the server's next measurement.
database-size-limit = Limit per database: { $limit }.
database-users-heading = Users
database-users-lead = Who can connect to this database, and what each may do.
database-right-owner = Owner (everything, including the tables' structure)
database-right-read-write = Read and write
database-right-read-write-hint = Reads and changes data, without changing the tables' structure.
database-right-read-only = Read only
database-right-read-only-hint = For statistics or backups: reads, changes nothing.
database-user-remove-named = Remove { $user }
database-add-user-heading = Add a user
database-hint-user = The name is { $prefix } followed by what you type here: lowercase letters without accents, digits and _.
database-add-user = Add the user
flash-database-user-added = The user was added. It can connect in a few moments.
flash-database-user-deleted = The user was removed.
database-change-password-heading = Change a password
database-change-password-lead = The old password stops working in a few moments: update your site's or application's settings.
database-password-of = For the user { $user }.
database-change-password = Change the password
flash-database-password-changed = The password was changed. It works in a few moments.
database-delete = Delete this database
database-delete-hint = Konbit first makes a final dump of it, kept until { $date } (the grace period): until then the database can be restored and the dump downloaded. After that, it is gone for good.
database-delete-confirm = Yes, delete { $name }
database-delete-named = Delete { $name }
database-delete-confirm-needed = Tick the box to confirm the deletion.
flash-database-deleted = The database was deleted. Its final dump is kept for the grace period.
flash-database-restored = The database was restored from its final dump.
