//! Runbooks: the standard ones built into the binary from `stdlib/`, the site folder's
//! own (held inside it by the same guard as imports), or a script by path, each read
//! with a bound; their header (`//!` lines) says what they do and which parameters they take.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

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
        return Err(format!("{what} refused: only plain names inside {place}"));
    }
    let file = dir.join(relative);
    let base = dir.canonicalize().map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let real = file.canonicalize().map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    if !real.starts_with(&base) {
        return Err(format!(
            "{what} refused: it leads outside `{}` (to `{}`)",
            base.display(),
            real.display()
        ));
    }
    let meta =
        std::fs::metadata(&real).map_err(|e| format!("cannot read `{}`: {e}", real.display()))?;
    check_script(&meta).map_err(|why| format!("{what} refused: `{}` {why}", real.display()))?;
    Ok(real)
}

/// Why a file cannot be a script: not a regular file, or too large.
fn check_script(meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > MAX_SCRIPT {
        return Err(format!(
            "has {} bytes, more than the {MAX_SCRIPT} a script may have",
            meta.len()
        ));
    }
    Ok(())
}

/// Reads a script, refusing anything but a regular file of at most `MAX_SCRIPT` bytes
/// (a device or a FIFO is refused before it is read, and without blocking).
pub fn read_script(path: &Path) -> std::result::Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    check_script(&meta).map_err(|why| format!("`{name}` {why}"))?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    // It may have changed between the two looks: what was opened is what counts.
    check_script(&file.metadata().map_err(|e| e.to_string())?)
        .map_err(|why| format!("`{name}` {why}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SCRIPT + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SCRIPT {
        return Err(format!("`{name}` has more than the {MAX_SCRIPT} bytes a script may have"));
    }
    String::from_utf8(bytes).map_err(|_| format!("`{name}` is not UTF-8 text"))
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
                let hint = suggest(name, names().into_iter())
                    .map(|s| format!("did you mean `stdlib:{s}`? "))
                    .unwrap_or_default();
                Error::Usage(format!(
                    "no standard runbook `{name}`: {hint}the standard runbooks are {}",
                    names().join(", ")
                ))
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
            return Err(Error::Usage(format!(
                "`{}` is not a runbook name: a name is a plain file name without `.rhai` (a script is given by its path, `./x.rhai`)",
                what.escape_debug()
            )));
        }
        if let Some(folder) = site_folder
            && let Some(runbook) = Runbook::site(what, folder)?
        {
            return Ok(runbook);
        }
        Runbook::stdlib(what).ok_or_else(|| {
            let hint = suggest(what, STDLIB.iter().map(|(n, _)| *n))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("the standard runbooks are {}", names().join(", ")));
            Error::Usage(format!(
                "no runbook `{what}`: {hint} (a script is given by its path, `./x.rhai`)"
            ))
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
        let what = format!("the site runbook `{name}`");
        let source = guarded(folder, Path::new(&file), &what, "the site folder")
            .and_then(|real| read_script(&real))
            .map_err(|e| Error::Usage(format!("cannot use {what} (`{}`): {e}", path.display())))?;
        Ok(Some(Runbook {
            name: name.to_string(),
            origin: path.to_string_lossy().into_owned(),
            source,
            dir: Some(folder.to_path_buf()),
        }))
    }

    /// A script by its path: a regular file of at most `MAX_SCRIPT` bytes.
    pub fn file(what: &str) -> Result<Runbook> {
        let path = Path::new(what);
        let source = read_script(path)
            .map_err(|e| Error::Usage(format!("cannot read the runbook `{what}`: {e}")))?;
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
                let hint = suggest(name, declared.iter().map(|p| p.name.as_str()))
                    .map(|s| format!(": did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
                        if names.is_empty() {
                            ": it takes none".to_string()
                        } else {
                            format!(": it takes {}", names.join(", "))
                        }
                    });
                return Err(Error::Usage(format!(
                    "runbook `{}` has no parameter `{name}`{hint}",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

pub fn names() -> Vec<&'static str> {
    STDLIB.iter().map(|(n, _)| *n).collect()
}
