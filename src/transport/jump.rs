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
        let hop = ssh.via.last().expect("not empty");
        // A jump connection retired by a channel that never opened is left to finish its
        // work; the second try takes a fresh one.
        for _ in 0..2 {
            let jump = Jump::get(&ssh.via).map_err(|e| through(name, e))?;
            match jump.tunnel(&ssh.host, ssh.port, ssh.connect_timeout) {
                Ok(stream) => return Ok(Link::Tunnel { stream, _via: jump }),
                Err(Open::Retired) => continue,
                Err(Open::Failed(why)) => {
                    return Err(Error::unreachable(
                        name,
                        format!(
                            "jump host `{}` cannot reach {}:{}: {why} (is sshd running there? check `host`/`port`)",
                            jump.name, ssh.host, ssh.port
                        ),
                    ));
                }
            }
        }
        Err(Error::unreachable(
            name,
            format!(
                "jump host `{}` did not open a channel to {}:{} in time",
                hop.name, ssh.host, ssh.port
            ),
        ))
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
    Ok(stream)
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

/// Why a channel did not open.
pub enum Open {
    /// This jump connection takes no more channels: ask again for a fresh one.
    Retired,
    Failed(String),
}

struct Request {
    host: String,
    port: u16,
    asked: Instant,
    limit: Duration,
    reply: mpsc::Sender<Result<UnixStream, Open>>,
}

/// One logged-in connection to a jump host, shared by every server behind it.
pub struct Jump {
    pub name: String,
    requests: Mutex<mpsc::Sender<Request>>,
    wake: UnixStream,
    /// The connection broke, or a channel never opened: new servers get a fresh one.
    retired: Arc<AtomicBool>,
}

/// A remembered failure to reach a jump host: servers behind it fail at once instead of
/// each waiting for its connect timeout.
const FAILURE_MEMORY: Duration = Duration::from_secs(30);

enum Known {
    Live(Weak<Jump>),
    Failed(Instant, String, bool),
}

static JUMPS: LazyLock<Mutex<HashMap<String, Known>>> =
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
        let mut jumps = JUMPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        get_locked(&mut jumps, chain)
    }

    /// A socket that reaches `host:port` from the jump host.
    pub fn tunnel(
        &self,
        host: &str,
        port: u16,
        limit: Duration,
    ) -> std::result::Result<UnixStream, Open> {
        if self.retired.load(Ordering::SeqCst) {
            return Err(Open::Retired);
        }
        let (reply, answer) = mpsc::channel();
        let request = Request { host: host.to_string(), port, asked: Instant::now(), limit, reply };
        let sent = self.requests.lock().unwrap_or_else(|p| p.into_inner()).send(request);
        if sent.is_err() {
            return Err(Open::Retired);
        }
        let _ = (&self.wake).write(&[1]);
        match answer.recv_timeout(limit + Duration::from_secs(2)) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.retired.store(true, Ordering::SeqCst);
                Err(Open::Failed(format!("no channel opened within {}s", limit.as_secs())))
            }
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

fn get_locked(jumps: &mut HashMap<String, Known>, chain: &[Hop]) -> Result<Arc<Jump>> {
    let id = key(chain);
    let hop = chain.last().expect("a chain has a hop");
    match jumps.get(&id) {
        Some(Known::Live(weak)) => {
            if let Some(jump) = weak.upgrade()
                && !jump.retired.load(Ordering::SeqCst)
            {
                return Ok(jump);
            }
        }
        Some(Known::Failed(when, message, on_server)) if when.elapsed() < FAILURE_MEMORY => {
            let message = format!("{message} (tried {}s ago)", when.elapsed().as_secs());
            return Err(if *on_server {
                Error::on_server(&hop.name, message)
            } else {
                Error::unreachable(&hop.name, message)
            });
        }
        _ => {}
    }
    let made = connect(jumps, chain);
    match &made {
        Ok(jump) => {
            jumps.insert(id, Known::Live(Arc::downgrade(jump)));
        }
        Err(Error::OnServer { message, .. }) => {
            jumps.insert(id, Known::Failed(Instant::now(), message.clone(), true));
        }
        Err(Error::Unreachable { message, .. }) => {
            jumps.insert(id, Known::Failed(Instant::now(), message.clone(), false));
        }
        Err(_) => {}
    }
    made
}

/// Logs in to the last hop of `chain` and starts its relay thread.
fn connect(jumps: &mut HashMap<String, Known>, chain: &[Hop]) -> Result<Arc<Jump>> {
    let (hop, before) = chain.split_last().expect("a chain has a hop");
    let name = &hop.name;
    let link = if before.is_empty() {
        Link::Tcp(tcp(name, &hop.ssh)?)
    } else {
        let parent = get_locked(jumps, before)?;
        match parent.tunnel(&hop.ssh.host, hop.ssh.port, hop.ssh.connect_timeout) {
            Ok(stream) => Link::Tunnel { stream, _via: parent },
            Err(Open::Retired) => {
                return Err(Error::unreachable(
                    name,
                    format!("jump host `{}` went away while reaching it", parent.name),
                ));
            }
            Err(Open::Failed(why)) => {
                return Err(Error::unreachable(
                    name,
                    format!(
                        "jump host `{}` cannot reach {}:{}: {why}",
                        parent.name, hop.ssh.host, hop.ssh.port
                    ),
                ));
            }
        }
    };
    let session = super::ssh::login(name, &hop.ssh, &link)?;
    session.set_blocking(false);
    let (wake, woken) = UnixStream::pair().map_err(|e| Error::unreachable(name, e.to_string()))?;
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
        retired: retired.clone(),
        keepalive: hop.ssh.keepalive,
        closed: false,
    };
    std::thread::Builder::new()
        .name(format!("jump-{name}"))
        .spawn(move || relay.run())
        .map_err(|e| Error::unreachable(name, format!("cannot start its relay: {e}")))?;
    Ok(Arc::new(Jump { name: name.clone(), requests: Mutex::new(requests), wake, retired }))
}

const BUFFER: usize = 64 * 1024;
/// How long a channel whose server side stays open may linger after kuroko closed its end.
const LINGER: Duration = Duration::from_secs(5);

/// One channel and its socket end.
struct Tunnel {
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
    closing_since: Option<Instant>,
}

enum Step {
    Moved(bool),
    Done,
}

impl Tunnel {
    /// Moves what can move now, both ways, without blocking.
    fn pump(&mut self, buf: &mut [u8]) -> Step {
        let mut moved = false;
        // kuroko → server
        if self.up_sent == self.up.len() && !self.local_eof {
            match self.local.read(buf) {
                Ok(0) => {
                    self.local_eof = true;
                    moved = true;
                }
                Ok(n) => {
                    self.up.clear();
                    self.up.extend_from_slice(&buf[..n]);
                    self.up_sent = 0;
                    moved = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if self.up_sent < self.up.len() {
            match self.channel.write(&self.up[self.up_sent..]) {
                Ok(n) => {
                    self.up_sent += n;
                    moved |= n > 0;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => return Step::Done,
            }
        }
        if self.local_eof && self.up_sent == self.up.len() && !self.eof_sent {
            match self.channel.send_eof() {
                Ok(()) => {
                    self.eof_sent = true;
                    self.closing_since = Some(Instant::now());
                    moved = true;
                }
                Err(e) if would_block(&e) => {}
                Err(_) => return Step::Done,
            }
        }
        // server → kuroko
        if self.down_sent == self.down.len() && !self.remote_eof {
            match self.channel.read(buf) {
                Ok(0) if self.channel.eof() => {
                    self.remote_eof = true;
                    moved = true;
                }
                Ok(0) => {}
                Ok(n) => {
                    self.down.clear();
                    self.down.extend_from_slice(&buf[..n]);
                    self.down_sent = 0;
                    moved = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if self.channel.eof() {
                        self.remote_eof = true;
                        moved = true;
                    }
                }
                Err(_) => return Step::Done,
            }
        }
        if self.down_sent < self.down.len() {
            match self.local.write(&self.down[self.down_sent..]) {
                Ok(n) => {
                    self.down_sent += n;
                    moved |= n > 0;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                // kuroko's end is gone: nobody is left to read.
                Err(_) => return Step::Done,
            }
        }
        if self.remote_eof && self.down_sent == self.down.len() && !self.local_shut {
            let _ = self.local.shutdown(Shutdown::Write);
            self.local_shut = true;
            moved = true;
        }
        let lingered = self.closing_since.is_some_and(|since| since.elapsed() > LINGER);
        if (self.eof_sent && self.local_shut) || lingered {
            return Step::Done;
        }
        Step::Moved(moved)
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
    /// The request whose channel libssh2 is opening (one at a time per session).
    opening: Option<Request>,
    tunnels: Vec<Tunnel>,
    retired: Arc<AtomicBool>,
    keepalive: Duration,
    /// Every `Jump` handle is gone: no request can come any more.
    closed: bool,
}

impl Relay {
    fn run(mut self) {
        let mut buf = vec![0u8; BUFFER];
        let mut next_keepalive = Instant::now() + self.keepalive;
        loop {
            let mut moved = self.take_requests();
            moved |= self.open_channels();
            let mut index = 0;
            while index < self.tunnels.len() {
                match self.tunnels[index].pump(&mut buf) {
                    Step::Moved(m) => {
                        moved |= m;
                        index += 1;
                    }
                    Step::Done => {
                        let mut tunnel = self.tunnels.swap_remove(index);
                        let _ = tunnel.channel.close();
                        moved = true;
                    }
                }
            }
            if self.closed && self.tunnels.is_empty() && self.opening.is_none() {
                break;
            }
            if Instant::now() >= next_keepalive {
                if let Err(e) = self.session.keepalive_send()
                    && !would_block(&e)
                {
                    self.fail(&format!("the connection to jump host `{}` broke: {e}", self.name));
                    break;
                }
                next_keepalive = Instant::now() + self.keepalive;
            }
            if moved {
                continue;
            }
            if !self.wait() {
                self.fail(&format!("the connection to jump host `{}` closed", self.name));
                break;
            }
        }
        self.session.set_blocking(true);
        self.session.set_timeout(2000);
        let _ = self.session.disconnect(None, "kuroko is done", None);
    }

    fn take_requests(&mut self) -> bool {
        let mut byte = [0u8; 64];
        while matches!((&self.woken).read(&mut byte), Ok(n) if n > 0) {}
        let mut moved = false;
        loop {
            match self.incoming.try_recv() {
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

    fn open_channels(&mut self) -> bool {
        let mut moved = false;
        loop {
            if self.opening.is_none() {
                match self.queue.pop_front() {
                    Some(request) => self.opening = Some(request),
                    None => return moved,
                }
            }
            let request = self.opening.as_ref().expect("set above");
            match self.session.channel_direct_tcpip(&request.host, request.port, None) {
                Ok(channel) => {
                    let request = self.opening.take().expect("set above");
                    moved = true;
                    match UnixStream::pair() {
                        Ok((ours, theirs)) => {
                            let _ = ours.set_nonblocking(true);
                            if request.reply.send(Ok(theirs)).is_ok() {
                                self.tunnels.push(Tunnel {
                                    channel,
                                    local: ours,
                                    up: Vec::new(),
                                    up_sent: 0,
                                    down: Vec::new(),
                                    down_sent: 0,
                                    local_eof: false,
                                    eof_sent: false,
                                    remote_eof: false,
                                    local_shut: false,
                                    closing_since: None,
                                });
                            } else {
                                let mut channel = channel;
                                let _ = channel.close();
                            }
                        }
                        Err(e) => {
                            let _ = request.reply.send(Err(Open::Failed(e.to_string())));
                        }
                    }
                }
                Err(e) if would_block(&e) => {
                    // libssh2 opens one channel at a time: one that hangs (a server that
                    // never answers the jump host) would hold every later one up, so past
                    // its limit this connection retires and the rest go to a fresh one.
                    if request.asked.elapsed() > request.limit {
                        self.retired.store(true, Ordering::SeqCst);
                        for waiting in self.queue.drain(..) {
                            let _ = waiting.reply.send(Err(Open::Retired));
                        }
                        let _ = request.reply.send(Err(Open::Failed(format!(
                            "no channel opened within {}s",
                            request.limit.as_secs()
                        ))));
                    }
                    return moved;
                }
                Err(e) => {
                    let request = self.opening.take().expect("set above");
                    let _ = request.reply.send(Err(Open::Failed(e.message().to_string())));
                    moved = true;
                }
            }
        }
    }

    /// Waits until a socket can move data, a request comes, or a short time passes.
    /// False when the jump host's connection is gone.
    fn wait(&mut self) -> bool {
        let mut link_flags = PollFlags::POLLIN;
        if matches!(
            self.session.block_directions(),
            BlockDirections::Outbound | BlockDirections::Both
        ) {
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
        let millis: u16 = if self.tunnels.is_empty() && self.opening.is_none() { 500 } else { 10 };
        if poll(&mut fds, PollTimeout::from(millis)).is_err() {
            return true;
        }
        let hung = fds[0].revents().is_some_and(|r| {
            r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
                && !r.contains(PollFlags::POLLIN)
        });
        !hung
    }

    /// The connection is gone: every channel closes (its session sees the end), and
    /// waiting requests are told.
    fn fail(&mut self, why: &str) {
        self.retired.store(true, Ordering::SeqCst);
        self.tunnels.clear();
        if let Some(request) = self.opening.take() {
            let _ = request.reply.send(Err(Open::Failed(why.to_string())));
        }
        for request in self.queue.drain(..) {
            let _ = request.reply.send(Err(Open::Retired));
        }
        while let Ok(request) = self.incoming.try_recv() {
            let _ = request.reply.send(Err(Open::Retired));
        }
    }
}
