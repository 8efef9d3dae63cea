//! printk for lkm: the kernel's `vsnprintf`, its log ring buffer with the `/dev/kmsg` and console
//! text formats, and util-linux `dmesg` as pure functions over records.
//!
//! * [`vsprintf`] — `lib/vsprintf.c` semantics over raw 64-bit argument slots;
//! * [`vsscanf`] — `lib/vsprintf.c`'s `vsscanf`, handing each assignment to the caller;
//! * [`log`] — `kernel/printk/printk.c`: [`log::LogBuffer`] (levels, `KERN_CONT`, capacity,
//!   clear point, blocking readers), `/proc/sys/kernel/printk`, `/dev/kmsg` text both ways;
//! * [`dmesg`] — util-linux 2.38 `dmesg`: rendering, option parsing, a [`dmesg::KmsgSource`] for
//!   the running host and one for a [`log::LogBuffer`].
//!
//! Everything is safe Rust except two system calls the host source needs (`klogctl` and
//! `lseek(SEEK_DATA)` on `/dev/kmsg`, plus `clock_gettime(CLOCK_BOOTTIME)`), kept in one module.
#![deny(unsafe_code)]

pub mod dmesg;
pub mod log;
mod sys;
mod time;
pub mod vsprintf;
pub mod vsscanf;

pub use log::{LogBuffer, PrintkLevels, Record, StoreResult};
pub use vsprintf::{format, vsnprintf, FormatEnv, NoEnv, SymbolInfo};
