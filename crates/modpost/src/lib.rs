//! modpost for lkm's SDK, as Kbuild's `scripts/mod/modpost` does it for Linux 6.12 modules:
//!
//! 1. reads the symbol dumps it is given (`-i`: the SDK's `Module.symvers`, which lists the sandbox
//!    kernel's exports, and any `KBUILD_EXTRA_SYMBOLS`);
//! 2. reads each module object `<m>.o`: its undefined symbols, its `.export_symbol` entries (what
//!    `EXPORT_SYMBOL*` emits) and its `.modinfo`;
//! 3. checks them as modpost does: undefined symbols, GPL-only symbols used by a non-GPL module, a missing
//!    `MODULE_LICENSE()`, namespaces not imported;
//! 4. writes `<m>.mod.c` (the `struct module` instance, the final export tables, `depends`, `vermagic`,
//!    `srcversion`) and the run's `Module.symvers`.
//!
//! The binary interface it writes against is in `docs/SDK-ABI.md`.

mod md4;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use lkm_modfile::elf::{shn, Elf};
use lkm_modfile::ModInfo;

const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const STT_FUNC: u8 = 2;

/// Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`).
const GPL_COMPATIBLE: [&str; 6] = [
    "GPL",
    "GPL v2",
    "GPL and additional rights",
    "Dual BSD/GPL",
    "Dual MIT/GPL",
    "Dual MPL/GPL",
];

/// What to do, as the command line says.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Symbol dumps to read first (`-i`), in order.
    pub symvers_in: Vec<PathBuf>,
    /// Where to write this run's exports (`-o`).
    pub symvers_out: Option<PathBuf>,
    /// Unresolved symbols are warnings, not errors (`-w`, `KBUILD_MODPOST_WARN=1`).
    pub warn_unresolved: bool,
    /// The module objects, `<dir>/<m>.o` each.
    pub objects: Vec<PathBuf>,
}

/// An exported symbol, from a dump or from a module being built.
#[derive(Debug, Clone)]
struct SymbolExport {
    /// Module path as Module.symvers writes it (`vmlinux`, or `<dir>/<m>` without `.o`).
    module: String,
    gpl_only: bool,
    namespace: String,
}

/// An `EXPORT_SYMBOL*` entry found in a module object.
#[derive(Debug, Clone)]
struct ModuleExport {
    name: String,
    gpl_only: bool,
    namespace: String,
    is_function: bool,
}

/// One module object, read.
#[derive(Debug)]
struct ModuleObject {
    /// `<dir>/<m>` (the object path without `.o`).
    path: String,
    /// `KBUILD_MODNAME`: the file stem with `-` made `_`.
    name: String,
    /// Undefined non-weak symbols, in symbol-table order, and undefined weak ones.
    undefined: Vec<(String, bool)>,
    exports: Vec<ModuleExport>,
    has_init: bool,
    has_exit: bool,
    license: Option<String>,
    has_version: bool,
    imported_namespaces: Vec<String>,
}

/// Runs modpost. Messages go to `err` in modpost's words; returns the process exit status.
pub fn run(opts: &Options, err: &mut dyn Write) -> i32 {
    let mut errors = 0usize;
    let mut symbols: HashMap<String, SymbolExport> = HashMap::new();
    for dump in &opts.symvers_in {
        if let Err(msg) = read_dump(dump, &mut symbols) {
            let _ = writeln!(err, "ERROR: modpost: {msg}");
            return 1;
        }
    }

    let mut modules = Vec::new();
    for object in &opts.objects {
        match read_object(object) {
            Ok(m) => modules.push(m),
            Err(msg) => {
                let _ = writeln!(err, "ERROR: modpost: {msg}");
                errors += 1;
            }
        }
    }
    if errors > 0 {
        return 1;
    }

    let have_kernel_symbols = symbols.values().any(|s| s.module == "vmlinux");
    // This run's exports join the table, so modules built together link against each other.
    for m in &modules {
        for e in &m.exports {
            if let Some(prev) = symbols.get(&e.name) {
                if prev.module != m.path && prev.module != "vmlinux" {
                    let _ = writeln!(
                        err,
                        "ERROR: modpost: {}: '{}' exported twice. Previous export was in {}{}",
                        m.path,
                        e.name,
                        prev.module,
                        if prev.module == "vmlinux" { "" } else { ".ko" }
                    );
                    errors += 1;
                    continue;
                }
            }
            symbols.insert(
                e.name.clone(),
                SymbolExport {
                    module: m.path.clone(),
                    gpl_only: e.gpl_only,
                    namespace: e.namespace.clone(),
                },
            );
        }
    }

    for m in &modules {
        let mut depends: Vec<String> = Vec::new();
        let gpl = m
            .license
            .as_deref()
            .map(|l| GPL_COMPATIBLE.contains(&l))
            .unwrap_or(true);
        if m.license.is_none() {
            let _ = writeln!(
                err,
                "ERROR: modpost: missing MODULE_LICENSE() in {}.o",
                m.path
            );
            errors += 1;
        }
        for (sym, weak) in &m.undefined {
            let Some(export) = symbols.get(sym) else {
                // Without the kernel's symbol list (no SDK Module.symvers) nothing can be checked,
                // as modpost without vmlinux symbols.
                if !weak && have_kernel_symbols {
                    let level = if opts.warn_unresolved {
                        "WARNING"
                    } else {
                        "ERROR"
                    };
                    let _ = writeln!(
                        err,
                        "{level}: modpost: \"{sym}\" [{}.ko] undefined!",
                        m.path
                    );
                    if !opts.warn_unresolved {
                        errors += 1;
                    }
                }
                continue;
            };
            if export.gpl_only && !gpl {
                let _ = writeln!(
                    err,
                    "ERROR: modpost: GPL-incompatible module {}.ko uses GPL-only symbol '{sym}'",
                    m.name
                );
                errors += 1;
            }
            if !export.namespace.is_empty() && !m.imported_namespaces.contains(&export.namespace) {
                let _ = writeln!(
                    err,
                    "ERROR: modpost: module {} uses symbol {sym} from namespace {}, but does not import it.",
                    m.name, export.namespace
                );
                errors += 1;
            }
            if export.module != "vmlinux" {
                let dep = module_name_of(&export.module);
                if dep != m.name && !depends.contains(&dep) {
                    depends.push(dep);
                }
            }
        }
        let mod_c = mod_c_source(m, &depends);
        let path = format!("{}.mod.c", m.path);
        if let Err(e) = write_if_changed(Path::new(&path), mod_c.as_bytes()) {
            let _ = writeln!(err, "ERROR: modpost: cannot write {path}: {e}");
            errors += 1;
        }
    }

    if let Some(out) = &opts.symvers_out {
        let mut dump = String::new();
        for m in &modules {
            for e in &m.exports {
                let _ = writeln!(
                    dump,
                    "0x{:08x}\t{}\t{}\t{}\t{}",
                    0,
                    e.name,
                    m.path,
                    if e.gpl_only {
                        "EXPORT_SYMBOL_GPL"
                    } else {
                        "EXPORT_SYMBOL"
                    },
                    e.namespace
                );
            }
        }
        if let Err(e) = std::fs::write(out, dump) {
            let _ = writeln!(err, "ERROR: modpost: cannot write {}: {e}", out.display());
            errors += 1;
        }
    }
    if errors > 0 {
        1
    } else {
        0
    }
}

/// `/a/b/expo` → `expo` (what `depends=` lists).
fn module_name_of(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().replace('-', "_"))
        .unwrap_or_default()
}

/// Reads a `Module.symvers`: `crc<TAB>symbol<TAB>module<TAB>export type<TAB>namespace` per line.
fn read_dump(path: &Path, symbols: &mut HashMap<String, SymbolExport>) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (run 'lkm sdk' to reinstall the SDK, or check KBUILD_EXTRA_SYMBOLS)",
            path.display()
        )
    })?;
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let parse_error = || {
            format!(
                "{}:{}: parse error in symbol dump file",
                path.display(),
                n + 1
            )
        };
        if fields.len() < 4 {
            return Err(parse_error());
        }
        // Without modversions the CRC is not used, but it must be well formed.
        fields[0]
            .strip_prefix("0x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(parse_error)?;
        let gpl_only = match fields[3] {
            "EXPORT_SYMBOL" => false,
            "EXPORT_SYMBOL_GPL" => true,
            _ => return Err(parse_error()),
        };
        symbols.insert(
            fields[1].to_string(),
            SymbolExport {
                module: fields[2].to_string(),
                gpl_only,
                namespace: fields.get(4).copied().unwrap_or("").to_string(),
            },
        );
    }
    Ok(())
}

fn c_string(data: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = data.get(offset..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(&rest[..end])
}

fn read_object(path: &Path) -> Result<ModuleObject, String> {
    let display = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
    let elf = Elf::parse(&bytes).map_err(|e| format!("{display}: {e}"))?;
    let symtab = elf.symbols().map_err(|e| format!("{display}: {e}"))?;
    let stem = path
        .to_str()
        .and_then(|p| p.strip_suffix(".o"))
        .ok_or_else(|| format!("{display}: a module object's name must end in .o"))?;
    let name = module_name_of(stem);

    let export_section = elf.section_by_name(b".export_symbol");
    let mut undefined = Vec::new();
    let mut defined_kind: HashMap<String, u8> = HashMap::new();
    let mut export_entries = Vec::new();
    for sym in symtab.iter() {
        let sym = sym.map_err(|e| format!("{display}: {e}"))?;
        if sym.name.is_empty() {
            continue;
        }
        let sym_name = String::from_utf8_lossy(sym.name).into_owned();
        if sym.shndx == shn::UNDEF {
            if sym.bind() == STB_GLOBAL || sym.bind() == STB_WEAK {
                // THIS_MODULE refers to the instance the .mod.c defines.
                if sym_name != "__this_module" {
                    undefined.push((sym_name, sym.bind() == STB_WEAK));
                }
            }
            continue;
        }
        if let Some(exported) = sym_name.strip_prefix("__export_symbol_") {
            if let Some(sec) = export_section.filter(|s| s.index == sym.shndx as usize) {
                let data = elf.data(&sec);
                let off = sym.value as usize;
                let license = c_string(data, off)
                    .ok_or_else(|| format!("{display}: bad .export_symbol entry for {exported}"))?;
                let ns = c_string(data, off + license.len() + 1)
                    .ok_or_else(|| format!("{display}: bad .export_symbol entry for {exported}"))?;
                export_entries.push((
                    exported.to_string(),
                    license == b"GPL",
                    String::from_utf8_lossy(ns).into_owned(),
                ));
                continue;
            }
        }
        if sym.bind() == STB_GLOBAL || sym.bind() == STB_WEAK {
            defined_kind.insert(sym_name, sym.kind());
        }
    }
    let mut exports = Vec::new();
    for (sym, gpl_only, namespace) in export_entries {
        let Some(&kind) = defined_kind.get(&sym) else {
            return Err(format!(
                "{display}: exported symbol '{sym}' is not defined in the module"
            ));
        };
        exports.push(ModuleExport {
            name: sym,
            gpl_only,
            namespace,
            is_function: kind == STT_FUNC,
        });
    }

    let mut license = None;
    let mut has_version = false;
    let mut imported_namespaces = Vec::new();
    if let Some(sec) = elf.section_by_name(b".modinfo") {
        for entry in ModInfo::new(elf.data(&sec)) {
            let value = String::from_utf8_lossy(entry.value).into_owned();
            match entry.key {
                b"license" if license.is_none() => license = Some(value),
                b"version" => has_version = true,
                b"import_ns" => imported_namespaces.push(value),
                _ => {}
            }
        }
    }
    Ok(ModuleObject {
        path: stem.to_string(),
        name,
        undefined,
        exports,
        has_init: defined_kind.contains_key("init_module"),
        has_exit: defined_kind.contains_key("cleanup_module"),
        license,
        has_version,
        imported_namespaces,
    })
}

/// The `<m>.mod.c` modpost writes for one module.
fn mod_c_source(m: &ModuleObject, depends: &[String]) -> String {
    let mut s = String::new();
    s.push_str("#include <linux/module.h>\n");
    s.push_str("#define INCLUDE_VERMAGIC\n");
    s.push_str("#include <linux/build-salt.h>\n");
    s.push_str("#include <linux/elfnote-lto.h>\n");
    s.push_str("#include <linux/export-internal.h>\n");
    s.push_str("#include <linux/vermagic.h>\n");
    s.push_str("#include <linux/compiler.h>\n\n");
    s.push_str("BUILD_SALT;\nBUILD_LTO_INFO;\n\n");
    s.push_str("MODULE_INFO(vermagic, VERMAGIC_STRING);\n");
    s.push_str("MODULE_INFO(name, KBUILD_MODNAME);\n\n");
    s.push_str("__visible struct module __this_module\n");
    s.push_str("__section(\".gnu.linkonce.this_module\") = {\n");
    s.push_str("\t.name = KBUILD_MODNAME,\n");
    if m.has_init {
        s.push_str("\t.init = init_module,\n");
    }
    if m.has_exit {
        s.push_str("#ifdef CONFIG_MODULE_UNLOAD\n\t.exit = cleanup_module,\n#endif\n");
    }
    s.push_str("\t.arch = MODULE_ARCH_INIT,\n");
    s.push_str("};\n\n");
    if !m.exports.is_empty() {
        for e in &m.exports {
            let _ = writeln!(
                s,
                "KSYMTAB_{}({}, \"{}\", \"{}\");",
                if e.is_function { "FUNC" } else { "DATA" },
                e.name,
                if e.gpl_only { "_gpl" } else { "" },
                e.namespace
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "MODULE_INFO(depends, \"{}\");", depends.join(","));
    if m.has_version {
        if let Some(v) = srcversion(&m.path) {
            let _ = writeln!(s, "\nMODULE_INFO(srcversion, \"{v}\");");
        }
    }
    s
}

/// `srcversion`: MD4 over the module's sources with whitespace and comments left out, printed as the
/// first three state words (as the kernel's modpost does). The sources are the `.c`/`.S` files beside
/// the objects that `<m>.mod` lists. Unlike Kbuild, headers the sources include are not hashed.
fn srcversion(path: &str) -> Option<String> {
    let list = std::fs::read_to_string(format!("{path}.mod")).ok()?;
    let mut md4 = md4::Md4::default();
    let mut any = false;
    for object in list.split_whitespace() {
        let Some(stem) = object.strip_suffix(".o") else {
            continue;
        };
        for ext in ["c", "S"] {
            if let Ok(text) = std::fs::read(format!("{stem}.{ext}")) {
                md4.update(&strip_for_srcversion(&text));
                any = true;
                break;
            }
        }
    }
    if !any {
        return None;
    }
    let w = md4.finish_words();
    Some(format!("{:08X}{:08X}{:08X}", w[0], w[1], w[2]))
}

/// Source text without whitespace and comments, so reformatting keeps the srcversion.
fn strip_for_srcversion(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match (text[i], text.get(i + 1)) {
            (b'/', Some(b'*')) => {
                i += 2;
                while i < text.len() && !(text[i] == b'*' && text.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            (b'/', Some(b'/')) => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
            }
            (c, _) if c.is_ascii_whitespace() => i += 1,
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Writes `data` unless the file already holds it, so make sees no change and rebuilds nothing.
fn write_if_changed(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).map(|old| old == data).unwrap_or(false) {
        return Ok(());
    }
    std::fs::write(path, data)
}

/// The set of license strings the kernel accepts as GPL-compatible, for callers that check licenses
/// (the loader's taint decisions use the same list).
pub fn license_is_gpl_compatible(license: &str) -> bool {
    GPL_COMPATIBLE.contains(&license)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_and_space() {
        assert_eq!(
            strip_for_srcversion(b"int a; /* x */ // y\n int  b;"),
            b"inta;intb;".to_vec()
        );
    }

    #[test]
    fn module_names_use_underscores() {
        assert_eq!(module_name_of("/x/my-mod"), "my_mod");
    }

    #[test]
    fn gpl_list() {
        assert!(license_is_gpl_compatible("Dual BSD/GPL"));
        assert!(!license_is_gpl_compatible("Proprietary"));
    }
}
