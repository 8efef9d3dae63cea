//! The sandbox kernel: a Linux-like kernel in an ordinary process that loads real x86_64 `.ko`
//! modules built against lkm's SDK, links them against its exported API and each other, runs them,
//! and survives their faults.
//!
//! The module subsystem is split as the kernel's `kernel/module/` is:
//! - [`loader`]: `load_module`/`delete_module`, step by step (ELF checks, layout, symbols,
//!   relocation, W^X, init and exit);
//! - [`params`]: the `__param` table and argument parsing;
//! - [`views`]: `/proc/modules`, `/proc/kallsyms`, `/sys/module/<m>/…`;
//! - [`printk`]: the log buffer and console;
//! - [`services`]: the exported kernel API modules link against;
//! - [`arena`], [`guard`], [`mem`]: the memory modules live in, entering module code, and checked
//!   access to module-supplied pointers;
//! - [`server`] and [`client`]: the kernel process and its owner-only control socket.

pub mod arena;
pub mod client;
pub mod guard;
pub mod kernel;
pub mod loader;
pub mod mem;
pub mod oops;
pub mod params;
pub mod printk;
pub mod protocol;
pub mod sched;
pub mod server;
pub mod services;
mod services_impl;
pub mod unloaded;
pub mod views;

pub use client::{state_dir, Handle, SandboxKernel, Session};
