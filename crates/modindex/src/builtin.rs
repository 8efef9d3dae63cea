//! `modules.builtin.modinfo`: the modinfo of modules built into the kernel.
//!
//! kbuild writes one record per modinfo string, `modname.key=value\0`, with
//! the records of a module next to each other. kmod 30 reads the file as a
//! sequence of *groups* (maximal runs of records with the same `modname`
//! prefix, the part before the first `.`) and, for a module, returns the
//! strings after `modname.` of the **first** group with that name; a module
//! whose records are split into several groups only shows the first one.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::file::FileData;
use crate::fnmatch::until_nul;

/// The file name inside a `/lib/modules/<version>` directory.
pub const BUILTIN_MODINFO: &str = "modules.builtin.modinfo";

/// Why builtin modinfo could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuiltinError {
    /// The file could not be opened or mapped.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A record has no `.` (kmod: "unexpected string without modname prefix").
    NoModnamePrefix {
        /// Byte offset of the record.
        offset: usize,
    },
    /// The file ends inside a record (no terminating NUL).
    Unterminated {
        /// Byte offset of the record.
        offset: usize,
    },
}

impl fmt::Display for BuiltinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuiltinError::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            BuiltinError::NoModnamePrefix { offset } => write!(
                f,
                "{BUILTIN_MODINFO}: unexpected string without modname prefix at offset {offset}"
            ),
            BuiltinError::Unterminated { offset } => write!(
                f,
                "{BUILTIN_MODINFO}: string at offset {offset} runs past the end of the file"
            ),
        }
    }
}

impl std::error::Error for BuiltinError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuiltinError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Returns the `key=value` strings (without the `modname.` prefix and the NUL)
/// of the first group of records for `modname` in `data`, the contents of
/// `modules.builtin.modinfo`, or `None` if no group has that name.
///
/// The file is scanned group by group from the start, as kmod 30's
/// `kmod_builtin_get_modinfo` does, and the scan stops at the end of the
/// module's first group. A malformed record met before that point is an error:
/// one without a `.` ([`BuiltinError::NoModnamePrefix`]), or a last record with
/// no terminating NUL ([`BuiltinError::Unterminated`]). (kmod logs the former
/// and then goes on in ways that depend on where the record is, including
/// reading past its buffer; it fails the lookup with `EINVAL` for the latter.)
/// Records after the module's first group are not looked at. `modname` ends at
/// its first NUL byte, if any.
pub fn builtin_modinfo<'a>(
    data: &'a [u8],
    modname: &[u8],
) -> Result<Option<Vec<&'a [u8]>>, BuiltinError> {
    let modname = until_nul(modname);
    let mut pos = 0;
    // The module name of the group being scanned, and whether it is ours.
    let mut group: Option<(&[u8], bool)> = None;
    let mut found = Vec::new();
    while pos < data.len() {
        let rest = &data[pos..];
        let Some(len) = rest.iter().position(|&b| b == 0) else {
            return Err(BuiltinError::Unterminated { offset: pos });
        };
        let record = &rest[..len];
        let Some(dot) = record.iter().position(|&b| b == b'.') else {
            return Err(BuiltinError::NoModnamePrefix { offset: pos });
        };
        let name = &record[..dot];
        match group {
            Some((current, ours)) if current == name => {
                if ours {
                    found.push(&record[dot + 1..]);
                }
            }
            Some((_, true)) => break,
            _ => {
                let ours = name == modname;
                if ours {
                    found.push(&record[dot + 1..]);
                }
                group = Some((name, ours));
            }
        }
        pos += len + 1;
    }
    Ok(match group {
        Some((_, true)) => Some(found),
        _ => None,
    })
}

/// A `modules.builtin.modinfo` file, memory-mapped (or any bytes).
#[derive(Debug)]
pub struct BuiltinModinfo<B: AsRef<[u8]> = FileData> {
    data: B,
}

impl BuiltinModinfo<FileData> {
    /// Maps `dir/modules.builtin.modinfo` (`dir` is usually
    /// `/lib/modules/<version>`).
    pub fn open<P: AsRef<Path>>(dir: P) -> Result<Self, BuiltinError> {
        let path = dir.as_ref().join(BUILTIN_MODINFO);
        match FileData::open(&path) {
            Ok(data) => Ok(BuiltinModinfo { data }),
            Err(source) => Err(BuiltinError::Io { path, source }),
        }
    }
}

impl<B: AsRef<[u8]>> BuiltinModinfo<B> {
    /// Uses `data` as the contents of `modules.builtin.modinfo`.
    pub fn from_bytes(data: B) -> Self {
        BuiltinModinfo { data }
    }

    /// The `key=value` strings of `modname`'s first group, as
    /// [`builtin_modinfo`].
    pub fn get(&self, modname: &[u8]) -> Result<Option<Vec<&[u8]>>, BuiltinError> {
        builtin_modinfo(self.data.as_ref(), modname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &[u8] = b"ext4.alias=fs-ext4\0ext4.license=GPL\0\
        vfat.alias=fs-vfat\0vfat.description=VFAT\0\
        ext4.alias=ext3\0loop.max_loop=8\0";

    #[test]
    fn first_group() {
        assert_eq!(
            builtin_modinfo(DATA, b"ext4").unwrap().unwrap(),
            vec![&b"alias=fs-ext4"[..], b"license=GPL"]
        );
        assert_eq!(
            builtin_modinfo(DATA, b"vfat").unwrap().unwrap(),
            vec![&b"alias=fs-vfat"[..], b"description=VFAT"]
        );
        assert_eq!(
            builtin_modinfo(DATA, b"loop").unwrap().unwrap(),
            vec![&b"max_loop=8"[..]]
        );
        assert_eq!(builtin_modinfo(DATA, b"ext").unwrap(), None);
        assert_eq!(builtin_modinfo(DATA, b"nothere").unwrap(), None);
        assert_eq!(builtin_modinfo(b"", b"x").unwrap(), None);
        // A value may contain dots; only the first one separates the name.
        assert_eq!(
            builtin_modinfo(b"a.version=1.2.3\0", b"a")
                .unwrap()
                .unwrap(),
            vec![&b"version=1.2.3"[..]]
        );
    }

    #[test]
    fn malformed() {
        let bad = b"a.x=1\0b.y=2\0nodot\0c.z=3\0";
        assert_eq!(
            builtin_modinfo(bad, b"a").unwrap().unwrap(),
            vec![&b"x=1"[..]]
        );
        assert!(matches!(
            builtin_modinfo(bad, b"b"),
            Err(BuiltinError::NoModnamePrefix { offset: 12 })
        ));
        assert!(matches!(
            builtin_modinfo(bad, b"c"),
            Err(BuiltinError::NoModnamePrefix { offset: 12 })
        ));
        let e = builtin_modinfo(b"\0", b"a").unwrap_err();
        assert_eq!(
            e.to_string(),
            "modules.builtin.modinfo: unexpected string without modname prefix at offset 0"
        );
        // The record after the group must be read to see that the group ends.
        assert!(matches!(
            builtin_modinfo(b"a.x=1\0nodot\0", b"a"),
            Err(BuiltinError::NoModnamePrefix { offset: 6 })
        ));
        assert!(matches!(
            builtin_modinfo(b"a.x=1\0b.y", b"a"),
            Err(BuiltinError::Unterminated { offset: 6 })
        ));
        assert!(matches!(
            builtin_modinfo(b"a.x=1\0b.y=2\0c.z", b"a"),
            Ok(Some(_))
        ));
    }

    #[test]
    fn real_file() {
        let dir = "/lib/modules/6.1.0-56-amd64";
        let Ok(info) = BuiltinModinfo::open(dir) else {
            eprintln!("skipping: no {dir}/{BUILTIN_MODINFO}");
            return;
        };
        let ext4 = info.get(b"ext4").unwrap();
        eprintln!("{ext4:?}");
        let data = std::fs::read(format!("{dir}/{BUILTIN_MODINFO}")).unwrap();
        // Every module's first group comes back, and the total equals the file.
        let mut names = Vec::new();
        for rec in data.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            let name = &rec[..rec.iter().position(|&b| b == b'.').unwrap()];
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
        let mut total = 0;
        for name in &names {
            total += info.get(name).unwrap().unwrap().len();
        }
        let mut uniq = names.clone();
        uniq.sort();
        uniq.dedup();
        if uniq.len() == names.len() {
            assert_eq!(
                total,
                data.split(|&b| b == 0).filter(|r| !r.is_empty()).count()
            );
        }
    }
}
