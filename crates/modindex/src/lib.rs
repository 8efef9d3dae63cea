//! kmod's index files and related lookups, read the way kmod 30 reads them.
//!
//! * [`trie`] reads the `modules.*.bin` tries (exact and wildcard lookup, dump);
//! * [`writer`] builds and writes them as depmod does (both node layouts);
//! * [`fnmatch`](mod@fnmatch) is a glibc-compatible `fnmatch(3)`, used for alias patterns;
//! * [`normalize`] has alias and module name normalisation;
//! * [`builtin`] reads `modules.builtin.modinfo`;
//! * [`file`](mod@file) maps files read-only.
//!
//! Nothing here panics on malformed files: every problem is an error value.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod builtin;
pub mod file;
pub mod fnmatch;
pub mod normalize;
pub mod trie;
pub mod writer;

pub use builtin::{builtin_modinfo, BuiltinError, BuiltinModinfo};
pub use file::FileData;
pub use fnmatch::fnmatch;
pub use normalize::{alias_normalize, modname_from_path, modname_normalize, AliasError};
pub use trie::{Dump, Index, IndexError, Layout, Value};
pub use writer::{IndexBuilder, WriteError};
