//! Where events come from: the module's `ioam6_export` group in production, many events a
//! `BATCH` message, each datagram handed to the loop as read and its events decoded there
//! in place (`ioamctl`'s byte-level batch decoder, which agrees with the neli decoder
//! `ioamctl monitor --export` uses); in tests, a channel of items, or of `BATCH` messages'
//! attributes decoded as the module's are.

use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use ioam_uapi::{event, EXPORT_GROUP_NAME};
use ioamctl::batch::{decode_batch, for_each_batch_event};
use ioamctl::netlink::{genl_messages, Attributes, Client, NetlinkError};
use ioamctl::trace::TraceEvent;

/// What a source yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceItem {
    Event(TraceEvent),
    /// The socket's receive buffer overran (`ENOBUFS`): one or more batches were dropped
    /// by the kernel, which does not tell this socket how many (its `export_failed`
    /// counter does).
    Overrun,
    /// Events of a batch that could not be read (malformed nests), each one lost.
    Malformed(u64),
}

/// The items of one `BATCH` message: its events in order, then its malformed nests if any.
pub fn batch_items(attrs: &Attributes) -> Vec<SourceItem> {
    let batch = decode_batch(attrs);
    let mut items: Vec<SourceItem> = batch.events.into_iter().map(SourceItem::Event).collect();
    if batch.malformed > 0 {
        items.push(SourceItem::Malformed(
            u64::try_from(batch.malformed).unwrap_or(u64::MAX),
        ));
    }
    items
}

/// Why a source stopped.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Subscribe(NetlinkError),
    #[error("netlink: cannot read events: {0}")]
    Receive(std::io::Error),
}

/// An item of a source, borrowed: an event read in place from a [`Datagram`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemRef<'a> {
    Event(&'a TraceEvent),
    Malformed(u64),
}

/// A datagram of the export group as read, handed to the loop whole: its events are
/// decoded there, in place ([`Datagram::for_each_item`]), with no copy of each.
#[derive(Debug)]
pub struct Datagram {
    pub bytes: Vec<u8>,
    /// The family whose `BATCH` messages carry the events.
    pub family_id: u16,
}

impl Datagram {
    /// The items of the datagram's `BATCH` messages, in order (of each message its events,
    /// then its malformed nests if any), each event decoded into `event` in turn. As
    /// [`Client::receive`] does, nothing after a message that is not well-formed.
    pub fn for_each_item(&self, event: &mut TraceEvent, mut each: impl FnMut(ItemRef<'_>)) {
        for message in genl_messages(&self.bytes) {
            if message.nl_type != self.family_id || message.cmd != event::BATCH {
                continue;
            }
            match for_each_batch_event(message.attrs, event, |e| each(ItemRef::Event(e))) {
                Ok(0) => {}
                Ok(malformed) => each(ItemRef::Malformed(
                    u64::try_from(malformed).unwrap_or(u64::MAX),
                )),
                Err(_) => return,
            }
        }
    }
}

/// What one read of a source gave.
#[derive(Debug)]
pub enum Received {
    Items(Vec<SourceItem>),
    Datagram(Datagram),
}

/// A blocking supply of events.
pub trait EventSource: Send {
    /// Waits for the next items; `None` when the source has ended (test sources).
    fn receive(&mut self) -> Option<Result<Received, SourceError>>;
}

/// A channel of items: the test source.
impl EventSource for Receiver<SourceItem> {
    fn receive(&mut self) -> Option<Result<Received, SourceError>> {
        self.recv().ok().map(|item| Ok(Received::Items(vec![item])))
    }
}

/// A channel of the attributes of `BATCH` messages, decoded as [`NetlinkSource`] decodes
/// the module's: the test source of the batch path.
pub struct BatchChannel(pub Receiver<Attributes>);

impl EventSource for BatchChannel {
    fn receive(&mut self) -> Option<Result<Received, SourceError>> {
        self.0
            .recv()
            .ok()
            .map(|attrs| Ok(Received::Items(batch_items(&attrs))))
    }
}

/// The module's trace events, batched for exporters.
pub struct NetlinkSource {
    client: Client,
}

impl NetlinkSource {
    /// Joins the export group of `family` with a receive buffer of `receive_buffer`
    /// bytes; returns the source and the buffer size the kernel granted.
    pub fn subscribe(
        family: &std::ffi::CStr,
        receive_buffer: usize,
    ) -> Result<(NetlinkSource, usize), SourceError> {
        let mut client = Client::connect(family).map_err(SourceError::Subscribe)?;
        client
            .join_group(EXPORT_GROUP_NAME, receive_buffer)
            .map_err(SourceError::Subscribe)?;
        // After joining: join_group sets only SO_RCVBUF, capped at net.core.rmem_max.
        let granted = client.set_receive_buffer(receive_buffer).map_err(|error| {
            SourceError::Subscribe(NetlinkError::Transport(format!(
                "cannot set the receive buffer: {error}"
            )))
        })?;
        Ok((NetlinkSource { client }, granted))
    }
}

/// The most a read takes: the longest message of the export group (neli's receive buffer is
/// as long).
pub const DATAGRAM_BUFFER: usize = ioam_uapi::EXPORT_MESSAGE_MAX;

impl NetlinkSource {
    /// One read: waits for the next datagram.
    fn read(&self) -> Result<Received, SourceError> {
        // A buffer a read: the loop owns it with the events it holds.
        let mut bytes = Vec::with_capacity(DATAGRAM_BUFFER);
        match self.client.receive_datagram(&mut bytes) {
            Ok(()) => Ok(Received::Datagram(Datagram {
                bytes,
                family_id: self.client.family_id(),
            })),
            Err(error) => match error.raw_os_error() {
                Some(libc::EINTR | libc::EAGAIN) => Ok(Received::Items(Vec::new())),
                Some(libc::ENOBUFS) => Ok(Received::Items(vec![SourceItem::Overrun])),
                _ => Err(SourceError::Receive(error)),
            },
        }
    }
}

impl EventSource for NetlinkSource {
    fn receive(&mut self) -> Option<Result<Received, SourceError>> {
        Some(self.read())
    }
}

/// The loop reads the socket itself: it waits for it to be readable (`ppoll(2)`, with the
/// loop's timeout), then reads one datagram.
impl crate::daemon::Inputs for NetlinkSource {
    fn wait(&self, timeout: Duration) -> Option<Input> {
        match self.client.wait_readable(timeout) {
            Ok(false) => None,
            Ok(true) => Some(match self.read() {
                Ok(Received::Items(items)) => Input::Items(items),
                Ok(Received::Datagram(datagram)) => Input::Datagram(datagram),
                Err(error) => Input::Failed(error),
            }),
            // A signal: the loop looks at its stop flag.
            Err(error) if error.raw_os_error() == Some(libc::EINTR) => None,
            Err(error) => Some(Input::Failed(SourceError::Receive(error))),
        }
    }

    fn pending(&self) -> Option<Input> {
        None
    }
}

/// What the reading thread hands the exporter loop.
#[derive(Debug)]
pub enum Input {
    /// The items of one read, handed over together: one channel operation and at most one
    /// wake-up per read, not per event.
    Items(Vec<SourceItem>),
    /// One read of the module's export group (a netlink datagram: up to a few hundred
    /// events), as read.
    Datagram(Datagram),
    Failed(SourceError),
    Ended,
}

/// Reads `source` on its own thread into `sender`, so that the exporter loop can wait with
/// a timeout (a blocking source cannot). The channel is bounded: an exporter that falls
/// behind stops the reader. (The daemon's netlink source needs no thread: the loop waits
/// for its socket itself, see [`crate::daemon::Inputs`].)
pub fn spawn_reader(
    mut source: impl EventSource + 'static,
    sender: SyncSender<Input>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ioam-events".into())
        .spawn(move || loop {
            let input = match source.receive() {
                Some(Ok(Received::Items(items))) if items.is_empty() => continue,
                Some(Ok(received)) => {
                    let input = match received {
                        Received::Items(items) => Input::Items(items),
                        Received::Datagram(datagram) => Input::Datagram(datagram),
                    };
                    if sender.send(input).is_err() {
                        return;
                    }
                    continue;
                }
                Some(Err(error)) => Input::Failed(error),
                None => Input::Ended,
            };
            let _ = sender.send(input);
            return;
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ioam_uapi::event::attr;
    use ioamctl::netlink::parse_attributes;

    fn put(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
        out.extend(u16::try_from(4 + payload.len()).unwrap().to_ne_bytes());
        out.extend(kind.to_ne_bytes());
        out.extend(payload);
        out.resize(out.len().next_multiple_of(4), 0);
    }

    fn message(out: &mut Vec<u8>, family: u16, cmd: u8, attrs: &[u8]) {
        out.extend(u32::try_from(20 + attrs.len()).unwrap().to_ne_bytes());
        out.extend(family.to_ne_bytes());
        out.extend([0; 10]);
        out.extend([cmd, 1, 0, 0]);
        out.extend(attrs);
    }

    /// The items of a datagram read in place are those of its `BATCH` messages as neli
    /// parses them.
    #[test]
    fn datagram_items_in_place() {
        let mut nest = Vec::new();
        put(&mut nest, attr::TRACE_NAMESPACE, &7u16.to_ne_bytes());
        put(&mut nest, attr::TRACE_TYPE, &0x8000_0000u32.to_ne_bytes());
        put(&mut nest, attr::TRACE_DATA, &[64, 0, 0, 1]);
        let mut attrs = Vec::new();
        put(&mut attrs, u16::from(event::TRACE) | 0x8000, &nest);
        put(&mut attrs, u16::from(event::DEX) | 0x8000, &[8, 0, 1, 0]);
        put(&mut attrs, u16::from(event::DEX) | 0x8000, &nest);
        let mut datagram = Vec::new();
        message(&mut datagram, 30, event::BATCH, &attrs);
        message(&mut datagram, 31, event::BATCH, &attrs);
        message(&mut datagram, 30, event::TRACE, &attrs);
        message(&mut datagram, 30, event::BATCH, &attrs[..attrs.len() - 4]);
        message(&mut datagram, 30, event::BATCH, &attrs);
        let datagram = Datagram {
            bytes: datagram,
            family_id: 30,
        };
        let mut items = Vec::new();
        datagram.for_each_item(&mut TraceEvent::default(), |item| {
            items.push(match item {
                ItemRef::Event(event) => SourceItem::Event(event.clone()),
                ItemRef::Malformed(n) => SourceItem::Malformed(n),
            });
        });
        // The first message only: the fourth's attributes are cut, nothing from there on.
        let expected = batch_items(&parse_attributes(&attrs).unwrap());
        assert_eq!(expected.len(), 3, "{expected:?}");
        assert_eq!(items, expected);
    }
}
