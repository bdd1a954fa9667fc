//! The command line: `serve`, `migrate` and the admin tasks.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::admin;
use crate::app::{shutdown_signal, Application};
use crate::config::Config;
use crate::federation::policy::Policy;
use crate::storage::Db;

#[derive(Parser)]
#[command(
    name = "guildhall",
    version,
    about = "Guildhall: a federated coworking network. One instance per coworking space.",
    long_about = "Guildhall runs one coworking space: its members, companies, projects and events, \
                  federated with other spaces over ActivityPub.\n\nConfiguration comes from \
                  guildhall.toml (optional) and GUILDHALL_* environment variables; see the README."
)]
pub struct Cli {
    /// Configuration file (default: ./guildhall.toml when present).
    #[arg(long, global = true, env = "GUILDHALL_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the instance: apply migrations, then serve HTTP until stopped.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. On an empty instance with --admin, this also sets the space up.
    CreateUser {
        #[arg(long)]
        handle: String,
        #[arg(long)]
        email: String,
        /// Make the account an administrator of the space.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Display name.
        #[arg(long, default_value = "")]
        display_name: String,
        /// Name of the space, when this command sets it up (default: the domain).
        #[arg(long)]
        space_name: Option<String>,
    },
    /// Fill an empty instance with a believable demo space. Safe to run twice.
    SeedDemo {
        /// Add the demo data even though the instance already has accounts.
        #[arg(long)]
        force: bool,
    },
    /// Peer spaces whose directories this one pulls: add, remove or list them.
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Fill the directory with N synthetic remote entries, for load tests (no keys are made).
    SeedDirectory {
        /// How many entries to add.
        #[arg(long)]
        entries: usize,
    },
    /// Domain rules: block, silence or allow other servers, list them, import or export them
    /// as a Mastodon domain-block CSV.
    #[command(subcommand, visible_alias = "domains")]
    Domain(DomainCommand),
    /// Accounts: give a member the moderator or administrator role, or take it away.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Whom the space federates with: `open` (everyone not blocked) or `allowlist` (only
    /// domains with an allow rule).
    FederationMode {
        #[arg(value_parser = ["open", "allowlist"])]
        mode: String,
    },
    /// Send a test mail at once through the configured SMTP server and show its answer.
    MailTest {
        /// The address to send it to.
        #[arg(long)]
        to: String,
    },
}

/// `guildhall admin peer …`.
#[derive(Subcommand)]
enum PeerCommand {
    /// Add another space by its domain; a running server pulls its directory at its next round.
    Add {
        /// A domain such as harbour.example.
        domain: String,
    },
    /// Forget a space and the directory entries it brought.
    Remove { domain: String },
    /// Show the known spaces and how syncing them goes.
    List,
}

/// `guildhall admin domain …`. A rule for a domain covers its subdomains.
#[derive(Subcommand)]
enum DomainCommand {
    /// Refuse the domain: no activities in, no deliveries out, no fetches; ends follows with it.
    Block {
        /// A bare domain such as spam.example.
        domain: String,
        /// Why, for other administrators.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Federate with the domain but keep its accounts out of public views.
    Silence {
        domain: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Mark the domain as a partner; in allowlist mode only allowed domains federate.
    Allow {
        domain: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Remove whatever rule the domain has (block, silence or allow).
    Unblock { domain: String },
    /// Show the federation mode and every rule.
    List,
    /// Import a Mastodon domain-block CSV (`-` reads standard input): every row or none.
    Import { file: PathBuf },
    /// Write the rules as a Mastodon domain-block CSV to standard output.
    Export,
}

/// `guildhall admin users …`.
#[derive(Subcommand)]
enum UsersCommand {
    /// Set a member's role: `member`, `moderator` (works the reports queue) or `admin`.
    SetRole {
        handle: String,
        #[arg(value_parser = ["member", "moderator", "admin"])]
        role: String,
    },
}

/// Parses the arguments and runs the command; errors become a message and a non-zero exit.
pub fn run() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Large blocks (128 KiB and more) are mapped for each allocation and unmapped when freed, so
/// that memory used for a moment goes back to the system. By default glibc raises that
/// threshold after the first large block is freed (up to 32 MiB), and from then on keeps such
/// blocks in its heaps: each password hash (argon2id, 19 MiB) left about 19 MiB held for good,
/// and picture decoding more. Called before any thread starts. The cost is one `mmap` and
/// `munmap` per large allocation, small beside what such an allocation is for.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes a setting of the allocator; it is called once, before
    // the runtime starts any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Every ten seconds, hands the free memory inside the allocator's heaps back to the system
/// (`malloc_trim`). Blocks under the mapping threshold are carved from heaps that glibc only
/// shrinks from their top, so what a burst held and freed (the thousand connections of a
/// fan-out to a thousand hosts, closed after 10 s idle) would otherwise stay resident as free
/// space between live blocks: measured, about 20 MiB after such a fan-out (docs/benchmarks.md).
/// A trim of a heap of some tens of MiB takes well under a millisecond.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tick.tick().await;
            // SAFETY: `malloc_trim` only returns free pages of the allocator's own heaps; it
            // takes the allocator's locks as any allocation does.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    });
}

async fn dispatch(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            give_back_memory();
            let app = Application::build(config).await?;
            let addr = app.local_addr();
            tracing::info!(%addr, "listening on http://{addr}");
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate => {
            let db = Db::connect(&config.database_url).await?;
            db.migrate().await?;
            println!("migrations applied");
            for handle in crate::projects::store::handles_shared(&db).await? {
                println!(
                    "warning: the project @{handle} shares its handle with a member or a \
                     company (see docs/operations.md, migration 0024)"
                );
            }
            Ok(())
        }
        Command::Admin(AdminCommand::CreateUser {
            handle,
            email,
            admin: is_admin,
            password_stdin,
            display_name,
            space_name,
        }) => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Some(s.trim_end_matches(['\n', '\r']).to_string())
            } else {
                None
            };
            let db = open(&config).await?;
            let created = admin::users::create_user(
                &db,
                &config,
                admin::users::CreateUser {
                    handle,
                    email,
                    is_admin,
                    password,
                    display_name,
                    space_name,
                },
            )
            .await?;
            println!("created @{}", created.handle);
            if let Some(p) = created.generated_password {
                println!("password: {p}");
                println!("(shown once; change it after signing in)");
            }
            Ok(())
        }
        Command::Admin(AdminCommand::SeedDemo { force }) => {
            let db = open(&config).await?;
            let report = admin::seed::seed_demo(&db, &config, force).await?;
            println!("{report}");
            Ok(())
        }
        Command::Admin(AdminCommand::Domain(command)) => {
            let db = open(&config).await?;
            let (domain, policy, reason) = match command {
                DomainCommand::List => {
                    println!("{}", admin::domains::list(&db).await?);
                    return Ok(());
                }
                DomainCommand::Import { file } => {
                    let text = if file.as_os_str() == "-" {
                        let mut s = String::new();
                        std::io::stdin().read_to_string(&mut s)?;
                        s
                    } else {
                        std::fs::read_to_string(&file)
                            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
                    };
                    println!(
                        "{}",
                        admin::users::import_domains(&db, &config, &text).await?
                    );
                    return Ok(());
                }
                DomainCommand::Export => {
                    let csv = admin::domains_csv::export(&db)
                        .await
                        .map_err(admin::users::describe)?;
                    print!("{csv}");
                    return Ok(());
                }
                DomainCommand::Unblock { domain } => {
                    println!("{}", admin::domains::unblock(&db, &domain).await?);
                    return Ok(());
                }
                DomainCommand::Block { domain, reason } => (domain, Policy::Block, reason),
                DomainCommand::Silence { domain, reason } => (domain, Policy::Silence, reason),
                DomainCommand::Allow { domain, reason } => (domain, Policy::Allow, reason),
            };
            let message = admin::domains::set_rule(&db, &config, &domain, policy, &reason).await?;
            println!("{message}");
            Ok(())
        }
        Command::Admin(AdminCommand::Users(UsersCommand::SetRole { handle, role })) => {
            let db = open(&config).await?;
            println!("{}", admin::users::set_role(&db, &handle, &role).await?);
            Ok(())
        }
        Command::Admin(AdminCommand::Peer(command)) => {
            let db = open(&config).await?;
            let message = match command {
                PeerCommand::Add { domain } => {
                    admin::directory::add_peer(&db, &config, &domain).await?
                }
                PeerCommand::Remove { domain } => {
                    admin::directory::remove_peer(&db, &domain).await?
                }
                PeerCommand::List => admin::directory::list_peers(&db).await?,
            };
            println!("{message}");
            Ok(())
        }
        Command::Admin(AdminCommand::SeedDirectory { entries }) => {
            let db = open(&config).await?;
            println!("{}", admin::directory::seed_directory(&db, entries).await?);
            Ok(())
        }
        Command::Admin(AdminCommand::MailTest { to }) => {
            let db = open(&config).await?;
            println!("{}", admin::mail::mail_test(&db, &config, &to).await?);
            Ok(())
        }
        Command::Admin(AdminCommand::FederationMode { mode }) => {
            let db = open(&config).await?;
            println!("{}", admin::domains::set_mode(&db, &mode).await?);
            Ok(())
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// Logs go to standard error; `RUST_LOG` chooses the level (default: info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
