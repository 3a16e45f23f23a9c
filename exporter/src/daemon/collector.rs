//! The collector: its address (`udp://HOST:PORT`, `tcp://HOST:PORT`) and the transports
//! that carry messages to it. UDP sends are never fatal; TCP connects when due, without
//! blocking the loop, and after a write error drops the connection and reconnects with
//! exponential backoff.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

/// IANA's port for IPFIX (RFC 7011 §10.3.2 / §10.2.3).
pub const IPFIX_PORT: u16 = 4739;

/// Reconnect delays: the first retry after this, doubling up to the maximum.
pub const BACKOFF_INITIAL: Duration = Duration::from_millis(100);
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Udp,
    Tcp,
}

/// A collector's URL, as given (a host name is resolved when used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorAddress {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
}

impl fmt::Display for CollectorAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Udp => "udp",
            Scheme::Tcp => "tcp",
        };
        if self.host.contains(':') {
            write!(formatter, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(formatter, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for CollectorAddress {
    type Err = String;

    /// `udp://HOST[:PORT]` or `tcp://HOST[:PORT]`; an IPv6 literal in brackets (or bare,
    /// without a port); port 4739 when none is given.
    fn from_str(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("'{url}' is not udp://HOST:PORT or tcp://HOST:PORT"))?;
        let scheme = match scheme {
            "udp" => Scheme::Udp,
            "tcp" => Scheme::Tcp,
            other => return Err(format!("scheme '{other}' in '{url}': udp or tcp expected")),
        };
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("'{url}': no ']' after the IPv6 address"))?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(format!("'{url}': '{host}' is not an IPv6 address"));
            }
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("'{url}': ':PORT' expected after ']'")),
                },
            }
        } else if rest.parse::<Ipv6Addr>().is_ok() {
            (rest, None)
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        };
        if !valid_name(host) {
            return Err(format!("'{url}': '{host}' is not a host name or address"));
        }
        let port = match port {
            None => IPFIX_PORT,
            Some(text) => match text.parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(format!("'{url}': port '{text}' is not 1-65535")),
            },
        };
        Ok(CollectorAddress {
            scheme,
            host: host.to_owned(),
            port,
        })
    }
}

impl CollectorAddress {
    /// The addresses the host resolves to.
    pub fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        let found: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        if found.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} resolves to no address", self.host),
            ));
        }
        Ok(found)
    }
}

/// Whether messages can be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Up,
    /// Up, on a new transport session: numbering and templates start again.
    NewSession,
    Down,
}

/// What carries messages to the collector.
pub trait Transport {
    /// Connects if down and an attempt is due; says whether messages can be sent.
    fn poll_link(&mut self, now: Instant) -> Link;
    /// Sends one message. `ErrorKind::NotConnected` when there is no connection (the
    /// message was not attempted).
    fn send(&mut self, message: &[u8], now: Instant) -> io::Result<()>;
    /// Whether messages can be sent without connecting first.
    fn is_up(&self) -> bool;
    /// Whether the exporter may hold messages back and give them to
    /// [`Transport::send_all`] together: for a transport whose sends never change the
    /// link (UDP), so that waiting changes nothing but when they leave.
    fn defers_sends(&self) -> bool {
        false
    }
    /// Sends `messages` in order, as [`Transport::send`] each; `results` (cleared) gets
    /// the outcome of each.
    fn send_all(&mut self, messages: &[Vec<u8>], now: Instant, results: &mut Vec<io::Result<()>>) {
        results.clear();
        for message in messages {
            let result = self.send(message, now);
            results.push(result);
        }
    }
}

/// The most messages one `sendmmsg(2)` takes here.
const SENDMMSG_BATCH: usize = 32;

/// UDP: connected to the collector's address so that ICMP errors come back as send errors.
#[derive(Debug)]
pub struct UdpTransport {
    socket: UdpSocket,
    /// Only the first of a run of errors is logged at warning level.
    failing: bool,
}

impl UdpTransport {
    pub fn connect(address: &CollectorAddress) -> io::Result<UdpTransport> {
        let mut last_error = None;
        for target in address.resolve()? {
            let local: SocketAddr = if target.is_ipv6() {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
            };
            match UdpSocket::bind(local).and_then(|socket| {
                socket.connect(target)?;
                Ok(socket)
            }) {
                Ok(socket) => {
                    return Ok(UdpTransport {
                        socket,
                        failing: false,
                    })
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
    }
}

impl UdpTransport {
    /// Notes the outcome of one message (only the first of a run of errors is logged at
    /// warning level).
    fn outcome(&mut self, result: io::Result<()>) -> io::Result<()> {
        match &result {
            Ok(()) => self.failing = false,
            Err(error) => {
                if !self.failing {
                    log::warn!("collector: cannot send: {error} (counted; sending goes on)");
                }
                self.failing = true;
            }
        }
        result
    }

    /// `sendmmsg(2)` of `messages` (at most [`SENDMMSG_BATCH`]) from the first: how many
    /// were sent, or the error of the first.
    fn sendmmsg(&self, messages: &[Vec<u8>]) -> io::Result<usize> {
        use std::os::unix::io::AsRawFd;
        let count = messages.len().min(SENDMMSG_BATCH);
        // SAFETY: an all-zero iovec is valid: a null base of length zero.
        let mut iovecs: [libc::iovec; SENDMMSG_BATCH] = unsafe { std::mem::zeroed() };
        // SAFETY: an all-zero mmsghdr is valid: no name, no iovecs, no control data, no flags
        // (its padding, if any, may hold anything).
        let mut headers: [libc::mmsghdr; SENDMMSG_BATCH] = unsafe { std::mem::zeroed() };
        for ((iovec, header), message) in iovecs.iter_mut().zip(&mut headers).zip(messages) {
            iovec.iov_base = message.as_ptr().cast_mut().cast();
            iovec.iov_len = message.len();
            header.msg_hdr.msg_iov = iovec;
            header.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: the first `count` headers point to one iovec each, which points to a
        // message that outlives the call; the kernel only reads them (and writes
        // `msg_len`). The socket is connected: no address.
        let sent = unsafe {
            libc::sendmmsg(
                self.socket.as_raw_fd(),
                headers.as_mut_ptr(),
                libc::c_uint::try_from(count).unwrap_or(0),
                0,
            )
        };
        usize::try_from(sent).map_err(|_| io::Error::last_os_error())
    }
}

impl Transport for UdpTransport {
    fn poll_link(&mut self, _now: Instant) -> Link {
        Link::Up
    }

    fn is_up(&self) -> bool {
        true
    }

    fn send(&mut self, message: &[u8], _now: Instant) -> io::Result<()> {
        let result = self.socket.send(message).map(|_| ());
        self.outcome(result)
    }

    fn defers_sends(&self) -> bool {
        true
    }

    /// The messages by `sendmmsg(2)`: one system call for up to [`SENDMMSG_BATCH`] of
    /// them, with the outcome of each as `send(2)` of each in turn would give it. The
    /// kernel sends them in order and stops at the first that fails: with none sent it
    /// returns that one's error; with some sent, their number, and the error of the next
    /// one is lost (it is not sent: counted as failed here, with no cause to tell).
    fn send_all(&mut self, messages: &[Vec<u8>], _now: Instant, results: &mut Vec<io::Result<()>>) {
        results.clear();
        let mut rest = messages;
        while !rest.is_empty() {
            let batch = rest.len().min(SENDMMSG_BATCH);
            let (sent, failed) = match self.sendmmsg(rest) {
                Ok(sent) if sent >= batch => (batch, None),
                Ok(sent) => (
                    sent,
                    Some(io::Error::other(
                        "sendmmsg stopped at this message (the kernel does not say why)",
                    )),
                ),
                Err(error) => (0, Some(error)),
            };
            for _ in 0..sent {
                let ok = self.outcome(Ok(()));
                results.push(ok);
            }
            let mut done = sent;
            if let Some(error) = failed {
                let failed = self.outcome(Err(error));
                results.push(failed);
                done += 1;
            }
            rest = rest.get(done..).unwrap_or_default();
        }
    }
}

/// Exponential backoff between reconnect attempts.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: BACKOFF_INITIAL,
        }
    }
}

impl Backoff {
    /// The delay before the next attempt; the one after doubles, up to the maximum.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        delay
    }
}

/// TCP: one connection at a time; a lost one is dropped and made again. The socket never
/// blocks the exporter's loop: a connection is made without waiting for it (but a moment
/// right after the attempt starts, enough for a collector nearby), and what a slow collector
/// has not taken waits in a bounded buffer.
#[derive(Debug)]
pub struct TcpTransport {
    address: CollectorAddress,
    /// How a host name is looked up (a test gives a slow one).
    resolve: fn(&CollectorAddress) -> io::Result<Vec<SocketAddr>>,
    /// A host name's lookup under way on a thread of its own: it can take seconds.
    lookup: Option<mpsc::Receiver<io::Result<Vec<SocketAddr>>>>,
    state: TcpState,
    backoff: Backoff,
    retry_at: Option<Instant>,
    /// Failed attempts since the last connection (only the first is logged as an error).
    failures: u32,
}

#[derive(Debug)]
enum TcpState {
    Down,
    /// A non-blocking connect under way since `started`.
    Connecting {
        stream: TcpStream,
        started: Instant,
    },
    /// Connected; `pending` is what the socket did not take yet (the tail of a message at
    /// least: messages go whole or not at all), `progress` when it last took something or had
    /// nothing to take.
    Up {
        stream: TcpStream,
        pending: Vec<u8>,
        progress: Instant,
    },
}

impl TcpTransport {
    /// A transport that connects at its first [`Transport::poll_link`].
    pub fn new(address: CollectorAddress) -> TcpTransport {
        TcpTransport {
            address,
            resolve: CollectorAddress::resolve,
            lookup: None,
            state: TcpState::Down,
            backoff: Backoff::default(),
            retry_at: None,
            failures: 0,
        }
    }

    /// The collector's addresses: at once for an address, else from a lookup on a thread of
    /// its own, waited for [`CONNECT_WAIT`] at most (`None`: still under way).
    fn addresses(&mut self) -> Option<io::Result<Vec<SocketAddr>>> {
        if self.address.host.parse::<IpAddr>().is_ok() {
            return Some((self.resolve)(&self.address));
        }
        let lookup = self.lookup.get_or_insert_with(|| {
            let (sender, receiver) = mpsc::channel();
            let (address, resolve) = (self.address.clone(), self.resolve);
            let spawned = std::thread::Builder::new()
                .name("resolve".into())
                .spawn(move || {
                    // The receiver may be gone (the daemon stopping): nothing to tell.
                    let _ = sender.send(resolve(&address));
                });
            if let Err(error) = spawned {
                // Refused threads are rare: looked up here, then.
                log::debug!("no thread for the lookup ({error}): looked up in the loop");
                let (sender, receiver) = mpsc::channel();
                let _ = sender.send(resolve(&self.address));
                return receiver;
            }
            receiver
        });
        let found = match lookup.recv_timeout(CONNECT_WAIT) {
            Ok(found) => found,
            Err(mpsc::RecvTimeoutError::Timeout) => return None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the lookup ended without an answer"))
            }
        };
        self.lookup = None;
        Some(found)
    }

    /// Starts a non-blocking connection to the first of `targets` that takes one.
    fn start_connect(targets: Vec<SocketAddr>) -> io::Result<TcpStream> {
        let mut last_error = None;
        for target in targets {
            let socket = Socket::new(Domain::for_address(target), Type::STREAM, None)?;
            socket.set_nonblocking(true)?;
            match socket.connect(&target.into()) {
                Ok(()) => return Ok(socket.into()),
                Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {
                    return Ok(socket.into())
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound)))
    }

    /// Where an attempt stands: `None` while under way.
    fn connect_outcome(stream: &TcpStream) -> Option<io::Result<()>> {
        match stream.take_error() {
            Ok(Some(error)) | Err(error) => Some(Err(error)),
            Ok(None) => match stream.peer_addr() {
                // TCP's simultaneous open lets a connection to a port nothing listens on
                // take that very port as its own and connect to itself.
                Ok(peer) if stream.local_addr().is_ok_and(|local| local == peer) => {
                    Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        "connected to itself: nothing listens there",
                    )))
                }
                Ok(_) => Some(Ok(())),
                Err(error) if error.kind() == io::ErrorKind::NotConnected => None,
                Err(error) => Some(Err(error)),
            },
        }
    }

    /// Checks the attempt under way (if any) and moves on: connected, failed (backing off),
    /// or still under way.
    fn advance_connect(&mut self, now: Instant, wait: Duration) -> Link {
        let TcpState::Connecting { stream, started } = &self.state else {
            return Link::Down;
        };
        let started = *started;
        let outcome = match wait_writable(stream, wait) {
            Ok(_) => Self::connect_outcome(stream),
            Err(error) => Some(Err(error)),
        };
        match outcome {
            Some(Ok(())) => {
                log::info!("collector {}: connected", self.address);
                let TcpState::Connecting { stream, .. } =
                    std::mem::replace(&mut self.state, TcpState::Down)
                else {
                    return Link::Down;
                };
                self.state = TcpState::Up {
                    stream,
                    pending: Vec::new(),
                    progress: now,
                };
                self.backoff = Backoff::default();
                self.retry_at = None;
                self.failures = 0;
                Link::NewSession
            }
            Some(Err(error)) => self.failed(now, &error),
            None if now.saturating_duration_since(started) >= CONNECT_TIMEOUT => {
                let error = io::Error::new(io::ErrorKind::TimedOut, "no answer");
                self.failed(now, &error)
            }
            None => Link::Down,
        }
    }

    /// A failed attempt: logged (the first of a run as an error), retried after a backoff.
    fn failed(&mut self, now: Instant, error: &io::Error) -> Link {
        self.state = TcpState::Down;
        let delay = self.backoff.next_delay();
        if self.failures == 0 {
            log::error!(
                "collector {} unreachable: {error}; retrying (every {} ms, backing off to {} s)",
                self.address,
                BACKOFF_INITIAL.as_millis(),
                BACKOFF_MAX.as_secs()
            );
        } else {
            log::debug!("collector {}: still unreachable: {error}", self.address);
        }
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(now + delay);
        Link::Down
    }

    fn drop_connection(&mut self, now: Instant, why: &dyn fmt::Display) {
        log::warn!(
            "collector {}: connection lost: {why}; reconnecting",
            self.address
        );
        self.state = TcpState::Down;
        self.backoff = Backoff::default();
        // The collector may be back at once (a restart): try right away.
        self.retry_at = Some(now);
    }

    /// Gives the socket what waits, as much as it takes; an error, or a collector that has
    /// taken nothing for [`STALL_TIMEOUT`], ends the connection.
    fn drain(&mut self, now: Instant) -> io::Result<()> {
        let TcpState::Up {
            stream,
            pending,
            progress,
        } = &mut self.state
        else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        let result = write_some(stream, pending, progress, now).and_then(|()| {
            if !pending.is_empty() && now.saturating_duration_since(*progress) >= STALL_TIMEOUT {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the collector took nothing for {} s",
                        STALL_TIMEOUT.as_secs()
                    ),
                ))
            } else {
                Ok(())
            }
        });
        if let Err(error) = &result {
            self.drop_connection(now, error);
        }
        result
    }
}

/// How long a connection attempt may take (checked when the link is polled).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the loop waits for an attempt just started: a collector on the same network
/// answers within it, and a new session's first records are not lost to the wait.
const CONNECT_WAIT: Duration = Duration::from_millis(20);
/// A collector that takes nothing for this long while data waits is gone.
const STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The most octets that wait for a slow collector beyond the socket's own buffer: a
/// message that would exceed it is not sent (and counted lost).
pub const MAX_PENDING: usize = 4 << 20;

/// Writes as much of `bytes` as the non-blocking `stream` takes: how much that is, and the
/// error that stopped it, if any.
fn write_from(stream: &TcpStream, bytes: &[u8]) -> (usize, io::Result<()>) {
    let mut written = 0;
    loop {
        let Some(rest) = bytes.get(written..).filter(|rest| !rest.is_empty()) else {
            return (written, Ok(()));
        };
        match (&*stream).write(rest) {
            Ok(0) => return (written, Err(io::Error::from(io::ErrorKind::WriteZero))),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return (written, Ok(())),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return (written, Err(error)),
        }
    }
}

/// Writes as much of `pending` as `stream` takes, and drops it from the buffer; `progress`
/// becomes `now` when something went or nothing waits.
fn write_some(
    stream: &TcpStream,
    pending: &mut Vec<u8>,
    progress: &mut Instant,
    now: Instant,
) -> io::Result<()> {
    let (written, result) = write_from(stream, pending);
    if written > 0 || pending.is_empty() {
        *progress = now;
    }
    pending.drain(..written.min(pending.len()));
    result
}

/// Waits at most `timeout` for `stream` to be writable (a connection made or refused);
/// whether it is.
fn wait_writable(stream: &TcpStream, timeout: Duration) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // At most CONNECT_WAIT: fits a `c_int` of milliseconds.
    let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `poll` is one valid `pollfd` for the call, as its count says; `fd` is the
    // stream's open socket.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    match ready {
        -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => Ok(false),
        -1 => Err(io::Error::last_os_error()),
        ready => Ok(ready > 0),
    }
}

/// Whether the collector closed its end: collectors send nothing over IPFIX/TCP, so a
/// readable end of stream (or an error) means it is gone. Checked before each write, since
/// a write into a closed connection still succeeds once and its data is lost.
fn peer_closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match (&*stream).read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != io::ErrorKind::WouldBlock,
    }
}

impl Transport for TcpTransport {
    fn is_up(&self) -> bool {
        matches!(self.state, TcpState::Up { .. })
    }

    fn poll_link(&mut self, now: Instant) -> Link {
        match self.state {
            TcpState::Up { .. } => {
                return match self.drain(now) {
                    Ok(()) => Link::Up,
                    Err(_) => Link::Down,
                };
            }
            TcpState::Connecting { .. } => return self.advance_connect(now, Duration::ZERO),
            TcpState::Down => {}
        }
        if self.retry_at.is_some_and(|at| now < at) {
            return Link::Down;
        }
        let targets = match self.addresses() {
            None => return Link::Down,
            Some(Ok(targets)) => targets,
            Some(Err(error)) => return self.failed(now, &error),
        };
        match Self::start_connect(targets) {
            Ok(stream) => {
                self.state = TcpState::Connecting {
                    stream,
                    started: now,
                };
                self.advance_connect(now, CONNECT_WAIT)
            }
            Err(error) => self.failed(now, &error),
        }
    }

    fn send(&mut self, message: &[u8], now: Instant) -> io::Result<()> {
        let TcpState::Up {
            stream,
            pending,
            progress,
        } = &mut self.state
        else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        if peer_closed(stream) {
            let error = io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the collector closed the connection",
            );
            self.drop_connection(now, &error);
            return Err(error);
        }
        if pending.is_empty() {
            // The common case: the socket takes the whole message, with no copy.
            let (written, result) = write_from(stream, message);
            if let Err(error) = result {
                self.drop_connection(now, &error);
                return Err(error);
            }
            *progress = now;
            pending.extend_from_slice(message.get(written..).unwrap_or_default());
            return Ok(());
        }
        if pending.len().saturating_add(message.len()) > MAX_PENDING {
            // Room first, if the collector took some meanwhile.
            self.drain(now)?;
        }
        let TcpState::Up { pending, .. } = &mut self.state else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        if pending.len().saturating_add(message.len()) > MAX_PENDING {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("the collector is slow: {} octets wait", pending.len()),
            ));
        }
        pending.extend_from_slice(message);
        self.drain(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<(Scheme, String, u16), String> {
        url.parse::<CollectorAddress>()
            .map(|a| (a.scheme, a.host, a.port))
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse("udp://192.0.2.1:2055"),
            Ok((Scheme::Udp, "192.0.2.1".into(), 2055))
        );
        assert_eq!(
            parse("tcp://collector.example"),
            Ok((Scheme::Tcp, "collector.example".into(), 4739))
        );
        assert_eq!(
            parse("tcp://[2001:db8::1]:9995"),
            Ok((Scheme::Tcp, "2001:db8::1".into(), 9995))
        );
        assert_eq!(parse("udp://[::1]"), Ok((Scheme::Udp, "::1".into(), 4739)));
        assert_eq!(parse("udp://::1"), Ok((Scheme::Udp, "::1".into(), 4739)));
        assert_eq!(
            "tcp://[::1]:9"
                .parse::<CollectorAddress>()
                .map(|a| a.to_string()),
            Ok("tcp://[::1]:9".into())
        );
    }

    #[test]
    fn bad_urls() {
        for (url, says) in [
            ("http://x:1", "scheme 'http'"),
            ("192.0.2.1:4739", "is not udp://"),
            ("udp://:4739", "not a host"),
            ("udp://x:0", "port '0'"),
            ("udp://x:70000", "port '70000'"),
            ("udp://[::1", "no ']'"),
            ("udp://[zz]:1", "not an IPv6"),
            ("udp://a b:1", "not a host"),
        ] {
            let error = parse(url).err().unwrap_or_default();
            assert!(error.contains(says), "{url}: {error}");
        }
    }

    /// A transport to a collector on 127.0.0.1:`port`.
    fn tcp_to(port: u16) -> TcpTransport {
        TcpTransport::new(CollectorAddress {
            scheme: Scheme::Tcp,
            host: "127.0.0.1".into(),
            port,
        })
    }

    /// Polls the link twice at `start`: down both times, and back within `limit`.
    fn polls_down_within(transport: &mut TcpTransport, start: Instant, limit: Duration) {
        assert_eq!(transport.poll_link(start), Link::Down);
        assert_eq!(transport.poll_link(start), Link::Down);
        assert!(start.elapsed() < limit, "{:?}", start.elapsed());
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..8).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[test]
    fn tcp_reconnects_after_the_collector_closes() -> io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut transport = tcp_to(port);
        let now = Instant::now();
        assert_eq!(transport.poll_link(now), Link::NewSession);
        assert_eq!(transport.poll_link(now), Link::Up);
        let (mut accepted, _) = listener.accept()?;
        transport.send(b"abc", now)?;
        let mut got = [0u8; 3];
        accepted.read_exact(&mut got)?;
        assert_eq!(&got, b"abc");
        drop(accepted);
        // The close is seen before the next write.
        let deadline = Instant::now() + Duration::from_secs(5);
        while transport.send(b"x", now).is_ok() {
            assert!(Instant::now() < deadline, "the close is never seen");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            transport.send(b"x", now).map_err(|e| e.kind()),
            Err(io::ErrorKind::NotConnected)
        );
        assert_eq!(transport.poll_link(now), Link::NewSession);
        drop(listener);
        Ok(())
    }

    #[test]
    fn a_collector_that_never_answers_does_not_hold_the_loop() -> io::Result<()> {
        // A listener whose accept queue is full drops further SYNs: connecting hangs.
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        listener.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        listener.listen(0)?;
        let port = listener
            .local_addr()?
            .as_socket()
            .map_or(0, |address| address.port());
        let _queued = TcpStream::connect(("127.0.0.1", port))?;
        let mut transport = tcp_to(port);
        let start = Instant::now();
        polls_down_within(&mut transport, start, Duration::from_millis(500));
        assert!(matches!(transport.state, TcpState::Connecting { .. }));
        assert_eq!(transport.failures, 0, "under way, not failed");
        // Given up after the connect timeout, then retried after a backoff.
        assert_eq!(transport.poll_link(start + CONNECT_TIMEOUT), Link::Down);
        assert_eq!(transport.failures, 1);
        assert!(matches!(transport.state, TcpState::Down));
        Ok(())
    }

    #[test]
    fn a_slow_name_lookup_does_not_hold_the_loop() -> io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let mut transport = TcpTransport::new(CollectorAddress {
            scheme: Scheme::Tcp,
            host: "collector.example".into(),
            port: listener.local_addr()?.port(),
        });
        // A resolver that takes half a second to find 127.0.0.1.
        transport.resolve = |address| {
            std::thread::sleep(Duration::from_millis(500));
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], address.port))])
        };
        let start = Instant::now();
        polls_down_within(&mut transport, start, Duration::from_millis(300));
        assert_eq!(transport.failures, 0, "under way, not failed");
        let deadline = start + Duration::from_secs(10);
        loop {
            match transport.poll_link(Instant::now()) {
                Link::NewSession => break,
                link => assert!(Instant::now() < deadline, "{link:?}"),
            }
        }
        assert!(start.elapsed() >= Duration::from_millis(500));
        Ok(())
    }

    #[test]
    fn a_collector_that_stops_reading_costs_messages_not_time() -> io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let mut transport = tcp_to(port);
        let now = Instant::now();
        assert_eq!(transport.poll_link(now), Link::NewSession);
        // Accepted, never read.
        let (_accepted, _) = listener.accept()?;
        let message = vec![7u8; 65_000];
        let start = Instant::now();
        let (mut sent, mut refused) = (0usize, 0usize);
        for _ in 0..200 {
            match transport.send(&message, now) {
                Ok(()) => sent += 1,
                Err(error) => {
                    assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
                    refused += 1;
                }
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(refused > 0 && sent > 0, "{sent} sent, {refused} refused");
        let TcpState::Up { pending, .. } = &transport.state else {
            panic!("still connected");
        };
        assert!(pending.len() <= MAX_PENDING);
        // Nothing taken for the stall timeout: the connection goes.
        assert_eq!(transport.poll_link(now + STALL_TIMEOUT), Link::Down);
        assert!(!transport.is_up());
        Ok(())
    }

    #[test]
    fn tcp_unreachable_backs_off() -> io::Result<()> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut transport = tcp_to(port);
        let now = Instant::now();
        assert_eq!(transport.poll_link(now), Link::Down);
        // Not retried before the first delay.
        assert_eq!(
            transport.poll_link(now + Duration::from_millis(50)),
            Link::Down
        );
        assert_eq!(transport.failures, 1);
        assert_eq!(transport.poll_link(now + BACKOFF_INITIAL), Link::Down);
        assert_eq!(transport.failures, 2);
        Ok(())
    }

    #[test]
    fn udp_sends_many_in_order_with_the_outcome_of_each() -> io::Result<()> {
        let collector = UdpSocket::bind("127.0.0.1:0")?;
        collector.set_read_timeout(Some(Duration::from_secs(5)))?;
        let address = CollectorAddress {
            scheme: Scheme::Udp,
            host: "127.0.0.1".into(),
            port: collector.local_addr()?.port(),
        };
        let mut transport = UdpTransport::connect(&address)?;
        let messages: Vec<Vec<u8>> = (0..70u8).map(|n| vec![n; 1 + usize::from(n)]).collect();
        let mut results = Vec::new();
        transport.send_all(&messages, Instant::now(), &mut results);
        assert_eq!(results.len(), 70);
        assert!(results.iter().all(Result::is_ok));
        let mut buffer = [0u8; 128];
        for message in &messages {
            let len = collector.recv(&mut buffer)?;
            assert_eq!(&buffer[..len], message.as_slice());
        }

        // Nobody listens any more: the ICMP error of one message fails the next send, as
        // send(2) of each in turn gives it. Over loopback the error is back before the
        // next message: of three, the first fails with the error the probe left, the
        // second is sent, and its error fails the third (whose cause sendmmsg loses).
        drop(collector);
        transport.send_all(&messages[..1], Instant::now(), &mut results);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            transport.send_all(&messages[..3], Instant::now(), &mut results);
            assert_eq!(results.len(), 3);
            if let Some(Err(error)) = results.first() {
                assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
                let sent: Vec<bool> = results.iter().map(Result::is_ok).collect();
                assert_eq!(sent, [false, true, false], "{results:?}");
                break;
            }
            assert!(Instant::now() < deadline, "no error comes back");
        }
        Ok(())
    }
}
