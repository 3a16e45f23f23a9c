//! Timestamp formats of the trace's timestamp fields (RFC 9197 §5, chosen per IOAM
//! namespace): a time in ns since the Unix epoch split into the seconds field (bit 2) and the
//! fraction field (bit 3), and back.

const NS_PER_SEC: i64 = 1_000_000_000;
const NS_PER_SEC_U64: u64 = NS_PER_SEC as u64;
/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;

/// How a namespace writes timestamps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum TsFormat {
    /// POSIX (RFC 9197 §5.3): seconds since 1970 (UTC) and microseconds, as upstream Linux.
    #[default]
    Posix = 0,
    /// PTP truncated (§5.1): seconds since 1970 in TAI and nanoseconds.
    Ptp = 1,
    /// NTP 64-bit (§5.2): seconds since 1900 (UTC) and a binary fraction of 2^-32 s.
    Ntp = 2,
}

impl TsFormat {
    /// The format numbered `v` (the genetlink attribute's value).
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Posix),
            1 => Some(Self::Ptp),
            2 => Some(Self::Ntp),
            _ => None,
        }
    }

    /// Its name, as `ioamctl` writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Posix => "posix",
            Self::Ptp => "ptp",
            Self::Ntp => "ntp",
        }
    }

    /// The format named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Posix, Self::Ptp, Self::Ntp]
            .into_iter()
            .find(|f| f.name() == name)
    }

    /// The (seconds, fraction) fields of the time `unix_ns` (ns since the Unix epoch, UTC);
    /// `tai_offset_s` is TAI - UTC, for PTP. Seconds are cut to 32 bits, as on the wire.
    pub fn split(self, unix_ns: i64, tai_offset_s: i64) -> (u32, u32) {
        // Unsigned division by a constant is a multiply and a shift, signed needs fixing up:
        // times after 1970 (all but a clock set wrong) go the unsigned way.
        let (secs, ns) = match u64::try_from(unix_ns) {
            // t / 1e9 < 2^34 and t % 1e9 < 1e9: both fit.
            Ok(t) => (
                t.wrapping_div(NS_PER_SEC_U64) as i64,
                t.wrapping_rem(NS_PER_SEC_U64) as u32,
            ),
            // In 0..1e9: fits 32 bits.
            Err(_) => (
                unix_ns.div_euclid(NS_PER_SEC),
                unix_ns.rem_euclid(NS_PER_SEC) as u32,
            ),
        };
        match self {
            Self::Posix => (secs as u32, ns / 1000),
            Self::Ptp => (secs.wrapping_add(tai_offset_s) as u32, ns),
            Self::Ntp => {
                // ns * 2^32 / 1e9 < 2^32: floor, never a whole second.
                let frac = (u64::from(ns) << 32) / 1_000_000_000;
                (secs.wrapping_add(NTP_UNIX_OFFSET) as u32, frac as u32)
            }
        }
    }

    /// The time the fields stand for: (seconds since the Unix epoch, UTC; nanoseconds), or
    /// `None` when the fraction is out of range (0xFFFFFFFF fields are "unavailable"). NTP
    /// seconds below 2^31 are taken to be of era 1 (from 2036 on).
    pub fn join(self, secs: u32, frac: u32, tai_offset_s: i64) -> Option<(i64, u32)> {
        match self {
            Self::Posix => (frac < 1_000_000).then(|| (i64::from(secs), frac.wrapping_mul(1000))),
            Self::Ptp => {
                (frac < 1_000_000_000).then(|| (i64::from(secs).wrapping_sub(tai_offset_s), frac))
            }
            Self::Ntp => {
                let era = if secs < 0x8000_0000 { 1i64 << 32 } else { 0 };
                let unix = i64::from(secs)
                    .wrapping_add(era)
                    .wrapping_sub(NTP_UNIX_OFFSET);
                // Rounded up: what `split` floored comes back as it was. Below 2^62: no wrap.
                let ns = (u64::from(frac)
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add((1 << 32) - 1)
                    >> 32) as u32;
                Some((unix, ns.min(999_999_999)))
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;

    /// 2026-12-04T14:00:00.123456789Z.
    const T: i64 = 1_796_392_800 * NS_PER_SEC + 123_456_789;

    #[test]
    fn names_and_numbers() {
        for f in [TsFormat::Posix, TsFormat::Ptp, TsFormat::Ntp] {
            assert_eq!(TsFormat::from_u8(f as u8), Some(f));
            assert_eq!(TsFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(TsFormat::from_u8(3), None);
        assert_eq!(TsFormat::from_name("tai"), None);
        assert_eq!(TsFormat::default(), TsFormat::Posix);
    }

    #[test]
    fn each_format() {
        assert_eq!(TsFormat::Posix.split(T, 37), (1_796_392_800, 123_456));
        assert_eq!(TsFormat::Ptp.split(T, 37), (1_796_392_837, 123_456_789));
        let (s, f) = TsFormat::Ntp.split(T, 37);
        assert_eq!(s, (1_796_392_800u64 + 2_208_988_800) as u32);
        // 0.123456789 * 2^32 = 530242871.2...
        assert_eq!(f, 530_242_871);
        // A time before the epoch keeps its fraction positive.
        assert_eq!(TsFormat::Posix.split(-1, 0), (u32::MAX, 999_999));
    }

    #[test]
    fn round_trips() {
        for t in [
            T,
            0,
            NS_PER_SEC - 1,
            4_000_000_000 * NS_PER_SEC + 999_999_999,
        ] {
            for f in [TsFormat::Ptp, TsFormat::Ntp] {
                let (s, frac) = f.split(t, 37);
                let (secs, ns) = f.join(s, frac, 37).unwrap();
                assert_eq!(secs * NS_PER_SEC + i64::from(ns), t, "{f:?} {t}");
            }
            let (s, frac) = TsFormat::Posix.split(t, 0);
            let (secs, ns) = TsFormat::Posix.join(s, frac, 0).unwrap();
            assert_eq!(
                secs * NS_PER_SEC + i64::from(ns),
                t - t.rem_euclid(1000),
                "{t}"
            );
        }
    }

    #[test]
    fn unavailable_fractions_do_not_join() {
        assert_eq!(TsFormat::Posix.join(1, 1_000_000, 0), None);
        assert_eq!(TsFormat::Ptp.join(1, 1_000_000_000, 0), None);
        assert_eq!(TsFormat::Posix.join(u32::MAX, u32::MAX, 0), None);
        // Every NTP fraction is a fraction of a second.
        assert_eq!(
            TsFormat::Ntp.join(0x8000_0000, u32::MAX, 0).unwrap().1,
            999_999_999
        );
    }
}
