//! The kernel API modules link against: the export table, placed in the arena at boot.
//!
//! A function export gets a 16-byte trampoline in the arena (`jmp *0(%rip)` + the host address), so a
//! module reaches it with a 32-bit relocation and every reference (call or pointer) sees the same
//! address. A few tiny helpers the compiler may call (`__fentry__`, return and indirect-branch thunks)
//! are real code in the arena, not trampolines. Data exports live in the arena's kernel-data block.
//!
//! `lkm sdk` writes this table as the SDK's `Module.symvers`, so modpost and the loader agree.

use std::collections::HashMap;
use std::ffi::c_char;

use crate::arena::{Arena, Prot, DATA_AREA, TRAMPOLINE_AREA};
use crate::params;

pub mod chardev;
pub mod debugfs;
mod entry_tree;
pub mod idr;
pub mod jump_label;
pub mod kmod;
pub mod kthread;
pub mod lib;
pub mod memory;
pub mod platform;
pub mod procfs;
pub mod sync;
pub mod sysfs;
pub mod task;
pub mod time;
pub mod watchdog;

/// A placed kernel export.
#[derive(Debug, Clone)]
pub struct KernelSymbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    pub gpl_only: bool,
    pub is_function: bool,
}

enum Kind {
    /// A host function, reached through a trampoline.
    Func(usize),
    /// Machine code placed in the arena as is.
    Code(&'static [u8]),
    /// Data of this size, initialised by the function from the addresses placed so far.
    Data(usize, fn(&HashMap<String, KernelSymbol>, &mut [u8])),
}

struct Export {
    name: &'static str,
    gpl_only: bool,
    kind: Kind,
}

extern "C" {
    fn _printk(fmt: *const c_char, ...) -> i32;
    fn vprintk(fmt: *const c_char, ap: *mut libc::c_void) -> i32;
    fn sprintf(buf: *mut c_char, fmt: *const c_char, ...) -> i32;
    fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ...) -> i32;
    fn scnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ...) -> i32;
    fn vsnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ap: *mut libc::c_void) -> i32;
    fn vscnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ap: *mut libc::c_void) -> i32;
    fn vsprintf(buf: *mut c_char, fmt: *const c_char, ap: *mut libc::c_void) -> i32;
    fn __lkm_warn(file: *const c_char, line: i32, fmt: *const c_char, ...);
    fn __lkm_bug(file: *const c_char, line: i32) -> !;
    fn __stack_chk_fail() -> !;
    fn panic(fmt: *const c_char, ...) -> !;
}

macro_rules! func {
    ($name:ident) => {
        Export {
            name: stringify!($name),
            gpl_only: false,
            kind: Kind::Func($name as *const () as usize),
        }
    };
    ($name:expr, $f:expr) => {
        Export {
            name: $name,
            gpl_only: false,
            kind: Kind::Func($f as *const () as usize),
        }
    };
}

macro_rules! gpl_func {
    ($name:ident) => {
        Export {
            name: stringify!($name),
            gpl_only: true,
            kind: Kind::Func($name as *const () as usize),
        }
    };
}

fn code(name: &'static str, bytes: &'static [u8]) -> Export {
    Export {
        name,
        gpl_only: false,
        kind: Kind::Code(bytes),
    }
}

fn data(
    name: &'static str,
    size: usize,
    init: fn(&HashMap<String, KernelSymbol>, &mut [u8]),
) -> Export {
    Export {
        name,
        gpl_only: false,
        kind: Kind::Data(size, init),
    }
}

fn exports() -> Vec<Export> {
    use crate::services_impl::*;
    let mut v = vec![
        // printk and vsprintf (C entry points handing over to Rust).
        func!(_printk),
        func!(vprintk),
        func!(sprintf),
        func!(snprintf),
        func!(scnprintf),
        func!(vsnprintf),
        func!(vscnprintf),
        func!(vsprintf),
        func!(__lkm_warn),
        func!(__lkm_bug),
        func!(__stack_chk_fail),
        func!(panic),
        func!(dump_stack),
        gpl_func!(add_taint),
        // string.h: the C library's implementations have the kernel's semantics for these.
        func!("memcpy", libc::memcpy),
        func!("memmove", libc::memmove),
        func!("memset", libc::memset),
        func!("memcmp", libc::memcmp),
        func!("strlen", libc::strlen),
        func!("strnlen", libc::strnlen),
        func!("strcmp", libc::strcmp),
        func!("strncmp", libc::strncmp),
        func!("strcpy", libc::strcpy),
        func!("strncpy", libc::strncpy),
        func!("strcat", libc::strcat),
        func!("strncat", libc::strncat),
        func!("strchr", libc::strchr),
        func!("strrchr", libc::strrchr),
        func!("strstr", libc::strstr),
        func!("strcasecmp", libc::strcasecmp),
        func!("strncasecmp", libc::strncasecmp),
        func!(strscpy),
        // kstrtox.h
        func!(kstrtoint),
        func!(kstrtouint),
        func!(kstrtol),
        func!(kstrtoul),
        func!(kstrtoll),
        func!(kstrtoull),
        func!(kstrtobool),
        func!(simple_strtoul),
        func!(simple_strtol),
        func!(simple_strtoull),
        // module reference counts
        func!(try_module_get),
        func!(module_put),
        func!(__module_get),
        func!(module_refcount),
        // stack protector guard (read with -mstack-protector-guard=global)
        data("__stack_chk_guard", 8, |_, b| {
            let mut g = [0u8; 8];
            // SAFETY: getrandom into a local buffer.
            unsafe { libc::getrandom(g.as_mut_ptr().cast(), 8, 0) };
            g[0] = 0; // as glibc does: a NUL byte stops string overruns from copying the canary
            b.copy_from_slice(&g);
        }),
        // compiler helpers some flag sets call
        code("__fentry__", &[0xc3]),
        code("__x86_return_thunk", &[0xc3]),
    ];
    // Retpoline thunks: `jmp *%reg` for each register.
    for (reg, bytes) in INDIRECT_THUNKS {
        v.push(code(reg, bytes));
    }
    v.extend(params::exports().into_iter().map(Export::from));
    // The kernel-service areas (issue 5), one module each.
    for area in [
        task::exports(),
        memory::exports(),
        time::exports(),
        kthread::exports(),
        sync::exports(),
        jump_label::exports(),
        watchdog::exports(),
        lib::exports(),
        idr::exports(),
        chardev::exports(),
        procfs::exports(),
        debugfs::exports(),
        platform::exports(),
        sysfs::exports(),
        kmod::exports(),
    ] {
        v.extend(area.into_iter().map(Export::from));
    }
    v
}

const INDIRECT_THUNKS: [(&str, &[u8]); 16] = [
    ("__x86_indirect_thunk_rax", &[0xff, 0xe0]),
    ("__x86_indirect_thunk_rcx", &[0xff, 0xe1]),
    ("__x86_indirect_thunk_rdx", &[0xff, 0xe2]),
    ("__x86_indirect_thunk_rbx", &[0xff, 0xe3]),
    ("__x86_indirect_thunk_rsp", &[0xff, 0xe4]),
    ("__x86_indirect_thunk_rbp", &[0xff, 0xe5]),
    ("__x86_indirect_thunk_rsi", &[0xff, 0xe6]),
    ("__x86_indirect_thunk_rdi", &[0xff, 0xe7]),
    ("__x86_indirect_thunk_r8", &[0x41, 0xff, 0xe0]),
    ("__x86_indirect_thunk_r9", &[0x41, 0xff, 0xe1]),
    ("__x86_indirect_thunk_r10", &[0x41, 0xff, 0xe2]),
    ("__x86_indirect_thunk_r11", &[0x41, 0xff, 0xe3]),
    ("__x86_indirect_thunk_r12", &[0x41, 0xff, 0xe4]),
    ("__x86_indirect_thunk_r13", &[0x41, 0xff, 0xe5]),
    ("__x86_indirect_thunk_r14", &[0x41, 0xff, 0xe6]),
    ("__x86_indirect_thunk_r15", &[0x41, 0xff, 0xe7]),
];

/// Builders for the parameter module's data exports.
pub(crate) fn func_export(name: &'static str, addr: usize) -> ExportEntry {
    ExportEntry(Export {
        name,
        gpl_only: false,
        kind: Kind::Func(addr),
    })
}

pub(crate) fn data_export(
    name: &'static str,
    size: usize,
    init: fn(&HashMap<String, KernelSymbol>, &mut [u8]),
) -> ExportEntry {
    ExportEntry(data(name, size, init))
}

/// An export entry other modules of this crate contribute.
pub struct ExportEntry(Export);

impl ExportEntry {
    /// The same export as `EXPORT_SYMBOL_GPL`.
    pub(crate) fn gpl(mut self) -> Self {
        self.0.gpl_only = true;
        self
    }
}

impl From<ExportEntry> for Export {
    fn from(e: ExportEntry) -> Export {
        e.0
    }
}

/// Places every export: trampolines and code first, then data (which may point at functions).
pub fn place_exports(arena: &Arena) -> Result<HashMap<String, KernelSymbol>, String> {
    let mut table = HashMap::new();
    let all = exports();
    let mut code_at = arena.trampolines();
    let code_end = code_at + TRAMPOLINE_AREA;
    for e in all.iter() {
        let bytes: Vec<u8> = match e.kind {
            Kind::Func(target) => {
                let mut t = vec![0xff, 0x25, 0, 0, 0, 0];
                t.extend_from_slice(&(target as u64).to_le_bytes());
                t.extend_from_slice(&[0xcc, 0xcc]);
                t
            }
            Kind::Code(b) => {
                let mut t = b.to_vec();
                t.resize(16, 0xcc);
                t
            }
            Kind::Data(..) => continue,
        };
        if code_at + bytes.len() > code_end {
            return Err("too many kernel exports for the trampoline area".into());
        }
        // SAFETY: the trampoline area is mapped read-write until protected below, and
        // [code_at, code_at+16) lies inside it.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), code_at as *mut u8, bytes.len()) };
        table.insert(
            e.name.to_string(),
            KernelSymbol {
                name: e.name.to_string(),
                addr: code_at as u64,
                size: 16,
                gpl_only: e.gpl_only,
                is_function: true,
            },
        );
        code_at += 16;
    }
    let mut data_at = arena.data_block();
    let data_end = data_at + DATA_AREA;
    for e in all.iter() {
        let Kind::Data(size, init) = e.kind else {
            continue;
        };
        data_at = data_at.next_multiple_of(16);
        if data_at + size > data_end {
            return Err("too many kernel data exports for the data block".into());
        }
        let mut buf = vec![0u8; size];
        init(&table, &mut buf);
        // SAFETY: the data block is mapped read-write and [data_at, data_at+size) lies inside it.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), data_at as *mut u8, size) };
        table.insert(
            e.name.to_string(),
            KernelSymbol {
                name: e.name.to_string(),
                addr: data_at as u64,
                size: size as u64,
                gpl_only: e.gpl_only,
                is_function: false,
            },
        );
        data_at += size;
    }
    arena
        .protect(arena.trampolines(), TRAMPOLINE_AREA, Prot::ReadExec)
        .map_err(|e| e.to_string())?;
    Ok(table)
}

/// The export table as the SDK's `Module.symvers` lists it.
pub fn symvers() -> String {
    let mut names: Vec<(&'static str, bool)> =
        exports().iter().map(|e| (e.name, e.gpl_only)).collect();
    names.sort();
    let mut s = String::new();
    for (name, gpl) in names {
        s.push_str(&format!(
            "0x00000000\t{name}\tvmlinux\t{}\t\n",
            if gpl {
                "EXPORT_SYMBOL_GPL"
            } else {
                "EXPORT_SYMBOL"
            }
        ));
    }
    s
}
