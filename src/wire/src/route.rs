// SPDX-License-Identifier: GPL-2.0
//! The configuration of an `ip -6 route ... encap ioam6 ...` route, checked from the payloads
//! of its attributes (`include/uapi/linux/ioam6_iptunnel.h`), with a message for each mistake.
//!
//! Pure: the module reads the attributes, this decides; host-tested.

use super::dex::{validate_dex, Dex, DexError, DEX_HDR_LEN, EXT_SEQUENCE};
use super::flags::{Flags, LOOPBACK_TRACE_TYPE};
use super::freq::Freq;
use super::option::{validate_encap, TraceHeader, TRACE_HDR_LEN};
use super::trace::node_len;

/// Largest K and N of `freq K/N` (as upstream).
pub const FREQ_MAX: u32 = 1_000_000;

/// Where the encapsulating node puts the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Insert a Hop-by-Hop header into the packet.
    Inline = 1,
    /// Wrap the packet in an outer IPv6 header carrying the Hop-by-Hop header (ip6ip6).
    Encap = 2,
    /// Inline for packets generated here, encap for forwarded ones.
    Auto = 3,
}

/// The payloads of a route's attributes; `None` for an absent one.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteAttrs<'a> {
    /// `IOAM6_IPTUNNEL_MODE`: one byte.
    pub mode: Option<&'a [u8]>,
    /// `IOAM6_IPTUNNEL_FREQ_K`: a native-endian `u32`.
    pub freq_k: Option<&'a [u8]>,
    /// `IOAM6_IPTUNNEL_FREQ_N`: a native-endian `u32`.
    pub freq_n: Option<&'a [u8]>,
    /// `IOAM6_IPTUNNEL_SRC`: an IPv6 address.
    pub tunsrc: Option<&'a [u8]>,
    /// `IOAM6_IPTUNNEL_DST`: an IPv6 address.
    pub tundst: Option<&'a [u8]>,
    /// `IOAM6_IPTUNNEL_TRACE`: the 8-byte header of a Pre-allocated Trace.
    pub trace: Option<&'a [u8]>,
    /// The module's own `INCREMENTAL_TRACE` (`uapi/src/route.rs`): the 8-byte header of an
    /// Incremental Trace.
    pub incremental: Option<&'a [u8]>,
    /// The module's own `DEX`: the 8-byte header of a Direct Export option.
    pub dex: Option<&'a [u8]>,
    /// The module's own `DEX_FLOW_ID`: a native-endian `u32`.
    pub dex_flow_id: Option<&'a [u8]>,
}

/// The IOAM option a route inserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceOption {
    /// Pre-allocated Trace: RemainingLen words of room in the packet from the start.
    Prealloc,
    /// Incremental Trace: each node inserts its entry, up to RemainingLen words in all.
    Incremental,
    /// Direct Export (RFC 9326): no node data in the packet; the Extension-Flags and the Flow
    /// ID to send (a Sequence Number, when flagged, is the route's count of packets).
    Dex {
        /// Extension-Flags: Flow ID and Sequence Number, as asked for.
        ext_flags: u8,
        /// The Flow ID, with its flag.
        flow_id: Option<u32>,
    },
}

/// A route's checked configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteConfig {
    /// Where the trace goes.
    pub mode: Mode,
    /// `freq K/N`.
    pub freq: Freq,
    /// The tunnel's destination: set for modes encap and auto.
    pub tundst: Option<[u8; 16]>,
    /// The tunnel's source, if given (else the kernel picks one per packet's route).
    pub tunsrc: Option<[u8; 16]>,
    /// The option inserted.
    pub option: TraceOption,
    /// Namespace, trace type and RemainingLen asked for; NodeLen and flags are the node's.
    /// For DEX: namespace and trace type (NodeLen computed, RemainingLen 0).
    pub trace: TraceHeader,
    /// The RFC 9322 flags asked for (never for DEX): Active on every packet traced, Loopback
    /// on those within the loopback rate limit.
    pub flags: Flags,
}

/// The attribute a [`RouteError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAttr {
    /// `mode`.
    Mode,
    /// `freq K/N` (either attribute).
    Freq,
    /// `tunsrc`.
    TunSrc,
    /// `tundst`.
    TunDst,
    /// `trace` (pre-allocated).
    Trace,
    /// `trace incremental`.
    Incremental,
    /// `dex`.
    Dex,
    /// `dex ... flowid`.
    DexFlowId,
}

/// Why a route's configuration is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// Only one of K and N.
    FreqIncomplete,
    /// Not 1 <= K <= N <= [`FREQ_MAX`], or not 4-byte values.
    FreqOutOfRange,
    /// A mode other than 1, 2 and 3 (the value, or `None` for a payload not one byte long).
    UnknownMode(Option<u8>),
    /// An address that is not 16 bytes long.
    NotAnAddress(RouteAttr),
    /// The unspecified address `::`.
    UnspecifiedAddress(RouteAttr),
    /// `tunsrc` or `tundst` with mode inline.
    TunnelInline(RouteAttr),
    /// Mode encap or auto without `tundst`.
    TunDstMissing,
    /// No trace attribute.
    TraceMissing,
    /// More than one of a pre-allocated trace, an incremental trace and DEX.
    TwoTraces,
    /// A DEX attribute that is not an 8-byte DEX header.
    DexNotAHeader,
    /// A DEX header refused by [`validate_dex`] (with the Flow ID as given).
    Dex(DexError),
    /// A Flow ID without DEX, or not a 4-byte value.
    FlowIdWithoutDex,
    /// A trace attribute (pre-allocated or incremental) that is not an 8-byte trace header.
    TraceNotAHeader(RouteAttr),
    /// A trace header with the Overflow flag or reserved bits set.
    TraceFlags(RouteAttr),
    /// The Loopback flag with a trace type other than [`LOOPBACK_TRACE_TYPE`].
    LoopbackTraceType(RouteAttr),
    /// A trace type or size refused by [`validate_encap`] (its message).
    Trace(RouteAttr, &'static str),
}

impl RouteAttr {
    const fn keyword(self) -> &'static str {
        match self {
            Self::Mode => "mode",
            Self::Freq => "freq",
            Self::TunSrc => "tunsrc",
            Self::TunDst => "tundst",
            Self::Trace => "trace",
            Self::Incremental => "incremental trace",
            Self::Dex => "dex",
            Self::DexFlowId => "dex flowid",
        }
    }
}

impl RouteError {
    /// The attribute at fault, for the extended ack's pointer.
    pub const fn attr(&self) -> RouteAttr {
        match self {
            Self::FreqIncomplete | Self::FreqOutOfRange => RouteAttr::Freq,
            Self::UnknownMode(_) => RouteAttr::Mode,
            Self::NotAnAddress(a) | Self::UnspecifiedAddress(a) | Self::TunnelInline(a) => *a,
            Self::TunDstMissing => RouteAttr::TunDst,
            Self::TwoTraces => RouteAttr::Incremental,
            Self::DexNotAHeader | Self::Dex(_) => RouteAttr::Dex,
            Self::FlowIdWithoutDex => RouteAttr::DexFlowId,
            Self::TraceMissing => RouteAttr::Trace,
            Self::TraceNotAHeader(a)
            | Self::TraceFlags(a)
            | Self::LoopbackTraceType(a)
            | Self::Trace(a, _) => *a,
        }
    }
}

impl core::fmt::Display for RouteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::FreqIncomplete => f.write_str("freq needs both K and N"),
            Self::FreqOutOfRange => {
                write!(f, "freq K/N must satisfy 1 <= K <= N <= {FREQ_MAX}")
            }
            Self::UnknownMode(Some(m)) => {
                write!(f, "mode {m} is unknown: 1 inline, 2 encap, 3 auto")
            }
            Self::UnknownMode(None) => {
                f.write_str("mode must be one byte: 1 inline, 2 encap, 3 auto")
            }
            Self::NotAnAddress(a) => write!(f, "{} must be an IPv6 address", a.keyword()),
            Self::UnspecifiedAddress(a) => {
                write!(f, "{} must not be the unspecified address ::", a.keyword())
            }
            Self::TunnelInline(a) => write!(f, "{} needs mode encap or auto", a.keyword()),
            Self::TunDstMissing => f.write_str("mode encap and auto need a tundst"),
            Self::TraceMissing => f.write_str("missing trace"),
            Self::TwoTraces => f.write_str(
                "one IOAM option per route: a pre-allocated or incremental trace, or DEX",
            ),
            Self::DexNotAHeader => f.write_str("dex must be an 8-byte DEX header"),
            Self::Dex(e) => f.write_str(e.message()),
            Self::FlowIdWithoutDex => f.write_str("a flow id needs dex and is 4 bytes long"),
            Self::TraceNotAHeader(_) => f.write_str("trace must be an 8-byte trace header"),
            Self::TraceFlags(_) => {
                f.write_str("trace header has the overflow flag or reserved bits set")
            }
            Self::LoopbackTraceType(_) => {
                f.write_str("loopback needs trace type 0x800000 alone (RFC 9322)")
            }
            Self::Trace(_, message) => f.write_str(message),
        }
    }
}

fn u32_of(payload: &[u8]) -> Option<u32> {
    payload.try_into().ok().map(u32::from_ne_bytes)
}

fn address(payload: Option<&[u8]>, attr: RouteAttr) -> Result<Option<[u8; 16]>, RouteError> {
    let Some(payload) = payload else {
        return Ok(None);
    };
    let addr: [u8; 16] = payload
        .try_into()
        .map_err(|_| RouteError::NotAnAddress(attr))?;
    if addr == [0; 16] {
        return Err(RouteError::UnspecifiedAddress(attr));
    }
    Ok(Some(addr))
}

/// Checks a route's attributes as upstream's `ioam6_build_state` does, with its defaults
/// (mode inline, freq 1/1), plus what it lets through: `::` as an address, and trace headers
/// with the Overflow flag or reserved bits, which the nodes alone may set. The Loopback and
/// Active flags (RFC 9322, which upstream does not know) are the user's to ask for.
pub fn check_route(attrs: &RouteAttrs<'_>) -> Result<RouteConfig, RouteError> {
    let freq = match (attrs.freq_k, attrs.freq_n) {
        (None, None) => Freq::new(1, 1),
        (Some(k), Some(n)) => match (u32_of(k), u32_of(n)) {
            (Some(k), Some(n)) if k <= FREQ_MAX && n <= FREQ_MAX => Freq::new(k, n),
            _ => None,
        },
        _ => return Err(RouteError::FreqIncomplete),
    }
    .ok_or(RouteError::FreqOutOfRange)?;
    let mode = match attrs.mode {
        None | Some([1]) => Mode::Inline,
        Some([2]) => Mode::Encap,
        Some([3]) => Mode::Auto,
        Some([m]) => return Err(RouteError::UnknownMode(Some(*m))),
        Some(_) => return Err(RouteError::UnknownMode(None)),
    };
    let tunsrc = address(attrs.tunsrc, RouteAttr::TunSrc)?;
    let tundst = address(attrs.tundst, RouteAttr::TunDst)?;
    match (mode, tunsrc.is_some(), tundst.is_some()) {
        (Mode::Inline, true, _) => return Err(RouteError::TunnelInline(RouteAttr::TunSrc)),
        (Mode::Inline, _, true) => return Err(RouteError::TunnelInline(RouteAttr::TunDst)),
        (Mode::Encap | Mode::Auto, _, false) => return Err(RouteError::TunDstMissing),
        _ => {}
    }
    let (option, (trace, flags)) = match (attrs.trace, attrs.incremental, attrs.dex) {
        (Some(raw), None, None) => (TraceOption::Prealloc, check_trace(raw, RouteAttr::Trace)?),
        (None, Some(raw), None) => (
            TraceOption::Incremental,
            check_trace(raw, RouteAttr::Incremental)?,
        ),
        (None, None, Some(raw)) => {
            let (option, trace) = check_dex(raw, attrs.dex_flow_id)?;
            (option, (trace, Flags::default()))
        }
        (None, None, None) => return Err(RouteError::TraceMissing),
        _ => return Err(RouteError::TwoTraces),
    };
    if attrs.dex_flow_id.is_some() && !matches!(option, TraceOption::Dex { .. }) {
        return Err(RouteError::FlowIdWithoutDex);
    }
    Ok(RouteConfig {
        mode,
        freq,
        tundst,
        tunsrc,
        option,
        trace,
        flags,
    })
}

/// Checks the header of a trace route (attribute `which`, pre-allocated or incremental).
fn check_trace(raw: &[u8], which: RouteAttr) -> Result<(TraceHeader, Flags), RouteError> {
    let raw: [u8; TRACE_HDR_LEN] = raw
        .try_into()
        .map_err(|_| RouteError::TraceNotAHeader(which))?;
    // The Overflow flag and the reserved bits are the nodes' to set, not the user's.
    let trace = TraceHeader::from_bytes(raw);
    if trace.overflow || raw[3] & 0x80 != 0 || raw[7] != 0 {
        return Err(RouteError::TraceFlags(which));
    }
    let flags = Flags::of(&raw).unwrap_or_default();
    if flags.loopback && trace.trace_type != LOOPBACK_TRACE_TYPE {
        return Err(RouteError::LoopbackTraceType(which));
    }
    // For an Incremental Trace, the most all nodes may add: the same bounds, as the option's
    // length byte allows no more.
    validate_encap(trace.trace_type, usize::from(trace.remaining_len) * 4)
        .map_err(|e| RouteError::Trace(which, e.message()))?;
    Ok((trace, flags))
}

/// Checks a DEX route's header and Flow ID: the option and the namespace and trace type.
fn check_dex(raw: &[u8], flow_id: Option<&[u8]>) -> Result<(TraceOption, TraceHeader), RouteError> {
    let raw: [u8; DEX_HDR_LEN] = raw.try_into().map_err(|_| RouteError::DexNotAHeader)?;
    let flow_id = flow_id
        .map(|p| u32_of(p).ok_or(RouteError::FlowIdWithoutDex))
        .transpose()?;
    if raw[7] != 0 {
        return Err(RouteError::Dex(DexError::Flags));
    }
    let dex = Dex {
        namespace_id: u16::from_be_bytes([raw[0], raw[1]]),
        flags: raw[2],
        ext_flags: raw[3],
        trace_type: u32::from_be_bytes([0, raw[4], raw[5], raw[6]]),
        flow_id,
        // Checked for its flag only: the value is the route's count.
        sequence: (raw[3] & EXT_SEQUENCE != 0).then_some(0),
    };
    validate_dex(&dex).map_err(RouteError::Dex)?;
    let trace = TraceHeader {
        namespace_id: dex.namespace_id,
        // At most 25 words: fits NodeLen's 5 bits.
        node_len: node_len(dex.trace_type) as u8,
        overflow: false,
        remaining_len: 0,
        trace_type: dex.trace_type,
    };
    let option = TraceOption::Dex {
        ext_flags: dex.ext_flags,
        flow_id,
    };
    Ok((option, trace))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    /// A trace header for namespace 123, type 0x800000, 12 bytes of data.
    const TRACE: [u8; 8] = [0, 123, 0, 3, 0x80, 0, 0, 0];
    const ADDR: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    fn inline() -> RouteAttrs<'static> {
        RouteAttrs {
            trace: Some(&TRACE),
            ..RouteAttrs::default()
        }
    }

    fn message(attrs: &RouteAttrs<'_>) -> (std::string::String, RouteAttr) {
        let e = check_route(attrs).expect_err("refused");
        (e.to_string(), e.attr())
    }

    #[test]
    fn defaults_are_inline_every_packet() {
        let c = check_route(&inline()).expect("valid");
        assert_eq!(c.mode, Mode::Inline);
        assert_eq!((c.freq.k(), c.freq.n()), (1, 1));
        assert_eq!((c.tunsrc, c.tundst), (None, None));
        assert_eq!(c.trace.namespace_id, 123);
        assert_eq!(c.trace.trace_type, 0x80_0000);
        assert_eq!(c.trace.remaining_len, 3);
    }

    #[test]
    fn encap_and_auto_need_tundst() {
        for m in [2u8, 3] {
            let mode = [m];
            let attrs = RouteAttrs {
                mode: Some(&mode),
                ..inline()
            };
            assert_eq!(
                message(&attrs),
                (
                    "mode encap and auto need a tundst".into(),
                    RouteAttr::TunDst
                )
            );
            let with_dst = RouteAttrs {
                tundst: Some(&ADDR),
                tunsrc: Some(&ADDR),
                ..attrs
            };
            let c = check_route(&with_dst).expect("valid");
            assert_eq!(c.mode as u8, m);
            assert_eq!((c.tundst, c.tunsrc), (Some(ADDR), Some(ADDR)));
        }
    }

    #[test]
    fn tunnel_addresses_need_a_tunnel_mode_and_a_real_address() {
        let attrs = RouteAttrs {
            tunsrc: Some(&ADDR),
            ..inline()
        };
        assert_eq!(
            message(&attrs),
            ("tunsrc needs mode encap or auto".into(), RouteAttr::TunSrc)
        );
        let attrs = RouteAttrs {
            tundst: Some(&ADDR),
            ..inline()
        };
        assert_eq!(message(&attrs).0, "tundst needs mode encap or auto");
        let encap = [2u8];
        let zero = [0u8; 16];
        let attrs = RouteAttrs {
            mode: Some(&encap),
            tundst: Some(&zero),
            ..inline()
        };
        assert_eq!(
            message(&attrs),
            (
                "tundst must not be the unspecified address ::".into(),
                RouteAttr::TunDst
            )
        );
        let attrs = RouteAttrs {
            mode: Some(&encap),
            tundst: Some(&ADDR[..4]),
            ..inline()
        };
        assert_eq!(message(&attrs).0, "tundst must be an IPv6 address");
    }

    fn with_freq<'a>(k: &'a [u8], n: &'a [u8]) -> RouteAttrs<'a> {
        RouteAttrs {
            freq_k: Some(k),
            freq_n: Some(n),
            ..inline()
        }
    }

    #[test]
    fn freq_bounds() {
        let [one, two, max, over, zero] = [1, 2, FREQ_MAX, FREQ_MAX + 1, 0].map(u32::to_ne_bytes);
        let c = check_route(&with_freq(&one, &two)).expect("1/2");
        assert_eq!((c.freq.k(), c.freq.n()), (1, 2));
        assert!(check_route(&with_freq(&max, &max)).is_ok());
        for (k, n) in [
            (&two[..], &one[..]),
            (&zero, &one),
            (&one, &over),
            (&over, &over),
            (&one, &one[..2]),
        ] {
            assert_eq!(
                message(&with_freq(k, n)),
                (
                    "freq K/N must satisfy 1 <= K <= N <= 1000000".into(),
                    RouteAttr::Freq
                )
            );
        }
        let only_k = RouteAttrs {
            freq_k: Some(&one),
            ..inline()
        };
        assert_eq!(message(&only_k).0, "freq needs both K and N");
    }

    #[test]
    fn unknown_modes() {
        for (mode, text) in [
            (&[0u8][..], "mode 0 is unknown: 1 inline, 2 encap, 3 auto"),
            (&[4], "mode 4 is unknown: 1 inline, 2 encap, 3 auto"),
            (&[1, 0], "mode must be one byte: 1 inline, 2 encap, 3 auto"),
        ] {
            let attrs = RouteAttrs {
                mode: Some(mode),
                ..inline()
            };
            assert_eq!(message(&attrs), (text.into(), RouteAttr::Mode));
        }
    }

    #[test]
    fn trace_header_checks() {
        assert_eq!(
            message(&RouteAttrs::default()),
            ("missing trace".into(), RouteAttr::Trace)
        );
        let short = RouteAttrs {
            trace: Some(&TRACE[..7]),
            ..RouteAttrs::default()
        };
        assert_eq!(message(&short).0, "trace must be an 8-byte trace header");
        for (byte, bits) in [(2, 0x04), (3, 0x80), (7, 0x01)] {
            let mut t = TRACE;
            t[byte] |= bits;
            let attrs = RouteAttrs {
                trace: Some(&t),
                ..RouteAttrs::default()
            };
            assert_eq!(
                message(&attrs).0,
                "trace header has the overflow flag or reserved bits set",
                "byte {byte} bits {bits:#x}"
            );
        }
        let mut zero_type = TRACE;
        zero_type[4] = 0;
        let attrs = RouteAttrs {
            trace: Some(&zero_type),
            ..RouteAttrs::default()
        };
        assert_eq!(message(&attrs).0, "trace type must not be 0");
        let mut empty = TRACE;
        empty[3] = 0;
        let attrs = RouteAttrs {
            trace: Some(&empty),
            ..RouteAttrs::default()
        };
        assert_eq!(message(&attrs).0, "trace size must be between 4 and 244");
    }

    #[test]
    fn rfc9322_flags_are_the_users() {
        assert_eq!(
            check_route(&inline()).expect("valid").flags,
            Flags::default()
        );
        for (bits, loopback, active) in
            [(0x02, true, false), (0x01, false, true), (0x03, true, true)]
        {
            for which in [RouteAttr::Trace, RouteAttr::Incremental] {
                let mut t = TRACE;
                t[2] |= bits;
                let attrs = match which {
                    RouteAttr::Trace => RouteAttrs {
                        trace: Some(&t),
                        ..RouteAttrs::default()
                    },
                    _ => RouteAttrs {
                        incremental: Some(&t),
                        ..RouteAttrs::default()
                    },
                };
                let c = check_route(&attrs).expect("valid");
                assert_eq!(c.flags, Flags { loopback, active });
                assert_eq!(c.trace.trace_type, 0x80_0000);
            }
        }
        // Loopback with more than node ids: refused, pointing at the trace.
        let mut t = TRACE;
        t[2] |= 0x02;
        t[4] = 0xc0;
        let attrs = RouteAttrs {
            trace: Some(&t),
            ..RouteAttrs::default()
        };
        assert_eq!(
            message(&attrs),
            (
                "loopback needs trace type 0x800000 alone (RFC 9322)".into(),
                RouteAttr::Trace
            )
        );
        // Active alone takes any type.
        t[2] = (t[2] & !0x03) | 0x01;
        let attrs = RouteAttrs {
            trace: Some(&t),
            ..RouteAttrs::default()
        };
        assert!(check_route(&attrs).expect("valid").flags.active);
    }

    #[test]
    fn one_trace_pre_allocated_or_incremental() {
        let c = check_route(&inline()).expect("valid");
        assert_eq!(c.option, TraceOption::Prealloc);
        let incremental = RouteAttrs {
            incremental: Some(&TRACE),
            ..RouteAttrs::default()
        };
        let c = check_route(&incremental).expect("valid");
        assert_eq!(c.option, TraceOption::Incremental);
        assert_eq!((c.trace.namespace_id, c.trace.remaining_len), (123, 3));
        let both = RouteAttrs {
            incremental: Some(&TRACE),
            ..inline()
        };
        assert_eq!(
            message(&both),
            (
                "one IOAM option per route: a pre-allocated or incremental trace, or DEX".into(),
                RouteAttr::Incremental
            )
        );
        // The incremental header is checked as the pre-allocated one.
        let mut flags = TRACE;
        flags[2] |= 0x04;
        let attrs = RouteAttrs {
            incremental: Some(&flags),
            ..RouteAttrs::default()
        };
        assert_eq!(
            message(&attrs),
            (
                "trace header has the overflow flag or reserved bits set".into(),
                RouteAttr::Incremental
            )
        );
        let attrs = RouteAttrs {
            incremental: Some(&TRACE[..4]),
            ..RouteAttrs::default()
        };
        assert_eq!(message(&attrs).0, "trace must be an 8-byte trace header");
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod dex_tests {
    extern crate std;
    use super::*;
    use crate::dex::{EXT_FLOW_ID, EXT_KNOWN};
    use std::string::ToString;

    /// A DEX header for namespace 123, type 0xf00000, with the Extension-Flags `ext`.
    const fn header(ext: u8) -> [u8; 8] {
        [0, 123, 0, ext, 0xf0, 0, 0, 0]
    }

    fn check(dex: &[u8], flow: Option<&[u8]>) -> Result<RouteConfig, RouteError> {
        check_route(&RouteAttrs {
            dex: Some(dex),
            dex_flow_id: flow,
            ..RouteAttrs::default()
        })
    }

    #[test]
    fn dex_routes() {
        let flow = 77u32.to_ne_bytes();
        let c = check(&header(EXT_KNOWN), Some(&flow)).expect("valid");
        assert_eq!(
            c.option,
            TraceOption::Dex {
                ext_flags: EXT_KNOWN,
                flow_id: Some(77)
            }
        );
        assert_eq!((c.trace.namespace_id, c.trace.trace_type), (123, 0xf00000));
        assert_eq!((c.trace.node_len, c.trace.remaining_len), (4, 0));
        let c = check(&header(0), None).expect("valid");
        assert_eq!(
            c.option,
            TraceOption::Dex {
                ext_flags: 0,
                flow_id: None
            }
        );
    }

    #[test]
    fn dex_refusals() {
        let flow = 1u32.to_ne_bytes();
        let refused = |dex: &[u8], flow: Option<&[u8]>| {
            let e = check(dex, flow).expect_err("refused");
            (e.to_string(), e.attr())
        };
        let flags = DexError::Flags.message().to_string();
        assert_eq!(
            refused(&header(EXT_FLOW_ID), None),
            (flags.clone(), RouteAttr::Dex)
        );
        assert_eq!(refused(&header(0), Some(&flow)).0, flags);
        assert_eq!(refused(&header(0x20), None).0, flags);
        let mut rsv = header(0);
        rsv[7] = 1;
        assert_eq!(refused(&rsv, None).0, flags);
        let mut sum = header(0);
        sum[4] = 0x01;
        assert_eq!(refused(&sum, None).0, DexError::TraceType.message());
        assert_eq!(
            refused(&header(0)[..7], None),
            ("dex must be an 8-byte DEX header".into(), RouteAttr::Dex)
        );
        assert_eq!(
            refused(&header(EXT_FLOW_ID), Some(&flow[..2])),
            (
                "a flow id needs dex and is 4 bytes long".into(),
                RouteAttr::DexFlowId
            )
        );
        let trace = [0, 123, 0, 3, 0x80, 0, 0, 0];
        let both = RouteAttrs {
            trace: Some(&trace),
            dex: Some(&header(0)),
            ..RouteAttrs::default()
        };
        assert!(matches!(check_route(&both), Err(RouteError::TwoTraces)));
        let stray = RouteAttrs {
            trace: Some(&trace),
            dex_flow_id: Some(&flow),
            ..RouteAttrs::default()
        };
        assert!(matches!(
            check_route(&stray),
            Err(RouteError::FlowIdWithoutDex)
        ));
    }
}
