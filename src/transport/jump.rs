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
use std::sync::{Arc, LazyLock, Mutex, Weak, mpsc};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use ssh2::{BlockDirections, Channel, Session};

use crate::error::{Error, Result};
use crate::site::{Hop, Ssh};

/// What an SSH session runs over: a TCP connection, or a channel through a jump host
/// (which it keeps alive for as long as the session lives).
pub enum Link {
    Tcp(TcpStream),
    Tunnel { stream: UnixStream, _via: Arc<Jump> },
}

impl Link {
    /// Connects to `ssh.host:ssh.port`, through `ssh.via` when it names jump hosts.
    /// `name` is who the connection is for, in errors.
    pub fn open(name: &str, ssh: &Ssh) -> Result<Link> {
        if ssh.via.is_empty() {
            return tcp(name, ssh).map(Link::Tcp);
        }
        let deadline = Instant::now() + ssh.connect_timeout;
        let (stream, jump) = through_jumps(&ssh.via, &ssh.host, ssh.port, deadline)
            .map_err(|e| e.said_for(name, &ssh.host, ssh.port))?;
        Ok(Link::Tunnel { stream, _via: jump })
    }

    /// A second handle on the same socket, for libssh2.
    pub fn session_stream(&self) -> std::io::Result<SessionStream> {
        match self {
            Link::Tcp(stream) => stream.try_clone().map(SessionStream::Tcp),
            Link::Tunnel { stream, .. } => stream.try_clone().map(SessionStream::Unix),
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Link::Tcp(stream) => stream.as_fd(),
            Link::Tunnel { stream, .. } => stream.as_fd(),
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
        .map_err(|e| Error::unreachable(name, format!("cannot resolve `{target}`: {e}")))?
        .next()
        .ok_or_else(|| Error::unreachable(name, format!("`{target}` resolves to no address")))?;
    let stream = TcpStream::connect_timeout(&address, ssh.connect_timeout).map_err(|e| {
        Error::unreachable(
            name,
            format!(
                "cannot connect to {target} within {}s: {e} (is sshd running there? check `host`/`port`{})",
                ssh.connect_timeout.as_secs(),
                if ssh.via.is_empty() { "; on a management LAN, a `jump` host may be needed" } else { "" }
            ),
        )
    })?;
    let _ = stream.set_nodelay(true);
    // A peer that vanishes without a reset (a cable pulled, a firewall that drops the
    // state) is found by the kernel: probes while idle, and no data may stay
    // unacknowledged longer than three keepalive intervals.
    let socket = socket2::SockRef::from(&stream);
    let _ = socket.set_tcp_keepalive(
        &socket2::TcpKeepalive::new().with_time(ssh.keepalive).with_interval(ssh.keepalive),
    );
    let _ = socket.set_tcp_user_timeout(Some(ssh.keepalive.saturating_mul(3)));
    Ok(stream)
}

/// Why a way through jump hosts did not open.
enum Way {
    /// A hop failed (its error names it).
    Hop(Error),
    /// The last hop could not reach the target: (jump name, why).
    Refused(String, String),
    /// No channel opened before the deadline.
    TimedOut(String),
}

impl Way {
    fn said_for(self, name: &str, host: &str, port: u16) -> Error {
        match self {
            Way::Hop(error) => through(name, error),
            Way::Refused(jump, why) => Error::unreachable(
                name,
                format!(
                    "jump host `{jump}` cannot reach {host}:{port}: {why} (is sshd running there? check `host`/`port`)"
                ),
            ),
            Way::TimedOut(jump) => Error::unreachable(
                name,
                format!(
                    "jump host `{jump}` opened no channel to {host}:{port} within the connect timeout (does the server answer the jump host?)"
                ),
            ),
        }
    }
}

/// An error met on the way, said as the server's: which hop failed (the error's own
/// server), and what happened there.
fn through(name: &str, error: Error) -> Error {
    match error {
        Error::OnServer { server, message } => {
            Error::on_server(name, format!("on the way through jump host `{server}`: {message}"))
        }
        Error::Unreachable { server, message } => {
            Error::unreachable(name, format!("on the way through jump host `{server}`: {message}"))
        }
        other => other,
    }
}

/// The most jump connections one way may try: each retired connection is replaced once.
const MAX_TRIES: usize = 16;

/// A socket that reaches `host:port` through `via`, and the jump connection it uses. A
/// connection that retires (one of its channel opens hangs, or it broke) hands the
/// request back, and it is asked again on a fresh one until `deadline`.
fn through_jumps(
    via: &[Hop],
    host: &str,
    port: u16,
    deadline: Instant,
) -> std::result::Result<(UnixStream, Arc<Jump>), Way> {
    let last = &via.last().expect("a way has a hop").name;
    for _ in 0..MAX_TRIES {
        let jump = Jump::get(via).map_err(Way::Hop)?;
        match jump.tunnel(host, port, deadline) {
            Ok(stream) => return Ok((stream, jump)),
            Err(Open::Retired) if Instant::now() < deadline => continue,
            Err(Open::Retired) => break,
            Err(Open::Failed(why)) => return Err(Way::Refused(jump.name.clone(), why)),
            Err(Open::TimedOut) => break,
        }
    }
    Err(Way::TimedOut(last.clone()))
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

/// One logged-in connection to a jump host, shared by every server behind it.
pub struct Jump {
    pub name: String,
    requests: Mutex<mpsc::Sender<Request>>,
    wake: UnixStream,
    /// The connection broke, or a channel open hangs on it: new servers get a fresh one.
    retired: Arc<AtomicBool>,
}

/// A remembered failure to reach a jump host: servers behind it fail at once instead of
/// each waiting for its connect timeout.
const FAILURE_MEMORY: Duration = Duration::from_secs(30);

/// What is known about one chain of jump hosts. Connecting holds only this slot's lock,
/// so a jump host that hangs holds up only the servers behind it.
#[derive(Default)]
struct Slot {
    live: Weak<Jump>,
    /// When this hop itself failed, and how (`true`: on the server; else unreachable).
    failed: Option<(Instant, bool, String)>,
}

static JUMPS: LazyLock<Mutex<HashMap<String, Arc<Mutex<Slot>>>>> =
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
    pub fn get(chain: &[Hop]) -> Result<Arc<Jump>> {
        let slot = {
            let mut jumps = JUMPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            jumps.entry(key(chain)).or_default().clone()
        };
        let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(jump) = slot.live.upgrade()
            && !jump.retired.load(Ordering::SeqCst)
        {
            return Ok(jump);
        }
        let hop = &chain.last().expect("a chain has a hop").name;
        if let Some((when, on_server, message)) = &slot.failed
            && when.elapsed() < FAILURE_MEMORY
        {
            let message = format!("{message} (tried {}s ago)", when.elapsed().as_secs());
            return Err(if *on_server {
                Error::on_server(hop, message)
            } else {
                Error::unreachable(hop, message)
            });
        }
        match connect(chain) {
            Ok(jump) => {
                slot.live = Arc::downgrade(&jump);
                slot.failed = None;
                Ok(jump)
            }
            // Only what this hop itself did is remembered: a failure on the way to it
            // is remembered (or not) by the hop it belongs to.
            Err((error, own)) => {
                if own {
                    match &error {
                        Error::OnServer { message, .. } => {
                            slot.failed = Some((Instant::now(), true, message.clone()));
                        }
                        Error::Unreachable { message, .. } => {
                            slot.failed = Some((Instant::now(), false, message.clone()));
                        }
                        _ => {}
                    }
                }
                Err(error)
            }
        }
    }

    /// A socket that reaches `host:port` from the jump host, opened before `deadline`.
    fn tunnel(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
    ) -> std::result::Result<UnixStream, Open> {
        if self.retired.load(Ordering::SeqCst) {
            return Err(Open::Retired);
        }
        let (reply, answer) = mpsc::channel();
        let limit = deadline.saturating_duration_since(Instant::now());
        let request = Request { host: host.to_string(), port, deadline, limit, reply };
        let sent = self.requests.lock().unwrap_or_else(|p| p.into_inner()).send(request);
        if sent.is_err() {
            return Err(Open::Retired);
        }
        let _ = (&self.wake).write(&[1]);
        // The relay answers by the deadline; this bound is only a backstop.
        let wait = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(2);
        match answer.recv_timeout(wait) {
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
    let link = if before.is_empty() {
        Link::Tcp(tcp(name, &hop.ssh).map_err(|e| (e, true))?)
    } else {
        let deadline = Instant::now() + hop.ssh.connect_timeout;
        match through_jumps(before, &hop.ssh.host, hop.ssh.port, deadline) {
            Ok((stream, parent)) => Link::Tunnel { stream, _via: parent },
            Err(Way::Hop(error)) => return Err((error, false)),
            Err(way) => {
                return Err((way.said_for(name, &hop.ssh.host, hop.ssh.port), false));
            }
        }
    };
    let own = |e: Error| (e, true);
    let session = super::ssh::login(name, &hop.ssh, &link).map_err(own)?;
    session.set_blocking(false);
    let (wake, woken) =
        UnixStream::pair().map_err(|e| own(Error::unreachable(name, e.to_string())))?;
    let _ = wake.set_nonblocking(true);
    let _ = woken.set_nonblocking(true);
    let (requests, incoming) = mpsc::channel();
    let retired = Arc::new(AtomicBool::new(false));
    let relay = Relay {
        name: name.clone(),
        session,
        link,
        incoming,
        woken,
        queue: VecDeque::new(),
        opening: None,
        tunnels: Vec::new(),
        closing: Vec::new(),
        sender: None,
        next_id: 0,
        retired: retired.clone(),
        closed: false,
        peer_gone: false,
        failed: false,
    };
    std::thread::Builder::new()
        .name(format!("jump-{name}"))
        .spawn(move || relay.run())
        .map_err(|e| own(Error::unreachable(name, format!("cannot start its relay: {e}"))))?;
    Ok(Arc::new(Jump { name: name.clone(), requests: Mutex::new(requests), wake, retired }))
}

const BUFFER: usize = 32 * 1024;
/// How long a channel may take to close once kuroko is done with it.
const LINGER: Duration = Duration::from_secs(5);
/// A channel open that takes longer than this hangs (a jump host on the same LAN as its
/// servers answers in milliseconds): this connection retires, and the requests behind
/// it go to a fresh one, because libssh2 opens one channel at a time.
const STUCK: Duration = Duration::from_secs(2);

/// One channel and its socket end.
struct Tunnel {
    id: u64,
    channel: Channel,
    local: UnixStream,
    up: Vec<u8>,
    up_sent: usize,
    down: Vec<u8>,
    down_sent: usize,
    local_eof: bool,
    eof_sent: bool,
    remote_eof: bool,
    local_shut: bool,
}

enum Step {
    Moved(bool),
    /// Finished (both ends done) or failed on its own: close it.
    Done,
    /// The jump connection itself failed.
    Lost,
}

/// Whether a libssh2 error after a failed channel call belongs to the whole connection
/// (socket, key exchange, protocol) rather than to that channel alone.
fn connection_error(session: &Session) -> bool {
    match ssh2::Error::last_session_error(session).map(|e| e.code()) {
        Some(ssh2::ErrorCode::Session(code)) => {
            // LIBSSH2_ERROR_CHANNEL_* (-20 to -27), WINDOW_FULL (-47) and EAGAIN (-37)
            // are one channel's business.
            !((-27..=-20).contains(&code) || code == -47 || code == -37)
        }
        _ => false,
    }
}

fn would_block(error: &ssh2::Error) -> bool {
    matches!(error.code(), ssh2::ErrorCode::Session(-37))
}

/// The thread that serves one jump connection.
struct Relay {
    name: String,
    session: Session,
    link: Link,
    incoming: mpsc::Receiver<Request>,
    woken: UnixStream,
    queue: VecDeque<Request>,
    /// The request whose channel libssh2 is opening (one at a time per session), since
    /// when, and whether its requester still waits.
    opening: Option<(Request, Instant, bool)>,
    tunnels: Vec<Tunnel>,
    /// Tunnels kuroko is done with, closing (their channel's CLOSE sent and answered).
    closing: Vec<(Tunnel, Instant)>,
    /// libssh2 finishes a packet it began to send only for the same caller and buffer:
    /// the tunnel whose write is half sent, which alone may write until it is through.
    sender: Option<u64>,
    next_id: u64,
    retired: Arc<AtomicBool>,
    /// Every `Jump` handle is gone: no request can come any more.
    closed: bool,
    /// The jump host closed the connection (or it failed).
    peer_gone: bool,
    /// The connection failed: nothing more is said on it.
    failed: bool,
}

impl Relay {
    fn run(mut self) {
        let mut buf = vec![0u8; BUFFER];
        loop {
            let mut moved = self.take_requests();
            match self.open_channels() {
                Ok(m) => moved |= m,
                Err(why) => {
                    self.fail(&why);
                    break;
                }
            }
            match self.pump_all(&mut buf) {
                Ok(m) => moved |= m,
                Err(()) => {
                    let why = format!("the connection to jump host `{}` broke", self.name);
                    self.fail(&why);
                    break;
                }
            }
            self.finish_closing();
            if self.closed && self.tunnels.is_empty() && self.closing.is_empty() {
                break;
            }
            if moved {
                continue;
            }
            if self.peer_gone {
                let why = format!("jump host `{}` closed the connection", self.name);
                self.fail(&why);
                break;
            }
            self.wait();
        }
        // A goodbye waits on the socket in blocking mode: only on a healthy connection,
        // and for two seconds at most. A failed one is dropped as it is.
        if !self.peer_gone && !self.failed {
            self.session.set_blocking(true);
            self.session.set_timeout(2000);
            let _ = self.session.disconnect(None, "kuroko is done", None);
        }
    }

    fn take_requests(&mut self) -> bool {
        let mut byte = [0u8; 64];
        while matches!((&self.woken).read(&mut byte), Ok(n) if n > 0) {}
        let mut moved = false;
        loop {
            match self.incoming.try_recv() {
                Ok(request) if self.retired.load(Ordering::SeqCst) => {
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
        loop {
            if self.opening.is_none() {
                match self.queue.pop_front() {
                    Some(request) => self.opening = Some((request, Instant::now(), true)),
                    None => return Ok(moved),
                }
            }
            let (request, since, waiting) = self.opening.as_mut().expect("set above");
            // The CHANNEL_OPEN is a small packet from a buffer libssh2 does not keep: it
            // is sent only when no other packet is half sent and the socket has room.
            if self.sender.is_some() || !link_writable(&self.link) {
                return Ok(moved);
            }
            match self.session.channel_direct_tcpip(&request.host, request.port, None) {
                Ok(channel) => {
                    let (request, _, waiting) = self.opening.take().expect("set above");
                    moved = true;
                    self.start_tunnel(channel, request, waiting);
                }
                Err(e) if would_block(&e) => {
                    // A third of the connect timeout at most, so that those handed on
                    // still have time on a fresh connection.
                    let stuck = STUCK.min(request.limit / 3);
                    if since.elapsed() > stuck && !self.retired.swap(true, Ordering::SeqCst) {
                        // Later requests would wait behind this one: they go to a fresh
                        // connection, and this one serves what it has until it is done.
                        for waiting in self.queue.drain(..) {
                            let _ = waiting.reply.send(Err(Open::Retired));
                        }
                    }
                    if *waiting && Instant::now() >= request.deadline {
                        let _ = request.reply.send(Err(Open::TimedOut));
                        *waiting = false;
                    }
                    return Ok(moved);
                }
                Err(e) => {
                    let (request, _, _) = self.opening.take().expect("set above");
                    if connection_error(&self.session) {
                        let why = format!("jump host `{}`: {}", self.name, e.message());
                        let _ = request.reply.send(Err(Open::Retired));
                        return Err(why);
                    }
                    let _ = request.reply.send(Err(Open::Failed(e.message().to_string())));
                    moved = true;
                }
            }
        }
    }

    fn start_tunnel(&mut self, channel: Channel, request: Request, waiting: bool) {
        let id = self.next_id;
        self.next_id += 1;
        let tunnel = |local: UnixStream| Tunnel {
            id,
            channel,
            local,
            up: Vec::new(),
            up_sent: 0,
            down: Vec::new(),
            down_sent: 0,
            local_eof: false,
            eof_sent: false,
            remote_eof: false,
            local_shut: false,
        };
        let pair = UnixStream::pair();
        match pair {
            Ok((ours, theirs)) if waiting => {
                let _ = ours.set_nonblocking(true);
                if request.reply.send(Ok(theirs)).is_ok() {
                    self.tunnels.push(tunnel(ours));
                } else {
                    self.closing.push((tunnel(ours), Instant::now()));
                }
            }
            Ok((ours, _)) => self.closing.push((tunnel(ours), Instant::now())),
            Err(e) => {
                let _ = request.reply.send(Err(Open::Failed(e.to_string())));
                let (ours, _) = match UnixStream::pair() {
                    Ok(pair) => pair,
                    Err(_) => return,
                };
                self.closing.push((tunnel(ours), Instant::now()));
            }
        }
    }

    /// Moves data on every tunnel. Err: the connection failed.
    fn pump_all(&mut self, buf: &mut [u8]) -> std::result::Result<bool, ()> {
        let mut moved = false;
        let mut index = 0;
        while index < self.tunnels.len() {
            let step = {
                let tunnel = &mut self.tunnels[index];
                pump(tunnel, buf, &self.session, &mut self.sender, &self.link)
            };
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
                Step::Lost => return Err(()),
            }
        }
        Ok(moved)
    }

    /// Closes channels kuroko is done with: a half-sent write is finished first, then
    /// the CLOSE is sent and its answer awaited, so that libssh2 can free the channel.
    fn finish_closing(&mut self) {
        let mut index = 0;
        while index < self.closing.len() {
            let (tunnel, since) = &mut self.closing[index];
            let mut done = since.elapsed() > LINGER;
            if self.sender == Some(tunnel.id) {
                match tunnel.channel.write(&tunnel.up[tunnel.up_sent..]) {
                    Ok(n) => {
                        tunnel.up_sent += n;
                        self.sender = None;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => self.sender = None,
                }
            } else if self.sender.is_none() && link_writable(&self.link) {
                match tunnel.channel.close() {
                    Ok(()) => done = true,
                    Err(e) if would_block(&e) => {}
                    Err(_) => done = true,
                }
            }
            if done {
                if self.sender == Some(tunnel.id) {
                    self.sender = None;
                }
                self.closing.swap_remove(index);
            } else {
                index += 1;
            }
        }
    }

    /// Waits until a socket can move data, a request comes, or a short time passes.
    fn wait(&mut self) {
        // The link is read only when something will take what libssh2 reads: otherwise a
        // reader slower than the network would leave it readable and this loop spinning.
        let reads = self.opening.is_some()
            || !self.closing.is_empty()
            || self
                .tunnels
                .iter()
                .any(|t| (t.down_sent == t.down.len() && !t.remote_eof) || t.up_sent < t.up.len());
        let mut link_flags = rdhup();
        if reads {
            link_flags |= PollFlags::POLLIN;
        }
        if self.sender.is_some()
            || matches!(
                self.session.block_directions(),
                BlockDirections::Outbound | BlockDirections::Both
            )
        {
            link_flags |= PollFlags::POLLOUT;
        }
        self.link.quickack();
        let mut fds = vec![
            PollFd::new(self.link.fd(), link_flags),
            PollFd::new(self.woken.as_fd(), PollFlags::POLLIN),
        ];
        for tunnel in &self.tunnels {
            let mut flags = PollFlags::empty();
            if tunnel.up_sent == tunnel.up.len() && !tunnel.local_eof {
                flags |= PollFlags::POLLIN;
            }
            if tunnel.down_sent < tunnel.down.len() {
                flags |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(tunnel.local.as_fd(), flags));
        }
        // libssh2 may hold data it read for one channel while serving another, which no
        // socket shows: with channels open, look again soon.
        let busy = !self.tunnels.is_empty() || self.opening.is_some() || !self.closing.is_empty();
        let millis: u16 = if busy { 10 } else { 1000 };
        if poll(&mut fds, PollTimeout::from(millis)).is_err() {
            return;
        }
        let gone = fds[0].revents().is_some_and(|r| {
            r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL | rdhup())
        });
        self.peer_gone |= gone;
    }

    /// The connection is gone: every channel closes (its session sees the end), and
    /// waiting requests are told to try a fresh connection.
    fn fail(&mut self, _why: &str) {
        self.failed = true;
        self.retired.store(true, Ordering::SeqCst);
        self.tunnels.clear();
        self.closing.clear();
        self.sender = None;
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
}

impl Drop for Relay {
    fn drop(&mut self) {
        // However the thread ends (a panic included), new servers get a fresh connection.
        self.retired.store(true, Ordering::SeqCst);
    }
}

/// POLLRDHUP: the peer closed its end.
fn rdhup() -> PollFlags {
    PollFlags::from_bits_retain(nix::libc::POLLRDHUP)
}

/// Whether the socket has room to send now (a small packet then goes out whole).
fn link_writable(link: &Link) -> bool {
    let mut fds = [PollFd::new(link.fd(), PollFlags::POLLOUT)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLOUT))
}

/// Moves what can move now on one tunnel, both ways, without blocking.
fn pump(
    tunnel: &mut Tunnel,
    buf: &mut [u8],
    session: &Session,
    sender: &mut Option<u64>,
    link: &Link,
) -> Step {
    let mut moved = false;
    let lost_or_done = |session: &Session| {
        if connection_error(session) { Step::Lost } else { Step::Done }
    };
    // kuroko → server
    if tunnel.up_sent == tunnel.up.len() && !tunnel.local_eof {
        match tunnel.local.read(buf) {
            Ok(0) => {
                tunnel.local_eof = true;
                moved = true;
            }
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
    let may_send = sender.is_none_or(|id| id == tunnel.id);
    if tunnel.up_sent < tunnel.up.len() && may_send {
        match tunnel.channel.write(&tunnel.up[tunnel.up_sent..]) {
            Ok(n) => {
                tunnel.up_sent += n;
                moved |= n > 0;
                *sender = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                // Half sent: only this buffer may finish the packet.
                if matches!(
                    session.block_directions(),
                    BlockDirections::Outbound | BlockDirections::Both
                ) {
                    *sender = Some(tunnel.id);
                }
            }
            Err(_) => return lost_or_done(session),
        }
    }
    if tunnel.local_eof
        && tunnel.up_sent == tunnel.up.len()
        && !tunnel.eof_sent
        && sender.is_none()
        && link_writable(link)
    {
        match tunnel.channel.send_eof() {
            Ok(()) => {
                tunnel.eof_sent = true;
                moved = true;
            }
            Err(e) if would_block(&e) => {}
            Err(_) => return lost_or_done(session),
        }
    }
    // server → kuroko
    if tunnel.down_sent == tunnel.down.len() && !tunnel.remote_eof {
        match tunnel.channel.read(buf) {
            Ok(0) => {
                if tunnel.channel.eof() {
                    tunnel.remote_eof = true;
                    moved = true;
                }
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
    if tunnel.eof_sent && tunnel.local_shut {
        return Step::Done;
    }
    Step::Moved(moved)
}
