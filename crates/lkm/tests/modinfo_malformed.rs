//! Malformed module files: each gives `lkm modinfo` one clear error line on stderr and exit status 1,
//! worded like the kernel's loader, and never a crash.
//!
//! The well-formed base is a real object gcc builds from a small C file with `.modinfo` records.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = r#"
static const char __mod_license[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";
static const char __mod_author[] __attribute__((section(".modinfo"), used, aligned(1))) = "author=lkm tests";
static const char __mod_name[] __attribute__((section(".modinfo"), used, aligned(1))) = "name=base";
int base_value = 42;
int base_function(int x) { return x + base_value; }
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("malformed")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A valid ET_REL x86_64 object with a `.modinfo` section, built by gcc once per test process (tests run
/// in parallel threads: each building into the same file would read half-written objects).
fn base_object() -> Vec<u8> {
    static BASE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let dir = scratch(&format!("base-{}", std::process::id()));
        std::fs::write(dir.join("base.c"), SOURCE).unwrap();
        let out = Command::new("gcc")
            .args(["-c", "-O2", "-fno-pic", "-o", "base.o", "base.c"])
            .current_dir(&dir)
            .output()
            .expect("gcc is needed for this test (apt-get install build-essential)");
        assert!(
            out.status.success(),
            "gcc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(dir.join("base.o")).unwrap()
    })
    .clone()
}

fn lkm_modinfo(path: &Path) -> (String, String, Option<i32>) {
    let o = Command::new(env!("CARGO_BIN_EXE_lkm"))
        .arg("modinfo")
        .arg(path)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

fn u16_at(d: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([d[o], d[o + 1]])
}
fn u64_at(d: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(d[o..o + 8].try_into().unwrap())
}
fn put_u16(d: &mut [u8], o: usize, v: u16) {
    d[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(d: &mut [u8], o: usize, v: u32) {
    d[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(d: &mut [u8], o: usize, v: u64) {
    d[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// Offset of section header `i`.
fn shdr(d: &[u8], i: usize) -> usize {
    u64_at(d, 40) as usize + i * 64
}

/// Index of the section named `name`.
fn section_index(d: &[u8], name: &str) -> usize {
    let shnum = u16_at(d, 60) as usize;
    let strtab = shdr(d, u16_at(d, 62) as usize);
    let stroff = u64_at(d, strtab + 24) as usize;
    (1..shnum)
        .find(|&i| {
            let n = u32::from_le_bytes(d[shdr(d, i)..shdr(d, i) + 4].try_into().unwrap()) as usize;
            d[stroff + n..].starts_with(name.as_bytes()) && d[stroff + n + name.len()] == 0
        })
        .unwrap_or_else(|| panic!("no section {name}"))
}

fn write_case(name: &str, file: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch("cases").join(format!("{name}-{file}"));
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

/// Runs modinfo on the case and checks: exit 1, nothing but the filename on stdout, and exactly one
/// stderr line naming the module and containing `expected`.
fn check(name: &str, bytes: &[u8], expected: &str) {
    let path = write_case(name, "case.ko", bytes);
    let (out, err, code) = lkm_modinfo(&path);
    assert_eq!(code, Some(1), "{name}: exit status (stderr: {err})");
    assert_eq!(
        out,
        format!("filename:       {}\n", path.display()),
        "{name}: stdout"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "{name}: want one error line, got {err:?}"
    );
    let want = format!(
        "modinfo: ERROR: could not get modinfo from '{}': ",
        name.replace('-', "_") + "_case"
    );
    assert!(
        err.starts_with(&want),
        "{name}: {err:?} should start with {want:?}"
    );
    assert!(
        err.contains(expected),
        "{name}: {err:?} should contain {expected:?}"
    );
}

#[test]
fn the_base_object_is_readable() {
    let base = base_object();
    let path = write_case("good", "case.ko", &base);
    let (out, err, code) = lkm_modinfo(&path);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    // gcc lays the records out in its own order; kmod's modinfo is the reference for that order.
    let mut lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.remove(0),
        format!("filename:       {}", path.display())
    );
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "author:         lkm tests",
            "license:        GPL",
            "name:           base"
        ]
    );
    if let Ok(k) = Command::new("modinfo").arg(&path).output() {
        assert_eq!(
            String::from_utf8_lossy(&k.stdout),
            out,
            "kmod's modinfo disagrees"
        );
    }
}

#[test]
fn truncated_files() {
    let base = base_object();
    check("empty", &[], "Invalid ELF header len 0");
    check("trunc10", &base[..10], "Invalid ELF header len 10");
    check("trunc63", &base[..63], "Invalid ELF header len 63");
    check(
        "trunc64",
        &base[..64],
        "Invalid ELF section header overflow",
    );
    // Cut in the middle of the section header table, which gcc puts at the end.
    check(
        "trunc-shdrs",
        &base[..base.len() - 100],
        "Invalid ELF section header overflow",
    );
}

#[test]
fn bad_header_fields() {
    let base = base_object();
    let mut d = base.clone();
    d[1] = b'X';
    check("magic", &d, "Invalid ELF header magic: != \\177ELF");
    let mut d = base.clone();
    d[4] = 1;
    check("class", &d, "Invalid ELF header class: 1 != 2");
    let mut d = base.clone();
    d[5] = 2;
    check("endian", &d, "Invalid ELF header data encoding: 2 != 1");
    let mut d = base.clone();
    put_u16(&mut d, 16, 2);
    check("type", &d, "Invalid ELF header type: 2 != 1");
    let mut d = base.clone();
    put_u16(&mut d, 18, 183);
    check("machine", &d, "Invalid architecture in ELF header: 183");
    let mut d = base.clone();
    put_u16(&mut d, 58, 40);
    check("shentsize", &d, "Invalid ELF section header size: 40 != 64");
}

#[test]
fn section_table_problems() {
    let base = base_object();
    let mut d = base.clone();
    put_u64(&mut d, 40, 1 << 40);
    check("shoff-huge", &d, "Invalid ELF section header overflow");
    let mut d = base.clone();
    put_u16(&mut d, 60, 0xffff);
    check("shnum-huge", &d, "Invalid ELF section header overflow");
    let mut d = base.clone();
    let shnum = u16_at(&d, 60);
    put_u16(&mut d, 62, shnum);
    check(
        "shstrndx",
        &d,
        &format!(
            "Invalid ELF section name index: {shnum} || e_shstrndx ({shnum}) >= e_shnum ({shnum})"
        ),
    );
    let mut d = base.clone();
    let s0 = shdr(&d, 0);
    put_u64(&mut d, s0 + 32, 16);
    check("section0", &d, "ELF Spec violation: section 0");
}

#[test]
fn bad_sections() {
    let base = base_object();
    let modinfo = section_index(&base, ".modinfo");
    let text = section_index(&base, ".text");
    // A section whose size runs past the end of the file.
    let mut d = base.clone();
    put_u64(&mut d, shdr(&base, modinfo) + 32, 1 << 40);
    check(
        "huge",
        &d,
        &format!("Invalid ELF section in module (section {modinfo} type 1)"),
    );
    // Offset + size overflowing 64 bits.
    let mut d = base.clone();
    put_u64(&mut d, shdr(&base, modinfo) + 24, u64::MAX - 4);
    check(
        "wrap",
        &d,
        &format!("Invalid ELF section in module (section {modinfo} type 1)"),
    );
    // Two sections sharing bytes.
    let mut d = base.clone();
    let text_off = u64_at(&d, shdr(&d, text) + 24);
    put_u64(&mut d, shdr(&base, modinfo) + 24, text_off);
    let (a, b) = (text.min(modinfo), text.max(modinfo));
    check("overlap", &d, &format!("sections {a} and {b} overlap"));
    // A section name outside the section-name table.
    let mut d = base.clone();
    put_u32(&mut d, shdr(&base, modinfo), 0x7fff_ffff);
    check(
        "name",
        &d,
        &format!("Invalid ELF section name in module (section {modinfo} type 1)"),
    );
    // A section-name table that is not NUL-terminated.
    let mut d = base.clone();
    let strtab = shdr(&d, u16_at(&d, 62) as usize);
    let end = (u64_at(&d, strtab + 24) + u64_at(&d, strtab + 32)) as usize;
    d[end - 1] = b'x';
    check(
        "shstrtab",
        &d,
        "ELF Spec violation: section name table isn't null terminated",
    );
}

#[test]
fn no_modinfo_section() {
    let base = base_object();
    let modinfo = section_index(&base, ".modinfo");
    let mut d = base.clone();
    // Rename ".modinfo" to ".modinfX".
    let strtab = shdr(&d, u16_at(&d, 62) as usize);
    let stroff = u64_at(&d, strtab + 24) as usize;
    let n = u32::from_le_bytes(
        d[shdr(&d, modinfo)..shdr(&d, modinfo) + 4]
            .try_into()
            .unwrap(),
    ) as usize;
    d[stroff + n + 7] = b'X';
    check("nomodinfo", &d, "no .modinfo section");
}

fn compress(tool: &[&str], data: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool[0])
        .args(&tool[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} is needed for this test: {e}", tool[0]));
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn broken_compressed_streams() {
    let base = base_object();
    for (name, tool) in [
        ("xz", &["xz", "-c", "--check=crc32"][..]),
        ("zstd", &["zstd", "-c", "-q"][..]),
        ("gzip", &["gzip", "-c", "-n"][..]),
    ] {
        let good = compress(tool, &base);
        // The intact stream reads fine.
        let p = write_case(&format!("{name}-ok"), "case.ko", &good);
        let (_, err, code) = lkm_modinfo(&p);
        assert_eq!((code, err.as_str()), (Some(0), ""), "{name}: intact stream");
        check(
            &format!("{name}-cut"),
            &good[..good.len() / 2],
            &format!("broken {name} stream"),
        );
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        for b in &mut flipped[mid..mid + 8] {
            *b ^= 0x5a;
        }
        check(
            &format!("{name}-flip"),
            &flipped,
            &format!("broken {name} stream"),
        );
    }
}

#[test]
fn bad_signature_trailers() {
    let base = base_object();
    let magic = b"~Module signature appended~\n";
    let with = |record: &[u8], payload: usize| {
        let mut d = base.clone();
        d.extend(std::iter::repeat_n(0xab, payload));
        d.extend_from_slice(record);
        d.extend_from_slice(magic);
        d
    };
    let record = |id_type: u8, sig_len: u32| {
        let mut r = vec![0u8, 0, id_type, 0, 0, 0, 0, 0];
        r.extend_from_slice(&sig_len.to_be_bytes());
        r
    };
    let mut only_magic = base[..4].to_vec();
    only_magic.extend_from_slice(magic);
    check("sig-magic-only", &only_magic, "signature");
    check("sig-zero", &with(&record(2, 0), 0), "zero");
    check("sig-too-long", &with(&record(2, 1 << 30), 16), "exceeds");
    check("sig-id-type", &with(&record(9, 16), 16), "9");
    check("sig-not-pkcs7", &with(&record(2, 16), 16), "PKCS#7");
}
