//! `freq K/N` sampling: trace the first K packets of every window of N.
//!
//! The position in the window is kept modulo N, so nothing ever wraps: upstream counts packets
//! in a 32-bit counter and takes it modulo N, which glitches when the counter wraps and N does
//! not divide 2^32.

/// A sampling rate of `k` packets out of every `n` (1 <= k <= n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freq {
    k: u32,
    n: u32,
}

impl Freq {
    /// `k` of every `n`, or `None` unless 1 <= k <= n.
    pub const fn new(k: u32, n: u32) -> Option<Self> {
        if k >= 1 && k <= n {
            Some(Self { k, n })
        } else {
            None
        }
    }

    /// K.
    pub const fn k(&self) -> u32 {
        self.k
    }

    /// N.
    pub const fn n(&self) -> u32 {
        self.n
    }

    /// Whether every packet is traced (no window to keep).
    pub const fn always(&self) -> bool {
        self.k == self.n
    }

    /// For the packet at window position `pos`: whether it is traced, and the next position.
    /// Positions stay in `0..n` for any `pos` (an out-of-range one restarts the window).
    pub const fn step(&self, pos: u32) -> (bool, u32) {
        let next = match pos.checked_add(1) {
            Some(p) if p < self.n => p,
            _ => 0,
        };
        (pos < self.k, next)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_range() {
        assert!(Freq::new(0, 1).is_none());
        assert!(Freq::new(2, 1).is_none());
        assert!(Freq::new(1, 1).unwrap().always());
        assert!(!Freq::new(3, 7).unwrap().always());
    }

    #[test]
    fn three_of_seven() {
        let f = Freq::new(3, 7).unwrap();
        let mut pos = 0;
        let traced: u32 = (0..700)
            .map(|_| {
                let (t, next) = f.step(pos);
                pos = next;
                u32::from(t)
            })
            .sum();
        assert_eq!(traced, 300);
    }

    #[test]
    fn window_end_and_bad_positions_restart() {
        let f = Freq::new(1, 1_000_000).unwrap();
        assert_eq!(f.step(999_999), (false, 0));
        assert_eq!(f.step(u32::MAX), (false, 0));
        assert_eq!(f.step(0), (true, 1));
    }
}
