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
        let text = last.into_iter().rev().collect::<Vec<_>>().join(" / ");
        // The end of it, at most FAILURE_CHARS characters: a server can print megabytes.
        let count = text.chars().count();
        let text = if count > FAILURE_CHARS {
            let tail: String = text.chars().skip(count - FAILURE_CHARS).collect();
            format!("… {tail}")
        } else {
            text
        };
        crate::msg!("transport-exit-code", code = self.code, text = text)
    }
}

/// The most of a server's output an error message quotes.
const FAILURE_CHARS: usize = 2000;

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

/// `capture` of `command`, then of `after`, in one session on the server, one round trip
/// instead of two. For kuroko's own script as `command`, which leaves nothing running
/// and whose text holds nothing a status command could look for (a stop or a start is
/// never joined to the state read after it: a status command that looks for processes
/// by their command line would find the stop's text in the shared shell's).
///
/// Each runs as its own text (`eval` in a subshell), so neither's syntax, `exit` or
/// `exec` reaches the other. A marker line between them carries `command`'s exit code
/// and must appear exactly once in each stream; the script's exit code is `after`'s.
/// `None` when the two cannot be told apart: the caller then asks for each on its own.
pub fn capture_then(
    transport: &mut dyn Transport,
    command: &Script,
    after: &Script,
) -> Result<Option<(Captured, Captured)>> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let noise = crate::archive::sha256_hex(format!("{nanos}-{}", std::process::id()).as_bytes());
    let marker = format!("--kuroko-then-{}--", &noise[..16]);
    let script = Script::new()
        .set("kuroko_cmd", command.as_str())
        .set("kuroko_after", after.as_str())
        .set("kuroko_then", &marker)
        .text(
            r#"( eval "$kuroko_cmd" )
printf '\n%s %s\n' "$kuroko_then" "$?"
printf '\n%s\n' "$kuroko_then" >&2
( eval "$kuroko_after" )
"#,
        );
    let out = capture(transport, &script, None)?;
    let once = |text: &str, separator: &str| {
        let (before, rest) = text.split_once(separator)?;
        (!rest.contains(separator)).then(|| (before.to_string(), rest.to_string()))
    };
    let split = once(&out.stdout, &format!("\n{marker} "))
        .and_then(|(stdout, rest)| {
            let (code, rest) = rest.split_once('\n')?;
            Some((stdout, code.parse::<i32>().ok()?, rest.to_string()))
        })
        .zip(once(&out.stderr, &format!("\n{marker}\n")));
    Ok(split.map(|((stdout, code, after_out), (stderr, after_err))| {
        (
            Captured { code, stdout, stderr },
            Captured { code: out.code, stdout: after_out, stderr: after_err },
        )
    }))
}

/// The first line of a script, for messages (scripts can be long).
pub fn first_line(command: &Script) -> String {
    let text = command.as_str();
    let line = text.lines().next().unwrap_or_default();
    let line: String = line.chars().take(200).collect();
    if line.len() < text.len() { format!("{line} …") } else { line }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failing command's message quotes the end of what it printed, however much.
    #[test]
    fn a_failure_quotes_at_most_the_end_of_the_output() {
        let out = |stderr: String| Captured { code: 3, stdout: String::new(), stderr };
        let short = out("first\nsecond\n".into()).failure();
        assert!(short.contains("first / second"), "{short}");
        let long = out(format!("{}END", "x".repeat(600_000))).failure();
        assert!(long.len() < 2_200, "{} bytes", long.len());
        assert!(long.contains("… ") && long.contains("xxxEND"), "{long}");
        let wide = out("é".repeat(5_000)).failure();
        assert!(wide.chars().filter(|c| *c == 'é').count() == FAILURE_CHARS, "{wide}");
    }
}
