//! Kernel module files (`.ko`) as data.
//!
//! [`ModuleImage`] holds a file's uncompressed bytes (mapped when plain); [`Module::parse`] splits off
//! the appended signature and validates the ELF image the way the kernel's loader does; from there,
//! typed views reach `.modinfo`, the export tables, `__versions` and `.gnu.linkonce.this_module`.
//! Nothing here panics or reads out of bounds on malformed input: every failure is an [`Error`].

pub mod decompress;
pub mod elf;
mod error;
pub mod image;
pub mod modinfo;
pub mod module;
pub mod pkcs7;
pub mod signature;

pub use decompress::Compression;
pub use error::Error;
pub use image::ModuleImage;
pub use modinfo::{ModInfo, ModInfoEntry};
pub use module::{Export, Module, ThisModule, Version};

/// The C library's wording of an I/O error (`strerror`), without Rust's " (os error N)" suffix.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
