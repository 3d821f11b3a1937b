//! Putting a backup onto a server: `restore` (the same server, or a recovered member of
//! the backup's group) and `import` (移入: another server), with R1, R3, R6, R7, R8 and
//! R9 checked first, and `set_ip` for the server-specific information (R5).

use crate::archive::{HashWriter, Rewrite};
use crate::error::{Error, Result};
use crate::i18n::t_in;
use crate::manifest::Manifest;
use crate::msg;
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
                msg!(
                    "prim-r8-other-site",
                    backup = id,
                    site = manifest.site,
                    site_id = manifest.site_id,
                    this_site = self.site.name,
                    this_site_id = self.site.id
                ),
                msg!("prim-r8-other-site-instead"),
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
                msg!(
                    "prim-r9-reason",
                    source = manifest.server,
                    source_facts = describe_facts(&manifest.facts),
                    target = target,
                    target_facts = describe_facts(&server.facts)
                ),
                msg!("prim-r9-instead"),
            )
            .into());
        }
        rules.push(Rule::R9);
        if manifest.role != Role::Admin {
            self.check_r7(&manifest)?;
            rules.push(Rule::R7);
        }
        if self.state(target)?.running {
            return Err(Error::Usage(msg!("prim-put-running", server = target)));
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
        let source_role = manifest.role.to_string();
        let say = |l| {
            let certificate = if include_certificate {
                t_in(l, "act-with-certificate", &[])
            } else {
                String::new()
            };
            let args = [
                ("backup", id),
                ("source", manifest.server.as_str()),
                ("group", manifest.group.as_deref().unwrap_or_default()),
                ("role", source_role.as_str()),
                ("certificate", certificate.as_str()),
            ];
            match (mode == Mode::Restore, manifest.group.is_some()) {
                (false, true) => t_in(l, "act-import-from-group", &args),
                (false, false) => t_in(l, "act-import-from-role", &args),
                (true, true) => t_in(l, "act-restore-from-group", &args),
                (true, false) => t_in(l, "act-restore-from-role", &args),
            }
        };
        self.act(target, say, &rules)?;
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
                msg!("prim-cert-missing", server = target)
            } else {
                msg!("prim-cert-kept", server = target, policy = self.site.certificate_policy)
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
                &msg!(
                    "prim-hostinfo-pending",
                    source = manifest.server,
                    address = manifest.address,
                    hostname = manifest.hostname,
                    server = target
                ),
            );
        }
        Ok(())
    }

    fn check_r1(&self, manifest: &Manifest, server: &Server, role: Role, mode: Mode) -> Result<()> {
        let target = server.name.as_str();
        let refuse = |reason: String, instead: String| -> Result<()> {
            Err(Refusal::new(Rule::R1, target, reason, instead).into())
        };
        if manifest.site != self.site.name {
            return refuse(
                msg!(
                    "prim-r1-other-site",
                    backup = manifest.id,
                    site = manifest.site,
                    this_site = self.site.name
                ),
                msg!("prim-r1-other-site-instead"),
            );
        }
        match (manifest.role == Role::Admin, role) {
            (true, Role::Admin) if mode == Mode::Restore => Ok(()),
            (true, Role::Admin) => {
                refuse(msg!("prim-r1-admin-import"), msg!("prim-r1-admin-import-instead"))
            }
            (true, _) => refuse(
                msg!("prim-r1-admin-backup", backup = manifest.id),
                msg!("prim-r1-admin-backup-instead"),
            ),
            (false, Role::Admin) => refuse(
                msg!("prim-r1-not-admin-backup", backup = manifest.id),
                msg!("prim-r1-not-admin-backup-instead"),
            ),
            (false, Role::Member | Role::Single) => {
                let reason = if role == Role::Member {
                    msg!("prim-r1-member", server = target)
                } else {
                    msg!("prim-r1-single", server = target)
                };
                refuse(reason, msg!("prim-r1-member-instead"))
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
                match &manifest.group {
                    Some(source_group) => msg!(
                        "prim-r3-other-group",
                        server = target,
                        group = removal.group,
                        backup = manifest.id,
                        source = manifest.server,
                        source_group = source_group
                    ),
                    None => msg!(
                        "prim-r3-other-group-none",
                        server = target,
                        group = removal.group,
                        backup = manifest.id,
                        source = manifest.server
                    ),
                },
                msg!("prim-r3-other-group-instead", group = removal.group),
            ),
            Some(_) => Ok(()),
            None if manifest.server != target => refuse(
                msg!("prim-r3-no-removal", backup = manifest.id, server = target),
                msg!("prim-r3-no-removal-instead", server = target),
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
                self.report.warn(&msg!("prim-r6-conditional", server = target));
                Ok(true)
            }
            (CertificatePolicy::Conditional, _) => Ok(false),
            (CertificatePolicy::NotAllowed, Some(true)) => Err(Refusal::new(
                Rule::R6,
                target,
                msg!("prim-r6-not-allowed"),
                msg!("prim-r6-not-allowed-instead", server = target),
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
            msg!("prim-r7-reason", backup = manifest.id),
            msg!("prim-r7-instead"),
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
                msg!(
                    "prim-unpack-failed",
                    code = exit.code,
                    stderr = crate::error::sanitize(exit.stderr.trim())
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
        self.run(name, &msg!("prim-doing-check-parents"), &command, None).map(|_| ())
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
                self.run(name, &msg!("prim-doing-service-restore"), &command, None)?;
            }
            let clean = Script::guarded()
                .set("s", SERVICE_DIR)
                .text("nolink \"$s\" || exit 90\nrm -rf -- \"$s\"\n");
            let _ = self.run(name, &msg!("prim-doing-clean-up"), &clean, None);
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
                return Err(Error::Usage(msg!("prim-set-ip-bad-value", value = value)));
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
                    &msg!("prim-identity-unrecorded", other = other, file = file),
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
                self.report.note(Some(name), &msg!("prim-set-ip-nothing"));
                return Ok(());
            }
        };
        if state.running {
            return Err(Error::Usage(msg!("prim-set-ip-running", server = name)));
        }
        let args = [
            ("old_address", provenance.source_address.as_str()),
            ("address", address.as_str()),
            ("old_hostname", provenance.source_hostname.as_str()),
            ("hostname", hostname.as_str()),
        ];
        self.act(name, |l| t_in(l, "act-hostinfo", &args), &[Rule::R5])?;
        if !self.dry_run() {
            for value in [&provenance.source_address, &provenance.source_hostname] {
                if !crate::site::is_host_value(value) {
                    return Err(Error::on_server(
                        name,
                        msg!(
                            "prim-set-ip-bad-record",
                            value = value,
                            record = crate::runtime::PROVENANCE
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
                .run(name, &msg!("prim-doing-write-hostinfo"), &write, Some(changes.as_bytes()))
                .and_then(|_| {
                    let command = self.command(
                        &server,
                        &self.site.templates.modify_hostinfo,
                        &[
                            ("file", &self.absolute(&server, file.as_str())),
                            ("log", &self.absolute(&server, "var/opt/kuroko/hostinfo.log")),
                        ],
                    );
                    self.run(name, &msg!("prim-doing-modify-hostinfo"), &command, None)
                });
            self.drop_scratch(name, &work);
            result?;
            let leftovers = self
                .find_text(&server, &[&provenance.source_address, &provenance.source_hostname])?;
            if !leftovers.is_empty() {
                self.report.warn(&msg!(
                    "prim-set-ip-leftovers",
                    server = name,
                    address = provenance.source_address,
                    hostname = provenance.source_hostname,
                    files = leftovers.join(", ")
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
                msg!(
                    "prim-r5-foreign-identity",
                    other = other,
                    value = value,
                    file = file,
                    doing = doing
                ),
                msg!("prim-r5-set-ip-first", server = name),
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
            &msg!("prim-doing-find-identity"),
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
        let out = self.run(&server.name, &msg!("prim-doing-check-hostinfo"), &command, None)?;
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
    msg!(
        "prim-facts",
        os = facts.os,
        version = facts.interstage_version,
        edition = facts.edition,
        install_dir = facts.install_dir
    )
}
