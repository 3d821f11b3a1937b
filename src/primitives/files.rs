//! Reading and writing small files on a server, for the checks and notes a procedure
//! keeps. Interstage resources and kuroko's own record are written only by restore,
//! import and set_ip, so writes there are refused.

use std::path::{Component, Path};

use crate::archive::matches_pattern;
use crate::error::{Error, Result};
use crate::runtime::{PROVENANCE, Runtime};

/// The most `read_file` returns (a Rhai string is limited to the same size).
const MAX_READ: usize = 1 << 20;

impl Runtime {
    /// `read_file(server, path)`: a text file under the server's root.
    pub fn read_file(&self, name: &str, path: &str) -> Result<String> {
        self.check_cancel()?;
        let server = self.server(name)?.clone();
        check_relative(path)?;
        let full = self.path_on(&server, path);
        let text = self.run(
            name,
            &format!("reading `{path}`"),
            &format!("head -c {} {full}", MAX_READ + 1),
            None,
        )?;
        if text.len() > MAX_READ {
            return Err(Error::Usage(format!(
                "`{path}` on `{name}` is larger than {MAX_READ} bytes: read_file is for small files"
            )));
        }
        Ok(text)
    }

    /// `write_file(server, path, text)`: writes (replaces) a file under the server's root,
    /// outside the Interstage resources.
    pub fn write_file(&self, name: &str, path: &str, text: &str) -> Result<()> {
        self.check_cancel()?;
        let server = self.server(name)?.clone();
        check_relative(path)?;
        let backup = &self.site.backup;
        let protected = backup
            .paths
            .iter()
            .chain(&backup.certificate_paths)
            .any(|pattern| matches_pattern(pattern, path).is_some())
            || path.starts_with("var/opt/kuroko/")
            || path == PROVENANCE;
        if protected {
            return Err(Error::Usage(format!(
                "`{path}` is part of the Interstage resources or kuroko's record: it changes only through restore, import_backup and set_ip"
            )));
        }
        self.report.action(name, &format!("write `{path}` ({} bytes)", text.len()), &[]);
        if self.dry_run() {
            return Ok(());
        }
        let full = self.path_on(&server, path);
        let dir = match Path::new(path).parent() {
            Some(parent) if !parent.as_os_str().is_empty() => {
                self.path_on(&server, &parent.to_string_lossy())
            }
            _ => self.path_on(&server, ""),
        };
        let command =
            format!("mkdir -p {dir} && cat > {full}.kuroko-new && mv {full}.kuroko-new {full}");
        self.run(name, &format!("writing `{path}`"), &command, Some(text.as_bytes()))?;
        Ok(())
    }
}

fn check_relative(path: &str) -> Result<()> {
    let plain = !path.is_empty()
        && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
        && !path.contains(|c: char| c == '\'' || c.is_control());
    if plain {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "`{path}` must be a plain path relative to the server's root (no `/` at the start, no `..`)"
        )))
    }
}
