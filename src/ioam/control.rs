// SPDX-License-Identifier: GPL-2.0
//! The control plane: the generic netlink family's commands on the per-network-namespace
//! state (`state`): namespaces, schemas, interface switches, counters and event limits.

use kernel::{
    alloc::{flags::GFP_KERNEL_ACCOUNT, KVec},
    prelude::*,
    sync::Arc,
};

use crate::{
    ioam::{
        egress::Egress,
        events, export,
        ratelimit::RateLimit,
        state::{Namespace, NetState, Registry, Schema, SchemaEntry},
        transit::Transit,
    },
    net::{
        device::{NetDevice, NetdevEvents},
        genl::{self, Dump, Request},
        netfilter::{LazyNetHook, PerNetHook},
        netlink::{fail, Extack, PolicyEntry},
        pernet::{self, Net},
    },
    sync::rcu::{self, RcuCell, RcuValue},
    uapi::{
        attr, cmd, stat, EVENT_LIMIT_MAX, NAMESPACES_PER_NET_MAX, NS_DATA_UNAVAILABLE,
        NS_DATA_WIDE_UNAVAILABLE, SCHEMAS_PER_NET_MAX, SCHEMA_DATA_MAX, SCHEMA_ID_MAX,
    },
    wire::{timestamp::TsFormat, trace::OssHeader},
};

// The netlink contract and the packet format state the snapshot limits separately.
const _: () = assert!(
    SCHEMA_ID_MAX == crate::wire::trace::SCHEMA_ID_MAX
        && SCHEMA_DATA_MAX == crate::wire::trace::SCHEMA_DATA_MAX
);

fn state<'a>(net: &'a pernet::Net, ack: &Extack<'_>) -> Result<&'a NetState> {
    pernet::lookup::<NetState>(net)
        .ok_or_else(|| fail!(ack, ENODEV, "ioam_rs: no state for this network namespace"))
}

// The receive hook (transit and decapsulating nodes) is registered in a network namespace only
// while it has work there (`NetState::has_receive_work`): every other IPv6 packet costs
// nothing. A change that may give it work registers it first, so that a failure changes
// nothing; after every change it goes if it has no work left. Both under the registry lock.

/// Registers the receive hook of `net`, before a change that may give it work.
fn receive_hook_on(net: &Net, ack: &Extack<'_>) -> Result {
    pernet::lookup::<PerNetHook<Transit>>(net)
        .ok_or(ENODEV)
        .and_then(|hook| hook.set(true))
        .inspect_err(|_| ack.message(format_args!("ioam_rs: cannot register the receive hook")))
}

/// Takes the receive hook of `net` down if it has no work left, and the egress hook with it
/// (registered again when a packet needs it).
fn receive_hook_follow(net: &Net, st: &NetState, reg: &Registry) {
    if !st.has_receive_work(reg) {
        if let Some(hook) = pernet::lookup::<PerNetHook<Transit>>(net) {
            // Unregistering cannot fail.
            let _ = hook.set(false);
        }
        if let Some(hook) = pernet::lookup::<LazyNetHook<Egress>>(net) {
            hook.take_down();
        }
    }
}

impl NetdevEvents for NetState {
    // A dying network namespace loses its devices before this state goes: the kernel runs the
    // device operations' exit (which unregisters them) before the subsystems' exit.
    fn unregistering(dev: &NetDevice) {
        let net = dev.net();
        if let Some(st) = pernet::lookup::<NetState>(net) {
            let reg = st.registry.lock();
            st.forget_interface(&reg, dev.ifindex());
            receive_hook_follow(net, st, &reg);
        }
    }
}

fn required<T>(value: Option<T>, ack: &Extack<'_>, what: &str) -> Result<T> {
    value.ok_or_else(|| fail!(ack, EINVAL, "missing {}", what))
}

fn add_namespace(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let id = required(req.u16(attr::NS_ID)?, &ack, "namespace id")?;
    let ns = Namespace {
        data: req.u32(attr::NS_DATA)?.unwrap_or(NS_DATA_UNAVAILABLE),
        wide: req
            .u64(attr::NS_DATA_WIDE)?
            .unwrap_or(NS_DATA_WIDE_UNAVAILABLE),
        schema: RcuCell::new(),
        tsformat: match req.u8(attr::NS_TSFORMAT)? {
            None => TsFormat::Posix,
            Some(v) => TsFormat::from_u8(v).ok_or_else(|| {
                fail!(
                    ack,
                    EINVAL,
                    "timestamp format {} is unknown: 0 posix, 1 ptp, 2 ntp",
                    v
                )
            })?,
        },
    };
    let st = state(req.net(), &ack)?;
    let mut reg = st.registry.lock();
    if reg.namespace_count >= NAMESPACES_PER_NET_MAX {
        return Err(fail!(
            ack,
            ENOSPC,
            "too many namespaces: at most {} per network namespace",
            NAMESPACES_PER_NET_MAX
        ));
    }
    receive_hook_on(req.net(), &ack)?;
    let inserted = st.namespaces.insert(id, ns).map_err(|e| {
        let err = Error::from(e);
        if err == EEXIST {
            fail!(ack, err, "namespace {} already exists", id)
        } else {
            err
        }
    });
    if inserted.is_ok() {
        reg.namespace_count = reg.namespace_count.saturating_add(1);
    }
    receive_hook_follow(req.net(), st, &reg);
    inserted
}

fn del_namespace(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let id = required(req.u16(attr::NS_ID)?, &ack, "namespace id")?;
    let st = state(req.net(), &ack)?;
    let mut reg = st.registry.lock();
    if !st.namespaces.remove(id) {
        return Err(fail!(ack, ENOENT, "namespace {} does not exist", id));
    }
    reg.namespace_count = reg.namespace_count.saturating_sub(1);
    reg.unbind_schema_of(id);
    receive_hook_follow(req.net(), st, &reg);
    Ok(())
}

fn add_schema(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let id = required(req.u32(attr::SC_ID)?, &ack, "schema id")?;
    if id > SCHEMA_ID_MAX {
        return Err(fail!(
            ack,
            EINVAL,
            "schema id {} is out of range: at most {} (0xffffff means no schema)",
            id,
            SCHEMA_ID_MAX
        ));
    }
    let data = required(req.attr(attr::SC_DATA), &ack, "schema data")?.payload();
    let header = OssHeader::new(id, data.len()).ok_or_else(|| {
        fail!(
            ack,
            EINVAL,
            "schema data is {} bytes: at most {}",
            data.len(),
            SCHEMA_DATA_MAX
        )
    })?;
    let padded_len = usize::from(header.words) * 4;
    let mut padded = KVec::with_capacity(padded_len, GFP_KERNEL_ACCOUNT)?;
    padded.extend_from_slice(data, GFP_KERNEL_ACCOUNT)?;
    padded.resize(padded_len, 0, GFP_KERNEL_ACCOUNT)?;
    let schema = Arc::new(Schema { id, data: padded }, GFP_KERNEL_ACCOUNT)?;

    let st = state(req.net(), &ack)?;
    let mut reg = st.registry.lock();
    let at = match reg.schema_index(id) {
        Ok(_) => return Err(fail!(ack, EEXIST, "schema {} already exists", id)),
        Err(at) => at,
    };
    if reg.schemas.len() >= SCHEMAS_PER_NET_MAX {
        return Err(fail!(
            ack,
            ENOSPC,
            "too many schemas: at most {} per network namespace",
            SCHEMAS_PER_NET_MAX
        ));
    }
    reg.schemas.reserve(1, GFP_KERNEL_ACCOUNT)?;
    reg.schemas
        .insert_within_capacity(
            at,
            SchemaEntry {
                schema,
                namespace: None,
            },
        )
        .map_err(|_| ENOMEM)
}

fn del_schema(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let id = required(req.u32(attr::SC_ID)?, &ack, "schema id")?;
    let st = state(req.net(), &ack)?;
    let mut reg = st.registry.lock();
    let Ok(at) = reg.schema_index(id) else {
        return Err(fail!(ack, ENOENT, "schema {} does not exist", id));
    };
    let entry = reg.schemas.remove(at).map_err(|_| ENOENT)?;
    if let Some(ns_id) = entry.namespace {
        let guard = rcu::read_lock();
        if let Some(ns) = st.namespaces.get(ns_id, &guard) {
            ns.schema.take();
        }
    }
    Ok(())
}

fn set_schema(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let ns_id = required(req.u16(attr::NS_ID)?, &ack, "namespace id")?;
    let unbind = req.flag(attr::SC_NONE);
    let sc_id = req.u32(attr::SC_ID)?;
    if !unbind && sc_id.is_none() {
        return Err(fail!(
            ack,
            EINVAL,
            "missing schema id (or the flag for none)"
        ));
    }
    let st = state(req.net(), &ack)?;
    let mut reg = st.registry.lock();
    let new = match sc_id.filter(|_| !unbind) {
        None => None,
        Some(id) => match reg.schema_mut(id) {
            // Allocated before the RCU read lock (it may sleep), and before changing anything,
            // so a failure changes nothing.
            Some(e) => Some((id, RcuValue::new(e.schema.clone())?, e.namespace)),
            None => return Err(fail!(ack, ENOENT, "schema {} does not exist", id)),
        },
    };
    let guard = rcu::read_lock();
    let Some(ns) = st.namespaces.get(ns_id, &guard) else {
        return Err(fail!(ack, ENOENT, "namespace {} does not exist", ns_id));
    };
    match new {
        None => {
            ns.schema.take();
            reg.unbind_schema_of(ns_id);
        }
        Some((sc_id, schema, previous_ns)) => {
            ns.schema.replace_with(schema);
            if let Some(prev) = previous_ns.filter(|&p| p != ns_id) {
                if let Some(prev_ns) = st.namespaces.get(prev, &guard) {
                    prev_ns.schema.take();
                }
            }
            reg.unbind_schema_of(ns_id);
            if let Some(e) = reg.schema_mut(sc_id) {
                e.namespace = Some(ns_id);
            }
        }
    }
    Ok(())
}

fn dump_namespaces(dump: &mut Dump<'_>) -> Result {
    let Some(st) = pernet::lookup::<NetState>(dump.net()) else {
        return Ok(());
    };
    let Ok(start) = u16::try_from(dump.cursor()) else {
        return Ok(()); // past the last id: done
    };
    let guard = rcu::read_lock();
    for (id, ns) in st.namespaces.iter_from(start, &guard) {
        let added = dump.add(cmd::DUMP_NAMESPACES, |m| {
            m.put_u16(attr::NS_ID, id)?;
            if ns.data != NS_DATA_UNAVAILABLE {
                m.put_u32(attr::NS_DATA, ns.data)?;
            }
            if ns.wide != NS_DATA_WIDE_UNAVAILABLE {
                m.put_u64(attr::NS_DATA_WIDE, ns.wide, attr::PAD)?;
            }
            if let Some(sc) = ns.schema.get(&guard) {
                m.put_u32(attr::SC_ID, sc.id)?;
            }
            if ns.tsformat != TsFormat::Posix {
                m.put_u8(attr::NS_TSFORMAT, ns.tsformat as u8)?;
            }
            Ok(())
        })?;
        if !added {
            dump.set_cursor(id.into());
            return Ok(());
        }
    }
    dump.set_cursor(u32::from(u16::MAX) + 1);
    Ok(())
}

fn dump_schemas(dump: &mut Dump<'_>) -> Result {
    let Some(st) = pernet::lookup::<NetState>(dump.net()) else {
        return Ok(());
    };
    let start = dump.cursor();
    let reg = st.registry.lock();
    for e in reg.schemas.iter().filter(|e| e.schema.id >= start) {
        let added = dump.add(cmd::DUMP_SCHEMAS, |m| {
            m.put_u32(attr::SC_ID, e.schema.id)?;
            m.put(attr::SC_DATA, &e.schema.data)?;
            if let Some(ns) = e.namespace {
                m.put_u16(attr::NS_ID, ns)?;
            }
            Ok(())
        })?;
        if !added {
            dump.set_cursor(e.schema.id);
            return Ok(());
        }
    }
    dump.set_cursor(SCHEMA_ID_MAX + 1);
    Ok(())
}

fn set_interface(req: &Request<'_>) -> Result {
    let ack = req.extack();
    let ifindex = required(req.u32(attr::IFINDEX)?, &ack, "interface index")?;
    let enable = match required(req.u8(attr::IF_ENABLED)?, &ack, "on or off")? {
        0 => false,
        1 => true,
        v => {
            return Err(fail!(
                ack,
                EINVAL,
                "IOAM switch value {} is neither 0 (off) nor 1 (on)",
                v
            ))
        }
    };
    let net = req.net();
    let exists = |i: i32| net.device_exists(i);
    let ifindex = i32::try_from(ifindex)
        .ok()
        .filter(|&i| exists(i))
        .ok_or_else(|| {
            fail!(
                ack,
                ENODEV,
                "interface {} does not exist in this network namespace",
                ifindex
            )
        })?;
    let st = state(net, &ack)?;
    let reg = st.registry.lock();
    if enable {
        receive_hook_on(net, &ack)?;
    }
    let replaced = replace_interfaces(st, &reg, ifindex, enable, exists);
    receive_hook_follow(net, st, &reg);
    replaced
}

/// Replaces the set of switched-on interfaces by one with `ifindex` on or off, without those
/// that no longer `exist`; `_reg` shows that the registry lock is held.
fn replace_interfaces(
    st: &NetState,
    _reg: &Registry,
    ifindex: i32,
    enable: bool,
    exists: impl Fn(i32) -> bool,
) -> Result {
    // The set changes only under the registry lock, held: size the copy first, outside the RCU
    // read lock (allocating may sleep), then fill it without allocating.
    let len = st.interfaces.get(&rcu::read_lock()).map_or(0, |s| s.len());
    let mut set = KVec::with_capacity(len + 1, GFP_KERNEL_ACCOUNT)?;
    {
        let guard = rcu::read_lock();
        if let Some(old) = st.interfaces.get(&guard) {
            // Forget interfaces deleted meanwhile, so their indexes cannot be inherited.
            for &i in old.iter().filter(|&&i| i != ifindex && exists(i)) {
                set.push_within_capacity(i).map_err(|_| ENOMEM)?;
            }
        }
    }
    if enable {
        if let Err(at) = set.binary_search(&ifindex) {
            set.insert_within_capacity(at, ifindex)
                .map_err(|_| ENOMEM)?;
        }
    }
    st.interfaces.replace(set)?;
    Ok(())
}

fn set_event_limit(req: &Request<'_>) -> Result {
    set_limit(req, (attr::EVENT_RATE, attr::EVENT_BURST), "event", |st| {
        &st.event_limit
    })
}

fn set_export_limit(req: &Request<'_>) -> Result {
    set_limit(
        req,
        (attr::EXPORT_RATE, attr::EXPORT_BURST),
        "export",
        |st| &st.export_limit,
    )
}

fn set_loopback_limit(req: &Request<'_>) -> Result {
    set_limit(
        req,
        (attr::LOOPBACK_RATE, attr::LOOPBACK_BURST),
        "loopback",
        |st| &st.loopback_limit,
    )
}

/// Sets the rate limit `limit` of the namespace from attributes `(rate, burst)`; `what` names
/// it in messages.
fn set_limit(
    req: &Request<'_>,
    (rate_attr, burst_attr): (u16, u16),
    what: &str,
    limit: impl FnOnce(&NetState) -> &RateLimit,
) -> Result {
    let ack = req.extack();
    let missing = |field: &str| fail!(ack, EINVAL, "missing {} {}", what, field);
    let rate = req.u32(rate_attr)?.ok_or_else(|| missing("rate"))?;
    let burst = req.u32(burst_attr)?.ok_or_else(|| missing("burst"))?;
    for (field, v) in [("rate", rate), ("burst", burst)] {
        if !(1..=EVENT_LIMIT_MAX).contains(&v) {
            return Err(fail!(
                ack,
                EINVAL,
                "{} {} {} is out of range: 1 to {}",
                what,
                field,
                v,
                EVENT_LIMIT_MAX
            ));
        }
    }
    let st = state(req.net(), &ack)?;
    let _reg = st.registry.lock();
    limit(st).set(rate, burst);
    Ok(())
}

fn dump_interfaces(dump: &mut Dump<'_>) -> Result {
    let Some(st) = pernet::lookup::<NetState>(dump.net()) else {
        return Ok(());
    };
    let start = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
    let guard = rcu::read_lock();
    let Some(set) = st.interfaces.get(&guard) else {
        return Ok(());
    };
    let net = dump.net();
    for (pos, &ifindex) in set.iter().enumerate().skip(start) {
        if !net.device_exists(ifindex) {
            continue;
        }
        let added = dump.add(cmd::DUMP_INTERFACES, |m| {
            m.put_u32(attr::IFINDEX, ifindex.unsigned_abs())?;
            m.put_u8(attr::IF_ENABLED, 1)
        })?;
        if !added {
            dump.set_cursor(u32::try_from(pos).unwrap_or(u32::MAX));
            return Ok(());
        }
    }
    dump.set_cursor(u32::MAX);
    Ok(())
}

fn dump_stats(dump: &mut Dump<'_>) -> Result {
    let Some(st) = pernet::lookup::<NetState>(dump.net()) else {
        return Ok(());
    };
    if dump.cursor() != 0 {
        return Ok(());
    }
    let (rate, burst) = st.event_limit.get();
    let (loopback_rate, loopback_burst) = st.loopback_limit.get();
    let (export_rate, export_burst) = st.export_limit.get();
    let added = dump.add(cmd::DUMP_STATS, |m| {
        m.nest(attr::STATS, |m| {
            for (id, _) in stat::NAMES {
                m.put_u64(id, st.counter(id), stat::PAD)?;
            }
            Ok(())
        })?;
        m.put_u32(attr::EVENT_RATE, rate)?;
        m.put_u32(attr::EVENT_BURST, burst)?;
        m.put_u32(attr::LOOPBACK_RATE, loopback_rate)?;
        m.put_u32(attr::LOOPBACK_BURST, loopback_burst)?;
        m.put_u32(attr::EXPORT_RATE, export_rate)?;
        m.put_u32(attr::EXPORT_BURST, export_burst)
    })?;
    if added {
        dump.set_cursor(1);
    }
    Ok(())
}

/// The generic netlink commands.
pub(crate) struct Control;

impl genl::Handler for Control {
    fn doit(command: u8, req: &Request<'_>) -> Result {
        match command {
            cmd::ADD_NAMESPACE => add_namespace(req),
            cmd::DEL_NAMESPACE => del_namespace(req),
            cmd::ADD_SCHEMA => add_schema(req),
            cmd::DEL_SCHEMA => del_schema(req),
            cmd::NS_SET_SCHEMA => set_schema(req),
            cmd::SET_INTERFACE => set_interface(req),
            cmd::SET_EVENT_LIMIT => set_event_limit(req),
            cmd::SET_LOOPBACK_LIMIT => set_loopback_limit(req),
            cmd::SET_EXPORT_LIMIT => set_export_limit(req),
            _ => Err(EINVAL),
        }
    }

    fn dumpit(command: u8, dump: &mut Dump<'_>) -> Result {
        match command {
            cmd::DUMP_NAMESPACES => dump_namespaces(dump),
            cmd::DUMP_SCHEMAS => dump_schemas(dump),
            cmd::DUMP_STATS => dump_stats(dump),
            cmd::DUMP_INTERFACES => dump_interfaces(dump),
            _ => Err(EINVAL),
        }
    }
}

/// The family: the `IOAM6` commands and attributes, with their policy.
pub(crate) static FAMILY: genl::FamilySpec<13, { attr::MAX as usize + 1 }> = genl::FamilySpec {
    name: crate::uapi::FAMILY_NAME,
    version: crate::uapi::FAMILY_VERSION as u32,
    ops: [
        genl::Op::doit::<Control>(cmd::ADD_NAMESPACE),
        genl::Op::doit::<Control>(cmd::DEL_NAMESPACE),
        genl::Op::dump::<Control>(cmd::DUMP_NAMESPACES),
        genl::Op::doit::<Control>(cmd::ADD_SCHEMA),
        genl::Op::doit::<Control>(cmd::DEL_SCHEMA),
        genl::Op::dump::<Control>(cmd::DUMP_SCHEMAS),
        genl::Op::doit::<Control>(cmd::NS_SET_SCHEMA),
        genl::Op::dump::<Control>(cmd::DUMP_STATS),
        genl::Op::doit::<Control>(cmd::SET_INTERFACE),
        genl::Op::dump::<Control>(cmd::DUMP_INTERFACES),
        genl::Op::doit::<Control>(cmd::SET_EVENT_LIMIT),
        genl::Op::doit::<Control>(cmd::SET_LOOPBACK_LIMIT),
        genl::Op::doit::<Control>(cmd::SET_EXPORT_LIMIT),
    ],
    policy: [
        PolicyEntry::UNSPEC,
        PolicyEntry::U16,    // NS_ID
        PolicyEntry::U32,    // NS_DATA
        PolicyEntry::U64,    // NS_DATA_WIDE
        PolicyEntry::U32,    // SC_ID
        PolicyEntry::BINARY, // SC_DATA: length checked by add_schema, for a clear message
        PolicyEntry::FLAG,   // SC_NONE
        PolicyEntry::UNSPEC, // PAD
        PolicyEntry::U32,    // IFINDEX
        PolicyEntry::U8,     // IF_ENABLED
        PolicyEntry::UNSPEC, // STATS: sent, never received
        PolicyEntry::U32,    // EVENT_RATE
        PolicyEntry::U32,    // EVENT_BURST
        PolicyEntry::U32,    // LOOPBACK_RATE
        PolicyEntry::U32,    // LOOPBACK_BURST
        PolicyEntry::U8,     // NS_TSFORMAT
        PolicyEntry::U32,    // EXPORT_RATE
        PolicyEntry::U32,    // EXPORT_BURST
    ],
    groups: [
        (crate::uapi::EVENTS_GROUP_NAME, &events::EVENTS),
        (crate::uapi::EXPORT_GROUP_NAME, &export::EXPORT),
    ],
};
