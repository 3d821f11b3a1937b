//! Taking backups (R4, R7): the archive streams from the server into the store while
//! every byte is hashed, and is renamed into place only when complete and verified.

use std::collections::BTreeSet;
use std::io::{BufWriter, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::archive;
use crate::error::{Error, Result};
use crate::i18n::t_in;
use crate::manifest::{ARCHIVE, ArchiveSum, Manifest};
use crate::msg;
use crate::rules::Rule;
use crate::runtime::Runtime;
use crate::shell::Script;
use crate::site::{KUROKO_DIR, Role, SERVICE_DIR, Server};
use crate::store::{new_generation, now};

impl Runtime {
    /// `backup(server[, generation])`: stops Interstage on the server if it runs (R4 for a
    /// group member), archives its resources, starts it again, and returns the backup id.
    /// `new_generation()`: a new generation id, marked in the store as a set begun (it is
    /// incomplete until `complete_generation`).
    pub fn begin_generation(&self) -> String {
        let generation = new_generation();
        // Written to the ledger with the set's first backup: a run that fails before any
        // leaves nothing behind.
        self.model().sets.insert(generation.clone());
        generation
    }

    /// `complete_generation(generation)`: the set is whole. It needs its admin-server
    /// backup (R7); only then is it offered as a generation to restore from.
    pub fn complete_generation(&self, generation: &str) -> Result<()> {
        let generation = check_generation(generation)?;
        let has_admin =
            self.backups(None)?.iter().any(|m| m.generation == generation && m.role == Role::Admin);
        if !has_admin {
            return Err(Error::Usage(msg!("prim-generation-no-admin", generation = generation)));
        }
        self.act(
            crate::plan::NO_SERVER,
            |l| t_in(l, "act-complete-generation", &[("generation", &generation)]),
            &[Rule::R7],
        )?;
        if !self.dry_run() {
            self.store.mark_generation(&generation, "complete")?;
        }
        Ok(())
    }

    pub fn backup(&self, name: &str, generation: Option<&str>) -> Result<String> {
        self.check_cancel()?;
        let server = self.server(name)?.clone();
        let (role, group) = self.role_of(name)?;
        let generation = match generation {
            Some(g) => check_generation(g)?,
            None => new_generation(),
        };
        let state = self.state(name)?;
        // A backup of resources that still hold another server's identity, or that a
        // restore left half done, would carry that on as if it were this server's own.
        if let Some(p) = state.provenance.as_ref().filter(|p| p.hostinfo_pending || !p.complete) {
            let why = if p.complete {
                msg!("prim-backup-r5-pending", source = p.source_server)
            } else {
                msg!("prim-backup-r5-incomplete", backup = p.backup)
            };
            return Err(crate::rules::Refusal::new(
                Rule::R5,
                name,
                why,
                msg!("prim-backup-r5-instead", server = name),
            )
            .into());
        }
        self.refuse_foreign_identity(name, &msg!("prim-doing-backing-up"))?;
        let began = std::time::Instant::now();
        let was_running = state.running;
        let mut rules = Vec::new();
        if let (Role::Member, Some(_), true) = (role, &group, was_running) {
            rules.push(Rule::R4);
        }
        let definitions = self.definitions()?;
        rules.push(Rule::R7);
        let id = format!("{generation}/{name}");
        if was_running {
            if let (Role::Member, Some(group)) = (role, &group) {
                self.reserve_stop(name, group)?;
            }
            self.act(name, |l| t_in(l, "act-stop-for-backup", &[]), &rules)?;
            self.stop_now(name)?;
        }
        let paths = self.site.backup.paths.join(" ");
        self.act(name, |l| t_in(l, "act-backup", &[("paths", &paths), ("backup", &id)]), &[])?;
        let origin = Origin {
            server: &server,
            role,
            group,
            generation: &generation,
            definitions: &definitions,
        };
        // While it is stopped: the resources copied on the server itself (or, without room
        // for that, streamed to the controller now).
        let copied = if self.dry_run() {
            let manifest = self.manifest_for(&origin, None);
            self.model().planned.insert(id.clone(), manifest);
            Ok(Copied::Streamed)
        } else {
            self.copy_while_stopped(&origin, was_running)
        };
        let started = if was_running {
            // Started again even when the backup failed: the member goes back to work.
            self.act(name, |l| t_in(l, "act-start-again", &[]), &[])?;
            self.start_now(name)
        } else {
            Ok(())
        };
        // Then the local copy goes to the controller, with the server back at work.
        if let Copied::Local(copy) = copied? {
            let streamed = self.capture(&origin, Source::LocalCopy(&copy));
            self.remove_local_copy(name);
            streamed?;
        }
        started?;
        // The outage beside the whole backup's time (a batch's summary shows it too).
        if was_running && !self.dry_run() {
            let outage = self.take_outage(name);
            if let Some(outage) = outage {
                self.report.note(
                    Some(name),
                    &msg!(
                        "prim-backup-outage",
                        outage = format!("{:.3}", outage.as_secs_f64()),
                        total = format!("{:.2}", began.elapsed().as_secs_f64())
                    ),
                );
                crate::runtime::job_outage(outage);
            }
        }
        Ok(id)
    }

    fn manifest_for(&self, origin: &Origin, scan: Option<archive::Scan>) -> Manifest {
        let Origin { server, role, group, generation, definitions } = origin;
        let planned = scan.is_none();
        let scan = scan.unwrap_or_default();
        let units: BTreeSet<String> = scan.units.iter().map(|u| u.as_str().to_string()).collect();
        let certificate_paths: BTreeSet<String> = scan
            .paths
            .iter()
            .filter_map(|p| {
                self.site.backup.certificate_paths.iter().find_map(|pat| p.unit_of(pat))
            })
            .map(|u| u.as_str().to_string())
            .collect();
        let certificate_paths = if planned {
            // A planned backup is assumed to hold the certificate environment.
            self.site.backup.certificate_paths.iter().cloned().collect()
        } else {
            certificate_paths
        };
        Manifest {
            format: Manifest::FORMAT,
            id: format!("{generation}/{}", server.name),
            generation: generation.to_string(),
            site: self.site.name.clone(),
            site_id: self.site.id.clone(),
            server: server.name.clone(),
            role: *role,
            group: group.clone(),
            address: server.address.clone(),
            hostname: server.hostname.clone(),
            facts: server.facts.clone(),
            created: now(),
            definitions: definitions.to_string(),
            units: units.into_iter().collect(),
            certificate_paths: certificate_paths.into_iter().collect(),
            archive: scan.archive.unwrap_or(ArchiveSum {
                name: ARCHIVE.into(),
                sha256: String::new(),
                size: 0,
            }),
            files: scan.files,
        }
    }

    /// What is done while the server is stopped: its service backups, then a local copy
    /// of its resources in kuroko's own folder on the server when `[backup] local_copy`
    /// allows and the server has room (checked first), else the backup streamed now.
    fn copy_while_stopped(&self, origin: &Origin, stopped_here: bool) -> Result<Copied> {
        let server = origin.server;
        let name = &server.name;
        let patterns = self.service_backups(server)?;
        if !(stopped_here && self.site.backup.local_copy) {
            self.capture(origin, Source::Resources(patterns))?;
            return Ok(Copied::Streamed);
        }
        let command = local_copy_command(&patterns);
        let out = self.run(name, &msg!("prim-doing-local-copy"), &command, None)?;
        let mut words = out.split_whitespace();
        let failed = |why: &str| msg!("prim-local-copy-failed", why = crate::error::sanitize(why));
        // Why there is no usable copy; the backup then streams while the server is stopped
        // (the stream clears whatever copy is left).
        let fallback = match words.next() {
            Some("COPIED") => {
                let cksum = words.next().and_then(|w| w.parse().ok());
                let length = words.next().and_then(|w| w.parse::<u64>().ok());
                // The stamp is the rest of the line; it begins with the size.
                let stamp = words.collect::<Vec<_>>().join(" ");
                let size = stamp.split(' ').next().and_then(|w| w.parse().ok());
                match (cksum, length, size) {
                    (Some(cksum), Some(length), Some(size))
                        if length == size && stamp.len() < 500 =>
                    {
                        let at = now();
                        return Ok(Copied::Local(LocalCopy { size, cksum, stamp, at }));
                    }
                    _ => failed(out.trim()),
                }
            }
            Some("NOROOM") => {
                let (need, free) = (words.next().unwrap_or("?"), words.next().unwrap_or("?"));
                msg!("prim-local-copy-no-room", need = need, free = free)
            }
            _ => failed(out.trim().strip_prefix("FAILED").unwrap_or(out.trim()).trim()),
        };
        self.report.note(Some(name), &fallback);
        self.capture(origin, Source::Resources(patterns))?;
        Ok(Copied::Streamed)
    }

    /// Removes the local copy (best effort: the next copy clears it anyway).
    fn remove_local_copy(&self, name: &str) {
        // kuroko's folder goes too if the copy was all it held: the server as it was.
        let clean = clear_local_copy().text("exit 0\n");
        let _ = self.run(name, &msg!("prim-doing-clean-up"), &clean, None);
    }

    /// Runs the site's service backup commands into a fresh service folder; the patterns
    /// the archive then holds.
    fn service_backups(&self, server: &Server) -> Result<Vec<String>> {
        let name = &server.name;
        let mut patterns = self.site.backup.paths.clone();
        if !self.site.templates.backup.is_empty() {
            // A fresh service folder inside kuroko's own private folder.
            let prepare = Script::guarded().set("d", KUROKO_DIR).set("s", SERVICE_DIR).text(
                "ownd \"$d\" || exit 90\nrm -rf -- \"$s\" && mkdir -m 700 -- \"$s\" || exit 91\n",
            );
            self.run(name, &msg!("prim-doing-prepare-service"), &prepare, None)?;
            let dir = self.absolute(server, SERVICE_DIR);
            for template in &self.site.templates.backup {
                let command = self.command(server, template, &[("dir", &dir)]);
                self.run(name, &msg!("prim-doing-service-backup"), &command, None)?;
            }
            patterns.push(SERVICE_DIR.to_string());
        }
        Ok(patterns)
    }

    /// Streams one archive from the server into the store, verified as it comes: of the
    /// resources themselves, or of the local copy.
    fn capture(&self, origin: &Origin, source: Source) -> Result<()> {
        let server = origin.server;
        let name = &server.name;
        let pending = self.store.begin(origin.generation, name)?;
        let command = match &source {
            Source::Resources(patterns) => tar_command(patterns),
            Source::LocalCopy(copy) => {
                Script::guarded().set("c", LOCAL_COPY).set("stamp", &copy.stamp).text(STAMP).text(
                    r#"a=$c/archive.tar
nolink "$a" || exit 90
[ -f "$a" ] || { echo "the local copy is gone" >&2; exit 3; }
same() { now=$(stamp "$a"); [ "$now" = "$stamp" ] || { printf '%s\n' "$now" >&2; exit 4; }; }
same
cat -- "$a" || exit $?
same
"#,
                )
            }
        };
        let path = pending.archive_path();
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        // At most 16 chunks wait for the reader: memory stays bounded per server in a batch.
        let (sender, receiver) = sync_channel::<Vec<u8>>(16);
        let archive_patterns = self.site.archive_patterns();
        let scanner = std::thread::spawn(move || {
            let mut out = BufWriter::new(file);
            let scan = archive::scan(
                ChannelReader { receiver, chunk: Vec::new(), at: 0 },
                &mut out,
                ARCHIVE,
                &archive_patterns,
                None,
            )?;
            out.flush()
                .and_then(|_| out.get_ref().sync_all())
                .map_err(|e| msg!("prim-archive-write-failed", error = e))?;
            Ok::<_, String>(scan)
        });
        let mut sink = ChannelWriter {
            sender,
            report: &self.report,
            server: name,
            moved: 0,
            // The content of a local copy is summed as it arrives.
            cksum: matches!(source, Source::LocalCopy(_)).then(archive::Cksum::new),
        };
        let exit = self.with_conn(name, |t| t.exec(&command, None, &mut sink));
        let arrived_cksum = sink.cksum.map(|c| c.finish().0);
        drop(sink.sender);
        let scan = scanner.join().unwrap_or_else(|_| Err(msg!("prim-archive-reader-crashed")));
        let exit = match exit {
            Ok(exit) => exit,
            // A lost connection cuts the stream short: that, not the short archive, is
            // what went wrong.
            Err(e @ Error::Unreachable { .. }) => return Err(e),
            Err(e) => {
                return Err(match scan {
                    Err(message) => Error::on_server(
                        name,
                        msg!("prim-backup-stream-unusable", message = message),
                    ),
                    Ok(_) => e,
                });
            }
        };
        if let (Source::LocalCopy(copy), 4) = (&source, exit.code) {
            return Err(copy.changed(name, exit.stderr.trim()));
        }
        if exit.code != 0 {
            return Err(Error::on_server(
                name,
                format!(
                    "{}\n  {}",
                    msg!(
                        "prim-archive-command-failed",
                        code = exit.code,
                        stderr = crate::error::sanitize(exit.stderr.trim())
                    ),
                    msg!("prim-no-backup-written")
                ),
            ));
        }
        let scan = scan.map_err(|message| {
            Error::on_server(name, msg!("prim-backup-stream-unusable", message = message))
        })?;
        // What arrived is what was copied while the server was stopped: a copy changed or
        // cut short on the server since is not a backup.
        if let Source::LocalCopy(copy) = &source {
            let size = scan.archive.as_ref().map_or(0, |a| a.size);
            if size != copy.size || arrived_cksum != Some(copy.cksum) {
                let cksum = arrived_cksum.unwrap_or_default();
                let arrived = msg!("prim-local-copy-arrived", size = size, cksum = cksum);
                return Err(copy.changed(name, &arrived));
            }
        }
        let mut manifest = self.manifest_for(origin, Some(scan));
        if let Source::LocalCopy(copy) = &source {
            // The backup is of the resources as they were when copied.
            manifest.created = copy.at.clone();
        }
        self.store.commit(pending, &manifest)?;
        // A set begun with new_generation() is in the ledger from its first backup on.
        let first_of_set = {
            let mut model = self.model();
            model.sets.remove(&manifest.generation)
        };
        if first_of_set && let Err(e) = self.store.mark_generation(&manifest.generation, "started")
        {
            self.report.warn(&msg!(
                "prim-generation-mark-failed",
                generation = manifest.generation,
                error = e
            ));
        }
        if !self.site.templates.backup.is_empty() {
            let clean = Script::guarded()
                .set("s", SERVICE_DIR)
                .text("nolink \"$s\" || exit 90\nrm -rf -- \"$s\"\n");
            let _ = self.run(name, &msg!("prim-doing-clean-up"), &clean, None);
        }
        Ok(())
    }
}

/// Where the local copy of a stopped server's resources waits, in kuroko's own folder.
const LOCAL_COPY: &str = "var/opt/kuroko/local-copy";

/// What happened while the server was stopped.
enum Copied {
    /// The backup went to the controller already (or was planned, in a dry run).
    Streamed,
    /// A local copy waits on the server: its size, sum and stamp as made, and when.
    Local(LocalCopy),
}

/// A local copy as it was made while the server was stopped: its size, its POSIX
/// `cksum` (taken on the server right after tar wrote it, and compared with the sum of
/// what arrives: the content), its stamp on the server (size, device, inode and
/// modification time, checked before and after it streams: another file in its place,
/// or a write, refused early), and when.
struct LocalCopy {
    size: u64,
    cksum: u32,
    stamp: String,
    at: String,
}

impl LocalCopy {
    /// The copy is not what was made while the server was stopped: no backup of it.
    fn changed(&self, server: &str, now: &str) -> Error {
        Error::on_server(
            server,
            msg!(
                "prim-local-copy-changed",
                made = format!("{} bytes, cksum {}, {}", self.size, self.cksum, self.stamp),
                now = crate::error::sanitize(now)
            ),
        )
    }
}

/// `stamp FILE`: what tells a file was replaced or written to since, without reading it
/// (as `make` and `rsync` tell), in UTC whatever the server's time zone. Not the change
/// time: a scanner or a relabelling that touches only the copy's metadata would refuse a
/// backup whose outage is over. A write that keeps the modification time (set back, or
/// within a file system's granularity, or through a memory map) is seen by the `cksum`
/// of the content.
const STAMP: &str = "stamp() { TZ=UTC0 stat -c '%s %d %i %y' -- \"$1\"; }\n";

/// What a backup's archive is read from.
enum Source<'a> {
    Resources(Vec<String>),
    LocalCopy(&'a LocalCopy),
}

/// Where a backup comes from, as its manifest records it.
struct Origin<'a> {
    server: &'a Server,
    role: Role,
    group: Option<String>,
    generation: &'a str,
    definitions: &'a str,
}

/// Expands the backup patterns on the server and streams one GNU tar archive of them.
/// A match reached through a symbolic link is refused; hard links are stored as the
/// files they are, so that an archive holds only files, folders and symbolic links.
/// A copy an earlier run left behind (killed before it could remove it) goes first.
fn tar_command(patterns: &[String]) -> Script {
    clear_local_copy()
        .then(&matched(patterns))
        .text("exec tar --format=gnu --hard-dereference -cf - -- \"$@\"\n")
}

/// Removes the local copy on the server, and kuroko's folder if the copy was all it held
/// (the server as it was); a symbolic link in the way is refused.
fn clear_local_copy() -> Script {
    Script::guarded()
        .set("d", KUROKO_DIR)
        .set("c", LOCAL_COPY)
        .text("nolink \"$c\" || exit 90\nrm -rf -- \"$c\"\nrmdir -- \"$d\" 2>/dev/null\n")
}

/// The backup patterns expanded on the server into `"$@"`, each reached through no
/// symbolic link; none matching is an error. For a guarded script to go on with.
fn matched(patterns: &[String]) -> Script {
    let mut script = Script::new().text("set --\nfor p in");
    for pattern in patterns {
        script = script.glob(pattern);
    }
    script.text(
        r#"; do
  if [ -e "$p" ] || [ -L "$p" ]; then
    d=${p%/*}; if [ "$d" != "$p" ]; then nolink "$d" || exit 90; fi
    set -- "$@" "$p"
  fi
done
if [ $# -eq 0 ]; then echo "no Interstage resources match the backup paths under the server's root" >&2; exit 3; fi
"#,
    )
}

/// The same archive written to a local copy in kuroko's private folder on the server,
/// after a check that the copy fits (the files' full sizes, every hard link and sparse
/// file written out, a header's worth per entry, and a tenth to spare). Prints `COPIED
/// CKSUM LENGTH STAMP` (the stamp begins with the size), `NOROOM NEEDED FREE` (KiB), or
/// `FAILED WHY` with the partial copy removed; a symbolic link in the way is refused
/// (exit 90), as everywhere.
fn local_copy_command(patterns: &[String]) -> Script {
    let script = Script::guarded().then(&matched(patterns));
    script.set("d", KUROKO_DIR).set("c", LOCAL_COPY).text(STAMP).text(
        r#"nolink "$c" || exit 90
fail() { rm -rf -- "$c"; rmdir -- "$d" 2>/dev/null; printf 'FAILED %s\n' "$1" | head -c 2000; exit 0; }
rm -rf -- "$c" 2>/dev/null
# The free space where the copy goes (its nearest folder that exists), before anything is made.
at=$c; while [ ! -e "$at" ] && [ "$at" != "${at%/*}" ]; do at=${at%/*}; done; [ -e "$at" ] || at=.
size=$(du -skl --apparent-size -- "$@" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')
entries=$(du -sl --inodes -- "$@" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')
free=$(df -Pk -- "$at" 2>/dev/null | awk 'NR == 2 { printf "%.0f", $4 }')
need=$(awk -v s="${size:-0}" -v e="${entries:-0}" 'BEGIN { printf "%.0f", (s + e) * 1.1 + 1024 }')
if [ -z "$free" ] || awk -v n="$need" -v f="$free" 'BEGIN { exit !(n > f) }'; then
  rmdir -- "$d" 2>/dev/null; echo "NOROOM $need ${free:-unknown}"; exit 0
fi
ownd "$d" 2>/dev/null || fail "kuroko's folder cannot be made or used"
mkdir -m 700 -- "$c" 2>/dev/null || fail "the copy's folder cannot be made"
# Written by tar alone, then summed while still in memory (POSIX cksum: the fastest
# sum every server has; the controller sums what arrives) and stamped.
tar --format=gnu --hard-dereference -cf "$c/archive.tar" -- "$@" 2> "$c/tar.err" ||
  fail "$(head -c 500 "$c/tar.err" 2>/dev/null | tr -s '[:space:]' ' ')"
rm -f -- "$c/tar.err"
sum=$(cksum < "$c/archive.tar") || fail "the copy cannot be summed"
stamp=$(stamp "$c/archive.tar") || fail "the copy cannot be examined"
echo "COPIED $sum $stamp" | tr -d '\000-\037'
echo
"#,
    )
}

pub fn check_generation(generation: &str) -> Result<String> {
    if crate::manifest::is_generation(generation) {
        Ok(generation.to_string())
    } else {
        Err(Error::Usage(msg!("prim-generation-bad-id", generation = generation)))
    }
}

/// Hands the stream to the archive reader and shows the bytes moved.
struct ChannelWriter<'a> {
    sender: SyncSender<Vec<u8>>,
    report: &'a crate::report::Report,
    server: &'a str,
    moved: u64,
    cksum: Option<archive::Cksum>,
}

impl Write for ChannelWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sender.send(buf.to_vec()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, msg!("prim-archive-reader-stopped"))
        })?;
        self.moved += buf.len() as u64;
        if let Some(cksum) = &mut self.cksum {
            cksum.update(buf);
        }
        self.report.bytes(self.server, self.moved);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ChannelReader {
    receiver: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.receiver.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
