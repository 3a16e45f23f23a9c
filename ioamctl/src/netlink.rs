//! The generic netlink client: resolves the family, sends one request, collects replies
//! and events, all parsed by neli (its attribute types and handles, nested ones included).
//!
//! This uses neli's `NlSocketHandle` rather than its `NlRouter`: in neli 0.7.5 the router
//! rebuilds every error message it hands out and drops the extended ack attributes on the
//! way (`Nlmsgerr::to_typed`), so the kernel's message ("namespace 123 already exists")
//! would never reach the user. The socket handle returns messages as parsed, and a CLI
//! sending one request at a time needs none of the router's concurrency.

use std::ffi::CStr;
use std::fmt;
use std::io;

use ioam_uapi::{attr, cmd, stat, FAMILY_VERSION};
use neli::{
    consts::{
        genl::{CtrlAttr, CtrlAttrMcastGrp, CtrlCmd},
        nl::{GenlId, NlmF, NlmsgerrAttr},
        socket::NlFamily,
    },
    genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder, NoUserHeader},
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, GenlBuffer},
    utils::Groups,
    FromBytesWithInput,
};

use crate::args::Command;
use crate::format::{InterfaceInfo, NamespaceInfo, SchemaInfo, StatsInfo};

type GenlMessage = Genlmsghdr<u8, u16>;

/// The attributes of one message as neli parsed them (types with their flags masked off).
pub type Attributes = GenlBuffer<u16, Buffer>;

/// What went wrong talking to the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetlinkError {
    /// The generic netlink family is not registered: `ioam_rs.ko` is not loaded.
    FamilyNotFound,
    /// The kernel refused the request with `errno` and, maybe, an extended ack message.
    Kernel { errno: i32, message: Option<String> },
    /// The socket failed, or a reply did not have the expected form.
    Transport(String),
}

impl NetlinkError {
    /// The process exit status for this error (see the crate documentation).
    pub fn exit_code(&self) -> u8 {
        match self {
            NetlinkError::FamilyNotFound => crate::EXIT_USAGE,
            NetlinkError::Kernel { .. } | NetlinkError::Transport(_) => crate::EXIT_KERNEL,
        }
    }
}

/// `strerror(errno)`: std's text for an OS error, without its " (os error N)" suffix.
pub fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    let suffix = format!(" (os error {errno})");
    match text.strip_suffix(&suffix) {
        Some(description) => description.to_owned(),
        None => text,
    }
}

impl fmt::Display for NetlinkError {
    /// `ioamctl: ` is prepended by the caller.
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        match self {
            NetlinkError::FamilyNotFound => formatter.write_str(
                "the ioam_rs module is not loaded (run: modprobe ioam_rs, or insmod ioam_rs.ko)",
            ),
            NetlinkError::Kernel {
                errno,
                message: Some(message),
            } => write!(formatter, "{message}: {}", strerror(*errno)),
            NetlinkError::Kernel {
                errno,
                message: None,
            } => formatter.write_str(&strerror(*errno)),
            NetlinkError::Transport(detail) => write!(formatter, "netlink: {detail}"),
        }
    }
}

fn transport(context: &str, error: impl fmt::Display) -> NetlinkError {
    NetlinkError::Transport(format!("{context}: {error}"))
}

/// One request: a command of the family and its attributes in native byte order, as
/// `nla_put_u16` and friends write them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub cmd: u8,
    /// Type and payload of each attribute, in order.
    pub attrs: Vec<(u16, Vec<u8>)>,
    /// Dumps are sent with `NLM_F_DUMP` and answered by many messages; the others with
    /// `NLM_F_ACK` and answered by an ack.
    pub dump: bool,
}

/// The request that carries out `command`, attribute for attribute as `ip ioam` builds it;
/// `None` for `monitor`, which only listens, and for routes, which are rtnetlink's.
pub fn request_for(command: &Command) -> Option<Request> {
    let (cmd, attrs, dump) = match command {
        Command::Monitor { .. }
        | Command::AddRoute { .. }
        | Command::DelRoute { .. }
        | Command::ShowRoutes { .. } => return None,
        Command::ShowNamespaces => (cmd::DUMP_NAMESPACES, vec![], true),
        Command::ShowSchemas => (cmd::DUMP_SCHEMAS, vec![], true),
        Command::ShowStats => (cmd::DUMP_STATS, vec![], true),
        Command::ShowInterfaces => (cmd::DUMP_INTERFACES, vec![], true),
        Command::SetInterface { ifindex, enabled } => (
            cmd::SET_INTERFACE,
            vec![
                (attr::IFINDEX, ifindex.to_ne_bytes().to_vec()),
                (attr::IF_ENABLED, vec![u8::from(*enabled)]),
            ],
            false,
        ),
        Command::SetEventLimit { rate, burst } => (
            cmd::SET_EVENT_LIMIT,
            vec![
                (attr::EVENT_RATE, rate.to_ne_bytes().to_vec()),
                (attr::EVENT_BURST, burst.to_ne_bytes().to_vec()),
            ],
            false,
        ),
        Command::SetLoopbackLimit { rate, burst } => (
            cmd::SET_LOOPBACK_LIMIT,
            vec![
                (attr::LOOPBACK_RATE, rate.to_ne_bytes().to_vec()),
                (attr::LOOPBACK_BURST, burst.to_ne_bytes().to_vec()),
            ],
            false,
        ),
        Command::SetExportLimit { rate, burst } => (
            cmd::SET_EXPORT_LIMIT,
            vec![
                (attr::EXPORT_RATE, rate.to_ne_bytes().to_vec()),
                (attr::EXPORT_BURST, burst.to_ne_bytes().to_vec()),
            ],
            false,
        ),
        Command::AddNamespace {
            id,
            data,
            wide,
            tsformat,
        } => {
            let mut attrs = vec![(attr::NS_ID, id.to_ne_bytes().to_vec())];
            if let Some(data) = data {
                attrs.push((attr::NS_DATA, data.to_ne_bytes().to_vec()));
            }
            if let Some(wide) = wide {
                attrs.push((attr::NS_DATA_WIDE, wide.to_ne_bytes().to_vec()));
            }
            if let Some(format) = tsformat {
                attrs.push((attr::NS_TSFORMAT, vec![*format as u8]));
            }
            (cmd::ADD_NAMESPACE, attrs, false)
        }
        Command::DelNamespace { id } => (
            cmd::DEL_NAMESPACE,
            vec![(attr::NS_ID, id.to_ne_bytes().to_vec())],
            false,
        ),
        Command::SetNamespaceSchema { id, schema } => {
            let binding = match schema {
                Some(schema) => (attr::SC_ID, schema.to_ne_bytes().to_vec()),
                None => (attr::SC_NONE, vec![]),
            };
            (
                cmd::NS_SET_SCHEMA,
                vec![(attr::NS_ID, id.to_ne_bytes().to_vec()), binding],
                false,
            )
        }
        Command::AddSchema { id, data } => (
            cmd::ADD_SCHEMA,
            vec![
                (attr::SC_ID, id.to_ne_bytes().to_vec()),
                (attr::SC_DATA, data.clone()),
            ],
            false,
        ),
        Command::DelSchema { id } => (
            cmd::DEL_SCHEMA,
            vec![(attr::SC_ID, id.to_ne_bytes().to_vec())],
            false,
        ),
    };
    Some(Request { cmd, attrs, dump })
}

/// Multicast groups of a family: name (without its NUL) and id.
pub type MulticastGroups = Vec<(Vec<u8>, u32)>;

/// The multicast groups of a `CTRL_CMD_GETFAMILY` reply; groups without a name or id
/// are left out.
pub fn multicast_groups(attrs: &Attributes) -> MulticastGroups {
    let handle = attrs.get_attr_handle();
    let Ok(groups) = handle.get_nested_attributes::<u16>(CtrlAttr::McastGroups.into()) else {
        return Vec::new();
    };
    groups
        .iter()
        .filter_map(|group| {
            let group = group.get_attr_handle::<CtrlAttrMcastGrp>().ok()?;
            let name = group
                .get_attribute(CtrlAttrMcastGrp::Name)?
                .nla_payload()
                .as_ref();
            let end = name
                .iter()
                .position(|byte| *byte == 0)
                .unwrap_or(name.len());
            let id = group
                .get_attribute(CtrlAttrMcastGrp::Id)?
                .nla_payload()
                .as_ref();
            let id = <[u8; 4]>::try_from(id).ok()?;
            Some((name[..end].to_vec(), u32::from_ne_bytes(id)))
        })
        .collect()
}

/// Attributes laid out as `nla_put` writes them (a message's, or a nest's content), parsed
/// as neli parses a message: types without their `NLA_F_*` flags, payloads without padding.
pub fn parse_attributes(bytes: &[u8]) -> Result<Attributes, NetlinkError> {
    Attributes::from_bytes_with_input(&mut io::Cursor::new(bytes), bytes.len())
        .map_err(|error| transport("malformed attributes", error))
}

/// One attribute, borrowed from the bytes it was read from: its type without `NLA_F_*`
/// flags, and its payload without padding.
pub type AttributeSlice<'a> = (u16, &'a [u8]);

/// Reads attributes as [`parse_attributes`] does (the same ones, the same errors on the
/// same input) into `out`, cleared first, without copying their payloads: for a batch's
/// nests, one per event. On error `out` is left empty.
pub fn parse_attribute_slices<'a>(
    bytes: &'a [u8],
    out: &mut Vec<AttributeSlice<'a>>,
) -> Result<(), NetlinkError> {
    out.clear();
    for attribute in AttributeIter::new(bytes) {
        match attribute {
            Ok(attribute) => out.push(attribute),
            Err(error) => {
                out.clear();
                return Err(error);
            }
        }
    }
    Ok(())
}

/// The attributes of `bytes` one by one, as [`parse_attribute_slices`] reads them (the
/// same ones, the same error where they stop being well-formed, after which it ends):
/// for a caller that looks at each as it comes, with no list.
#[derive(Clone, Debug)]
pub struct AttributeIter<'a> {
    rest: &'a [u8],
}

impl<'a> AttributeIter<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        AttributeIter { rest: bytes }
    }
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Result<AttributeSlice<'a>, NetlinkError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        /// Header octets of an attribute: `nla_len` and `nla_type`.
        const HEADER: usize = 4;
        /// `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER`.
        const FLAGS: u16 = 3 << 14;
        let rest = self.rest;
        if rest.is_empty() {
            return None;
        }
        let header = rest
            .get(..HEADER)
            .and_then(|h| <[u8; HEADER]>::try_from(h).ok());
        let Some([len0, len1, type0, type1]) = header else {
            self.rest = &[];
            return Some(Err(NetlinkError::Transport(
                "malformed attributes: a truncated attribute header".into(),
            )));
        };
        let len = usize::from(u16::from_ne_bytes([len0, len1]));
        // Like neli: the length covers the header; the padding to 4 octets must be there,
        // after the last attribute too.
        let padded = len.div_ceil(4) * 4;
        let (Some(payload), Some(after)) = (rest.get(HEADER.min(len)..len), rest.get(padded..))
        else {
            self.rest = &[];
            return Some(Err(malformed_length(len, rest.len())));
        };
        if len < HEADER {
            self.rest = &[];
            return Some(Err(malformed_length(len, rest.len())));
        }
        self.rest = after;
        Some(Ok((u16::from_ne_bytes([type0, type1]) & !FLAGS, payload)))
    }
}

#[cold]
fn malformed_length(len: usize, remain: usize) -> NetlinkError {
    NetlinkError::Transport(format!(
        "malformed attributes: an attribute of {len} octets where {remain} remain"
    ))
}

/// Header octets of a netlink message (`struct nlmsghdr`).
const NLMSG_HDRLEN: usize = 16;
/// Header octets of a generic netlink message (`struct genlmsghdr`).
const GENL_HDRLEN: usize = 4;

/// One generic netlink message of a datagram, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenlSlice<'a> {
    /// `nlmsg_type`: the family's id for its messages.
    pub nl_type: u16,
    pub cmd: u8,
    /// The attributes, as laid out (see [`AttributeIter`]).
    pub attrs: &'a [u8],
}

/// The messages of a datagram of generic netlink messages, in order, without copying:
/// each message's header, the generic header, and the attribute bytes. Ends at the first
/// message whose length does not fit the datagram or whose payload is too short for a
/// generic header (where [`Client::receive`] stops too, for a message of the family).
pub fn genl_messages(datagram: &[u8]) -> impl Iterator<Item = GenlSlice<'_>> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        let header = rest.get(..NLMSG_HDRLEN)?;
        let len = usize::try_from(u32::from_ne_bytes(header.get(..4)?.try_into().ok()?)).ok()?;
        let nl_type = u16::from_ne_bytes(header.get(4..6)?.try_into().ok()?);
        if len < NLMSG_HDRLEN + GENL_HDRLEN {
            return None;
        }
        let message = rest.get(..len)?;
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
        Some(GenlSlice {
            nl_type,
            cmd: *message.get(NLMSG_HDRLEN)?,
            attrs: message.get(NLMSG_HDRLEN + GENL_HDRLEN..)?,
        })
    })
}

/// The payload of the first attribute of type `kind` among `attrs`, as [`find`] does.
pub(crate) fn find_slice<'a>(attrs: &[AttributeSlice<'a>], kind: u16) -> Option<&'a [u8]> {
    attrs
        .iter()
        .find(|(attr_kind, _)| *attr_kind == kind)
        .map(|(_, payload)| *payload)
}

/// The payload of the first attribute of type `kind`; like iproute2's `parse_rtattr`,
/// later duplicates are ignored.
pub(crate) fn find(attrs: &Attributes, kind: u16) -> Option<&[u8]> {
    attrs
        .iter()
        .find(|attr| *attr.nla_type().nla_type() == kind)
        .map(|attr| attr.nla_payload().as_ref())
}

/// A fixed-size attribute read as native-endian bytes.
fn fixed<const N: usize>(
    attrs: &Attributes,
    kind: u16,
    name: &str,
) -> Result<Option<[u8; N]>, NetlinkError> {
    find(attrs, kind)
        .map(|payload| {
            <[u8; N]>::try_from(payload).map_err(|_| {
                NetlinkError::Transport(format!(
                    "the kernel sent {name} of {} bytes, expected {N}",
                    payload.len()
                ))
            })
        })
        .transpose()
}

fn missing(name: &str, record: &str) -> NetlinkError {
    let article = if record.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    NetlinkError::Transport(format!("the kernel sent {article} {record} without {name}"))
}

/// One message of a namespace dump. Unknown attributes, such as the `PAD` that
/// `nla_put_u64_64bit` may put before `NS_DATA_WIDE`, are skipped.
pub fn decode_namespace(attrs: &Attributes) -> Result<NamespaceInfo, NetlinkError> {
    let id = fixed(attrs, attr::NS_ID, "NS_ID")?.ok_or_else(|| missing("NS_ID", "namespace"))?;
    Ok(NamespaceInfo {
        id: u16::from_ne_bytes(id),
        data: fixed(attrs, attr::NS_DATA, "NS_DATA")?.map(u32::from_ne_bytes),
        wide: fixed(attrs, attr::NS_DATA_WIDE, "NS_DATA_WIDE")?.map(u64::from_ne_bytes),
        schema: fixed(attrs, attr::SC_ID, "SC_ID")?.map(u32::from_ne_bytes),
        tsformat: fixed::<1>(attrs, attr::NS_TSFORMAT, "NS_TSFORMAT")?.map(|[v]| v),
    })
}

/// One message of a schema dump; unknown attributes are skipped.
pub fn decode_schema(attrs: &Attributes) -> Result<SchemaInfo, NetlinkError> {
    let id = fixed(attrs, attr::SC_ID, "SC_ID")?.ok_or_else(|| missing("SC_ID", "schema"))?;
    let data = find(attrs, attr::SC_DATA).ok_or_else(|| missing("SC_DATA", "schema"))?;
    Ok(SchemaInfo {
        id: u32::from_ne_bytes(id),
        data: data.to_vec(),
        namespace: fixed(attrs, attr::NS_ID, "NS_ID")?.map(u16::from_ne_bytes),
    })
}

/// The message of a `DUMP_STATS` reply: the counters nested in `STATS` (`PAD` skipped,
/// and counters of this version's numbers that are not 8 bytes refused; unknown ones
/// of another size skipped), `EVENT_RATE`, `EVENT_BURST`, `LOOPBACK_RATE`, `LOOPBACK_BURST`,
/// `EXPORT_RATE` and `EXPORT_BURST`.
pub fn decode_stats(attrs: &Attributes) -> Result<StatsInfo, NetlinkError> {
    let nested = attrs
        .iter()
        .find(|attr| *attr.nla_type().nla_type() == attr::STATS)
        .ok_or_else(|| missing("STATS", "statistics reply"))?
        .get_attr_handle::<u16>()
        .map_err(|error| transport("the kernel sent malformed STATS", error))?;
    let mut counters = Vec::new();
    for counter in nested.iter() {
        let kind = *counter.nla_type().nla_type();
        let payload = counter.nla_payload().as_ref();
        if kind == stat::PAD {
            continue;
        }
        match <[u8; 8]>::try_from(payload) {
            Ok(value) => counters.push((kind, u64::from_ne_bytes(value))),
            Err(_) if kind > stat::MAX => {}
            Err(_) => {
                return Err(NetlinkError::Transport(format!(
                    "the kernel sent counter {kind} of {} bytes, expected 8",
                    payload.len()
                )))
            }
        }
    }
    Ok(StatsInfo {
        counters,
        event_rate: fixed(attrs, attr::EVENT_RATE, "EVENT_RATE")?.map(u32::from_ne_bytes),
        event_burst: fixed(attrs, attr::EVENT_BURST, "EVENT_BURST")?.map(u32::from_ne_bytes),
        loopback_rate: fixed(attrs, attr::LOOPBACK_RATE, "LOOPBACK_RATE")?.map(u32::from_ne_bytes),
        loopback_burst: fixed(attrs, attr::LOOPBACK_BURST, "LOOPBACK_BURST")?
            .map(u32::from_ne_bytes),
        export_rate: fixed(attrs, attr::EXPORT_RATE, "EXPORT_RATE")?.map(u32::from_ne_bytes),
        export_burst: fixed(attrs, attr::EXPORT_BURST, "EXPORT_BURST")?.map(u32::from_ne_bytes),
    })
}

/// One message of a `DUMP_INTERFACES` reply: `IFINDEX`, and `IF_ENABLED` if sent.
pub fn decode_interface(attrs: &Attributes) -> Result<InterfaceInfo, NetlinkError> {
    let ifindex =
        fixed(attrs, attr::IFINDEX, "IFINDEX")?.ok_or_else(|| missing("IFINDEX", "interface"))?;
    Ok(InterfaceInfo {
        ifindex: u32::from_ne_bytes(ifindex),
        enabled: fixed::<1>(attrs, attr::IF_ENABLED, "IF_ENABLED")?.map(|[byte]| byte != 0),
    })
}

/// What a request brought back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The kernel acknowledged a change.
    Done,
    Namespaces(Vec<NamespaceInfo>),
    Schemas(Vec<SchemaInfo>),
    Stats(StatsInfo),
    Interfaces(Vec<InterfaceInfo>),
}

/// The payload messages of one request, and whether the kernel flagged the dump as
/// interrupted (`NLM_F_DUMP_INTR`: the table changed while it was being read).
struct Replies {
    messages: Vec<Attributes>,
    interrupted: bool,
}

/// A generic netlink socket bound to one family.
pub struct Client {
    socket: NlSocketHandle,
    family_id: u16,
    /// The family's multicast groups.
    groups: MulticastGroups,
    last_seq: u32,
}

impl Client {
    /// Opens a socket with extended acks on and resolves `family_name`.
    pub fn connect(family_name: &CStr) -> Result<Client, NetlinkError> {
        let socket = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(|error| transport("cannot open a generic netlink socket", error))?;
        socket
            .enable_ext_ack(true)
            .map_err(|error| transport("cannot enable extended acks", error))?;
        let mut client = Client {
            socket,
            family_id: GenlId::Ctrl.into(),
            groups: Vec::new(),
            last_seq: 0,
        };
        (client.family_id, client.groups) = client.resolve(family_name)?;
        Ok(client)
    }

    /// The family's id: the `nlmsg_type` of its messages.
    pub fn family_id(&self) -> u16 {
        self.family_id
    }

    /// Waits for the next datagram of the groups joined ([`Client::join_group`]) and
    /// returns the attributes of its messages of this family with command `cmd`. A failed
    /// receive comes back as the socket's `io::Error` (`EINTR`, `ENOBUFS`, ...).
    pub fn receive(&self, cmds: &[u8]) -> io::Result<Vec<(u8, Attributes)>> {
        let (datagram, _groups) =
            self.socket
                .recv::<u16, GenlMessage>()
                .map_err(|error| match error {
                    neli::err::SocketError::Io(error) => match error.raw_os_error() {
                        Some(errno) => io::Error::from_raw_os_error(errno),
                        None => io::Error::new(error.kind(), error.to_string()),
                    },
                    other => io::Error::other(other.to_string()),
                })?;
        Ok(messages_of(datagram, self.family_id, cmds))
    }

    /// Waits for the next datagram of the groups joined and reads it into `buffer` (its
    /// capacity is the most read; a longer datagram is cut, as [`Client::receive`] cuts
    /// one longer than its buffer): the bytes as the kernel sent them, for a reader that
    /// parses them in place ([`genl_messages`]). Errors as [`Client::receive`]'s.
    pub fn receive_datagram(&self, buffer: &mut Vec<u8>) -> io::Result<()> {
        use std::os::unix::io::AsRawFd;
        buffer.clear();
        let (fd, room, spare) = (
            self.socket.as_raw_fd(),
            buffer.capacity(),
            buffer.as_mut_ptr(),
        );
        // SAFETY: `spare` is the vector's allocation, `room` bytes long; the kernel writes at
        // most `room` bytes into it, of which the first `read` are then initialised.
        let read = unsafe { libc::recv(fd, spare.cast(), room, 0) };
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        // SAFETY: without MSG_TRUNC, `recv` returns at most `room`, the capacity; those bytes
        // it wrote, so the new length is within the capacity and initialised.
        unsafe { buffer.set_len(read.min(room)) };
        Ok(())
    }

    /// Waits at most `timeout` for a datagram to read (`ppoll(2)`): whether one came. A
    /// signal ends the wait with `EINTR`.
    pub fn wait_readable(&self, timeout: std::time::Duration) -> io::Result<bool> {
        use std::os::unix::io::AsRawFd;
        let mut poll = libc::pollfd {
            fd: self.socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // Below 10^9 nanoseconds: a `c_long` of any width holds them.
        #[allow(clippy::unnecessary_fallible_conversions)]
        let timeout = libc::timespec {
            tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::try_from(timeout.subsec_nanos()).unwrap_or(0),
        };
        // SAFETY: one valid pollfd, a valid timespec, no signal mask.
        let ready = unsafe { libc::ppoll(&mut poll, 1, &timeout, std::ptr::null()) };
        match ready {
            0 => Ok(false),
            ready if ready > 0 => Ok(true),
            _ => Err(io::Error::last_os_error()),
        }
    }

    /// Joins the family's multicast group `name`, with a receive buffer of
    /// `buffer_size` bytes (a hint) so that bursts of events are not lost.
    pub fn join_group(&mut self, name: &CStr, buffer_size: usize) -> Result<(), NetlinkError> {
        let readable = name.to_string_lossy();
        let id = self
            .groups
            .iter()
            .find(|(group, _)| group.as_slice() == name.to_bytes())
            .map(|(_, id)| *id)
            .ok_or_else(|| {
                NetlinkError::Transport(format!("the family has no multicast group {readable}"))
            })?;
        // Best effort: the default buffer still works, it only drops sooner.
        let _ = self.socket.set_recv_buffer_size(buffer_size);
        self.socket
            .add_mcast_membership(Groups::new_groups(&[id]))
            .map_err(|error| {
                let message = format!("cannot join the multicast group {readable}");
                match socket_errno(&error) {
                    Some(errno) => NetlinkError::Kernel {
                        errno,
                        message: Some(message),
                    },
                    None => transport(&message, error),
                }
            })
    }

    /// Sets the receive buffer to `size` bytes with `SO_RCVBUFFORCE`, which may exceed
    /// `net.core.rmem_max` but needs `CAP_NET_ADMIN`; without it, `SO_RCVBUF` (capped at
    /// `rmem_max`). Returns the size the kernel granted, as `SO_RCVBUF` reads it back (the
    /// kernel doubles the request for its bookkeeping). neli sets only `SO_RCVBUF`.
    pub fn set_receive_buffer(&self, size: usize) -> io::Result<usize> {
        use std::os::unix::io::AsRawFd;
        let fd = self.socket.as_raw_fd();
        let requested = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        let set = |option: libc::c_int| {
            // SAFETY: `fd` is this socket's; the value is a `c_int` of the given length.
            let status = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    option,
                    std::ptr::from_ref(&requested).cast(),
                    socklen_of::<libc::c_int>(),
                )
            };
            if status == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        };
        set(libc::SO_RCVBUFFORCE).or_else(|_| set(libc::SO_RCVBUF))?;
        let mut granted: libc::c_int = 0;
        let mut length = socklen_of::<libc::c_int>();
        // SAFETY: `granted` and `length` are valid for writing, `length` holds its size.
        let status = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                std::ptr::from_mut(&mut granted).cast(),
                &mut length,
            )
        };
        if status != 0 {
            return Err(io::Error::last_os_error());
        }
        usize::try_from(granted).map_err(io::Error::other)
    }

    /// `CTRL_CMD_GETFAMILY`; the controller answers `ENOENT` for an unknown name.
    fn resolve(&mut self, family_name: &CStr) -> Result<(u16, MulticastGroups), NetlinkError> {
        let request = Request {
            cmd: CtrlCmd::Getfamily.into(),
            attrs: vec![(
                CtrlAttr::FamilyName.into(),
                family_name.to_bytes_with_nul().to_vec(),
            )],
            dump: false,
        };
        let replies = match self.transact(GenlId::Ctrl.into(), 2, &request) {
            Err(NetlinkError::Kernel { errno, .. })
                if io::Error::from_raw_os_error(errno).kind() == io::ErrorKind::NotFound =>
            {
                return Err(NetlinkError::FamilyNotFound)
            }
            other => other?,
        };
        replies
            .messages
            .iter()
            .find_map(|attrs| {
                let id =
                    fixed::<2>(attrs, CtrlAttr::FamilyId.into(), "CTRL_ATTR_FAMILY_ID").ok()??;
                Some((u16::from_ne_bytes(id), multicast_groups(attrs)))
            })
            .ok_or(NetlinkError::FamilyNotFound)
    }

    /// Carries out `command`. A dump flagged as interrupted is still returned, after a
    /// warning on standard error, as `ip` does.
    pub fn execute(&mut self, command: &Command) -> Result<Reply, NetlinkError> {
        let request = request_for(command)
            .ok_or_else(|| NetlinkError::Transport("not a request of the family".to_owned()))?;
        let replies = self.transact(self.family_id, FAMILY_VERSION, &request)?;
        if replies.interrupted {
            eprintln!("ioamctl: the dump was interrupted and may be inconsistent");
        }
        match command {
            Command::ShowNamespaces => replies
                .messages
                .iter()
                .map(decode_namespace)
                .collect::<Result<_, _>>()
                .map(Reply::Namespaces),
            Command::ShowSchemas => replies
                .messages
                .iter()
                .map(decode_schema)
                .collect::<Result<_, _>>()
                .map(Reply::Schemas),
            Command::ShowStats => replies
                .messages
                .first()
                .ok_or_else(|| NetlinkError::Transport("the kernel sent no statistics".to_owned()))
                .and_then(decode_stats)
                .map(Reply::Stats),
            Command::ShowInterfaces => replies
                .messages
                .iter()
                .map(decode_interface)
                .collect::<Result<_, _>>()
                .map(Reply::Interfaces),
            _ => Ok(Reply::Done),
        }
    }

    /// Sends `request` to `family_id` and reads until its ack (or error), or for a dump
    /// until `NLMSG_DONE`, which may come many datagrams later.
    fn transact(
        &mut self,
        family_id: u16,
        version: u8,
        request: &Request,
    ) -> Result<Replies, NetlinkError> {
        let mut attrs = GenlBuffer::new();
        for (kind, payload) in &request.attrs {
            let attr_type = AttrTypeBuilder::default()
                .nla_type(*kind)
                .build()
                .map_err(|error| transport("cannot build the request", error))?;
            let attr = NlattrBuilder::default()
                .nla_type(attr_type)
                .nla_payload(Buffer::from(payload.as_slice()))
                .build()
                .map_err(|error| transport("cannot build the request", error))?;
            attrs.push(attr);
        }
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(request.cmd)
            .version(version)
            .attrs(attrs)
            .build()
            .map_err(|error| transport("cannot build the request", error))?;
        let flags = if request.dump {
            NlmF::REQUEST | NlmF::DUMP
        } else {
            NlmF::REQUEST | NlmF::ACK
        };
        self.last_seq = self.last_seq.wrapping_add(1);
        let seq = self.last_seq;
        let message = NlmsghdrBuilder::default()
            .nl_type(family_id)
            .nl_flags(flags)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .map_err(|error| transport("cannot build the request", error))?;
        self.socket
            .send(&message)
            .map_err(|error| transport("cannot send the request", error))?;

        let mut replies = Replies {
            messages: Vec::new(),
            interrupted: false,
        };
        loop {
            let (datagram, _groups) = self
                .socket
                .recv::<u16, GenlMessage>()
                .map_err(|error| transport("cannot read the reply", error))?;
            for message in datagram {
                let message =
                    message.map_err(|error| transport("cannot parse the reply", error))?;
                if *message.nl_seq() != seq {
                    // Not ours: a late answer to an earlier request.
                    continue;
                }
                if message.nl_flags().contains(NlmF::DUMP_INTR) {
                    replies.interrupted = true;
                }
                match message.nl_payload() {
                    NlPayload::Payload(payload) => {
                        if *message.nl_type() != family_id {
                            return Err(NetlinkError::Transport(format!(
                                "unexpected reply of type {}",
                                message.nl_type()
                            )));
                        }
                        replies.messages.push(payload.attrs().clone());
                    }
                    NlPayload::Err(error) => {
                        return Err(kernel_error(*error.error(), error.ext_ack()))
                    }
                    // NLMSG_DONE carries the dump's final status and its extended ack.
                    NlPayload::DumpExtAck(done) if *done.error() != 0 => {
                        return Err(kernel_error(*done.error(), done.ext_ack()))
                    }
                    NlPayload::Ack(_) | NlPayload::DumpExtAck(_) => return Ok(replies),
                    // An NLMSG_DONE without a status word.
                    NlPayload::Empty if request.dump => return Ok(replies),
                    NlPayload::Empty => {}
                }
            }
        }
    }
}

/// The attributes of the messages of `family_id` with command `cmd`; other messages, and
/// those neli cannot parse (the rest of their datagram with them), are skipped.
fn messages_of<E>(
    messages: impl IntoIterator<Item = Result<Nlmsghdr<u16, GenlMessage>, E>>,
    family_id: u16,
    cmds: &[u8],
) -> Vec<(u8, Attributes)> {
    messages
        .into_iter()
        .map_while(Result::ok)
        .filter(|message| *message.nl_type() == family_id)
        .filter_map(|message| match message.nl_payload() {
            NlPayload::Payload(genl) if cmds.contains(genl.cmd()) => {
                Some((*genl.cmd(), genl.attrs().clone()))
            }
            _ => None,
        })
        .collect()
}

/// The size of `T` as a socket option length.
fn socklen_of<T>() -> libc::socklen_t {
    libc::socklen_t::try_from(std::mem::size_of::<T>()).unwrap_or(libc::socklen_t::MAX)
}

/// The `errno` of a failed socket call, if it was one.
fn socket_errno(error: &neli::err::SocketError) -> Option<i32> {
    match error {
        neli::err::SocketError::Io(error) => error.raw_os_error(),
        _ => None,
    }
}

/// `error` is the negative errno of `struct nlmsgerr`; `NLMSGERR_ATTR_MSG` is a C string.
pub(crate) fn kernel_error(error: i32, ext_ack: &GenlBuffer<NlmsgerrAttr, Buffer>) -> NetlinkError {
    let message = ext_ack
        .iter()
        .find(|attr| *attr.nla_type().nla_type() == NlmsgerrAttr::Msg)
        .map(|attr| {
            let text = attr.nla_payload().as_ref();
            let end = text
                .iter()
                .position(|byte| *byte == 0)
                .unwrap_or(text.len());
            String::from_utf8_lossy(&text[..end]).trim().to_owned()
        })
        .filter(|text| !text.is_empty());
    NetlinkError::Kernel {
        errno: error.checked_neg().unwrap_or(error),
        message,
    }
}

/// Reply attributes for the tests of this crate, parsed by neli as replies are.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{parse_attributes, Attributes};
    use ioam_wire::nla;

    /// Attributes laid out by the module's own writer, as its events are (types may carry
    /// `NLA_F_*` flags): what this crate parses is what the module writes.
    pub fn attribute_bytes(attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let size = attrs
            .iter()
            .map(|(_, payload)| nla::attr_size(payload.len()).expect("small"))
            .sum();
        let mut bytes = vec![0xee; size];
        let mut writer = nla::Writer::new(&mut bytes);
        for (kind, payload) in attrs {
            writer.put(*kind, payload).expect("room for each");
        }
        assert_eq!(writer.len(), size);
        bytes
    }

    /// What neli makes of those attributes in a reply.
    pub fn attributes(attrs: Vec<(u16, Vec<u8>)>) -> Attributes {
        let borrowed: Vec<(u16, &[u8])> = attrs
            .iter()
            .map(|(kind, payload)| (*kind, payload.as_slice()))
            .collect();
        parse_attributes(&attribute_bytes(&borrowed)).expect("well-formed attributes")
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{attribute_bytes, attributes};
    use super::*;
    use ioam_uapi::{NS_DATA_UNAVAILABLE, SCHEMA_ID_MAX};

    fn request(command: Command) -> Request {
        request_for(&command).expect("a request")
    }

    #[test]
    fn module_requests() {
        assert_eq!(request_for(&Command::Monitor { export: true }), None);
        assert_eq!(
            request(Command::ShowStats),
            Request {
                cmd: cmd::DUMP_STATS,
                attrs: vec![],
                dump: true
            }
        );
        assert_eq!(
            request(Command::ShowInterfaces),
            Request {
                cmd: cmd::DUMP_INTERFACES,
                attrs: vec![],
                dump: true
            }
        );
        assert_eq!(
            request(Command::SetInterface {
                ifindex: 3,
                enabled: true
            }),
            Request {
                cmd: cmd::SET_INTERFACE,
                attrs: vec![
                    (attr::IFINDEX, 3u32.to_ne_bytes().to_vec()),
                    (attr::IF_ENABLED, vec![1]),
                ],
                dump: false
            }
        );
        assert_eq!(
            request(Command::SetInterface {
                ifindex: 3,
                enabled: false
            })
            .attrs[1],
            (attr::IF_ENABLED, vec![0])
        );
        assert_eq!(
            request(Command::SetEventLimit {
                rate: 100,
                burst: 20
            }),
            Request {
                cmd: cmd::SET_EVENT_LIMIT,
                attrs: vec![
                    (attr::EVENT_RATE, 100u32.to_ne_bytes().to_vec()),
                    (attr::EVENT_BURST, 20u32.to_ne_bytes().to_vec()),
                ],
                dump: false
            }
        );
        assert_eq!(
            request(Command::SetExportLimit {
                rate: 50_000,
                burst: 7
            }),
            Request {
                cmd: cmd::SET_EXPORT_LIMIT,
                attrs: vec![
                    (attr::EXPORT_RATE, 50_000u32.to_ne_bytes().to_vec()),
                    (attr::EXPORT_BURST, 7u32.to_ne_bytes().to_vec()),
                ],
                dump: false
            }
        );
    }

    #[test]
    fn attribute_types_lose_their_flags_and_keep_their_order() {
        let attrs = attributes(vec![
            (1, vec![7, 0]),
            (0x8000 | 2, vec![1, 2, 3, 4, 5]),
            (3, vec![]),
        ]);
        let kinds: Vec<u16> = attrs
            .iter()
            .map(|attr| *attr.nla_type().nla_type())
            .collect();
        assert_eq!(kinds, [1, 2, 3]);
        assert_eq!(find(&attrs, 2), Some(&[1u8, 2, 3, 4, 5][..]));
        assert_eq!(find(&attrs, 4), None);
    }

    #[test]
    fn attribute_slices_are_read_as_neli_reads_attributes() {
        let good = attribute_bytes(&[
            (1, &[7, 0]),
            (0x8000 | 2, &[1, 2, 3, 4, 5]),
            (0x4000 | 3, &[]),
            (4, &[9; 8]),
        ]);
        let mut inputs = vec![good.clone(), Vec::new()];
        // Every truncation (a missing header, payload or padding), and lengths below 4.
        inputs.extend((1..good.len()).map(|end| good[..end].to_vec()));
        for bad_length in [0u16, 3, 200] {
            let mut bytes = good.clone();
            bytes[..2].copy_from_slice(&bad_length.to_ne_bytes());
            inputs.push(bytes);
        }
        let mut slices = Vec::new();
        for bytes in &inputs {
            let by_neli = parse_attributes(bytes).ok().map(|attrs| {
                attrs
                    .iter()
                    .map(|attr| {
                        (
                            *attr.nla_type().nla_type(),
                            attr.nla_payload().as_ref().to_vec(),
                        )
                    })
                    .collect::<Vec<_>>()
            });
            let by_slices = parse_attribute_slices(bytes, &mut slices).ok().map(|()| {
                slices
                    .iter()
                    .map(|(kind, payload)| (*kind, payload.to_vec()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(by_slices, by_neli, "{bytes:?}");
        }
        parse_attribute_slices(&good, &mut slices).ok();
        assert_eq!(find_slice(&slices, 2), Some(&[1u8, 2, 3, 4, 5][..]));
        assert_eq!(find_slice(&slices, 5), None);
    }

    /// A generic netlink message of `family` with command `cmd`.
    fn message(family: u16, cmd: u8, attrs: Attributes) -> Nlmsghdr<u16, GenlMessage> {
        let genl = GenlmsghdrBuilder::<u8, u16, NoUserHeader>::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs)
            .build()
            .expect("generic netlink header");
        NlmsghdrBuilder::default()
            .nl_type(family)
            .nl_flags(NlmF::empty())
            .nl_payload(NlPayload::Payload(genl))
            .build()
            .expect("netlink header")
    }

    #[test]
    fn messages_of_the_family_and_command() {
        const FAMILY: u16 = 0x22;
        const TRACE: u8 = 1;
        const DEX: u8 = 2;
        let attrs = |namespace: u16| attributes(vec![(1, namespace.to_ne_bytes().to_vec())]);
        let datagram: Vec<Result<_, ()>> = vec![
            Ok(message(FAMILY, TRACE, attrs(123))),
            Ok(message(FAMILY, DEX + 1, attrs(1))),
            Ok(message(FAMILY + 1, TRACE, attrs(2))),
            Ok(message(FAMILY, DEX, attrs(7))),
            Err(()),
            Ok(message(FAMILY, TRACE, attrs(8))),
        ];
        let found: Vec<(u8, Option<Vec<u8>>)> = messages_of(datagram, FAMILY, &[TRACE, DEX])
            .iter()
            .map(|(cmd, attrs)| (*cmd, find(attrs, 1).map(<[u8]>::to_vec)))
            .collect();
        assert_eq!(
            found,
            [
                (TRACE, Some(123u16.to_ne_bytes().to_vec())),
                (DEX, Some(7u16.to_ne_bytes().to_vec()))
            ],
            "other families and commands skipped; nothing after what neli could not parse"
        );
    }

    #[test]
    fn multicast_groups_of_getfamily() {
        let group = |name: &[u8], id: u32| {
            attribute_bytes(&[
                (CtrlAttrMcastGrp::Id.into(), &id.to_ne_bytes()),
                (CtrlAttrMcastGrp::Name.into(), name),
            ])
        };
        let first = group(b"other\0", 9);
        let second = group(b"ioam6_events\0", 33);
        let broken = attribute_bytes(&[(CtrlAttrMcastGrp::Name.into(), b"x\0")]);
        let groups = attribute_bytes(&[(1, &first), (2, &second), (3, &broken)]);
        let attrs = attributes(vec![
            (CtrlAttr::FamilyId.into(), 40u16.to_ne_bytes().to_vec()),
            (CtrlAttr::McastGroups.into(), groups),
        ]);
        assert_eq!(
            multicast_groups(&attrs),
            vec![(b"other".to_vec(), 9), (b"ioam6_events".to_vec(), 33)]
        );
        assert_eq!(multicast_groups(&attributes(vec![])), vec![]);
    }

    #[test]
    fn decode_stats_reply() {
        let nested = attribute_bytes(&[
            (stat::PAD, &[]),
            (stat::TRACE_FILLED, &12u64.to_ne_bytes()),
            (stat::PAD, &[]),
            (stat::EVENTS_SENT, &5u64.to_ne_bytes()),
            (stat::MAX + 1, &7u64.to_ne_bytes()),
            (stat::MAX + 2, &[1, 2]),
        ]);
        let attrs = attributes(vec![
            (attr::STATS | 0x8000, nested.clone()),
            (attr::EVENT_RATE, 1000u32.to_ne_bytes().to_vec()),
            (attr::EVENT_BURST, 50u32.to_ne_bytes().to_vec()),
            (attr::LOOPBACK_RATE, 100u32.to_ne_bytes().to_vec()),
            (attr::LOOPBACK_BURST, 10u32.to_ne_bytes().to_vec()),
            (attr::EXPORT_RATE, 20_000u32.to_ne_bytes().to_vec()),
            (attr::EXPORT_BURST, 500u32.to_ne_bytes().to_vec()),
        ]);
        assert_eq!(
            decode_stats(&attrs),
            Ok(StatsInfo {
                counters: vec![
                    (stat::TRACE_FILLED, 12),
                    (stat::EVENTS_SENT, 5),
                    (stat::MAX + 1, 7)
                ],
                event_rate: Some(1000),
                event_burst: Some(50),
                loopback_rate: Some(100),
                loopback_burst: Some(10),
                export_rate: Some(20_000),
                export_burst: Some(500),
            })
        );
        assert_eq!(
            decode_stats(&attributes(vec![
                (attr::STATS, vec![]),
                (attr::EXPORT_BURST, 1u16.to_ne_bytes().to_vec()),
            ])),
            Err(NetlinkError::Transport(
                "the kernel sent EXPORT_BURST of 2 bytes, expected 4".into()
            ))
        );
        let bad = attribute_bytes(&[(stat::TRACE_FILLED, &12u32.to_ne_bytes())]);
        assert_eq!(
            decode_stats(&attributes(vec![(attr::STATS, bad)])),
            Err(NetlinkError::Transport(
                "the kernel sent counter 2 of 4 bytes, expected 8".into()
            ))
        );
        assert_eq!(
            decode_stats(&attributes(vec![(
                attr::EVENT_RATE,
                1u32.to_ne_bytes().to_vec()
            )])),
            Err(NetlinkError::Transport(
                "the kernel sent a statistics reply without STATS".into()
            ))
        );
        assert_eq!(
            decode_stats(&attributes(vec![(attr::STATS, vec![])])),
            Ok(StatsInfo::default())
        );
    }

    #[test]
    fn decode_interfaces() {
        assert_eq!(
            decode_interface(&attributes(vec![(
                attr::IFINDEX,
                3u32.to_ne_bytes().to_vec()
            )])),
            Ok(InterfaceInfo {
                ifindex: 3,
                enabled: None
            })
        );
        assert_eq!(
            decode_interface(&attributes(vec![
                (attr::IF_ENABLED, vec![0]),
                (attr::IFINDEX, 4u32.to_ne_bytes().to_vec()),
            ])),
            Ok(InterfaceInfo {
                ifindex: 4,
                enabled: Some(false)
            })
        );
        assert_eq!(
            decode_interface(&attributes(vec![(attr::IF_ENABLED, vec![1])])),
            Err(NetlinkError::Transport(
                "the kernel sent an interface without IFINDEX".into()
            ))
        );
    }

    #[test]
    fn dumps_carry_no_attributes() {
        assert_eq!(
            request(Command::ShowNamespaces),
            Request {
                cmd: cmd::DUMP_NAMESPACES,
                attrs: vec![],
                dump: true
            }
        );
        assert_eq!(
            request(Command::ShowSchemas),
            Request {
                cmd: cmd::DUMP_SCHEMAS,
                attrs: vec![],
                dump: true
            }
        );
    }

    #[test]
    fn namespace_add_attributes_in_native_byte_order() {
        let full = request(Command::AddNamespace {
            id: 0x1234,
            data: Some(0xdead_beef),
            wide: Some(0xcafe_c0ca_f00d_c0de),
            tsformat: Some(ioam_wire::timestamp::TsFormat::Ntp),
        });
        assert_eq!(full.cmd, cmd::ADD_NAMESPACE);
        assert!(!full.dump);
        assert_eq!(
            full.attrs,
            vec![
                (attr::NS_ID, 0x1234u16.to_ne_bytes().to_vec()),
                (attr::NS_DATA, 0xdead_beefu32.to_ne_bytes().to_vec()),
                (
                    attr::NS_DATA_WIDE,
                    0xcafe_c0ca_f00d_c0deu64.to_ne_bytes().to_vec()
                ),
                (attr::NS_TSFORMAT, vec![2]),
            ]
        );
        let bare = request(Command::AddNamespace {
            id: 1,
            data: None,
            wide: None,
            tsformat: None,
        });
        assert_eq!(bare.attrs, vec![(attr::NS_ID, 1u16.to_ne_bytes().to_vec())]);
        // A value equal to the "unavailable" marker is still sent: the kernel decides.
        let marker = request(Command::AddNamespace {
            id: 1,
            data: Some(NS_DATA_UNAVAILABLE),
            wide: None,
            tsformat: None,
        });
        assert_eq!(marker.attrs.len(), 2);
    }

    #[test]
    fn other_requests() {
        assert_eq!(
            request(Command::DelNamespace { id: 7 }),
            Request {
                cmd: cmd::DEL_NAMESPACE,
                attrs: vec![(attr::NS_ID, 7u16.to_ne_bytes().to_vec())],
                dump: false
            }
        );
        assert_eq!(
            request(Command::SetNamespaceSchema {
                id: 7,
                schema: Some(SCHEMA_ID_MAX)
            }),
            Request {
                cmd: cmd::NS_SET_SCHEMA,
                attrs: vec![
                    (attr::NS_ID, 7u16.to_ne_bytes().to_vec()),
                    (attr::SC_ID, SCHEMA_ID_MAX.to_ne_bytes().to_vec()),
                ],
                dump: false
            }
        );
        assert_eq!(
            request(Command::SetNamespaceSchema {
                id: 7,
                schema: None
            }),
            Request {
                cmd: cmd::NS_SET_SCHEMA,
                attrs: vec![
                    (attr::NS_ID, 7u16.to_ne_bytes().to_vec()),
                    (attr::SC_NONE, vec![])
                ],
                dump: false
            }
        );
        assert_eq!(
            request(Command::AddSchema {
                id: 777,
                data: b"some".to_vec()
            }),
            Request {
                cmd: cmd::ADD_SCHEMA,
                attrs: vec![
                    (attr::SC_ID, 777u32.to_ne_bytes().to_vec()),
                    (attr::SC_DATA, b"some".to_vec()),
                ],
                dump: false
            }
        );
        assert_eq!(
            request(Command::DelSchema { id: 777 }),
            Request {
                cmd: cmd::DEL_SCHEMA,
                attrs: vec![(attr::SC_ID, 777u32.to_ne_bytes().to_vec())],
                dump: false
            }
        );
    }

    #[test]
    fn decode_full_namespace_with_pad_before_wide() {
        let attrs = attributes(vec![
            (attr::NS_ID, 123u16.to_ne_bytes().to_vec()),
            (attr::NS_DATA, 0xdead_beefu32.to_ne_bytes().to_vec()),
            (attr::PAD, vec![]),
            (
                attr::NS_DATA_WIDE,
                0xcafe_c0ca_f00d_c0deu64.to_ne_bytes().to_vec(),
            ),
            (attr::SC_ID, 777u32.to_ne_bytes().to_vec()),
            (attr::NS_TSFORMAT, vec![1]),
        ]);
        assert_eq!(
            decode_namespace(&attrs),
            Ok(NamespaceInfo {
                id: 123,
                data: Some(0xdead_beef),
                wide: Some(0xcafe_c0ca_f00d_c0de),
                schema: Some(777),
                tsformat: Some(1),
            })
        );
    }

    #[test]
    fn decode_bare_namespace_and_skip_unknown_attributes() {
        let attrs = attributes(vec![
            (attr::MAX + 10, vec![1, 2, 3]),
            (attr::NS_ID, 5u16.to_ne_bytes().to_vec()),
        ]);
        assert_eq!(
            decode_namespace(&attrs),
            Ok(NamespaceInfo {
                id: 5,
                data: None,
                wide: None,
                schema: None,
                tsformat: None,
            })
        );
    }

    #[test]
    fn decode_namespace_keeps_the_first_duplicate() {
        let attrs = attributes(vec![
            (attr::NS_ID, 5u16.to_ne_bytes().to_vec()),
            (attr::NS_ID, 6u16.to_ne_bytes().to_vec()),
        ]);
        assert_eq!(
            decode_namespace(&attrs).map(|namespace| namespace.id),
            Ok(5)
        );
    }

    #[test]
    fn decode_namespace_errors() {
        assert_eq!(
            decode_namespace(&attributes(vec![(
                attr::NS_DATA,
                1u32.to_ne_bytes().to_vec()
            )])),
            Err(NetlinkError::Transport(
                "the kernel sent a namespace without NS_ID".into()
            ))
        );
        assert_eq!(
            decode_namespace(&attributes(vec![
                (attr::NS_ID, 1u16.to_ne_bytes().to_vec()),
                (attr::NS_DATA_WIDE, 1u32.to_ne_bytes().to_vec()),
            ])),
            Err(NetlinkError::Transport(
                "the kernel sent NS_DATA_WIDE of 4 bytes, expected 8".into()
            ))
        );
    }

    #[test]
    fn decode_schemas() {
        let bound = attributes(vec![
            (attr::SC_ID, 777u32.to_ne_bytes().to_vec()),
            (attr::SC_DATA, b"some".to_vec()),
            (attr::NS_ID, 123u16.to_ne_bytes().to_vec()),
        ]);
        assert_eq!(
            decode_schema(&bound),
            Ok(SchemaInfo {
                id: 777,
                data: b"some".to_vec(),
                namespace: Some(123)
            })
        );
        let padded = attributes(vec![
            (attr::SC_ID, 9u32.to_ne_bytes().to_vec()),
            (attr::SC_DATA, b"abcde\0\0\0".to_vec()),
        ]);
        assert_eq!(
            decode_schema(&padded),
            Ok(SchemaInfo {
                id: 9,
                data: b"abcde\0\0\0".to_vec(),
                namespace: None
            })
        );
        assert_eq!(
            decode_schema(&attributes(vec![(
                attr::SC_ID,
                9u32.to_ne_bytes().to_vec()
            )])),
            Err(NetlinkError::Transport(
                "the kernel sent a schema without SC_DATA".into()
            ))
        );
        assert_eq!(
            decode_schema(&attributes(vec![(attr::SC_DATA, b"x".to_vec())])),
            Err(NetlinkError::Transport(
                "the kernel sent a schema without SC_ID".into()
            ))
        );
    }

    fn ext_ack(attrs: &[(NlmsgerrAttr, &[u8])]) -> GenlBuffer<NlmsgerrAttr, Buffer> {
        let mut buffer = GenlBuffer::new();
        for (kind, payload) in attrs {
            let attr = NlattrBuilder::default()
                .nla_type(
                    AttrTypeBuilder::default()
                        .nla_type(*kind)
                        .build()
                        .expect("type"),
                )
                .nla_payload(Buffer::from(*payload))
                .build()
                .expect("attribute");
            buffer.push(attr);
        }
        buffer
    }

    #[test]
    fn kernel_error_takes_the_extended_ack_message() {
        let acks = ext_ack(&[
            (NlmsgerrAttr::Offset, &20u32.to_ne_bytes()),
            (NlmsgerrAttr::Msg, b"namespace 123 already exists\0"),
        ]);
        let error = kernel_error(-17, &acks);
        assert_eq!(
            error,
            NetlinkError::Kernel {
                errno: 17,
                message: Some("namespace 123 already exists".into())
            }
        );
        assert_eq!(
            error.to_string(),
            "namespace 123 already exists: File exists"
        );
        assert_eq!(error.exit_code(), crate::EXIT_KERNEL);
    }

    #[test]
    fn kernel_error_without_message_is_strerror() {
        let error = kernel_error(
            -2,
            &ext_ack(&[(NlmsgerrAttr::Offset, &20u32.to_ne_bytes())]),
        );
        assert_eq!(
            error,
            NetlinkError::Kernel {
                errno: 2,
                message: None
            }
        );
        assert_eq!(error.to_string(), "No such file or directory");
        let empty_message = kernel_error(-1, &ext_ack(&[(NlmsgerrAttr::Msg, b"\0")]));
        assert_eq!(empty_message.to_string(), "Operation not permitted");
    }

    #[test]
    fn strerror_has_no_rust_suffix() {
        assert_eq!(strerror(17), "File exists");
        assert_eq!(strerror(22), "Invalid argument");
    }

    #[test]
    fn other_error_texts_and_exit_codes() {
        assert_eq!(
            NetlinkError::FamilyNotFound.to_string(),
            "the ioam_rs module is not loaded (run: modprobe ioam_rs, or insmod ioam_rs.ko)"
        );
        assert_eq!(NetlinkError::FamilyNotFound.exit_code(), crate::EXIT_USAGE);
        let transport = NetlinkError::Transport("cannot read the reply: x".into());
        assert_eq!(transport.to_string(), "netlink: cannot read the reply: x");
        assert_eq!(transport.exit_code(), crate::EXIT_KERNEL);
    }
}
