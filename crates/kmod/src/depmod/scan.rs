//! What depmod reads from one module file, as libkmod 30 reads it: the exported symbols
//! (`kmod_module_get_symbols`), the `.modinfo` aliases and softdeps (`kmod_module_get_info`), and the
//! symbols the module needs (`kmod_module_get_dependency_symbols`).

use std::path::Path;

use lkm_modfile::elf::{shn, Elf, SymbolTable};
use lkm_modfile::{Module, ModuleImage};

/// `STB_WEAK`.
const STB_WEAK: u8 = 2;

/// A symbol the module needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepSymbol {
    pub name: Vec<u8>,
    /// From `__versions` (0 when the module has no entry for it).
    pub crc: u64,
    /// A weak undefined symbol: never reported as unknown.
    pub weak: bool,
}

/// One module file's data for depmod.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    /// Exported symbols with their CRCs, in kmod's order.
    pub exports: Vec<(Vec<u8>, u64)>,
    /// `kmod_module_get_symbols` failed with something other than "no symbols": its errno.
    pub symbols_errno: Option<i32>,
    /// `.modinfo` records with key `alias` or `softdep`: (is_alias, value), in file order.
    pub info: Vec<(bool, Vec<u8>)>,
    /// Needed symbols, in kmod's order.
    pub deps: Vec<DepSymbol>,
}

/// Reads and parses the module at `path`. Failures are reported the way libkmod reports them to
/// depmod: only as `symbols_errno`; info and dependencies are then empty.
pub fn scan(path: &Path) -> Scanned {
    let image = match ModuleImage::open(path) {
        Ok(i) => i,
        Err(e) => {
            return Scanned {
                symbols_errno: Some(e.errno()),
                ..Scanned::default()
            }
        }
    };
    // kmod's ELF reader refuses short or non-ELF files with ENOEXEC/EINVAL before anything else.
    if image.len() <= 64 || !image.starts_with(b"\x7fELF") {
        let errno = if image.len() <= 16 || !image.starts_with(b"\x7fELF") {
            libc::ENOEXEC
        } else {
            libc::EINVAL
        };
        return Scanned {
            symbols_errno: Some(errno),
            ..Scanned::default()
        };
    }
    let module = match Module::parse(&image) {
        Ok(m) => m,
        Err(e) => {
            return Scanned {
                symbols_errno: Some(e.errno()),
                ..Scanned::default()
            }
        }
    };
    let elf = &module.elf;
    let symtab = elf.symbols().ok();
    let mut out = Scanned::default();
    // None: libkmod's -ENOENT (no symbols), which depmod ignores.
    if let Some(list) = exports(elf, symtab.as_ref()) {
        out.exports = list;
    }
    if let Ok(Some(info)) = module.modinfo() {
        for e in info {
            match e.key {
                b"alias" => out.info.push((true, e.value.to_vec())),
                b"softdep" => out.info.push((false, e.value.to_vec())),
                _ => {}
            }
        }
    }
    if let Some(st) = symtab.as_ref() {
        out.deps = dependency_symbols(elf, st);
    }
    out
}

/// `kmod_elf_get_symbols`: the `__crc_*` symbols of `.symtab` (name without the prefix, CRC read
/// where the symbol points), else the strings of `__ksymtab_strings` with CRC 0. `None` when neither
/// exists (libkmod's -ENOENT, which depmod ignores).
fn exports(elf: &Elf<'_>, symtab: Option<&SymbolTable<'_>>) -> Option<Vec<(Vec<u8>, u64)>> {
    if let Some(st) = symtab {
        let mut out = Vec::new();
        for sym in st.iter().skip(1).flatten() {
            let Some(name) = sym.name.strip_prefix(b"__crc_") else {
                continue;
            };
            out.push((name.to_vec(), resolve_crc(elf, sym.value, sym.shndx)));
        }
        if !out.is_empty() {
            return Some(out);
        }
    }
    // The fallback: __ksymtab_strings.
    let sec = elf.section_by_name(b"__ksymtab_strings")?;
    let mut strings = elf.data(&sec);
    if strings.is_empty() {
        return Some(Vec::new());
    }
    while strings.len() > 1 && strings[0] == 0 {
        strings = &strings[1..];
    }
    if strings.len() <= 1 {
        return Some(Vec::new());
    }
    Some(
        strings
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_vec(), 0))
            .collect(),
    )
}

/// `kmod_elf_resolve_crc`: an absolute symbol's value is the CRC; otherwise the value is an offset
/// into its section, where the CRC is stored as a 32-bit word.
fn resolve_crc(elf: &Elf<'_>, value: u64, shndx: u16) -> u64 {
    if shndx == shn::ABS || shndx == shn::UNDEF {
        return value;
    }
    let Some(sec) = elf.section(usize::from(shndx)) else {
        return u64::MAX;
    };
    if value > sec.header.size.wrapping_sub(4) {
        return u64::MAX;
    }
    let off = sec.header.offset.wrapping_add(value) as usize;
    match elf.bytes().get(off..off + 4) {
        Some(b) => u64::from(u32::from_le_bytes(b.try_into().expect("4 bytes"))),
        None => u64::MAX,
    }
}

/// `kmod_elf_get_dependency_symbols`: every undefined, named symbol of `.symtab` (with its CRC from
/// `__versions`, weak or not), then the `__versions` entries no symbol used (`module_layout`).
fn dependency_symbols(elf: &Elf<'_>, st: &SymbolTable<'_>) -> Vec<DepSymbol> {
    let versions: Vec<(u64, &[u8])> = match elf.section_by_name(b"__versions") {
        Some(sec) => {
            let data = elf.data(&sec);
            if data.len() % 64 != 0 {
                Vec::new()
            } else {
                data.chunks_exact(64)
                    .map(|e| {
                        let crc = u64::from_le_bytes(e[..8].try_into().expect("8 bytes"));
                        let name = &e[8..];
                        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                        (crc, &name[..end])
                    })
                    .collect()
            }
        }
        None => Vec::new(),
    };
    let mut visited = vec![false; versions.len()];
    let mut out = Vec::new();
    for sym in st.iter().skip(1).flatten() {
        if sym.shndx != shn::UNDEF || sym.name.is_empty() {
            continue;
        }
        let crc = match versions.iter().position(|v| v.1 == sym.name) {
            Some(i) => {
                visited[i] = true;
                versions[i].0
            }
            None => 0,
        };
        out.push(DepSymbol {
            name: sym.name.to_vec(),
            crc,
            weak: sym.bind() == STB_WEAK,
        });
    }
    for (i, (crc, name)) in versions.iter().enumerate() {
        if !visited[i] {
            out.push(DepSymbol {
                name: name.to_vec(),
                crc: *crc,
                weak: false,
            });
        }
    }
    out
}
