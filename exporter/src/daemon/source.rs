//! Where events come from: the module's `ioam6_export` group in production, many events a
//! `BATCH` message (through `ioamctl`'s netlink client and batch decoder, as `ioamctl
//! monitor --export` reads them); in tests, a channel of items, or of `BATCH` messages'
//! attributes decoded as the module's are.

use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

use ioam_uapi::{event, EXPORT_GROUP_NAME};
use ioamctl::batch::decode_batch;
use ioamctl::netlink::{messages_in, Attributes, Client, NetlinkError};
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

/// The items of one datagram of the export group (its `BATCH` messages of family
/// `family_id`), as [`NetlinkSource`] reads them.
pub fn datagram_items(datagram: &[u8], family_id: u16) -> Vec<SourceItem> {
    messages_in(datagram, family_id, &[event::BATCH])
        .iter()
        .flat_map(|(_, attrs)| batch_items(attrs))
        .collect()
}

/// Why a source stopped.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Subscribe(NetlinkError),
    #[error("netlink: cannot read events: {0}")]
    Receive(std::io::Error),
}

/// A blocking supply of events.
pub trait EventSource: Send {
    /// Waits for the next items; `None` when the source has ended (test sources).
    fn receive(&mut self) -> Option<Result<Vec<SourceItem>, SourceError>>;
}

/// A channel of items: the test source.
impl EventSource for Receiver<SourceItem> {
    fn receive(&mut self) -> Option<Result<Vec<SourceItem>, SourceError>> {
        self.recv().ok().map(|item| Ok(vec![item]))
    }
}

/// A channel of the attributes of `BATCH` messages, decoded as [`NetlinkSource`] decodes
/// the module's: the test source of the batch path.
pub struct BatchChannel(pub Receiver<Attributes>);

impl EventSource for BatchChannel {
    fn receive(&mut self) -> Option<Result<Vec<SourceItem>, SourceError>> {
        self.0.recv().ok().map(|attrs| Ok(batch_items(&attrs)))
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

impl EventSource for NetlinkSource {
    fn receive(&mut self) -> Option<Result<Vec<SourceItem>, SourceError>> {
        let received = self.client.receive(&[event::BATCH]);
        Some(match received {
            Ok(batches) => Ok(batches
                .iter()
                .flat_map(|(_, attrs)| batch_items(attrs))
                .collect()),
            Err(error) => match error.raw_os_error() {
                Some(libc::EINTR | libc::EAGAIN) => Ok(Vec::new()),
                Some(libc::ENOBUFS) => Ok(vec![SourceItem::Overrun]),
                _ => Err(SourceError::Receive(error)),
            },
        })
    }
}

/// What the reading thread hands the exporter loop.
#[derive(Debug)]
pub enum Input {
    /// The items of one read (a netlink datagram: up to a few hundred events), handed over
    /// together: one channel operation and at most one wake-up per read, not per event.
    Items(Vec<SourceItem>),
    Failed(SourceError),
    Ended,
}

/// Reads `source` on its own thread into `sender`, so that the exporter loop can wait with
/// a timeout (the netlink read cannot). The channel is bounded: an exporter that falls
/// behind stops the reader, and the kernel then counts the overrun in the socket.
pub fn spawn_reader(
    mut source: impl EventSource + 'static,
    sender: SyncSender<Input>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ioam-events".into())
        .spawn(move || loop {
            let input = match source.receive() {
                Some(Ok(items)) if items.is_empty() => continue,
                Some(Ok(items)) => {
                    if sender.send(Input::Items(items)).is_err() {
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
