//! Module name and alias normalisation, as kmod does it before any lookup.
//!
//! All functions treat their input as a C string: it ends at the first NUL byte.
//! kmod also silently truncates results at `PATH_MAX - 1` (4095) bytes; these
//! functions do not.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;

use crate::fnmatch::until_nul;

/// Why an alias could not be normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AliasError {
    /// A `]` outside a bracket expression, at this byte offset.
    UnmatchedClose(usize),
    /// A `[` at this byte offset is never closed.
    Unterminated(usize),
}

impl fmt::Display for AliasError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AliasError::UnmatchedClose(pos) => {
                write!(f, "invalid alias: unmatched ']' at byte {pos}")
            }
            AliasError::Unterminated(pos) => {
                write!(f, "invalid alias: '[' at byte {pos} is never closed")
            }
        }
    }
}

impl std::error::Error for AliasError {}

/// Normalises an alias as kmod's `alias_normalize`: every `-` becomes `_`,
/// except inside bracket expressions `[...]`, which are copied unchanged.
///
/// A bracket expression ends at the first `]` after its `[` (unlike fnmatch, a
/// `]` right after `[` closes it). A `]` outside brackets and a `[` that is
/// never closed are errors, as in kmod (`-EINVAL`).
pub fn alias_normalize(alias: &[u8]) -> Result<Vec<u8>, AliasError> {
    let alias = until_nul(alias);
    let mut out = Vec::with_capacity(alias.len());
    let mut i = 0;
    while i < alias.len() {
        match alias[i] {
            b'-' => out.push(b'_'),
            b']' => return Err(AliasError::UnmatchedClose(i)),
            b'[' => match alias[i..].iter().position(|&b| b == b']') {
                Some(n) => {
                    out.extend_from_slice(&alias[i..=i + n]);
                    i += n;
                }
                None => return Err(AliasError::Unterminated(i)),
            },
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// Normalises a module name as kmod's `modname_normalize`: every `-` becomes
/// `_`, and the name stops at the first `.` (so `snd-hda-intel.ko.xz` gives
/// `snd_hda_intel`).
pub fn modname_normalize(name: &[u8]) -> Vec<u8> {
    until_nul(name)
        .iter()
        .take_while(|&&b| b != b'.')
        .map(|&b| if b == b'-' { b'_' } else { b })
        .collect()
}

/// The module name for a module file path, as kmod's `path_to_modname`: the
/// part after the last `/` (GNU `basename`), normalised with
/// [`modname_normalize`]. `None` if that part is empty (a path ending in `/`,
/// or an empty path).
///
/// Byte strings can be passed with `OsStr::from_bytes`.
pub fn modname_from_path<P: AsRef<OsStr> + ?Sized>(path: &P) -> Option<Vec<u8>> {
    let path = until_nul(path.as_ref().as_bytes());
    let base = match path.iter().rposition(|&b| b == b'/') {
        Some(n) => &path[n + 1..],
        None => path,
    };
    if base.is_empty() {
        return None;
    }
    Some(modname_normalize(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias() {
        assert_eq!(alias_normalize(b"fs-vfat").unwrap(), b"fs_vfat");
        assert_eq!(
            alias_normalize(b"pci:v*d*sv*sd*bc0[2-3]sc*i*").unwrap(),
            b"pci:v*d*sv*sd*bc0[2-3]sc*i*"
        );
        assert_eq!(alias_normalize(b"a-[x-y]-b").unwrap(), b"a_[x-y]_b");
        assert_eq!(alias_normalize(b"a-[[-]-b").unwrap(), b"a_[[-]_b");
        assert_eq!(alias_normalize(b"").unwrap(), b"");
        assert_eq!(alias_normalize(b"x-y\0-z").unwrap(), b"x_y");
        assert_eq!(alias_normalize(b"a]b"), Err(AliasError::UnmatchedClose(1)));
        // kmod closes the bracket at the first `]`, even right after `[`.
        assert_eq!(alias_normalize(b"[]a]"), Err(AliasError::UnmatchedClose(3)));
        assert_eq!(alias_normalize(b"a-[b-c"), Err(AliasError::Unterminated(2)));
        assert_eq!(alias_normalize(b"a[b\0]"), Err(AliasError::Unterminated(1)));
        assert_eq!(
            AliasError::Unterminated(2).to_string(),
            "invalid alias: '[' at byte 2 is never closed"
        );
    }

    #[test]
    fn modname() {
        assert_eq!(modname_normalize(b"snd-hda-intel.ko.xz"), b"snd_hda_intel");
        assert_eq!(modname_normalize(b"loop"), b"loop");
        assert_eq!(modname_normalize(b".ko"), b"");
        assert_eq!(modname_normalize(b"a-b\0c"), b"a_b");
    }

    #[test]
    fn from_path() {
        assert_eq!(
            modname_from_path("kernel/drivers/block/loop.ko").unwrap(),
            b"loop"
        );
        assert_eq!(
            modname_from_path("/lib/modules/x/kernel/sound/snd-hda-intel.ko.zst").unwrap(),
            b"snd_hda_intel"
        );
        assert_eq!(modname_from_path("vfat.ko").unwrap(), b"vfat");
        assert_eq!(modname_from_path("dir/"), None);
        assert_eq!(modname_from_path(""), None);
        assert_eq!(
            modname_from_path(OsStr::from_bytes(b"a/b-c.ko")).unwrap(),
            b"b_c"
        );
    }
}
