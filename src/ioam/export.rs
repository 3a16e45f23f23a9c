// SPDX-License-Identifier: GPL-2.0
//! Events for exporters: the events of [`super::events`], batched per CPU into
//! [`event::BATCH`] messages on the export group (a namespace's [`Batches`]; `events.rs` adds
//! to them within the namespace's export rate limit). One allocation per message, not per
//! event: cheap enough to export every trace.

use kernel::{prelude::*, time::msecs_to_jiffies};

use crate::{
    net::{
        genl::{Batches, EventGroup},
        pernet::Net,
    },
    uapi::{event, EXPORT_FLUSH_MS},
};

/// The export group of the family (`control::FAMILY` registers it, second).
pub(crate) static EXPORT: EventGroup = EventGroup::new(1);

/// Empty batches for the namespace `net`.
pub(crate) fn batches(net: &Net) -> impl PinInit<Batches, Error> {
    Batches::new(
        net,
        &EXPORT,
        event::BATCH,
        msecs_to_jiffies(EXPORT_FLUSH_MS),
    )
}
