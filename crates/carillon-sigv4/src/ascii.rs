//! Text of a fixed length, kept on the stack: the digests in hex and the dates a verification
//! writes (allocating each showed in profiles of a GetAttendee).

use std::fmt;
use std::ops::Deref;

/// `N` bytes of ASCII, read as a `str`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ascii<const N: usize>([u8; N]);

impl<const N: usize> Ascii<N> {
    /// `bytes`, which must be ASCII (every caller writes digits and letters).
    pub(crate) fn new(bytes: [u8; N]) -> Self {
        debug_assert!(bytes.is_ascii());
        Ascii(bytes)
    }
}

impl<const N: usize> Deref for Ascii<N> {
    type Target = str;

    fn deref(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII is UTF-8")
    }
}

impl<const N: usize> fmt::Display for Ascii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl<const N: usize> fmt::Debug for Ascii<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl<const N: usize> PartialEq<&str> for Ascii<N> {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}
