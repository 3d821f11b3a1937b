//! The rehearsal transport: a server is a folder on this machine and its commands run
//! with `sh -c` inside it, exactly as they would over SSH on a real server.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Exit, Transport, first_line};
use crate::error::{Error, Result};
use crate::shell::Script;
use crate::site::Server;

/// The shell local commands run in.
const SHELL: &str = "/bin/sh";

pub struct LocalTransport {
    name: String,
    root: PathBuf,
    server: Server,
}

impl LocalTransport {
    pub fn open(server: &Server) -> Result<Self> {
        if !server.root.is_dir() {
            return Err(Error::unreachable(
                &server.name,
                crate::msg!("transport-local-no-root", root = server.root.display()),
            ));
        }
        Ok(LocalTransport {
            name: server.name.clone(),
            root: server.root.clone(),
            server: server.clone(),
        })
    }
}

impl Transport for LocalTransport {
    fn exec(
        &mut self,
        command: &Script,
        input: Option<&mut (dyn Read + Send)>,
        output: &mut (dyn Write + Send),
    ) -> Result<Exit> {
        // One shell, found where POSIX puts it: not `sh -c` inside `sh -c`, and no search
        // of the controller's PATH for every command (the commands' own PATH is set
        // inside). Through sudo, the command line an SSH server would run.
        let line = if self.server.sudo {
            super::wrap(&self.server, command)?
        } else {
            super::wrapped(&self.server, command)?.as_str().to_string()
        };
        let mut child = Command::new(SHELL)
            .arg("-c")
            .arg(line)
            .current_dir(&self.root)
            // Its own process group: a Ctrl-C at the terminal (SIGINT to the foreground
            // group) reaches kuroko only, which finishes the step and runs R11, rather
            // than cutting a stop, a start or a resource swap in half.
            .process_group(0)
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::on_server(
                    &self.name,
                    crate::msg!("transport-local-cannot-run-sh", error = e),
                )
            })?;
        let mut stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        // stdin, stdout and stderr each get a thread so no pipe can fill up and stall.
        let (copied, errors) = std::thread::scope(|scope| {
            let feeder = scope.spawn(move || -> std::io::Result<()> {
                if let (Some(input), Some(stdin)) = (input, stdin.as_mut()) {
                    match std::io::copy(input, stdin) {
                        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e),
                        _ => {}
                    }
                }
                drop(stdin);
                Ok(())
            });
            let errors = scope.spawn(move || {
                let mut text = Vec::new();
                let _ = stderr.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            });
            let copied = std::io::copy(&mut stdout, output).map(|_| ());
            if copied.is_err() {
                // The reader gave up: drain so the child is not left blocked on a pipe.
                let _ = std::io::copy(&mut stdout, &mut std::io::sink());
            }
            let fed = feeder.join().expect("stdin thread");
            (copied.and(fed), errors.join().expect("stderr thread"))
        });
        let status = child.wait().map_err(|e| {
            Error::on_server(
                &self.name,
                crate::msg!("transport-command-lost", command = first_line(command), error = e),
            )
        })?;
        copied.map_err(|e| {
            Error::on_server(
                &self.name,
                crate::msg!("transport-stream-broke", command = first_line(command), error = e),
            )
        })?;
        Ok(Exit { code: status.code().unwrap_or(128), stderr: errors })
    }
}
