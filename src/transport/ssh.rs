//! The SSH transport (ssh2/libssh2): one session per server for the whole run, host keys
//! checked against known_hosts before any command, key-file or agent authentication, and
//! commands whose stdin, stdout and stderr are served in one non-blocking loop with
//! connect, idle and command timeouts, so a silent server fails its step instead of
//! hanging the run.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ssh2::{BlockDirections, MethodType, Session};

use super::jump::Link;
use super::{Exit, Transport, first_line, wrap};
use crate::error::{Error, Result};
use crate::known_hosts::{self, KnownHosts, Status};
use crate::shell::Script;
use crate::site::{Server, Ssh};

const CHUNK: usize = 64 * 1024;
/// stderr kept per command: enough for any error message, bounded against a flood.
const STDERR_LIMIT: usize = 256 * 1024;

pub struct SshTransport {
    name: String,
    server: Server,
    ssh: Ssh,
    session: Session,
    link: Link,
    /// A command's connection broke or stopped answering: nothing more is said on it.
    broken: std::cell::Cell<bool>,
}

impl Drop for SshTransport {
    fn drop(&mut self) {
        // libssh2 says goodbye in blocking mode, waiting up to the session's timeout for
        // a socket that may be dead: a broken connection is left without a goodbye, and
        // a healthy one gets two seconds.
        if self.broken.get() {
            self.session.set_blocking(false);
        } else {
            self.session.set_timeout(2000);
        }
    }
}

fn spec(server: &Server) -> &Ssh {
    server.ssh.as_ref().expect("validated: an ssh server has ssh settings")
}

impl SshTransport {
    pub fn open(server: &Server) -> Result<SshTransport> {
        let ssh = spec(server).clone();
        let link = Link::open(&server.name, &ssh)?;
        let session = login(&server.name, &ssh, &link)?;
        Ok(SshTransport {
            name: server.name.clone(),
            server: server.clone(),
            ssh,
            session,
            link,
            broken: std::cell::Cell::new(false),
        })
    }

    fn lost(&self, what: &str, error: impl std::fmt::Display) -> Error {
        // What is left of the command is dropped without waiting on the connection.
        self.broken.set(true);
        self.session.set_blocking(false);
        let message = match self.ssh.via.last() {
            Some(hop) => crate::msg!(
                "transport-ssh-lost-via",
                host = self.ssh.host,
                port = self.ssh.port,
                jump = hop.name,
                what = what,
                error = error
            ),
            None => crate::msg!(
                "transport-ssh-lost",
                host = self.ssh.host,
                port = self.ssh.port,
                what = what,
                error = error
            ),
        };
        Error::unreachable(&self.name, message)
    }

    fn quickack(&self) {
        self.link.quickack();
    }

    /// Nothing came from the server for the idle timeout.
    fn idle_timeout(&self) -> Error {
        Error::unreachable(
            &self.name,
            crate::msg!(
                "transport-ssh-idle-timeout",
                host = self.ssh.host,
                port = self.ssh.port,
                seconds = self.ssh.idle_timeout.as_secs()
            ),
        )
    }

    /// `step` on the non-blocking session, again after each wait while it would block,
    /// for at most the idle timeout; `what` it was doing, for the error.
    fn unblocked<T>(
        &self,
        what: &str,
        mut step: impl FnMut(&Session) -> std::result::Result<T, ssh2::Error>,
    ) -> Result<T> {
        let started = Instant::now();
        loop {
            match step(&self.session) {
                Ok(value) => return Ok(value),
                Err(e) if !is_would_block(&e) => return Err(self.lost(what, e)),
                Err(_) if started.elapsed() >= self.ssh.idle_timeout => {
                    self.broken.set(true);
                    return Err(self.idle_timeout());
                }
                Err(_) => self.wait(self.ssh.idle_timeout.saturating_sub(started.elapsed())),
            }
        }
    }

    /// Waits until the socket can make progress in the direction libssh2 needs, or
    /// `limit` passes.
    fn wait(&self, limit: Duration) {
        let directions = self.session.block_directions();
        let mut flags = PollFlags::empty();
        if matches!(
            directions,
            BlockDirections::Inbound | BlockDirections::Both | BlockDirections::None
        ) {
            flags |= PollFlags::POLLIN;
        }
        if matches!(directions, BlockDirections::Outbound | BlockDirections::Both) {
            flags |= PollFlags::POLLOUT;
        }
        self.quickack();
        let millis = limit.as_millis().clamp(1, 100) as u16;
        let mut fds = [PollFd::new(self.link.fd(), flags)];
        let _ = poll(&mut fds, PollTimeout::from(millis));
    }
}

/// A logged-in session over `link`: the handshake, the host key checked against
/// known_hosts, and authentication, for a server or a jump host alike.
pub(super) fn login(name: &str, ssh: &Ssh, link: &Link) -> Result<Session> {
    let deadline = Instant::now() + ssh.connect_timeout;
    let known = read_known_hosts(name, ssh)?;
    let session = handshake(name, ssh, &known, link)?;
    check_host_key(name, ssh, &session, &known)?;
    // The handshake and authentication share one connect timeout (a server whose
    // directory lookup hangs fails the login, not the run). libssh2 talks to ssh-agent
    // over a blocking socket that no timeout covers: an agent that hangs, hangs the login.
    let left = deadline.saturating_duration_since(Instant::now()).as_millis().max(1);
    session.set_timeout(u32::try_from(left).unwrap_or(u32::MAX));
    authenticate(name, ssh, &session)?;
    // From here on a blocking call waits at most the idle timeout.
    session.set_timeout(ssh.idle_timeout.as_millis() as u32);
    session.set_keepalive(true, ssh.keepalive.as_secs().max(1) as u32);
    Ok(session)
}

fn handshake(name: &str, ssh: &Ssh, known: &KnownHosts, link: &Link) -> Result<Session> {
    let target = format!("{}:{}", ssh.host, ssh.port);
    let mut session = Session::new().map_err(|e| Error::unreachable(name, e.to_string()))?;
    let socket = link.session_stream().map_err(|e| Error::unreachable(name, e.to_string()))?;
    session.set_tcp_stream(socket);
    session.set_timeout(ssh.connect_timeout.as_millis() as u32);
    // As OpenSSH does: offer first the key types pinned for this host, so a host with
    // several keys is checked against the one known_hosts has.
    host_key_preference(&session, &known.pinned_types(&ssh.host, ssh.port))
        .and_then(|order| session.method_pref(MethodType::HostKey, &order))
        .map_err(|e| {
            Error::unreachable(name, crate::msg!("transport-ssh-key-algorithms", error = e))
        })?;
    session.handshake().map_err(|e| {
        Error::unreachable(name, crate::msg!("transport-ssh-handshake", target = target, error = e))
    })?;
    Ok(session)
}

/// The host key libssh2 negotiated, with its key type and fingerprint.
struct HostKey<'a> {
    blob: &'a [u8],
    kind: &'a str,
    fingerprint: String,
}

fn host_key<'a>(name: &str, session: &'a Session) -> Result<HostKey<'a>> {
    let (blob, _) = session
        .host_key()
        .ok_or_else(|| Error::unreachable(name, crate::msg!("transport-ssh-no-host-key")))?;
    let kind = known_hosts::key_type(blob)
        .ok_or_else(|| Error::on_server(name, crate::msg!("transport-ssh-host-key-no-type")))?;
    Ok(HostKey { blob, kind, fingerprint: known_hosts::fingerprint(blob) })
}

fn read_known_hosts(name: &str, ssh: &Ssh) -> Result<KnownHosts> {
    KnownHosts::read(&ssh.known_hosts).map_err(|e| {
        Error::on_server(
            name,
            crate::msg!(
                "transport-ssh-cannot-read-known-hosts",
                path = ssh.known_hosts.display(),
                error = e
            ),
        )
    })
}

/// The host key algorithms in the order to offer them: those of the key types pinned for
/// this host first, then the rest of libssh2's list, so that an unknown host still connects.
fn host_key_preference(
    session: &Session,
    pinned: &[String],
) -> std::result::Result<String, ssh2::Error> {
    let supported = session.supported_algs(MethodType::HostKey)?;
    Ok(known_hosts::preferred_algorithms(&supported, pinned).join(","))
}

/// `trusting`: met by `kuroko trust` (nothing was pinned), else by a login (nothing was run).
fn revoked(name: &str, ssh: &Ssh, key: &HostKey, trusting: bool) -> Error {
    let (fingerprint, kind, host, port) = (&key.fingerprint, key.kind, &ssh.host, ssh.port);
    let file = ssh.known_hosts.display();
    let said = if trusting {
        crate::msg!(
            "transport-ssh-revoked-not-pinned",
            fingerprint = fingerprint,
            kind = kind,
            host = host,
            port = port,
            file = file
        )
    } else {
        crate::msg!(
            "transport-ssh-revoked-nothing-run",
            fingerprint = fingerprint,
            kind = kind,
            host = host,
            port = port,
            file = file
        )
    };
    Error::on_server(
        name,
        format!("{said}\n  {}", crate::msg!("transport-ssh-revoked-hint", name = name)),
    )
}

fn changed(name: &str, ssh: &Ssh, key: &HostKey) -> Error {
    Error::on_server(
        name,
        format!(
            "{}\n  {}",
            crate::msg!(
                "transport-ssh-key-changed",
                host = ssh.host,
                port = ssh.port,
                kind = key.kind,
                fingerprint = key.fingerprint,
                file = ssh.known_hosts.display()
            ),
            crate::msg!("transport-ssh-key-changed-hint", name = name)
        ),
    )
}

fn check_host_key(name: &str, ssh: &Ssh, session: &Session, known: &KnownHosts) -> Result<()> {
    let key = host_key(name, session)?;
    let lookup = known.lookup(&ssh.host, ssh.port, key.blob);
    if lookup.revoked {
        return Err(revoked(name, ssh, &key, false));
    }
    match lookup.status {
        Status::Match => Ok(()),
        Status::Mismatch => Err(changed(name, ssh, &key)),
        Status::Unknown if ssh.accept_new && lookup.pinned.is_empty() => {
            known_hosts::append(
                &ssh.known_hosts,
                &ssh.host,
                ssh.port,
                key.blob,
                &format!("kuroko: {name}"),
            )
            .map_err(|e| {
                Error::on_server(name, crate::msg!("transport-ssh-pin-failed", error = e))
            })?;
            crate::tell!(
                "{}",
                crate::msg!(
                    "transport-ssh-pinned-new",
                    name = name,
                    kind = key.kind,
                    fingerprint = key.fingerprint,
                    file = ssh.known_hosts.display()
                )
            );
            Ok(())
        }
        Status::Unknown => {
            let types = lookup.pinned.join(", ");
            let others = if lookup.pinned.is_empty() {
                String::new()
            } else if ssh.accept_new {
                format!(
                    "\n  {}",
                    crate::msg!("transport-ssh-other-types-accept-new", types = types)
                )
            } else {
                format!("\n  {}", crate::msg!("transport-ssh-other-types", types = types))
            };
            Err(Error::on_server(
                name,
                format!(
                    "{}{others}\n  {}",
                    crate::msg!(
                        "transport-ssh-unknown-key",
                        fingerprint = key.fingerprint,
                        kind = key.kind,
                        host = ssh.host,
                        port = ssh.port,
                        file = ssh.known_hosts.display()
                    ),
                    crate::msg!("transport-ssh-unknown-key-hint", name = name)
                ),
            ))
        }
    }
}

fn authenticate(name: &str, ssh: &Ssh, session: &Session) -> Result<()> {
    let (result, key) = match &ssh.identity {
        Some(key) if !key.exists() => {
            return Err(Error::on_server(
                name,
                crate::msg!("transport-ssh-no-key-file", key = key.display()),
            ));
        }
        Some(key) => (session.userauth_pubkey_file(&ssh.user, None, key, None), Some(key)),
        None => (session.userauth_agent(&ssh.user), None),
    };
    if result.is_ok() && session.authenticated() {
        return Ok(());
    }
    // Only libssh2's message goes out: never key material.
    let user = &ssh.user;
    let message = match (key, result.err()) {
        (Some(key), Some(e)) => crate::msg!(
            "transport-ssh-auth-key-refused-detail",
            user = user,
            key = key.display(),
            detail = e.message()
        ),
        (Some(key), None) => {
            crate::msg!("transport-ssh-auth-key-refused", user = user, key = key.display())
        }
        (None, Some(e)) => {
            crate::msg!(
                "transport-ssh-auth-agent-refused-detail",
                user = user,
                detail = e.message()
            )
        }
        (None, None) => crate::msg!("transport-ssh-auth-agent-refused", user = user),
    };
    Err(Error::on_server(name, message))
}

impl Transport for SshTransport {
    fn exec(
        &mut self,
        command: &Script,
        mut input: Option<&mut (dyn Read + Send)>,
        output: &mut (dyn Write + Send),
    ) -> Result<Exit> {
        let wrapped = wrap(&self.server, command)?;
        let traced = std::time::Instant::now();
        // Opened and started without libssh2's own blocking waits, so that every packet
        // of the exchange is acknowledged at once (`wait`): with the server's small packets
        // after login, a delayed acknowledgement held the first command 40 ms.
        self.session.set_blocking(false);
        let mut channel = self
            .unblocked(&crate::msg!("transport-while-opening-channel"), |s| s.channel_session())?;
        self.unblocked(&crate::msg!("transport-while-starting-command"), |_| {
            channel.exec(&wrapped)
        })?;

        let started = Instant::now();
        let mut last_data = Instant::now();
        let mut next_keepalive = Instant::now() + self.ssh.keepalive;
        let mut buf = vec![0u8; CHUNK];
        let mut pending: Vec<u8> = Vec::new();
        let mut sent = 0;
        let mut input_open = input.is_some();
        let mut stderr = Vec::new();
        let outcome: Result<()> = loop {
            let mut progressed = false;
            if input_open {
                if sent == pending.len() {
                    let reader = input.as_mut().expect("input_open");
                    pending.resize(CHUNK, 0);
                    match reader.read(&mut pending) {
                        Ok(0) => {
                            pending.clear();
                            sent = 0;
                            match channel.send_eof() {
                                Ok(()) => input_open = false,
                                Err(e) if is_would_block(&e) => {}
                                Err(e) => {
                                    break Err(
                                        self.lost(&crate::msg!("transport-while-sending-input"), e)
                                    );
                                }
                            }
                        }
                        Ok(n) => {
                            pending.truncate(n);
                            sent = 0;
                        }
                        Err(e) => {
                            break Err(Error::Other(anyhow::anyhow!(
                                "{}",
                                crate::msg!(
                                    "transport-ssh-cannot-read-input",
                                    server = self.name,
                                    error = e
                                )
                            )));
                        }
                    }
                }
                if sent < pending.len() {
                    match channel.write(&pending[sent..]) {
                        Ok(n) => {
                            sent += n;
                            progressed |= n > 0;
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => {
                            break Err(self.lost(&crate::msg!("transport-while-sending-input"), e));
                        }
                    }
                }
            }
            match drain(&mut channel.stream(0), &mut buf, |data| output.write_all(data)) {
                Ok(n) => progressed |= n > 0,
                Err(Drain::Local(e)) => {
                    break Err(Error::Other(anyhow::anyhow!(
                        "{}",
                        crate::msg!(
                            "transport-ssh-cannot-store-output",
                            server = self.name,
                            error = e
                        )
                    )));
                }
                Err(Drain::Remote(e)) => {
                    break Err(self.lost(&crate::msg!("transport-while-reading-output"), e));
                }
            }
            match drain(&mut channel.stream(1), &mut buf, |data| {
                let room = STDERR_LIMIT.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
                Ok(())
            }) {
                Ok(n) => progressed |= n > 0,
                Err(Drain::Local(e) | Drain::Remote(e)) => {
                    break Err(self.lost(&crate::msg!("transport-while-reading-errors"), e));
                }
            }
            if channel.eof() && !progressed {
                break Ok(());
            }
            let now = Instant::now();
            if progressed {
                last_data = now;
                continue;
            }
            if now.duration_since(last_data) > self.ssh.idle_timeout {
                break Err(self.idle_timeout());
            }
            if now.duration_since(started) > self.ssh.command_timeout {
                break Err(Error::unreachable(
                    &self.name,
                    crate::msg!(
                        "transport-ssh-command-timeout",
                        seconds = self.ssh.command_timeout.as_secs()
                    ),
                ));
            }
            if now >= next_keepalive {
                let _ = self.session.keepalive_send();
                next_keepalive = now + self.ssh.keepalive;
            }
            self.wait(self.ssh.idle_timeout.saturating_sub(now.duration_since(last_data)));
        };
        if let Err(error) = outcome {
            // Still non-blocking: the channel is dropped without waiting on a connection
            // that may be dead (libssh2 would wait the idle timeout for its close).
            if matches!(error, Error::Unreachable { .. }) {
                self.broken.set(true);
            } else {
                self.session.set_blocking(true);
            }
            return Err(error);
        }
        self.session.set_blocking(true);
        self.quickack();
        channel
            .wait_close()
            .map_err(|e| self.lost(&crate::msg!("transport-while-closing-command"), e))?;
        let code = channel
            .exit_status()
            .map_err(|e| self.lost(&crate::msg!("transport-while-reading-exit-status"), e))?;
        let signal = channel.exit_signal().ok().and_then(|s| s.exit_signal);
        let mut stderr = String::from_utf8_lossy(&stderr).into_owned();
        let code = match signal {
            Some(signal) => {
                stderr.push('\n');
                stderr.push_str(&crate::msg!("transport-ssh-killed-by-signal", signal = signal));
                if code == 0 { 128 } else { code }
            }
            None => code,
        };
        if std::env::var_os("KUROKO_TRACE").is_some() {
            crate::tell!("trace: {} ms  {}", traced.elapsed().as_millis(), first_line(command));
        }
        Ok(Exit { code, stderr })
    }
}

enum Drain {
    Local(std::io::Error),
    Remote(std::io::Error),
}

/// Reads everything available now from one stream; the count of bytes moved.
fn drain(
    stream: &mut impl Read,
    buf: &mut [u8],
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<usize, Drain> {
    let mut total = 0;
    loop {
        match stream.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                sink(&buf[..n]).map_err(Drain::Local)?;
                total += n;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(e) => return Err(Drain::Remote(e)),
        }
    }
}

fn is_would_block(error: &ssh2::Error) -> bool {
    matches!(error.code(), ssh2::ErrorCode::Session(-37))
}

/// `kuroko trust SERVER`: connects, shows the host key's fingerprint and pins it in the
/// server's known_hosts file by appending a line. A changed key is replaced only with
/// `replace`, which removes just this host's entries of that key type; a revoked key is
/// never pinned.
pub fn trust(server: &Server, replace: bool) -> Result<String> {
    let name = &server.name;
    let Some(ssh) = &server.ssh else {
        return Err(Error::Usage(crate::msg!("transport-trust-not-ssh", name = name)));
    };
    trust_host(name, ssh, replace)
}

/// `kuroko trust NAME` for a server or a jump host: reaches it (through its jump hosts,
/// whose keys must already be trusted) and pins its key.
pub fn trust_host(name: &str, ssh: &Ssh, replace: bool) -> Result<String> {
    let known = read_known_hosts(name, ssh)?;
    let link = Link::open(name, ssh)?;
    let session = handshake(name, ssh, &known, &link)?;
    let key = host_key(name, &session)?;
    let lookup = known.lookup(&ssh.host, ssh.port, key.blob);
    let file = ssh.known_hosts.display();
    if lookup.revoked {
        return Err(revoked(name, ssh, &key, true));
    }
    let comment = format!("kuroko: {name}");
    let failed = |e: known_hosts::EditError| {
        Error::on_server(name, crate::msg!("transport-trust-edit-failed", error = e, file = file))
    };
    match lookup.status {
        Status::Match => Ok(crate::msg!(
            "transport-trust-already",
            name = name,
            kind = key.kind,
            fingerprint = key.fingerprint
        )),
        Status::Mismatch if !replace => Err(Error::on_server(
            name,
            crate::msg!(
                "transport-trust-changed",
                kind = key.kind,
                fingerprint = key.fingerprint,
                name = name
            ),
        )),
        Status::Mismatch => {
            let removed =
                known_hosts::replace(&ssh.known_hosts, &ssh.host, ssh.port, key.blob, &comment)
                    .map_err(failed)?;
            let removed: Vec<String> = removed
                .iter()
                .map(|r| {
                    crate::msg!("transport-trust-removed-line", line = r.line, hosts = r.hosts)
                })
                .collect();
            Ok(crate::msg!(
                "transport-trust-replaced",
                name = name,
                host = ssh.host,
                port = ssh.port,
                kind = key.kind,
                fingerprint = key.fingerprint,
                file = file,
                removed = removed.join(", ")
            ))
        }
        Status::Unknown => {
            known_hosts::append(&ssh.known_hosts, &ssh.host, ssh.port, key.blob, &comment)
                .map_err(failed)?;
            Ok(crate::msg!(
                "transport-trust-pinned",
                name = name,
                host = ssh.host,
                port = ssh.port,
                kind = key.kind,
                fingerprint = key.fingerprint,
                file = file
            ))
        }
    }
}
