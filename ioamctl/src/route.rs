//! IPv6 routes with an `encap ioam6` encapsulation, over rtnetlink: the routes `ip -6 route`
//! configures, plus the IOAM options stock iproute2 cannot express (the Incremental Trace,
//! an attribute of the module's own: `ioam_uapi::route`).
//!
//! A route's encapsulation is checked with `ioam_wire::route::check_route`, the function the
//! module itself checks it with, before anything is sent.

use std::ffi::OsStr;
use std::net::Ipv6Addr;

use ioam_uapi::route::attr;
use ioam_wire::dex::EXT_SEQUENCE;
use ioam_wire::flags::Flags;
use ioam_wire::route::{check_route, Mode, RouteAttrs, RouteConfig, TraceOption};
use neli::{
    consts::{
        nl::{NlmF, Nlmsg},
        rtnl::{RtAddrFamily, RtScope, RtTable, Rta, Rtm, Rtn, Rtprot},
        socket::NlFamily,
    },
    nl::{NlPayload, NlmsghdrBuilder},
    rtnl::{Rtattr, RtattrBuilder, Rtmsg, RtmsgBuilder},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, RtBuffer},
    utils::Groups,
};
use serde::Serialize;

use crate::netlink::{kernel_error, NetlinkError};

/// `LWTUNNEL_ENCAP_IOAM6` (`include/uapi/linux/lwtunnel.h`).
pub const LWTUNNEL_ENCAP_IOAM6: u16 = 9;
/// Attribute type flags (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`) that are not part of the
/// type.
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLA_F_NESTED: u16 = 0x8000;

/// An IPv6 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub addr: Ipv6Addr,
    pub len: u8,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// What an `encap ioam6` route inserts, as its attributes say (checked by `check_route`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encap(pub RouteConfig);

/// One route: where to, what to insert, and where the packets go next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub prefix: Prefix,
    pub encap: Encap,
    pub via: Option<Ipv6Addr>,
    /// Interface index.
    pub dev: Option<u32>,
}

impl Encap {
    /// The encapsulation's attributes (`RTA_ENCAP`'s nested ones), as type and payload; the
    /// defaults (`freq 1/1`, mode inline) are sent too, as iproute2 sends them.
    pub fn attributes(&self) -> Vec<(u16, Vec<u8>)> {
        let c = &self.0;
        let mut attrs = vec![
            (attr::FREQ_K, c.freq.k().to_ne_bytes().to_vec()),
            (attr::FREQ_N, c.freq.n().to_ne_bytes().to_vec()),
            (attr::MODE, vec![c.mode as u8]),
        ];
        if let Some(src) = c.tunsrc {
            attrs.push((attr::SRC, src.to_vec()));
        }
        if let Some(dst) = c.tundst {
            attrs.push((attr::DST, dst.to_vec()));
        }
        let t = &c.trace;
        let (kind, payload) = match c.option {
            TraceOption::Prealloc => (
                attr::TRACE,
                trace_payload(t.namespace_id, t.trace_type, t.remaining_len, c.flags),
            ),
            TraceOption::Incremental => (
                attr::INCREMENTAL_TRACE,
                trace_payload(t.namespace_id, t.trace_type, t.remaining_len, c.flags),
            ),
            TraceOption::Dex { ext_flags, flow_id } => {
                if let Some(id) = flow_id {
                    attrs.push((attr::DEX_FLOW_ID, id.to_ne_bytes().to_vec()));
                }
                (
                    attr::DEX,
                    dex_payload(t.namespace_id, t.trace_type, ext_flags),
                )
            }
        };
        attrs.push((kind, payload.to_vec()));
        attrs
    }

    /// Reads and checks an encapsulation from its attributes (unknown ones are ignored).
    pub fn from_attributes(attrs: &[(u16, &[u8])]) -> Result<Encap, String> {
        let find = |kind: u16| {
            attrs
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, payload)| *payload)
        };
        check_route(&RouteAttrs {
            mode: find(attr::MODE),
            freq_k: find(attr::FREQ_K),
            freq_n: find(attr::FREQ_N),
            tunsrc: find(attr::SRC),
            tundst: find(attr::DST),
            trace: find(attr::TRACE),
            incremental: find(attr::INCREMENTAL_TRACE),
            dex: find(attr::DEX),
            dex_flow_id: find(attr::DEX_FLOW_ID),
        })
        .map(Encap)
        .map_err(|error| error.to_string())
    }
}

/// An 8-byte option header as the route attributes carry it: namespace, a zero byte, `fourth`,
/// the 24-bit trace type and a zero byte (the trace and DEX headers share this layout).
fn header_payload(namespace_id: u16, fourth: u8, trace_type: u32) -> [u8; 8] {
    let [ns_hi, ns_lo] = namespace_id.to_be_bytes();
    let [_, t0, t1, t2] = trace_type.to_be_bytes();
    [ns_hi, ns_lo, 0, fourth, t0, t1, t2, 0]
}

/// The payload of a trace attribute (`struct ioam6_trace_hdr`): namespace, the RFC 9322
/// `flags` asked for, RemainingLen and the 24-bit trace type; NodeLen and the Overflow flag
/// are the node's to set, sent as 0.
pub fn trace_payload(
    namespace_id: u16,
    trace_type: u32,
    remaining_len: u8,
    flags: Flags,
) -> [u8; 8] {
    let mut header = header_payload(namespace_id, remaining_len, trace_type);
    // The header is 8 bytes: cannot fail.
    let _ = flags.set_in(&mut header);
    header
}

/// The payload of a DEX attribute: namespace, flags (0), Extension-Flags, the 24-bit trace
/// type, reserved (0).
pub fn dex_payload(namespace_id: u16, trace_type: u32, ext_flags: u8) -> [u8; 8] {
    header_payload(namespace_id, ext_flags, trace_type)
}

/// A route as `route show` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteInfo {
    pub dst: String,
    pub encap: &'static str,
    pub freqk: u32,
    pub freqn: u32,
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunsrc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tundst: Option<String>,
    /// `prealloc`, `incremental` or `dex`.
    pub trace: &'static str,
    /// The trace type, `0x` and six hex digits.
    #[serde(rename = "type")]
    pub trace_type: String,
    pub ns: u16,
    /// Pre-allocated: the bytes reserved (`size`); incremental: the most all nodes may add
    /// (`maxlen`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxlen: Option<u16>,
    /// DEX: the Flow ID sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flowid: Option<u32>,
    /// DEX: whether a Sequence Number is sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub seqnum: bool,
    /// RFC 9322: whether packets ask for loopback copies.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub loopback: bool,
    /// RFC 9322: whether packets are marked active.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
}

/// The keyword of a mode, as iproute2 writes it.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Inline => "inline",
        Mode::Encap => "encap",
        Mode::Auto => "auto",
    }
}

impl RouteInfo {
    /// `route`'s description; `dev` names its interface.
    pub fn of(route: &Route, dev: Option<String>) -> RouteInfo {
        let c = &route.encap.0;
        let len = u16::from(c.trace.remaining_len) * 4;
        let (trace, size, maxlen, flowid, seqnum) = match c.option {
            TraceOption::Prealloc => ("prealloc", Some(len), None, None, false),
            TraceOption::Incremental => ("incremental", None, Some(len), None, false),
            TraceOption::Dex { ext_flags, flow_id } => {
                ("dex", None, None, flow_id, ext_flags & EXT_SEQUENCE != 0)
            }
        };
        RouteInfo {
            dst: route.prefix.to_string(),
            encap: "ioam6",
            freqk: c.freq.k(),
            freqn: c.freq.n(),
            mode: mode_name(c.mode),
            tunsrc: c.tunsrc.map(|a| Ipv6Addr::from(a).to_string()),
            tundst: c.tundst.map(|a| Ipv6Addr::from(a).to_string()),
            trace,
            trace_type: format!("{:#08x}", c.trace.trace_type),
            ns: c.trace.namespace_id,
            size,
            maxlen,
            flowid,
            seqnum,
            loopback: c.flags.loopback,
            active: c.flags.active,
            gateway: route.via.map(|a| a.to_string()),
            dev,
        }
    }

    /// One line, in `ip -6 route`'s words.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} encap {} freq {}/{} mode {} ",
            self.dst, self.encap, self.freqk, self.freqn, self.mode
        );
        if let Some(src) = &self.tunsrc {
            line += &format!("tunsrc {src} ");
        }
        if let Some(dst) = &self.tundst {
            line += &format!("tundst {dst} ");
        }
        if self.trace == "dex" {
            line += &format!("dex type {} ns {}", self.trace_type, self.ns);
            if let Some(id) = self.flowid {
                line += &format!(" flowid {id}");
            }
            if self.seqnum {
                line += " seqnum";
            }
        } else {
            line += &format!(
                "trace {} type {} ns {} ",
                self.trace, self.trace_type, self.ns
            );
        }
        match (self.size, self.maxlen) {
            (Some(size), _) => line += &format!("size {size}"),
            (None, Some(maxlen)) => line += &format!("maxlen {maxlen}"),
            (None, None) => {}
        }
        if self.loopback {
            line += " loopback";
        }
        if self.active {
            line += " active";
        }
        if let Some(gateway) = &self.gateway {
            line += &format!(" via {gateway}");
        }
        if let Some(dev) = &self.dev {
            line += &format!(" dev {dev}");
        }
        line
    }
}

/// The route message for `route` (`RTM_NEWROUTE`'s body), or for deleting `prefix`.
fn route_message(prefix: Prefix, route: Option<&Route>) -> Result<Rtmsg, NetlinkError> {
    let build = |error: &dyn std::fmt::Display| {
        NetlinkError::Transport(format!("cannot build the request: {error}"))
    };
    let rtattr = |kind: Rta, payload: &[u8]| {
        RtattrBuilder::default()
            .rta_type(kind)
            .rta_payload(Buffer::from(payload))
            .build()
            .map_err(|e| build(&e))
    };
    let mut attrs: RtBuffer<Rta, Buffer> = RtBuffer::new();
    attrs.push(rtattr(Rta::Dst, &prefix.addr.octets())?);
    if let Some(route) = route {
        if let Some(via) = route.via {
            attrs.push(rtattr(Rta::Gateway, &via.octets())?);
        }
        if let Some(dev) = route.dev {
            attrs.push(rtattr(Rta::Oif, &dev.to_ne_bytes())?);
        }
        attrs.push(rtattr(Rta::EncapType, &LWTUNNEL_ENCAP_IOAM6.to_ne_bytes())?);
        let mut encap = rtattr(
            Rta::UnrecognizedConst(u16::from(Rta::Encap) | NLA_F_NESTED),
            &[],
        )?;
        for (kind, payload) in route.encap.attributes() {
            let nested: Rtattr<u16, Buffer> = RtattrBuilder::default()
                .rta_type(kind)
                .rta_payload(Buffer::from(payload.as_slice()))
                .build()
                .map_err(|e| build(&e))?;
            encap = encap.nest(&nested).map_err(|e| build(&e))?;
        }
        attrs.push(encap);
    }
    rtmsg(prefix.len, attrs)
}

/// A unicast IPv6 route of the main table, as `ip -6 route` asks for one. (A dump request
/// without strict checking reads none of these fields.)
fn rtmsg(dst_len: u8, attrs: RtBuffer<Rta, Buffer>) -> Result<Rtmsg, NetlinkError> {
    RtmsgBuilder::default()
        .rtm_family(RtAddrFamily::Inet6)
        .rtm_dst_len(dst_len)
        .rtm_src_len(0)
        .rtm_tos(0)
        .rtm_table(RtTable::Main)
        .rtm_protocol(Rtprot::Boot)
        .rtm_scope(RtScope::Universe)
        .rtm_type(Rtn::Unicast)
        .rtattrs(attrs)
        .build()
        .map_err(|e| NetlinkError::Transport(format!("cannot build the request: {e}")))
}

/// Reads an `encap ioam6` route from a route message; `None` for any other route.
pub fn route_of(msg: &Rtmsg) -> Option<Result<Route, String>> {
    if *msg.rtm_family() != RtAddrFamily::Inet6 || *msg.rtm_table() != RtTable::Main {
        return None;
    }
    let mut prefix = Prefix {
        addr: Ipv6Addr::UNSPECIFIED,
        len: *msg.rtm_dst_len(),
    };
    let (mut via, mut dev, mut encap_type, mut encap) = (None, None, None, None);
    for attr in msg.rtattrs().iter() {
        let payload = attr.rta_payload().as_ref();
        match u16::from(*attr.rta_type()) & NLA_TYPE_MASK {
            kind if kind == u16::from(Rta::Dst) => {
                prefix.addr = <[u8; 16]>::try_from(payload).ok()?.into();
            }
            kind if kind == u16::from(Rta::Gateway) => {
                via = <[u8; 16]>::try_from(payload).ok().map(Ipv6Addr::from);
            }
            kind if kind == u16::from(Rta::Oif) => {
                dev = <[u8; 4]>::try_from(payload).ok().map(u32::from_ne_bytes);
            }
            kind if kind == u16::from(Rta::EncapType) => {
                encap_type = <[u8; 2]>::try_from(payload).ok().map(u16::from_ne_bytes);
            }
            kind if kind == u16::from(Rta::Encap) => encap = Some(payload),
            _ => {}
        }
    }
    if encap_type != Some(LWTUNNEL_ENCAP_IOAM6) {
        return None;
    }
    let nested = nested_attributes(encap?);
    let nested: Vec<(u16, &[u8])> = nested.iter().map(|(k, p)| (*k, *p)).collect();
    Some(Encap::from_attributes(&nested).map(|encap| Route {
        prefix,
        encap,
        via,
        dev,
    }))
}

/// The attributes nested in `payload`, types without their flags; a truncated one ends the
/// list.
fn nested_attributes(payload: &[u8]) -> Vec<(u16, &[u8])> {
    let mut attrs = Vec::new();
    let mut rest = payload;
    while let Some((header, _)) = rest.split_first_chunk::<4>() {
        let len = usize::from(u16::from_ne_bytes([header[0], header[1]]));
        let kind = u16::from_ne_bytes([header[2], header[3]]) & NLA_TYPE_MASK;
        let Some(body) = rest.get(4..len) else { break };
        attrs.push((kind, body));
        rest = rest.get((len + 3) & !3..).unwrap_or_default();
    }
    attrs
}

/// An rtnetlink socket.
pub struct RouteClient {
    socket: NlSocketHandle,
    seq: u32,
}

impl RouteClient {
    pub fn connect() -> Result<RouteClient, NetlinkError> {
        let socket =
            NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).map_err(|e| {
                NetlinkError::Transport(format!("cannot open an rtnetlink socket: {e}"))
            })?;
        socket
            .enable_ext_ack(true)
            .map_err(|e| NetlinkError::Transport(format!("cannot enable extended acks: {e}")))?;
        Ok(RouteClient { socket, seq: 0 })
    }

    /// Adds `route` (or replaces the route to its prefix).
    pub fn add(&mut self, route: &Route, replace: bool) -> Result<(), NetlinkError> {
        let flags = if replace {
            NlmF::CREATE | NlmF::REPLACE
        } else {
            NlmF::CREATE | NlmF::EXCL
        };
        let message = route_message(route.prefix, Some(route))?;
        self.transact(Rtm::Newroute, flags, message).map(drop)
    }

    /// Deletes the route to `prefix`.
    pub fn del(&mut self, prefix: Prefix) -> Result<(), NetlinkError> {
        let message = route_message(prefix, None)?;
        self.transact(Rtm::Delroute, NlmF::empty(), message)
            .map(drop)
    }

    /// Every IPv6 route of the main table, as the kernel dumps them.
    pub fn dump(&mut self) -> Result<Vec<Rtmsg>, NetlinkError> {
        self.transact(Rtm::Getroute, NlmF::DUMP, rtmsg(0, RtBuffer::new())?)
    }

    /// Sends one request and reads its ack, or a dump's messages until its end.
    fn transact(
        &mut self,
        kind: Rtm,
        flags: NlmF,
        message: Rtmsg,
    ) -> Result<Vec<Rtmsg>, NetlinkError> {
        let transport = |context: &str, e: &dyn std::fmt::Display| {
            NetlinkError::Transport(format!("{context}: {e}"))
        };
        let dump = flags.contains(NlmF::DUMP);
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let flags = flags | NlmF::REQUEST | if dump { NlmF::empty() } else { NlmF::ACK };
        let request = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(message))
            .build()
            .map_err(|e| transport("cannot build the request", &e))?;
        self.socket
            .send(&request)
            .map_err(|e| transport("cannot send the request", &e))?;
        let mut routes = Vec::new();
        loop {
            let (datagram, _) = self
                .socket
                .recv::<u16, Rtmsg>()
                .map_err(|e| transport("cannot read the reply", &e))?;
            for reply in datagram {
                let reply = reply.map_err(|e| transport("cannot parse the reply", &e))?;
                if *reply.nl_seq() != seq {
                    continue;
                }
                match reply.nl_payload() {
                    NlPayload::Payload(route) => routes.push(route.clone()),
                    NlPayload::Err(error) => {
                        return Err(kernel_error(*error.error(), error.ext_ack()))
                    }
                    NlPayload::DumpExtAck(done) if *done.error() != 0 => {
                        return Err(kernel_error(*done.error(), done.ext_ack()))
                    }
                    NlPayload::Ack(_) | NlPayload::DumpExtAck(_) => return Ok(routes),
                    NlPayload::Empty if *reply.nl_type() == u16::from(Nlmsg::Done) => {
                        return Ok(routes)
                    }
                    NlPayload::Empty => {}
                }
            }
        }
    }
}

/// Interface names for `route show`: `name_of` finds one by index.
pub fn describe(routes: &[Route], name_of: &dyn Fn(u32) -> Option<String>) -> Vec<RouteInfo> {
    routes
        .iter()
        .map(|route| RouteInfo::of(route, route.dev.and_then(name_of)))
        .collect()
}

/// `ip` accepts an address without a length as a /128.
pub fn parse_prefix(word: &OsStr) -> Option<Prefix> {
    let text = word.to_str()?;
    let (addr, len) = match text.split_once('/') {
        Some((addr, len)) => (addr, len.parse::<u8>().ok().filter(|l| *l <= 128)?),
        None => (text, 128),
    };
    Some(Prefix {
        addr: addr.parse().ok()?,
        len,
    })
}
