//! The SSH transport (ssh2/libssh2): one session per server for the whole run, host keys
//! checked against known_hosts before any command, key-file or agent authentication, and
//! commands whose stdin, stdout and stderr are served in one non-blocking loop with
//! connect, idle and command timeouts, so a silent server fails its step instead of
//! hanging the run.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ssh2::{BlockDirections, CheckResult, HashType, KnownHostFileKind, Session};

use super::{Exit, Transport, first_line, wrap};
use crate::error::{Error, Result};
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
    stream: TcpStream,
}

fn spec(server: &Server) -> &Ssh {
    server.ssh.as_ref().expect("validated: an ssh server has ssh settings")
}

impl SshTransport {
    pub fn open(server: &Server) -> Result<SshTransport> {
        let ssh = spec(server).clone();
        let (session, stream) = handshake(&server.name, &ssh)?;
        check_host_key(&server.name, &ssh, &session)?;
        authenticate(&server.name, &ssh, &session)?;
        session.set_keepalive(true, ssh.keepalive.as_secs().max(1) as u32);
        Ok(SshTransport { name: server.name.clone(), server: server.clone(), ssh, session, stream })
    }

    fn lost(&self, what: &str, error: impl std::fmt::Display) -> Error {
        Error::unreachable(
            &self.name,
            format!(
                "the connection to {}:{} broke while {what}: {error}",
                self.ssh.host, self.ssh.port
            ),
        )
    }

    /// Asks the kernel to acknowledge what arrives at once. sshd sends small packets back
    /// to back without TCP_NODELAY; with delayed ACKs each exchange would wait 40 ms.
    /// Linux forgets the setting, so it is renewed before every wait.
    fn quickack(&self) {
        let _ = socket2::SockRef::from(&self.stream).set_tcp_quickack(true);
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
        let mut fds = [PollFd::new(self.stream.as_fd(), flags)];
        let _ = poll(&mut fds, PollTimeout::from(millis));
    }
}

fn handshake(name: &str, ssh: &Ssh) -> Result<(Session, TcpStream)> {
    let target = format!("{}:{}", ssh.host, ssh.port);
    let address = (ssh.host.as_str(), ssh.port)
        .to_socket_addrs()
        .map_err(|e| Error::unreachable(name, format!("cannot resolve `{target}`: {e}")))?
        .next()
        .ok_or_else(|| Error::unreachable(name, format!("`{target}` resolves to no address")))?;
    let stream = TcpStream::connect_timeout(&address, ssh.connect_timeout).map_err(|e| {
        Error::unreachable(
            name,
            format!("cannot connect to {target} within {}s: {e} (is sshd running there? check `host`/`port`)", ssh.connect_timeout.as_secs()),
        )
    })?;
    let _ = stream.set_nodelay(true);
    let mut session = Session::new().map_err(|e| Error::unreachable(name, e.to_string()))?;
    let socket = stream.try_clone().map_err(|e| Error::unreachable(name, e.to_string()))?;
    session.set_tcp_stream(socket);
    session.set_timeout(ssh.connect_timeout.as_millis() as u32);
    session.handshake().map_err(|e| {
        Error::unreachable(name, format!("the SSH handshake with {target} failed: {e}"))
    })?;
    // From here on a blocking call waits at most the idle timeout.
    session.set_timeout(ssh.idle_timeout.as_millis() as u32);
    Ok((session, stream))
}

/// The host key's SHA256 fingerprint as OpenSSH prints it.
fn fingerprint(session: &Session) -> String {
    let hash = session.host_key_hash(HashType::Sha256).unwrap_or_default();
    format!("SHA256:{}", base64(hash))
}

fn check_host_key(name: &str, ssh: &Ssh, session: &Session) -> Result<()> {
    let (key, kind) = session
        .host_key()
        .ok_or_else(|| Error::unreachable(name, "the server sent no host key"))?;
    let mut known = session.known_hosts().map_err(|e| Error::on_server(name, e.to_string()))?;
    if ssh.known_hosts.exists() {
        known.read_file(&ssh.known_hosts, KnownHostFileKind::OpenSSH).map_err(|e| {
            Error::on_server(
                name,
                format!("cannot read known_hosts `{}`: {e}", ssh.known_hosts.display()),
            )
        })?;
    }
    let fingerprint = fingerprint(session);
    match known.check_port(&ssh.host, ssh.port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::NotFound if ssh.accept_new => {
            known
                .add(&host_entry(ssh), key, &format!("kuroko: {name}"), kind.into())
                .map_err(|e| Error::on_server(name, e.to_string()))?;
            write_known_hosts(name, ssh, &known)?;
            eprintln!(
                "warning: pinned the new host key of `{name}` ({fingerprint}) in `{}` (accept_new)",
                ssh.known_hosts.display()
            );
            Ok(())
        }
        CheckResult::NotFound => Err(Error::on_server(
            name,
            format!(
                "unknown host key {fingerprint} for {}:{} (not in `{}`): nothing was run.\n  \
                 if that fingerprint is the server's, pin it with `kuroko trust {name}`",
                ssh.host,
                ssh.port,
                ssh.known_hosts.display()
            ),
        )),
        CheckResult::Mismatch => Err(Error::on_server(
            name,
            format!(
                "the host key of {}:{} CHANGED: it is now {fingerprint}, which `{}` does not have. Nothing was run.\n  \
                 this can be an attack. If the server was reinstalled, check the fingerprint on its console, \
                 then run `kuroko trust {name} --replace`",
                ssh.host,
                ssh.port,
                ssh.known_hosts.display()
            ),
        )),
        CheckResult::Failure => {
            Err(Error::on_server(name, "cannot check the host key against known_hosts"))
        }
    }
}

fn host_entry(ssh: &Ssh) -> String {
    if ssh.port == 22 { ssh.host.clone() } else { format!("[{}]:{}", ssh.host, ssh.port) }
}

fn write_known_hosts(name: &str, ssh: &Ssh, known: &ssh2::KnownHosts) -> Result<()> {
    if let Some(parent) = ssh.known_hosts.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    known.write_file(&ssh.known_hosts, KnownHostFileKind::OpenSSH).map_err(|e| {
        Error::on_server(name, format!("cannot write `{}`: {e}", ssh.known_hosts.display()))
    })
}

fn authenticate(name: &str, ssh: &Ssh, session: &Session) -> Result<()> {
    let (result, via) = match &ssh.identity {
        Some(key) if !key.exists() => {
            return Err(Error::on_server(
                name,
                format!("the key file `{}` does not exist (check `identity`)", key.display()),
            ));
        }
        Some(key) => (
            session.userauth_pubkey_file(&ssh.user, None, key, None),
            format!("the key `{}`", key.display()),
        ),
        None => (session.userauth_agent(&ssh.user), "ssh-agent (no `identity` given)".to_string()),
    };
    if result.is_ok() && session.authenticated() {
        return Ok(());
    }
    // Only libssh2's message goes out: never key material.
    let detail = result.err().map(|e| format!(": {}", e.message())).unwrap_or_default();
    Err(Error::on_server(
        name,
        format!("authentication as `{}` with {via} was refused{detail}", ssh.user),
    ))
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
        self.session.set_blocking(true);
        let mut channel =
            self.session.channel_session().map_err(|e| self.lost("opening a channel", e))?;
        channel.exec(&wrapped).map_err(|e| self.lost("starting a command", e))?;
        self.session.set_blocking(false);

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
                                Err(e) => break Err(self.lost("sending input", e)),
                            }
                        }
                        Ok(n) => {
                            pending.truncate(n);
                            sent = 0;
                        }
                        Err(e) => {
                            break Err(Error::Other(anyhow::anyhow!(
                                "cannot read the input for `{}`: {e}",
                                self.name
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
                        Err(e) => break Err(self.lost("sending input", e)),
                    }
                }
            }
            match drain(&mut channel.stream(0), &mut buf, |data| output.write_all(data)) {
                Ok(n) => progressed |= n > 0,
                Err(Drain::Local(e)) => {
                    break Err(Error::Other(anyhow::anyhow!(
                        "cannot store the output of `{}`: {e}",
                        self.name
                    )));
                }
                Err(Drain::Remote(e)) => break Err(self.lost("reading output", e)),
            }
            match drain(&mut channel.stream(1), &mut buf, |data| {
                let room = STDERR_LIMIT.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
                Ok(())
            }) {
                Ok(n) => progressed |= n > 0,
                Err(Drain::Local(e) | Drain::Remote(e)) => {
                    break Err(self.lost("reading errors", e));
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
                break Err(Error::unreachable(
                    &self.name,
                    format!(
                        "{}:{} stopped answering: nothing came for {}s (idle_timeout)",
                        self.ssh.host,
                        self.ssh.port,
                        self.ssh.idle_timeout.as_secs()
                    ),
                ));
            }
            if now.duration_since(started) > self.ssh.command_timeout {
                break Err(Error::unreachable(
                    &self.name,
                    format!(
                        "the command ran longer than {}s (command_timeout)",
                        self.ssh.command_timeout.as_secs()
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
            self.session.set_blocking(true);
            return Err(error);
        }
        self.session.set_blocking(true);
        self.quickack();
        channel.wait_close().map_err(|e| self.lost("closing the command", e))?;
        let code = channel.exit_status().map_err(|e| self.lost("reading the exit status", e))?;
        let signal = channel.exit_signal().ok().and_then(|s| s.exit_signal);
        let mut stderr = String::from_utf8_lossy(&stderr).into_owned();
        let code = match signal {
            Some(signal) => {
                stderr.push_str(&format!("\n(killed by signal {signal})"));
                if code == 0 { 128 } else { code }
            }
            None => code,
        };
        if std::env::var_os("KUROKO_TRACE").is_some() {
            eprintln!("trace: {} ms  {}", traced.elapsed().as_millis(), first_line(command));
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
/// server's known_hosts file. A changed key is replaced only with `replace`.
pub fn trust(server: &Server, replace: bool) -> Result<String> {
    let name = &server.name;
    let Some(ssh) = &server.ssh else {
        return Err(Error::Usage(format!(
            "`{name}` is not reached over SSH: there is no host key to trust"
        )));
    };
    let (session, _stream) = handshake(name, ssh)?;
    let (key, kind) = session
        .host_key()
        .ok_or_else(|| Error::unreachable(name, "the server sent no host key"))?;
    let fingerprint = fingerprint(&session);
    let mut known = session.known_hosts().map_err(|e| Error::on_server(name, e.to_string()))?;
    if ssh.known_hosts.exists() {
        known.read_file(&ssh.known_hosts, KnownHostFileKind::OpenSSH).map_err(|e| {
            Error::on_server(name, format!("cannot read `{}`: {e}", ssh.known_hosts.display()))
        })?;
    }
    match known.check_port(&ssh.host, ssh.port, key) {
        CheckResult::Match => return Ok(format!("`{name}` is already trusted: {fingerprint}")),
        CheckResult::Mismatch if !replace => {
            return Err(Error::on_server(
                name,
                format!(
                    "its host key changed to {fingerprint}; check it on the server's console, then run `kuroko trust {name} --replace`"
                ),
            ));
        }
        CheckResult::Mismatch => {
            let entry = host_entry(ssh);
            for host in known.hosts().map_err(|e| Error::on_server(name, e.to_string()))? {
                if host.name() == Some(entry.as_str()) {
                    known.remove(&host).map_err(|e| Error::on_server(name, e.to_string()))?;
                }
            }
        }
        _ => {}
    }
    known
        .add(&host_entry(ssh), key, &format!("kuroko: {name}"), kind.into())
        .map_err(|e| Error::on_server(name, e.to_string()))?;
    write_known_hosts(name, ssh, &known)?;
    Ok(format!(
        "pinned `{name}` ({}:{}) {fingerprint} in `{}`",
        ssh.host,
        ssh.port,
        ssh.known_hosts.display()
    ))
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
