//! Putting a backup onto a server: `restore` (the same server, or a recovered member of
//! the backup's group) and `import` (移入: another server), with R1, R3, R6, R7, R8 and
//! R9 checked first, and `set_ip` for the server-specific information (R5).

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::rules::{Refusal, Rule};
use crate::runtime::{Provenance, Runtime, SCRATCH};
use crate::site::{CertificatePolicy, Role, SERVICE_DIR, Server, shell_quote};
use crate::store::now;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Restore,
    Import,
}

impl Runtime {
    /// A backup by id: from the store, or one this dry run planned.
    pub fn manifest(&self, id: &str) -> Result<Manifest> {
        if let Some(manifest) = self.model().planned.get(id) {
            return Ok(manifest.clone());
        }
        self.store.load(id)
    }

    /// `restore(backup, server)`.
    pub fn restore(&self, id: &str, target: &str) -> Result<()> {
        self.put(id, target, Mode::Restore, None)
    }

    /// `import_backup(backup, server[, #{ certificate: bool }])`.
    pub fn import(&self, id: &str, target: &str, certificate: Option<bool>) -> Result<()> {
        self.put(id, target, Mode::Import, certificate)
    }

    fn put(&self, id: &str, target: &str, mode: Mode, certificate: Option<bool>) -> Result<()> {
        self.check_cancel()?;
        let manifest = self.manifest(id)?;
        let server = self.server(target)?.clone();
        let (role, _) = self.role_of(target)?;
        let same_server = manifest.server == target;
        let verb = if mode == Mode::Restore { "restore" } else { "import" };
        let mut rules = vec![Rule::R1];

        self.check_r1(&manifest, &server, role, mode)?;
        if mode == Mode::Restore && role != Role::Admin {
            self.check_r3(&manifest, target)?;
            rules.push(Rule::R3);
        }
        if manifest.facts != server.facts {
            return Err(Refusal::new(
                Rule::R9,
                target,
                format!(
                    "`{}` runs {} and `{target}` runs {}",
                    manifest.server,
                    describe_facts(&manifest.facts),
                    describe_facts(&server.facts)
                ),
                "use a target with the same OS, Interstage version and edition and install directory",
            )
            .into());
        }
        rules.push(Rule::R9);
        let include_certificate = self.check_r6(&manifest, target, same_server, certificate)?;
        rules.push(Rule::R6);
        if manifest.role != Role::Admin {
            self.check_r7(&manifest)?;
            rules.push(Rule::R7);
        }
        if self.state(target)?.running {
            return Err(Error::Usage(format!(
                "`{target}` is running: stop Interstage first with stop_interstage(\"{target}\")"
            )));
        }
        let planned = self.model().planned.contains_key(id);
        if !planned {
            self.store.verify(&manifest)?;
        }
        rules.push(Rule::R8);
        let from = match &manifest.group {
            Some(group) => format!("`{}` of group `{group}`", manifest.server),
            None => format!("`{}` ({})", manifest.server, manifest.role),
        };
        self.report.action(target, &format!("{verb} backup `{id}` from {from}"), &rules);
        let certificate = if self.dry_run() {
            if include_certificate { "imported" } else { "kept" }.to_string()
        } else {
            self.unpack(&manifest, &server, role, include_certificate)?
        };
        if !include_certificate && !same_server {
            let text = if certificate == "missing" {
                format!(
                    "`{target}` has no certificate environment of its own: set one up before it serves SSL (R6)"
                )
            } else {
                format!(
                    "`{target}` keeps its own certificate environment (R6, policy `{}`)",
                    self.site.certificate_policy
                )
            };
            self.report.note(Some(target), &text);
        }
        let pending = !same_server && role != Role::Admin;
        self.write_provenance(
            target,
            Some(Provenance {
                kind: verb.to_string(),
                backup: id.to_string(),
                source_server: manifest.server.clone(),
                source_group: manifest.group.clone(),
                source_address: manifest.address.clone(),
                source_hostname: manifest.hostname.clone(),
                hostinfo_pending: pending,
                certificate,
                at: now(),
            }),
        )?;
        if role == Role::Admin {
            // The admin server's definitions were replaced: read them again.
            self.model().membership = None;
        }
        if pending {
            self.report.note(
                Some(target),
                &format!(
                    "holds `{}`'s address {} and host name {} until set_ip(\"{target}\") runs (R5)",
                    manifest.server, manifest.address, manifest.hostname
                ),
            );
        }
        Ok(())
    }

    fn check_r1(&self, manifest: &Manifest, server: &Server, role: Role, mode: Mode) -> Result<()> {
        let target = server.name.as_str();
        let refuse = |reason: String, instead: &str| -> Result<()> {
            Err(Refusal::new(Rule::R1, target, reason, instead).into())
        };
        if manifest.site != self.site.name {
            return refuse(
                format!(
                    "`{}` is a backup of site `{}`, this is site `{}`",
                    manifest.id, manifest.site, self.site.name
                ),
                "use a backup of this site",
            );
        }
        match (manifest.role == Role::Admin, role) {
            (true, Role::Admin) if mode == Mode::Restore => Ok(()),
            (true, Role::Admin) => {
                refuse("the admin server is restored, never imported into".into(), "use restore()")
            }
            (true, _) => refuse(
                format!(
                    "`{}` is an admin-server backup: it goes only onto the admin server",
                    manifest.id
                ),
                "use a backup of a managed server",
            ),
            (false, Role::Admin) => refuse(
                format!(
                    "the admin server is restored only from an admin-server backup, and `{}` is not one",
                    manifest.id
                ),
                "pick an admin backup: backups() lists them with role `admin`",
            ),
            (false, Role::Member | Role::Single) => {
                let what = if role == Role::Member {
                    "a member of a server group"
                } else {
                    "a single-operation managed server"
                };
                refuse(
                    format!(
                        "`{target}` is {what}: backups are put only onto reserve or standalone servers"
                    ),
                    "to recover it, delete it from its group first (group_remove); to expand a group, use a reserve server",
                )
            }
            (false, Role::Reserve | Role::Standalone) => Ok(()),
        }
    }

    fn check_r3(&self, manifest: &Manifest, target: &str) -> Result<()> {
        let removal = self.store.state()?.removed.get(target).cloned();
        let refuse = |reason: String, instead: String| -> Result<()> {
            Err(Refusal::new(Rule::R3, target, reason, instead).into())
        };
        match removal {
            Some(removal) if manifest.group.as_deref() != Some(removal.group.as_str()) => refuse(
                format!(
                    "`{target}` was a member of `{}` but `{}` is a backup of `{}` ({})",
                    removal.group,
                    manifest.id,
                    manifest.server,
                    manifest
                        .group
                        .as_deref()
                        .map(|g| format!("group `{g}`"))
                        .unwrap_or_else(|| "no group".into())
                ),
                format!(
                    "restore a backup of a member of `{}`: latest_backup(\"{}\")",
                    removal.group, removal.group
                ),
            ),
            Some(_) => Ok(()),
            None if manifest.server != target => refuse(
                format!(
                    "`{}` is another server's backup and `{target}` left no group to recover",
                    manifest.id
                ),
                format!("to give `{target}` another server's resources, use import_backup()"),
            ),
            None => Ok(()),
        }
    }

    /// Whether the certificate environment goes with this backup (R6).
    fn check_r6(
        &self,
        manifest: &Manifest,
        target: &str,
        same_server: bool,
        asked: Option<bool>,
    ) -> Result<bool> {
        if same_server || manifest.certificate_paths.is_empty() {
            return Ok(true);
        }
        match (self.site.certificate_policy, asked) {
            (CertificatePolicy::Allowed, asked) => Ok(asked.unwrap_or(true)),
            (CertificatePolicy::Conditional, Some(true)) => {
                self.report.warn(&format!(
                    "importing the certificate environment into `{target}` under a conditional CA policy: the runbook says its conditions are met"
                ));
                Ok(true)
            }
            (CertificatePolicy::Conditional, _) => Ok(false),
            (CertificatePolicy::NotAllowed, Some(true)) => Err(Refusal::new(
                Rule::R6,
                target,
                "the site's certificate policy is `not-allowed`: the CA does not allow the same site certificate on several servers",
                format!("import without it and build `{target}`'s own certificate environment"),
            )
            .into()),
            (CertificatePolicy::NotAllowed, _) => Ok(false),
        }
    }

    /// R7: a managed backup is used only if an admin-server backup with the same group
    /// definitions exists.
    pub fn check_r7(&self, manifest: &Manifest) -> Result<()> {
        if self.has_consistent_admin_backup(manifest) {
            return Ok(());
        }
        self.refuse_unless_forced(Refusal::new(
            Rule::R7,
            &manifest.server,
            format!(
                "no admin-server backup has the same group definitions as `{}`: admin and managed backups are out of step",
                manifest.id
            ),
            "take admin and managed backups together (`kuroko run backup-site`) and use that generation",
        ))
    }

    /// Streams the archive to the server, checks it there, unpacks it into a staging
    /// folder and swaps each resource folder into place; returns what happened to the
    /// certificate environment.
    fn unpack(
        &self,
        manifest: &Manifest,
        server: &Server,
        role: Role,
        include_certificate: bool,
    ) -> Result<String> {
        let name = &server.name;
        let scratch = self.path_on(server, SCRATCH);
        let path = self.store.archive_path(manifest)?;
        let mut file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let upload = format!("mkdir -p {scratch} && cat > {scratch}/incoming.tar");
        let exit =
            self.with_conn(name, |t| t.exec(&upload, Some(&mut file), &mut std::io::sink()))?;
        if exit.code != 0 {
            return Err(Error::on_server(
                name,
                format!("cannot upload the archive: {}", exit.stderr.trim()),
            ));
        }
        let excludes: String = if include_certificate {
            String::new()
        } else {
            manifest
                .certificate_paths
                .iter()
                .map(|c| format!(" --exclude={}", shell_quote(c)))
                .collect()
        };
        let own_certificates = if include_certificate {
            String::new()
        } else {
            self.site.backup.certificate_paths.join(" ")
        };
        let units: Vec<String> = manifest.units.iter().map(|u| shell_quote(u)).collect();
        let root = self.path_on(server, "");
        let script = format!(
            r#"cd {root} || exit 3
k={SCRATCH}
sum=$(sha256sum "$k/incoming.tar" | cut -d' ' -f1)
if [ "$sum" != "{sha}" ]; then rm -f "$k/incoming.tar"; echo "the archive arrived damaged (sha256 $sum): nothing was changed" >&2; exit 4; fi
rm -rf "$k/stage" "$k/old" "$k/moved"; mkdir -p "$k/stage" "$k/old" || exit 5
if ! tar -xpf "$k/incoming.tar" -C "$k/stage" --anchored{excludes}; then rm -rf "$k/stage" "$k/incoming.tar"; echo "unpacking into the staging folder failed: nothing was changed" >&2; exit 5; fi
cert=kept
if [ -n "{own}" ]; then
  cert=missing
  for c in {own_list}; do
    if [ -e "$c" ]; then cert=kept; rm -rf "$k/stage/$c"; mkdir -p "$k/stage/$(dirname "$c")" && cp -a "$c" "$k/stage/$c" || exit 5; fi
  done
fi
rollback() {{
  for u in {units}; do
    if [ -e "$k/old/$u" ] || [ -L "$k/old/$u" ]; then rm -rf "$u"; mv "$k/old/$u" "$u"; elif grep -qx "$u" "$k/moved" 2>/dev/null; then rm -rf "$u"; fi
  done
  echo "putting the resources in place failed: the previous ones are back" >&2; exit 6
}}
: > "$k/moved"
for u in {units}; do
  [ -e "$k/stage/$u" ] || continue
  if [ -e "$u" ] || [ -L "$u" ]; then mkdir -p "$k/old/$(dirname "$u")" && mv "$u" "$k/old/$u" || rollback; fi
  mkdir -p "$(dirname "$u")" && mv "$k/stage/$u" "$u" && echo "$u" >> "$k/moved" || rollback
done
rm -rf "$k/stage" "$k/old" "$k/moved" "$k/incoming.tar"
echo "certificate=$cert"
"#,
            sha = manifest.archive.sha256,
            own = own_certificates,
            own_list = if own_certificates.is_empty() {
                "none".to_string()
            } else {
                own_certificates.clone()
            },
            units = units.join(" "),
        );
        let out = self.run(name, "putting the backup in place", &script, None)?;
        if manifest.units.iter().any(|u| u == SERVICE_DIR) {
            let dir = format!("{}/{SERVICE_DIR}", server.root_prefix());
            let managed = if role == Role::Admin { "" } else { "-s" };
            for template in &self.site.backup.restore_commands {
                let command =
                    self.command(server, template, &[("dir", &dir), ("managed", managed)]);
                self.run(name, "a service restore command", &command, None)?;
            }
            let _ = self.run(
                name,
                "cleaning up",
                &format!("rm -rf {}", self.path_on(server, SERVICE_DIR)),
                None,
            );
        }
        let certificate =
            out.lines().find_map(|l| l.strip_prefix("certificate=")).unwrap_or("kept");
        Ok(if include_certificate { "imported".into() } else { certificate.to_string() })
    }

    /// `set_ip(server[, address, hostname])`: replaces the source server's address and
    /// host name in the resources an import brought (ismodifyhostinfo), clearing R5.
    pub fn set_ip(&self, name: &str, address: Option<&str>, hostname: Option<&str>) -> Result<()> {
        self.check_cancel()?;
        let server = self.server(name)?.clone();
        let address = address.unwrap_or(&server.address).to_string();
        let hostname = hostname.unwrap_or(&server.hostname).to_string();
        for value in [&address, &hostname] {
            if value.is_empty()
                || value.contains(|c: char| c == ',' || c.is_whitespace() || c.is_control())
            {
                return Err(Error::Usage(format!("`{value}` is not a valid address or host name")));
            }
        }
        let state = self.state(name)?;
        let Some(mut provenance) = state.provenance.filter(|p| p.hostinfo_pending) else {
            self.report
                .note(Some(name), "its resources already hold its own address and host name");
            return Ok(());
        };
        if state.running {
            return Err(Error::Usage(format!(
                "`{name}` is running: stop it before changing its host information"
            )));
        }
        self.report.action(
            name,
            &format!(
                "change server-specific information: {} -> {address}, {} -> {hostname}",
                provenance.source_address, provenance.source_hostname
            ),
            &[Rule::R5],
        );
        if !self.dry_run() {
            let scratch = self.path_on(&server, SCRATCH);
            let changes = format!(
                "# written by kuroko: server-specific information of {name}\nIpAddress,{},{address}\nHostName,{},{hostname}\n",
                provenance.source_address, provenance.source_hostname
            );
            self.run(
                name,
                "writing the host information file",
                &format!("mkdir -p {scratch} && cat > {scratch}/hostinfo.txt"),
                Some(changes.as_bytes()),
            )?;
            let prefix = server.root_prefix();
            let file = format!("{prefix}/{SCRATCH}/hostinfo.txt");
            let log = format!("{prefix}/{SCRATCH}/hostinfo.log");
            let command = self.command(
                &server,
                &self.site.commands.modify_hostinfo,
                &[("file", &file), ("log", &log)],
            );
            self.run(name, "changing the host information", &command, None)?;
            let leftovers = self
                .find_text(&server, &[&provenance.source_address, &provenance.source_hostname])?;
            if !leftovers.is_empty() {
                self.report.warn(&format!(
                    "`{name}` still mentions `{}` or `{}` in: {} — change those by hand",
                    provenance.source_address,
                    provenance.source_hostname,
                    leftovers.join(", ")
                ));
            }
        }
        provenance.hostinfo_pending = false;
        provenance.at = now();
        self.write_provenance(name, Some(provenance))
    }

    /// Resource files (outside the certificate environment) that contain any of `words`.
    fn find_text(&self, server: &Server, words: &[&str]) -> Result<Vec<String>> {
        let root = self.path_on(server, "");
        let patterns = self.site.backup.paths.join(" ");
        let words: String = words.iter().map(|w| format!(" -e {}", shell_quote(w))).collect();
        let skip: String = self
            .site
            .backup
            .certificate_paths
            .iter()
            .map(|c| format!(" | grep -v '^{c}/'"))
            .collect();
        let command = format!(
            "cd {root} || exit 3; for p in {patterns}; do [ -e \"$p\" ] && grep -rlFw{words} -- \"$p\"; done{skip}; true"
        );
        let out = self.run(&server.name, "checking the host information", &command, None)?;
        Ok(out.lines().map(str::to_string).collect())
    }
}

fn describe_facts(facts: &crate::site::Facts) -> String {
    format!(
        "{} / Interstage {} {} in {}",
        facts.os, facts.interstage_version, facts.edition, facts.install_dir
    )
}
