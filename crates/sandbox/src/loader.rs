//! `load_module` and `delete_module`, step by step as `kernel/module/main.c` does them:
//!
//! validate the ELF → read `.modinfo` (vermagic, license, taints) → claim the name (`-EEXIST`) →
//! lay sections out into core and init memory → resolve symbols (the kernel's exports, then other
//! modules', GPL-only ones hidden from non-GPL modules) → relocate → read the module's exports and
//! check them for duplicates → parse parameters → protect memory W^X → COMING → init (guarded) →
//! LIVE, free init memory.
//!
//! Errors are the kernel's errnos, with the kernel's log messages.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lkm_modfile::elf::{shf, shn, sht, Elf, SymbolTable};
use lkm_modfile::{ModInfo, Module as ModFile};

use crate::arena::{page_align, Prot};
use crate::kernel::{
    kernel, taint, Module, ModuleExport, ModuleParts, ModuleState, ModuleSymbol, Region, Resolved,
    Sandbox, VERMAGIC,
};
use crate::{guard, oops, params};

/// `sizeof(struct module)` in lkm's SDK (docs/SDK-ABI.md).
pub const STRUCT_MODULE_SIZE: u64 = 512;
const MODULE_INIT_OFFSET: u64 = 80;
const MODULE_EXIT_OFFSET: u64 = 88;
const MODULE_NAME_OFFSET: u64 = 24;
const MODULE_NAME_LEN: usize = 56;

const ENOEXEC: i32 = libc::ENOEXEC;
const ENOENT: i32 = libc::ENOENT;
const EEXIST: i32 = libc::EEXIST;
const ENOMEM: i32 = libc::ENOMEM;
const EBUSY: i32 = libc::EBUSY;
const EWOULDBLOCK: i32 = libc::EWOULDBLOCK;
const EFAULT: i32 = libc::EFAULT;

const STB_WEAK: u8 = 2;
const STB_LOCAL: u8 = 0;
const STT_FUNC: u8 = 2;
const STT_OBJECT: u8 = 1;
const STT_SECTION: u8 = 3;
const STT_FILE: u8 = 4;

/// The memory kinds of a module, in layout order (`enum mod_mem_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemType {
    Text,
    Rodata,
    Data,
    InitText,
    InitRodata,
    InitData,
}

impl MemType {
    const ALL: [MemType; 6] = [
        MemType::Text,
        MemType::Rodata,
        MemType::Data,
        MemType::InitText,
        MemType::InitRodata,
        MemType::InitData,
    ];
    fn is_init(self) -> bool {
        matches!(
            self,
            MemType::InitText | MemType::InitRodata | MemType::InitData
        )
    }
    fn prot(self) -> Prot {
        match self {
            MemType::Text | MemType::InitText => Prot::ReadExec,
            MemType::Rodata | MemType::InitRodata => Prot::Read,
            MemType::Data | MemType::InitData => Prot::ReadWrite,
        }
    }
    fn index(self) -> usize {
        self as usize
    }
}

/// Memory allocated so far, released if the load fails.
struct Allocation<'k> {
    k: &'k Sandbox,
    core: Option<(u64, u64)>,
    init: Option<(u64, u64)>,
}

impl Drop for Allocation<'_> {
    fn drop(&mut self) {
        if let Some((b, l)) = self.core.take() {
            self.k.arena.free(b as usize, l as usize);
        }
        if let Some((b, l)) = self.init.take() {
            self.k.arena.free(b as usize, l as usize);
        }
    }
}

/// Removes the name claim (an `UNFORMED` list entry) if the load fails before the module is
/// complete.
struct NameClaim<'k> {
    k: &'k Sandbox,
    module: Option<Arc<Module>>,
}

impl Drop for NameClaim<'_> {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            self.k
                .modules
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|x| !Arc::ptr_eq(x, &m));
        }
    }
}

fn pr_err(k: &Sandbox, text: String) -> i32 {
    k.printk(3, &text);
    ENOEXEC
}

fn modinfo_value<'a>(info: &Option<ModInfo<'a>>, key: &[u8]) -> Option<String> {
    info.as_ref()?
        .clone()
        .find(|e| e.key == key)
        .map(|e| String::from_utf8_lossy(e.value).into_owned())
}

/// How long the last successful load took, measured inside the kernel (always on: two clock
/// reads per load). `lkm status` shows it as `last load: hello in 812 us (init 15 us)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTiming {
    pub name: String,
    /// From the request's receipt (the whole image read from the control socket) or, for a direct
    /// [`load_module`] call, from its entry, until the module's init returned.
    pub total: Duration,
    /// The module's init function alone (0 without one).
    pub init: Duration,
}

static LAST_LOAD: Mutex<Option<LoadTiming>> = Mutex::new(None);

/// The timing of the last successful load in this kernel, if any.
pub fn last_load() -> Option<LoadTiming> {
    LAST_LOAD.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `init_module(2)`: loads the module in `image` with parameter string `args`; `flags` are
/// `finit_module`'s `MODULE_INIT_*`.
pub fn load_module(image: &[u8], args: &str, flags: u32) -> Result<(), i32> {
    load_module_since(Instant::now(), image, args, flags)
}

/// [`load_module`] for a request received at `received`: the load's [`LoadTiming`] counts from
/// there.
pub fn load_module_since(
    received: Instant,
    image: &[u8],
    args: &str,
    flags: u32,
) -> Result<(), i32> {
    let k = kernel();
    let file = match ModFile::parse(image) {
        Ok(f) => f,
        Err(e) => {
            k.printk(3, &e.to_string());
            return Err(e.errno());
        }
    };
    let elf = &file.elf;
    let info = file.modinfo().ok().flatten();

    // The struct module template and the module's name.
    let Some(this_sec) = elf.section_by_name(b".gnu.linkonce.this_module") else {
        return Err(pr_err(k, "No module found in object".to_string()));
    };
    let template_name = {
        let d = elf.data(&this_sec);
        let raw = d
            .get(MODULE_NAME_OFFSET as usize..MODULE_NAME_OFFSET as usize + MODULE_NAME_LEN)
            .unwrap_or(&[]);
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        String::from_utf8_lossy(&raw[..end]).into_owned()
    };
    let name = modinfo_value(&info, b"name").unwrap_or(template_name);
    if this_sec.header.size != STRUCT_MODULE_SIZE {
        return Err(pr_err(
            k,
            format!(
                "module {name}: .gnu.linkonce.this_module section size must match the kernel's built struct module size at run time"
            ),
        ));
    }
    if name.is_empty() || name.len() >= MODULE_NAME_LEN {
        return Err(pr_err(
            k,
            format!("module name '{name}' is empty or too long"),
        ));
    }

    // vermagic (check_modinfo).
    let vermagic = if flags & lkm_kernel_api::init_flags::IGNORE_VERMAGIC != 0 {
        None
    } else {
        modinfo_value(&info, b"vermagic")
    };
    match vermagic {
        None => {
            // try_to_force_load without CONFIG_MODULE_FORCE_LOAD: refuse.
            return Err(ENOEXEC);
        }
        Some(v) if v != VERMAGIC => {
            return Err(pr_err(
                k,
                format!("{name}: version magic '{v}' should be '{VERMAGIC}'"),
            ));
        }
        Some(_) => {}
    }

    // Taints (module_augment_kernel_taints): out-of-tree, license, signature.
    let mut mod_taints = 0u32;
    if modinfo_value(&info, b"intree").is_none() {
        if !k.test_taint(taint::OOT_MODULE) {
            k.printk(
                4,
                &format!("{name}: loading out-of-tree module taints kernel."),
            );
        }
        mod_taints |= 1 << taint::OOT_MODULE;
        k.add_taint(taint::OOT_MODULE);
    }
    let license = modinfo_value(&info, b"license").unwrap_or_else(|| "unspecified".to_string());
    let gpl_ok = is_gpl_compatible(&license);
    if !gpl_ok {
        if !k.test_taint(taint::PROPRIETARY_MODULE) {
            k.printk(
                4,
                &format!("{name}: module license '{license}' taints kernel."),
            );
            k.once("debug_locks", || {
                k.printk(4, "Disabling lock debugging due to kernel taint")
            });
        }
        mod_taints |= 1 << taint::PROPRIETARY_MODULE;
        k.add_taint(taint::PROPRIETARY_MODULE);
    }
    if file.signature.is_none() {
        k.once("sig_unsigned", || {
            k.printk(
                5,
                &format!("{name}: module verification failed: signature and/or required key missing - tainting kernel"),
            )
        });
        mod_taints |= 1 << taint::UNSIGNED_MODULE;
        k.add_taint(taint::UNSIGNED_MODULE);
    }

    // W|X sections are refused (module_enforce_rwx_sections).
    for s in elf.sections().skip(1) {
        let f = s.header.flags;
        if f & shf::ALLOC != 0 && f & shf::WRITE != 0 && f & shf::EXECINSTR != 0 {
            return Err(pr_err(
                k,
                format!(
                    "{name}: section {} (index {}) has invalid WRITE|EXEC flags",
                    String::from_utf8_lossy(s.name),
                    s.index
                ),
            ));
        }
    }

    // Claim the name: a module of that name already in the list means -EEXIST.
    let _load_guard = k.module_mutex.lock().unwrap_or_else(|e| e.into_inner());
    if k.find_module(&name).is_some() {
        return Err(EEXIST);
    }

    let symtab = elf
        .symbols()
        .map_err(|e| pr_err(k, format!("{name}: {e}")))?;

    // Layout: sections into the six memory kinds, each kind page-aligned.
    let mut sec_type: Vec<Option<MemType>> = vec![None; elf.section_count()];
    let mut sec_off: Vec<u64> = vec![0; elf.section_count()];
    let mut sizes = [0u64; 6];
    for kind in MemType::ALL {
        for s in elf.sections().skip(1) {
            let h = &s.header;
            if h.flags & shf::ALLOC == 0 || s.name == b".modinfo" || s.name == b"__versions" {
                continue;
            }
            let exec = h.flags & shf::EXECINSTR != 0;
            let write = h.flags & shf::WRITE != 0;
            let init = s.name.starts_with(b".init");
            let t = match (exec, write, init) {
                (true, _, false) => MemType::Text,
                (false, false, false) => MemType::Rodata,
                (false, true, false) => MemType::Data,
                (true, _, true) => MemType::InitText,
                (false, false, true) => MemType::InitRodata,
                (false, true, true) => MemType::InitData,
            };
            if t != kind {
                continue;
            }
            let align = h.addralign.max(1);
            if !align.is_power_of_two() || align > 4096 {
                return Err(pr_err(
                    k,
                    format!(
                        "{name}: section {} has bad alignment {align}",
                        String::from_utf8_lossy(s.name)
                    ),
                ));
            }
            let off = sizes[kind.index()].next_multiple_of(align);
            sec_type[s.index] = Some(kind);
            sec_off[s.index] = off;
            sizes[kind.index()] = off.checked_add(h.size).ok_or(ENOEXEC)?;
        }
    }
    let pages: Vec<u64> = sizes
        .iter()
        .map(|&s| page_align(s as usize) as u64)
        .collect();
    let core_len: u64 = pages[..3].iter().sum();
    let init_len: u64 = pages[3..].iter().sum();
    if core_len > 256 << 20 || init_len > 256 << 20 {
        return Err(pr_err(k, format!("{name}: module too large")));
    }
    let mut alloc = Allocation {
        k,
        core: None,
        init: None,
    };
    let core_base = k.arena.alloc(core_len as usize).map_err(|e| {
        k.printk(3, &format!("{name}: {e}"));
        ENOMEM
    })? as u64;
    alloc.core = Some((core_base, core_len));
    let init_base = if init_len > 0 {
        let b = k.arena.alloc(init_len as usize).map_err(|e| {
            k.printk(3, &format!("{name}: {e}"));
            ENOMEM
        })? as u64;
        alloc.init = Some((b, init_len));
        b
    } else {
        0
    };
    let mut kind_base = [0u64; 6];
    let mut at = core_base;
    for kind in MemType::ALL {
        if kind == MemType::InitText {
            at = init_base;
        }
        kind_base[kind.index()] = at;
        at += pages[kind.index()];
    }
    let mut sec_addr: Vec<Option<u64>> = vec![None; elf.section_count()];
    for s in elf.sections().skip(1) {
        if let Some(kind) = sec_type[s.index] {
            let addr = kind_base[kind.index()] + sec_off[s.index];
            sec_addr[s.index] = Some(addr);
            if s.header.sh_type != sht::NOBITS {
                let data = elf.data(&s);
                // SAFETY: [addr, addr+size) lies inside the allocation just made for this module
                // (layout above), which is mapped read-write and used by nothing else.
                unsafe {
                    std::ptr::copy_nonoverlapping(data.as_ptr(), addr as *mut u8, data.len())
                };
            }
        }
    }

    // Symbols (simplify_symbols).
    let (values, uses) = resolve_symbols(k, &name, elf, &symtab, &sec_addr, gpl_ok)?;

    // Relocations (apply_relocations).
    for s in elf.sections().skip(1) {
        if s.header.sh_type == sht::REL {
            return Err(pr_err(
                k,
                format!("module {name}: REL relocation unsupported"),
            ));
        }
        if s.header.sh_type != sht::RELA {
            continue;
        }
        let target = s.header.info as usize;
        let Some(base) = sec_addr.get(target).copied().flatten() else {
            continue; // relocations of sections not loaded (debug info, .modinfo)
        };
        let target_size = elf.section(target).map(|t| t.header.size).unwrap_or(0);
        let relocs = elf
            .relocations(&s, &symtab)
            .map_err(|e| pr_err(k, format!("{name}: {e}")))?;
        for r in relocs.iter() {
            apply_rela(k, &name, base, target_size, r, values[r.symbol as usize])?;
        }
    }

    // struct module, relocated.
    let this_module = sec_addr[this_sec.index].ok_or(ENOEXEC)?;
    // SAFETY: the struct lies in the module's data memory, still read-write, 512 bytes long
    // (checked above).
    let (init_fn, exit_fn) = unsafe {
        (
            (*((this_module + MODULE_INIT_OFFSET) as *const u64)),
            (*((this_module + MODULE_EXIT_OFFSET) as *const u64)),
        )
    };
    let init_fn = (init_fn != 0).then_some(init_fn);
    let exit_fn = (exit_fn != 0).then_some(exit_fn);

    // The module's exports (find_module_sections + verify_exported_symbols).
    let mut exports = Vec::new();
    for (sec, gpl_only) in [(&b"__ksymtab"[..], false), (&b"__ksymtab_gpl"[..], true)] {
        let Some(s) = elf.section_by_name(sec) else {
            continue;
        };
        let Some(base) = sec_addr[s.index] else {
            continue;
        };
        for i in 0..s.header.size / 12 {
            let entry = base + i * 12;
            let rel = |off: u64| -> Option<u64> {
                let v = crate::mem::read_i32(entry + off)?;
                Some((entry + off).wrapping_add(v as i64 as u64))
            };
            let (Some(addr), Some(name_at)) = (rel(0), rel(4)) else {
                return Err(pr_err(
                    k,
                    format!("{name}: bad {} entry", String::from_utf8_lossy(sec)),
                ));
            };
            let sym = crate::mem::read_cstr(name_at, 512).map_err(|_| ENOEXEC)?;
            exports.push(ModuleExport {
                name: String::from_utf8_lossy(&sym).into_owned(),
                addr,
                gpl_only,
            });
        }
    }
    for e in &exports {
        if let Some(owner) = k.export_owner(&e.name) {
            return Err(pr_err(
                k,
                format!(
                    "{name}: exports duplicate symbol {} (owned by {owner})",
                    e.name
                ),
            ));
        }
    }

    // kallsyms: the module's function and object symbols.
    let mut symbols = Vec::new();
    for (i, sym) in symtab.iter().enumerate().skip(1) {
        let Ok(sym) = sym else { continue };
        let kind = sym.kind();
        if sym.name.is_empty()
            || kind == STT_SECTION
            || kind == STT_FILE
            || sym.shndx == shn::UNDEF
            || sym.shndx >= shn::LORESERVE
        {
            continue;
        }
        let Some(t) = sec_type.get(sym.shndx as usize).copied().flatten() else {
            continue;
        };
        let sec = elf.section(sym.shndx as usize);
        let letter = match t {
            MemType::Text | MemType::InitText => 't',
            MemType::Rodata | MemType::InitRodata => 'r',
            MemType::Data | MemType::InitData => {
                if sec
                    .map(|s| s.header.sh_type == sht::NOBITS)
                    .unwrap_or(false)
                {
                    'b'
                } else {
                    'd'
                }
            }
        };
        let letter = if sym.bind() != STB_LOCAL {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        if kind != STT_FUNC && kind != STT_OBJECT && !matches!(letter, 't' | 'T') {
            continue;
        }
        symbols.push(ModuleSymbol {
            name: String::from_utf8_lossy(sym.name).into_owned(),
            addr: values[i],
            size: sym.size,
            kind: letter,
            init: t.is_init(),
        });
    }
    symbols.sort_by_key(|s| s.addr);

    let sections: Vec<(String, u64)> = elf
        .sections()
        .skip(1)
        .filter_map(|s| {
            sec_addr[s.index].map(|a| (String::from_utf8_lossy(s.name).into_owned(), a))
        })
        .collect();
    let mut regions = Vec::new();
    for kind in MemType::ALL {
        if pages[kind.index()] > 0 {
            regions.push(Region {
                base: kind_base[kind.index()],
                len: pages[kind.index()],
                text: matches!(kind, MemType::Text | MemType::InitText),
            });
        }
    }

    // Parameters are parsed before the module can run; their storage is still writable.
    let param_table = match elf.section_by_name(b"__param") {
        Some(s) => match sec_addr[s.index] {
            Some(base) => params::read_table(base, s.header.size)
                .map_err(|e| pr_err(k, format!("{name}: {e}")))?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };

    let module = Arc::new(Module::new_for_loader(ModuleParts {
        name: name.clone(),
        this_module,
        init_fn,
        exit_fn,
        core: (core_base, core_len),
        init_mem: (init_len > 0).then_some((init_base, init_len)),
        regions,
        uses: uses.clone(),
        taints: mod_taints,
        symbols,
        exports,
        params: param_table,
        sections,
        version: modinfo_value(&info, b"version"),
        srcversion: modinfo_value(&info, b"srcversion"),
        owned_strings: Vec::new(),
    }));
    // Into the list as UNFORMED: the name is taken from here on.
    k.modules
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(0, module.clone());
    let mut claim = NameClaim {
        k,
        module: Some(module.clone()),
    };

    {
        let mut owned = module
            .owned_strings
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        params::parse_module_args(&name, args, &module.params, &mut owned)?;
    }

    // W^X: final protections (complete_formation).
    for kind in MemType::ALL {
        if pages[kind.index()] > 0 {
            k.arena
                .protect(
                    kind_base[kind.index()] as usize,
                    pages[kind.index()] as usize,
                    kind.prot(),
                )
                .map_err(|e| pr_err(k, format!("{name}: {e}")))?;
        }
    }

    // The module uses its dependencies from here on: one reference each (ref_module).
    for dep in &uses {
        dep.refcnt.fetch_add(1, Ordering::AcqRel);
    }
    module.set_state(ModuleState::Coming);
    // The module is complete: failures from here unload it explicitly.
    claim.module = None;
    std::mem::forget(alloc);
    drop(_load_guard);

    let init = do_init_module(k, &module)?;
    *LAST_LOAD.lock().unwrap_or_else(|e| e.into_inner()) = Some(LoadTiming {
        name,
        total: received.elapsed(),
        init,
    });
    Ok(())
}

fn is_gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

/// `simplify_symbols`: the final value of every symbol, and the modules whose exports are used.
fn resolve_symbols(
    k: &Sandbox,
    name: &str,
    elf: &Elf<'_>,
    symtab: &SymbolTable<'_>,
    sec_addr: &[Option<u64>],
    gpl_ok: bool,
) -> Result<(Vec<u64>, Vec<Arc<Module>>), i32> {
    let mut values = vec![0u64; symtab.len()];
    let mut uses: Vec<Arc<Module>> = Vec::new();
    let mut err = None;
    for (i, sym) in symtab.iter().enumerate().skip(1) {
        let sym = sym.map_err(|e| pr_err(k, format!("{name}: {e}")))?;
        match sym.shndx {
            shn::UNDEF => {
                if sym.name.is_empty() {
                    continue;
                }
                let sname = String::from_utf8_lossy(sym.name);
                match k.find_symbol(&sname, gpl_ok) {
                    // A module still initialising (or stuck in an init that oopsed) or going away
                    // cannot be depended on: strong_try_module_get refuses it, -EBUSY while
                    // coming, -ENOENT while going.
                    Some(Resolved {
                        owner: Some(owner), ..
                    }) if owner.state() != ModuleState::Live => {
                        let e = if owner.state() == ModuleState::Coming {
                            libc::EBUSY
                        } else {
                            ENOENT
                        };
                        k.printk(4, &format!("{name}: Unknown symbol {sname} (err -{e})"));
                        err = Some(e);
                    }
                    Some(r) => {
                        values[i] = r.addr;
                        if let Some(owner) = r.owner {
                            if !uses.iter().any(|u| Arc::ptr_eq(u, &owner)) {
                                uses.push(owner);
                            }
                        }
                    }
                    None if sym.bind() == STB_WEAK => values[i] = 0,
                    None => {
                        k.printk(
                            4,
                            &format!("{name}: Unknown symbol {sname} (err -{ENOENT})"),
                        );
                        err = Some(ENOENT);
                    }
                }
            }
            shn::COMMON => {
                k.printk(4, &format!("{name}: please compile with -fno-common"));
                err = Some(ENOEXEC);
            }
            shn::ABS => values[i] = sym.value,
            idx if (idx as usize) < elf.section_count() => {
                values[i] = sec_addr[idx as usize].unwrap_or(0).wrapping_add(sym.value);
            }
            _ => {
                return Err(pr_err(
                    k,
                    format!(
                        "{name}: symbol {} has bad section index",
                        String::from_utf8_lossy(sym.name)
                    ),
                ));
            }
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok((values, uses)),
    }
}

/// `apply_relocate_add` for one entry, with the kernel's checks (and bounds on the target).
fn apply_rela(
    k: &Sandbox,
    name: &str,
    section_base: u64,
    section_size: u64,
    r: lkm_modfile::elf::Rela,
    sym_value: u64,
) -> Result<(), i32> {
    let loc = section_base.wrapping_add(r.offset);
    let val = sym_value.wrapping_add(r.addend as u64);
    let width = match r.rtype {
        0 => return Ok(()),   // R_X86_64_NONE
        1 | 24 => 8,          // R_X86_64_64, R_X86_64_PC64
        2 | 4 | 10 | 11 => 4, // PC32, PLT32, 32, 32S
        t => {
            return Err(pr_err(k, format!("{name}: Unknown rela relocation: {t}")));
        }
    };
    if r.offset
        .checked_add(width)
        .is_none_or(|end| end > section_size)
    {
        return Err(pr_err(
            k,
            format!(
                "{name}: relocation at offset {:#x} is outside its section",
                r.offset
            ),
        ));
    }
    // SAFETY: [loc, loc+width) lies inside a section of this module's freshly allocated memory
    // (bounds checked above), still mapped read-write; unaligned access is fine on x86_64.
    let existing: u64 = unsafe {
        if width == 8 {
            std::ptr::read_unaligned(loc as *const u64)
        } else {
            std::ptr::read_unaligned(loc as *const u32) as u64
        }
    };
    if existing != 0 {
        return Err(pr_err(
            k,
            format!(
                "x86/modules: Invalid relocation target, existing value is nonzero for type {}, loc {loc:016x}, val {val:x}",
                r.rtype
            ),
        ));
    }
    let overflow = |val: u64| {
        k.printk(
            3,
            &format!("overflow in relocation type {} val {val:x}", r.rtype),
        );
        k.printk(
            3,
            &format!("`{name}' likely not compiled with -mcmodel=kernel"),
        );
        ENOEXEC
    };
    let (bytes, w): ([u8; 8], usize) = match r.rtype {
        1 => (val.to_le_bytes(), 8),
        24 => (val.wrapping_sub(loc).to_le_bytes(), 8),
        10 => {
            if val > u32::MAX as u64 {
                return Err(overflow(val));
            }
            (val.to_le_bytes(), 4)
        }
        11 => {
            if (val as i64) < i32::MIN as i64 || (val as i64) > i32::MAX as i64 {
                return Err(overflow(val));
            }
            (val.to_le_bytes(), 4)
        }
        _ => {
            let rel = val.wrapping_sub(loc) as i64;
            if rel < i32::MIN as i64 || rel > i32::MAX as i64 {
                return Err(overflow(val));
            }
            ((rel as u64).to_le_bytes(), 4)
        }
    };
    // SAFETY: as above.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), loc as *mut u8, w) };
    Ok(())
}

/// `do_init_module`: runs init in this (the inserting command's) context. Returns how long init
/// ran.
fn do_init_module(k: &Sandbox, m: &Arc<Module>) -> Result<Duration, i32> {
    let started = Instant::now();
    let ret = match m.init_fn {
        None => 0,
        // SAFETY: init_fn is the module's relocated `init` pointer, `int (*)(void)`, in its text.
        Some(f) => match unsafe { guard::call(f, &[]) } {
            Ok(v) => v as i32,
            Err(fault) => {
                oops::report(&fault, "do_init_module");
                // As on Linux, a module whose init oopsed stays in the list, coming, never run again.
                return Err(EFAULT);
            }
        },
    };
    let init_time = started.elapsed();
    if ret < 0 {
        m.set_state(ModuleState::Going);
        free_module(k, m);
        return Err(-ret);
    }
    if ret > 0 {
        k.printk(
            4,
            &format!(
                "do_init_module: '{}'->init suspiciously returned {ret}, it should follow 0/-E convention\ndo_init_module: loading module anyway...",
                m.name
            ),
        );
        oops::dump_stack();
    }
    m.set_state(ModuleState::Live);
    // Free init memory: its symbols leave kallsyms, its pages go back to the arena.
    if let Some((base, len)) = m.init_mem.lock().unwrap_or_else(|e| e.into_inner()).take() {
        // Allocations made by init code keep its name for leak and misuse reports.
        crate::services::memory::init_memory_freeing(base, len);
        m.symbols
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|s| !s.init);
        m.regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|r| r.base < base || r.base >= base + len);
        m.init_size.store(0, Ordering::Release);
        k.arena.free(base as usize, len as usize);
    }
    Ok(init_time)
}

/// Removes a module from the list and releases everything it holds.
fn free_module(k: &Sandbox, m: &Arc<Module>) {
    // Its symbols stay known for late reports (an RCU callback skipped, a double free noticed).
    crate::unloaded::remember(m);
    crate::services::procfs::module_unloading(m);
    crate::services::debugfs::module_unloading(m);
    crate::services::platform::module_unloading(m);
    crate::services::idr::module_unloading(m);
    crate::services::sysfs::module_unloading(m);
    crate::services::chardev::module_unloading(m);
    crate::services::time::module_unloading(m);
    // Its outstanding allocations: reported and reclaimed while its symbols still name callers.
    crate::services::memory::module_unloaded(m);
    k.modules
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|x| !Arc::ptr_eq(x, m));
    for dep in &m.uses {
        dep.refcnt.fetch_sub(1, Ordering::AcqRel);
    }
    if let Some((base, len)) = m.init_mem.lock().unwrap_or_else(|e| e.into_inner()).take() {
        k.arena.free(base as usize, len as usize);
    }
    m.regions.lock().unwrap_or_else(|e| e.into_inner()).clear();
    crate::services::kthread::release_core(k, m); // now, or once its threads leave its code
    m.owned_strings
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
}

/// `delete_module(2)`.
pub fn delete_module(name: &str, flags: u32) -> Result<(), i32> {
    let k = kernel();
    let forced = flags & lkm_kernel_api::delete_flags::TRUNC != 0;
    let guard = k.module_mutex.lock().unwrap_or_else(|e| e.into_inner());
    let Some(m) = k.find_module(name) else {
        return Err(ENOENT);
    };
    if !k.holders(&m).is_empty() {
        return Err(EWOULDBLOCK);
    }
    if m.state() != ModuleState::Live {
        return Err(EBUSY);
    }
    let mut taint_forced = false;
    if m.init_fn.is_some() && m.exit_fn.is_none() {
        if !forced {
            return Err(EBUSY);
        }
        taint_forced = true;
    }
    if m.refcnt.load(Ordering::Acquire) != 0 {
        if !forced {
            return Err(EWOULDBLOCK);
        }
        taint_forced = true;
    }
    if taint_forced {
        k.add_taint(taint::FORCED_RMMOD);
    }
    m.set_state(ModuleState::Going);
    drop(guard);
    if let Some(f) = m.exit_fn {
        // SAFETY: exit_fn is the module's relocated `exit` pointer, `void (*)(void)`, in its core
        // text, which stays mapped until free_module below.
        if let Err(fault) = unsafe { guard::call(f, &[]) } {
            oops::report(&fault, "delete_module");
            // Left going, as Linux leaves a module whose exit oopsed.
            return Err(EFAULT);
        }
    }
    let _guard = k.module_mutex.lock().unwrap_or_else(|e| e.into_inner());
    free_module(k, &m);
    Ok(())
}

/// Used by views: the module list's total size shown in `/proc/modules`.
pub fn module_size(m: &Module) -> u64 {
    m.core_size + m.init_size.load(Ordering::Acquire)
}
