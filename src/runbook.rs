//! Runbooks: the standard ones built into the binary from `stdlib/`, or a script by
//! path; their header (`//!` lines) says what they do and which parameters they take.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

impl Runbook {
    /// A runbook by name — the site folder's `NAME.rhai` first, then the stdlib
    /// (`stdlib:NAME` skips the site folder) — or a script when `what` names a file.
    pub fn find_for(what: &str, site_folder: Option<&Path>) -> Result<Runbook> {
        let plain = !what.contains('/') && !what.ends_with(".rhai");
        if let (Some(folder), true) = (site_folder, plain && !what.starts_with("stdlib:")) {
            let path = folder.join(format!("{what}.rhai"));
            if path.is_file() {
                let source = std::fs::read_to_string(&path).map_err(|e| {
                    Error::Usage(format!("cannot read the site runbook `{}`: {e}", path.display()))
                })?;
                return Ok(Runbook {
                    name: what.to_string(),
                    origin: path.to_string_lossy().into_owned(),
                    source,
                    dir: Some(folder.to_path_buf()),
                });
            }
        }
        Runbook::find(what.strip_prefix("stdlib:").unwrap_or(what))
    }

    /// A stdlib runbook by name, or a script when `what` names a file.
    pub fn find(what: &str) -> Result<Runbook> {
        if let Some((name, source)) = STDLIB.iter().find(|(name, _)| *name == what) {
            return Ok(Runbook {
                name: name.to_string(),
                origin: format!("stdlib/{name}.rhai"),
                source: source.to_string(),
                dir: None,
            });
        }
        let path = Path::new(what);
        if path.extension().is_some_and(|e| e == "rhai") || what.contains('/') {
            let source = std::fs::read_to_string(path)
                .map_err(|e| Error::Usage(format!("cannot read the runbook `{what}`: {e}")))?;
            let name =
                path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            return Ok(Runbook {
                name,
                origin: what.to_string(),
                source,
                dir: Some(
                    path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")),
                ),
            });
        }
        let hint = suggest(what, STDLIB.iter().map(|(n, _)| *n))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| format!("the standard runbooks are {}", names().join(", ")));
        Err(Error::Usage(format!(
            "no runbook `{what}`: {hint} (a script is given by its path, `./x.rhai`)"
        )))
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
