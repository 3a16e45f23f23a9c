//! The grammar of `ioamctl route`: `ip -6 route`'s words for an `encap ioam6` route, with
//! `trace incremental ... maxlen LEN` and `dex ...` beside iproute2's `trace prealloc ...`.
//!
//! ```text
//! route {add | replace} PREFIX encap ioam6 [freq K/N] [mode {inline | encap | auto}]
//!       [tunsrc ADDR] [tundst ADDR]
//!       {trace {prealloc type TYPE ns NS size SIZE | incremental type TYPE ns NS maxlen LEN}
//!              [loopback] [active]
//!        | dex type TYPE ns NS [flowid ID] [seqnum]}
//!       [via ADDR] [dev DEV]
//! route del PREFIX
//! route show [PREFIX]
//! ```
//! The encapsulation is checked by `ioam_wire`'s `check_route`, as the module checks it.

use std::ffi::OsStr;
use std::net::Ipv6Addr;

use ioam_wire::dex::{validate_dex, Dex, EXT_FLOW_ID, EXT_SEQUENCE};
use ioam_wire::flags::{Flags, LOOPBACK_TRACE_TYPE};
use ioam_wire::option::validate_encap;

use crate::args::{invalid, number, quoted, required, stray, ParseFailure, WordIter};
use crate::number::Base;
use crate::route::{dex_payload, parse_prefix, trace_payload, Encap, Prefix, Route};
use ioam_uapi::route::attr;

const PREFIX_FORM: &str = "an IPv6 prefix ADDR/LEN (ADDR alone is ADDR/128)";
const ADDR_FORM: &str = "an IPv6 address";

/// `PREFIX`.
pub(crate) fn prefix(words: &mut WordIter, context: &str) -> Result<Prefix, ParseFailure> {
    let word = required(words, context, &format!("PREFIX, {PREFIX_FORM}"))?;
    parse_prefix(word).ok_or_else(|| invalid("prefix", word, PREFIX_FORM))
}

fn address(words: &mut WordIter, keyword: &str) -> Result<Ipv6Addr, ParseFailure> {
    let word = required(words, keyword, ADDR_FORM)?;
    word.to_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| invalid(&format!("{keyword} address"), word, ADDR_FORM))
}

/// `freq K/N`: the words of iproute2's `get_u32` on each half.
fn freq(words: &mut WordIter) -> Result<(u32, u32), ParseFailure> {
    let form = "K/N, two integers with 1 <= K <= N <= 1000000";
    let word = required(words, "freq", form)?;
    let parts = word.to_str().and_then(|text| text.split_once('/'));
    let half = |text: &str| number::<u32>(OsStr::new(text), Base::Auto, |_| true);
    match parts.map(|(k, n)| (half(k), half(n))) {
        Some((Some(k), Some(n))) => Ok((k, n)),
        _ => Err(invalid("freq", word, form)),
    }
}

/// The words of the trace after `trace`: its kind, `type`, `ns` and the length.
struct Trace {
    incremental: bool,
    trace_type: u32,
    ns: u16,
    len: u32,
    /// RFC 9322 `loopback` and `active`.
    flags: Flags,
}

/// The words after `dex`: `type`, `ns`, and the optional fields asked for.
struct DexWords {
    trace_type: u32,
    ns: u16,
    flow_id: Option<u32>,
    seqnum: bool,
}

/// The IOAM option a route inserts.
enum Inserted {
    Trace(Trace),
    Dex(DexWords),
}

/// `type TYPE ns NS` of a trace or DEX.
fn type_and_ns(words: &mut WordIter, context: &str) -> Result<(u32, u16), ParseFailure> {
    keyword(words, context, "type")?;
    let word = required(words, "type", "TYPE, a 24-bit trace type such as 0x800000")?;
    let trace_type = number::<u32>(word, Base::Auto, |_| true)
        .ok_or_else(|| invalid("trace type", word, "a 24-bit trace type such as 0x800000"))?;
    keyword(words, context, "ns")?;
    let word = required(words, "ns", "NS, an integer 0..65535")?;
    let ns = number::<u16>(word, Base::Auto, |_| true)
        .ok_or_else(|| invalid("namespace id", word, "an integer 0..65535"))?;
    Ok((trace_type, ns))
}

/// `dex type TYPE ns NS [flowid ID] [seqnum]`, after `dex`; the words that follow it are
/// left for the caller.
fn dex(words: &mut WordIter) -> Result<DexWords, ParseFailure> {
    let (trace_type, ns) = type_and_ns(words, "dex")?;
    let mut dex = DexWords {
        trace_type,
        ns,
        flow_id: None,
        seqnum: false,
    };
    loop {
        match words.as_slice().first().and_then(|w| w.to_str()) {
            Some("flowid") if dex.flow_id.is_none() => {
                words.next();
                let form = "ID, an integer 0..4294967295";
                let word = required(words, "flowid", form)?;
                dex.flow_id = Some(
                    number::<u32>(word, Base::Auto, |_| true)
                        .ok_or_else(|| invalid("flowid", word, form))?,
                );
            }
            Some("seqnum") if !dex.seqnum => {
                words.next();
                dex.seqnum = true;
            }
            _ => break,
        }
    }
    // Checked here too, as `trace()` checks its type: the attribute holds 24 bits only, a
    // wider type would be cut.
    let checked = Dex {
        namespace_id: ns,
        flags: 0,
        ext_flags: 0,
        trace_type,
        flow_id: None,
        sequence: None,
    };
    validate_dex(&checked)
        .map_err(|e| ParseFailure::Invalid(format!("invalid dex: {}", e.message())))?;
    Ok(dex)
}

fn trace(words: &mut WordIter) -> Result<Trace, ParseFailure> {
    let kind = required(words, "trace", "\"prealloc\" or \"incremental\"")?;
    let (incremental, len_keyword) = match kind.to_str() {
        Some("prealloc") => (false, "size"),
        Some("incremental") => (true, "maxlen"),
        _ => return Err(invalid("trace", kind, "\"prealloc\" or \"incremental\"")),
    };
    let context = if incremental {
        "trace incremental"
    } else {
        "trace prealloc"
    };
    let (trace_type, ns) = type_and_ns(words, context)?;
    keyword(words, context, len_keyword)?;
    let form = "a multiple of 4 between 4 and 244 (bytes)";
    let word = required(words, len_keyword, form)?;
    let len = number::<u32>(word, Base::Auto, |_| true)
        .ok_or_else(|| invalid(len_keyword, word, form))?;
    let checked = usize::try_from(len).unwrap_or(usize::MAX);
    validate_encap(trace_type, checked)
        .map_err(|e| ParseFailure::Invalid(format!("invalid {context}: {}", e.message())))?;
    let mut flags = Flags::default();
    loop {
        match words.as_slice().first().and_then(|w| w.to_str()) {
            Some("loopback") if !flags.loopback => flags.loopback = true,
            Some("active") if !flags.active => flags.active = true,
            _ => break,
        }
        words.next();
    }
    if flags.loopback && trace_type != LOOPBACK_TRACE_TYPE {
        return Err(ParseFailure::Invalid(format!(
            "invalid {context}: loopback needs trace type {LOOPBACK_TRACE_TYPE:#08x} alone \
             (RFC 9322), not {trace_type:#08x}"
        )));
    }
    Ok(Trace {
        incremental,
        trace_type,
        ns,
        len,
        flags,
    })
}

/// The keyword `expected` next.
fn keyword(words: &mut WordIter, context: &str, expected: &str) -> Result<(), ParseFailure> {
    let word = required(words, context, &format!("\"{expected}\""))?;
    if word == expected {
        return Ok(());
    }
    let expected = format!("\"{expected}\"");
    Err(ParseFailure::Invalid(stray(word, context, &expected, &[])))
}

/// `route {add | replace} ...` after the verb.
pub(crate) fn route_add(
    words: &mut WordIter,
    verb: &str,
    index_of: fn(&OsStr) -> Option<u32>,
) -> Result<Route, ParseFailure> {
    let context = format!("route {verb}");
    let prefix = prefix(words, &context)?;
    for expected in ["encap", "ioam6"] {
        let word = required(words, &context, &format!("\"{expected}\""))?;
        if word != expected {
            return Err(ParseFailure::Invalid(stray(
                word,
                &format!("{context} PREFIX"),
                "\"encap ioam6\" (only ioam6 routes are this tool's)",
                &[],
            )));
        }
    }
    let (mut freq_kn, mut mode, mut tunsrc, mut tundst, mut found) = (None, None, None, None, None);
    let mut via = None;
    let mut dev = None;
    let keywords = "freq, mode, tunsrc, tundst, trace, dex, via or dev";
    while let Some(word) = words.next() {
        match word.to_str() {
            Some("freq") if found.is_none() => freq_kn = Some(freq(words)?),
            Some("mode") if found.is_none() => {
                let form = "\"inline\", \"encap\" or \"auto\"";
                let word = required(words, "mode", form)?;
                mode = Some(match word.to_str() {
                    Some("inline") => 1u8,
                    Some("encap") => 2,
                    Some("auto") => 3,
                    _ => return Err(invalid("mode", word, form)),
                });
            }
            Some("tunsrc") if found.is_none() => tunsrc = Some(address(words, "tunsrc")?),
            Some("tundst") if found.is_none() => tundst = Some(address(words, "tundst")?),
            Some("trace") if found.is_none() => found = Some(Inserted::Trace(trace(words)?)),
            Some("dex") if found.is_none() => found = Some(Inserted::Dex(dex(words)?)),
            Some("via") => via = Some(address(words, "via")?),
            Some("dev") => {
                let name = required(words, "dev", "DEV, an interface name")?;
                dev = Some(index_of(name).ok_or_else(|| {
                    ParseFailure::Invalid(format!("cannot find device {}", quoted(name)))
                })?);
            }
            _ => {
                return Err(ParseFailure::Invalid(stray(
                    word,
                    &format!("{context} PREFIX encap ioam6"),
                    keywords,
                    &["freq", "mode", "tunsrc", "tundst", "trace", "dex"],
                )))
            }
        }
    }
    let inserted = found.ok_or_else(|| {
        ParseFailure::Invalid(format!(
            "{context} needs a trace or DEX: trace {{prealloc ... size SIZE | incremental ... \
             maxlen LEN}} or dex type TYPE ns NS [flowid ID] [seqnum]"
        ))
    })?;
    // The attributes the module will read, checked as it checks them.
    let mut attrs: Vec<(u16, Vec<u8>)> = Vec::new();
    if let Some(m) = mode {
        attrs.push((attr::MODE, vec![m]));
    }
    if let Some((k, n)) = freq_kn {
        attrs.push((attr::FREQ_K, k.to_ne_bytes().to_vec()));
        attrs.push((attr::FREQ_N, n.to_ne_bytes().to_vec()));
    }
    if let Some(a) = tunsrc {
        attrs.push((attr::SRC, a.octets().to_vec()));
    }
    if let Some(a) = tundst {
        attrs.push((attr::DST, a.octets().to_vec()));
    }
    match inserted {
        Inserted::Trace(trace) => {
            // `trace()` checked the length: at most 244 bytes.
            let remaining_len = u8::try_from(trace.len / 4).unwrap_or(u8::MAX);
            let header = trace_payload(trace.ns, trace.trace_type, remaining_len, trace.flags);
            let kind = if trace.incremental {
                attr::INCREMENTAL_TRACE
            } else {
                attr::TRACE
            };
            attrs.push((kind, header.to_vec()));
        }
        Inserted::Dex(dex) => {
            let mut ext_flags = 0;
            if let Some(id) = dex.flow_id {
                ext_flags |= EXT_FLOW_ID;
                attrs.push((attr::DEX_FLOW_ID, id.to_ne_bytes().to_vec()));
            }
            if dex.seqnum {
                ext_flags |= EXT_SEQUENCE;
            }
            let header = dex_payload(dex.ns, dex.trace_type, ext_flags);
            attrs.push((attr::DEX, header.to_vec()));
        }
    }
    let borrowed: Vec<(u16, &[u8])> = attrs.iter().map(|(k, p)| (*k, p.as_slice())).collect();
    let encap = Encap::from_attributes(&borrowed)
        .map_err(|message| ParseFailure::Invalid(format!("invalid encap ioam6: {message}")))?;
    Ok(Route {
        prefix,
        encap,
        via,
        dev,
    })
}

#[cfg(test)]
mod tests {
    use crate::args::{parse_with, Command, ParseFailure};
    use crate::route::{route_of, Encap, Prefix, Route, RouteInfo};
    use ioam_wire::route::{Mode, TraceOption};

    fn parse(line: &str) -> Result<Command, ParseFailure> {
        let words = std::iter::once("ioamctl").chain(line.split_whitespace());
        parse_with(words, |name| (name == "right").then_some(7)).map(|i| i.command)
    }

    fn route(line: &str) -> Route {
        match parse(line) {
            Ok(Command::AddRoute { route, .. }) => route,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        match parse(line) {
            Err(ParseFailure::Invalid(message)) => message,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn rfc9322_flags() {
        let r = route(
            "route add 2001:db8::/64 encap ioam6 mode encap tundst 2001:db8::9 trace prealloc \
             type 0x800000 ns 1 size 12 loopback active via 2001:db8:1::2",
        );
        assert!(r.encap.0.flags.loopback && r.encap.0.flags.active);
        let info = RouteInfo::of(&r, None);
        assert!(
            info.line()
                .ends_with("size 12 loopback active via 2001:db8:1::2"),
            "{}",
            info.line()
        );
        let json = serde_json::to_string(&info).unwrap();
        assert!(json.contains("\"loopback\":true,\"active\":true"), "{json}");
        // Either order, incremental too; each once.
        let r = route(
            "route add ::/0 encap ioam6 trace incremental type 0xc00000 ns 1 maxlen 40 active \
             dev right",
        );
        assert!(r.encap.0.flags.active && !r.encap.0.flags.loopback);
        let add = "route add ::/0 encap ioam6 trace prealloc type 0x800000 ns 1 size 12";
        assert!(
            route(&format!("{add} active loopback"))
                .encap
                .0
                .flags
                .loopback
        );
        assert!(
            error(&format!("{add} loopback loopback")).starts_with("unknown argument \"loopback\"")
        );
        assert_eq!(
            error("route add ::/0 encap ioam6 trace prealloc type 0xc00000 ns 1 size 12 loopback"),
            "invalid trace prealloc: loopback needs trace type 0x800000 alone (RFC 9322), \
             not 0xc00000"
        );
        // The attributes carry the flags in the trace header, and read back the same.
        let attrs = r.encap.attributes();
        let borrowed: Vec<(u16, &[u8])> = attrs.iter().map(|(k, p)| (*k, p.as_slice())).collect();
        assert_eq!(Encap::from_attributes(&borrowed), Ok(r.encap));
    }

    #[test]
    fn incremental_route_with_every_option() {
        let r = route(
            "route add 2001:db8:3::/64 encap ioam6 freq 2/5 mode encap tunsrc 2001:db8::1 \
             tundst 2001:db8:3::2 trace incremental type 0xc00000 ns 123 maxlen 40 \
             via 2001:db8:1::2 dev right",
        );
        assert_eq!(
            r.prefix,
            Prefix {
                addr: "2001:db8:3::".parse().unwrap(),
                len: 64
            }
        );
        assert_eq!(
            (r.via, r.dev),
            (Some("2001:db8:1::2".parse().unwrap()), Some(7))
        );
        let c = r.encap.0;
        assert_eq!((c.freq.k(), c.freq.n(), c.mode), (2, 5, Mode::Encap));
        assert_eq!(c.option, TraceOption::Incremental);
        assert_eq!(
            (
                c.trace.namespace_id,
                c.trace.trace_type,
                c.trace.remaining_len
            ),
            (123, 0xc0_0000, 10)
        );
        let info = RouteInfo::of(&r, Some("right".into()));
        assert_eq!(
            info.line(),
            "2001:db8:3::/64 encap ioam6 freq 2/5 mode encap tunsrc 2001:db8::1 \
             tundst 2001:db8:3::2 trace incremental type 0xc00000 ns 123 maxlen 40 \
             via 2001:db8:1::2 dev right"
        );
    }

    #[test]
    fn dex_routes() {
        let r = route(
            "route add 2001:db8:3::/64 encap ioam6 freq 1/10 mode inline dex type 0xf00000 \
             ns 123 flowid 0x10 seqnum via 2001:db8:1::2",
        );
        let c = r.encap.0;
        assert_eq!(
            c.option,
            TraceOption::Dex {
                ext_flags: 0xc0,
                flow_id: Some(16)
            }
        );
        assert_eq!((c.trace.namespace_id, c.trace.trace_type), (123, 0xf0_0000));
        let info = RouteInfo::of(&r, None);
        assert_eq!(
            info.line(),
            "2001:db8:3::/64 encap ioam6 freq 1/10 mode inline dex type 0xf00000 ns 123 \
             flowid 16 seqnum via 2001:db8:1::2"
        );
        let json = serde_json::to_string(&info).unwrap();
        assert!(json.contains("\"trace\":\"dex\"") && json.contains("\"flowid\":16"));
        assert!(json.contains("\"seqnum\":true") && !json.contains("size"));
        // Either optional field alone, in either order with the next keywords.
        let r = route("route add ::/0 encap ioam6 dex type 0x800000 ns 1 seqnum dev right");
        assert_eq!(
            r.encap.0.option,
            TraceOption::Dex {
                ext_flags: 0x40,
                flow_id: None
            }
        );
        assert_eq!(r.dev, Some(7));
        let line = RouteInfo::of(&r, None).line();
        assert!(line.ends_with("dex type 0x800000 ns 1 seqnum"), "{line}");
        let r = route("route add ::/0 encap ioam6 dex type 0x800000 ns 1");
        assert_eq!(
            r.encap.0.option,
            TraceOption::Dex {
                ext_flags: 0,
                flow_id: None
            }
        );
    }

    #[test]
    fn bad_dex_words_are_named() {
        let add = "route add 2001:db8::/64 encap ioam6";
        let bad_type = format!(
            "invalid dex: {}",
            ioam_wire::dex::DexError::TraceType.message()
        );
        assert_eq!(error(&format!("{add} dex type 0x000100 ns 1")), bad_type);
        // 0x800000 once cut to the attribute's 24 bits: refused, not cut.
        assert_eq!(error(&format!("{add} dex type 0x1800000 ns 1")), bad_type);
        assert!(error(&format!("{add} dex ns 1")).contains("expected \"type\""));
        assert_eq!(
            error(&format!("{add} dex type 0x800000 ns 1 flowid x")),
            "invalid flowid \"x\": expected ID, an integer 0..4294967295"
        );
        assert!(
            error(&format!("{add} dex type 0x800000 ns 1 seqnum seqnum"))
                .starts_with("unknown argument \"seqnum\"")
        );
        assert!(error(&format!(
            "{add} dex type 0x800000 ns 1 trace prealloc type 0x800000 ns 1 size 4"
        ))
        .starts_with("unexpected argument \"trace\""));
    }

    #[test]
    fn prealloc_route_with_defaults_and_replace() {
        let r =
            route("route add 2001:db8:3::1 encap ioam6 trace prealloc type 0x800000 ns 1 size 12");
        assert_eq!(r.prefix.len, 128);
        assert_eq!(
            (r.encap.0.mode, r.encap.0.option),
            (Mode::Inline, TraceOption::Prealloc)
        );
        assert_eq!(
            RouteInfo::of(&r, None).line(),
            "2001:db8:3::1/128 encap ioam6 freq 1/1 mode inline trace prealloc type 0x800000 ns 1 size 12"
        );
        let replace =
            parse("route replace ::/0 encap ioam6 trace prealloc type 0x800000 ns 1 size 4");
        assert!(matches!(
            replace,
            Ok(Command::AddRoute { replace: true, .. })
        ));
    }

    #[test]
    fn bad_words_are_named() {
        let add = "route add 2001:db8::/64 encap ioam6";
        let trace = "trace incremental type 0x800000 ns 1 maxlen 8";
        assert_eq!(
            error("route add nowhere"),
            "invalid prefix \"nowhere\": expected an IPv6 prefix ADDR/LEN (ADDR alone is ADDR/128)"
        );
        assert!(error("route add 2001:db8::/64 encap seg6").contains("\"encap ioam6\""));
        assert!(error(add).contains("needs a trace"));
        assert_eq!(
            error(&format!("{add} mode fast {trace}")),
            "invalid mode \"fast\": expected \"inline\", \"encap\" or \"auto\""
        );
        assert!(error(&format!("{add} freq 3 {trace}")).starts_with("invalid freq \"3\""));
        assert_eq!(
            error(&format!("{add} freq 3/2 {trace}")),
            "invalid encap ioam6: freq K/N must satisfy 1 <= K <= N <= 1000000"
        );
        assert_eq!(
            error(&format!("{add} mode auto {trace}")),
            "invalid encap ioam6: mode encap and auto need a tundst"
        );
        assert_eq!(
            error(&format!(
                "{add} trace incremental type 0x800000 ns 1 maxlen 6"
            )),
            "invalid trace incremental: trace size must be a multiple of 4"
        );
        assert_eq!(
            error(&format!(
                "{add} trace incremental type 0x800000 ns 1 maxlen 248"
            )),
            "invalid trace incremental: trace size must be between 4 and 244"
        );
        assert_eq!(
            error(&format!("{add} trace incremental type 0 ns 1 maxlen 8")),
            "invalid trace incremental: trace type must not be 0"
        );
        assert!(error(&format!(
            "{add} trace incremental type 0x800000 ns 1 size 8"
        ))
        .contains("expected \"maxlen\""));
        assert!(error(&format!("{add} trace sparse")).starts_with("invalid trace \"sparse\""));
        assert!(
            error(&format!("{add} {trace} freq 1/2")).starts_with("unexpected argument \"freq\"")
        );
        assert_eq!(
            error(&format!("{add} {trace} dev nothere")),
            "cannot find device \"nothere\""
        );
        assert!(error("route del 2001:db8::/64 extra").contains("expected nothing more"));
    }

    #[test]
    fn show_and_del_take_a_prefix() {
        assert_eq!(
            parse("route").unwrap(),
            Command::ShowRoutes { prefix: None }
        );
        assert_eq!(
            parse("route show 2001:db8::/32").unwrap(),
            Command::ShowRoutes {
                prefix: Some(Prefix {
                    addr: "2001:db8::".parse().unwrap(),
                    len: 32
                })
            }
        );
        assert!(matches!(
            parse("route del 2001:db8::/32").unwrap(),
            Command::DelRoute { .. }
        ));
    }

    /// A route as the kernel dumps it: the attributes `ioamctl route add` sends, with the
    /// nested flag on RTA_ENCAP.
    #[test]
    fn dumped_routes_read_back() {
        use neli::consts::rtnl::{RtAddrFamily, RtScope, RtTable, Rta, Rtn, Rtprot};
        use neli::rtnl::{RtattrBuilder, RtmsgBuilder};
        use neli::types::{Buffer, RtBuffer};
        let r = route(
            "route add 2001:db8:3::/64 encap ioam6 freq 1/3 trace incremental type 0x800000 ns 9 maxlen 8 via 2001:db8:1::2 dev right",
        );
        let attr = |kind: Rta, payload: &[u8]| {
            RtattrBuilder::default()
                .rta_type(kind)
                .rta_payload(Buffer::from(payload))
                .build()
                .unwrap()
        };
        let mut nested = Vec::new();
        for (kind, payload) in r.encap.attributes() {
            nested.extend(((4 + payload.len()) as u16).to_ne_bytes());
            nested.extend(kind.to_ne_bytes());
            nested.extend(&payload);
            nested.resize(nested.len().next_multiple_of(4), 0);
        }
        let mut attrs = RtBuffer::new();
        attrs.push(attr(Rta::Dst, &r.prefix.addr.octets()));
        attrs.push(attr(Rta::Gateway, &r.via.unwrap().octets()));
        attrs.push(attr(Rta::Oif, &7u32.to_ne_bytes()));
        attrs.push(attr(Rta::EncapType, &9u16.to_ne_bytes()));
        attrs.push(attr(
            Rta::UnrecognizedConst(u16::from(Rta::Encap) | 0x8000),
            &nested,
        ));
        let msg = |table: RtTable, attrs| {
            RtmsgBuilder::default()
                .rtm_family(RtAddrFamily::Inet6)
                .rtm_dst_len(64)
                .rtm_src_len(0)
                .rtm_tos(0)
                .rtm_table(table)
                .rtm_protocol(Rtprot::Boot)
                .rtm_scope(RtScope::Universe)
                .rtm_type(Rtn::Unicast)
                .rtattrs(attrs)
                .build()
                .unwrap()
        };
        let read = route_of(&msg(RtTable::Main, attrs)).unwrap().unwrap();
        assert_eq!(read, r);
        // Other tables and routes without the encapsulation are not ours.
        let mut plain = RtBuffer::new();
        plain.push(attr(Rta::Dst, &r.prefix.addr.octets()));
        assert!(route_of(&msg(RtTable::Main, plain)).is_none());
    }
}
