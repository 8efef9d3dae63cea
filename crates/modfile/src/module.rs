//! A parsed module: the ELF image, its appended signature, and the module-specific sections.

use crate::elf::{self, Elf, Section, SymbolTable};
use crate::modinfo::ModInfo;
use crate::signature::{split_signature, AppendedSignature};
use crate::Error;

/// `R_X86_64_64` and `R_X86_64_PC32`: the relocations export tables and `this_module` use.
const R_X86_64_64: u32 = 1;
const R_X86_64_PC32: u32 = 2;

/// Offset of `name[]` in `struct module` on x86_64 (after `state` and the `list` head), stable since 2.6.
const THIS_MODULE_NAME_OFFSET: usize = 24;
/// `MODULE_NAME_LEN` on 64-bit: 64 - sizeof(unsigned long).
pub const MODULE_NAME_LEN: usize = 56;

/// A module file, split into its ELF image and optional signature, with the image validated.
#[derive(Debug, Clone)]
pub struct Module<'a> {
    /// The whole (decompressed) file, signature included.
    pub file: &'a [u8],
    /// The ELF image: the file without the appended signature, as the kernel truncates it.
    pub elf: Elf<'a>,
    /// The appended signature, when the file is signed.
    pub signature: Option<AppendedSignature<'a>>,
}

/// An exported symbol (`EXPORT_SYMBOL*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export<'a> {
    pub name: &'a [u8],
    /// `EXPORT_SYMBOL_GPL`: only GPL-compatible modules may use it.
    pub gpl_only: bool,
    /// The symbol namespace; empty when none.
    pub namespace: &'a [u8],
    /// The modversions CRC from `__kcrctab*`, when the module has one.
    pub crc: Option<u32>,
}

/// One `__versions` entry: the CRC the module was built against for a symbol it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub crc: u64,
    pub name: &'a [u8],
}

/// What `.gnu.linkonce.this_module` (the module's `struct module` template) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThisModule<'a> {
    pub name: &'a [u8],
    /// `sizeof(struct module)` of the kernel the module was built for.
    pub size: u64,
    /// Offset of the `init` pointer, found by the relocation against `init_module`.
    pub init_offset: Option<u64>,
    /// Offset of the `exit` pointer, found by the relocation against `cleanup_module`.
    pub exit_offset: Option<u64>,
}

impl<'a> Module<'a> {
    /// Splits off the signature (a malformed trailer is an error, as for the kernel) and validates the
    /// ELF image.
    pub fn parse(file: &'a [u8]) -> Result<Self, Error> {
        let signature = split_signature(file)?;
        let image = match &signature {
            Some(sig) => &file[..sig.image_len],
            None => file,
        };
        let elf = Elf::parse(image)?;
        Ok(Module {
            file,
            elf,
            signature,
        })
    }

    /// The `.modinfo` records. `None` when there is no `.modinfo` section; more than one is an error,
    /// as for the kernel.
    pub fn modinfo(&self) -> Result<Option<ModInfo<'a>>, Error> {
        if self.elf.count_sections_named(b".modinfo") > 1 {
            return Err(Error::Section(
                "Only one .modinfo section must exist.".into(),
            ));
        }
        Ok(self
            .elf
            .section_by_name(b".modinfo")
            .map(|s| ModInfo::new(self.elf.data(&s))))
    }

    /// The `struct module` template the kernel requires exactly once.
    pub fn this_module(&self) -> Result<ThisModule<'a>, Error> {
        let name = b".gnu.linkonce.this_module";
        let count = self.elf.count_sections_named(name);
        let sec = match self.elf.section_by_name(name) {
            Some(s) if count == 1 => s,
            _ => {
                return Err(Error::Section(format!(
                    "module {}: Exactly one .gnu.linkonce.this_module section must exist.",
                    self.display_name()
                )))
            }
        };
        let h = &sec.header;
        if h.sh_type != elf::sht::PROGBITS || h.flags & elf::shf::ALLOC == 0 {
            return Err(Error::Section(format!(
                "module {}: .gnu.linkonce.this_module section must have type SHT_PROGBITS and SHF_ALLOC",
                self.display_name()
            )));
        }
        let data = self.elf.data(&sec);
        let field = data.get(THIS_MODULE_NAME_OFFSET..THIS_MODULE_NAME_OFFSET + MODULE_NAME_LEN).ok_or_else(|| {
            Error::Section(format!(
                "module {}: .gnu.linkonce.this_module section size must match the kernel's struct module size ({} is too small)",
                self.display_name(),
                h.size
            ))
        })?;
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        let (mut init_offset, mut exit_offset) = (None, None);
        if let Ok(symtab) = self.elf.symbols() {
            for rela_sec in self.elf.rela_sections_for(sec.index) {
                for r in self.elf.relocations(&rela_sec, &symtab)?.iter() {
                    if r.rtype != R_X86_64_64 {
                        continue;
                    }
                    match symtab.get(r.symbol as usize)?.name {
                        b"init_module" => init_offset = Some(r.offset),
                        b"cleanup_module" => exit_offset = Some(r.offset),
                        _ => {}
                    }
                }
            }
        }
        Ok(ThisModule {
            name: &field[..end],
            size: h.size,
            init_offset,
            exit_offset,
        })
    }

    /// The name for messages: `.modinfo`'s `name=`, else "?".
    pub fn display_name(&self) -> String {
        if let Ok(Some(mi)) = self.modinfo() {
            if let Some(n) = mi.get(b"name") {
                return String::from_utf8_lossy(n).into_owned();
            }
        }
        "?".into()
    }

    /// The modversions table: one CRC per symbol the module imports (plus `module_layout`).
    pub fn versions(&self) -> Result<Vec<Version<'a>>, Error> {
        let Some(sec) = self.elf.section_by_name(b"__versions") else {
            return Ok(Vec::new());
        };
        let data = self.elf.data(&sec);
        if data.len() % 64 != 0 {
            return Err(Error::Section(format!(
                "__versions section size {} is not a multiple of 64 (struct modversion_info)",
                data.len()
            )));
        }
        Ok(data
            .chunks_exact(64)
            .map(|e| {
                let crc = u64::from_le_bytes(e[..8].try_into().expect("8 bytes"));
                let name = &e[8..];
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                Version {
                    crc,
                    name: &name[..end],
                }
            })
            .collect())
    }

    /// The exported symbols, in table order: `__ksymtab` then `__ksymtab_gpl` in the older layout; one
    /// `__ksymtab` with GPL-only bits in `__kflagstab` in the newer one.
    ///
    /// Entries are `struct kernel_symbol` with 32-bit place-relative fields (`value`, `name`,
    /// `namespace`); in a `.ko` they are still relocations, which we follow to the strings.
    pub fn exports(&self) -> Result<Vec<Export<'a>>, Error> {
        let mut out = Vec::new();
        let tables: [(&[u8], &[u8], bool); 2] = [
            (b"__ksymtab", b"__kcrctab", false),
            (b"__ksymtab_gpl", b"__kcrctab_gpl", true),
        ];
        let flags = self
            .elf
            .section_by_name(b"__kflagstab")
            .map(|s| self.elf.data(&s));
        let mut symtab = None;
        for (tab, crctab, gpl) in tables {
            let Some(sec) = self.elf.section_by_name(tab) else {
                continue;
            };
            if sec.header.size % 12 != 0 {
                return Err(Error::Section(format!(
                    "{} size {} is not a multiple of 12 (struct kernel_symbol)",
                    String::from_utf8_lossy(tab),
                    sec.header.size
                )));
            }
            let st = match symtab {
                Some(st) => st,
                None => *symtab.insert(self.elf.symbols()?),
            };
            let targets = self.reloc_targets(&sec, &st)?;
            let crcs = self.elf.section_by_name(crctab).map(|s| self.elf.data(&s));
            for i in 0..(sec.header.size / 12) as usize {
                let at = |field: usize| {
                    targets
                        .iter()
                        .find(|t| t.0 == (i * 12 + field) as u64)
                        .map(|t| t.1)
                };
                let name = match at(4) {
                    Some(name) => name,
                    None => {
                        return Err(Error::Section(format!(
                            "{} entry {i} has no name relocation",
                            String::from_utf8_lossy(tab)
                        )))
                    }
                };
                let gpl_only = gpl || flags.and_then(|f| f.get(i)).is_some_and(|b| b & 1 != 0);
                let crc = crcs
                    .and_then(|c| c.get(i * 4..i * 4 + 4))
                    .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
                out.push(Export {
                    name,
                    gpl_only,
                    namespace: at(8).unwrap_or(b""),
                    crc,
                });
            }
        }
        Ok(out)
    }

    /// For each PC32 relocation into `sec`: (offset in `sec`, the NUL-terminated string it points at).
    fn reloc_targets(
        &self,
        sec: &Section<'a>,
        symtab: &SymbolTable<'a>,
    ) -> Result<Vec<(u64, &'a [u8])>, Error> {
        let mut out = Vec::new();
        for rela_sec in self.elf.rela_sections_for(sec.index) {
            for r in self.elf.relocations(&rela_sec, symtab)?.iter() {
                if r.rtype != R_X86_64_PC32 {
                    continue;
                }
                let sym = symtab.get(r.symbol as usize)?;
                let Some(target) = self.elf.section(sym.shndx as usize) else {
                    continue;
                };
                if sym.shndx == elf::shn::UNDEF || sym.shndx >= elf::shn::LORESERVE {
                    continue;
                }
                let data = self.elf.data(&target);
                let Some(pos) = sym.value.checked_add_signed(r.addend) else {
                    continue;
                };
                if let Some(s) = data.get(pos as usize..) {
                    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                    out.push((r.offset, &s[..end]));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModuleImage;
    use std::path::Path;

    /// A Debian module from the test corpus (scripts/corpus.sh) or the installed distribution kernel.
    fn debian(rel: &str) -> Option<ModuleImage> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let corpus = std::env::var_os("LKM_CORPUS")
            .map(Into::into)
            .unwrap_or_else(|| repo.join(".corpus"));
        let candidates = [corpus.join("root/lib/modules"), "/lib/modules".into()];
        let found = candidates.iter().find_map(|base: &std::path::PathBuf| {
            let dir = std::fs::read_dir(base).ok()?.flatten().next()?.path();
            let p = dir.join("kernel").join(rel);
            p.exists().then_some(p)
        });
        match found {
            Some(p) => Some(ModuleImage::open(&p).unwrap()),
            None => {
                eprintln!("SKIPPED: no Debian module tree with {rel}; run scripts/corpus.sh");
                None
            }
        }
    }

    #[test]
    fn exports_of_a_real_module() {
        let Some(img) = debian("lib/libcrc32c.ko") else {
            return;
        };
        let m = Module::parse(&img).unwrap();
        let names: Vec<_> = m
            .exports()
            .unwrap()
            .iter()
            .map(|e| (e.name.to_vec(), e.gpl_only))
            .collect();
        assert_eq!(
            names,
            vec![
                (b"crc32c".to_vec(), false),
                (b"crc32c_impl".to_vec(), false)
            ]
        );
        assert!(m
            .exports()
            .unwrap()
            .iter()
            .all(|e| e.crc.is_some() && e.namespace.is_empty()));
        let tm = m.this_module().unwrap();
        assert_eq!(tm.name, b"libcrc32c");
        assert!(tm.init_offset.is_some() && tm.exit_offset.is_some());
        let v = m.versions().unwrap();
        assert!(v.iter().any(|v| v.name == b"module_layout"));
    }

    #[test]
    fn gpl_exports_and_namespaces() {
        let Some(img) = debian("drivers/usb/storage/usb-storage.ko") else {
            return;
        };
        let m = Module::parse(&img).unwrap();
        let ex = m.exports().unwrap();
        let probe = ex
            .iter()
            .find(|e| e.name == b"usb_stor_probe1")
            .expect("usb_stor_probe1 exported");
        assert!(probe.gpl_only);
        assert_eq!(probe.namespace, b"USB_STORAGE");
    }
}
