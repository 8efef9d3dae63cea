//! Names for code of modules that are gone (issue 6, "What Linux cannot tell you").
//!
//! Linux prints a bare address for a function of an unloaded module. The sandbox remembers the
//! symbol tables of the last [`KEEP`] unloaded modules, so that a late report (an RCU callback
//! skipped, a double free noticed after the module went, a kthread ending in the kept memory) can
//! still name `function+offset/size [module]`. An address a loaded module covers is always that
//! module's: the arena reuses the memory of unloaded modules.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use crate::kernel::{kernel, Module};

/// How many unloaded modules are remembered.
const KEEP: usize = 16;

fn registry() -> &'static Mutex<VecDeque<Arc<Module>>> {
    static R: OnceLock<Mutex<VecDeque<Arc<Module>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Remembers a module that is being unloaded (the loader's `free_module`).
pub fn remember(m: &Arc<Module>) {
    let mut r = registry().lock().unwrap_or_else(|e| e.into_inner());
    r.retain(|x| !Arc::ptr_eq(x, m));
    if r.len() >= KEEP {
        r.pop_front();
    }
    r.push_back(m.clone());
}

/// `(name, offset, size)` of the symbol of `m` covering `addr`, preferring text symbols; `None`
/// when `addr` is outside the module's core memory or no symbol covers it. Works while and after
/// the module is unloaded (its symbol table stays with the `Module`).
pub fn module_symbol(m: &Module, addr: u64) -> Option<(String, u64, u64)> {
    let (base, len) = m.core;
    if addr < base || addr >= base + len {
        return None;
    }
    let syms = m.symbols.read().unwrap_or_else(|e| e.into_inner());
    let pick = |text_only: bool| {
        syms.iter()
            .filter(|s| !s.init && s.addr <= addr && (!text_only || matches!(s.kind, 't' | 'T')))
            .fold(None::<&crate::kernel::ModuleSymbol>, |best, s| match best {
                Some(b) if b.addr >= s.addr => Some(b),
                _ => Some(s),
            })
    };
    let s = pick(true).or_else(|| pick(false))?;
    Some((s.name.clone(), addr - s.addr, s.size))
}

/// A function of `m` for a one-line report: its bare name when `addr` is its start, else
/// `function+off/size`; the address when no symbol covers it.
pub fn function_name(m: &Module, addr: u64) -> String {
    match module_symbol(m, addr) {
        Some((name, 0, _)) => name,
        Some((name, off, size)) => format!("{name}+{off:#x}/{size:#x}"),
        None => crate::oops::symbolize(addr),
    }
}

/// `function+off/size [module]` as [`crate::oops::symbolize`], also for addresses of recently
/// unloaded modules (`[module]` then reads `[module, unloaded]`).
pub fn symbolize(addr: u64) -> String {
    if kernel().symbol_at(addr).is_some() {
        return crate::oops::symbolize(addr);
    }
    let r = registry().lock().unwrap_or_else(|e| e.into_inner());
    for m in r.iter().rev() {
        if let Some((name, off, size)) = module_symbol(m, addr) {
            return format!("{name}+{off:#x}/{size:#x} [{}, unloaded]", m.name);
        }
    }
    format!("0x{addr:x}")
}

/// The data symbol of a loaded module holding `addr` (`name+off/size [module]`), as KASAN's "The
/// buggy address belongs to the variable" names it.
pub fn variable_at(addr: u64) -> Option<String> {
    let m = kernel().module_at(addr)?;
    let syms = m.symbols.read().unwrap_or_else(|e| e.into_inner());
    let s = syms
        .iter()
        .filter(|s| !matches!(s.kind, 't' | 'T') && s.addr <= addr && addr < s.addr + s.size)
        .max_by_key(|s| s.addr)?;
    Some(format!(
        "{}+{:#x}/{:#x} [{}]",
        s.name,
        addr - s.addr,
        s.size,
        m.name
    ))
}
