//! Reading and writing small files on a server, for the checks and notes a procedure
//! keeps. The path is a `ServerPath`, checked after normalisation: Interstage resources,
//! the certificate environment, the install folder and kuroko's own record are written
//! only by restore, import and set_ip. Nothing is read or written through a symbolic
//! link already on the server.

use crate::error::{Error, Result};
use crate::msg;
use crate::runtime::Runtime;
use crate::server_path::ServerPath;
use crate::shell::Script;

/// The most `read_file` returns (a Rhai string is limited to the same size).
const MAX_READ: usize = 1 << 20;

/// A script that enters the folder holding `path` (made if missing, reached through no
/// symbolic link, and checked with `pwd -P` to be that folder once inside), with the
/// file's name in `$n` and its whole path in `$f`: from there it works on `$n` alone.
fn in_folder(path: &ServerPath, create: bool) -> Script {
    let dir = path.parent().map(|p| p.as_str().to_string()).unwrap_or_else(|| ".".into());
    let file = path.components().last().unwrap_or_default().to_string();
    Script::guarded()
        .set("f", path.as_str())
        .set("d", &dir)
        .set("n", &file)
        .set("create", if create { "yes" } else { "no" })
        .text(
        r#"nolink "$f" || exit 90
if [ "$create" = yes ]; then mkdir -p -- "$d" || exit 91; fi
if [ ! -d "$d" ]; then echo "\`$f' does not exist" >&2; exit 1; fi
nolink "$d" || exit 90
r=$(pwd -P) || exit 91
cd -P -- "$d" || exit 91
case "$d" in .) want=$r ;; *) want=${r%/}/$d ;; esac
if [ "$(pwd -P)" != "$want" ]; then echo "refused: \`$d' on the server changed while kuroko used it (a symbolic link swapped in?)" >&2; exit 90; fi
"#,
    )
}

fn server_path(path: &str) -> Result<ServerPath> {
    ServerPath::parse(path).map_err(|why| Error::Usage(msg!("prim-files-bad-path", why = why)))
}

impl Runtime {
    /// `read_file(server, path)`: a regular text file under the server's root.
    pub fn read_file(&self, name: &str, path: &str) -> Result<String> {
        self.check_cancel()?;
        self.server(name)?;
        let path = server_path(path)?;
        let command = in_folder(&path, false).set("max", &(MAX_READ + 1).to_string()).text(
            r#"if [ -L "$n" ]; then echo "refused: \`$f' is a symbolic link on the server: kuroko writes and reads through none" >&2; exit 90; fi
if [ ! -f "$n" ]; then echo "\`$f' is not a regular file" >&2; exit 1; fi
dd if="$n" iflag=nofollow,nonblock,count_bytes count="$max" bs=65536 status=none
"#,
        );
        let text = self.run(name, &msg!("prim-doing-read-file", path = path), &command, None)?;
        if text.len() > MAX_READ {
            return Err(Error::Usage(msg!(
                "prim-read-too-large",
                path = path,
                server = name,
                max = MAX_READ
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
            return Err(Error::Usage(msg!(
                "prim-write-refused",
                path = path,
                server = name,
                why = why
            )));
        }
        // The content is bound by its sha256, unless it holds a secret (a hash of a
        // short secret would let one guess it).
        let secret = self.journal().is_some_and(|j| j.holds_secret(text));
        let sha256 = crate::archive::sha256_hex(text.as_bytes());
        let bytes = text.len().to_string();
        let path_text = path.to_string();
        let say = |l| {
            let args =
                [("path", path_text.as_str()), ("bytes", bytes.as_str()), ("sha256", &sha256)];
            if secret {
                crate::i18n::t_in(l, "act-write-secret", &args)
            } else {
                crate::i18n::t_in(l, "act-write", &args)
            }
        };
        self.act(name, say, &[])?;
        if self.dry_run() {
            return Ok(());
        }
        // In the folder (checked to be the one named, after `cd -P`), a fresh temporary file
        // made by mktemp, then a rename that replaces the name itself: nothing planted on
        // the server is written through, even if it is swapped while kuroko works.
        let command = in_folder(&path, true).text(
            r#"if [ -L "$n" ]; then echo "refused: \`$f' is a symbolic link on the server: kuroko writes and reads through none" >&2; exit 90; fi
if [ -d "$n" ]; then echo "\`$f' is a folder" >&2; exit 91; fi
t=$(mktemp ./.kuroko-write.XXXXXX) || exit 91
if [ -f "$n" ] && [ ! -L "$n" ]; then chmod --reference="$n" -- "$t" && chmod u-s,g-s -- "$t"; else chmod 644 -- "$t"; fi
if cat > "$t" && mv -fT -- "$t" "$n"; then exit 0; fi
rm -f -- "$t"; exit 91
"#,
        );
        self.run(
            name,
            &msg!("prim-doing-write-file", path = path),
            &command,
            Some(text.as_bytes()),
        )?;
        Ok(())
    }
}
