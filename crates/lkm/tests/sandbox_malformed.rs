//! The loader's refusals, each with the kernel's log message and kmod's insmod error: real modules
//! built by gcc, broken one field at a time (a section's flags, size or alignment, a relocation's type
//! or addend, a relocation target's bytes, the struct module section, a duplicate export), then
//! inserted into a sandbox kernel, which must refuse each and keep serving.

use std::path::{Path, PathBuf};

use lkm_modfile::elf::Elf;

mod common;
use common::*;

const SHDR: usize = 64;

/// A module file to break, with its section table decoded.
struct Patchable {
    bytes: Vec<u8>,
}

impl Patchable {
    fn new(path: &Path) -> Patchable {
        Patchable {
            bytes: std::fs::read(path).unwrap(),
        }
    }

    fn section(&self, name: &str) -> (usize, usize) {
        let elf = Elf::parse(&self.bytes).unwrap();
        let s = elf
            .section_by_name(name.as_bytes())
            .unwrap_or_else(|| panic!("no section {name}"));
        let shoff = u64::from_le_bytes(self.bytes[0x28..0x30].try_into().unwrap()) as usize;
        (s.index, shoff + s.index * SHDR)
    }

    /// File offset of section `name`'s data.
    fn data_offset(&self, name: &str) -> usize {
        let (_, hdr) = self.section(name);
        u64::from_le_bytes(self.bytes[hdr + 24..hdr + 32].try_into().unwrap()) as usize
    }

    fn put_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u64(&mut self, at: usize, v: u64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn replace(&mut self, from: &[u8], to: &[u8]) {
        assert_eq!(from.len(), to.len());
        let at = self
            .bytes
            .windows(from.len())
            .position(|w| w == from)
            .unwrap_or_else(|| panic!("{:?} not in the file", String::from_utf8_lossy(from)));
        self.bytes[at..at + to.len()].copy_from_slice(to);
    }

    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, &self.bytes).unwrap();
        p
    }
}

/// Inserts `ko` and expects insmod's error `why`, with `log` as the last kernel message(s).
fn refused(k: &Kernel, ko: &Path, why: &str, log: &[&str]) {
    let before = k.dmesg().len();
    let file = ko.file_name().unwrap().to_string_lossy().into_owned();
    let r = k.run(&["insmod", &ko.display().to_string()]);
    assert_eq!(r.code, Some(1), "{file}: {r:?}");
    assert!(
        r.stderr.ends_with(&format!(
            "insmod: ERROR: could not insert module {}: {why}\n",
            ko.display()
        )),
        "{file}: {r:?}"
    );
    let new: Vec<String> = k.dmesg()[before..].to_vec();
    let tail: Vec<&str> = new
        .iter()
        .map(String::as_str)
        .filter(|l| !l.contains("taints kernel") && !l.contains("module verification failed"))
        .collect();
    assert_eq!(tail, log, "{file}: kernel log");
    // Refused means not there, and the kernel keeps serving.
    assert_eq!(k.cat("/proc/modules"), "", "{file}");
}

#[test]
fn broken_modules_are_refused_with_the_kernels_messages() {
    let Some(env) = env() else { return };
    let hello = built_ok("hello");
    let ko = hello.ko("hello");
    let dir = env.root.join("malformed");
    std::fs::create_dir_all(&dir).unwrap();
    let k = Kernel::new("malformed").at(&dir);
    k.boot();

    // struct module of another size.
    let mut p = Patchable::new(&ko);
    let (_, hdr) = p.section(".gnu.linkonce.this_module");
    p.put_u64(hdr + 32, 0x100);
    refused(
        &k,
        &p.write(&dir, "size.ko"),
        "Invalid module format",
        &["module hello: .gnu.linkonce.this_module section size must match the kernel's built struct module size at run time"],
    );

    // No struct module at all.
    let mut p = Patchable::new(&ko);
    p.replace(
        b".gnu.linkonce.this_module\0",
        b".gnu.linkonce.this_modulX\0",
    );
    refused(
        &k,
        &p.write(&dir, "nomod.ko"),
        "Invalid module format",
        &["No module found in object"],
    );

    // Writable code.
    let mut p = Patchable::new(&ko);
    let (idx, hdr) = p.section(".init.text");
    let flags = u64::from_le_bytes(p.bytes[hdr + 8..hdr + 16].try_into().unwrap());
    p.put_u64(hdr + 8, flags | 1);
    refused(
        &k,
        &p.write(&dir, "wx.ko"),
        "Invalid module format",
        &[&format!(
            "hello: section .init.text (index {idx}) has invalid WRITE|EXEC flags"
        )],
    );

    // An alignment that is not a power of two.
    let mut p = Patchable::new(&ko);
    let (_, hdr) = p.section(".init.text");
    p.put_u64(hdr + 48, 3);
    refused(
        &k,
        &p.write(&dir, "align.ko"),
        "Invalid module format",
        &["hello: section .init.text has bad alignment 3"],
    );

    // A relocation type the x86-64 loader does not know (R_X86_64_REX_GOTPCRELX, from -fPIC code).
    let mut p = Patchable::new(&ko);
    let at = p.data_offset(".rela.init.text");
    p.put_u32(at + 8, 42);
    refused(
        &k,
        &p.write(&dir, "rtype.ko"),
        "Invalid module format",
        &["hello: Unknown rela relocation: 42"],
    );

    // REL instead of RELA.
    let mut p = Patchable::new(&ko);
    let (_, hdr) = p.section(".rela.init.text");
    p.put_u32(hdr + 4, 9);
    refused(
        &k,
        &p.write(&dir, "rel.ko"),
        "Invalid module format",
        &["module hello: REL relocation unsupported"],
    );

    // An absolute 32-bit sign-extended reference that cannot reach its target.
    let mut p = Patchable::new(&ko);
    let at = p.data_offset(".rela.init.text");
    assert_eq!(
        p.bytes[at + 8],
        11,
        "the first relocation of hello's init is R_X86_64_32S"
    );
    p.put_u64(at + 16, 0x7fff_0000);
    let r = {
        let path = p.write(&dir, "overflow.ko");
        let before = k.dmesg().len();
        let r = k.run(&["insmod", &path.display().to_string()]);
        (r, k.dmesg()[before..].to_vec())
    };
    assert_eq!(r.0.code, Some(1));
    assert!(r.0.stderr.ends_with("Invalid module format\n"), "{:?}", r.0);
    let log: Vec<&String> = r.1.iter().filter(|l| !l.contains("taints")).collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log[0].starts_with("overflow in relocation type 11 val "),
        "{log:?}"
    );
    assert_eq!(log[1], "`hello' likely not compiled with -mcmodel=kernel");

    // The bytes a relocation fills in must be zero in the file.
    let mut p = Patchable::new(&ko);
    let text = p.data_offset(".init.text");
    let rela = p.data_offset(".rela.init.text");
    let off = u64::from_le_bytes(p.bytes[rela..rela + 8].try_into().unwrap()) as usize;
    p.bytes[text + off] = 1;
    let path = p.write(&dir, "nonzero.ko");
    let before = k.dmesg().len();
    let r = k.run(&["insmod", &path.display().to_string()]);
    assert_eq!(r.code, Some(1));
    let log = k.dmesg()[before..].to_vec();
    assert!(
        log.iter().any(|l| l.starts_with(
            "x86/modules: Invalid relocation target, existing value is nonzero for type 11, loc "
        )),
        "{log:?}"
    );

    // No vermagic: refused without a message (try_to_force_load without CONFIG_MODULE_FORCE_LOAD).
    let mut p = Patchable::new(&ko);
    p.replace(b"vermagic=", b"vermagiX=");
    refused(
        &k,
        &p.write(&dir, "novermagic.ko"),
        "Invalid module format",
        &[],
    );

    // After all that, the real module still loads and unloads.
    k.load(&ko);
    assert!(k.cat("/proc/modules").starts_with("hello "));
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(k.cat("/proc/modules"), "");
}

#[test]
fn a_second_exporter_of_a_symbol_is_refused() {
    let Some(env) = env() else { return };
    let export = built_ok("export");
    let dir = env.root.join("dupexport");
    std::fs::create_dir_all(&dir).unwrap();
    let k = Kernel::new("dupexport").at(&dir);
    k.boot();
    k.load(&export.ko("provider"));
    // The same module under another name exports the same symbols.
    let mut p = Patchable::new(&export.ko("provider"));
    p.replace(b"name=provider\0", b"name=provides\0");
    p.replace(b"provider\0\0\0\0\0\0\0\0", b"provides\0\0\0\0\0\0\0\0");
    refused_after(
        &k,
        &p.write(&dir, "provides.ko"),
        "Invalid module format",
        "provides: exports duplicate symbol provider_add (owned by provider)",
    );
    let mods = k.proc_modules();
    assert_eq!(mods.len(), 1, "{mods:?}");
    assert!(mods[0].starts_with("provider "), "{mods:?}");
}

/// Like `refused`, when other modules stay loaded.
fn refused_after(k: &Kernel, ko: &Path, why: &str, log: &str) {
    let before = k.dmesg().len();
    let r = k.run(&["insmod", &ko.display().to_string()]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr.ends_with(&format!(
            "insmod: ERROR: could not insert module {}: {why}\n",
            ko.display()
        )),
        "{r:?}"
    );
    assert!(
        k.dmesg()[before..].iter().any(|l| l == log),
        "{:?}",
        k.dmesg()
    );
}
