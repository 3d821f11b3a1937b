//! Questions a runbook asks: servers, groups, roles, states and backups. They change
//! nothing.

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::runtime::Runtime;
use crate::site::Role;

impl Runtime {
    /// `status(server)`: "running" or "stopped", asked of the server itself.
    pub fn status(&self, name: &str) -> Result<String> {
        self.check_cancel()?;
        self.server(name)?;
        let running =
            if self.dry_run() { self.state(name)?.running } else { self.read_running(name)? };
        self.set_state(name, |s| s.running = running);
        Ok(if running { "running" } else { "stopped" }.to_string())
    }

    /// `former_group(server)`: the group the server was deleted from, if it has not
    /// joined one since.
    pub fn former_group(&self, name: &str) -> Result<Option<String>> {
        self.server(name)?;
        Ok(self.removal(name)?.map(|r| r.group))
    }

    /// Backups of members of `group` (or every backup for `None`), newest first: those
    /// in the store and those this dry run planned.
    pub fn backups(&self, group: Option<&str>) -> Result<Vec<Manifest>> {
        if let Some(group) = group {
            self.site.check_group(group)?;
        }
        let (mut found, _) = self.store.list();
        found.extend(self.model().planned.values().cloned());
        found.retain(|m| {
            m.site == self.site.name && group.is_none_or(|g| m.group.as_deref() == Some(g))
        });
        found.sort_by(|a, b| (&b.created, &b.id).cmp(&(&a.created, &a.id)));
        Ok(found)
    }

    /// `latest_backup(group)`: the newest backup of a member of `group` that passes R8
    /// and has an admin backup of the same definitions (R7).
    pub fn latest_backup(&self, group: &str) -> Result<String> {
        self.site.check_group(group)?;
        let planned: Vec<String> = self.model().planned.keys().cloned().collect();
        // One listing of the store serves every candidate's R7 question.
        let all = self.backups(None)?;
        let admin = admin_definitions(&all);
        for manifest in all.iter().filter(|m| m.group.as_deref() == Some(group)) {
            if manifest.role != Role::Member {
                continue;
            }
            // A set begun and never finished (a backup-site that failed part way).
            if !planned.contains(&manifest.id)
                && self.store.generation_state(&manifest.generation)
                    == crate::store::GenerationState::Incomplete
            {
                continue;
            }
            if !planned.contains(&manifest.id)
                && let Err(e) = self.store.verify(manifest, None)
            {
                self.report.warn(&format!("skipping {e}"));
                continue;
            }
            if admin.contains(manifest.definitions.as_str()) {
                return Ok(manifest.id.clone());
            }
            self.report.warn(&format!(
                "skipping backup `{}`: no admin-server backup has the same definitions (R7)",
                manifest.id
            ));
        }
        Err(Error::Usage(format!(
            "no usable backup of a member of group `{group}` in `{}`: take one with `kuroko run backup-site`",
            self.store.root().display()
        )))
    }

    /// R7's question: is there an admin-server backup of this site with the same group
    /// definitions?
    pub fn has_consistent_admin_backup(&self, manifest: &Manifest) -> bool {
        manifest.site == self.site.name
            && self
                .backups(None)
                .is_ok_and(|all| admin_definitions(&all).contains(manifest.definitions.as_str()))
    }
}

/// The group definitions that some admin-server backup among `backups` records.
fn admin_definitions(backups: &[Manifest]) -> std::collections::BTreeSet<&str> {
    backups.iter().filter(|m| m.role == Role::Admin).map(|m| m.definitions.as_str()).collect()
}
