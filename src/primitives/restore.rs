//! Putting a backup onto a server: `restore` (the same server, or a recovered member of
//! the backup's group) and `import` (移入: another server), with R1, R3, R6, R7, R8 and
//! R9 checked first, and `set_ip` for the server-specific information (R5).

use crate::archive::{HashWriter, Rewrite};
use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::rules::{Refusal, Rule};
use crate::runtime::{Provenance, Runtime};
use crate::server_path::ServerPath;
use crate::shell::Script;
use crate::site::{CertificatePolicy, KUROKO_DIR, Role, SERVICE_DIR, Server};
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
        let manifest = self.store.load(id)?;
        // Two sites may share a store, and a name: a backup is another site's when it
        // says so.
        if !manifest.site_id.is_empty() && manifest.site_id != self.site.id {
            return Err(Refusal::new(
                Rule::R8,
                &manifest.server,
                format!(
                    "backup `{id}` belongs to another site (`{}`, site id `{}`; this is `{}`, site id `{}`)",
                    manifest.site, manifest.site_id, self.site.name, self.site.id
                ),
                "use a backup this site took (`kuroko backups list`)",
            )
            .into());
        }
        Ok(manifest)
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
        // R6 is decided from what the archive really holds, matched against the site's
        // certificate paths now (a planned backup is assumed to hold them).
        let holds_certificate = if planned {
            !self.site.backup.certificate_paths.is_empty()
        } else {
            let scan = self.store.verify(&manifest, None)?;
            scan.paths.iter().any(|p| self.is_certificate(p))
        };
        rules.push(Rule::R8);
        let include_certificate =
            self.check_r6(target, same_server, holds_certificate, certificate)?;
        rules.push(Rule::R6);
        let from = match &manifest.group {
            Some(group) => format!("`{}` of group `{group}`", manifest.server),
            None => format!("`{}` ({})", manifest.server, manifest.role),
        };
        let certificate_note =
            if include_certificate { ", with its certificate environment" } else { "" };
        self.act(target, &format!("{verb} backup `{id}` from {from}{certificate_note}"), &rules)?;
        let pending = !same_server && role != Role::Admin;
        let record = |certificate: String, complete: bool| Provenance {
            kind: verb.to_string(),
            backup: id.to_string(),
            source_server: manifest.server.clone(),
            source_group: manifest.group.clone(),
            source_address: manifest.address.clone(),
            source_hostname: manifest.hostname.clone(),
            hostinfo_pending: pending,
            certificate,
            at: now(),
            complete,
        };
        let certificate = if self.dry_run() {
            if include_certificate { "imported" } else { "kept" }.to_string()
        } else {
            // The record says "in progress" before anything is swapped in, so that a run
            // killed from here on leaves R2 and R5 refusing, not a server without one.
            let previous = self.state(target)?.provenance;
            self.check_parents(target, &manifest.units)?;
            self.write_provenance(target, Some(record("unknown".into(), false)))?;
            match self.unpack(&manifest, &server, include_certificate) {
                Ok(certificate) => certificate,
                Err((error, unchanged)) => {
                    if unchanged {
                        // The script left or put the previous resources back, and said
                        // so: so goes the record. Otherwise it stays "not finished".
                        let _ = self.write_provenance(target, previous);
                    }
                    return Err(error);
                }
            }
        };
        if !self.dry_run() {
            self.service_restore(&manifest, &server, role)?;
        }
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
        self.write_provenance(target, Some(record(certificate, true)))?;
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
        let removal = self.removal(target)?;
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
        target: &str,
        same_server: bool,
        holds_certificate: bool,
        asked: Option<bool>,
    ) -> Result<bool> {
        if same_server || !holds_certificate {
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

    /// Whether `path` lies in the certificate environment the site names now (R6).
    fn is_certificate(&self, path: &ServerPath) -> bool {
        self.site.backup.certificate_paths.iter().any(|p| path.unit_of(p).is_some())
    }

    /// Re-writes the verified archive as a canonical one (without the certificate
    /// environment unless it goes along), streams that to the server, checks it there,
    /// unpacks it into a fresh private folder and swaps each resource folder into
    /// place; returns what happened to the certificate environment.
    ///
    /// On failure, also whether the server's resources are surely as they were (the
    /// script said so with one of its own exit codes): only then may the previous record
    /// come back.
    fn unpack(
        &self,
        manifest: &Manifest,
        server: &Server,
        include_certificate: bool,
    ) -> std::result::Result<String, (Error, bool)> {
        let unchanged = |e: Error| (e, true);
        let name = &server.name;
        let temp = tempfile::Builder::new()
            .prefix(".tmp-canonical-")
            .tempfile_in(self.store.root())
            .map_err(|e| unchanged(Error::io(self.store.root(), e)))?;
        let mut out = HashWriter::new(std::io::BufWriter::new(
            temp.reopen().map_err(|e| unchanged(Error::io(temp.path(), e)))?,
        ));
        let keep = |p: &ServerPath| include_certificate || !self.is_certificate(p);
        let scan = self
            .store
            .verify(manifest, Some(Rewrite { out: &mut out, keep: &keep }))
            .map_err(unchanged)?;
        std::io::Write::flush(&mut out).map_err(|e| unchanged(Error::io(temp.path(), e)))?;
        let sha = out.sha256();
        drop(out);
        let units: Vec<String> = scan.units.iter().map(|u| u.as_str().to_string()).collect();
        let mut script = Script::guarded()
            .set("d", KUROKO_DIR)
            .set("sha", &sha)
            .set("units", &units.join("\n"))
            .set("keepcert", if include_certificate { "no" } else { "yes" })
            .text(PARENTS)
            .text(UNPACK_START)
            .text("for c in");
        for pattern in &self.site.backup.certificate_paths {
            script = script.glob(pattern);
        }
        let script = script.text(UNPACK_END);
        let mut file =
            std::fs::File::open(temp.path()).map_err(|e| unchanged(Error::io(temp.path(), e)))?;
        let (exit, stdout) = self
            .with_conn(name, |t| {
                let mut stdout = Vec::new();
                let exit = t.exec(&script, Some(&mut file), &mut stdout)?;
                Ok((exit, String::from_utf8_lossy(&stdout).into_owned()))
            })
            .map_err(|e| (e, false))?;
        if exit.code != 0 {
            let error = Error::on_server(
                name,
                format!(
                    "putting the backup in place failed (exit code {}): {}",
                    exit.code,
                    crate::error::sanitize(exit.stderr.trim())
                ),
            );
            return Err((error, UNCHANGED.contains(&exit.code)));
        }
        let certificate =
            stdout.lines().find_map(|l| l.strip_prefix("certificate=")).unwrap_or("kept");
        Ok(if include_certificate { "imported".into() } else { certificate.to_string() })
    }

    /// Refuses, before anything is written, a server where the folder above a unit is
    /// reached through a symbolic link (the swap would write through it).
    fn check_parents(&self, name: &str, units: &[String]) -> Result<()> {
        let command = Script::guarded().set("units", &units.join("\n")).text(PARENTS);
        self.run(name, "checking the resource folders", &command, None).map(|_| ())
    }

    /// Runs the service restore commands when the backup brought their folder.
    fn service_restore(&self, manifest: &Manifest, server: &Server, role: Role) -> Result<()> {
        let name = &server.name;
        if manifest.units.iter().any(|u| u == SERVICE_DIR) {
            let dir = self.absolute(server, SERVICE_DIR);
            let managed = if role == Role::Admin { "" } else { "-s" };
            for template in &self.site.templates.restore {
                let command =
                    self.command(server, template, &[("dir", &dir), ("managed", managed)]);
                self.run(name, "a service restore command", &command, None)?;
            }
            let clean = Script::guarded()
                .set("s", SERVICE_DIR)
                .text("nolink \"$s\" || exit 90\nrm -rf -- \"$s\"\n");
            let _ = self.run(name, "cleaning up", &clean, None);
        }
        Ok(())
    }

    /// `set_ip(server[, address, hostname])`: replaces the source server's address and
    /// host name in the resources an import brought (ismodifyhostinfo), clearing R5.
    pub fn set_ip(&self, name: &str, address: Option<&str>, hostname: Option<&str>) -> Result<()> {
        self.check_cancel()?;
        let server = self.server(name)?.clone();
        let address = address.unwrap_or(&server.address).to_string();
        let hostname = hostname.unwrap_or(&server.hostname).to_string();
        for value in [&address, &hostname] {
            if !crate::site::is_host_value(value) {
                return Err(Error::Usage(format!("`{value}` is not a valid address or host name")));
            }
        }
        let state = self.state(name)?;
        let pending = state.provenance.clone().filter(|p| p.hostinfo_pending);
        // Without a record that says so, the resources themselves may still hold another
        // server's identity (a record lost, damaged, or never written).
        let found = match pending {
            Some(_) => None,
            None => self.foreign_identity(name)?,
        };
        let mut provenance = match (pending, found) {
            (Some(provenance), _) => provenance,
            (None, Some((other, _, file))) => {
                let source = self.server(&other)?.clone();
                self.report.note(
                    Some(name),
                    &format!("its resources hold `{other}`'s identity (in `{file}`), though kuroko has no record of it"),
                );
                Provenance {
                    kind: "found".into(),
                    backup: "-".into(),
                    source_server: other,
                    source_group: source.group.clone(),
                    source_address: source.address.clone(),
                    source_hostname: source.hostname.clone(),
                    hostinfo_pending: true,
                    certificate: state
                        .provenance
                        .as_ref()
                        .map(|p| p.certificate.clone())
                        .unwrap_or_else(|| "kept".into()),
                    at: now(),
                    complete: state.provenance.as_ref().is_none_or(|p| p.complete),
                }
            }
            (None, None) => {
                self.report
                    .note(Some(name), "its resources already hold its own address and host name");
                return Ok(());
            }
        };
        if state.running {
            return Err(Error::Usage(format!(
                "`{name}` is running: stop it before changing its host information"
            )));
        }
        self.act(
            name,
            &format!(
                "change server-specific information: {} -> {address}, {} -> {hostname}",
                provenance.source_address, provenance.source_hostname
            ),
            &[Rule::R5],
        )?;
        if !self.dry_run() {
            for value in [&provenance.source_address, &provenance.source_hostname] {
                if !crate::site::is_host_value(value) {
                    return Err(Error::on_server(
                        name,
                        format!(
                            "kuroko's record names `{value}` as the source's address or host name, which is not one: check `{}` by hand",
                            crate::runtime::PROVENANCE
                        ),
                    ));
                }
            }
            let changes = format!(
                "# written by kuroko: server-specific information of {name}\nIpAddress,{},{address}\nHostName,{},{hostname}\n",
                provenance.source_address, provenance.source_hostname
            );
            let work = self.scratch(name)?;
            let file = work.join("hostinfo.txt").map_err(Error::Usage)?;
            let write = Script::guarded()
                .set("f", file.as_str())
                .text("nolink \"$f\" || exit 90\n(umask 077 && cat > \"$f\")\n");
            let result = self
                .run(name, "writing the host information file", &write, Some(changes.as_bytes()))
                .and_then(|_| {
                    let command = self.command(
                        &server,
                        &self.site.templates.modify_hostinfo,
                        &[
                            ("file", &self.absolute(&server, file.as_str())),
                            ("log", &self.absolute(&server, "var/opt/kuroko/hostinfo.log")),
                        ],
                    );
                    self.run(name, "changing the host information", &command, None)
                });
            self.drop_scratch(name, &work);
            result?;
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

    /// R5 from the resources themselves, not only kuroko's record (which may be missing,
    /// empty or damaged): another server of the site (not the admin server, which managed
    /// servers name by design, and not on the admin server, which names them) whose address or host name is a word in `name`'s
    /// resources, with the value and the file it is in.
    pub fn foreign_identity(&self, name: &str) -> Result<Option<(String, String, String)>> {
        if self.dry_run() {
            return Ok(None);
        }
        let own = self.server(name)?.clone();
        // The admin server's resources name the servers it manages, by design.
        if own.role == Role::Admin {
            return Ok(None);
        }
        let mut needles: Vec<(String, String)> = Vec::new();
        for other in self.site.servers.values() {
            if other.name == name || other.role == Role::Admin {
                continue;
            }
            for value in [&other.address, &other.hostname] {
                // A value this server shares says nothing about whose the resources are.
                if !value.is_empty() && *value != own.address && *value != own.hostname {
                    needles.push((value.clone(), other.name.clone()));
                }
            }
        }
        let words: Vec<&str> = needles.iter().map(|(v, _)| v.as_str()).collect();
        let found = self.find_words(&own, &words)?;
        Ok(found.into_iter().find_map(|(file, word)| {
            needles.iter().find(|(v, _)| *v == word).map(|(v, s)| (s.clone(), v.clone(), file))
        }))
    }

    /// R5: refuses `doing` on `name` while its resources hold another server's identity.
    pub fn refuse_foreign_identity(&self, name: &str, doing: &str) -> Result<()> {
        if let Some((other, value, file)) = self.foreign_identity(name)? {
            return Err(Refusal::new(
                Rule::R5,
                name,
                format!(
                    "its resources hold `{other}`'s address or host name `{value}` (in `{file}`), whatever kuroko's record says: {doing} would give it `{other}`'s identity"
                ),
                format!("change the server-specific information first: set_ip(\"{name}\")"),
            )
            .into());
        }
        Ok(())
    }

    /// Resource files (outside the certificate environment) with the first of `words`
    /// each holds (as a word): one pass, the words given on stdin.
    fn find_words(&self, server: &Server, words: &[&str]) -> Result<Vec<(String, String)>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut command = Script::guarded().text("for p in");
        for pattern in &self.site.backup.paths {
            command = command.glob(pattern);
        }
        let command = command.text(
            "; do [ -d \"$p\" ] && nolink \"$p\" 2>/dev/null && set -- \"$@\" \"$p\"; done\n\
             [ $# -gt 0 ] || exit 0\n\
             grep -rowFH -D skip -m 1 -f /dev/stdin -- \"$@\" 2>/dev/null; true\n",
        );
        let input: String = words.iter().map(|w| format!("{w}\n")).collect();
        let out = self.run(
            &server.name,
            "looking for another server's identity in the resources",
            &command,
            Some(input.as_bytes()),
        )?;
        Ok(out
            .lines()
            .filter_map(|l| l.rsplit_once(':'))
            .filter(|(f, _)| ServerPath::parse(f).is_ok_and(|p| !self.is_certificate(&p)))
            .map(|(f, w)| (crate::error::sanitize(f), w.to_string()))
            .collect())
    }

    /// Resource files (outside the certificate environment) that contain any of `words`.
    fn find_text(&self, server: &Server, words: &[&str]) -> Result<Vec<String>> {
        let mut command = Script::guarded().text("for p in");
        for pattern in &self.site.backup.paths {
            command = command.glob(pattern);
        }
        // Only real folders reached through no link; devices and pipes are skipped.
        command =
            command.text("; do [ -d \"$p\" ] && nolink \"$p\" 2>/dev/null && grep -rlFw -D skip");
        for word in words {
            command = command.text(" -e").arg(word);
        }
        let command = command.text(" -- \"$p\"; done; true\n");
        let out = self.run(&server.name, "checking the host information", &command, None)?;
        Ok(out
            .lines()
            .filter(|l| ServerPath::parse(l).is_ok_and(|p| !self.is_certificate(&p)))
            .map(crate::error::sanitize)
            .collect())
    }
}

/// Exit codes of the unpack script that mean the resources on the server are as they were
/// before it ran (refused, damaged in transit, unpacking failed, swap rolled back).
const UNCHANGED: [i32; 4] = [4, 5, 6, 90];

/// The start of the unpack script; its data comes as variables (`d`, `sha`, `units`,
/// `keepcert`) and the certificate patterns follow as the words of a `for c in` list.
const PARENTS: &str = r#"parent() { case "$1" in */*) printf '%s' "${1%/*}" ;; *) printf '.' ;; esac; }
while IFS= read -r u; do
  [ -n "$u" ] || continue
  nolink "$(parent "$u")" || exit 90
done <<EOF
$units
EOF
"#;

const UNPACK_START: &str = r#"ownd "$d" || exit 90
k=$(mktemp -d "$d/work.XXXXXX") || exit 90
trap 'rm -rf -- "$k/incoming.tar" "$k/stage"; rmdir -- "$k/old" "$k" 2>/dev/null' EXIT
cat > "$k/incoming.tar" || exit 4
sum=$(sha256sum < "$k/incoming.tar" | cut -d' ' -f1)
if [ "$sum" != "$sha" ]; then echo "the archive arrived damaged (sha256 $sum): nothing was changed" >&2; exit 4; fi
mkdir -- "$k/stage" "$k/old" || exit 5
if ! tar -xpf "$k/incoming.tar" -C "$k/stage"; then echo "unpacking into the staging folder failed: nothing was changed" >&2; exit 5; fi
cert=kept
"#;

const UNPACK_END: &str = r#"; do
  [ "$keepcert" = yes ] || break
  [ "$cert" = kept ] && cert=missing
  if [ -e "$c" ] || [ -L "$c" ]; then
    nolink "$(parent "$c")" || exit 90
    cert=found; rm -rf -- "$k/stage/$c"; mkdir -p -- "$k/stage/$(parent "$c")" && cp -a -- "$c" "$k/stage/$c" || exit 5
  fi
done
[ "$cert" = found ] && cert=kept
rollback() {
  while IFS= read -r u; do
    [ -n "$u" ] || continue
    if [ -e "$k/old/$u" ] || [ -L "$k/old/$u" ]; then rm -rf -- "$u"; mv -T -- "$k/old/$u" "$u"
    elif grep -qxF -- "$u" "$k/moved" 2>/dev/null; then rm -rf -- "$u"; fi
  done <<EOF
$units
EOF
  echo "putting the resources in place failed: the previous ones are back" >&2; exit 6
}
# From here the swap runs to its end even if the connection drops; a kill leaves the
# previous resources in "$k/old", never deleted.
trap '' HUP PIPE INT TERM
: > "$k/moved"
while IFS= read -r u; do
  [ -n "$u" ] || continue
  [ -e "$k/stage/$u" ] || [ -L "$k/stage/$u" ] || continue
  if [ -e "$u" ] || [ -L "$u" ]; then mkdir -p -- "$k/old/$(parent "$u")" && mv -T -- "$u" "$k/old/$u" || rollback; fi
  mkdir -p -- "$(parent "$u")" && mv -T -- "$k/stage/$u" "$u" && printf '%s\n' "$u" >> "$k/moved" || rollback
done <<EOF
$units
EOF
rm -rf -- "$k"
echo "certificate=$cert"
"#;

fn describe_facts(facts: &crate::site::Facts) -> String {
    format!(
        "{} / Interstage {} {} in {}",
        facts.os, facts.interstage_version, facts.edition, facts.install_dir
    )
}
