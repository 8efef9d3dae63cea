//! Errors of the module-file reader, each one line, worded like the kernel's loader where it has words.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::decompress::DecompressError;
use crate::elf::ElfError;
use crate::signature::SignatureError;

/// Anything that makes a module file unreadable.
#[derive(Debug)]
pub enum Error {
    /// The file could not be opened or read.
    Io { path: PathBuf, source: io::Error },
    /// A compressed file whose stream is broken.
    Decompress(DecompressError),
    /// `~Module signature appended~` is present but the trailer is malformed.
    Signature(SignatureError),
    /// The image is not a valid module object.
    Elf(ElfError),
    /// A structural problem in one of the module's special sections.
    Section(String),
}

impl Error {
    /// The errno a kernel or kmod would report for this.
    pub fn errno(&self) -> i32 {
        match self {
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(5),
            Error::Decompress(_) => 8,
            Error::Signature(e) => e.errno(),
            Error::Elf(e) => e.errno(),
            Error::Section(_) => 8,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => {
                write!(f, "{}: {}", path.display(), crate::strerror(source))
            }
            Error::Decompress(e) => e.fmt(f),
            Error::Signature(e) => e.fmt(f),
            Error::Elf(e) => e.fmt(f),
            Error::Section(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decompress(e) => Some(e),
            Error::Signature(e) => Some(e),
            Error::Elf(e) => Some(e),
            Error::Section(_) => None,
        }
    }
}

impl From<ElfError> for Error {
    fn from(e: ElfError) -> Self {
        Error::Elf(e)
    }
}
impl From<DecompressError> for Error {
    fn from(e: DecompressError) -> Self {
        Error::Decompress(e)
    }
}
impl From<SignatureError> for Error {
    fn from(e: SignatureError) -> Self {
        Error::Signature(e)
    }
}
