//! Runbooks: the standard ones built into the binary from `stdlib/`, the site folder's
//! own (held inside it by the same guard as imports), or a script by path, each read
//! with a bound; their header (`//!` lines) says what they do and which parameters they take.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::site::{Site, suggest};

/// The standard library, embedded so the binary needs nothing beside it.
pub const STDLIB: &[(&str, &str)] = &[
    ("expand", include_str!("../stdlib/expand.rhai")),
    ("recover", include_str!("../stdlib/recover.rhai")),
    ("backup-site", include_str!("../stdlib/backup-site.rhai")),
];

#[derive(Debug, Clone)]
pub struct Runbook {
    pub name: String,
    /// Where errors point: `stdlib/expand.rhai` or the script's path.
    pub origin: String,
    pub source: String,
    /// The folder a script's own imports are resolved in (none for the stdlib).
    pub dir: Option<PathBuf>,
    /// The scripts it imports (and the site's hooks), each read once: shared by the
    /// fingerprint, the check, the dry run and the run.
    pub sources: Arc<Sources>,
}

/// The text of every script a run reads beside its runbook (modules, the site's hooks),
/// read from its file once and then served from memory: a file changed during the run
/// changes nothing, and what a plan's fingerprint covered is what runs. Once sealed
/// (a run from a plan), a script not read before is refused.
#[derive(Debug, Default)]
pub struct Sources {
    texts: Mutex<BTreeMap<PathBuf, Arc<str>>>,
    sealed: std::sync::atomic::AtomicBool,
}

impl Sources {
    /// The text of the script at `real` (a path the guard resolved).
    pub fn read(&self, real: &Path) -> std::result::Result<Arc<str>, String> {
        let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(text) = texts.get(real) {
            return Ok(text.clone());
        }
        if self.sealed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(crate::msg!("sitefile-source-not-planned", path = real.display()));
        }
        let text: Arc<str> = read_script(real)?.into();
        texts.insert(real.to_path_buf(), text.clone());
        Ok(text)
    }

    /// From now on only the scripts already read are served.
    pub fn seal(&self) {
        self.sealed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// `server` or `group`: the value must name one in the site, checked before any step.
    pub kind: Option<String>,
    pub help: String,
}

/// The largest script kuroko reads (a runbook, an import, the site's hooks).
pub const MAX_SCRIPT: u64 = 1 << 20;

/// The one guard for every script a folder supplies (imports, site runbooks, the site's
/// hooks): `relative` is made of plain names only, and the file it names, once every
/// symbolic link is followed, is a regular file inside `dir` (`place` in messages).
pub fn guarded(
    dir: &Path,
    relative: &Path,
    what: &str,
    place: &str,
) -> std::result::Result<PathBuf, String> {
    if relative.as_os_str().is_empty()
        || !relative.components().all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(crate::msg!("sitefile-guard-plain-names", what = what, place = place));
    }
    let cannot_read = |path: &Path, e: std::io::Error| {
        crate::msg!("sitefile-cannot-read-path", path = path.display(), error = e)
    };
    let file = dir.join(relative);
    let base = dir.canonicalize().map_err(|e| cannot_read(dir, e))?;
    let real = file.canonicalize().map_err(|e| cannot_read(&file, e))?;
    if !real.starts_with(&base) {
        return Err(crate::msg!(
            "sitefile-guard-outside",
            what = what,
            folder = base.display(),
            target = real.display()
        ));
    }
    let meta = std::fs::metadata(&real).map_err(|e| cannot_read(&real, e))?;
    check_script(&meta, &real.display().to_string())
        .map_err(|why| crate::msg!("sitefile-guard-refused", what = what, why = why))?;
    Ok(real)
}

/// Why the file `name` cannot be a script: not a regular file, or too large.
fn check_script(meta: &std::fs::Metadata, name: &str) -> std::result::Result<(), String> {
    if !meta.is_file() {
        return Err(crate::msg!("sitefile-script-not-file", name = name));
    }
    if meta.len() > MAX_SCRIPT {
        return Err(crate::msg!(
            "sitefile-script-too-large",
            name = name,
            size = meta.len(),
            max = MAX_SCRIPT
        ));
    }
    Ok(())
}

/// Reads a script, refusing anything but a regular file of at most `MAX_SCRIPT` bytes
/// (a device or a FIFO is refused before it is read, and without blocking).
pub fn read_script(path: &Path) -> std::result::Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    check_script(&meta, &name)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    // It may have changed between the two looks: what was opened is what counts.
    check_script(&file.metadata().map_err(|e| e.to_string())?, &name)?;
    let mut bytes = Vec::new();
    file.take(MAX_SCRIPT + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SCRIPT {
        return Err(crate::msg!("sitefile-script-over-limit", name = name, max = MAX_SCRIPT));
    }
    String::from_utf8(bytes).map_err(|_| crate::msg!("sitefile-not-utf8", name = name))
}

/// Whether `what` names a runbook rather than a file: no `/`, no `.rhai` ending.
fn is_name(what: &str) -> bool {
    !what.contains('/') && !what.ends_with(".rhai")
}

impl Runbook {
    /// A runbook by name — the site folder's `NAME.rhai` first, then the stdlib
    /// (`stdlib:NAME` names a standard one only) — or a script when `what` names a file.
    pub fn find_for(what: &str, site_folder: Option<&Path>) -> Result<Runbook> {
        if let Some(name) = what.strip_prefix("stdlib:") {
            return Runbook::stdlib(name).ok_or_else(|| {
                let all = names().join(", ");
                Error::Usage(match suggest(name, names().into_iter()) {
                    Some(s) => crate::msg!(
                        "sitefile-no-stdlib-runbook-suggest",
                        name = name,
                        suggestion = s,
                        runbooks = all
                    ),
                    None => crate::msg!("sitefile-no-stdlib-runbook", name = name, runbooks = all),
                })
            });
        }
        if !is_name(what) {
            return Runbook::file(what);
        }
        let plain = !what.is_empty()
            && !what.starts_with('.')
            && !what.contains('\\')
            && !what.chars().any(char::is_control);
        if !plain {
            return Err(Error::Usage(crate::msg!(
                "sitefile-not-runbook-name",
                name = what.escape_debug()
            )));
        }
        if let Some(folder) = site_folder
            && let Some(runbook) = Runbook::site(what, folder)?
        {
            return Ok(runbook);
        }
        Runbook::stdlib(what).ok_or_else(|| {
            Error::Usage(match suggest(what, STDLIB.iter().map(|(n, _)| *n)) {
                Some(s) => crate::msg!("sitefile-no-runbook-suggest", name = what, suggestion = s),
                None => {
                    crate::msg!("sitefile-no-runbook", name = what, runbooks = names().join(", "))
                }
            })
        })
    }

    /// A stdlib runbook by name, or a script when `what` names a file.
    pub fn find(what: &str) -> Result<Runbook> {
        Runbook::find_for(what, None)
    }

    /// The standard runbook `name`, if there is one.
    pub fn stdlib(name: &str) -> Option<Runbook> {
        STDLIB.iter().find(|(n, _)| *n == name).map(|(name, source)| Runbook {
            name: name.to_string(),
            origin: format!("stdlib/{name}.rhai"),
            source: source.to_string(),
            dir: None,
            sources: Default::default(),
        })
    }

    /// The site folder's runbook `name` (`FOLDER/NAME.rhai`), if the folder has one.
    /// It must stay inside the folder: one that leads out is refused, never passed over.
    pub fn site(name: &str, folder: &Path) -> Result<Option<Runbook>> {
        let file = format!("{name}.rhai");
        let path = folder.join(&file);
        if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == ErrorKind::NotFound) {
            return Ok(None);
        }
        let what = crate::msg!("sitefile-site-runbook", name = name);
        let place = crate::msg!("sitefile-site-folder");
        let source = guarded(folder, Path::new(&file), &what, &place)
            .and_then(|real| read_script(&real))
            .map_err(|e| {
                Error::Usage(crate::msg!(
                    "sitefile-cannot-use",
                    what = what,
                    path = path.display(),
                    error = e
                ))
            })?;
        Ok(Some(Runbook {
            name: name.to_string(),
            origin: path.to_string_lossy().into_owned(),
            source,
            dir: Some(folder.to_path_buf()),
            sources: Default::default(),
        }))
    }

    /// A script by its path: a regular file of at most `MAX_SCRIPT` bytes.
    pub fn file(what: &str) -> Result<Runbook> {
        let path = Path::new(what);
        let source = read_script(path).map_err(|e| {
            Error::Usage(crate::msg!("sitefile-cannot-read-runbook", name = what, error = e))
        })?;
        // Recorded by its real path, so that `kuroko resume` finds it from any folder.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let path = absolute.as_path();
        let what = &*absolute.to_string_lossy();
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Runbook {
            name,
            origin: what.to_string(),
            source,
            dir: Some(
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from(".")),
            ),
            sources: Default::default(),
        })
    }

    /// The first `//!` line: what the runbook does.
    pub fn summary(&self) -> String {
        self.header().next().unwrap_or_default().to_string()
    }

    fn header(&self) -> impl Iterator<Item = &str> {
        self.source.lines().map_while(|l| l.strip_prefix("//!")).map(str::trim)
    }

    /// Parameters the header declares as `//! param NAME [<server>|<group>]: what it is`.
    pub fn params(&self) -> Vec<Param> {
        self.header()
            .filter_map(|l| l.strip_prefix("param "))
            .filter_map(|l| l.split_once(':'))
            .map(|(head, help)| {
                let mut words = head.split_whitespace();
                let name = words.next().unwrap_or_default().to_string();
                let kind =
                    words.next().map(|k| k.trim_matches(|c| c == '<' || c == '>').to_string());
                Param { name, kind, help: help.trim().to_string() }
            })
            .collect()
    }

    /// Refuses parameters the runbook does not declare (a typo would otherwise be
    /// ignored) and values that name no server or group of the site, before any step.
    pub fn check_params(&self, given: &BTreeMap<String, String>, site: &Site) -> Result<()> {
        let declared = self.params();
        for param in &declared {
            match (param.kind.as_deref(), given.get(&param.name)) {
                (Some("server"), Some(value)) => {
                    site.server(value)?;
                }
                (Some("group"), Some(value)) => site.check_group(value)?,
                _ => {}
            }
        }
        for name in given.keys() {
            if !declared.iter().any(|p| &p.name == name) {
                let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
                let runbook = &self.name;
                return Err(Error::Usage(match suggest(name, names.iter().copied()) {
                    Some(s) => crate::msg!(
                        "sitefile-no-param-suggest",
                        runbook = runbook,
                        name = name,
                        suggestion = s
                    ),
                    None if names.is_empty() => {
                        crate::msg!("sitefile-no-param-none", runbook = runbook, name = name)
                    }
                    None => crate::msg!(
                        "sitefile-no-param",
                        runbook = runbook,
                        name = name,
                        params = names.join(", ")
                    ),
                }));
            }
        }
        Ok(())
    }
}

pub fn names() -> Vec<&'static str> {
    STDLIB.iter().map(|(n, _)| *n).collect()
}
