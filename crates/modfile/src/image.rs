//! A module file's bytes: mapped when plain, decompressed into memory when compressed.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use crate::decompress::{decompress, Compression};
use crate::Error;

enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// The uncompressed bytes of a module file, and how the file was compressed.
pub struct ModuleImage {
    bytes: Bytes,
    compression: Compression,
}

impl ModuleImage {
    /// Opens `path`, detects compression by magic and decompresses if needed.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::from_raw_os_error(21)));
        }
        let raw = if meta.is_file() && meta.len() > 0 {
            // SAFETY: the map is private and read-only. If another process truncates or rewrites the file
            // while we read it, we may see inconsistent bytes or take SIGBUS, the same exposure kmod has
            // with its own mmap of module files; every parser treats the bytes as untrusted anyway.
            Bytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(io)?)
        } else {
            // Pipes, character devices, empty files: read what there is.
            let mut v = Vec::new();
            file.read_to_end(&mut v).map_err(io)?;
            Bytes::Owned(v)
        };
        let compression = Compression::detect(raw.as_slice());
        let bytes = match compression {
            Compression::None => raw,
            c => Bytes::Owned(decompress(raw.as_slice(), c)?),
        };
        Ok(ModuleImage { bytes, compression })
    }

    /// Wraps bytes already in memory, decompressing them if they are compressed.
    pub fn from_vec(raw: Vec<u8>) -> Result<Self, Error> {
        let compression = Compression::detect(&raw);
        let bytes = match compression {
            Compression::None => raw,
            c => decompress(&raw, c)?,
        };
        Ok(ModuleImage {
            bytes: Bytes::Owned(bytes),
            compression,
        })
    }

    /// How the file on disk was compressed.
    pub fn compression(&self) -> Compression {
        self.compression
    }
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

impl Deref for ModuleImage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.as_slice()
    }
}
