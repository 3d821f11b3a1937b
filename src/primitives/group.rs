//! Server groups: who belongs where (from the admin server), and adding and deleting
//! members (R2, R5, R10). Where the site has no group command, the step is done by the
//! operator in the management console and confirmed, never skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};

use crate::archive::sha256_hex;
use crate::error::{Error, Result};
use crate::i18n::t_in;
use crate::msg;
use crate::rules::{Refusal, Rule};
use crate::runtime::{Membership, Runtime};
use crate::site::Role;
use crate::store::{Removal, now};

impl Runtime {
    /// The site's groups and members: the admin server's list where a `group_list`
    /// command is configured, otherwise the site file plus kuroko's own record.
    pub fn membership(&self) -> Result<std::sync::Arc<Membership>> {
        if let Some(membership) = &self.model().membership {
            return Ok(membership.clone());
        }
        let membership = std::sync::Arc::new(self.read_membership()?);
        self.model().membership = Some(membership.clone());
        Ok(membership)
    }

    fn read_membership(&self) -> Result<Membership> {
        let mut membership: Membership =
            self.site.groups.iter().map(|g| (g.clone(), BTreeSet::new())).collect();
        let template = &self.site.templates.group_list;
        let admin = self.site.admin();
        if template.is_empty() {
            let state = self.store.state()?;
            match state.membership {
                Some(recorded) => {
                    for (group, members) in recorded {
                        membership.entry(group).or_default().extend(members);
                    }
                }
                None => {
                    for server in self.site.servers.values().filter(|s| s.role == Role::Member) {
                        let group = server.group.clone().expect("validated");
                        membership.entry(group).or_default().insert(server.name.clone());
                    }
                }
            }
            return Ok(membership);
        }
        let command = self.command(admin, template, &[]);
        let text = self.run(&admin.name, &msg!("prim-doing-list-groups"), &command, None)?;
        if text.len() > MAX_GROUP_LIST {
            return Err(Error::on_server(
                &admin.name,
                msg!("prim-group-list-too-large", mib = MAX_GROUP_LIST >> 20),
            ));
        }
        let why = |why: String| {
            Error::on_server(
                &admin.name,
                msg!(
                    "prim-group-list-error",
                    command = crate::transport::first_line(&command),
                    why = why
                ),
            )
        };
        let entries = parse_group_list(
            &text,
            &self.site.commands.group_list_format,
            &self.site.commands.group_list_pattern,
        )
        .map_err(why)?;
        let servers = &self.site.servers;
        membership = membership_of(
            entries,
            |name| servers.get(name).is_some_and(|s| s.role == Role::Admin),
            |name| servers.contains_key(name),
            &msg!("prim-group-list-unknown-server"),
        )
        .map_err(|why| Error::on_server(&admin.name, why))?;
        Ok(membership)
    }

    /// sha256 of the group definitions: what R7 compares between backups.
    pub fn definitions(&self) -> Result<String> {
        let membership = self.membership()?;
        let mut text = String::new();
        for (group, members) in membership.iter() {
            text.push_str(&format!("group {group}\n"));
            for member in members {
                text.push_str(&format!("member {group} {member}\n"));
            }
        }
        Ok(sha256_hex(text.as_bytes()))
    }

    pub fn members_of(&self, group: &str) -> Result<BTreeSet<String>> {
        self.site.check_group(group)?;
        Ok(self.membership()?.get(group).cloned().unwrap_or_default())
    }

    /// The server's role now: the group list says who is a member; a member that was
    /// deleted from its group is a reserve server.
    pub fn role_of(&self, name: &str) -> Result<(Role, Option<String>)> {
        let live = self.live_role_of(name)?;
        if let Some(difference) = self.differs(name, &live)
            && self.model().warned.insert(name.to_string())
        {
            self.report.warn(&msg!(
                "prim-role-differs-warn",
                difference = difference,
                source = self.membership_source()
            ));
        }
        Ok(live)
    }

    /// Where the live membership comes from, for messages.
    pub fn membership_source(&self) -> String {
        if self.site.templates.group_list.is_empty() {
            msg!("prim-source-recorded")
        } else {
            msg!("prim-source-group-list")
        }
    }

    /// How the site file's declared role and group of `name` differ from `live`, if they do.
    pub fn differs(&self, name: &str, live: &(Role, Option<String>)) -> Option<String> {
        let server = self.server(name).ok()?;
        let declared = (server.role, server.group.clone());
        let same = match (&declared, live) {
            ((Role::Member, group), (Role::Member, live_group)) => group == live_group,
            ((Role::Member, _), _) | (_, (Role::Member, _)) => false,
            _ => true,
        };
        let show = |(role, group): &(Role, Option<String>)| match group {
            Some(group) => msg!("prim-role-of-group", role = role, group = group),
            None => role.to_string(),
        };
        (!same).then(|| {
            msg!("prim-role-differs", server = name, declared = show(&declared), live = show(live))
        })
    }

    /// The server's role and group on the live site, said nothing about.
    pub fn live_role_of(&self, name: &str) -> Result<(Role, Option<String>)> {
        let declared = self.server(name)?.role;
        if declared == Role::Admin {
            return Ok((Role::Admin, None));
        }
        let membership = self.membership()?;
        if let Some((group, _)) = membership.iter().find(|(_, members)| members.contains(name)) {
            return Ok((Role::Member, Some(group.clone())));
        }
        let removed = self.removal(name)?.is_some();
        Ok(match declared {
            Role::Standalone => (Role::Standalone, None),
            Role::Single if !removed => (Role::Single, None),
            _ => (Role::Reserve, None),
        })
    }

    /// The group `name` was deleted from and not added back to: the store's record, with
    /// what this dry run did over it.
    pub fn removal(&self, name: &str) -> Result<Option<Removal>> {
        if let Some(planned) = self.model().removed.get(name) {
            return Ok(planned.clone());
        }
        Ok(self.store.state()?.removed.get(name).cloned())
    }

    /// `group_add(group, server)`: on the admin server, as the last step of an expansion
    /// or a recovery.
    pub fn group_add(&self, group: &str, name: &str) -> Result<()> {
        self.check_cancel()?;
        let members = self.members_of(group)?;
        let (role, current) = self.role_of(name)?;
        match role {
            Role::Member => {
                return Err(Error::Usage(msg!(
                    "prim-group-add-member",
                    server = name,
                    group = current.unwrap_or_default()
                )));
            }
            Role::Admin => {
                return Err(Error::Usage(msg!("prim-group-add-admin", server = name)));
            }
            Role::Standalone => {
                return Err(Error::Usage(msg!("prim-group-add-standalone", server = name)));
            }
            Role::Single | Role::Reserve => {}
        }
        if role == Role::Single && !members.is_empty() {
            return Err(Refusal::new(
                Rule::R10,
                name,
                msg!("prim-r10-reason", server = name, group = group),
                msg!("prim-r10-instead", group = group),
            )
            .into());
        }
        let state = self.state(name)?;
        if let Some(p) = state.provenance.as_ref().filter(|p| p.hostinfo_pending) {
            return Err(Refusal::new(
                Rule::R5,
                name,
                msg!("prim-r5-still-holds", source = p.source_server),
                msg!("prim-r5-group-add-instead", server = name),
            )
            .into());
        }
        if !members.is_empty() {
            self.check_r2(name, group)?;
        }
        let admin = self.site.admin().name.clone();
        self.act(
            &admin,
            |l| t_in(l, "act-group-add", &[("server", name), ("group", group)]),
            &[Rule::R2, Rule::R5, Rule::R10],
        )?;
        self.change_group("group_add", group, name)?;
        let mut model = self.model();
        if let Some(membership) = model.membership.as_mut() {
            std::sync::Arc::make_mut(membership)
                .entry(group.to_string())
                .or_default()
                .insert(name.to_string());
        }
        Ok(())
    }

    fn check_r2(&self, name: &str, group: &str) -> Result<()> {
        let state = self.state(name)?;
        let removal = self.removal(name)?;
        let refuse = |reason: String| -> Result<()> {
            Err(Refusal::new(
                Rule::R2,
                name,
                reason,
                msg!("prim-r2-instead", group = group, server = name),
            )
            .into())
        };
        let Some(p) = state.provenance else {
            return refuse(msg!("prim-r2-no-record", server = name, group = group));
        };
        if !p.complete {
            return refuse(msg!("prim-r2-incomplete", backup = p.backup, server = name));
        }
        if p.source_group.as_deref() != Some(group) {
            return refuse(match &p.source_group {
                Some(source_group) => msg!(
                    "prim-r2-other-group",
                    server = name,
                    source = p.source_server,
                    source_group = source_group,
                    group = group
                ),
                None => msg!(
                    "prim-r2-other-group-none",
                    server = name,
                    source = p.source_server,
                    group = group
                ),
            });
        }
        if let Some(removal) = removal
            && removal.at > p.at
        {
            return refuse(msg!(
                "prim-r2-removed-after",
                server = name,
                group = removal.group,
                at = removal.at
            ));
        }
        Ok(())
    }

    /// `group_remove(group, server)`: the server becomes a reserve server. Nothing runs
    /// on the server itself, so a failed server can be deleted.
    pub fn group_remove(&self, group: &str, name: &str) -> Result<()> {
        self.check_cancel()?;
        let members = self.members_of(group)?;
        self.server(name)?;
        if !members.contains(name) {
            return Err(Error::Usage(msg!(
                "prim-group-remove-not-member",
                server = name,
                group = group
            )));
        }
        let admin = self.site.admin().name.clone();
        self.act(
            &admin,
            |l| t_in(l, "act-group-delete", &[("server", name), ("group", group)]),
            &[],
        )?;
        self.change_group("group_remove", group, name)?;
        let removal = Removal { group: group.to_string(), at: now() };
        if self.dry_run() {
            self.model().removed.insert(name.to_string(), Some(removal));
        } else {
            let mut state = self.store.state()?;
            state.removed.insert(name.to_string(), removal);
            self.store.save_state(&state)?;
        }
        let mut model = self.model();
        if let Some(membership) = model.membership.as_mut() {
            std::sync::Arc::make_mut(membership).entry(group.to_string()).or_default().remove(name);
        }
        Ok(())
    }

    /// Runs the group command on the admin server, or asks the operator to do the step,
    /// then checks the admin server's list agrees.
    fn change_group(&self, which: &str, group: &str, name: &str) -> Result<()> {
        let admin = self.site.admin();
        let server = self.server(name)?;
        let template = if which == "group_add" {
            &self.site.templates.group_add
        } else {
            &self.site.templates.group_remove
        };
        let adding = which == "group_add";
        if self.dry_run() {
            if adding {
                self.model().removed.insert(name.to_string(), None);
            }
            return Ok(());
        }
        if template.is_empty() {
            let text = if adding {
                msg!(
                    "prim-console-add",
                    admin = admin.name,
                    server = name,
                    address = server.address,
                    group = group
                )
            } else {
                msg!(
                    "prim-console-remove",
                    admin = admin.name,
                    server = name,
                    address = server.address,
                    group = group
                )
            };
            self.manual_step(&text)?;
        } else {
            let command = self.command(
                admin,
                template,
                &[
                    ("group", group),
                    ("server", name),
                    ("address", &server.address),
                    ("hostname", &server.hostname),
                ],
            );
            self.run(&admin.name, which, &command, None)?;
        }
        if self.site.templates.group_list.is_empty() {
            let mut state = self.store.state()?;
            let mut membership = (*self.membership()?).clone();
            let members = membership.entry(group.to_string()).or_default();
            if adding {
                members.insert(name.to_string());
            } else {
                members.remove(name);
            }
            state.membership = Some(
                membership.iter().map(|(g, m)| (g.clone(), m.iter().cloned().collect())).collect(),
            );
            if adding {
                state.removed.remove(name);
            }
            self.store.save_state(&state)?;
            self.model().membership = None;
            return Ok(());
        }
        self.model().membership = None;
        let listed = self.members_of(group)?.contains(name);
        if listed != adding {
            return Err(Error::on_server(
                &admin.name,
                if listed {
                    msg!("prim-group-still-listed", which = which, server = name, group = group)
                } else {
                    msg!("prim-group-not-listed", which = which, server = name, group = group)
                },
            ));
        }
        if adding {
            let mut state = self.store.state()?;
            if state.removed.remove(name).is_some() {
                self.store.save_state(&state)?;
            }
        }
        Ok(())
    }

    /// `manual_step(text)`: a step only a person can do. On a terminal it waits for the
    /// operator to type `done`; with `--yes` it is taken as done beforehand.
    pub fn manual_step(&self, text: &str) -> Result<()> {
        self.check_cancel()?;
        self.manual(text)?;
        self.report.note(None, &crate::i18n::t("manual-step", &[("text", text)]));
        if self.dry_run() {
            return Ok(());
        }
        if self.options.assume_yes {
            self.report.note(None, &format!("  {}", msg!("prim-manual-confirmed")));
            return Ok(());
        }
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Err(Error::NeedsOperator(format!(
                "{}\n  {}",
                msg!("prim-manual-needs-operator", text = text),
                msg!("prim-manual-needs-operator-hint")
            )));
        }
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "  {} ", crate::i18n::t("prompt-done", &[]));
        let _ = out.flush();
        drop(out);
        let mut answer = String::new();
        stdin.lock().read_line(&mut answer).map_err(|e| Error::Other(e.into()))?;
        self.check_cancel()?;
        if answer.trim() == "done" {
            Ok(())
        } else {
            Err(Error::NeedsOperator(msg!("prim-manual-not-confirmed", text = text)))
        }
    }
}

/// The largest group list kuroko reads (100 groups of 100 servers take far less).
const MAX_GROUP_LIST: usize = 16 << 20;

/// Membership from group-list entries: every group a valid name, a server in one group
/// at most, never the admin server (`is_admin`), only servers that `known` knows
/// (`unknown` says what to do about another).
pub fn membership_of(
    entries: Vec<(String, Option<String>)>,
    is_admin: impl Fn(&str) -> bool,
    known: impl Fn(&str) -> bool,
    unknown: &str,
) -> std::result::Result<BTreeMap<String, BTreeSet<String>>, String> {
    let mut membership: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (group, server) in entries {
        if !crate::site::is_name(&group) {
            return Err(msg!("prim-group-list-bad-name", group = crate::error::sanitize(&group)));
        }
        if let Some(server) = &server {
            if let Some((other, _)) =
                membership.iter().find(|(g, m)| **g != group && m.contains(server))
            {
                return Err(msg!(
                    "prim-group-list-two-groups",
                    server = crate::error::sanitize(server),
                    other = other,
                    group = group
                ));
            }
            if is_admin(server) {
                return Err(msg!("prim-group-list-admin", server = server, group = group));
            }
            if !known(server) {
                return Err(msg!(
                    "prim-group-list-unknown",
                    server = crate::error::sanitize(server),
                    group = group,
                    unknown = unknown
                ));
            }
        }
        let members = membership.entry(group).or_default();
        if let Some(server) = server {
            members.insert(server);
        }
    }
    Ok(membership)
}

/// The admin server's group list as (group, member) entries, a group with no member as
/// (group, None), in the site's format: `lines`, `json` or `pattern`.
pub fn parse_group_list(
    text: &str,
    format: &str,
    pattern: &str,
) -> std::result::Result<Vec<(String, Option<String>)>, String> {
    let mut entries = Vec::new();
    match format {
        "json" => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| msg!("prim-group-list-not-json", error = e))?;
            let names = |v: &serde_json::Value| -> std::result::Result<Vec<String>, String> {
                v.as_array()
                    .ok_or_else(|| msg!("prim-group-list-members-list"))?
                    .iter()
                    .map(|m| {
                        m.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| msg!("prim-group-list-member-name"))
                    })
                    .collect()
            };
            match &value {
                serde_json::Value::Object(groups) => {
                    for (group, members) in groups {
                        entries.push((group.clone(), None));
                        for m in names(members)? {
                            entries.push((group.clone(), Some(m)));
                        }
                    }
                }
                serde_json::Value::Array(groups) => {
                    for g in groups {
                        let group = g["group"]
                            .as_str()
                            .ok_or_else(|| msg!("prim-group-list-entry-group"))?;
                        entries.push((group.to_string(), None));
                        for m in names(&g["members"])? {
                            entries.push((group.to_string(), Some(m)));
                        }
                    }
                }
                _ => {
                    return Err(msg!("prim-group-list-shape"));
                }
            }
        }
        "pattern" => {
            let re = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
            for line in text.lines() {
                if let Some(caps) = re.captures(line)
                    && let (Some(group), Some(server)) = (caps.name("group"), caps.name("server"))
                {
                    entries.push((group.as_str().to_string(), Some(server.as_str().to_string())));
                }
            }
        }
        _ => {
            for (number, line) in text.lines().enumerate() {
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    [] => {}
                    ["group", group] => entries.push((group.to_string(), None)),
                    ["member", group, server] => {
                        entries.push((group.to_string(), Some(server.to_string())))
                    }
                    _ => {
                        let shown: String = line.chars().take(200).collect();
                        return Err(msg!(
                            "prim-group-list-bad-line",
                            line = number + 1,
                            text = crate::error::sanitize(&shown)
                        ));
                    }
                }
            }
        }
    }
    Ok(entries)
}
