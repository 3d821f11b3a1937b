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
    /// Messages in `ja` (日本語) or `en` [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, global = true, value_name = "ja|en")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Run a standard runbook by name, or a script by path
    Run {
        /// `expand`, `recover`, `backup-site`, or a path to a .rhai script (with `--plan`:
        /// the plan's runbook)
        #[arg(required_unless_present = "plan")]
        runbook: Option<String>,
        /// Run exactly what this approved plan (`kuroko plan`, `kuroko approve`) says
        #[arg(long, value_name = "PLAN")]
        plan: Option<PathBuf>,
        /// A runbook parameter, NAME=VALUE (repeatable)
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        #[command(flatten)]
        flags: RunFlags,
    },
    /// Run one operation on many servers at once, with bounded parallelism
    Batch {
        /// Which servers: `all`, `group:G1`, `role:member`, `ms-01,ms-02` or a pattern like `ms-*`
        targets: String,
        /// What to do on each server
        #[arg(value_enum)]
        operation: Operation,
        /// With `run`: a runbook (stdlib name or path) taking `-p server=…`, given each server in turn
        runbook: Option<String>,
        /// A runbook parameter, NAME=VALUE (repeatable)
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Servers worked on at once
        #[arg(long, default_value_t = crate::batch::DEFAULT_FORKS)]
        forks: usize,
        /// Rolling batches: servers per batch, a number or a percentage (`25%`) [default: all]
        #[arg(long, value_name = "N|N%")]
        batch: Option<String>,
        /// Seconds to wait between batches
        #[arg(long, default_value_t = 0)]
        pause: u64,
        /// `stop` at the first failure, `continue`, or stop past a percentage of failures (`20%`)
        #[arg(long, default_value = "stop")]
        on_failure: String,
        #[command(flatten)]
        flags: RunFlags,
    },
    /// Resume a failed or interrupted run at its failed step (refused if the runbook changed)
    Resume {
        run: String,
        /// Take manual steps as done beforehand
        #[arg(long, short = 'y')]
        yes: bool,
        /// Wait up to this long (`90s`, `10m`) for another run on the site to end
        #[arg(long, value_name = "DURATION")]
        wait: Option<String>,
        /// Override an overridable rule (R4, R7) for this run
        #[arg(long, value_name = "RULE")]
        force: Vec<String>,
    },
    /// A report of a run from its journal (Markdown, or HTML with --html)
    Report {
        run: String,
        #[arg(long)]
        html: bool,
    },
    /// List the runs in the journal
    Runs,
    /// An interactive Rhai prompt against the site, with the same rules and journal
    Repl {
        /// Take manual steps as done beforehand
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Compile runbooks and their imports and report every error, before anything runs
    Check {
        /// stdlib names or paths
        #[arg(required = true)]
        runbooks: Vec<String>,
    },
    /// Print the reference of every primitive (Markdown; kept in docs/primitives.md)
    Reference,
    /// Write the dry run of a runbook as a procedure document (手順書) to approve
    Plan {
        /// `expand`, `recover`, `backup-site`, or a path to a .rhai script
        runbook: String,
        /// A runbook parameter, NAME=VALUE (repeatable)
        #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// The plan file to write (Markdown; must not exist)
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// Also write it as a printable page (HTML, A4)
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// The author's SSH private key: the plan is signed with it (`ssh-keygen -Y sign`)
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
    },
    /// Approve a plan with your SSH key (you cannot approve your own)
    Approve {
        plan: PathBuf,
        /// The approver's SSH private key
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
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
    /// Servers that a run which died (killed, power loss) left stopped: list them, start
    /// them again, or say they stay stopped
    Abandoned {
        /// Start them again (R11), each with the checks `start_interstage` makes
        #[arg(long, conflicts_with = "acknowledge")]
        start: bool,
        /// Leave them stopped on purpose and let changing runs go on
        #[arg(long)]
        acknowledge: bool,
    },
    /// Compare the site file with the live site
    Site {
        #[command(subcommand)]
        action: SiteAction,
    },
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

/// How a run may act: the flags `run` and `batch` share.
#[derive(clap::Args, Debug)]
struct RunFlags {
    /// Print the plan (every step, on which server, which rules it checks) and change nothing
    #[arg(long)]
    dry_run: bool,
    /// Override an overridable rule (R4, R7) for this run; the override is reported
    #[arg(long, value_name = "RULE")]
    force: Vec<String>,
    /// Take manual steps as done beforehand instead of asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// Wait up to this long (`90s`, `10m`) for another run on the site to end
    #[arg(long, value_name = "DURATION")]
    wait: Option<String>,
}

impl RunFlags {
    fn options(&self) -> Result<RunOptions> {
        Ok(RunOptions {
            dry_run: self.dry_run,
            force: parse_force(&self.force)?,
            yes: self.yes,
            wait: parse_wait(self.wait.as_deref())?,
        })
    }
}

/// `--wait DURATION`: a humantime duration (`90s`, `10m`, `1h`) or plain seconds.
fn parse_wait(text: Option<&str>) -> Result<Option<std::time::Duration>> {
    let Some(text) = text else { return Ok(None) };
    let parsed = match text.parse::<u64>() {
        Ok(seconds) => Ok(std::time::Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(text),
    };
    parsed
        .map(Some)
        .map_err(|e| Error::Usage(crate::msg!("sitefile-cli-bad-wait", text = text, error = e)))
}

#[derive(Subcommand, Debug)]
enum SiteAction {
    /// List every difference between the site file and the live site (roles, groups,
    /// servers that cannot be reached); exit 1 if there is one
    Check,
    /// Write a new site file from a CSV list of servers or an Ansible inventory (INI)
    Import {
        /// The CSV file (header: name,role,address[,group,hostname,user,port])
        #[arg(long, conflicts_with = "ansible", required_unless_present = "ansible")]
        csv: Option<PathBuf>,
        /// The Ansible inventory (sections admin/reserve/standalone/single, others are groups)
        #[arg(long)]
        ansible: Option<PathBuf>,
        /// The site's name
        #[arg(long)]
        name: String,
        /// The backup store, relative to the new site file
        #[arg(long, default_value = "backups")]
        store: String,
        /// The site file to write (must not exist)
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// The admin server's group list, saved from its `group_list` command (`-`: stdin);
        /// it decides every server's role and group
        #[arg(long)]
        membership: Option<PathBuf>,
        /// How that list is written: lines (`group G` / `member G S`), json or pattern
        #[arg(long, default_value = "lines", value_parser = ["lines", "json", "pattern"])]
        membership_format: String,
        /// With `--membership-format pattern`: a regular expression with the named groups
        /// `(?P<group>…)` and `(?P<server>…)`
        #[arg(long)]
        membership_pattern: Option<String>,
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
    /// Remove old backups as a retention policy says; keeps what restores still need
    Prune {
        /// Keep the N newest complete generations (and what they need)
        #[arg(long, value_name = "N")]
        keep_generations: Option<usize>,
        /// Keep every backup taken in the last D days
        #[arg(long, value_name = "D")]
        keep_days: Option<u64>,
        /// Say what would be removed, and remove nothing
        #[arg(long)]
        dry_run: bool,
        /// Wait up to this long (`90s`, `10m`) for another run on the site to end
        #[arg(long, value_name = "DURATION")]
        wait: Option<String>,
    },
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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Ask each server whether Interstage runs (changes nothing; no group limit)
    Status,
    /// Back up each server into one shared generation
    Backup,
    /// Stop and start Interstage on each server
    Restart,
    /// Run a runbook with `-p server=NAME` for each server
    Run,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Policy {
    Allowed,
    Conditional,
    NotAllowed,
}

/// How a run may act: shared by `run` and `batch`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dry_run: bool,
    pub force: BTreeSet<Rule>,
    pub yes: bool,
    /// How long to wait for the site's lock.
    pub wait: Option<std::time::Duration>,
}

/// What to do, validated.
#[derive(Debug)]
pub enum Command {
    Run {
        site: PathBuf,
        runbook: Option<String>,
        params: BTreeMap<String, String>,
        options: RunOptions,
        plan: Option<PathBuf>,
    },
    Plan {
        site: PathBuf,
        runbook: String,
        params: BTreeMap<String, String>,
        output: PathBuf,
        html: Option<PathBuf>,
        key: PathBuf,
    },
    Approve {
        site: PathBuf,
        plan: PathBuf,
        key: PathBuf,
    },
    Batch {
        site: PathBuf,
        targets: String,
        operation: Operation,
        runbook: Option<String>,
        params: BTreeMap<String, String>,
        forks: usize,
        batch: crate::batch::BatchSize,
        pause: std::time::Duration,
        on_failure: crate::batch::OnFailure,
        options: RunOptions,
    },
    Check {
        site: Option<PathBuf>,
        runbooks: Vec<String>,
    },
    Resume {
        site: PathBuf,
        run: String,
        options: RunOptions,
    },
    Report {
        site: PathBuf,
        run: String,
        html: bool,
    },
    Runs {
        site: PathBuf,
    },
    Repl {
        site: PathBuf,
        options: RunOptions,
    },
    Reference,
    Runbooks,
    Trust {
        site: PathBuf,
        servers: Vec<String>,
        replace: bool,
    },
    Status {
        site: PathBuf,
    },
    SiteCheck {
        site: PathBuf,
    },
    SiteImport {
        source: PathBuf,
        ansible: bool,
        name: String,
        store: String,
        output: PathBuf,
        /// (file, format, pattern)
        membership: Option<(PathBuf, String, String)>,
    },
    Abandoned {
        site: PathBuf,
        start: bool,
        acknowledge: bool,
    },
    BackupsList {
        site: PathBuf,
        group: Option<String>,
    },
    BackupsPrune {
        site: PathBuf,
        keep_generations: Option<usize>,
        keep_days: Option<u64>,
        dry_run: bool,
        wait: Option<std::time::Duration>,
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
    if let Some(lang) = &args.lang {
        let chosen = crate::i18n::parse(lang)
            .ok_or_else(|| Error::Usage(crate::msg!("sitefile-cli-bad-lang", lang = lang)))?;
        crate::i18n::choose(chosen);
    }
    let site = args
        .site
        .or_else(|| std::env::var_os("KUROKO_SITE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("site.toml"));
    Ok(match args.command {
        Sub::Run { runbook, plan, params, flags } => Command::Run {
            site,
            runbook,
            params: parse_params(&params)?,
            options: flags.options()?,
            plan,
        },
        Sub::Plan { runbook, params, output, html, key } => {
            Command::Plan { site, runbook, params: parse_params(&params)?, output, html, key }
        }
        Sub::Approve { plan, key } => Command::Approve { site, plan, key },
        Sub::Batch {
            targets,
            operation,
            runbook,
            params,
            forks,
            batch,
            pause,
            on_failure,
            flags,
        } => {
            if (operation == Operation::Run) != runbook.is_some() {
                return Err(Error::Usage(if runbook.is_some() {
                    crate::msg!("sitefile-cli-only-run-runbook")
                } else {
                    crate::msg!("sitefile-cli-run-needs-runbook")
                }));
            }
            if forks == 0 {
                return Err(Error::Usage(crate::msg!("sitefile-cli-forks-zero")));
            }
            Command::Batch {
                site,
                targets,
                operation,
                runbook,
                params: parse_params(&params)?,
                forks,
                batch: match batch {
                    Some(text) => text.parse()?,
                    None => crate::batch::BatchSize::All,
                },
                pause: std::time::Duration::from_secs(pause),
                on_failure: on_failure.parse()?,
                options: flags.options()?,
            }
        }
        Sub::Runbooks => Command::Runbooks,
        Sub::Check { runbooks } => Command::Check { site: Some(site), runbooks },
        Sub::Resume { run, yes, force, wait } => Command::Resume {
            site,
            run,
            options: RunOptions {
                dry_run: false,
                force: parse_force(&force)?,
                yes,
                wait: parse_wait(wait.as_deref())?,
            },
        },
        Sub::Report { run, html } => Command::Report { site, run, html },
        Sub::Runs => Command::Runs { site },
        Sub::Repl { yes } => Command::Repl {
            site,
            options: RunOptions { dry_run: false, force: BTreeSet::new(), yes, wait: None },
        },
        Sub::Reference => Command::Reference,
        Sub::Trust { servers, replace } => Command::Trust { site, servers, replace },
        Sub::Status => Command::Status { site },
        Sub::Site { action: SiteAction::Check } => Command::SiteCheck { site },
        Sub::Site {
            action:
                SiteAction::Import {
                    csv,
                    ansible,
                    name,
                    store,
                    output,
                    membership,
                    membership_format,
                    membership_pattern,
                },
        } => {
            let (source, ansible) = match (csv, ansible) {
                (Some(csv), None) => (csv, false),
                (None, Some(inventory)) => (inventory, true),
                _ => return Err(Error::Usage(crate::msg!("sitefile-cli-csv-or-ansible"))),
            };
            let membership = match (membership, membership_format.as_str(), membership_pattern) {
                (None, _, Some(_)) => {
                    return Err(Error::Usage(crate::msg!("sitefile-cli-pattern-needs-membership")));
                }
                (None, _, None) => None,
                (Some(_), "pattern", None) => {
                    return Err(Error::Usage(crate::msg!("sitefile-cli-format-needs-pattern")));
                }
                (Some(file), format, pattern) => {
                    Some((file, format.to_string(), pattern.unwrap_or_default()))
                }
            };
            Command::SiteImport { source, ansible, name, store, output, membership }
        }
        Sub::Abandoned { start, acknowledge } => Command::Abandoned { site, start, acknowledge },
        Sub::Backups { action: BackupsAction::List { group } } => {
            Command::BackupsList { site, group }
        }
        Sub::Backups { action: BackupsAction::Verify { ids } } => {
            Command::BackupsVerify { site, ids }
        }
        Sub::Backups {
            action: BackupsAction::Prune { keep_generations, keep_days, dry_run, wait },
        } => {
            if keep_generations.is_none() && keep_days.is_none() {
                return Err(Error::Usage(crate::msg!("sitefile-cli-prune-needs-policy")));
            }
            if keep_generations == Some(0) {
                return Err(Error::Usage(crate::msg!("sitefile-cli-keep-zero")));
            }
            Command::BackupsPrune {
                site,
                keep_generations,
                keep_days,
                dry_run,
                wait: parse_wait(wait.as_deref())?,
            }
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

fn parse_params(params: &[String]) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for param in params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| Error::Usage(crate::msg!("sitefile-cli-param-form", param = param)))?;
        if map.insert(name.trim().to_string(), value.to_string()).is_some() {
            return Err(Error::Usage(crate::msg!("sitefile-cli-param-twice", name = name)));
        }
    }
    Ok(map)
}

fn parse_force(force: &[String]) -> Result<BTreeSet<Rule>> {
    let mut rules = BTreeSet::new();
    for text in force.iter().flat_map(|f| f.split(',')) {
        let rule: Rule = text.parse().map_err(Error::Usage)?;
        if !rule.is_overridable() {
            return Err(Error::Usage(crate::msg!("sitefile-cli-not-overridable", rule = rule)));
        }
        rules.insert(rule);
    }
    Ok(rules)
}
