//! Differential tests: lkm's `insmod`, `rmmod` and `lsmod` (run through their link names, so on the
//! running kernel through `HostKernel`) against kmod 30's, on this machine. stdout, stderr and the exit
//! status must be identical byte for byte.
//!
//! * Command-line handling, help texts and every error path that needs no loadable module: missing
//!   files, tiny files, directories, names that are not loaded, forced removal of absent modules (the
//!   kernel's own `delete_module` answer), `/sys/module` entries without `initstate`.
//! * `lsmod` formatting against kmod's real `lsmod`: inside `unshare -m`, tmpfs is mounted over
//!   `/proc` and `/sys/module` and filled with crafted `/proc/modules` and `/sys/module/<name>` files;
//!   both tools then read the same files.
//!
//! Nothing here loads or removes a real module: the names used are not loaded, and the files inserted
//! are not modules. Without kmod (or, for lsmod, without root and `unshare`) the tests skip with a
//! message, except under CI, where they fail.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn skip_or_fail(why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("{why}");
    }
    eprintln!("SKIPPED: {why}");
    false
}

fn have_kmod() -> bool {
    let ok = Command::new("kmod")
        .arg("-V")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("version 30"))
        .unwrap_or(false);
    ok || skip_or_fail("kmod 30 is not installed")
}

fn run(program: &Path, argv0: &str, args: &[&str], cwd: &Path) -> Run {
    let o = Command::new(program)
        .arg0(argv0)
        .args(args)
        .current_dir(cwd)
        .env("PWD", cwd)
        .env_remove("KMOD_LOG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Run {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code(),
    }
}

fn kmod_tool(tool: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(tool);
        if p.exists() {
            return p;
        }
    }
    panic!("kmod's {tool} not found");
}

fn lkm() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lkm"))
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lkm-tools-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `tool args` as kmod and as lkm (argv[0] = `tool` for both) and asserts identical results.
fn same(tool: &str, args: &[&str], cwd: &Path) {
    let k = run(&kmod_tool(tool), tool, args, cwd);
    let l = run(&lkm(), tool, args, cwd);
    assert_eq!(k, l, "{tool} {args:?}: kmod (left) and lkm (right) differ");
}

/// A name certainly not loaded and not in /sys/module.
const ABSENT: &str = "lkm_test_absent_module";

#[test]
fn insmod_matches_kmod() {
    if !have_kmod() {
        return;
    }
    let d = scratch("insmod");
    std::fs::write(d.join("empty.ko"), b"").unwrap();
    std::fs::write(d.join("tiny.ko"), b"abcde").unwrap();
    std::fs::write(
        d.join("text.ko"),
        b"this is not a module, but long enough\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("dir.ko")).unwrap();
    let cases: &[&[&str]] = &[
        &[],
        &["-"],
        &["-h"],
        &["--help"],
        &["-h", "-x"],
        &["-x", "-h"],
        &["/nonexistent.ko", "--he"],
        &["-h", "-V"],
        // getopt_long: an empty name matches every option (ambiguous), abbreviations, arguments.
        &["--=x"],
        &["--hel"],
        &["--help=1"],
        &["--he=x"],
        &["-v", "x.ko"],
        &["--force", "x.ko"],
        &["--syslog", "x.ko"],
        &["-x"],
        &["-fq"],
        &["/nonexistent.ko"],
        &["nonexistent.ko", "a=1", "b"],
        &["-p", "-s", "-f", "/nonexistent"],
        &["--", "-f"],
        &["/nonexistent.ko", "-v"],
        &["empty.ko"],
        &["tiny.ko", "x=1"],
        &["dir.ko"],
        &["/etc/"],
        &["."],
        // Reaches the kernel: not a module, so refused (ENOEXEC), or ENOSYS/EPERM where modules
        // cannot be loaded; kmod and lkm ask the same kernel.
        &["text.ko"],
        &["text.ko", "a=1", "b=\"x y\"", "c"],
        &["-f", "text.ko"],
    ];
    for args in cases {
        same("insmod", args, &d);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn rmmod_matches_kmod() {
    if !have_kmod() {
        return;
    }
    assert!(
        !Path::new("/sys/module").join(ABSENT).exists(),
        "{ABSENT} is loaded?"
    );
    let d = scratch("rmmod");
    std::fs::write(d.join("lkm-test-absent-module.ko"), b"x").unwrap();
    let file = d.join("lkm-test-absent-module.ko");
    let file = file.to_str().unwrap();
    let dashed = ABSENT.replace('_', "-");
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-h"],
        vec!["--help"],
        vec!["-x"],
        vec!["--ver", ABSENT],
        vec!["--s", ABSENT],
        vec!["--force=1", ABSENT],
        vec!["--bogus"],
        vec!["-h", "-w"],
        vec!["--forc", ABSENT],
        vec!["--verb", ABSENT],
        vec![ABSENT, "-h", "--bogus"],
        vec![ABSENT],
        vec![&dashed],
        vec!["lkm-test-absent-module.ko"],
        vec![file],
        vec!["-v", ABSENT],
        vec!["-vv", ABSENT, "another_absent_one"],
        vec!["-s", ABSENT],
        vec![""],
        // A path that exists but has no module name stops processing without failing.
        vec!["/etc/", ABSENT],
        vec![ABSENT, "/etc/", ABSENT],
        // Forced: no checks, straight to delete_module(O_NONBLOCK|O_TRUNC); the kernel says ENOENT
        // (or ENOSYS/EPERM), the same for both.
        vec!["-f", ABSENT],
        vec!["--force", file],
    ];
    for args in &cases {
        same("rmmod", args, &d);
    }
    // /sys/module entries without initstate (built-in code with parameters): "coming" to kmod, then
    // the holders and refcnt checks; or "is builtin." where modules.builtin.bin lists them.
    let mut names: Vec<String> = std::fs::read_dir("/sys/module")
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !Path::new("/sys/module").join(n).join("initstate").exists())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for n in names.iter().take(3) {
        same("rmmod", &[n], &d);
    }
    if let Some(n) = names.first() {
        same("rmmod", &[n.as_str(), ABSENT], &d);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn lsmod_arguments_match_kmod() {
    if !have_kmod() {
        return;
    }
    let d = scratch("lsmod-args");
    for args in [&["x"][..], &["-h"], &["--help"], &["--"], &["-V"]] {
        same("lsmod", args, &d);
    }
    // On this machine as it is (without /proc/modules where modules are unsupported).
    same("lsmod", &[], &d);
    std::fs::remove_dir_all(&d).unwrap();
}

/// lkm's own `-V` differs from kmod's on purpose.
#[test]
fn version_is_lkms() {
    for tool in ["insmod", "rmmod"] {
        let l = run(&lkm(), tool, &["-V"], Path::new("/"));
        assert_eq!(l.code, Some(0));
        assert!(l.stdout.starts_with("lkm version "), "{}", l.stdout);
    }
}

/// One crafted `/proc/modules` and `/sys/module` for the lsmod comparison: shell commands run inside
/// the private mount namespace after tmpfs is mounted on both.
struct Fixture {
    name: &'static str,
    setup: &'static str,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "typical",
        setup: r#"
printf 'btusb 77824 0 - Live 0xffffffffc0a1d000\nbtrtl 28672 1 btusb, Live 0xffffffffc0a15000\nbluetooth 1007616 31 btrtl,btusb,rfcomm, Live 0xffffffffc0e8e000\nsnd_hda_codec_realtek 192512 1 - Live 0xffffffffc0b2d000 (E)\nrfcomm 90112 4 - Live 0x0\n' > /proc/modules
mod() { mkdir -p /sys/module/$1/holders; printf 'live\n' > /sys/module/$1/initstate; printf '%s\n' $2 > /sys/module/$1/coresize; printf '%s\n' $3 > /sys/module/$1/refcnt; }
mod btusb 77824 0
mod btrtl 28672 1
mod bluetooth 1007616 31
mod snd_hda_codec_realtek 192512 1
mod rfcomm 90112 4
mkdir /sys/module/btrtl/holders/btusb
mkdir /sys/module/bluetooth/holders/rfcomm /sys/module/bluetooth/holders/btusb /sys/module/bluetooth/holders/btrtl
"#,
    },
    Fixture {
        name: "empty",
        setup: "printf '' > /proc/modules\n",
    },
    Fixture {
        name: "vanished",
        // Listed in /proc/modules but gone from /sys: kmod's negative errno columns.
        setup: "printf 'gone 16384 0 - Unloading 0x0\\nhere 8192 0 - Live 0x0\\n' > /proc/modules\nmkdir -p /sys/module/here/holders; echo 8192 > /sys/module/here/coresize; echo 0 > /sys/module/here/refcnt\n",
    },
    Fixture {
        name: "odd-attributes",
        setup: r#"
printf 'nocore 4242 0 - Live 0x0\nbadcore 1 0 - Live 0x0\nbadref 100 0 - Live 0x0\nnoholders 100 0 - Live 0x0\nnonl 100 0 - Live 0x0\nneg 100 0 - Live 0x0\n' > /proc/modules
for m in nocore badcore badref noholders nonl neg; do mkdir -p /sys/module/$m/holders; echo 0 > /sys/module/$m/refcnt; echo 100 > /sys/module/$m/coresize; done
rm /sys/module/nocore/coresize
echo abc > /sys/module/badcore/coresize
echo xyz > /sys/module/badref/refcnt
rmdir /sys/module/noholders/holders
printf 7 > /sys/module/nonl/refcnt
echo -1 > /sys/module/neg/refcnt
"#,
    },
    Fixture {
        name: "proc-fallback-errors",
        // No coresize: the size comes from /proc/modules, whose lines may be broken.
        setup: r#"
printf 'short\nbadsize x12 0 - Live 0x0\nok 123 0 - Live 0x0\n' > /proc/modules
for m in short badsize ok; do mkdir -p /sys/module/$m/holders; echo 0 > /sys/module/$m/refcnt; done
"#,
    },
    Fixture {
        name: "names",
        setup: r#"
printf 'a-dashed-name 1 0 - Live 0x0\n\tleading_tab\t2 0 - Live 0x0\nname_longer_than_nineteen_columns 123456789 0 - Live 0x0\n  \n' > /proc/modules
mkdir -p /sys/module/a_dashed_name/holders /sys/module/leading_tab/holders /sys/module/name_longer_than_nineteen_columns/holders/a-holder.x
echo 1 > /sys/module/a_dashed_name/coresize; echo 0 > /sys/module/a_dashed_name/refcnt
echo 2 > /sys/module/leading_tab/coresize; echo 12345 > /sys/module/leading_tab/refcnt
echo 123456789 > /sys/module/name_longer_than_nineteen_columns/coresize; echo 1 > /sys/module/name_longer_than_nineteen_columns/refcnt
"#,
    },
];

#[test]
fn lsmod_matches_kmod_on_crafted_proc_and_sys() {
    if !have_kmod() {
        return;
    }
    let ns_ok = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt && umount /mnt"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ns_ok
        && !skip_or_fail("needs root and 'unshare -m' to mount tmpfs over /proc and /sys/module")
    {
        return;
    }
    let d = scratch("lsmod-ns");
    let link = d.join("lsmod");
    std::os::unix::fs::symlink(lkm(), &link).unwrap();
    let kmod_lsmod = kmod_tool("lsmod");
    for f in FIXTURES {
        let out = d.join(f.name);
        std::fs::create_dir_all(&out).unwrap();
        let script = format!(
            "set -e\nmount -t tmpfs tmpfs /proc\nmount -t tmpfs tmpfs /sys/module\n{}\nset +e\n\
             cd /\n\
             {kmod} >{o}/k.out 2>{o}/k.err; echo $? >{o}/k.rc\n\
             {lkm} >{o}/l.out 2>{o}/l.err; echo $? >{o}/l.rc\n",
            f.setup,
            kmod = kmod_lsmod.display(),
            lkm = link.display(),
            o = out.display(),
        );
        let st = Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .env_remove("KMOD_LOG")
            .status()
            .unwrap();
        assert!(st.success(), "fixture {} did not set up", f.name);
        let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
        for part in ["out", "err", "rc"] {
            let k = read(&format!("k.{part}"));
            let l = read(&format!("l.{part}"));
            assert_eq!(
                k, l,
                "fixture {}: {part} differs (kmod left, lkm right)",
                f.name
            );
        }
        if f.name == "typical" {
            assert!(read("k.out").contains("bluetooth            1007616  31 "));
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// modinfo and depmod read files and the host's tree whatever the kernel: `--host` changes nothing
/// for them; and no command line makes lkm panic.
#[test]
fn host_option_with_file_tools() {
    let d = scratch("host-files");
    for args in [
        vec!["depmod", "--s"],
        vec!["depmod", "-b", "/nonexistent", "1.0"],
        vec!["modinfo", "/nonexistent.ko"],
    ] {
        let plain = run(&lkm(), "lkm", &args, &d);
        let mut with_host = vec!["--host"];
        with_host.extend(&args);
        let host = run(&lkm(), "lkm", &with_host, &d);
        assert_eq!(plain, host, "{args:?}");
        assert_eq!(host.code, Some(1), "{host:?}");
    }
    let r = run(&lkm(), "lkm", &["--host", "modpost"], &d);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
    std::fs::remove_dir_all(&d).unwrap();
}
