//! How kuroko reaches a server. Everything kuroko does on a server is a shell command with
//! optional input and streamed output, so one small trait covers the rehearsal folders
//! (`local`) and, later, real servers over SSH.

mod jump;
mod local;
mod ssh;

use std::io::{Read, Write};

pub use local::LocalTransport;
pub use ssh::{SshTransport, trust, trust_host};

use crate::error::{Error, Result, sanitize};
use crate::shell::Script;
use crate::site::{Server, TransportKind};

/// The end of a command: its exit code and what it wrote to stderr.
#[derive(Debug, Clone)]
pub struct Exit {
    pub code: i32,
    pub stderr: String,
}

pub trait Transport: Send {
    /// Runs `command` with `sh -c` on the server, feeding `input` to its stdin and
    /// streaming its stdout into `output`. Fails only when the server cannot be reached
    /// or the stream breaks; a command that fails is an `Exit` with a non-zero code.
    fn exec(
        &mut self,
        command: &Script,
        input: Option<&mut (dyn Read + Send)>,
        output: &mut (dyn Write + Send),
    ) -> Result<Exit>;
}

/// Opens the transport the site file names for `server`.
pub fn connect(server: &Server) -> Result<Box<dyn Transport>> {
    match server.transport {
        TransportKind::Local => Ok(Box::new(LocalTransport::open(server)?)),
        TransportKind::Ssh => Ok(Box::new(SshTransport::open(server)?)),
    }
}

/// The shell text that runs `command` as the site file says for `server`: inside its
/// root, with its PATH additions, through `sudo -n` where configured. A NUL byte cannot
/// cross `exec` intact (the text would be cut short there), so it is refused.
pub fn wrap(server: &Server, command: &Script) -> Result<String> {
    Ok(wrapped(server, command)?.command_line(server.sudo))
}

/// The script `wrap` runs: into the server's root, its PATH, then `command`.
pub fn wrapped(server: &Server, command: &Script) -> Result<Script> {
    let root = server.root.to_string_lossy();
    let mut script = Script::new()
        .text("cd -- ")
        .arg(if root.is_empty() { "/" } else { &root })
        .text(" || exit 97\n");
    if !server.path.is_empty() {
        let prefix = server.root_prefix();
        script = script.text("PATH=");
        for (index, dir) in server.path.iter().enumerate() {
            if index > 0 {
                script = script.text(":");
            }
            script = script.join(&dir.fill(&[("root", &prefix)]));
        }
        script = script.text(":\"$PATH\"; export PATH\n");
    }
    let script = script.then(command);
    if script.as_str().contains('\0') {
        return Err(Error::on_server(&server.name, crate::msg!("transport-nul-byte")));
    }
    Ok(script)
}

/// A finished command with its output captured.
#[derive(Debug, Clone)]
pub struct Captured {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Captured {
    /// One line that says why a command failed, with server text made safe to print.
    pub fn failure(&self) -> String {
        let text = if self.stderr.trim().is_empty() { &self.stdout } else { &self.stderr };
        let text = sanitize(text.trim());
        let last: Vec<&str> = text.lines().rev().take(5).collect();
        let text: Vec<&str> = last.into_iter().rev().collect();
        crate::msg!("transport-exit-code", code = self.code, text = text.join(" / "))
    }
}

/// Runs a short command and captures its output (for status, lists and small files).
pub fn capture(
    transport: &mut dyn Transport,
    command: &Script,
    input: Option<&[u8]>,
) -> Result<Captured> {
    let mut stdout = Vec::new();
    let mut reader = input.unwrap_or_default();
    let exit = transport.exec(
        command,
        input.map(|_| &mut reader as &mut (dyn Read + Send)),
        &mut stdout,
    )?;
    Ok(Captured {
        code: exit.code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: exit.stderr,
    })
}

/// Runs a command that must succeed; `what` says what it was for in the error.
pub fn run_checked(
    transport: &mut dyn Transport,
    server: &str,
    what: &str,
    command: &Script,
    input: Option<&[u8]>,
) -> Result<String> {
    checked(capture(transport, command, input)?, server, what, command)
}

/// A command's output, or the error that says `what` failed on `server`.
pub fn checked(out: Captured, server: &str, what: &str, command: &Script) -> Result<String> {
    if out.code != 0 {
        return Err(Error::on_server(
            server,
            crate::msg!(
                "transport-command-failed",
                what = what,
                command = first_line(command),
                failure = out.failure()
            ),
        ));
    }
    Ok(out.stdout)
}

/// Runs `command` and then `after` in one session on the server, one round trip instead
/// of two: `command`'s result as `run_checked` gives it, and what `after` printed (`None`
/// when it did not run). Each runs in a subshell of its own, so neither can end the other.
pub fn run_then(
    transport: &mut dyn Transport,
    server: &str,
    what: &str,
    command: &Script,
    after: &Script,
) -> Result<(Result<String>, Option<Captured>)> {
    let (first, then) = capture_then(transport, command, after)?;
    Ok((checked(first, server, what, command), then))
}

/// `capture` of `command`, then of `after`, in one session on the server. The exit code
/// is `command`'s; `after`'s is not kept (0), only what it printed.
pub fn capture_then(
    transport: &mut dyn Transport,
    command: &Script,
    after: &Script,
) -> Result<(Captured, Option<Captured>)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let noise = crate::archive::sha256_hex(format!("{nanos}-{}", std::process::id()).as_bytes());
    let marker = format!("--kuroko-then-{}--", &noise[..16]);
    let script = Script::new()
        .text("( :\n")
        .then(command)
        .text("\n)\nkuroko_rc=$?\n")
        .set("kuroko_then", &marker)
        .text("printf '\\n%s\\n' \"$kuroko_then\"\nprintf '\\n%s\\n' \"$kuroko_then\" >&2\n( :\n")
        .then(after)
        .text("\n)\nexit $kuroko_rc\n");
    let out = capture(transport, &script, None)?;
    let separator = format!("\n{marker}\n");
    let split =
        |text: &str| text.split_once(&separator).map(|(a, b)| (a.to_string(), b.to_string()));
    Ok(match (split(&out.stdout), split(&out.stderr)) {
        (Some((stdout, after_out)), Some((stderr, after_err))) => {
            let then = Captured { code: 0, stdout: after_out, stderr: after_err };
            (Captured { code: out.code, stdout, stderr }, Some(then))
        }
        _ => (out, None),
    })
}

/// The first line of a script, for messages (scripts can be long).
pub fn first_line(command: &Script) -> String {
    let text = command.as_str();
    let line = text.lines().next().unwrap_or_default();
    let line: String = line.chars().take(200).collect();
    if line.len() < text.len() { format!("{line} …") } else { line }
}
