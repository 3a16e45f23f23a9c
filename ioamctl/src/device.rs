//! Interface names and indexes of the current network namespace (`if_nametoindex(3)`).

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;

/// The index of interface `name`, if there is one.
pub fn index_of(name: &OsStr) -> Option<u32> {
    let name = CString::new(name.as_bytes()).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string for the duration of the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}

/// The name of interface `index`, if there is one.
pub fn name_of(index: u32) -> Option<String> {
    let mut buffer: [libc::c_char; libc::IF_NAMESIZE] = [0; libc::IF_NAMESIZE];
    // SAFETY: `buffer` has the IF_NAMESIZE bytes `if_indextoname` may write.
    let name = unsafe { libc::if_indextoname(index, buffer.as_mut_ptr()) };
    if name.is_null() {
        return None;
    }
    // SAFETY: on success `buffer` holds a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(buffer.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_round_trip() {
        // Every network namespace has "lo".
        let index = index_of(OsStr::new("lo")).expect("lo exists");
        assert_eq!(name_of(index).as_deref(), Some("lo"));
    }

    #[test]
    fn missing_devices() {
        assert_eq!(index_of(OsStr::new("ioamctl-none0")), None);
        assert_eq!(index_of(OsStr::new("")), None);
        assert_eq!(index_of(OsStr::new("a\0b")), None);
        assert_eq!(index_of(OsStr::new(&"x".repeat(100))), None);
        assert_eq!(name_of(0), None);
        assert_eq!(name_of(u32::MAX), None);
    }
}
