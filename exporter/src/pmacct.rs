//! The element file nfacctd (pmacct) reads through `aggregate_primitives`: one line per
//! element, `name=... field_type=<PEN>:<id> len=<octets> semantics=<...>`, so that the
//! IOAM elements can be named in `aggregate` and appear in its output.
//!
//! (Not `.lst`, pmacct's usual name: the kernel's `make clean`, which the module's build runs in
//! this tree, deletes every `*.lst` file under it.)
//!
//! The file shipped in `exporter/elements/pmacct-primitives.map` is this function's output
//! for the default PEN; a test fails when the two differ.

use std::fmt::Write;

use crate::elements::{
    DataType, Element, BASIC_LIST, ENTERPRISE_ELEMENTS, FLOW_LABEL_IPV6, PATH_DELAY_MAX,
    PATH_DELAY_MEAN, PATH_DELAY_MIN,
};
use crate::ipfix::field::FieldSpecifier;

/// The primitive of the IANA `flowLabelIPv6`, which nfacctd does not name itself (its
/// `src_host` and `dst_host` are the packet's addresses).
pub const FLOW_LABEL_PRIMITIVE: &str = "ipv6_flow_label";

/// The primitives of RFC 9951's path delay elements, which nfacctd 1.7 does not name, with
/// their IANA names.
pub const PATH_DELAY_PRIMITIVES: [(&str, &str, FieldSpecifier); 3] = [
    (
        "path_delay_mean_delta_microseconds",
        "pathDelayMeanDeltaMicroseconds",
        PATH_DELAY_MEAN,
    ),
    (
        "path_delay_min_delta_microseconds",
        "pathDelayMinDeltaMicroseconds",
        PATH_DELAY_MIN,
    ),
    (
        "path_delay_max_delta_microseconds",
        "pathDelayMaxDeltaMicroseconds",
        PATH_DELAY_MAX,
    ),
];

/// The primitive name of an element: its IPFIX name in snake case (`ioamNodeId`:
/// `ioam_node_id`).
pub fn primitive_name(element: &Element) -> String {
    let mut name = String::new();
    for c in element.name.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// The `aggregate_primitives` file for enterprise number `pen`.
pub fn primitives_file(pen: u32) -> String {
    let mut file = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        file,
        "! IOAM information elements of ioam-exporter, for pmacct's aggregate_primitives.\n\
         ! Generated from exporter/src/elements.rs (see exporter/src/pmacct.rs): do not edit.\n\
         ! Enterprise-specific elements under PEN {pen}. Values a node marks unavailable\n\
         ! are all ones at the field's IOAM width (0xFFFFFF for a short node id)."
    );
    for element in &ENTERPRISE_ELEMENTS {
        let (len, semantics) = match element.data_type {
            DataType::OctetArray => ("vlen".to_string(), "raw"),
            fixed => (
                fixed.length().to_string(),
                if element.hex { "hex" } else { "u_int" },
            ),
        };
        let _ = writeln!(
            file,
            "! {}: {}\nname={}\tfield_type={pen}:{}\tlen={len}\tsemantics={semantics}",
            element.name,
            element.description,
            primitive_name(element),
            element.id,
        );
    }
    let _ = writeln!(
        file,
        "! flowLabelIPv6 (IANA): the flow label of the packet's IPv6 header; its addresses are\n\
         ! nfacctd's own src_host and dst_host.\n\
         name={FLOW_LABEL_PRIMITIVE}\tfield_type={}\tlen={}\tsemantics=u_int",
        FLOW_LABEL_IPV6.element_id, FLOW_LABEL_IPV6.length,
    );
    for (primitive, name, spec) in PATH_DELAY_PRIMITIVES {
        let _ = writeln!(
            file,
            "! {name} (IANA, RFC 9951): of a path record, microseconds from the first node's\n\
             ! receive time to the last recorded node's (0: the path gives none)\n\
             name={primitive}\tfield_type={}\tlen={}\tsemantics=u_int",
            spec.element_id, spec.length,
        );
    }
    // nfacctd 1.7.7 (and pmacct's master branch as of this writing) fills a
    // variable-length raw primitive only for enterprise-specific fields: for an IANA field
    // below 384 it copies hex into the fixed-size area, so `field_type=291 len=vlen`
    // prints "" (src/pkt_handlers.c, NF_custom_primitives_handler).
    let _ = writeln!(
        file,
        "! Not listed: the path record's node ids, an IANA basicList (field type {}):\n\
         ! nfacctd fills variable-length primitives of enterprise-specific fields only.\n\
         ! The per-hop records carry each node id with its ioam_hop_index.",
        BASIC_LIST.element_id
    );
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::{DOCUMENTATION_PEN, NODE_ID, NODE_ID_WIDE};

    const SHIPPED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/elements/pmacct-primitives.map"
    );

    /// The shipped file is the generated one. `IOAM_EXPORTER_BLESS=1 cargo test` rewrites
    /// it after a change of the elements.
    #[test]
    fn shipped_file_matches_the_elements() {
        let generated = primitives_file(DOCUMENTATION_PEN);
        if std::env::var_os("IOAM_EXPORTER_BLESS").is_some() {
            std::fs::write(SHIPPED, &generated).expect("write the element file");
        }
        let shipped = std::fs::read_to_string(SHIPPED).unwrap_or_default();
        assert!(
            shipped == generated,
            "{SHIPPED} differs from the elements: run IOAM_EXPORTER_BLESS=1 cargo test -p ioam-exporter"
        );
    }

    #[test]
    fn lines_name_each_element_with_its_pen_and_width() {
        let file = primitives_file(99);
        assert!(file.contains("name=ioam_node_id\tfield_type=99:8\tlen=4\tsemantics=u_int\n"));
        assert!(file.contains("name=ioam_node_id_wide\tfield_type=99:18\tlen=8\tsemantics=u_int\n"));
        assert!(file.contains("name=ioam_trace_type\tfield_type=99:3\tlen=4\tsemantics=hex\n"));
        assert!(
            file.contains("name=ioam_snapshot_data\tfield_type=99:24\tlen=vlen\tsemantics=raw\n")
        );
        assert!(file.contains("name=ipv6_flow_label\tfield_type=31\tlen=4\tsemantics=u_int\n"));
        assert!(file.contains(
            "name=path_delay_mean_delta_microseconds\tfield_type=530\tlen=4\tsemantics=u_int\n"
        ));
        let rules = file.lines().filter(|l| l.starts_with("name=")).count();
        assert_eq!(
            rules,
            ENTERPRISE_ELEMENTS.len() + 1 + PATH_DELAY_PRIMITIVES.len()
        );
        assert_eq!(primitive_name(&NODE_ID), "ioam_node_id");
        assert_eq!(primitive_name(&NODE_ID_WIDE), "ioam_node_id_wide");
    }
}
