//! Reading and writing small files on a server, for the checks and notes a procedure
//! keeps. The path is a `ServerPath`, checked after normalisation: Interstage resources,
//! the certificate environment, the install folder and kuroko's own record are written
//! only by restore, import and set_ip. Nothing is read or written through a symbolic
//! link already on the server.

use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::server_path::ServerPath;
use crate::shell::Script;

/// The most `read_file` returns (a Rhai string is limited to the same size).
const MAX_READ: usize = 1 << 20;

fn server_path(path: &str) -> Result<ServerPath> {
    ServerPath::parse(path).map_err(|why| {
        Error::Usage(format!(
            "{why} (read_file and write_file take a plain path relative to the server's root)"
        ))
    })
}

impl Runtime {
    /// `read_file(server, path)`: a regular text file under the server's root.
    pub fn read_file(&self, name: &str, path: &str) -> Result<String> {
        self.check_cancel()?;
        self.server(name)?;
        let path = server_path(path)?;
        let command =
            Script::guarded().set("f", path.as_str()).set("max", &(MAX_READ + 1).to_string()).text(
                r#"nolink "$f" || exit 90
if [ ! -f "$f" ]; then echo "\`$f' is not a regular file" >&2; exit 1; fi
head -c "$max" -- "$f"
"#,
            );
        let text = self.run(name, &format!("reading `{path}`"), &command, None)?;
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
        let path = server_path(path)?;
        if let Some(why) = self.site.protects(&server, &path) {
            return Err(Error::Usage(format!(
                "write_file refused `{path}` on `{name}`: {why}; it changes only through restore, import_backup and set_ip"
            )));
        }
        self.report.action(name, &format!("write `{path}` ({} bytes)", text.len()), &[]);
        if self.dry_run() {
            return Ok(());
        }
        let dir = path.parent().map(|p| p.as_str().to_string()).unwrap_or_else(|| ".".into());
        // A fresh temporary file beside the target (mktemp makes it, so nothing planted is
        // written through), then a rename that replaces the name itself.
        let command = Script::guarded().set("f", path.as_str()).set("d", &dir).text(
            r#"nolink "$f" || exit 90
mkdir -p -- "$d" || exit 91
nolink "$f" || exit 90
if [ -d "$f" ]; then echo "\`$f' is a folder" >&2; exit 91; fi
t=$(mktemp "$d/.kuroko-write.XXXXXX") || exit 91
if [ -f "$f" ]; then chmod --reference="$f" -- "$t" && chmod u-s,g-s -- "$t"; else chmod 644 -- "$t"; fi
if cat > "$t" && mv -fT -- "$t" "$f"; then exit 0; fi
rm -f -- "$t"; exit 91
"#,
        );
        self.run(name, &format!("writing `{path}`"), &command, Some(text.as_bytes()))?;
        Ok(())
    }
}
