//! Fuzzes the module-file reader: arbitrary bytes as a module file (compressed or not), then every view
//! the tools use: ELF sections, symbols, relocations, .modinfo, exports, versions, this_module and the
//! signature. Any panic, hang or out-of-bounds read is a bug; errors are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_modfile::signature::{hex_string, signature_info};
use lkm_modfile::{Module, ModuleImage};

fuzz_target!(|data: &[u8]| {
    let Ok(image) = ModuleImage::from_vec(data.to_vec()) else {
        return;
    };
    let Ok(module) = Module::parse(&image) else {
        return;
    };
    for s in module.elf.sections() {
        let _ = module.elf.data(&s);
    }
    if let Ok(symtab) = module.elf.symbols() {
        for sym in symtab.iter() {
            let _ = sym;
        }
        for s in module.elf.sections() {
            for rela in module.elf.rela_sections_for(s.index) {
                if let Ok(relocs) = module.elf.relocations(&rela, &symtab) {
                    for r in relocs.iter() {
                        let _ = symtab.get(r.symbol as usize);
                    }
                }
            }
        }
    }
    if let Ok(Some(modinfo)) = module.modinfo() {
        for entry in modinfo {
            let _ = (entry.key, entry.value);
        }
    }
    let _ = module.exports();
    let _ = module.versions();
    let _ = module.this_module();
    if let Some(sig) = &module.signature {
        if let Ok(info) = signature_info(sig) {
            let _ = hex_string(&info.key_id);
            let _ = hex_string(&info.signature);
        }
    }
});
