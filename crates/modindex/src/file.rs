//! Read-only file contents, memory-mapped when possible.

use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;

/// The bytes of a file opened by this crate: a read-only memory map, or an owned
/// buffer for empty files (which cannot be mapped).
#[derive(Debug)]
pub enum FileData {
    /// A private read-only mapping of the whole file.
    Mapped(memmap2::Mmap),
    /// Bytes held in memory.
    Owned(Vec<u8>),
}

impl FileData {
    /// Maps the file at `path` read-only.
    pub fn open(path: &Path) -> io::Result<FileData> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Ok(FileData::Owned(Vec::new()));
        }
        // SAFETY: the mapping is read-only and private to this process, and the
        // crate never assumes that the mapped bytes are valid: every offset, count
        // and string read from them is bounds-checked against the length fixed at
        // map time, so even contents that change between two reads only give wrong
        // answers or `Err` values. What we accept: depmod replaces the index files
        // by renaming a new file over the old one, which leaves this mapping on the
        // old inode and is harmless; but a process that rewrites or truncates the
        // file *in place* while it is mapped can make us read inconsistent data
        // (Rust's rules for `&[u8]` assume the memory does not change) or, after a
        // truncation, get SIGBUS on access. kmod's `index_mm` has exactly the same
        // exposure; index files are owned by root and only rewritten by depmod.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(FileData::Mapped(map))
    }
}

impl Deref for FileData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileData::Mapped(m) => m,
            FileData::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for FileData {
    fn as_ref(&self) -> &[u8] {
        self
    }
}
