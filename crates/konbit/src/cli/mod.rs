//! The command line. Every command that changes something goes through the
//! same application services as the panel and the API, as the local
//! operator (`cli` in the audit log).

mod account;
mod audit;
mod database;
mod doctor;
mod doctor_hosting;
mod doctor_lists;
mod doctor_mail;
mod doctor_web;
mod domain;
mod governance;
mod list;
mod list_members;
mod list_setup;
mod mail;
mod mail_setup;
pub(crate) mod reconcile;
mod sftp;
mod sftp_setup;
mod site;
mod token;
mod user;
mod web_setup;

use crate::config::Config;
use crate::output::{Format, fail, fail_msg, print};
use clap::{Parser, Subcommand};
use konbit_app::App;
use konbit_core::authz::Actor;
use konbit_core::quota::QuotaLimits;
use konbit_store::Store;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "konbit",
    version,
    about = "Konbit: self-managed hosting for collectives"
)]
pub struct Cli {
    /// Configuration file (default: $KONBIT_CONFIG, then /etc/konbit/konbit.toml if it exists).
    #[arg(long, global = true, env = "KONBIT_CONFIG")]
    config: Option<PathBuf>,
    /// How results are printed.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    output: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a state directory with its configuration and database (safe to run again).
    Init {
        #[arg(long)]
        state_dir: PathBuf,
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        #[arg(long)]
        public_url: Option<url::Url>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Serve the web panel and the REST API, and run the reconciler (one process).
    Serve,
    /// Serve the web panel and the REST API only, as an unprivileged user;
    /// `konbit agent` applies the changes.
    Web,
    /// Run the reconciler and the housekeeping only, as root (no HTTP listener).
    Agent,
    /// Operator admins.
    #[command(subcommand)]
    Admin(user::AdminCommand),
    /// Accounts (member groups).
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// People and their place in accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Quota profiles.
    #[command(subcommand, name = "quota-profile")]
    QuotaProfile(account::ProfileCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// The audit log: verify its hash chain (exit code 6 if broken), list, export.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The reconciler: apply what is due (--once) or show what would change (--dry-run).
    Reconcile(reconcile::ReconcileArgs),
    /// Domains, their DNS records, zone import and export.
    #[command(subcommand)]
    Domain(domain::DomainCommand),
    /// A domain's hosted mail: on, off, show, DKIM key rotation.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Mailboxes: create, list, quota, password, automatic reply, delete and restore.
    #[command(subcommand)]
    Mailbox(mail::MailboxCommand),
    /// Mail aliases and catch-alls.
    #[command(subcommand)]
    Alias(mail::AliasCommand),
    /// Mailing lists: add, change, delete and restore.
    #[command(subcommand)]
    List(list::ListCommand),
    /// The mail servers: write and check Postfix's, Dovecot's and OpenDKIM's configuration.
    #[command(subcommand, name = "mail-server")]
    MailServer(mail_setup::MailServerCommand),
    /// Websites: add, change, enable and disable, delete and restore, certificates and logs.
    #[command(subcommand)]
    Site(site::SiteCommand),
    /// The web servers: write and check nginx's and PHP-FPM's configuration.
    #[command(subcommand, name = "web-server")]
    WebServer(web_setup::WebServerCommand),
    /// The list server: write Mailman's configuration and its passwords.
    #[command(subcommand, name = "list-server")]
    ListServer(list_setup::ListServerCommand),
    /// The SFTP server: write and check ProFTPd's configuration and host keys.
    #[command(subcommand, name = "sftp-server")]
    SftpServer(sftp_setup::SftpServerCommand),
    /// SFTP logins: add, change, enable and disable, delete.
    #[command(subcommand)]
    Sftp(sftp::SftpCommand),
    /// Members' databases on MariaDB and PostgreSQL: add, users, passwords, delete, restore, dump.
    #[command(subcommand)]
    Database(database::DatabaseCommand),
    /// Co-op governance: bodies and their rules, proposals, the lifecycle
    /// step and the digest. The operator does not vote here: votes are
    /// personal (the panel, the API, or the e-mailed one-time link).
    #[command(subcommand)]
    Governance(governance::GovernanceCommand),
    /// The public decision log: list it, verify its hash chain (exit code 1 if broken).
    #[command(subcommand)]
    Decisions(governance::DecisionsCommand),
    /// Check what Konbit depends on (state database, PowerDNS, mail, web, SFTP and database servers, Mailman) and say what is wrong.
    Doctor,
    /// Print the OpenAPI document of the REST API.
    Openapi,
}

pub async fn run(cli: Cli) -> ExitCode {
    init_logging();
    let format = cli.output;
    match cli.command {
        Command::Init {
            state_dir,
            listen,
            public_url,
        } => init(format, &state_dir, listen, public_url).await,
        Command::Openapi => match serde_json::to_string_pretty(&konbit_web::openapi()) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => fail_msg(e),
        },
        command => {
            let (config, _) = match Config::load(cli.config.as_deref()) {
                Ok(c) => c,
                Err(e) => return fail_msg(format!("configuration error: {e}")),
            };
            let app = match open(&config).await {
                Ok(app) => app,
                Err(code) => return code,
            };
            let actor = Actor::operator_cli();
            let code = match command {
                Command::Migrate => migrate(format, &app).await,
                Command::Serve | Command::Web | Command::Agent => {
                    let role = match &command {
                        Command::Web => crate::serve::Role::Web,
                        Command::Agent => crate::serve::Role::Agent,
                        _ => crate::serve::Role::All,
                    };
                    match crate::serve::run(&config, app.clone(), role).await {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => fail_msg(e),
                    }
                }
                Command::Admin(c) => user::admin(format, &app, &actor, c).await,
                Command::Account(c) => account::run(format, &app, &actor, c).await,
                Command::User(c) => user::run(format, &app, &actor, c).await,
                Command::QuotaProfile(c) => account::profiles(format, &app, &actor, c).await,
                Command::Token(c) => token::run(format, &app, &actor, c).await,
                Command::Audit(c) => audit::run(format, &app, &actor, c).await,
                Command::Reconcile(a) => reconcile::run(format, &app, &config, a).await,
                Command::Domain(c) => domain::run(format, &app, &actor, c).await,
                Command::Mail(c) => mail::mail(format, &app, &actor, c).await,
                Command::Mailbox(c) => mail::mailbox(format, &app, &actor, c).await,
                Command::Alias(c) => mail::alias(format, &app, &actor, c).await,
                Command::List(c) => list::run(format, &app, &actor, c).await,
                Command::MailServer(c) => mail_setup::run(format, &config, c).await,
                Command::Site(c) => site::run(format, &app, &actor, c).await,
                Command::WebServer(c) => web_setup::run(format, &config, c).await,
                Command::ListServer(c) => list_setup::run(format, &config, c).await,
                Command::SftpServer(c) => sftp_setup::run(format, &config, c).await,
                Command::Sftp(c) => sftp::run(format, &app, &actor, c).await,
                Command::Database(c) => database::run(format, &app, &actor, c).await,
                Command::Governance(c) => governance::run(format, &app, &actor, c).await,
                Command::Decisions(c) => governance::decisions(format, &app, c).await,
                Command::Doctor => doctor::run(format, &app, &config).await,
                Command::Init { .. } | Command::Openapi => ExitCode::SUCCESS,
            };
            app.store.close().await;
            // A change made here is applied by the running server now.
            crate::wakeup::poke(&crate::wakeup::socket_path(&config.state_dir));
            code
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Colours only on a terminal; a log file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

/// Opens the state database and brings its schema up to date.
async fn open(config: &Config) -> Result<App, ExitCode> {
    let path = config.database_path();
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        return Err(fail_msg(format!(
            "the state directory {} does not exist (state_dir); run `konbit init --state-dir {}` first",
            dir.display(),
            dir.display()
        )));
    }
    let store = Store::open(&path)
        .await
        .map_err(|e| fail_msg(format!("cannot open {}: {e}", path.display())))?;
    store
        .migrate()
        .await
        .map_err(|e| fail_msg(format!("cannot migrate {}: {e}", path.display())))?;
    let app = App::new(store, config.app_config());
    Ok(attach_list_server(app, config))
}

/// With `[lists] enabled`, the lists' members and moderation go to
/// Mailman. Without its password file (before `konbit list-server setup`)
/// they answer "not set up" rather than stopping, or cluttering, every
/// command; `konbit doctor` names the missing file.
fn attach_list_server(app: App, config: &Config) -> App {
    if !config.lists.enabled {
        return app;
    }
    match config.mailman_client() {
        Ok(client) => app.with_list_server(std::sync::Arc::new(
            crate::list_server::MailmanListServer::new(client),
        )),
        Err(e) => {
            tracing::debug!("mailing lists: {e}");
            app
        }
    }
}

async fn migrate(format: Format, app: &App) -> ExitCode {
    match app.store.migration_status().await {
        Ok((applied, known)) => {
            print(
                format,
                &serde_json::json!({ "applied": applied, "known": known }),
                |_| {
                    format!(
                        "The database schema is up to date ({applied} of {known} migrations applied)."
                    )
                },
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail_msg(e),
    }
}

async fn init(
    format: Format,
    state_dir: &Path,
    listen: Option<std::net::SocketAddr>,
    public_url: Option<url::Url>,
) -> ExitCode {
    let state_dir = match std::path::absolute(state_dir) {
        Ok(p) => p,
        Err(e) => return fail_msg(format!("bad --state-dir: {e}")),
    };
    if let Err(e) = create_private_dir(&state_dir) {
        return fail_msg(format!("cannot create {}: {e}", state_dir.display()));
    }
    let config_path = state_dir.join("konbit.toml");
    let created = !config_path.exists();
    if created {
        let mut config = Config {
            state_dir: state_dir.clone(),
            ..Config::default()
        };
        if let Some(l) = listen {
            config.listen = l;
            config.public_url = public_url.clone().unwrap_or_else(|| {
                url::Url::parse(&format!("http://{l}")).unwrap_or(config.public_url)
            });
        }
        if let Some(u) = public_url {
            config.public_url = u;
        }
        if let Err(e) = write_private(&config_path, &config.to_toml()) {
            return fail_msg(format!("cannot write {}: {e}", config_path.display()));
        }
    }
    let config = match Config::load(Some(&config_path)) {
        Ok((c, _)) => c,
        Err(e) => return fail_msg(format!("configuration error: {e}")),
    };
    let app = match open(&config).await {
        Ok(app) => app,
        Err(code) => return code,
    };
    // The key that seals 2FA secrets, created now with mode 0600 so the
    // operator can back it up (it is also created on first use).
    if let Err(e) = konbit_app::two_factor::load_or_create_key(&config.key_file_path()) {
        return fail(format, e);
    }
    let actor = Actor::operator_cli();
    let profiles = match app.quota_profiles().list(&actor).await {
        Ok(p) => p,
        Err(e) => return fail(format, e),
    };
    if profiles.is_empty() {
        let input = konbit_app::quota_profile::ProfileInput {
            name: "standard".into(),
            limits: QuotaLimits::starter(),
        };
        if let Err(e) = app.quota_profiles().create(&actor, input).await {
            return fail(format, e);
        }
    }
    app.store.close().await;
    let facts = serde_json::json!({
        "config": config_path,
        "state_dir": state_dir,
        "database": config.database_path(),
        "created": created,
    });
    print(format, &facts, |_| config_path.display().to_string());
    ExitCode::SUCCESS
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("toml.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads a password from standard input (up to the end, one trailing
/// newline removed), or makes one and says so.
pub(crate) fn password_input(from_stdin: bool) -> Result<(String, bool), konbit_app::AppError> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| {
            konbit_app::AppError::Internal(format!("cannot read the password from stdin: {e}"))
        })?;
        let s = s
            .strip_suffix('\n')
            .map(|s| s.strip_suffix('\r').unwrap_or(s))
            .unwrap_or(&s)
            .to_owned();
        Ok((s, false))
    } else {
        Ok((konbit_app::secret::random_password(), true))
    }
}
