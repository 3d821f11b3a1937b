//! Jump hosts. A server on the management LAN is reached as OpenSSH's `ProxyJump` reaches
//! it: kuroko logs in to the jump host, asks it for a `direct-tcpip` channel to the
//! server's sshd, and runs a second, end-to-end SSH session inside that channel. The jump
//! host relays encrypted bytes only: kuroko authenticates to the server from the
//! controller, so no agent and no key is forwarded to a hop, and each hop's host key is
//! checked exactly as a server's is.
//!
//! libssh2 reads and writes a socket, so a channel becomes one end of a socket pair. One
//! thread per jump connection moves bytes between its channels and their socket ends,
//! and every server behind one jump host shares that one connection. A chain
//! (`jump = ["outer", "bastion"]`) is a jump connection inside a channel of the one before.

use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak, mpsc};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ssh2::{Channel, Session};

use crate::error::{Error, Result};
use crate::site::{Hop, Ssh};

/// What an SSH session runs over: a TCP connection, or a channel through a jump host
/// (which it keeps alive for as long as the session lives).
pub enum Link {
    Tcp(TcpStream),
    Tunnel {
        stream: UnixStream,
        _via: Arc<Jump>,
    },
    /// libssh2's end of a jump connection's socket pair (its relay holds the other).
    Pipe(UnixStream),
}

impl Link {
    /// Connects to `ssh.host:ssh.port`, through `ssh.via` when it names jump hosts.
    /// `name` is who the connection is for, in errors.
    pub fn open(name: &str, ssh: &Ssh) -> Result<Link> {
        if ssh.via.is_empty() {
            return tcp(name, ssh).map(Link::Tcp);
        }
        let (stream, jump) = through_jumps(&ssh.via, &ssh.host, ssh.port, ssh.connect_timeout)
            .map_err(|e| e.said_for(name, &ssh.host, ssh.port))?;
        Ok(Link::Tunnel { stream, _via: jump })
    }

    /// A second handle on the same socket, for libssh2.
    pub fn session_stream(&self) -> std::io::Result<SessionStream> {
        match self {
            Link::Tcp(stream) => stream.try_clone().map(SessionStream::Tcp),
            Link::Tunnel { stream, .. } | Link::Pipe(stream) => {
                stream.try_clone().map(SessionStream::Unix)
            }
        }
    }

    fn set_nonblocking(&self) -> std::io::Result<()> {
        match self {
            Link::Tcp(stream) => stream.set_nonblocking(true),
            Link::Tunnel { stream, .. } | Link::Pipe(stream) => stream.set_nonblocking(true),
        }
    }

    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Link::Tcp(stream) => (&*stream).read(buf),
            Link::Tunnel { stream, .. } | Link::Pipe(stream) => (&*stream).read(buf),
        }
    }

    fn write(&self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Link::Tcp(stream) => (&*stream).write(buf),
            Link::Tunnel { stream, .. } | Link::Pipe(stream) => (&*stream).write(buf),
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Link::Tcp(stream) => stream.as_fd(),
            Link::Tunnel { stream, .. } | Link::Pipe(stream) => stream.as_fd(),
        }
    }

    /// Asks the kernel to acknowledge what arrives at once (TCP only). sshd sends small
    /// packets back to back; with delayed ACKs each exchange would wait 40 ms. Linux
    /// forgets the setting, so it is renewed before every wait.
    pub fn quickack(&self) {
        if let Link::Tcp(stream) = self {
            let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
        }
    }
}

/// The socket handed to libssh2.
pub enum SessionStream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl std::os::fd::AsRawFd for SessionStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            SessionStream::Tcp(stream) => stream.as_raw_fd(),
            SessionStream::Unix(stream) => stream.as_raw_fd(),
        }
    }
}

fn tcp(name: &str, ssh: &Ssh) -> Result<TcpStream> {
    let target = format!("{}:{}", ssh.host, ssh.port);
    let address = (ssh.host.as_str(), ssh.port)
        .to_socket_addrs()
        .map_err(|e| {
            Error::unreachable(
                name,
                crate::msg!("transport-cannot-resolve", target = target, error = e),
            )
        })?
        .next()
        .ok_or_else(|| {
            Error::unreachable(name, crate::msg!("transport-resolves-to-nothing", target = target))
        })?;
    let stream = TcpStream::connect_timeout(&address, ssh.connect_timeout).map_err(|e| {
        let seconds = ssh.connect_timeout.as_secs();
        let message = if ssh.via.is_empty() {
            crate::msg!(
                "transport-cannot-connect-lan",
                target = target,
                seconds = seconds,
                error = e
            )
        } else {
            crate::msg!("transport-cannot-connect", target = target, seconds = seconds, error = e)
        };
        Error::unreachable(name, message)
    })?;
    let _ = stream.set_nodelay(true);
    // A peer that vanishes without a reset (a cable pulled, a firewall that drops the
    // state) is found by the kernel: probes while idle, and no data may stay
    // unacknowledged longer than three keepalive intervals.
    let socket = socket2::SockRef::from(&stream);
    // Linux takes at most 32767 s between probes.
    let probe = ssh.keepalive.min(Duration::from_secs(32767));
    let _ = socket
        .set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(probe).with_interval(probe));
    let _ = socket.set_tcp_user_timeout(Some(ssh.keepalive.saturating_mul(3)));
    Ok(stream)
}

/// Why a way through jump hosts did not open.
enum Way {
    /// A hop failed (its error names it).
    Hop(Error),
    /// The last hop could not reach the target: (jump name, why).
    Refused(String, String),
    /// No channel opened before the deadline: (jump name, why its connection retired).
    TimedOut(String, Option<String>),
}

impl Way {
    fn said_for(self, name: &str, host: &str, port: u16) -> Error {
        match self {
            Way::Hop(error) => through(name, error),
            Way::Refused(jump, why) => Error::unreachable(
                name,
                crate::msg!(
                    "transport-jump-cannot-reach",
                    jump = jump,
                    host = host,
                    port = port,
                    why = why
                ),
            ),
            Way::TimedOut(jump, None) => Error::unreachable(
                name,
                crate::msg!("transport-jump-no-channel", jump = jump, host = host, port = port),
            ),
            Way::TimedOut(jump, Some(why)) => Error::unreachable(
                name,
                crate::msg!(
                    "transport-jump-no-channel-why",
                    jump = jump,
                    host = host,
                    port = port,
                    why = why
                ),
            ),
        }
    }
}

/// An error met on the way, said as the server's: which hop failed (the error's own
/// server), and what happened there.
fn through(name: &str, error: Error) -> Error {
    match error {
        Error::OnServer { server, message } => Error::on_server(
            name,
            crate::msg!("transport-jump-on-the-way", jump = server, message = message),
        ),
        Error::Unreachable { server, message } => Error::unreachable(
            name,
            crate::msg!("transport-jump-on-the-way", jump = server, message = message),
        ),
        other => other,
    }
}

/// The most jump connections one way may try: each retired connection is replaced once.
const MAX_TRIES: usize = 16;
/// With less time than this left, no fresh connection is tried.
const LAST_TRY: Duration = Duration::from_millis(500);

/// A socket that reaches `host:port` through `via` within `limit`, and the jump
/// connection it uses. A connection that retires (a channel open hangs on it, or it
/// broke) hands the request back, and it is asked again on a fresh one.
fn through_jumps(
    via: &[Hop],
    host: &str,
    port: u16,
    limit: Duration,
) -> std::result::Result<(UnixStream, Arc<Jump>), Way> {
    let deadline = Instant::now() + limit;
    let last = &via.last().expect("a way has a hop").name;
    let mut reason = None;
    for _ in 0..MAX_TRIES {
        let jump = Jump::get(via, deadline).map_err(Way::Hop)?;
        match jump.tunnel(host, port, deadline, limit) {
            Ok(stream) => return Ok((stream, jump)),
            Err(Open::Retired) => {
                reason = jump.reason().or(reason);
                if deadline.saturating_duration_since(Instant::now()) < LAST_TRY {
                    break;
                }
            }
            Err(Open::Failed(why)) => return Err(Way::Refused(jump.name.clone(), why)),
            Err(Open::TimedOut) => break,
        }
    }
    Err(Way::TimedOut(last.clone(), reason))
}

/// Why a channel did not open.
pub enum Open {
    /// This jump connection takes no more channels: ask again for a fresh one.
    Retired,
    /// The jump host refused it (the target refused the connection, or forwarding is off).
    Failed(String),
    /// The deadline passed.
    TimedOut,
}

struct Request {
    host: String,
    port: u16,
    deadline: Instant,
    /// The whole time the requester gives a channel to open (its connect timeout).
    limit: Duration,
    reply: mpsc::Sender<std::result::Result<UnixStream, Open>>,
}

/// What a jump connection's handles and its relay thread share.
#[derive(Default)]
struct Shared {
    /// The connection broke, or a channel open hangs on it: new servers get a fresh one.
    retired: AtomicBool,
    /// Why, for the errors of those who asked in vain.
    reason: Mutex<Option<String>>,
}

impl Shared {
    fn retire(&self, why: &str) {
        let mut reason = self.reason.lock().unwrap_or_else(|p| p.into_inner());
        if reason.is_none() {
            *reason = Some(why.to_string());
        }
        self.retired.store(true, Ordering::SeqCst);
    }

    fn retired(&self) -> bool {
        self.retired.load(Ordering::SeqCst)
    }
}

/// One logged-in connection to a jump host, shared by every server behind it.
pub struct Jump {
    pub name: String,
    requests: Mutex<mpsc::Sender<Request>>,
    wake: UnixStream,
    shared: Arc<Shared>,
}

/// A remembered failure to reach a jump host: servers behind it fail at once instead of
/// each waiting for its connect timeout.
const FAILURE_MEMORY: Duration = Duration::from_secs(30);

/// What is known about one chain of jump hosts. One server at a time connects it; the
/// others wait for that (up to their own deadline) and share the result. A jump host
/// that hangs holds up only the servers behind it.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    done: Condvar,
}

#[derive(Default)]
struct SlotState {
    live: Weak<Jump>,
    /// When this hop itself failed, and how (`true`: on the server; else unreachable).
    failed: Option<(Instant, bool, String)>,
    connecting: bool,
}

/// Ends a connect attempt however it ends (a panic included), and wakes the waiters.
struct Connecting<'a>(&'a Slot);

impl Drop for Connecting<'_> {
    fn drop(&mut self) {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner()).connecting = false;
        self.0.done.notify_all();
    }
}

static JUMPS: LazyLock<Mutex<HashMap<String, Arc<Slot>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// What tells two chains apart: every hop's name, address, login and key files.
fn key(chain: &[Hop]) -> String {
    let hops: Vec<String> = chain
        .iter()
        .map(|h| {
            format!(
                "{}\0{}\0{}\0{}\0{:?}\0{}\0{}",
                h.name,
                h.ssh.host,
                h.ssh.port,
                h.ssh.user,
                h.ssh.identity,
                h.ssh.known_hosts.display(),
                h.ssh.accept_new
            )
        })
        .collect();
    hops.join("\x01")
}

impl Jump {
    /// The live connection to the last hop of `chain`, logged in through the hops before
    /// it; made when there is none. Errors name the hop that failed.
    fn get(chain: &[Hop], deadline: Instant) -> Result<Arc<Jump>> {
        let slot = {
            let mut jumps = JUMPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            jumps.entry(key(chain)).or_default().clone()
        };
        let hop = &chain.last().expect("a chain has a hop").name;
        let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(jump) = state.live.upgrade()
                && !jump.shared.retired()
            {
                return Ok(jump);
            }
            if let Some((when, on_server, message)) = &state.failed
                && when.elapsed() < FAILURE_MEMORY
            {
                let message = crate::msg!(
                    "transport-jump-tried-ago",
                    message = message,
                    seconds = when.elapsed().as_secs()
                );
                return Err(if *on_server {
                    Error::on_server(hop, message)
                } else {
                    Error::unreachable(hop, message)
                });
            }
            if !state.connecting {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::unreachable(
                    hop,
                    crate::msg!("transport-jump-login-wait-timeout"),
                ));
            }
            state = slot.done.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        state.connecting = true;
        drop(state);
        let connecting = Connecting(&slot);
        let made = connect(chain);
        let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        let made = match made {
            Ok(jump) => {
                state.live = Arc::downgrade(&jump);
                state.failed = None;
                Ok(jump)
            }
            // Only what this hop itself did is remembered: a failure on the way to it
            // is remembered (or not) by the hop it belongs to.
            Err((error, own)) => {
                if own {
                    match &error {
                        Error::OnServer { message, .. } => {
                            state.failed = Some((Instant::now(), true, message.clone()));
                        }
                        Error::Unreachable { message, .. } => {
                            state.failed = Some((Instant::now(), false, message.clone()));
                        }
                        _ => {}
                    }
                }
                Err(error)
            }
        };
        drop(state);
        drop(connecting);
        made
    }

    /// Why this connection retired, if it did.
    fn reason(&self) -> Option<String> {
        self.shared.reason.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A socket that reaches `host:port` from the jump host, opened before `deadline`.
    fn tunnel(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        limit: Duration,
    ) -> std::result::Result<UnixStream, Open> {
        if self.shared.retired() {
            return Err(Open::Retired);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Open::TimedOut);
        }
        let (reply, answer) = mpsc::channel();
        let request = Request { host: host.to_string(), port, deadline, limit, reply };
        let sent = self.requests.lock().unwrap_or_else(|p| p.into_inner()).send(request);
        if sent.is_err() {
            return Err(Open::Retired);
        }
        let _ = (&self.wake).write(&[1]);
        // The relay answers by the deadline; this bound is only a backstop.
        match answer.recv_timeout(left + Duration::from_secs(2)) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Open::TimedOut),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Open::Retired),
        }
    }
}

impl Drop for Jump {
    fn drop(&mut self) {
        // The relay thread sees the requests closed and ends once its channels are done.
        let _ = (&self.wake).write(&[0]);
    }
}

/// Logs in to the last hop of `chain` and starts its relay thread. The flag says whether
/// the error is this hop's own (else it was met on the way to it).
fn connect(chain: &[Hop]) -> std::result::Result<Arc<Jump>, (Error, bool)> {
    let (hop, before) = chain.split_last().expect("a chain has a hop");
    let name = &hop.name;
    let own = |e: Error| (e, true);
    let link = if before.is_empty() {
        Link::Tcp(tcp(name, &hop.ssh).map_err(own)?)
    } else {
        match through_jumps(before, &hop.ssh.host, hop.ssh.port, hop.ssh.connect_timeout) {
            Ok((stream, parent)) => Link::Tunnel { stream, _via: parent },
            Err(Way::Hop(error)) => return Err((error, false)),
            Err(way) => {
                return Err((way.said_for(name, &hop.ssh.host, hop.ssh.port), false));
            }
        }
    };
    let unreachable = |e: std::io::Error| own(Error::unreachable(name, e.to_string()));
    link.set_nonblocking().map_err(unreachable)?;
    // libssh2 gets one end of a socket pair, the relay the other, and the relay moves its
    // bytes to and from the link. That end always has room, so libssh2 never meets a
    // full socket: a packet it began to send is never left half sent.
    let (pipe, theirs) = UnixStream::pair().map_err(unreachable)?;
    pipe.set_nonblocking(true).map_err(unreachable)?;
    theirs.set_nonblocking(true).map_err(unreachable)?;
    let _ = socket2::SockRef::from(&theirs).set_send_buffer_size(PIPE_BUFFER);
    let (wake, woken) = UnixStream::pair().map_err(unreachable)?;
    wake.set_nonblocking(true).map_err(unreachable)?;
    woken.set_nonblocking(true).map_err(unreachable)?;
    let (sessions, session_in) = mpsc::channel();
    let (requests, incoming) = mpsc::channel();
    let shared = Arc::new(Shared::default());
    let relay = Relay {
        name: name.clone(),
        session: None,
        sessions: session_in,
        link,
        pipe,
        to_link: Vec::new(),
        to_link_sent: 0,
        to_pipe: Vec::new(),
        to_pipe_sent: 0,
        link_eof: false,
        incoming,
        woken,
        queue: VecDeque::new(),
        opening: None,
        tunnels: Vec::new(),
        closing: Vec::new(),
        shared: shared.clone(),
        closed: false,
        failed: false,
    };
    std::thread::Builder::new().name(format!("jump-{name}")).spawn(move || relay.run()).map_err(
        |e| {
            own(Error::unreachable(
                name,
                crate::msg!("transport-jump-relay-not-started", error = e),
            ))
        },
    )?;
    // The relay already moves bytes: log in over the pair, then hand the session over.
    let session = super::ssh::login(name, &hop.ssh, &Link::Pipe(theirs)).map_err(own)?;
    session.set_blocking(false);
    sessions.send(session).map_err(|_| {
        own(Error::unreachable(name, crate::msg!("transport-jump-relay-ended-in-login")))
    })?;
    Ok(Arc::new(Jump { name: name.clone(), requests: Mutex::new(requests), wake, shared }))
}

const BUFFER: usize = 32 * 1024;
/// libssh2's end of its socket pair holds this much: far more than one pass sends.
const PIPE_BUFFER: usize = 4 << 20;
/// Bytes waiting for the link above which no tunnel sends more (the link is slower than
/// kuroko): the tunnels' own sockets then fill, and their sessions wait.
const HIGH_WATER: usize = 1 << 20;
/// How long a channel may take to close once kuroko is done with it.
const LINGER: Duration = Duration::from_secs(5);
/// A channel open that takes longer than this hangs (a jump host on the same LAN as its
/// servers answers in milliseconds): this connection retires, and the requests behind
/// it go to a fresh one, because libssh2 opens one channel at a time.
const STUCK: Duration = Duration::from_secs(2);

/// One channel and its socket end.
struct Tunnel {
    channel: Channel,
    local: UnixStream,
    up: Vec<u8>,
    up_sent: usize,
    down: Vec<u8>,
    down_sent: usize,
    remote_eof: bool,
    local_shut: bool,
}

enum Step {
    Moved(bool),
    /// kuroko is done with it, or it failed on its own: close it.
    Done,
    /// The jump connection itself failed.
    Lost,
}

/// Whether the last libssh2 error belongs to the whole connection (socket, banner, key
/// exchange, encryption, protocol) rather than to one channel or call.
fn connection_error(session: &Session) -> bool {
    const CONNECTION: [i32; 13] = [-1, -2, -3, -4, -5, -7, -8, -12, -13, -14, -43, -44, -45];
    matches!(
        ssh2::Error::last_session_error(session).map(|e| e.code()),
        Some(ssh2::ErrorCode::Session(code)) if CONNECTION.contains(&code)
    )
}

fn would_block(error: &ssh2::Error) -> bool {
    matches!(error.code(), ssh2::ErrorCode::Session(-37))
}

/// The thread that serves one jump connection.
struct Relay {
    name: String,
    /// Set once the login over the pair is done.
    session: Option<Session>,
    sessions: mpsc::Receiver<Session>,
    link: Link,
    /// The relay's end of libssh2's socket pair.
    pipe: UnixStream,
    to_link: Vec<u8>,
    to_link_sent: usize,
    to_pipe: Vec<u8>,
    to_pipe_sent: usize,
    link_eof: bool,
    incoming: mpsc::Receiver<Request>,
    woken: UnixStream,
    queue: VecDeque<Request>,
    /// The request whose channel libssh2 is opening (one at a time per session), since
    /// when, and whether its requester still waits.
    opening: Option<(Request, Instant, bool)>,
    tunnels: Vec<Tunnel>,
    /// Tunnels kuroko is done with, closing (their channel's CLOSE sent and answered).
    closing: Vec<(Tunnel, Instant)>,
    shared: Arc<Shared>,
    /// Every `Jump` handle is gone: no request can come any more.
    closed: bool,
    /// The connection failed: nothing more is said on it.
    failed: bool,
}

impl Relay {
    fn run(mut self) {
        let mut buf = vec![0u8; BUFFER];
        loop {
            let mut moved = false;
            if let Err(why) = self.shuttle(&mut buf) {
                self.fail(&why);
                break;
            }
            if self.session.is_none() {
                match self.sessions.try_recv() {
                    Ok(session) => {
                        self.session = Some(session);
                        continue;
                    }
                    Err(mpsc::TryRecvError::Empty) => {}
                    // The login failed or was given up: nothing to serve.
                    Err(mpsc::TryRecvError::Disconnected) => {
                        self.failed = true;
                        break;
                    }
                }
                if self.link_eof {
                    self.failed = true;
                    break;
                }
                self.wait(false);
                continue;
            }
            moved |= self.take_requests();
            let steps = self
                .open_channels()
                .and_then(|m| self.pump_all(&mut buf).map(|n| m | n))
                .and_then(|m| self.finish_closing().map(|n| m | n));
            match steps {
                Ok(m) => moved |= m,
                Err(why) => {
                    self.fail(&why);
                    break;
                }
            }
            if self.closed && self.tunnels.is_empty() && self.closing.is_empty() {
                break;
            }
            if moved {
                continue;
            }
            if self.link_eof && self.to_pipe_sent == self.to_pipe.len() {
                let why = crate::msg!("transport-jump-closed", jump = self.name);
                self.fail(&why);
                break;
            }
            self.wait(true);
        }
        self.goodbye(&mut buf);
    }

    /// Moves bytes between the link and libssh2's socket, both ways. Err: the link failed.
    fn shuttle(&mut self, buf: &mut [u8]) -> std::result::Result<bool, String> {
        let mut moved = false;
        // link → libssh2
        if self.to_pipe_sent == self.to_pipe.len() && !self.link_eof {
            match self.link.read(buf) {
                Ok(0) => {
                    self.link_eof = true;
                    let _ = self.pipe.shutdown(Shutdown::Write);
                    moved = true;
                }
                Ok(n) => {
                    self.to_pipe.clear();
                    self.to_pipe.extend_from_slice(&buf[..n]);
                    self.to_pipe_sent = 0;
                    moved = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => {
                    return Err(crate::msg!("transport-jump-broke", jump = self.name, error = e));
                }
            }
        }
        if self.to_pipe_sent < self.to_pipe.len() {
            match (&self.pipe).write(&self.to_pipe[self.to_pipe_sent..]) {
                Ok(n) => {
                    self.to_pipe_sent += n;
                    moved |= n > 0;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(crate::msg!("transport-jump-relay-failed", error = e)),
            }
        }
        // libssh2 → link
        moved |= self.drain_pipe(buf);
        if self.to_link_sent < self.to_link.len() {
            match self.link.write(&self.to_link[self.to_link_sent..]) {
                Ok(n) => {
                    self.to_link_sent += n;
                    moved |= n > 0;
                    if self.to_link_sent == self.to_link.len() {
                        self.to_link.clear();
                        self.to_link_sent = 0;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => {
                    return Err(crate::msg!("transport-jump-broke", jump = self.name, error = e));
                }
            }
        }
        Ok(moved)
    }

    /// Takes everything libssh2 wrote, so that its socket always has room.
    fn drain_pipe(&mut self, buf: &mut [u8]) -> bool {
        let mut moved = false;
        if self.to_link_sent > 0 && self.to_link_sent >= self.to_link.len() / 2 {
            self.to_link.drain(..self.to_link_sent);
            self.to_link_sent = 0;
        }
        while let Ok(n) = (&self.pipe).read(buf) {
            if n == 0 {
                break;
            }
            self.to_link.extend_from_slice(&buf[..n]);
            moved = true;
        }
        moved
    }

    fn take_requests(&mut self) -> bool {
        let mut byte = [0u8; 64];
        while matches!((&self.woken).read(&mut byte), Ok(n) if n > 0) {}
        let mut moved = false;
        loop {
            match self.incoming.try_recv() {
                Ok(request) if self.shared.retired() => {
                    let _ = request.reply.send(Err(Open::Retired));
                }
                Ok(request) => {
                    self.queue.push_back(request);
                    moved = true;
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.closed = true;
                    break;
                }
            }
        }
        moved
    }

    /// Opens the channels asked for, one at a time. Err: the connection failed.
    fn open_channels(&mut self) -> std::result::Result<bool, String> {
        let mut moved = false;
        let mut buf = [0u8; 4096];
        loop {
            if self.opening.is_none() {
                match self.queue.pop_front() {
                    Some(request) if Instant::now() >= request.deadline => {
                        let _ = request.reply.send(Err(Open::TimedOut));
                        moved = true;
                        continue;
                    }
                    Some(request) => self.opening = Some((request, Instant::now(), true)),
                    None => return Ok(moved),
                }
            }
            let (request, since, waiting) = self.opening.as_mut().expect("set above");
            // Timed on every pass, whether or not libssh2 could be asked.
            // A third of the connect timeout at most, so that those handed on still have
            // time on a fresh connection.
            let stuck = STUCK.min(request.limit / 3);
            if since.elapsed() > stuck && !self.shared.retired() {
                self.shared.retire(&crate::msg!(
                    "transport-jump-channel-hung",
                    host = request.host,
                    port = request.port
                ));
                for waiting in self.queue.drain(..) {
                    let _ = waiting.reply.send(Err(Open::Retired));
                }
            }
            if *waiting && Instant::now() >= request.deadline {
                let _ = request.reply.send(Err(Open::TimedOut));
                *waiting = false;
            }
            let session = self.session.clone().expect("serving");
            let opened = session.channel_direct_tcpip(&request.host, request.port, None);
            self.drain_pipe(&mut buf);
            match opened {
                Ok(channel) => {
                    let (request, _, waiting) = self.opening.take().expect("set above");
                    moved = true;
                    self.start_tunnel(channel, request, waiting);
                }
                Err(e) if would_block(&e) => return Ok(moved),
                Err(e) if connection_error(&session) => {
                    let (request, _, _) = self.opening.take().expect("set above");
                    let _ = request.reply.send(Err(Open::Retired));
                    return Err(crate::msg!(
                        "transport-jump-failed",
                        jump = self.name,
                        error = e.message()
                    ));
                }
                // This channel's own failure (refused, or libssh2's wait for the answer
                // timed out): the connection goes on.
                Err(e) => {
                    let (request, _, waiting) = self.opening.take().expect("set above");
                    if waiting {
                        let _ = request.reply.send(Err(Open::Failed(e.message().to_string())));
                    }
                    moved = true;
                }
            }
        }
    }

    fn start_tunnel(&mut self, channel: Channel, request: Request, waiting: bool) {
        let tunnel = |local: UnixStream| Tunnel {
            channel,
            local,
            up: Vec::new(),
            up_sent: 0,
            down: Vec::new(),
            down_sent: 0,
            remote_eof: false,
            local_shut: false,
        };
        match UnixStream::pair() {
            Ok((ours, theirs)) => {
                let _ = ours.set_nonblocking(true);
                if waiting && request.reply.send(Ok(theirs)).is_ok() {
                    self.tunnels.push(tunnel(ours));
                } else {
                    // Nobody waits for it any more: close it at once.
                    self.closing.push((tunnel(ours), Instant::now()));
                }
            }
            Err(e) => {
                let _ = request.reply.send(Err(Open::Failed(e.to_string())));
                if let Ok((ours, _)) = UnixStream::pair() {
                    self.closing.push((tunnel(ours), Instant::now()));
                }
            }
        }
    }

    /// Moves data on every tunnel. Err: the connection failed.
    fn pump_all(&mut self, buf: &mut [u8]) -> std::result::Result<bool, String> {
        let mut moved = false;
        let mut index = 0;
        while index < self.tunnels.len() {
            let room = self.to_link.len() - self.to_link_sent < HIGH_WATER;
            let session = self.session.as_ref().expect("serving");
            let step = pump(&mut self.tunnels[index], buf, session, room);
            self.drain_pipe(buf);
            match step {
                Step::Moved(m) => {
                    moved |= m;
                    index += 1;
                }
                Step::Done => {
                    let tunnel = self.tunnels.swap_remove(index);
                    self.closing.push((tunnel, Instant::now()));
                    moved = true;
                }
                Step::Lost => {
                    let session = self.session.as_ref().expect("serving");
                    let why = ssh2::Error::last_session_error(session)
                        .map(|e| e.message().to_string())
                        .unwrap_or_default();
                    return Err(crate::msg!(
                        "transport-jump-failed",
                        jump = self.name,
                        error = why
                    ));
                }
            }
        }
        Ok(moved)
    }

    /// Closes channels kuroko is done with: the CLOSE is sent and its answer awaited, so
    /// that libssh2 can free the channel. Err: the connection failed.
    fn finish_closing(&mut self) -> std::result::Result<bool, String> {
        let mut moved = false;
        let mut buf = [0u8; 4096];
        let mut index = 0;
        while index < self.closing.len() {
            let session = self.session.clone().expect("serving");
            let (tunnel, since) = &mut self.closing[index];
            let lingered = since.elapsed() > LINGER;
            let closed = tunnel.channel.close();
            self.drain_pipe(&mut buf);
            let done = match closed {
                Ok(()) => true,
                Err(e) if would_block(&e) => lingered,
                Err(e) if connection_error(&session) => {
                    return Err(crate::msg!(
                        "transport-jump-failed",
                        jump = self.name,
                        error = e.message()
                    ));
                }
                Err(_) => true,
            };
            if done {
                self.closing.swap_remove(index);
                moved = true;
            } else {
                index += 1;
            }
        }
        Ok(moved)
    }

    /// Waits until a socket can move data, a request comes, or a short time passes.
    fn wait(&mut self, serving: bool) {
        let mut link_flags = PollFlags::empty();
        // The link is read only when libssh2's socket has taken what came before: behind a
        // slow reader the data waits in the kernel and the SSH window, not in a spin.
        if self.to_pipe_sent == self.to_pipe.len() && !self.link_eof {
            link_flags |= PollFlags::POLLIN;
        }
        if self.to_link_sent < self.to_link.len() {
            link_flags |= PollFlags::POLLOUT;
        }
        let mut pipe_flags = PollFlags::POLLIN;
        if self.to_pipe_sent < self.to_pipe.len() {
            pipe_flags |= PollFlags::POLLOUT;
        }
        self.link.quickack();
        let mut fds = vec![
            PollFd::new(self.link.fd(), link_flags),
            PollFd::new(self.pipe.as_fd(), pipe_flags),
        ];
        // Once every handle is gone its peer is closed and would always wake the poll.
        if !self.closed {
            fds.push(PollFd::new(self.woken.as_fd(), PollFlags::POLLIN));
        }
        // A tunnel is read only while the link has room for more (as `pump_all` does); a
        // socket with nothing to wait for stays out, so that a closed peer cannot wake
        // the poll in a loop.
        let room = self.to_link.len() - self.to_link_sent < HIGH_WATER;
        for tunnel in &self.tunnels {
            let mut flags = PollFlags::empty();
            if tunnel.up_sent == tunnel.up.len() && room {
                flags |= PollFlags::POLLIN;
            }
            if tunnel.down_sent < tunnel.down.len() {
                flags |= PollFlags::POLLOUT;
            }
            if !flags.is_empty() {
                fds.push(PollFd::new(tunnel.local.as_fd(), flags));
            }
        }
        // libssh2 may hold data it read for one channel while serving another, which no
        // socket shows: with channels open, look again soon.
        let busy = serving
            && (!self.tunnels.is_empty() || self.opening.is_some() || !self.closing.is_empty());
        let millis: u16 = if busy { 10 } else { 1000 };
        let _ = poll(&mut fds, PollTimeout::from(millis));
    }

    /// The connection is gone: every channel closes (its session sees the end), and
    /// waiting requests are told to try a fresh connection, with why.
    fn fail(&mut self, why: &str) {
        self.failed = true;
        self.shared.retire(why);
        self.tunnels.clear();
        self.closing.clear();
        if let Some((request, _, true)) = self.opening.take() {
            let _ = request.reply.send(Err(Open::Retired));
        }
        for request in self.queue.drain(..) {
            let _ = request.reply.send(Err(Open::Retired));
        }
        while let Ok(request) = self.incoming.try_recv() {
            let _ = request.reply.send(Err(Open::Retired));
        }
    }

    /// Says goodbye on a healthy connection (the relay must move the bytes itself, so it
    /// sends without blocking and flushes for a second at most); a failed one is dropped.
    fn goodbye(&mut self, buf: &mut [u8]) {
        let Some(session) = self.session.take() else { return };
        if self.failed {
            return;
        }
        let _ = session.disconnect(None, "kuroko is done", None);
        self.drain_pipe(buf);
        let until = Instant::now() + Duration::from_secs(1);
        while self.to_link_sent < self.to_link.len() && Instant::now() < until {
            if self.shuttle(buf).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // However the thread ends (a panic included), new servers get a fresh connection.
        self.shared.retire(&crate::msg!("transport-jump-relay-ended"));
    }
}

/// Moves what can move now on one tunnel, both ways, without blocking. `room`: the link
/// can take more from this tunnel.
fn pump(tunnel: &mut Tunnel, buf: &mut [u8], session: &Session, room: bool) -> Step {
    let mut moved = false;
    let lost_or_done = |session: &Session| {
        if connection_error(session) { Step::Lost } else { Step::Done }
    };
    // kuroko → server. kuroko never half-closes its end: an end of file means it is done
    // with the channel (its session was dropped).
    if tunnel.up_sent == tunnel.up.len() && room {
        match tunnel.local.read(buf) {
            Ok(0) => return Step::Done,
            Ok(n) => {
                tunnel.up.clear();
                tunnel.up.extend_from_slice(&buf[..n]);
                tunnel.up_sent = 0;
                moved = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return Step::Done,
        }
    }
    if tunnel.up_sent < tunnel.up.len() {
        match tunnel.channel.write(&tunnel.up[tunnel.up_sent..]) {
            Ok(n) => {
                tunnel.up_sent += n;
                moved |= n > 0;
            }
            // The channel's window is full: the server has not read yet.
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return lost_or_done(session),
        }
    }
    // server → kuroko
    if tunnel.down_sent == tunnel.down.len() && !tunnel.remote_eof {
        match tunnel.channel.read(buf) {
            // The server sent EOF or closed the channel.
            Ok(0) => {
                tunnel.remote_eof = true;
                moved = true;
            }
            Ok(n) => {
                tunnel.down.clear();
                tunnel.down.extend_from_slice(&buf[..n]);
                tunnel.down_sent = 0;
                moved = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if tunnel.channel.eof() {
                    tunnel.remote_eof = true;
                    moved = true;
                }
            }
            Err(_) => return lost_or_done(session),
        }
    }
    if tunnel.down_sent < tunnel.down.len() {
        match tunnel.local.write(&tunnel.down[tunnel.down_sent..]) {
            Ok(n) => {
                tunnel.down_sent += n;
                moved |= n > 0;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            // kuroko's end is gone: nobody is left to read.
            Err(_) => return Step::Done,
        }
    }
    if tunnel.remote_eof && tunnel.down_sent == tunnel.down.len() && !tunnel.local_shut {
        let _ = tunnel.local.shutdown(Shutdown::Write);
        tunnel.local_shut = true;
        moved = true;
    }
    Step::Moved(moved)
}
