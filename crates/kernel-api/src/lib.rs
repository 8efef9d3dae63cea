//! `Kernel`: what kmod's tools ask of a kernel, as one trait. The sandbox kernel (`lkm-sandbox`'s
//! client) and the running host kernel (`HostKernel`, through system calls and `/proc`, `/sys`) both
//! implement it, so `insmod`, `rmmod`, `lsmod` and `modprobe` are written once.
//!
//! Errors are `std::io::Error`s carrying the kernel's errno (`raw_os_error()`), exactly what the
//! system call would have returned, so the tools can word them as kmod does.

use std::io;

mod host;
pub use host::HostKernel;

/// `finit_module` flags (`MODULE_INIT_*` in `<uapi/linux/module.h>`).
pub mod init_flags {
    /// Ignore the module's symbol version CRCs (`insmod --force-modversion`).
    pub const IGNORE_MODVERSIONS: u32 = 1;
    /// Ignore the module's vermagic string (`insmod --force-vermagic`).
    pub const IGNORE_VERMAGIC: u32 = 2;
    /// The file is compressed; the kernel decompresses it.
    pub const COMPRESSED_FILE: u32 = 4;
}

/// `delete_module` flags (`O_NONBLOCK`, `O_TRUNC` as the system call takes them).
pub mod delete_flags {
    /// Fail with `EWOULDBLOCK` instead of waiting for the refcount to drop (always set since 3.13).
    pub const NONBLOCK: u32 = libc::O_NONBLOCK as u32;
    /// Forced removal (`rmmod -f`): unload even if in use or without an exit function.
    pub const TRUNC: u32 = libc::O_TRUNC as u32;
}

/// A kernel that loads and unloads modules and shows its `/proc` and `/sys` files.
pub trait Kernel {
    /// The kernel's release, as `uname -r` prints it (selects `/lib/modules/<release>`).
    fn release(&self) -> io::Result<String>;

    /// `init_module(2)`: load a module from the bytes of its file (uncompressed ELF) with the parameter
    /// string `params` (`"a=1 b=x"`), run its init, and return its result.
    fn init_module(&self, image: &[u8], params: &str) -> io::Result<()>;

    /// `finit_module(2)`: the same from an open file, with `init_flags` flags.
    fn finit_module(&self, file: &std::fs::File, params: &str, flags: u32) -> io::Result<()>;

    /// `delete_module(2)`: unload the module `name` with `delete_flags` flags.
    fn delete_module(&self, name: &str, flags: u32) -> io::Result<()>;

    /// Read a whole file under `/proc` or `/sys` (for example `/proc/modules`,
    /// `/sys/module/hello/refcnt`).
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>>;

    /// Write `data` to a file under `/proc` or `/sys` (a parameter, `/proc/sys/kernel/printk`).
    fn write_file(&self, path: &str, data: &[u8]) -> io::Result<()>;

    /// The names in a directory under `/proc` or `/sys` (for example `/sys/module/hello/holders`),
    /// without `.` and `..`, in the directory's own listing order: kmod prints holders in `readdir`
    /// order, which on the host is sysfs's (by name hash), so `HostKernel` keeps it; a kernel without
    /// an order of its own may return them sorted.
    fn read_dir(&self, path: &str) -> io::Result<Vec<String>>;
}
