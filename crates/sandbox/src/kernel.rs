//! The sandbox kernel's state: the arena, the kernel's own exports, the module list, the log and the
//! taint mask. One instance per process ([`kernel`]), reached from host functions that module code
//! calls.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Instant;

use lkm_printk::log::LogBuffer;

use crate::arena::Arena;
use crate::services::{self, KernelSymbol};

pub const UTS_RELEASE: &str = "6.12.0-lkm";
pub const VERMAGIC: &str = "6.12.0-lkm SMP preempt mod_unload ";

/// `enum module_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ModuleState {
    Live = 0,
    Coming = 1,
    Going = 2,
    Unformed = 3,
}

impl ModuleState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ModuleState::Live,
            1 => ModuleState::Coming,
            2 => ModuleState::Going,
            _ => ModuleState::Unformed,
        }
    }
}

/// Kernel taint bits (`TAINT_*`), with the letters `/proc/sys/kernel/tainted` decodes to.
pub mod taint {
    pub const PROPRIETARY_MODULE: u32 = 0;
    pub const FORCED_MODULE: u32 = 1;
    pub const FORCED_RMMOD: u32 = 3;
    pub const DIE: u32 = 7;
    pub const WARN: u32 = 9;
    pub const OOT_MODULE: u32 = 12;
    pub const UNSIGNED_MODULE: u32 = 13;
    /// `(bit, letter, applies to modules)` in the kernel's order.
    pub const FLAGS: [(u32, char, bool); 19] = [
        (0, 'P', true),
        (1, 'F', true),
        (2, 'S', false),
        (3, 'R', false),
        (4, 'M', false),
        (5, 'B', false),
        (6, 'U', false),
        (7, 'D', false),
        (8, 'A', false),
        (9, 'W', false),
        (10, 'C', true),
        (11, 'I', false),
        (12, 'O', true),
        (13, 'E', true),
        (14, 'L', false),
        (15, 'K', true),
        (16, 'X', true),
        (17, 'T', false),
        (18, 'N', true),
    ];
}

/// One symbol of a module, for kallsyms and `%pS`.
#[derive(Debug, Clone)]
pub struct ModuleSymbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    /// `nm`-style type letter (`t`, `T`, `d`, `D`, `r`, `b`, …).
    pub kind: char,
    /// Lives in init memory (gone from kallsyms once init memory is freed).
    pub init: bool,
}

/// An address range of a module and its protection.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub base: u64,
    pub len: u64,
    /// Text (executable) region: where a fault's RIP names a function.
    pub text: bool,
}

/// A symbol a module exports (`EXPORT_SYMBOL*`).
#[derive(Debug, Clone)]
pub struct ModuleExport {
    pub name: String,
    pub addr: u64,
    pub gpl_only: bool,
}

/// A loaded module.
#[derive(Debug)]
pub struct Module {
    pub name: String,
    state: AtomicU8,
    /// Address of its `struct module` (`THIS_MODULE`).
    pub this_module: u64,
    pub init_fn: Option<u64>,
    pub exit_fn: Option<u64>,
    /// Core memory (text, rodata, data), freed at unload.
    pub core: (u64, u64),
    /// Init memory, freed after init.
    pub init_mem: Mutex<Option<(u64, u64)>>,
    pub core_size: u64,
    pub init_size: AtomicU64,
    pub regions: Mutex<Vec<Region>>,
    /// `module_refcount()`: references from `try_module_get` and from modules using its exports.
    pub refcnt: AtomicI64,
    /// Modules whose exports this module uses (each holds one reference on that module).
    pub uses: Vec<Arc<Module>>,
    pub taints: AtomicU32,
    pub symbols: RwLock<Vec<ModuleSymbol>>,
    pub exports: Vec<ModuleExport>,
    pub params: Vec<crate::params::Param>,
    /// Allocated sections and their addresses (`/sys/module/<m>/sections/`).
    pub sections: Vec<(String, u64)>,
    pub version: Option<String>,
    pub srcversion: Option<String>,
    /// Strings owned for `charp` parameters (freed with the module).
    pub owned_strings: Mutex<Vec<std::ffi::CString>>,
}

impl Module {
    pub fn state(&self) -> ModuleState {
        ModuleState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub fn set_state(&self, s: ModuleState) {
        self.state.store(s as u8, Ordering::Release);
        // The module sees its own state in `THIS_MODULE->state`.
        crate::mem::write(self.this_module, &(s as u32).to_le_bytes());
    }

    pub fn add_taint(&self, bit: u32) {
        self.taints.fetch_or(1 << bit, Ordering::AcqRel);
    }

    /// The module's taint letters in the kernel's order (`module_flags`).
    pub fn taint_letters(&self) -> String {
        let t = self.taints.load(Ordering::Acquire);
        taint::FLAGS
            .iter()
            .filter(|(bit, _, module)| *module && t & (1 << bit) != 0)
            .map(|&(_, c, _)| c)
            .collect()
    }

    /// `module_flags(mod, buf, true)`: `(OE)`, `(OE+)` while coming, `(OE-)` while going; empty
    /// when neither applies.
    pub fn flags(&self) -> String {
        let mut s = self.taint_letters();
        match self.state() {
            ModuleState::Coming => s.push('+'),
            ModuleState::Going => s.push('-'),
            _ => {}
        }
        if s.is_empty() {
            s
        } else {
            format!("({s})")
        }
    }

    /// Whether `addr` lies in this module's memory.
    pub fn contains(&self, addr: u64) -> bool {
        self.regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|r| addr >= r.base && addr < r.base + r.len)
    }

    pub fn new_for_loader(parts: ModuleParts) -> Module {
        Module {
            name: parts.name,
            state: AtomicU8::new(ModuleState::Unformed as u8),
            this_module: parts.this_module,
            init_fn: parts.init_fn,
            exit_fn: parts.exit_fn,
            core: parts.core,
            init_mem: Mutex::new(parts.init_mem),
            core_size: parts.core.1,
            init_size: AtomicU64::new(parts.init_mem.map(|m| m.1).unwrap_or(0)),
            regions: Mutex::new(parts.regions),
            refcnt: AtomicI64::new(0),
            uses: parts.uses,
            taints: AtomicU32::new(parts.taints),
            symbols: RwLock::new(parts.symbols),
            exports: parts.exports,
            params: parts.params,
            sections: parts.sections,
            version: parts.version,
            srcversion: parts.srcversion,
            owned_strings: Mutex::new(parts.owned_strings),
        }
    }
}

/// What the loader assembles before a [`Module`] exists.
pub struct ModuleParts {
    pub name: String,
    pub this_module: u64,
    pub init_fn: Option<u64>,
    pub exit_fn: Option<u64>,
    pub core: (u64, u64),
    pub init_mem: Option<(u64, u64)>,
    pub regions: Vec<Region>,
    pub uses: Vec<Arc<Module>>,
    pub taints: u32,
    pub symbols: Vec<ModuleSymbol>,
    pub exports: Vec<ModuleExport>,
    pub params: Vec<crate::params::Param>,
    pub sections: Vec<(String, u64)>,
    pub version: Option<String>,
    pub srcversion: Option<String>,
    pub owned_strings: Vec<std::ffi::CString>,
}

/// A resolved symbol: where it is and who provides it.
pub struct Resolved {
    pub addr: u64,
    pub owner: Option<Arc<Module>>,
}

/// The sandbox kernel.
pub struct Sandbox {
    pub arena: Arena,
    pub boot: Instant,
    /// The kernel's exported API, placed in the arena.
    pub ksyms: std::collections::HashMap<String, KernelSymbol>,
    /// Kernel symbols sorted by address, for kallsyms.
    pub ksyms_by_addr: Vec<KernelSymbol>,
    /// The module list (`modules`), newest first as the kernel lists them.
    pub modules: Mutex<Vec<Arc<Module>>>,
    /// Serialises loads and unloads, as the kernel's `module_mutex` does around the list changes.
    pub module_mutex: Mutex<()>,
    pub log: LogBuffer,
    pub tainted: AtomicU64,
    /// Oopses so far (`[#N]`).
    pub oops_count: AtomicU32,
    /// `pr_notice_once` / first-taint messages already printed.
    pub once: Mutex<std::collections::HashSet<&'static str>>,
}

static SANDBOX: OnceLock<Sandbox> = OnceLock::new();

/// The running sandbox kernel. Panics if [`boot`] has not run (host functions are only reachable
/// from modules, which only a booted kernel loads).
pub fn kernel() -> &'static Sandbox {
    SANDBOX.get().expect("sandbox kernel not booted")
}

/// Whether this process runs a sandbox kernel.
pub fn booted() -> bool {
    SANDBOX.get().is_some()
}

/// Boots the kernel in this process: reserves the arena (call this first thing, before other
/// threads exist), places the exported API, installs the fault handlers.
pub fn boot() -> Result<&'static Sandbox, String> {
    if let Some(k) = SANDBOX.get() {
        return Ok(k);
    }
    let arena = Arena::reserve().map_err(|e| e.to_string())?;
    let ksyms = services::place_exports(&arena)?;
    let mut by_addr: Vec<KernelSymbol> = ksyms.values().cloned().collect();
    by_addr.sort_by_key(|s| s.addr);
    crate::guard::install().map_err(|e| format!("cannot install the fault handlers: {e}"))?;
    let sandbox = Sandbox {
        arena,
        boot: Instant::now(),
        ksyms,
        ksyms_by_addr: by_addr,
        modules: Mutex::new(Vec::new()),
        module_mutex: Mutex::new(()),
        log: LogBuffer::new(),
        tainted: AtomicU64::new(0),
        oops_count: AtomicU32::new(0),
        once: Mutex::new(Default::default()),
    };
    let _ = SANDBOX.set(sandbox);
    let k = kernel();
    services::time::start();
    services::watchdog::start();
    k.printk(
        5,
        &format!(
            "Linux version {UTS_RELEASE} (lkm sandbox kernel {}) #1 SMP PREEMPT",
            env!("CARGO_PKG_VERSION")
        ),
    );
    Ok(k)
}

impl Sandbox {
    /// Logs one kernel message at `level` (what `pr_err` and friends do for the kernel's own code).
    pub fn printk(&self, level: u8, text: &str) {
        let mut msg = Vec::with_capacity(text.len() + 3);
        msg.push(1);
        msg.push(b'0' + level.min(7));
        msg.extend_from_slice(text.as_bytes());
        if !text.ends_with('\n') {
            msg.push(b'\n');
        }
        crate::printk::emit(&msg);
    }

    /// Runs `f` the first time `key` is seen (the kernel's `pr_*_once` and "taints kernel" messages).
    pub fn once(&self, key: &'static str, f: impl FnOnce()) {
        let first = self
            .once
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
        if first {
            f();
        }
    }

    pub fn add_taint(&self, bit: u32) {
        self.tainted.fetch_or(1 << bit, Ordering::AcqRel);
    }

    pub fn test_taint(&self, bit: u32) -> bool {
        self.tainted.load(Ordering::Acquire) & (1 << bit) != 0
    }

    /// `print_tainted()`: `G` or `P`, then a letter or space per flag, as oops headers show it.
    pub fn tainted_string(&self) -> String {
        let t = self.tainted.load(Ordering::Acquire);
        if t == 0 {
            return "Not tainted".to_string();
        }
        let mut s = String::from("Tainted: ");
        for &(bit, c, _) in taint::FLAGS.iter() {
            if bit == 0 {
                s.push(if t & 1 != 0 { 'P' } else { 'G' });
            } else {
                s.push(if t & (1 << bit) != 0 { c } else { ' ' });
            }
        }
        s
    }

    pub fn modules(&self) -> Vec<Arc<Module>> {
        self.modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn find_module(&self, name: &str) -> Option<Arc<Module>> {
        self.modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|m| m.name == name)
            .cloned()
    }

    /// Modules using `m`'s exports (`/sys/module/<m>/holders`, "in use by").
    pub fn holders(&self, m: &Module) -> Vec<String> {
        // Newest holder first, as the kernel's `source_list` (add_module_usage adds at the head):
        // /proc/modules shows `provider 12288 2 newer,older,`. The module list is newest first.
        self.modules()
            .iter()
            .filter(|o| o.uses.iter().any(|u| std::ptr::eq(u.as_ref(), m)))
            .map(|o| o.name.clone())
            .collect()
    }

    /// `find_symbol()`: the kernel's exports first, then live and coming modules'. GPL-only exports
    /// are invisible to modules that are not GPL-compatible.
    pub fn find_symbol(&self, name: &str, gpl_ok: bool) -> Option<Resolved> {
        match self.find_export(name)? {
            (_, true) if !gpl_ok => None,
            (r, _) => Some(r),
        }
    }

    /// An export by name, the kernel's first, then live and coming modules', with whether it is
    /// GPL-only (`find_symbol()` with `gplok`).
    pub fn find_export(&self, name: &str) -> Option<(Resolved, bool)> {
        if let Some(s) = self.ksyms.get(name) {
            return Some((
                Resolved {
                    addr: s.addr,
                    owner: None,
                },
                s.gpl_only,
            ));
        }
        self.modules()
            .iter()
            .filter(|m| m.state() != ModuleState::Unformed)
            .find_map(|m| {
                let e = m.exports.iter().find(|e| e.name == name)?;
                Some((
                    Resolved {
                        addr: e.addr,
                        owner: Some(m.clone()),
                    },
                    e.gpl_only,
                ))
            })
    }

    /// Who owns an exported name already (for the duplicate-export check).
    pub fn export_owner(&self, name: &str) -> Option<String> {
        if self.ksyms.contains_key(name) {
            return Some("kernel".to_string());
        }
        self.modules()
            .iter()
            .find(|m| m.exports.iter().any(|e| e.name == name))
            .map(|m| m.name.clone())
    }

    /// The module whose memory holds `addr`.
    pub fn module_at(&self, addr: u64) -> Option<Arc<Module>> {
        self.modules().into_iter().find(|m| m.contains(addr))
    }

    /// The module whose `struct module` is at `addr` (`THIS_MODULE` handed to the kernel).
    pub fn module_by_struct(&self, addr: u64) -> Option<Arc<Module>> {
        self.modules().into_iter().find(|m| m.this_module == addr)
    }

    /// kallsyms lookup: `(name, offset, size, module)` for the symbol containing `addr`.
    pub fn symbol_at(&self, addr: u64) -> Option<(String, u64, u64, Option<String>)> {
        if let Some(m) = self.module_at(addr) {
            let syms = m.symbols.read().unwrap_or_else(|e| e.into_inner());
            // The kernel's choice: the highest address not above `addr`; among aliases at that address
            // (hello_init and init_module) the first in symbol-table order, which the stable sort by
            // address kept.
            let pick = |text_only: bool| {
                let mut best: Option<&ModuleSymbol> = None;
                for s in syms.iter() {
                    if s.addr > addr || (text_only && !matches!(s.kind, 't' | 'T')) {
                        continue;
                    }
                    if best.is_none_or(|b| s.addr > b.addr) {
                        best = Some(s);
                    }
                }
                best
            };
            let best = pick(true).or_else(|| pick(false))?;
            return Some((
                best.name.clone(),
                addr - best.addr,
                best.size,
                Some(m.name.clone()),
            ));
        }
        let i = self.ksyms_by_addr.partition_point(|s| s.addr <= addr);
        let s = self.ksyms_by_addr.get(i.checked_sub(1)?)?;
        if addr < s.addr + s.size.max(1) {
            return Some((s.name.clone(), addr - s.addr, s.size, None));
        }
        None
    }
}
