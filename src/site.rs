//! The site file (TOML): which servers exist, their roles and how they are reached, where
//! backups go, the certificate policy, and the Interstage commands as templates. Loading
//! validates everything up front and names the line and key of every mistake.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, excerpt};
use crate::server_path::ServerPath;
use crate::shell::{Template, check_pattern};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Member,
    Single,
    Reserve,
    Standalone,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Single => "single",
            Role::Reserve => "reserve",
            Role::Standalone => "standalone",
        })
    }
}

/// Whether the CA that issued the site certificate allows it on several servers (R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CertificatePolicy {
    Allowed,
    Conditional,
    #[default]
    NotAllowed,
}

impl fmt::Display for CertificatePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            CertificatePolicy::Allowed => "allowed",
            CertificatePolicy::Conditional => "conditional",
            CertificatePolicy::NotAllowed => "not-allowed",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    #[default]
    Local,
    Ssh,
}

/// SSH settings: `[ssh]` holds the site's defaults, `[servers.NAME.ssh]` a server's own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SshFile {
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    user: Option<String>,
    /// A private key file; without one, ssh-agent is asked.
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    known_hosts: Option<String>,
    /// Pin an unknown host key on first contact instead of refusing (never a changed one).
    #[serde(default)]
    accept_new: Option<bool>,
    #[serde(default)]
    connect_timeout: Option<u64>,
    #[serde(default)]
    command_timeout: Option<u64>,
    #[serde(default)]
    idle_timeout: Option<u64>,
    #[serde(default)]
    keepalive: Option<u64>,
    /// The jump hosts to go through, in order from the controller: a name of `[jumps]`,
    /// `"a,b"`, or `["a", "b"]`; `""` or `[]` to go direct where `[ssh]` names one.
    #[serde(default)]
    jump: Option<JumpList>,
}

/// `jump = "bastion"`, `jump = "outer,bastion"` or `jump = ["outer", "bastion"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum JumpList {
    One(String),
    Chain(Vec<String>),
}

impl JumpList {
    fn names(&self) -> Vec<String> {
        let names: Vec<String> = match self {
            JumpList::One(text) => text.split(',').map(|n| n.trim().to_string()).collect(),
            JumpList::Chain(names) => names.iter().map(|n| n.trim().to_string()).collect(),
        };
        names.into_iter().filter(|n| !n.is_empty()).collect()
    }
}

impl SshFile {
    fn or(self, defaults: &SshFile) -> SshFile {
        SshFile {
            host: self.host.or_else(|| defaults.host.clone()),
            port: self.port.or(defaults.port),
            user: self.user.or_else(|| defaults.user.clone()),
            identity: self.identity.or_else(|| defaults.identity.clone()),
            known_hosts: self.known_hosts.or_else(|| defaults.known_hosts.clone()),
            accept_new: self.accept_new.or(defaults.accept_new),
            connect_timeout: self.connect_timeout.or(defaults.connect_timeout),
            command_timeout: self.command_timeout.or(defaults.command_timeout),
            idle_timeout: self.idle_timeout.or(defaults.idle_timeout),
            keepalive: self.keepalive.or(defaults.keepalive),
            jump: self.jump.or_else(|| defaults.jump.clone()),
        }
    }
}

/// How kuroko reaches a server over SSH, validated.
#[derive(Debug, Clone)]
pub struct Ssh {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub identity: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub accept_new: bool,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub idle_timeout: Duration,
    pub keepalive: Duration,
    /// The jump hosts to go through, first hop first (each hop's own `via` is empty:
    /// the chain is flat). Empty: connect directly.
    pub via: Vec<Hop>,
}

/// One jump host on the way to a server: a `[jumps.NAME]` table.
#[derive(Debug, Clone)]
pub struct Hop {
    pub name: String,
    pub ssh: Ssh,
}

/// The longest SSH timeout or keepalive interval: a week.
const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// The most jump hosts on the way to one server.
pub const MAX_HOPS: usize = 8;

/// What must match between the source and target of an import (R9).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub os: String,
    pub interstage_version: String,
    pub edition: String,
    pub install_dir: String,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            os: "linux".into(),
            interstage_version: "13.0".into(),
            edition: "enterprise".into(),
            install_dir: "/opt/FJSVisas".into(),
        }
    }
}

/// Command templates. Placeholders are replaced by shell-quoted values.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Commands {
    pub stop: String,
    pub start: String,
    pub status: String,
    /// A word in the status output that means Interstage is running …
    pub running_marker: String,
    /// … and one that means it is stopped; it wins when both appear.
    pub stopped_marker: String,
    pub modify_hostinfo: String,
    /// Run on the admin server; empty means a manual step in the management console.
    pub group_add: String,
    pub group_remove: String,
    /// Prints `group G` and `member G SERVER` lines; empty means kuroko keeps the record.
    pub group_list: String,
    /// How `group_list` prints: `lines` (`group G`, `member G SERVER`; the default),
    /// `json` (`{"G1": ["ms-01", …]}` or `[{"group": "G1", "members": [...]}]`), or
    /// `pattern` (see `group_list_pattern`).
    pub group_list_format: String,
    /// With `group_list_format = "pattern"`: a regular expression with the named groups
    /// `group` and `server`. Each line it matches is one membership; other lines are
    /// ignored (headings, blank lines).
    pub group_list_pattern: String,
}

impl Default for Commands {
    fn default() -> Self {
        Commands {
            stop: "{root}/opt/FJSVisas/bin/isstop -f".into(),
            start: "{root}/opt/FJSVisas/bin/isstart".into(),
            status: "{root}/opt/FJSVisas/bin/isstat".into(),
            running_marker: "running".into(),
            stopped_marker: "stopped".into(),
            modify_hostinfo: "{root}/opt/FJSVisas/bin/ismodifyhostinfo -f {file} -l {log}".into(),
            group_add: String::new(),
            group_remove: String::new(),
            group_list: String::new(),
            group_list_format: "lines".into(),
            group_list_pattern: String::new(),
        }
    }
}

/// Placeholders each template may use.
const PLACEHOLDERS: &[(&str, &[&str])] = &[
    ("stop", &["root"]),
    ("start", &["root"]),
    ("status", &["root"]),
    ("modify_hostinfo", &["root", "file", "log"]),
    ("group_add", &["root", "group", "server", "address", "hostname"]),
    ("group_remove", &["root", "group", "server", "address", "hostname"]),
    ("group_list", &["root"]),
    ("backup.commands", &["root", "dir"]),
    ("backup.restore_commands", &["root", "dir", "managed"]),
];

/// What a backup holds, relative to a server's root.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSpec {
    /// Paths or `*` patterns, one path component per pattern component.
    pub paths: Vec<String>,
    /// The certificate environment, excluded from imports unless the policy allows it.
    pub certificate_paths: Vec<String>,
    /// Service backup commands, run with `{dir}` before the archive is taken.
    pub commands: Vec<String>,
    /// Their restore counterparts, run after an import or restore; `{managed}` is `-s`
    /// on a managed server, as the manual's sample scripts want.
    pub restore_commands: Vec<String>,
    /// A server stopped for its backup is started again as soon as a local copy of its
    /// resources is made on its own disk; the copy then goes to the controller. With no
    /// room for it (checked first), or `false`, the backup streams while it is stopped.
    pub local_copy: bool,
}

impl Default for BackupSpec {
    fn default() -> Self {
        BackupSpec {
            paths: vec!["etc/opt/FJSV*".into(), "var/opt/FJSV*".into()],
            certificate_paths: vec!["etc/opt/FJSVisscs/security".into()],
            commands: Vec::new(),
            restore_commands: Vec::new(),
            local_copy: true,
        }
    }
}

/// kuroko's own folder on a server: its record and its private scratch space. Root-owned
/// and private; no backup pattern may reach it.
pub const KUROKO_DIR: &str = "var/opt/kuroko";
/// Where service backup commands leave their output on a server (inside kuroko's folder).
pub const SERVICE_DIR: &str = "var/opt/kuroko/service";

/// The command templates, parsed when the site is loaded.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub stop: Template,
    pub start: Template,
    pub status: Template,
    pub modify_hostinfo: Template,
    pub group_add: Template,
    pub group_remove: Template,
    pub group_list: Template,
    pub backup: Vec<Template>,
    pub restore: Vec<Template>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    site: String,
    /// The site's identity, beyond its name (two sites may both be `production`):
    /// backups, journals and the lock carry it. Derived from the name and the admin
    /// server when not given.
    #[serde(default)]
    site_id: Option<String>,
    store: String,
    #[serde(default)]
    certificate_policy: CertificatePolicy,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    facts: Option<Facts>,
    #[serde(default)]
    commands: Commands,
    #[serde(default)]
    backup: BackupSpec,
    #[serde(default)]
    ssh: SshFile,
    /// Jump hosts (bastions) on the management LAN, named by `jump` keys.
    #[serde(default)]
    jumps: BTreeMap<String, SshFile>,
    /// Every changing run must run an approved plan (`kuroko run --plan`).
    #[serde(default)]
    require_approval: bool,
    /// Who may write and approve plans: an OpenSSH allowed_signers file.
    #[serde(default)]
    approval_signers: Option<String>,
    /// Members of one group a batch may work on at once (R4, generalised).
    #[serde(default = "one")]
    group_capacity: usize,
    /// The site's own runbooks and hooks (`hooks.rhai`), relative to this file.
    #[serde(default)]
    site_folder: Option<String>,
    /// Default parameters per runbook: `[params.expand] certificate = "no"`.
    #[serde(default)]
    params: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    files: Files,
    servers: BTreeMap<String, ServerFile>,
}

fn one() -> usize {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    role: Role,
    #[serde(default)]
    group: Option<String>,
    address: String,
    hostname: String,
    #[serde(default)]
    transport: TransportKind,
    root: String,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    interstage_version: Option<String>,
    #[serde(default)]
    edition: Option<String>,
    #[serde(default)]
    install_dir: Option<String>,
    /// Run every command through `sudo -n`.
    #[serde(default)]
    sudo: bool,
    /// Folders put in front of PATH for every command (`{root}` allowed).
    #[serde(default)]
    path: Vec<String>,
    #[serde(default)]
    ssh: Option<SshFile>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    /// The role the site file declares; the admin server's group list may have moved on.
    pub role: Role,
    pub group: Option<String>,
    pub address: String,
    pub hostname: String,
    pub transport: TransportKind,
    /// The server's root folder: `/` on a real server, a folder on a rehearsal one.
    pub root: PathBuf,
    pub facts: Facts,
    pub sudo: bool,
    /// Folders put in front of PATH, as templates with `{root}`.
    pub path: Vec<Template>,
    /// Set exactly when `transport` is `ssh`.
    pub ssh: Option<Ssh>,
}

impl Server {
    /// The root as it is put in front of absolute paths in templates (`""` for `/`).
    pub fn root_prefix(&self) -> String {
        let text = self.root.to_string_lossy();
        text.trim_end_matches('/').to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    /// The site's identity (`site_id`, or derived from the name and the admin server).
    pub id: String,
    pub file: PathBuf,
    /// The sha256 of the exact text this site was parsed from (a plan's fingerprint: the
    /// file is not read again, so what was checked is what runs).
    pub file_sha256: String,
    pub store: PathBuf,
    pub certificate_policy: CertificatePolicy,
    pub groups: Vec<String>,
    pub commands: Commands,
    pub templates: Templates,
    pub backup: BackupSpec,
    pub group_capacity: usize,
    pub site_folder: Option<PathBuf>,
    pub params: BTreeMap<String, BTreeMap<String, String>>,
    pub limits: Limits,
    pub files: Files,
    pub servers: BTreeMap<String, Server>,
    /// The jump hosts, each with the chain that reaches it in its `via`.
    pub jumps: BTreeMap<String, Ssh>,
    pub require_approval: bool,
    pub approval_signers: Option<PathBuf>,
}

/// Where runbooks may write with `write_file`: folders (patterns) the operator names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Files {
    pub writable: Vec<String>,
}

impl Default for Files {
    fn default() -> Self {
        Files { writable: vec!["var/tmp".into()] }
    }
}

/// Limits every runbook of the site runs under.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Script operations (Rhai counts every expression).
    pub operations: u64,
    /// Wall time of a whole run, in seconds.
    pub seconds: u64,
    /// Bytes a run's journal may hold: a step that would go beyond is refused.
    pub journal_bytes: u64,
    /// Bytes the run's scripts may have allocated in all (kuroko's own included).
    pub memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 50_000_000,
            seconds: 24 * 3600,
            journal_bytes: crate::journal::DEFAULT_CAP,
            memory_bytes: crate::memory::DEFAULT_BUDGET,
        }
    }
}

/// The file in a store that pins the identity of the site that first used it.
pub const SITE_ID_FILE: &str = ".kuroko-site-id";

/// The identity pinned in `store` for the site called `name`, if one is.
fn pinned_id(store: &Path, name: &str) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    crate::archive::open_regular(&store.join(SITE_ID_FILE), 4096)
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    let (id, pinned_name) = text.trim().split_once(' ')?;
    (pinned_name == name && is_site_id(id)).then(|| id.to_string())
}

/// A `site_id`: 1 to 64 of `[A-Za-z0-9._-]`.
pub fn is_site_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Site {
    pub fn load(path: &Path) -> Result<Site> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            Error::Site(format!(
                "{}\n  {}",
                crate::msg!("sitefile-cannot-read", file = path.display(), error = e),
                crate::msg!("sitefile-create-hint")
            ))
        })?;
        Site::parse(path, &source)
    }

    pub fn parse(path: &Path, source: &str) -> Result<Site> {
        let file: SiteFile = match expand_ranges(source) {
            Ok(None) => toml::from_str(source).map_err(|e| parse_error(path, source, &e))?,
            Ok(Some(expanded)) => expanded.try_into().map_err(|e| parse_error(path, source, &e))?,
            Err(why) => {
                return Err(Error::Site(crate::msg!(
                    "sitefile-where",
                    file = path.display(),
                    message = why
                )));
            }
        };
        // Roots and the store are relative to the site file, wherever kuroko runs from:
        // commands run inside a server's root, so a relative root would point elsewhere.
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = std::path::absolute(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &parent
        })
        .map_err(|e| {
            Error::Site(crate::msg!(
                "sitefile-cannot-resolve-folder",
                file = path.display(),
                error = e
            ))
        })?;
        let fail = |table: &str, key: &str, message: String| {
            let line = line_of_key(source, table, key);
            let key_path =
                if table.is_empty() { key.to_string() } else { format!("{table}.{key}") };
            let file = path.display();
            let mut text = match line {
                Some(line) => crate::msg!(
                    "sitefile-where-line-key",
                    file = file,
                    line = line,
                    key = key_path,
                    message = message
                ),
                None => {
                    crate::msg!(
                        "sitefile-where-key",
                        file = file,
                        key = key_path,
                        message = message
                    )
                }
            };
            if let Some(line) = line {
                text.push('\n');
                text.push_str(&excerpt(source, line, 1));
            }
            Error::Site(text)
        };

        check_name(&file.site).map_err(|m| fail("", "site", m))?;
        let mut groups = BTreeSet::new();
        for group in &file.groups {
            check_name(group).map_err(|m| fail("", "groups", m))?;
            if !groups.insert(group.clone()) {
                return Err(fail("", "groups", crate::msg!("sitefile-group-twice", group = group)));
            }
        }
        let templates =
            parse_templates(&file.commands, &file.backup).map_err(|(key, m)| {
                match key.split_once('.') {
                    Some((table, key)) => fail(table, key, m),
                    None => fail("commands", key, m),
                }
            })?;
        for pattern in &file.files.writable {
            check_pattern(pattern).map_err(|m| fail("files", "writable", m))?;
        }
        for (key, patterns) in
            [("paths", &file.backup.paths), ("certificate_paths", &file.backup.certificate_paths)]
        {
            for pattern in patterns {
                check_pattern(pattern).map_err(|m| fail("backup", key, m))?;
                let own = ServerPath::parse(KUROKO_DIR).expect("a plain path");
                if own.touches(pattern) {
                    return Err(fail(
                        "backup",
                        key,
                        crate::msg!(
                            "sitefile-pattern-reaches-own",
                            pattern = pattern,
                            folder = KUROKO_DIR
                        ),
                    ));
                }
            }
        }
        if file.backup.paths.is_empty() {
            return Err(fail("backup", "paths", crate::msg!("sitefile-backup-no-path")));
        }
        if file.group_capacity == 0 {
            return Err(fail("", "group_capacity", crate::msg!("sitefile-group-capacity-zero")));
        }
        let default_facts = file.facts.unwrap_or_default();
        let jumps = resolve_jumps(&file.jumps, &file.ssh, &base)
            .map_err(|(table, key, m)| fail(&table, &key, m))?;

        let mut servers = BTreeMap::new();
        let mut addresses = BTreeMap::new();
        let mut admins = Vec::new();
        for (name, def) in file.servers {
            let table = format!("servers.{name}");
            check_name(&name).map_err(|m| fail("servers", &name, m))?;
            match (&def.role, &def.group) {
                (Role::Member, None) => {
                    return Err(fail(&table, "group", crate::msg!("sitefile-member-needs-group")));
                }
                (Role::Member, Some(group)) if !groups.contains(group) => {
                    let message = match suggest(group, groups.iter().map(String::as_str)) {
                        Some(s) => crate::msg!(
                            "sitefile-unknown-group-suggest",
                            group = group,
                            suggestion = s
                        ),
                        None => crate::msg!("sitefile-unknown-group-add", group = group),
                    };
                    return Err(fail(&table, "group", message));
                }
                (Role::Member, Some(_)) => {}
                (role, Some(_)) => {
                    return Err(fail(
                        &table,
                        "group",
                        crate::msg!("sitefile-role-no-group", role = role),
                    ));
                }
                (_, None) => {}
            }
            if def.role == Role::Admin {
                admins.push(name.clone());
            }
            for (what, value) in [("address", &def.address), ("hostname", &def.hostname)] {
                if !is_host_value(value) {
                    let message = if what == "address" {
                        crate::msg!("sitefile-bad-address", value = value)
                    } else {
                        crate::msg!("sitefile-bad-hostname", value = value)
                    };
                    return Err(fail(&table, what, message));
                }
                // A server may be known by one name for both (a DNS name as its address).
                if let Some(other) = addresses.insert(value.clone(), name.clone())
                    && other != *name
                {
                    let message = if what == "address" {
                        crate::msg!("sitefile-address-used", value = value, server = other)
                    } else {
                        crate::msg!("sitefile-hostname-used", value = value, server = other)
                    };
                    return Err(fail(&table, what, message));
                }
            }
            if def.root.is_empty() {
                return Err(fail(&table, "root", crate::msg!("sitefile-root-empty")));
            }
            let (root, ssh) = match (def.transport, def.ssh) {
                (TransportKind::Local, None) => (base.join(&def.root), None),
                (TransportKind::Local, Some(_)) => {
                    return Err(fail(&table, "ssh", crate::msg!("sitefile-ssh-needs-transport")));
                }
                (TransportKind::Ssh, ssh) => {
                    if !def.root.starts_with('/') {
                        return Err(fail(
                            &table,
                            "root",
                            crate::msg!("sitefile-root-not-absolute", root = def.root),
                        ));
                    }
                    let ssh = ssh.unwrap_or_default().or(&file.ssh);
                    let chain = ssh.jump.as_ref().map(JumpList::names).unwrap_or_default();
                    let via = chain_of(&chain, &jumps)
                        .map_err(|m| fail(&format!("{table}.ssh"), "jump", m))?;
                    let mut ssh = ssh_spec(ssh, &base)
                        .map_err(|(key, m)| fail(&format!("{table}.ssh"), key, m))?;
                    ssh.via = via;
                    (PathBuf::from(&def.root), Some(ssh))
                }
            };
            let mut path = Vec::new();
            for entry in &def.path {
                if entry.contains(':') || entry.contains(char::is_control) {
                    return Err(fail(
                        &table,
                        "path",
                        crate::msg!("sitefile-path-bad-char", entry = entry),
                    ));
                }
                path.push(Template::parse(entry, &["root"]).map_err(|m| fail(&table, "path", m))?);
            }
            let facts = Facts {
                os: def.os.unwrap_or_else(|| default_facts.os.clone()),
                interstage_version: def
                    .interstage_version
                    .unwrap_or_else(|| default_facts.interstage_version.clone()),
                edition: def.edition.unwrap_or_else(|| default_facts.edition.clone()),
                install_dir: def.install_dir.unwrap_or_else(|| default_facts.install_dir.clone()),
            };
            servers.insert(
                name.clone(),
                Server {
                    name,
                    role: def.role,
                    group: def.group,
                    address: def.address,
                    hostname: def.hostname,
                    transport: def.transport,
                    root,
                    facts,
                    sudo: def.sudo,
                    path,
                    ssh,
                },
            );
        }
        match admins.len() {
            1 => {}
            0 => {
                return Err(fail("", "servers", crate::msg!("sitefile-no-admin")));
            }
            _ => {
                return Err(fail(
                    "",
                    "servers",
                    crate::msg!("sitefile-many-admins", servers = admins.join(", ")),
                ));
            }
        }
        match file.commands.group_list_format.as_str() {
            "lines" | "json" => {}
            "pattern" => {
                let pattern = &file.commands.group_list_pattern;
                let named = regex::Regex::new(pattern).map_err(|e| e.to_string()).and_then(|re| {
                    let names: Vec<&str> = re.capture_names().flatten().collect();
                    if names.contains(&"group") && names.contains(&"server") {
                        Ok(())
                    } else {
                        Err(crate::msg!("sitefile-pattern-needs-groups"))
                    }
                });
                if let Err(why) = named {
                    return Err(fail(
                        "commands",
                        "group_list_pattern",
                        crate::msg!("sitefile-group-list-pattern", why = why),
                    ));
                }
            }
            other => {
                return Err(fail(
                    "commands",
                    "group_list_format",
                    crate::msg!(
                        "sitefile-group-list-format",
                        value = format!("{:?}", crate::error::sanitize(other))
                    ),
                ));
            }
        }
        if file.limits.journal_bytes > crate::journal::MAX_READ {
            return Err(fail(
                "limits",
                "journal_bytes",
                crate::msg!(
                    "sitefile-journal-bytes-too-many",
                    value = file.limits.journal_bytes,
                    max = crate::journal::MAX_READ
                ),
            ));
        }
        if let Some(name) = jumps.keys().find(|name| servers.contains_key(*name)) {
            return Err(fail("jumps", name, crate::msg!("sitefile-jump-is-server", name = name)));
        }
        if file.require_approval && file.approval_signers.is_none() {
            return Err(fail(
                "",
                "require_approval",
                crate::msg!("sitefile-approval-needs-signers"),
            ));
        }
        let admin = servers.values().find(|s| s.role == Role::Admin).expect("checked above");
        let id = match &file.site_id {
            Some(id) if is_site_id(id) => id.clone(),
            Some(id) => {
                return Err(fail(
                    "",
                    "site_id",
                    crate::msg!(
                        "sitefile-bad-site-id",
                        value = format!("{:?}", crate::error::sanitize(id))
                    ),
                ));
            }
            // Pinned in the store at first use: editing the admin server's address or
            // name later (a re-IP, new hardware) must not make this another site.
            None if pinned_id(&base.join(&file.store), &file.site).is_some() => {
                pinned_id(&base.join(&file.store), &file.site).unwrap_or_default()
            }
            None => crate::archive::sha256_hex(
                // The admin server's root tells rehearsal sites apart (`/` on real ones).
                format!(
                    "kuroko-site\0{}\0{}\0{}\0{}\0{}",
                    file.site,
                    admin.name,
                    admin.address,
                    admin.hostname,
                    admin.root.display()
                )
                .as_bytes(),
            )[..16]
                .to_string(),
        };
        Ok(Site {
            name: file.site,
            id,
            file: path.to_path_buf(),
            file_sha256: crate::archive::sha256_hex(source.as_bytes()),
            store: base.join(file.store),
            certificate_policy: file.certificate_policy,
            groups: groups.into_iter().collect(),
            commands: file.commands,
            templates,
            backup: file.backup,
            group_capacity: file.group_capacity,
            site_folder: file.site_folder.map(|f| base.join(f)),
            params: file.params,
            limits: file.limits,
            files: file.files,
            servers,
            jumps,
            require_approval: file.require_approval,
            approval_signers: file.approval_signers.map(|f| base.join(f)),
        })
    }

    pub fn admin(&self) -> &Server {
        self.servers.values().find(|s| s.role == Role::Admin).expect("validated: one admin server")
    }

    /// The server called `name`, or an error that suggests the nearest name.
    pub fn server(&self, name: &str) -> Result<&Server> {
        self.servers.get(name).ok_or_else(|| {
            Error::Usage(match suggest(name, self.servers.keys().map(String::as_str)) {
                Some(s) => crate::msg!(
                    "sitefile-unknown-server-suggest",
                    server = name,
                    site = self.name,
                    suggestion = s
                ),
                None => crate::msg!(
                    "sitefile-unknown-server",
                    server = name,
                    site = self.name,
                    servers = self.names().join(", ")
                ),
            })
        })
    }

    pub fn check_group(&self, group: &str) -> Result<()> {
        if self.groups.iter().any(|g| g == group) {
            return Ok(());
        }
        Err(Error::Usage(match suggest(group, self.groups.iter().map(String::as_str)) {
            Some(s) => crate::msg!(
                "sitefile-unknown-site-group-suggest",
                group = group,
                site = self.name,
                suggestion = s
            ),
            None => crate::msg!(
                "sitefile-unknown-site-group",
                group = group,
                site = self.name,
                groups = self.groups.join(", ")
            ),
        }))
    }

    pub fn names(&self) -> Vec<String> {
        self.servers.keys().cloned().collect()
    }

    /// The patterns an archive's units must match: the backup paths and the folder of
    /// the service backup commands.
    pub fn archive_patterns(&self) -> Vec<String> {
        let mut patterns = self.backup.paths.clone();
        patterns.push(SERVICE_DIR.to_string());
        patterns
    }

    /// Why `path` may not be written by a runbook, if it may not: it lies in (or above)
    /// the Interstage resources, the certificate environment, kuroko's own folder, or
    /// the Interstage install folder with its commands, or outside the folders the site
    /// names as writable (an allowlist: `[files] writable`, default `var/tmp`).
    pub fn protects(&self, server: &Server, path: &ServerPath) -> Option<String> {
        let backup = &self.backup;
        if let Some(p) = backup.paths.iter().find(|p| path.touches(p)) {
            return Some(crate::msg!("sitefile-protects-resources", pattern = p));
        }
        if let Some(p) = backup.certificate_paths.iter().find(|p| path.touches(p)) {
            return Some(crate::msg!("sitefile-protects-certificates", pattern = p));
        }
        if path.touches(KUROKO_DIR) {
            return Some(crate::msg!("sitefile-protects-own", folder = KUROKO_DIR));
        }
        let install = server.facts.install_dir.trim_start_matches('/');
        if !install.is_empty() && path.touches(install) {
            return Some(crate::msg!("sitefile-protects-install", folder = install));
        }
        let writable = &self.files.writable;
        if !writable.iter().any(|p| path.unit_of(p).is_some_and(|unit| &unit != path)) {
            return Some(crate::msg!(
                "sitefile-protects-not-writable",
                folders = writable.join(", ")
            ));
        }
        None
    }
}

fn parse_templates(
    commands: &Commands,
    backup: &BackupSpec,
) -> Result<Templates, (&'static str, String)> {
    let one = |key: &'static str, text: &str| {
        let allowed = PLACEHOLDERS.iter().find(|(k, _)| *k == key).map(|(_, a)| *a).unwrap_or(&[]);
        Template::parse(text, allowed).map_err(|m| (key, m))
    };
    let templates = Templates {
        stop: one("stop", &commands.stop)?,
        start: one("start", &commands.start)?,
        status: one("status", &commands.status)?,
        modify_hostinfo: one("modify_hostinfo", &commands.modify_hostinfo)?,
        group_add: one("group_add", &commands.group_add)?,
        group_remove: one("group_remove", &commands.group_remove)?,
        group_list: one("group_list", &commands.group_list)?,
        backup: backup
            .commands
            .iter()
            .map(|t| one("backup.commands", t))
            .collect::<Result<_, _>>()?,
        restore: backup
            .restore_commands
            .iter()
            .map(|t| one("backup.restore_commands", t))
            .collect::<Result<_, _>>()?,
    };
    for (key, required) in
        [("stop", &templates.stop), ("start", &templates.start), ("status", &templates.status)]
    {
        if required.is_empty() {
            return Err((key, crate::msg!("sitefile-command-empty")));
        }
    }
    Ok(templates)
}

fn ssh_spec(file: SshFile, base: &Path) -> Result<Ssh, (&'static str, String)> {
    let host = file
        .host
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| ("host", crate::msg!("sitefile-ssh-no-host")))?;
    let user =
        file.user.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "root".to_string());
    let resolve = |p: String| {
        if p.starts_with('~') {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(p.trim_start_matches("~/"))
        } else {
            base.join(p)
        }
    };
    let known_hosts = resolve(file.known_hosts.unwrap_or_else(|| "~/.ssh/known_hosts".into()));
    let seconds = |value: Option<u64>,
                   default: u64,
                   key: &'static str|
     -> Result<Duration, (&'static str, String)> {
        match value.unwrap_or(default) {
            0 => Err((key, crate::msg!("sitefile-timeout-zero"))),
            n if n > MAX_SECONDS => {
                Err((key, crate::msg!("sitefile-timeout-too-long", seconds = n, max = MAX_SECONDS)))
            }
            n => Ok(Duration::from_secs(n)),
        }
    };
    Ok(Ssh {
        host,
        port: file.port.unwrap_or(22),
        user,
        identity: file.identity.map(resolve),
        known_hosts,
        accept_new: file.accept_new.unwrap_or(false),
        connect_timeout: seconds(file.connect_timeout, 10, "connect_timeout")?,
        command_timeout: seconds(file.command_timeout, 6 * 3600, "command_timeout")?,
        idle_timeout: seconds(file.idle_timeout, 300, "idle_timeout")?,
        keepalive: seconds(file.keepalive, 15, "keepalive")?,
        via: Vec::new(),
    })
}

/// Every `[jumps.NAME]` table, validated, each with the flat chain of hops that reaches
/// it. A jump table takes its defaults from `[ssh]` except `jump`: a jump host is reached
/// directly unless its own table names one. Errors are (table, key, message).
fn resolve_jumps(
    tables: &BTreeMap<String, SshFile>,
    defaults: &SshFile,
    base: &Path,
) -> Result<BTreeMap<String, Ssh>, (String, String, String)> {
    let mut specs = BTreeMap::new();
    for (name, table) in tables {
        let key = format!("jumps.{name}");
        check_name(name).map_err(|m| ("jumps".to_string(), name.clone(), m))?;
        let mut merged = SshFile { jump: None, ..defaults.clone() };
        merged = SshFile { jump: table.jump.clone(), ..table.clone().or(&merged) };
        let spec = ssh_spec(merged, base).map_err(|(k, m)| (key.clone(), k.to_string(), m))?;
        specs.insert(name.clone(), spec);
    }
    // Flatten each jump's own chain, refusing loops and overlong chains.
    fn flatten(
        name: &str,
        tables: &BTreeMap<String, SshFile>,
        specs: &BTreeMap<String, Ssh>,
        path: &mut Vec<String>,
    ) -> Result<Vec<Hop>, String> {
        if path.iter().any(|p| p == name) {
            path.push(name.to_string());
            return Err(crate::msg!("sitefile-jump-loop", chain = path.join(" → ")));
        }
        let Some(spec) = specs.get(name) else {
            return Err(unknown_jump(name, specs.keys()));
        };
        path.push(name.to_string());
        let mut hops = Vec::new();
        for before in tables[name].jump.as_ref().map(JumpList::names).unwrap_or_default() {
            hops.extend(flatten(&before, tables, specs, path)?);
        }
        path.pop();
        hops.push(Hop { name: name.to_string(), ssh: spec.clone() });
        check_chain(&hops)?;
        Ok(hops)
    }
    let mut jumps = BTreeMap::new();
    for name in specs.keys() {
        let mut hops = flatten(name, tables, &specs, &mut Vec::new())
            .map_err(|m| (format!("jumps.{name}"), "jump".to_string(), m))?;
        let mut own = hops.pop().expect("a chain ends with the jump itself").ssh;
        own.via = hops;
        jumps.insert(name.clone(), own);
    }
    Ok(jumps)
}

/// The flat chain of hops for a `jump` list naming jump hosts in order.
fn chain_of(names: &[String], jumps: &BTreeMap<String, Ssh>) -> Result<Vec<Hop>, String> {
    let mut via = Vec::new();
    for name in names {
        let Some(jump) = jumps.get(name) else {
            return Err(unknown_jump(name, jumps.keys()));
        };
        via.extend(jump.via.iter().cloned());
        via.push(Hop { name: name.clone(), ssh: Ssh { via: Vec::new(), ..jump.clone() } });
    }
    check_chain(&via)?;
    Ok(via)
}

/// Why `name` is no jump host, suggesting the nearest of `known`.
fn unknown_jump<'a>(name: &str, known: impl Iterator<Item = &'a String>) -> String {
    match suggest(name, known.map(String::as_str)) {
        Some(s) => crate::msg!("sitefile-unknown-jump-suggest", name = name, suggestion = s),
        None => crate::msg!("sitefile-unknown-jump", name = name),
    }
}

/// A chain passes each jump host once and has at most `MAX_HOPS` of them.
fn check_chain(hops: &[Hop]) -> Result<(), String> {
    if hops.len() > MAX_HOPS {
        return Err(crate::msg!("sitefile-too-many-hops", max = MAX_HOPS));
    }
    for (index, hop) in hops.iter().enumerate() {
        if hops[..index].iter().any(|h| h.name == hop.name) {
            let names: Vec<&str> = hops.iter().map(|h| h.name.as_str()).collect();
            return Err(crate::msg!(
                "sitefile-hop-twice",
                name = hop.name,
                chain = names.join(" → ")
            ));
        }
    }
    Ok(())
}

/// An IP address or host name as kuroko writes it into `ismodifyhostinfo`'s file and
/// searches for it: letters, digits and `.-_:%[]` only (IPv4, IPv6, DNS names).
pub fn is_host_value(value: &str) -> bool {
    // What looks like an IPv4 address must be one (`192.0.2.256` is not).
    let dotted = value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    !value.is_empty()
        && value.len() <= 253
        && value.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:%[]".contains(c))
        && !value.starts_with('-')
        && (!dotted || value.parse::<std::net::Ipv4Addr>().is_ok())
}

/// A server, group, site or generation name.
pub fn is_name(name: &str) -> bool {
    check_name(name).is_ok()
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with(['.', '-']);
    if ok { Ok(()) } else { Err(crate::msg!("sitefile-bad-name", name = name)) }
}

/// The nearest of `candidates` to `word`, if any is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn parse_error(path: &Path, source: &str, error: &toml::de::Error) -> Error {
    let message = error.message().trim().to_string();
    let file = path.display();
    let mut caret = String::new();
    let mut text = match error.span() {
        Some(span) => {
            let before = &source[..span.start.min(source.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            caret = excerpt(source, line, column);
            match key_at(source, span.start) {
                Some(key) => crate::msg!(
                    "sitefile-where-line-key",
                    file = file,
                    line = line,
                    key = key,
                    message = message
                ),
                None => {
                    crate::msg!("sitefile-where-line", file = file, line = line, message = message)
                }
            }
        }
        None => crate::msg!("sitefile-where", file = file, message = message),
    };
    if let Some(hint) = suggestion_for(&message) {
        text.push_str(&format!("\n  {}", crate::msg!("sitefile-did-you-mean", suggestion = hint)));
    }
    if !caret.is_empty() {
        text.push('\n');
        text.push_str(&caret);
    }
    Error::Site(text)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (and variants), the nearest name.
fn suggestion_for(message: &str) -> Option<String> {
    let (head, expected) = message.split_once("expected")?;
    let wrong = head.split('`').nth(1)?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    suggest(wrong, candidates.into_iter()).map(str::to_string)
}

/// The dotted key whose line holds `offset`: the table header above it plus the key itself.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let before = &source[..offset.min(source.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[line_start..].find('\n').map_or(source.len(), |i| line_start + i);
    let line = source[line_start..line_end].trim();
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').replace('"', ""));
    if line.starts_with('[') {
        return Some(line.trim_matches(|c| c == '[' || c == ']').replace('"', ""));
    }
    let key = line.split_once('=').map(|(k, _)| k.trim().to_string())?;
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key,
    })
}

/// The line on which `key` is set inside `[table]`, or the table's header line.
fn line_of_key(source: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    let mut header_line = None;
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed.trim_matches(|c| c == '[' || c == ']').replace('"', "");
            if current == table {
                header_line = Some(index + 1);
            }
            continue;
        }
        if current == table
            && let Some((k, _)) = trimmed.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return Some(index + 1);
        }
    }
    header_line.or_else(|| {
        if table == "servers" { line_of_key(source, &format!("servers.{key}"), "") } else { None }
    })
}

/// The most names one range may make.
const MAX_RANGE: u64 = 100_000;

/// `PREFIX[A:B]SUFFIX` as (prefix, first, last, width, suffix): the numbers A to B, padded
/// with zeros to A's width when A starts with a zero (`ms-[001:100]`).
fn range_of(text: &str) -> Option<(String, u64, u64, usize, String)> {
    let open = text.find('[')?;
    let close = open + text[open..].find(']')?;
    let (a, b) = text[open + 1..close].split_once(':')?;
    if a.is_empty() || b.is_empty() || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (first, last) = (a.parse().ok()?, b.parse().ok()?);
    let width = if a.starts_with('0') { a.len() } else { 0 };
    Some((text[..open].to_string(), first, last, width, text[close + 1..].to_string()))
}

/// A name a range made, with the number of each of its ranges.
pub(crate) type Ranged = (String, Vec<u64>);

/// The names a range makes, with their numbers, one per range in the name:
/// `ms-[1:100]-[01:100]` makes `ms-1-01` … `ms-100-100`, 10,000 names.
pub(crate) fn range_names(text: &str) -> Result<Option<Vec<Ranged>>, String> {
    let Some((prefix, first, last, width, suffix)) = range_of(text) else { return Ok(None) };
    if first > last {
        return Err(crate::msg!("sitefile-range-backwards", range = text));
    }
    if last.checked_sub(first).is_none_or(|span| span >= MAX_RANGE) {
        return Err(crate::msg!("sitefile-range-too-large", range = text, max = MAX_RANGE));
    }
    // The rest of the name may hold further ranges: each name of this one is combined
    // with each of theirs.
    let rest = match range_names(&suffix)? {
        Some(rest) => rest,
        None => vec![(suffix, Vec::new())],
    };
    let count = (last - first + 1).checked_mul(rest.len() as u64);
    if count.is_none_or(|count| count > MAX_RANGE) {
        return Err(crate::msg!("sitefile-range-too-large", range = text, max = MAX_RANGE));
    }
    let mut names = Vec::new();
    for n in first..=last {
        for (tail, numbers) in &rest {
            let mut all = vec![n];
            all.extend(numbers);
            names.push((format!("{prefix}{n:0width$}{tail}"), all));
        }
    }
    Ok(Some(names))
}

/// `{n}`, `{n1}`, `{n2}`… (the numbers of the name's ranges, `{n}` the first; `{n2:03}`
/// padded to 3 digits) and `{name}` in every string of `value`, for one server of a range.
fn fill_range(value: &toml::Value, numbers: &[u64], name: &str) -> Result<toml::Value, String> {
    static FIELD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"\{n([1-9])?(?::0?([1-9]))?\}").expect("a valid pattern")
    });
    Ok(match value {
        toml::Value::String(s) => {
            let mut bad = None;
            let filled = FIELD.replace_all(s, |caps: &regex::Captures| {
                let index = caps.get(1).map_or(1, |m| m.as_str().parse::<usize>().unwrap_or(1));
                let width = caps.get(2).map_or(0, |m| m.as_str().parse::<usize>().unwrap_or(0));
                match numbers.get(index - 1) {
                    Some(n) => format!("{n:0width$}"),
                    None => {
                        bad = Some(caps[0].to_string());
                        String::new()
                    }
                }
            });
            if let Some(field) = bad {
                return Err(crate::msg!(
                    "sitefile-range-field",
                    field = field,
                    value = s,
                    name = name,
                    count = numbers.len()
                ));
            }
            toml::Value::String(filled.replace("{name}", name))
        }
        toml::Value::Array(items) => toml::Value::Array(
            items.iter().map(|v| fill_range(v, numbers, name)).collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => toml::Value::Table(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), fill_range(v, numbers, name)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// A site file written once for many servers: `[servers."ms-[001:100]"]` makes ms-001 to
/// ms-100, with `{n}` (the number) and `{name}` in its values (`address = "10.1.0.{n}"`),
/// and `groups = ["G[1:100]"]` makes G1 to G100. `None` when the file has no range.
fn expand_ranges(source: &str) -> Result<Option<toml::Table>, String> {
    let Ok(mut table) = source.parse::<toml::Table>() else { return Ok(None) };
    let mut changed = false;
    if let Some(toml::Value::Array(groups)) = table.get("groups") {
        let mut names = Vec::new();
        for group in groups {
            match group.as_str().map(range_names).transpose()?.flatten() {
                Some(made) => {
                    changed = true;
                    names.extend(made.into_iter().map(|(name, _)| toml::Value::String(name)));
                }
                None => names.push(group.clone()),
            }
        }
        table.insert("groups".into(), toml::Value::Array(names));
    }
    if let Some(toml::Value::Table(servers)) = table.get("servers") {
        let mut expanded = toml::Table::new();
        for (key, value) in servers {
            match range_names(key)? {
                Some(made) => {
                    changed = true;
                    for (name, numbers) in made {
                        if expanded.contains_key(&name) {
                            return Err(crate::msg!(
                                "sitefile-range-server-twice",
                                server = name,
                                range = key
                            ));
                        }
                        let filled = fill_range(value, &numbers, &name)
                            .map_err(|why| format!("[servers.\"{key}\"]: {why}"))?;
                        expanded.insert(name.clone(), filled);
                    }
                }
                None => {
                    if expanded.contains_key(key) {
                        return Err(crate::msg!("sitefile-server-twice", server = key));
                    }
                    expanded.insert(key.clone(), value.clone());
                }
            }
        }
        table.insert("servers".into(), toml::Value::Table(expanded));
    }
    Ok(changed.then_some(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_of_ranges_writes_groups_of_members_once() {
        let text = r#"
site = "big"
store = "backups"
groups = ["G[1:3]"]
[servers.adm]
role = "admin"
address = "10.0.0.1"
hostname = "adm"
root = "servers/adm"
[servers."ms-[1:3]-[01:04]"]
role = "member"
group = "G{n1}"
address = "10.{n1}.0.{n2}"
hostname = "ms-{n1:02}-{n2:03}.example"
root = "servers/{name}"
"#;
        let site = Site::parse(Path::new("/tmp/site.toml"), text).expect("loads");
        assert_eq!(site.groups, ["G1", "G2", "G3"]);
        assert_eq!(site.servers.len(), 1 + 12);
        let server = &site.servers["ms-2-03"];
        assert_eq!(server.group.as_deref(), Some("G2"));
        assert_eq!(server.address, "10.2.0.3");
        assert_eq!(server.hostname, "ms-02-003.example");
        assert!(server.root.ends_with("servers/ms-2-03"));
        // A field for a range the name does not have is an error that says so.
        let bad = text.replace("10.{n1}.0.{n2}", "10.{n3}.0.1");
        let error = Site::parse(Path::new("/tmp/site.toml"), &bad).unwrap_err().to_string();
        assert!(error.contains("`{n3}`") && error.contains("2 range(s)"), "{error}");
        // The product of the ranges is bounded as one range is.
        let huge = text.replace("ms-[1:3]-[01:04]", "ms-[1:1000]-[1:1000]");
        let error = Site::parse(Path::new("/tmp/site.toml"), &huge).unwrap_err().to_string();
        assert!(error.contains("more than 100000 names"), "{error}");
    }

    #[test]
    fn suggestions_are_offered_only_for_near_misses() {
        let names = ["transport", "role", "root"];
        assert_eq!(suggest("transprt", names.into_iter()), Some("transport"));
        assert_eq!(suggest("zzzzzzzz", names.into_iter()), None);
    }

    #[test]
    fn the_key_of_an_error_position_includes_its_table() {
        let source = "site = \"x\"\n[servers.a]\nrolee = \"admin\"\n";
        let offset = source.find("rolee").unwrap();
        assert_eq!(key_at(source, offset).as_deref(), Some("servers.a.rolee"));
    }
}
