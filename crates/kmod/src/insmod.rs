//! `insmod`: insert one module file into a kernel, as kmod 30 does.
//!
//! The filename is used as given (no lookup); the remaining arguments are joined with single spaces
//! into the parameter string, exactly as kmod 30 joins them (no quoting is added or removed: what the
//! shell passed is what the kernel gets).
//!
//! **Load path**, as kmod's `kmod_module_insert_module` (kmod 30 for kernels without in-kernel
//! decompression, kmod 31 beyond): an uncompressed file goes to `finit_module(2)` (`-f` as
//! `MODULE_INIT_IGNORE_VERMAGIC | MODULE_INIT_IGNORE_MODVERSIONS`); a compressed one too, with
//! `MODULE_INIT_COMPRESSED_FILE`, when `/sys/module/compression` names its format. Otherwise, or
//! when the kernel has no `finit_module`, lkm decompresses the file itself (gzip, xz, zstd, by
//! content) and calls `init_module(2)`; with `-f` the `__versions` section loses `SHF_ALLOC` and the
//! `vermagic=` string of `.modinfo` is zeroed in a copy of the image first, so the kernel checks
//! neither.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use lkm_kernel_api::{init_flags, Kernel};
use lkm_modfile::decompress::Compression;
use lkm_modfile::elf::{shf, Elf};
use lkm_modfile::{Error as FileError, ModuleImage};
use lkm_modindex::normalize::modname_from_path;

use crate::loaded::{errno_of, strerror};
use crate::moddir::make_absolute;
use crate::Reporter;

/// What `insmod` was asked to do (`-p` and `-s` are accepted and ignored, as in kmod 30).
#[derive(Debug, Clone, Default)]
pub struct InsmodOptions {
    /// `-f`: ignore both the module's symbol versions and its vermagic.
    pub force: bool,
}

/// kmod's `mod_strerror`: the kernel's `init_module` errnos in the words kmod uses for them.
pub fn mod_strerror(errno: i32) -> String {
    match errno {
        libc::ENOEXEC => "Invalid module format".to_owned(),
        libc::ENOENT => "Unknown symbol in module".to_owned(),
        libc::ESRCH => "Module has wrong symbol version".to_owned(),
        libc::EINVAL => "Invalid parameters".to_owned(),
        _ => strerror(errno),
    }
}

/// The parameter string kmod 30 builds from the arguments after the filename: joined by one space.
pub fn params_string(params: &[String]) -> String {
    params.join(" ")
}

/// Runs insmod: `args[0]` is the module file, the rest its parameters. Messages go to `err` through
/// `rep` (insmod prints nothing on success). Returns the exit status, 0 or 1.
pub fn run(
    opts: &InsmodOptions,
    args: &[String],
    kernel: &dyn Kernel,
    err: &mut dyn Write,
    rep: &Reporter,
) -> i32 {
    let mut rep = rep.fork();
    let code = insmod(opts, args, kernel, &mut rep);
    let _ = err.write_all(&rep.take());
    code
}

fn insmod(opts: &InsmodOptions, args: &[String], kernel: &dyn Kernel, rep: &mut Reporter) -> i32 {
    let Some((filename, params)) = args.split_first() else {
        rep.error("missing filename.");
        return 1;
    };
    if filename == "-" {
        rep.error("this tool does not support loading from stdin!");
        return 1;
    }
    let params = params_string(params);

    // kmod_module_new_from_path: the file must exist, and have a module name.
    let abspath = make_absolute(filename);
    if let Err(e) = std::fs::metadata(&abspath) {
        rep.error(&format!(
            "could not load module {filename}: {}",
            strerror(errno_of(&e))
        ));
        return 1;
    }
    if modname_from_path(filename.as_str()).is_none() {
        rep.error(&format!(
            "could not load module {filename}: {}",
            strerror(libc::ENOENT)
        ));
        return 1;
    }

    let insert_failed = |rep: &mut Reporter, why: String| {
        rep.error(&format!("could not insert module {filename}: {why}"));
        1
    };
    match insert(opts, &abspath, &params, kernel) {
        Ok(()) => 0,
        Err(why) => insert_failed(rep, why),
    }
}

/// The compression the kernel decompresses itself (`/sys/module/compression`, Linux 6.4 and later
/// with `CONFIG_MODULE_DECOMPRESS`), as kmod 31 reads it; `Compression::None` when the file is absent
/// (older kernels, Debian 12's 6.1) or names something else.
pub fn kernel_compression(kernel: &dyn Kernel) -> Compression {
    match kernel.read_file("/sys/module/compression").as_deref() {
        Ok(b"zstd\n") => Compression::Zstd,
        Ok(b"xz\n") => Compression::Xz,
        Ok(b"gzip\n") => Compression::Gzip,
        _ => Compression::None,
    }
}

/// `kmod_module_insert_module`: `finit_module(2)` on the open file when it is uncompressed or
/// compressed the way the kernel decompresses (then with `MODULE_INIT_COMPRESSED_FILE`); otherwise,
/// or when the kernel has no `finit_module` (`ENOSYS`), the file is decompressed here and its bytes
/// go to `init_module(2)`. `-f` becomes the `MODULE_INIT_IGNORE_*` flags for `finit_module`, and
/// the stripping of `__versions` and `vermagic` for `init_module`. `Err` carries the words for
/// "could not insert module X: …".
fn insert(
    opts: &InsmodOptions,
    path: &Path,
    params: &str,
    kernel: &dyn Kernel,
) -> Result<(), String> {
    let (file, compression) = open_file(path)?;
    if compression == Compression::None || compression == kernel_compression(kernel) {
        let mut flags = 0;
        if compression != Compression::None {
            flags |= init_flags::COMPRESSED_FILE;
        }
        if opts.force {
            flags |= init_flags::IGNORE_VERMAGIC | init_flags::IGNORE_MODVERSIONS;
        }
        match kernel.finit_module(&file, params, flags) {
            Err(e) if errno_of(&e) == libc::ENOSYS => {}
            other => return other.map_err(|e| mod_strerror(errno_of(&e))),
        }
    }
    drop(file);
    let image = load_image(path)?;
    let result = if opts.force {
        let mut copy = image.to_vec();
        strip_for_force(&mut copy).map_err(mod_strerror)?;
        kernel.init_module(&copy, params)
    } else {
        kernel.init_module(&image, params)
    };
    result.map_err(|e| mod_strerror(errno_of(&e)))
}

/// kmod_file_open's checks: the file opens, and its first 6 bytes (the compression magic) can be
/// read; a shorter file fails with `EINVAL` ("Invalid parameters"), a directory with `EISDIR`.
fn open_file(path: &Path) -> Result<(std::fs::File, Compression), String> {
    let file = std::fs::File::open(path).map_err(|e| mod_strerror(errno_of(&e)))?;
    let meta = file.metadata().map_err(|e| mod_strerror(errno_of(&e)))?;
    if meta.is_dir() {
        return Err(mod_strerror(libc::EISDIR));
    }
    let mut magic = [0u8; 6];
    let mut got = 0;
    while got < magic.len() {
        match (&file).read(&mut magic[got..]) {
            Ok(0) => return Err(mod_strerror(libc::EINVAL)),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(mod_strerror(errno_of(&e))),
        }
    }
    // Linux's finit_module reads the file from its start, the sandbox's from the file offset: rewind
    // (as kmod does, ignoring a failure on what cannot seek).
    let _ = (&file).seek(SeekFrom::Start(0));
    Ok((file, Compression::detect(&magic)))
}

/// The uncompressed image for `init_module`. lkm's difference from kmod: a broken compressed stream is
/// named (`broken xz stream: …`) instead of kmod's errno.
fn load_image(path: &Path) -> Result<ModuleImage, String> {
    ModuleImage::open(path).map_err(|e| match e {
        FileError::Io { source, .. } => mod_strerror(errno_of(&source)),
        other => other.to_string(),
    })
}

/// What `insmod -f` does to the image before `init_module`, as kmod's `kmod_elf_strip_section(elf,
/// "__versions")` and `kmod_elf_strip_vermagic`: clear `SHF_ALLOC` on the first `__versions` section
/// and zero the first `vermagic=…` string in `.modinfo`. Like kmod, which must parse the ELF image to
/// do this, an image that is not a valid module is refused here (`Err(errno)`, `ENOEXEC` for most
/// defects) instead of reaching the kernel.
pub fn strip_for_force(image: &mut [u8]) -> Result<(), i32> {
    let (versions_flags, vermagic) = {
        let elf = Elf::parse(image).map_err(|e| e.errno())?;
        // The section header table is where e_shoff says; Elf::parse checked it lies in the image.
        let shoff = u64::from_le_bytes(image[0x28..0x30].try_into().expect("8 bytes")) as usize;
        let versions_flags = elf
            .section_by_name(b"__versions")
            .map(|s| shoff + s.index * 64 + 8);
        let vermagic = elf.section_by_name(b".modinfo").and_then(|s| {
            let start = s.header.offset as usize;
            vermagic_range(elf.data(&s)).map(|(a, b)| (start + a, start + b))
        });
        (versions_flags, vermagic)
    };
    if let Some(off) = versions_flags {
        let flags = u64::from_le_bytes(image[off..off + 8].try_into().expect("8 bytes"));
        image[off..off + 8].copy_from_slice(&(flags & !shf::ALLOC).to_le_bytes());
    }
    if let Some((a, b)) = vermagic {
        image[a..b].fill(0);
    }
    Ok(())
}

/// The byte range of the first `vermagic=` string in `.modinfo` data, scanned as
/// `kmod_elf_strip_vermagic` scans it (leading NUL padding skipped; a string must start after a NUL
/// and have room for more than the key).
fn vermagic_range(strings: &[u8]) -> Option<(usize, usize)> {
    const KEY: &[u8] = b"vermagic=";
    let mut base = 0;
    let mut size = strings.len();
    while size > 1 && strings[base] == 0 {
        base += 1;
        size -= 1;
    }
    if size <= 1 {
        return None;
    }
    let s = &strings[base..];
    let mut i = 0;
    while i < size {
        if s[i] == 0 || i + 1 >= size || i + KEY.len() >= size {
            i += 1;
            continue;
        }
        let len = s[i..].iter().position(|&b| b == 0).unwrap_or(size - i);
        if s[i..].starts_with(KEY) {
            return Some((base + i, base + i + len));
        }
        i += len + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Argument-handling tests only: records what insmod hands to the kernel (the image, the
    /// parameters, and the `finit_module` flags, `None` for `init_module`). It is not a kernel and
    /// nothing here claims kernel behaviour.
    #[derive(Default)]
    struct Recorder {
        calls: RefCell<Vec<(Vec<u8>, String)>>,
        finit_flags: RefCell<Vec<Option<u32>>>,
        answer: Option<i32>,
        /// What `finit_module` answers (`None`: as `answer`), to model a kernel without it.
        finit_answer: Option<i32>,
        /// The contents of `/sys/module/compression`, if the kernel has it.
        compression: Option<&'static str>,
    }

    impl Recorder {
        fn answer(&self, errno: Option<i32>) -> std::io::Result<()> {
            match errno {
                Some(e) => Err(std::io::Error::from_raw_os_error(e)),
                None => Ok(()),
            }
        }
    }

    impl Kernel for Recorder {
        fn release(&self) -> std::io::Result<String> {
            Ok("test".into())
        }
        fn init_module(&self, image: &[u8], params: &str) -> std::io::Result<()> {
            self.calls
                .borrow_mut()
                .push((image.to_vec(), params.to_owned()));
            self.finit_flags.borrow_mut().push(None);
            self.answer(self.answer)
        }
        fn finit_module(
            &self,
            file: &std::fs::File,
            params: &str,
            flags: u32,
        ) -> std::io::Result<()> {
            let mut image = Vec::new();
            let mut f = file;
            f.read_to_end(&mut image)?;
            self.calls.borrow_mut().push((image, params.to_owned()));
            self.finit_flags.borrow_mut().push(Some(flags));
            self.answer(self.finit_answer.or(self.answer))
        }
        fn delete_module(&self, _: &str, _: u32) -> std::io::Result<()> {
            panic!("not used by insmod")
        }
        fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
            assert_eq!(path, "/sys/module/compression", "insmod reads nothing else");
            match self.compression {
                Some(c) => Ok(c.as_bytes().to_vec()),
                None => Err(std::io::Error::from_raw_os_error(libc::ENOENT)),
            }
        }
        fn write_file(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
            panic!("not used by insmod")
        }
        fn read_dir(&self, _: &str) -> std::io::Result<Vec<String>> {
            panic!("not used by insmod")
        }
    }

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn temp_file(name: &str, data: &[u8]) -> String {
        let p = std::env::temp_dir().join(format!("lkm-insmod-{}-{name}", std::process::id()));
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn argument_handling_params_are_joined_like_kmod() {
        let f = temp_file("params.ko", b"not checked before the kernel");
        let k = Recorder::default();
        let mut err = Vec::new();
        let a = args(&[&f, "a=1", "b=\"x y\"", "c", "", "d='q r'"]);
        let code = run(
            &InsmodOptions::default(),
            &a,
            &k,
            &mut err,
            &Reporter::new("insmod"),
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        assert!(err.is_empty());
        let calls = k.calls.borrow();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, b"not checked before the kernel");
        // Exactly kmod 30's string: one space between arguments, nothing quoted or unquoted.
        assert_eq!(calls[0].1, "a=1 b=\"x y\" c  d='q r'");
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn argument_handling_no_params_is_empty_string() {
        let f = temp_file("noparams.ko", b"0123456789");
        let k = Recorder::default();
        let mut err = Vec::new();
        run(
            &InsmodOptions::default(),
            &args(&[&f]),
            &k,
            &mut err,
            &Reporter::new("insmod"),
        );
        assert_eq!(k.calls.borrow()[0].1, "");
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn argument_handling_compressed_files_reach_the_kernel_decompressed() {
        // A zstd frame of "hello, module bytes" (raw block), as `zstd` writes it.
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, 19];
        // Block header: last block, raw, size 19.
        let bh: u32 = 1 | (19 << 3);
        frame.extend_from_slice(&bh.to_le_bytes()[..3]);
        frame.extend_from_slice(b"hello, module bytes");
        let f = temp_file("c.ko.zst", &frame);
        let k = Recorder::default();
        let mut err = Vec::new();
        let code = run(
            &InsmodOptions::default(),
            &args(&[&f, "p=1"]),
            &k,
            &mut err,
            &Reporter::new("insmod"),
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
        assert_eq!(k.calls.borrow()[0].0, b"hello, module bytes");
        std::fs::remove_file(f).unwrap();
    }

    fn zstd_frame(payload: &[u8]) -> Vec<u8> {
        // A zstd frame with one raw block, as `zstd` writes short incompressible data.
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, payload.len() as u8];
        let bh: u32 = 1 | ((payload.len() as u32) << 3);
        frame.extend_from_slice(&bh.to_le_bytes()[..3]);
        frame.extend_from_slice(payload);
        frame
    }

    fn insmod_with(k: &Recorder, opts: &InsmodOptions, a: &[&str]) -> (i32, String) {
        let mut err = Vec::new();
        let code = run(opts, &args(a), k, &mut err, &Reporter::new("insmod"));
        (code, String::from_utf8_lossy(&err).into_owned())
    }

    #[test]
    fn plain_files_go_to_finit_module_with_force_flags() {
        let f = temp_file("plain.ko", b"plain module bytes");
        let k = Recorder::default();
        assert_eq!(
            insmod_with(&k, &InsmodOptions::default(), &[&f, "x=1"]).0,
            0
        );
        let force = InsmodOptions { force: true };
        assert_eq!(insmod_with(&k, &force, &[&f]).0, 0);
        assert_eq!(
            *k.finit_flags.borrow(),
            [
                Some(0),
                Some(init_flags::IGNORE_VERMAGIC | init_flags::IGNORE_MODVERSIONS)
            ]
        );
        // The whole file from its start, although insmod read its magic first.
        assert_eq!(k.calls.borrow()[0].0, b"plain module bytes");
        assert_eq!(k.calls.borrow()[0].1, "x=1");
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn without_finit_module_the_image_goes_to_init_module() {
        let f = temp_file("nofinit.ko", b"plain module bytes");
        let k = Recorder {
            finit_answer: Some(libc::ENOSYS),
            ..Default::default()
        };
        assert_eq!(insmod_with(&k, &InsmodOptions::default(), &[&f]).0, 0);
        assert_eq!(*k.finit_flags.borrow(), [Some(0), None]);
        assert_eq!(k.calls.borrow()[1].0, b"plain module bytes");
        // Any other finit_module error is the answer: no second attempt.
        let k = Recorder {
            finit_answer: Some(libc::EEXIST),
            ..Default::default()
        };
        let (code, err) = insmod_with(&k, &InsmodOptions::default(), &[&f]);
        assert_eq!(
            (code, err),
            (
                1,
                format!("insmod: ERROR: could not insert module {f}: File exists\n")
            )
        );
        assert_eq!(*k.finit_flags.borrow(), [Some(0)]);
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn compressed_files_go_to_the_kernel_only_if_it_decompresses_that_format() {
        let f = temp_file("kc.ko.zst", &zstd_frame(b"module"));
        // Kernel decompresses zstd: the file itself, flagged as compressed.
        let k = Recorder {
            compression: Some("zstd\n"),
            ..Default::default()
        };
        assert_eq!(insmod_with(&k, &InsmodOptions::default(), &[&f]).0, 0);
        assert_eq!(*k.finit_flags.borrow(), [Some(init_flags::COMPRESSED_FILE)]);
        assert_eq!(k.calls.borrow()[0].0, zstd_frame(b"module"));
        // Kernel decompresses xz only, or nothing: decompressed here, init_module.
        for c in [Some("xz\n"), None] {
            let k = Recorder {
                compression: c,
                ..Default::default()
            };
            assert_eq!(insmod_with(&k, &InsmodOptions::default(), &[&f]).0, 0);
            assert_eq!(*k.finit_flags.borrow(), [None]);
            assert_eq!(k.calls.borrow()[0].0, b"module");
        }
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn short_files_and_directories_are_refused_like_kmod() {
        let f = temp_file("short.ko", b"12345");
        let k = Recorder::default();
        let (code, err) = insmod_with(&k, &InsmodOptions::default(), &[&f]);
        assert_eq!(
            (code, err),
            (
                1,
                format!("insmod: ERROR: could not insert module {f}: Invalid parameters\n")
            )
        );
        std::fs::remove_file(&f).unwrap();
        let d = std::env::temp_dir();
        let d = d.to_str().unwrap();
        let (code, err) = insmod_with(&k, &InsmodOptions::default(), &[d]);
        assert_eq!(
            (code, err),
            (
                1,
                format!("insmod: ERROR: could not insert module {d}: Is a directory\n")
            )
        );
        assert!(k.calls.borrow().is_empty());
    }

    #[test]
    fn argument_handling_kernel_errors_are_worded_by_mod_strerror() {
        let f = temp_file("err.ko", b"0123456789");
        for (errno, words) in [
            (libc::ENOEXEC, "Invalid module format"),
            (libc::ENOENT, "Unknown symbol in module"),
            (libc::EEXIST, "File exists"),
        ] {
            let k = Recorder {
                answer: Some(errno),
                ..Default::default()
            };
            let mut err = Vec::new();
            let code = run(
                &InsmodOptions::default(),
                &args(&[&f]),
                &k,
                &mut err,
                &Reporter::new("insmod"),
            );
            assert_eq!(code, 1);
            assert_eq!(
                String::from_utf8_lossy(&err),
                format!("insmod: ERROR: could not insert module {f}: {words}\n")
            );
        }
        std::fs::remove_file(f).unwrap();
    }

    #[test]
    fn force_strips_versions_and_vermagic_like_kmod() {
        // A real relocatable object from gcc with a __versions section and a .modinfo vermagic.
        let dir = std::env::temp_dir().join(format!("lkm-insmod-force-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("m.c");
        std::fs::write(
            &src,
            "static const char v[64] __attribute__((used, section(\"__versions\"))) = \"x\";\n\
             static const char a[] __attribute__((used, section(\".modinfo\"))) = \"license=GPL\";\n\
             static const char b[] __attribute__((used, section(\".modinfo\"))) = \"vermagic=6.1.0 SMP mod_unload\";\n\
             int f(void) { return 0; }\n",
        )
        .unwrap();
        let obj = dir.join("m.o");
        let ok = std::process::Command::new("gcc")
            .args(["-c", "-O0", "-o"])
            .arg(&obj)
            .arg(&src)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("SKIPPED: gcc is not available");
            return;
        }
        let mut image = std::fs::read(&obj).unwrap();
        let before = image.clone();
        strip_for_force(&mut image).unwrap();
        let elf = Elf::parse(&image).unwrap();
        let versions = elf.section_by_name(b"__versions").unwrap();
        assert_eq!(versions.header.flags & shf::ALLOC, 0);
        let old = Elf::parse(&before).unwrap();
        assert_ne!(
            old.section_by_name(b"__versions").unwrap().header.flags & shf::ALLOC,
            0
        );
        let modinfo = elf.data(&elf.section_by_name(b".modinfo").unwrap());
        assert!(modinfo.windows(11).any(|w| w == b"license=GPL"));
        assert!(!modinfo.windows(9).any(|w| w == b"vermagic="));
        // Only those bytes changed.
        let changed = image.iter().zip(&before).filter(|(a, b)| a != b).count();
        assert!(changed <= 1 + "vermagic=6.1.0 SMP mod_unload".len());
        // Not a module at all: refused as kmod refuses it.
        assert_eq!(
            strip_for_force(&mut b"plain text".to_vec()),
            Err(libc::ENOEXEC)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn strerror_mapping_is_kmods() {
        assert_eq!(mod_strerror(libc::ENOEXEC), "Invalid module format");
        assert_eq!(mod_strerror(libc::ENOENT), "Unknown symbol in module");
        assert_eq!(mod_strerror(libc::ESRCH), "Module has wrong symbol version");
        assert_eq!(mod_strerror(libc::EINVAL), "Invalid parameters");
        assert_eq!(mod_strerror(libc::EEXIST), "File exists");
        assert_eq!(mod_strerror(libc::ENOSYS), "Function not implemented");
        assert_eq!(mod_strerror(libc::EPERM), "Operation not permitted");
        assert_eq!(
            mod_strerror(libc::EKEYREJECTED),
            "Key was rejected by service"
        );
    }

    #[test]
    fn vermagic_is_found_like_kmod() {
        let m = b"\0\0license=GPL\0vermagic=6.1.0 SMP\0name=x\0";
        let (a, b) = vermagic_range(m).unwrap();
        assert_eq!(&m[a..b], b"vermagic=6.1.0 SMP");
        assert_eq!(vermagic_range(b"license=GPL\0name=x\0"), None);
        assert_eq!(vermagic_range(b"\0\0\0"), None);
        // Too short to hold anything after the key.
        assert_eq!(vermagic_range(b"vermagic="), None);
        assert_eq!(vermagic_range(b"a\0vermagic=1"), Some((2, 12)));
    }
}
