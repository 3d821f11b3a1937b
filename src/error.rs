//! The one error type the program ends with, its message text and its exit code.
//! Every boundary (site file, transport, archive, rules, scripts) has a variant here, so
//! `main` prints one message and exits with one code.

use std::fmt;
use std::path::PathBuf;

use crate::rules::Refusal;

/// How the process ends; documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    Failed = 1,
    Usage = 2,
    Refused = 3,
    /// Another run holds the site's lock (sysexits' EX_TEMPFAIL: try again later).
    Busy = 75,
    Interrupted = 130,
}

#[derive(Debug)]
pub enum Error {
    /// Bad command-line input or a missing parameter.
    Usage(String),
    /// The site file is broken; the message already names file, line and key.
    Site(String),
    /// A rule refused a step.
    Refused(Refusal),
    /// Running something on a server failed.
    OnServer {
        server: String,
        message: String,
    },
    /// The server could not be reached, or the connection broke or stopped answering.
    Unreachable {
        server: String,
        message: String,
    },
    /// A backup in the store is missing, corrupt or hostile.
    Backup {
        id: String,
        message: String,
    },
    /// A runbook failed to compile or failed while running; `excerpt` shows the line
    /// and a caret, `cause` the primitive's own error when one failed.
    Script {
        origin: String,
        line: usize,
        column: usize,
        excerpt: String,
        message: String,
        cause: Option<Box<Error>>,
        compile: bool,
    },
    /// Several errors found together (`kuroko check`).
    Several(Vec<Error>),
    /// A step needs an operator and none is there to confirm it.
    NeedsOperator(String),
    /// Another kuroko holds the site's lock.
    Busy(String),
    /// Ctrl-C.
    Interrupted,
    /// Local I/O on the controller (the store, the rehearsal folder).
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Other(anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn on_server(server: &str, message: impl Into<String>) -> Self {
        Error::OnServer { server: server.to_string(), message: message.into() }
    }

    pub fn unreachable(server: &str, message: impl Into<String>) -> Self {
        Error::Unreachable { server: server.to_string(), message: message.into() }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// The primitive's own error behind a script error, or this one.
    pub fn root(&self) -> &Error {
        match self {
            Error::Script { cause: Some(cause), .. } => cause.root(),
            other => other,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Site(_) => ExitCode::Usage,
            Error::Refused(_) => ExitCode::Refused,
            Error::Interrupted => ExitCode::Interrupted,
            Error::Busy(_) => ExitCode::Busy,
            Error::Script { cause: Some(cause), .. } => cause.exit_code(),
            Error::Script { compile: true, .. } => ExitCode::Usage,
            Error::Several(errors) => errors.first().map_or(ExitCode::Usage, Error::exit_code),
            _ => ExitCode::Failed,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Site(message) => write!(f, "{message}"),
            Error::Refused(refusal) => write!(f, "{refusal}"),
            Error::OnServer { server, message } => {
                write!(
                    f,
                    "{}",
                    crate::msg!("cmd-error-on-server", server = server, message = message)
                )
            }
            Error::Unreachable { server, message } => write!(
                f,
                "{}",
                crate::msg!("cmd-error-unreachable", server = server, message = message)
            ),
            Error::Backup { id, message } => {
                write!(f, "{}", crate::msg!("cmd-error-backup", id = id, message = message))
            }
            Error::Script { origin, line, column, excerpt, message, cause, .. } => {
                match cause {
                    Some(cause) => write!(
                        f,
                        "{cause}\n  {}",
                        crate::msg!("cmd-error-at", origin = origin, line = line, column = column)
                    )?,
                    None => write!(f, "{origin}:{line}:{column}: {message}")?,
                }
                if !excerpt.is_empty() {
                    write!(f, "\n{excerpt}")?;
                }
                Ok(())
            }
            Error::NeedsOperator(message) | Error::Busy(message) => write!(f, "{message}"),
            Error::Several(errors) => {
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        write!(f, "\n{}", crate::msg!("cmd-error-line", error = error))?;
                    } else {
                        write!(f, "{error}")?;
                    }
                }
                Ok(())
            }
            Error::Interrupted => write!(f, "{}", crate::msg!("cmd-error-interrupted")),
            Error::Io { path, source } => write!(f, "`{}`: {source}", path.display()),
            Error::Other(error) => write!(f, "{error:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::Refused(refusal)
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        Error::Other(error)
    }
}

/// Shows `line` of `source` with a caret under `column` (both 1-based).
pub fn excerpt(source: &str, line: usize, column: usize) -> String {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    format!(
        "{pad} |\n{number} | {text}\n{pad} | {}^",
        " ".repeat(column.saturating_sub(1).min(text.chars().count()))
    )
}

/// Values of the run's secret parameters, masked in everything printed.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Masks `secrets` (longest first) in every line kuroko prints from now on.
pub fn hide(secrets: &[String]) {
    let mut hidden = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    hidden.extend(secrets.iter().filter(|s| !s.is_empty()).cloned());
    hidden.sort_by_key(|s| std::cmp::Reverse(s.len()));
    hidden.dedup();
}

/// Characters that reorder or break text without being control characters: a name
/// shown `10-sm` backwards with U+202E reads as `ms-01`.
pub fn reorders(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Makes text fit for a terminal: control characters (from a hostile or broken server, a
/// manifest or a journal) cannot move the cursor or recolour the screen, and the values
/// of secret parameters are masked.
pub fn sanitize(text: &str) -> String {
    let mut out: String =
        text.chars()
            .map(|c| {
                if (c.is_control() && c != '\n' && c != '\t') || reorders(c) {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
    for secret in SECRETS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}
