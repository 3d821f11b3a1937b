//! The backup store on the controller: one folder per backup, `GENERATION/SERVER/`, holding
//! the archive, its manifest and two `sha256sum -c` files. A backup is written under a
//! temporary name and renamed only when complete and verified, so a folder with a plain
//! name is always a whole backup.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::archive;
use crate::error::{Error, Result};
use crate::manifest::{ARCHIVE, ARCHIVE_SUM, FILE_SUMS, MANIFEST, Manifest};

const STATE: &str = "kuroko-state.json";

pub struct Store {
    root: PathBuf,
    /// The site's backup paths: what an archive's units must match.
    patterns: Vec<String>,
    /// The site's identity and file, for the lock's holder.
    site_id: String,
    site_name: String,
    site_file: PathBuf,
}

/// The largest manifest kuroko reads.
const MAX_MANIFEST: u64 = 64 << 20;

/// A backup being written: its temporary folder and final name.
pub struct Pending {
    pub dir: PathBuf,
    final_dir: PathBuf,
}

impl Pending {
    pub fn archive_path(&self) -> PathBuf {
        self.dir.join(ARCHIVE)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Reached with the folder still there only when the backup failed: leave nothing
        // that could be mistaken for a backup.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What kuroko remembers about the site between runs (kept beside the backups).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SiteState {
    /// Server → (group it was deleted from, when). R2 and R3 read it.
    #[serde(default)]
    pub removed: BTreeMap<String, Removal>,
    /// Group membership kept by kuroko where the site has no `group_list` command.
    #[serde(default)]
    pub membership: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Removal {
    pub group: String,
    pub at: String,
}

impl Store {
    pub fn new(site: &crate::site::Site) -> Store {
        Store {
            root: site.store.clone(),
            patterns: site.archive_patterns(),
            site_id: site.id.clone(),
            site_name: site.name.clone(),
            site_file: site.file.clone(),
        }
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Starts a backup of `server` in `generation`.
    pub fn begin(&self, generation: &str, server: &str) -> Result<Pending> {
        let final_dir = self.root.join(generation).join(server);
        if fs::symlink_metadata(&final_dir).is_ok() {
            return Err(Error::Backup {
                id: format!("{generation}/{server}"),
                message: crate::msg!("cmd-store-exists"),
            });
        }
        let parent = self.root.join(generation);
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let dir = parent.join(format!(".tmp-{server}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Pending { dir, final_dir })
    }

    /// Writes the manifest and checksum files, verifies the archive against them from
    /// disk, and only then gives the backup its real name.
    pub fn commit(&self, pending: Pending, manifest: &Manifest) -> Result<()> {
        // The first backup pins the site's identity in its store (see `Site::id`).
        let pin = self.root.join(crate::site::SITE_ID_FILE);
        if fs::symlink_metadata(&pin).is_err() {
            let _ = fs::write(&pin, format!("{} {}\n", self.site_id, self.site_name));
        }
        let id = &manifest.id;
        let json = serde_json::to_string_pretty(manifest).expect("manifest serialises");
        for (name, text) in [
            (MANIFEST, json),
            (FILE_SUMS, manifest.file_sums()),
            (ARCHIVE_SUM, manifest.archive_sum()),
        ] {
            write_synced(&pending.dir.join(name), text.as_bytes())?;
        }
        archive::verify(&pending.archive_path(), manifest, &self.patterns, None).map_err(
            |message| Error::Backup {
                id: id.clone(),
                message: crate::msg!("cmd-store-failed-check", message = message),
            },
        )?;
        fs::rename(&pending.dir, &pending.final_dir)
            .map_err(|e| Error::io(&pending.final_dir, e))?;
        if let Some(parent) = pending.final_dir.parent()
            && let Ok(dir) = fs::File::open(parent)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// The folder of backup `id`, refusing ids that would leave the store.
    pub fn dir_of(&self, id: &str) -> Result<PathBuf> {
        let parts: Vec<&str> = id.split('/').collect();
        let valid = parts.len() == 2
            && crate::manifest::is_generation(parts[0])
            && crate::site::is_name(parts[1]);
        if !valid {
            return Err(Error::Usage(crate::msg!("cmd-store-not-backup-id", id = id)));
        }
        Ok(self.root.join(parts[0]).join(parts[1]))
    }

    pub fn load(&self, id: &str) -> Result<Manifest> {
        let dir = self.dir_of(id)?;
        let path = dir.join(MANIFEST);
        let backup_error = |message: String| Error::Backup { id: id.to_string(), message };
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(backup_error(crate::msg!("cmd-store-not-folder", dir = dir.display())));
            }
            Err(_) => {
                return Err(backup_error(crate::msg!(
                    "cmd-store-no-such",
                    store = self.root.display()
                )));
            }
        }
        let mut text = String::new();
        archive::open_regular(&path, MAX_MANIFEST)
            .and_then(|file| {
                use std::io::Read;
                file.take(MAX_MANIFEST).read_to_string(&mut text).map_err(|e| {
                    crate::msg!("cmd-store-cannot-read", path = path.display(), error = e)
                })
            })
            .map_err(|e| backup_error(crate::msg!("cmd-store-manifest-unreadable", error = e)))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Error::Backup {
            id: id.to_string(),
            message: crate::msg!("cmd-store-manifest-damaged", path = path.display(), error = e),
        })?;
        manifest.check(&self.patterns).map_err(|why| {
            Error::Refused(crate::rules::Refusal::new(
                crate::rules::Rule::R8,
                &manifest.server,
                crate::msg!("cmd-store-forged", id = id, why = why),
                crate::msg!("cmd-store-use-another"),
            ))
        })?;
        if manifest.id != id {
            return Err(Error::Backup {
                id: id.to_string(),
                message: crate::msg!("cmd-store-moved", other = manifest.id),
            });
        }
        Ok(manifest)
    }

    /// R8 for a stored backup; with `rewrite`, the verified entries are re-written there
    /// as the canonical archive that goes to a server.
    pub fn verify(
        &self,
        manifest: &Manifest,
        rewrite: Option<archive::Rewrite>,
    ) -> Result<archive::Scan> {
        let path = self.dir_of(&manifest.id)?.join(&manifest.archive.name);
        archive::verify(&path, manifest, &self.patterns, rewrite).map_err(|message| {
            Error::Refused(crate::rules::Refusal::new(
                crate::rules::Rule::R8,
                &manifest.server,
                crate::msg!("cmd-store-verify-failed", id = manifest.id, message = message),
                crate::msg!("cmd-store-use-another"),
            ))
        })
    }

    pub fn archive_path(&self, manifest: &Manifest) -> Result<PathBuf> {
        Ok(self.dir_of(&manifest.id)?.join(&manifest.archive.name))
    }

    /// Every backup in the store, oldest first, and the folders that are not backups
    /// (interrupted writes, damaged manifests) with why.
    pub fn list(&self) -> (Vec<Manifest>, Vec<(PathBuf, String)>) {
        let mut found = Vec::new();
        let mut odd = Vec::new();
        let Ok(generations) = fs::read_dir(&self.root) else { return (found, odd) };
        for generation in generations.flatten() {
            // The journal lives beside the generations, and a backup being removed is
            // moved aside under a dotted name first.
            if !generation.path().is_dir()
                || generation.file_name() == "journal"
                || generation.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let Ok(servers) = fs::read_dir(generation.path()) else { continue };
            for server in servers.flatten() {
                let name = server.file_name().to_string_lossy().into_owned();
                if name.starts_with(".tmp-") {
                    odd.push((server.path(), crate::msg!("cmd-store-interrupted")));
                    continue;
                }
                let id = format!("{}/{name}", generation.file_name().to_string_lossy());
                match self.load(&id) {
                    Ok(manifest) => found.push(manifest),
                    Err(e) => odd.push((server.path(), e.to_string())),
                }
            }
        }
        found.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
        (found, odd)
    }

    pub fn state(&self) -> Result<SiteState> {
        let path = self.root.join(STATE);
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                Error::Other(anyhow::anyhow!(crate::msg!(
                    "cmd-store-record-damaged",
                    path = path.display(),
                    error = e
                )))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SiteState::default()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    pub fn save_state(&self, state: &SiteState) -> Result<()> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(STATE);
        let tmp = self.root.join(format!(".{STATE}.tmp"));
        write_synced(&tmp, serde_json::to_string_pretty(state).expect("serialises").as_bytes())?;
        fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    }
}

fn write_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut file = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(data).and_then(|_| file.sync_all()).map_err(|e| Error::io(path, e))
}

/// The site's lock: one changing kuroko run at a time per site (R4 across runs). Held for
/// as long as this value lives; the kernel releases it when the process ends, however it
/// ends, so a killed run never leaves the site locked.
pub struct SiteLock {
    _file: fs::File,
    holder: String,
    /// Lets go of the lock's other half (on the admin server) first.
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl SiteLock {
    /// Runs `release` when the lock goes, before the store's half is let go.
    pub fn also_release(&mut self, release: impl FnOnce() + Send + 'static) {
        self.release = Some(Box::new(release));
    }

    /// The holder line written beside the lock.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

impl Store {
    fn lock_file(&self) -> Result<(PathBuf, fs::File)> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(".kuroko-site.lock");
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok((path, file))
    }

    /// Takes the site's lock for `what` (run `run`), waiting up to `wait` for another
    /// holder to let go, or says who holds it. The kernel lets go of it however the
    /// holder ends, so a dead holder never blocks; what it left is found in its journal.
    pub fn lock(
        &self,
        what: &str,
        run: &str,
        wait: Option<std::time::Duration>,
    ) -> Result<SiteLock> {
        let (path, mut file) = self.lock_file()?;
        // A moment's grace even without `--wait`: `status` probes the lock briefly.
        let deadline = Some(std::time::Instant::now() + wait.unwrap_or(PROBE_GRACE));
        loop {
            match file.try_lock() {
                Ok(()) => {
                    let holder = format!(
                        "run {run}: {what} by {} on {}, pid {}, since {} (site id {}, store {}, site file {}, {})\n",
                        crate::commands::operator(),
                        crate::commands::host_name(),
                        std::process::id(),
                        now(),
                        self.site_id,
                        self.root.display(),
                        self.site_file.display(),
                        crate::site_lock::whereabouts(std::process::id())
                    );
                    // Beside the lock, replaced whole: a reader never sees half of it, nor
                    // the previous holder's once this returns.
                    let record = self.root.join(".kuroko-site.holder");
                    let staged =
                        self.root.join(format!(".kuroko-site.holder.{}", std::process::id()));
                    let _ = fs::write(&staged, holder.as_bytes())
                        .and_then(|_| fs::rename(&staged, &record));
                    let _ = file.set_len(0).and_then(|_| file.write_all(holder.as_bytes()));
                    return Ok(SiteLock { _file: file, holder, release: None });
                }
                Err(fs::TryLockError::WouldBlock) => {
                    if deadline.is_some_and(|d| std::time::Instant::now() < d) {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        continue;
                    }
                    let holder = Self::holder_of(&mut file);
                    let holder = crate::error::sanitize(holder.trim());
                    let busy = match wait {
                        Some(w) => crate::msg!(
                            "cmd-store-busy-waited",
                            waited = humantime::format_duration(w),
                            holder = holder
                        ),
                        None => crate::msg!("cmd-store-busy", holder = holder),
                    };
                    return Err(Error::Busy(format!(
                        "{busy}\n  {}",
                        crate::msg!("cmd-store-busy-why")
                    )));
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
    }

    fn holder_of(file: &mut fs::File) -> String {
        use std::io::{Read, Seek};
        let mut holder = String::new();
        let _ = file.rewind().and_then(|_| file.take(512).read_to_string(&mut holder));
        holder
    }

    /// The run holding the site's lock now, if a run holds it.
    pub fn live_run(&self) -> Option<String> {
        let (_, file) = self.lock_file().ok()?;
        // A shared probe: it never holds out a run for longer than the run's grace.
        match file.try_lock_shared() {
            Ok(()) => None,
            Err(_) => {
                let holder = fs::read_to_string(self.root.join(".kuroko-site.holder")).ok()?;
                holder.strip_prefix("run ")?.split(':').next().map(str::to_string)
            }
        }
    }
}

/// The generations' ledger, one file at the store's top: lines `GEN started` when
/// `new_generation()` began a set (as `backup-site` does) and `GEN complete` when
/// `complete_generation()` finished it, appended (a line is written whole). Never among
/// the backups or the journals.
const GENERATION_LEDGER: &str = ".kuroko-generations";

/// Where a generation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationState {
    /// Backups taken one by one (a batch, a script): no set was begun.
    Loose,
    /// A set begun and never finished: a `backup-site` that failed part way.
    Incomplete,
    Complete,
}

impl Store {
    /// Marks `generation` as `started` or `complete` (a line appended to the ledger).
    pub fn mark_generation(&self, generation: &str, state: &str) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if !crate::manifest::is_generation(generation) {
            return Err(Error::Usage(crate::msg!(
                "cmd-store-not-generation",
                generation = generation
            )));
        }
        fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(GENERATION_LEDGER);
        // Never through a link, never blocking on a FIFO: a regular file or nothing.
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            return Err(Error::Other(anyhow::anyhow!(crate::msg!(
                "cmd-store-not-regular",
                path = path.display()
            ))));
        }
        file.write_all(format!("{generation} {state}\n").as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| Error::io(&path, e))
    }

    /// The ledger's last word on every generation it names: empty when there is no
    /// ledger, an error when there is one that cannot be read (a link, a FIFO, too big).
    pub fn ledger(&self) -> Result<BTreeMap<String, String>> {
        use std::io::Read;
        let path = self.root.join(GENERATION_LEDGER);
        if fs::symlink_metadata(&path).is_err() {
            return Ok(BTreeMap::new());
        }
        let mut bytes = Vec::new();
        archive::open_regular(&path, 64 << 20)
            .map_err(|e| Error::Other(anyhow::anyhow!(crate::msg!("cmd-store-ledger", error = e))))?
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&path, e))?;
        Ok(bytes
            .split(|b| *b == b'\n')
            .map(String::from_utf8_lossy)
            .filter_map(|l| l.split_once(' ').map(|(g, s)| (g.to_string(), s.trim().to_string())))
            .filter(|(g, _)| crate::manifest::is_generation(g))
            .collect())
    }

    /// Where `generation` stands, from the ledger (as `Loose` when it cannot be read:
    /// `backups list` says so, and `prune` refuses).
    pub fn generation_state(&self, generation: &str) -> GenerationState {
        match self.ledger().unwrap_or_default().get(generation).map(String::as_str) {
            Some("complete") => GenerationState::Complete,
            Some(_) => GenerationState::Incomplete,
            None => GenerationState::Loose,
        }
    }

    /// Finishes removals a kill cut short (under the site lock): what was moved aside was
    /// on its way out already.
    pub fn finish_removals(&self) {
        let Ok(entries) = fs::read_dir(&self.root) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".removing-")
                && entry.file_type().is_ok_and(|t| t.is_dir())
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Drops generations that have no backup left from the ledger (under the site lock).
    pub fn tidy_ledger(&self) {
        let path = self.root.join(GENERATION_LEDGER);
        let Ok(ledger) = self.ledger() else { return };
        if ledger.is_empty() {
            return;
        }
        let kept: String = ledger
            .iter()
            .filter(|(g, _)| self.root.join(g).is_dir())
            .map(|(g, s)| format!("{g} {s}\n"))
            .collect();
        let staged = self.root.join(format!("{GENERATION_LEDGER}.{}", std::process::id()));
        let written = fs::File::create(&staged)
            .and_then(|mut f| f.write_all(kept.as_bytes()).and_then(|_| f.sync_all()))
            .and_then(|_| fs::rename(&staged, &path));
        if written.is_err() {
            let _ = fs::remove_file(&staged);
        }
    }

    /// Removes backup `id` (moved aside first, so a kill leaves it whole or gone), and its
    /// generation's folder once it is empty.
    pub fn remove(&self, id: &str) -> Result<()> {
        let dir = self.dir_of(id)?;
        // `+` is in no generation id or server name: one aside name per backup.
        let aside = self.root.join(format!(".removing-{}", id.replace('/', "+")));
        fs::rename(&dir, &aside).map_err(|e| Error::io(&dir, e))?;
        fs::remove_dir_all(&aside).map_err(|e| Error::io(&aside, e))?;
        if let Some(generation) = dir.parent() {
            let _ = fs::remove_dir(generation);
        }
        Ok(())
    }
}

impl Store {
    /// Marks an approved plan (by its sha256) as run, under the site's lock; refused when
    /// it ran before. The ledger `.kuroko-plans` is written only as a regular file.
    pub fn use_plan(&self, sha256: &str, run: &str) -> Result<()> {
        use std::io::{Read, Write};
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.root.join(".kuroko-plans");
        let mut file = fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        if !file.metadata().map_err(|e| Error::io(&path, e))?.is_file() {
            return Err(Error::Usage(crate::msg!(
                "cmd-store-plans-not-regular",
                path = path.display()
            )));
        }
        let mut used = String::new();
        (&mut file).take(64 << 20).read_to_string(&mut used).map_err(|e| Error::io(&path, e))?;
        if let Some(line) = used.lines().find(|line| line.split_whitespace().next() == Some(sha256))
        {
            let by = line.split_whitespace().nth(2).unwrap_or("?");
            return Err(Error::Usage(crate::msg!(
                "cmd-store-plan-ran",
                sha256 = sha256.get(..16).unwrap_or(sha256),
                run = crate::error::sanitize(by)
            )));
        }
        writeln!(file, "{sha256} {} {run}", now()).map_err(|e| Error::io(&path, e))?;
        file.sync_data().map_err(|e| Error::io(&path, e))
    }
}

/// How long a run retries the site's lock when no `--wait` was given, so that a
/// brief probe by `kuroko status` never turns it away.
const PROBE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A new generation id: UTC time to the millisecond plus a few random hex digits, so that
/// ids sort in the order they were made (two sets begun in one second included).
pub fn new_generation() -> String {
    let now = SystemTime::now();
    let stamp = humantime::format_rfc3339_millis(now).to_string();
    let compact: String = stamp.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let nanos = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let noise = archive::sha256_hex(format!("{nanos}-{}", std::process::id()).as_bytes());
    format!("{compact}-{}", &noise[..6])
}

pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}
