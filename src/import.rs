//! `kuroko site import`: a site file written from what operators already keep, a CSV list
//! of servers or an Ansible inventory (INI), checked by loading it before it is written.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// One server as the source describes it.
#[derive(Debug, Clone, Default)]
struct Entry {
    role: String,
    group: Option<String>,
    address: String,
    hostname: String,
    user: Option<String>,
    port: Option<u16>,
}

const ROLES: &[&str] = &["admin", "member", "reserve", "standalone", "single"];

/// Reads a CSV list: a header naming `name`, `role`, `address` (and optionally `group`,
/// `hostname`, `user`, `port`), then one server per line.
fn from_csv(text: &str) -> std::result::Result<BTreeMap<String, Entry>, String> {
    let mut lines =
        text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().ok_or_else(|| crate::msg!("sitefile-csv-empty"))?;
    let columns: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
    let at = |name: &str| columns.iter().position(|c| c == name);
    let (Some(name_at), Some(role_at), Some(address_at)) = (at("name"), at("role"), at("address"))
    else {
        return Err(crate::msg!("sitefile-csv-header"));
    };
    let mut servers = BTreeMap::new();
    for (number, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |at: Option<usize>| {
            at.and_then(|i| cells.get(i)).map(|c| c.to_string()).filter(|c| !c.is_empty())
        };
        let line = number + 1;
        let name =
            cell(Some(name_at)).ok_or_else(|| crate::msg!("sitefile-csv-no-name", line = line))?;
        let entry = Entry {
            role: cell(Some(role_at))
                .ok_or_else(|| crate::msg!("sitefile-csv-no-role", line = line))?,
            group: cell(at("group")),
            address: cell(Some(address_at))
                .ok_or_else(|| crate::msg!("sitefile-csv-no-address", line = line))?,
            hostname: cell(at("hostname")).unwrap_or_else(|| name.clone()),
            user: cell(at("user")),
            port: cell(at("port"))
                .map(|p| {
                    p.parse()
                        .map_err(|_| crate::msg!("sitefile-csv-bad-port", line = line, port = p))
                })
                .transpose()?,
        };
        if servers.insert(name.clone(), entry).is_some() {
            return Err(crate::msg!("sitefile-csv-twice", line = line, name = name));
        }
    }
    Ok(servers)
}

/// Reads an Ansible INI inventory. Sections `admin`, `reserve`, `standalone` and `single`
/// give their hosts that role; any other section is a server group whose hosts are its
/// members (`:vars` and `:children` sections are skipped). `ansible_host`, `ansible_user`
/// and `ansible_port` give the address and the SSH login; `kuroko_hostname` the host name.
fn from_ansible(text: &str) -> std::result::Result<BTreeMap<String, Entry>, String> {
    let mut servers: BTreeMap<String, Entry> = BTreeMap::new();
    let mut section: Option<String> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.split([';', '#']).next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = (!name.contains(':')).then(|| name.to_string());
            continue;
        }
        let Some(section) = &section else { continue };
        let mut words = line.split_whitespace();
        let pattern = words.next().unwrap_or_default().to_string();
        // Ansible's own host ranges (`web[01:03]`) name one host each.
        let hosts = match crate::site::range_names(&pattern)
            .map_err(|e| crate::msg!("sitefile-inventory-line", line = number + 1, message = e))?
        {
            Some(made) => made.into_iter().map(|(name, _)| name).collect(),
            None => vec![pattern.clone()],
        };
        let rest: Vec<&str> = words.collect();
        for host in hosts {
            let words = rest.iter().copied();
            let vars: BTreeMap<&str, &str> = words.filter_map(|w| w.split_once('=')).collect();
            let (role, group) = if ROLES.contains(&section.as_str()) && section != "member" {
                (section.clone(), None)
            } else {
                ("member".to_string(), Some(section.clone()))
            };
            let entry = Entry {
                role,
                group,
                address: vars
                    .get("ansible_host")
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| host.clone()),
                hostname: vars
                    .get("kuroko_hostname")
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| host.clone()),
                user: vars.get("ansible_user").map(|s| s.to_string()),
                port: vars
                    .get("ansible_port")
                    .map(|p| {
                        p.parse().map_err(|_| {
                            crate::msg!("sitefile-inventory-bad-port", line = number + 1, port = p)
                        })
                    })
                    .transpose()?,
            };
            if let Some(earlier) = servers.get(&host)
                && (earlier.role != entry.role || earlier.group != entry.group)
            {
                return Err(crate::msg!(
                    "sitefile-inventory-two-places",
                    line = number + 1,
                    host = host,
                    first = earlier.group.clone().unwrap_or(earlier.role.clone()),
                    second = entry.group.clone().unwrap_or(entry.role.clone())
                ));
            }
            servers.insert(host, entry);
        }
    }
    Ok(servers)
}

/// TOML text for a string value.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The admin server's group list, saved by the operator (`--membership`), in the format
/// its `group_list` command prints.
pub struct Membership {
    pub text: String,
    pub format: String,
    pub pattern: String,
}

/// The largest group list read (as from the admin server).
const MAX_MEMBERSHIP: u64 = 16 << 20;

/// Reads a saved group list, `-` from stdin, bounded.
pub fn read_membership(file: &Path) -> Result<String> {
    use std::io::Read;
    let too_large = || {
        Error::Usage(crate::msg!(
            "sitefile-membership-too-large",
            file = file.display(),
            mib = MAX_MEMBERSHIP >> 20
        ))
    };
    let bytes = if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().lock().take(MAX_MEMBERSHIP + 1).read_to_end(&mut bytes).map_err(|e| {
            Error::Usage(crate::msg!("sitefile-cannot-read-path", path = file.display(), error = e))
        })?;
        if bytes.len() as u64 > MAX_MEMBERSHIP {
            return Err(too_large());
        }
        bytes
    } else {
        crate::archive::read_bounded(file, MAX_MEMBERSHIP).map_err(|why| match why {
            crate::archive::Unread::TooLarge => too_large(),
            crate::archive::Unread::Failed(why) => Error::Usage(why),
        })?
    };
    String::from_utf8(bytes)
        .map_err(|_| Error::Usage(crate::msg!("sitefile-not-utf8", name = file.display())))
}

/// Makes the admin server's group list the truth about roles and groups: a server it
/// lists in a group is that group's member, a server the inventory calls a member but it
/// lists nowhere is a reserve server. Returns what changed, one line each.
fn merge(
    servers: &mut BTreeMap<String, Entry>,
    groups: &mut Vec<String>,
    membership: &Membership,
) -> std::result::Result<Vec<String>, String> {
    let entries = crate::primitives::group::parse_group_list(
        &membership.text,
        &membership.format,
        &membership.pattern,
    )?;
    let live = crate::primitives::group::membership_of(
        entries,
        |name| servers.get(name).is_some_and(|e| e.role == "admin"),
        |name| servers.contains_key(name),
        &crate::msg!("sitefile-inventory-missing"),
    )?;
    let mut notes = Vec::new();
    let mut group_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (group, members) in &live {
        for member in members {
            group_of.insert(member, group);
        }
    }
    for (name, entry) in servers.iter_mut() {
        let said = match &entry.group {
            Some(group) => crate::msg!("sitefile-role-of-group", role = entry.role, group = group),
            None => entry.role.clone(),
        };
        match group_of.get(name.as_str()) {
            Some(group) => {
                if entry.role != "member" || entry.group.as_deref() != Some(group) {
                    notes.push(crate::msg!(
                        "sitefile-membership-member",
                        name = name,
                        said = said,
                        group = group
                    ));
                }
                entry.role = "member".into();
                entry.group = Some(group.to_string());
            }
            None if entry.role == "member" => {
                notes.push(crate::msg!("sitefile-membership-reserve", name = name, said = said));
                entry.role = "reserve".into();
                entry.group = None;
            }
            None => {}
        }
    }
    *groups = live.keys().cloned().collect();
    for entry in servers.values() {
        if let Some(group) = &entry.group
            && !groups.contains(group)
        {
            groups.push(group.clone());
        }
    }
    groups.sort();
    Ok(notes)
}

/// Writes the site file for `servers`, reached over SSH as installed servers (root `/`).
fn site_text(
    name: &str,
    store: &str,
    groups: &[String],
    membership: Option<&Membership>,
    servers: &BTreeMap<String, Entry>,
) -> String {
    let mut text = format!(
        "# Written by `kuroko site import`. Check it with `kuroko site check`.\nsite = {}\nstore = {}\ngroups = [{}]\n",
        quoted(name),
        quoted(store),
        groups.iter().map(|g| quoted(g)).collect::<Vec<_>>().join(", ")
    );
    // The admin server's list was read in this format: the live one is read the same way.
    if let Some(m) = membership.filter(|m| m.format != "lines") {
        text.push_str(&format!("\n[commands]\ngroup_list_format = {}\n", quoted(&m.format)));
        if m.format == "pattern" {
            text.push_str(&format!("group_list_pattern = {}\n", quoted(&m.pattern)));
        }
    }
    for (host, entry) in servers {
        text.push_str(&format!("\n[servers.{}]\nrole = {}\n", quoted(host), quoted(&entry.role)));
        if let Some(group) = &entry.group {
            text.push_str(&format!("group = {}\n", quoted(group)));
        }
        text.push_str(&format!(
            "address = {}\nhostname = {}\ntransport = \"ssh\"\nroot = \"/\"\n",
            quoted(&entry.address),
            quoted(&entry.hostname)
        ));
        // Reached at its address; the login as the source says (else `[ssh]` defaults).
        text.push_str(&format!(
            "\n[servers.{}.ssh]\nhost = {}\n",
            quoted(host),
            quoted(&entry.address)
        ));
        if let Some(user) = &entry.user {
            text.push_str(&format!("user = {}\n", quoted(user)));
        }
        if let Some(port) = entry.port {
            text.push_str(&format!("port = {port}\n"));
        }
    }
    text
}

/// `kuroko site import`: reads `source` (CSV or an Ansible inventory), writes `output` (a
/// new file; never over an existing one), after checking that kuroko loads it.
pub fn import(
    source: &Path,
    ansible: bool,
    name: &str,
    store: &str,
    output: &Path,
    membership: Option<Membership>,
) -> Result<String> {
    let text = crate::runbook::read_script(source).map_err(|e| {
        Error::Usage(crate::msg!("sitefile-cannot-read-path", path = source.display(), error = e))
    })?;
    let mut servers = if ansible { from_ansible(&text) } else { from_csv(&text) }
        .map_err(|e| Error::Usage(format!("`{}`: {e}", source.display())))?;
    if servers.is_empty() {
        return Err(Error::Usage(crate::msg!(
            "sitefile-import-no-server",
            file = source.display()
        )));
    }
    let mut groups: Vec<String> = servers.values().filter_map(|e| e.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let mut notes = Vec::new();
    if let Some(membership) = &membership {
        notes = merge(&mut servers, &mut groups, membership)
            .map_err(|e| Error::Usage(crate::msg!("sitefile-membership-error", message = e)))?;
    }
    let site = site_text(name, store, &groups, membership.as_ref(), &servers);
    // Whatever kuroko would refuse to load is refused here, before anything is written.
    crate::site::Site::parse(output, &site)?;
    if std::fs::symlink_metadata(output).is_ok() {
        return Err(Error::Usage(crate::msg!("sitefile-import-exists", file = output.display())));
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .map_err(|e| Error::io(output, e))?;
    std::io::Write::write_all(&mut file, site.as_bytes()).map_err(|e| Error::io(output, e))?;
    let mut said: Vec<String> =
        notes.into_iter().map(|n| crate::msg!("sitefile-import-note", note = n)).collect();
    said.push(crate::msg!(
        "sitefile-import-written",
        count = servers.len(),
        file = output.display()
    ));
    Ok(said.join("\n"))
}
