//! The command line (clap). Nothing else in the program sees clap: arguments become a
//! validated `Command` here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::rules::Rule;
use crate::site::CertificatePolicy;

#[derive(Parser, Debug)]
#[command(
    name = "kuroko",
    version,
    about = "Runs Interstage operations runbooks safely against multi-server sites"
)]
struct Arguments {
    /// The site file [default: $KUROKO_SITE, else ./site.toml]
    #[arg(long, global = true, value_name = "FILE")]
    site: Option<PathBuf>,
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Run a standard runbook by name, or a script by path
    Run {
        /// `expand`, `recover`, `backup-site`, or a path to a .rhai script
        runbook: String,
        /// A runbook parameter, NAME=VALUE (repeatable)
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Print the plan (every step, on which server, which rules it checks) and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Override an overridable rule (R4, R7) for this run; the override is reported
        #[arg(long, value_name = "RULE")]
        force: Vec<String>,
        /// Take manual steps as done beforehand instead of asking
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// List the standard runbooks and their parameters
    Runbooks,
    /// Pin the SSH host key of servers (all SSH servers when none is named) in known_hosts
    Trust {
        servers: Vec<String>,
        /// Replace a key that changed (check its fingerprint on the server first)
        #[arg(long)]
        replace: bool,
    },
    /// Show every server's role, group and Interstage state
    Status,
    /// List or verify the backups in the store
    Backups {
        #[command(subcommand)]
        action: BackupsAction,
    },
    /// Create and manipulate a rehearsal site on this machine
    Rehearsal {
        #[command(subcommand)]
        action: RehearsalAction,
    },
}

#[derive(Subcommand, Debug)]
enum BackupsAction {
    /// List backups, oldest first
    List {
        /// Only backups of members of this group
        #[arg(long)]
        group: Option<String>,
    },
    /// Check archives and every file against their manifests (all backups by default)
    Verify { ids: Vec<String> },
}

#[derive(Subcommand, Debug)]
enum RehearsalAction {
    /// Create a rehearsal site (servers and site.toml) in a new or empty folder
    Create {
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "not-allowed")]
        certificate_policy: Policy,
    },
    /// Make a rehearsal server fail: Interstage down, resources gone
    Fail { dir: PathBuf, server: String },
    /// Repair a failed rehearsal server: Interstage reinstalled, no group resources
    Repair { dir: PathBuf, server: String },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Policy {
    Allowed,
    Conditional,
    NotAllowed,
}

/// What to do, validated.
#[derive(Debug)]
pub enum Command {
    Run {
        site: PathBuf,
        runbook: String,
        params: BTreeMap<String, String>,
        dry_run: bool,
        force: BTreeSet<Rule>,
        yes: bool,
    },
    Runbooks,
    Trust {
        site: PathBuf,
        servers: Vec<String>,
        replace: bool,
    },
    Status {
        site: PathBuf,
    },
    BackupsList {
        site: PathBuf,
        group: Option<String>,
    },
    BackupsVerify {
        site: PathBuf,
        ids: Vec<String>,
    },
    RehearsalCreate {
        dir: PathBuf,
        policy: CertificatePolicy,
    },
    RehearsalFail {
        dir: PathBuf,
        server: String,
    },
    RehearsalRepair {
        dir: PathBuf,
        server: String,
    },
}

pub fn parse() -> Result<Command> {
    let args = Arguments::parse();
    let site = args
        .site
        .or_else(|| std::env::var_os("KUROKO_SITE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("site.toml"));
    Ok(match args.command {
        Sub::Run { runbook, params, dry_run, force, yes } => {
            let mut map = BTreeMap::new();
            for param in params {
                let (name, value) = param.split_once('=').ok_or_else(|| {
                    Error::Usage(format!(
                        "parameter `{param}` must be NAME=VALUE, like `-p server=rs-01`"
                    ))
                })?;
                if map.insert(name.trim().to_string(), value.to_string()).is_some() {
                    return Err(Error::Usage(format!("parameter `{name}` is given twice")));
                }
            }
            let mut rules = BTreeSet::new();
            for text in force.iter().flat_map(|f| f.split(',')) {
                let rule: Rule = text.parse().map_err(Error::Usage)?;
                if !rule.is_overridable() {
                    return Err(Error::Usage(format!(
                        "{rule} cannot be overridden: only R4 (planned outage) and R7 (out-of-step generation) can"
                    )));
                }
                rules.insert(rule);
            }
            Command::Run { site, runbook, params: map, dry_run, force: rules, yes }
        }
        Sub::Runbooks => Command::Runbooks,
        Sub::Trust { servers, replace } => Command::Trust { site, servers, replace },
        Sub::Status => Command::Status { site },
        Sub::Backups { action: BackupsAction::List { group } } => {
            Command::BackupsList { site, group }
        }
        Sub::Backups { action: BackupsAction::Verify { ids } } => {
            Command::BackupsVerify { site, ids }
        }
        Sub::Rehearsal { action } => match action {
            RehearsalAction::Create { dir, certificate_policy } => Command::RehearsalCreate {
                dir,
                policy: match certificate_policy {
                    Policy::Allowed => CertificatePolicy::Allowed,
                    Policy::Conditional => CertificatePolicy::Conditional,
                    Policy::NotAllowed => CertificatePolicy::NotAllowed,
                },
            },
            RehearsalAction::Fail { dir, server } => Command::RehearsalFail { dir, server },
            RehearsalAction::Repair { dir, server } => Command::RehearsalRepair { dir, server },
        },
    })
}
