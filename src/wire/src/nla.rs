//! Netlink attributes laid out in a byte buffer, as `include/net/netlink.h` lays them out: a
//! 4-byte header (`nla_len`, the header and payload; `nla_type`; both in host byte order), the
//! payload, and zeros up to the next multiple of 4.
//!
//! The module writes its events with a [`Writer`] straight into a message's tail room: one
//! reservation an event, where a kernel call per attribute (`nla_put()`) cost more than the
//! rest of the event.

/// Octets of an attribute header.
pub const HDRLEN: usize = 4;

/// The bit of `nla_type` that marks a nested attribute (`NLA_F_NESTED`).
pub const F_NESTED: u16 = 1 << 15;

/// Octets an attribute with `payload` octets of payload takes, padding included (`None`
/// beyond `usize`).
pub const fn attr_size(payload: usize) -> Option<usize> {
    match payload.checked_add(HDRLEN + 3) {
        Some(end) => Some(end & !3),
        None => None,
    }
}

/// The buffer has no room for an attribute, or an attribute is longer than `nla_len` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Appends attributes to a buffer, each whole or not at all.
///
/// # Invariants
///
/// `buf[..len]` holds whole attributes.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// A writer that appends from the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Octets written: the attributes, padding included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends attribute `kind` with `len` octets of payload, zeroed and then written by
    /// `write` in place.
    pub fn put_with(
        &mut self,
        kind: u16,
        len: usize,
        write: impl FnOnce(&mut [u8]),
    ) -> Result<(), Full> {
        let payload = self.reserve(kind, len)?;
        payload.fill(0);
        write(payload);
        Ok(())
    }

    /// Appends attribute `kind` with payload `data`.
    pub fn put(&mut self, kind: u16, data: &[u8]) -> Result<(), Full> {
        self.reserve(kind, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Appends the header and padding of attribute `kind` with `len` octets of payload, and
    /// returns the payload's place, to be written by the caller (it holds what the buffer
    /// held).
    fn reserve(&mut self, kind: u16, len: usize) -> Result<&mut [u8], Full> {
        let size = attr_size(len).ok_or(Full)?;
        let nla_len = HDRLEN
            .checked_add(len)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or(Full)?;
        let start = self.len;
        let end = start.checked_add(size).ok_or(Full)?;
        let attr = self.buf.get_mut(start..end).ok_or(Full)?;
        let (header, rest) = attr.split_first_chunk_mut::<HDRLEN>().ok_or(Full)?;
        *header = header_bytes(nla_len, kind);
        let (payload, padding) = rest.split_at_mut_checked(len).ok_or(Full)?;
        padding.fill(0);
        self.len = end;
        Ok(payload)
    }

    /// Appends a `u8` attribute.
    pub fn put_u8(&mut self, kind: u16, value: u8) -> Result<(), Full> {
        self.put(kind, &[value])
    }

    /// Appends a `u16` attribute (host byte order, as netlink integers are).
    pub fn put_u16(&mut self, kind: u16, value: u16) -> Result<(), Full> {
        self.put(kind, &value.to_ne_bytes())
    }

    /// Appends a `u32` attribute (host byte order).
    pub fn put_u32(&mut self, kind: u16, value: u32) -> Result<(), Full> {
        self.put(kind, &value.to_ne_bytes())
    }

    /// Appends a nested attribute `kind` (with [`F_NESTED`]) holding what `fill` appends. On
    /// error the writer is left as it was.
    pub fn nest<E: From<Full>>(
        &mut self,
        kind: u16,
        fill: impl FnOnce(&mut Self) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.len;
        let body = start.checked_add(HDRLEN).ok_or(Full)?;
        if body > self.buf.len() {
            return Err(Full.into());
        }
        self.len = body;
        let filled = fill(self).and_then(|()| {
            let nla_len = self
                .len
                .checked_sub(start)
                .and_then(|n| u16::try_from(n).ok());
            let header = self
                .buf
                .get_mut(start..)
                .and_then(|b| b.first_chunk_mut::<HDRLEN>());
            match (nla_len, header) {
                (Some(nla_len), Some(header)) => {
                    *header = header_bytes(nla_len, kind | F_NESTED);
                    Ok(())
                }
                _ => Err(Full.into()),
            }
        });
        if filled.is_err() {
            self.len = start;
        }
        filled
    }
}

/// An attribute header.
fn header_bytes(nla_len: u16, kind: u16) -> [u8; HDRLEN] {
    let [l0, l1] = nla_len.to_ne_bytes();
    let [k0, k1] = kind.to_ne_bytes();
    [l0, l1, k0, k1]
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// `(nla_len, nla_type, payload)` of each attribute of `bytes`, as a reader walks them.
    fn attrs(bytes: &[u8]) -> Vec<(u16, u16, &[u8])> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let [l0, l1, k0, k1, ..] = *rest {
            let len = u16::from_ne_bytes([l0, l1]);
            let kind = u16::from_ne_bytes([k0, k1]);
            let payload = &rest[HDRLEN..usize::from(len)];
            out.push((len, kind, payload));
            rest = &rest[attr_size(usize::from(len) - HDRLEN)
                .unwrap()
                .min(rest.len())..];
        }
        out
    }

    #[test]
    fn attributes_are_laid_out_as_the_kernel_lays_them() {
        let mut buf = [0xaa; 64];
        let mut w = Writer::new(&mut buf);
        w.put_u8(1, 7).unwrap();
        w.put_u16(2, 0x1234).unwrap();
        w.put_u32(3, 0xdead_beef).unwrap();
        w.put(4, b"abcde").unwrap();
        assert_eq!(w.len(), 8 + 8 + 8 + 12);
        let len = w.len();
        assert_eq!(
            attrs(&buf[..len]),
            [
                (5, 1, &[7][..]),
                (6, 2, &0x1234u16.to_ne_bytes()[..]),
                (8, 3, &0xdead_beefu32.to_ne_bytes()[..]),
                (9, 4, &b"abcde"[..]),
            ]
        );
        // Padding is zeros, whatever the buffer held.
        assert_eq!(&buf[5..8], &[0, 0, 0]);
        assert_eq!(&buf[33..36], &[0, 0, 0]);
        assert_eq!(buf[36], 0xaa, "nothing written beyond");
    }

    #[test]
    fn a_nest_holds_its_attributes_and_says_so() {
        let mut buf = [0; 32];
        let mut w = Writer::new(&mut buf);
        w.nest(9, |w| w.put_u32(1, 5)).unwrap();
        assert_eq!(w.len(), 12);
        assert_eq!(attrs(&buf[..12]), [(12, 9 | F_NESTED, &buf[4..12])]);
        assert_eq!(attrs(&buf[4..12]), [(8, 1, &5u32.to_ne_bytes()[..])]);
    }

    #[test]
    fn what_does_not_fit_is_not_written() {
        let mut buf = [0; 16];
        let mut w = Writer::new(&mut buf);
        w.put_u32(1, 1).unwrap();
        assert_eq!(w.put(2, &[0; 5]), Err(Full));
        assert_eq!(w.len(), 8);
        // A nest whose content fails is taken back whole.
        assert_eq!(
            w.nest(3, |w| {
                w.put_u8(1, 1)?;
                w.put_u32(2, 2)
            }),
            Err(Full)
        );
        assert_eq!(w.len(), 8);
        assert_eq!(
            w.put_with(4, 65_532, |_| {}),
            Err(Full),
            "longer than nla_len holds"
        );
        assert_eq!(w.put_with(4, usize::MAX, |_| {}), Err(Full));
        assert!(w.put_u32(5, 5).is_ok(), "still usable");
        assert_eq!(w.len(), 16);
    }
}
