//! The IPFIX protocol (RFC 7011), written here: crates.io has IPFIX *parsers*
//! (`netflow_parser`, `ipfix-parser`) and encoders tied to their own flow records
//! (`rustflow_core`, the `ipfix` features of `netring` and `flowscope`), but no maintained
//! stand-alone encoder with enterprise elements, variable-length fields and template
//! refresh, which is all this needs.
//!
//! - [`field`]: field specifiers (§3.2) and value encoding (§6, §7);
//! - [`basic_list`]: the RFC 6313 basicList;
//! - [`template`]: template records and data records (§3.4);
//! - [`message`]: message and set headers, a message being filled (§3.1, §3.3);
//! - [`session`]: one exporting session: sequence numbers, message size, template timing.

pub mod basic_list;
pub mod field;
pub mod message;
pub mod session;
pub mod template;

/// Why something cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("information element id {0} does not fit in 15 bits")]
    ElementIdTooLarge(u16),
    #[error("template id {0} is below 256 (ids 0-255 are set ids)")]
    TemplateIdReserved(u16),
    #[error("template {0} has no fields")]
    EmptyTemplate(u16),
    #[error("template {id} has {count} fields, more than 65535")]
    TooManyFields { id: u16, count: usize },
    #[error("a value of {actual} octets in a field of length {declared}")]
    LengthMismatch { declared: u16, actual: usize },
    #[error("a variable-length value of {0} octets: at most 65535 fit")]
    ValueTooLong(usize),
    #[error("a record of template {template_id} takes {size} octets: a message of at most {max} octets cannot hold it")]
    RecordTooLarge {
        template_id: u16,
        size: usize,
        max: u16,
    },
    #[error("template {0} is already defined with other fields in this session")]
    TemplateConflict(u16),
    #[error("an encoded record of template {0}, which the session was not given")]
    UnknownTemplate(u16),
    #[error("export time is not representable in 32-bit seconds since 1970")]
    ExportTimeOutOfRange,
    #[error("a maximum message size of {0} octets leaves no room for a set")]
    MessageSizeTooSmall(u16),
}
