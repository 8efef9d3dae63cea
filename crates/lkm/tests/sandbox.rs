//! Integration tests of the sandbox kernel, through the real `lkm` binary, as a user sees it.
//!
//! Modules are real: `examples/*` and `tests/modules/*` are copied into a temporary directory and
//! built with make and gcc against `lkm sdk` (each folder once per test process), then loaded into
//! sandbox kernels. Every test runs its own kernel in its own state directory and halts it at the
//! end, also when it fails (a `Drop` guard). Expected output is what kmod's tools and Linux 6.12
//! print: exact stdout and stderr lines and exit statuses, with console timestamps and module
//! addresses matched by shape.
//!
//! Without gcc or make the tests skip with a message, except under CI, where they fail. The
//! comparison with kmod's `lsmod` and `modinfo`, and the other-user test, need root (and for lsmod
//! `unshare`); they skip likewise without them.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

// ---------------------------------------------------------------------------------------------
// SDK.

#[test]
fn seed_hello_builds_loads_lists_logs_and_unloads() {
    need_env!();
    let b = built_ok("hello");
    let d = b.path();
    // The seed Makefile, unchanged: make KDIR=$(lkm sdk) → make -C $(KDIR) M=`pwd` modules.
    for line in [
        format!("  CC [M]  {d}/hello.o"),
        format!("  MODPOST {d}/Module.symvers"),
        format!("  CC [M]  {d}/hello.mod.o"),
        format!("  LD [M]  {d}/hello.ko"),
    ] {
        assert!(
            b.make.stdout.lines().any(|l| l == line),
            "{line:?} missing from make's output:\n{}",
            b.make.stdout
        );
    }
    let k = Kernel::new("hello").at(&b.dir);
    let r = k.run(&["insmod", "hello.ko"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, "");
    assert_eq!(
        untime(&r.stderr),
        format!(
            "lkm: no sandbox kernel was running; booted one (state {})\n\
             [    t] Good morrow\n[    t] to this fair assembly.\n",
            k.state_str()
        )
    );
    assert_eq!(
        k.ok(&["lsmod"]),
        format!("{LSMOD_HEADER}hello                  12288  0\n")
    );
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "hello: loading out-of-tree module taints kernel.",
            "hello: module verification failed: signature and/or required key missing - tainting kernel",
            "Good morrow",
            "to this fair assembly.",
        ],
    );
    // Plain dmesg: timestamps of the kernel's shape.
    let plain = k.ok(&["dmesg"]);
    assert!(untime(&plain).contains("[    t] Good morrow\n"), "{plain}");
    // A second load of the same name.
    let r = k.run(&["insmod", "hello.ko"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (
            Some(1),
            "",
            insmod_error("hello.ko", "File exists").as_str()
        )
    );
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        untime(&r.stderr),
        "[    t] Alas, poor world, what treasure\n[    t] hast thou lost!\n"
    );
    assert_eq!(k.ok(&["lsmod"]), LSMOD_HEADER);
    assert_eq!(k.cat("/proc/modules"), "");

    // examples/hello/world: the other seed, also named hello.
    let w = built_ok("hello-world");
    let r = k.run(&["insmod", &w.ko("hello").display().to_string()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(untime(&r.stderr), "[    t] Hello, world\n");
    assert_eq!(
        k.cat("/sys/module/hello/taint"),
        "OE\n",
        "Dual BSD/GPL does not taint P"
    );
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(untime(&r.stderr), "[    t] Goodbye, cruel world\n");
    assert_eq!(r.code, Some(0));
}

#[test]
fn modinfo_of_built_modules_matches_kmod() {
    need_env!();
    let hello = built_ok("hello");
    let export = built_ok("export");
    let kmod = ["/usr/sbin/modinfo", "/sbin/modinfo"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    for (file, name, depends) in [
        (hello.ko("hello"), "hello", ""),
        (export.ko("provider"), "provider", ""),
        (export.ko("consumer"), "consumer", "provider"),
    ] {
        let f = file.display().to_string();
        let mut c = base_cmd(&hello.dir);
        c.args(["modinfo", &f]);
        let l = run(c);
        assert_eq!(l.code, Some(0), "{l:?}");
        let lines: Vec<String> = l.stdout.lines().map(str::to_string).collect();
        assert_in_order(
            &lines,
            &[
                &format!("filename:       {f}"),
                &format!("depends:        {depends}"),
                &format!("name:           {name}"),
                &format!("vermagic:       {VERMAGIC}"),
            ],
        );
        for field in ["vermagic", "name", "depends"] {
            let mut c = base_cmd(&hello.dir);
            c.args(["modinfo", "-F", field, &f]);
            let r = run(c);
            let want = match field {
                "vermagic" => VERMAGIC,
                "name" => name,
                _ => depends,
            };
            assert_eq!(r.stdout, format!("{want}\n"), "modinfo -F {field} {f}");
        }
        match kmod {
            Some(kmod) => {
                let o = Command::new(kmod).arg(&f).output().unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&o.stdout),
                    l.stdout,
                    "kmod vs lkm: {f}"
                );
                assert_eq!(String::from_utf8_lossy(&o.stderr), l.stderr);
                assert_eq!(o.status.code(), l.code);
            }
            None => skip_or_fail("kmod's modinfo is not installed"),
        }
    }
}

#[test]
fn multi_file_module_and_make_clean() {
    need_env!();
    let b = built_ok("multi");
    let d = b.path();
    for line in [
        format!("  CC [M]  {d}/main.o"),
        format!("  CC [M]  {d}/helper.o"),
        format!("  LD [M]  {d}/foo.o"),
        format!("  LD [M]  {d}/foo.ko"),
    ] {
        assert!(
            b.make.stdout.lines().any(|l| l == line),
            "{line:?} missing:\n{}",
            b.make.stdout
        );
    }
    assert_eq!(
        std::fs::read_to_string(b.dir.join("foo.mod")).unwrap(),
        format!("{d}/main.o\n{d}/helper.o\n")
    );
    assert_eq!(
        std::fs::read_to_string(b.dir.join("modules.order")).unwrap(),
        format!("{d}/foo.o\n")
    );
    {
        let k = Kernel::new("multi").at(&b.dir);
        k.boot();
        assert_eq!(k.ok(&["insmod", "foo.ko"]), "");
        // ccflags-y's -DFOO_SCALE=1, and KBUILD_BASENAME per part.
        assert_in_order(
            &k.dmesg(),
            &["foo: init: foo_square(7) = 49, built from main and helper"],
        );
        k.ok(&["rmmod", "foo"]);
        assert_in_order(&k.dmesg(), &["foo: exit: foo_square(12) = 144"]);
    }
    // make clean (the Makefile's own target): everything generated goes, the sources stay.
    let mut c = Command::new("make");
    c.arg("-C")
        .arg(&b.dir)
        .arg("clean")
        .arg(format!("KDIR={}", env().unwrap().sdk.display()))
        .env_remove("MAKEFLAGS");
    let r = run(c);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l == format!("  CLEAN   {d}/Module.symvers")),
        "{}",
        r.stdout
    );
    let mut left: Vec<String> = std::fs::read_dir(&b.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["Makefile", "README.md", "foo.h", "helper.c", "main.c"]
    );
}

#[test]
fn kbuild_file_with_ccflags() {
    need_env!();
    let b = built_ok("kbuild");
    let d = b.path();
    for line in [
        format!("  CC [M]  {d}/kb_main.o"),
        format!("  CC [M]  {d}/kb_word.o"),
        format!("  LD [M]  {d}/kbmod.ko"),
    ] {
        assert!(
            b.make.stdout.lines().any(|l| l == line),
            "{line:?} missing:\n{}",
            b.make.stdout
        );
    }
    let k = Kernel::new("kbuild").at(&b.dir);
    k.boot();
    k.ok(&["insmod", "kbmod.ko"]);
    assert_in_order(&k.dmesg(), &["kbmod: answer=42 word=from-ccflags"]);
}

#[test]
fn several_modules_per_folder_symvers_and_order() {
    need_env!();
    let b = built_ok("export");
    let d = b.path();
    assert_eq!(
        std::fs::read_to_string(b.dir.join("Module.symvers")).unwrap(),
        format!(
            "0x00000000\tprovider_counter\t{d}/provider\tEXPORT_SYMBOL_GPL\t\n\
             0x00000000\tprovider_add\t{d}/provider\tEXPORT_SYMBOL\t\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(b.dir.join("modules.order")).unwrap(),
        format!("{d}/provider.o\n{d}/consumer.o\n")
    );
    assert!(b.ko("provider").exists() && b.ko("consumer").exists());
}

#[test]
fn kbuild_extra_symbols_links_against_another_folder() {
    need_env!();
    let export = built_ok("export");
    let ext = built_ok("extsym");
    let k = Kernel::new("extsym").at(&ext.dir);
    k.boot();
    k.ok(&["insmod", &export.ko("provider").display().to_string()]);
    k.ok(&["insmod", &export.ko("consumer").display().to_string()]);
    k.ok(&["insmod", "extuser.ko"]);
    assert_in_order(
        &k.dmesg(),
        &[
            "provider: loaded, counter=100",
            "consumer: provider_add(2, 3) = 106, provider_counter = 101",
            "extuser: provider_add(40, 2) = 144",
        ],
    );
    let pm = k.proc_modules();
    assert_eq!(pm.len(), 3, "{pm:?}");
    // Newest holder first, as the kernel's source_list.
    assert!(
        hex_shape(
            &pm[2],
            "provider 12288 2 extuser,consumer, Live 0x",
            " (OE)"
        ),
        "{pm:?}"
    );
    assert_eq!(
        k.ok(&["cat", "/sys/module/provider/holders"]),
        "consumer\nextuser\n"
    );
    let mut c = base_cmd(&ext.dir);
    c.args(["modinfo", "-F", "depends", "extuser.ko"])
        .current_dir(&ext.dir);
    assert_eq!(run(c).stdout, "provider\n");
}

fn assert_make_fails(key: &'static str, line: &str) {
    let b = built(key);
    assert_eq!(
        b.make.code,
        Some(2),
        "{key}: make should fail: {:?}",
        b.make
    );
    assert!(
        b.make.stderr.lines().any(|l| l == line),
        "{key}: {line:?} missing from make's stderr:\n{}",
        b.make.stderr
    );
    let name = if key == "undef" { "undef" } else { key };
    assert!(!b.ko(name).exists(), "{key}: no .ko after a modpost error");
}

#[test]
fn modpost_undefined_symbol() {
    need_env!();
    let d = built("undef").path();
    assert_make_fails(
        "undef",
        &format!("ERROR: modpost: \"nosuch_fn\" [{d}/undef.ko] undefined!"),
    );
}

#[test]
fn modpost_gpl_only_symbol_in_non_gpl_module() {
    need_env!();
    assert_make_fails(
        "gplonly",
        "ERROR: modpost: GPL-incompatible module gplonly.ko uses GPL-only symbol 'add_taint'",
    );
}

#[test]
fn modpost_missing_license() {
    need_env!();
    let d = built("nolicense").path();
    assert_make_fails(
        "nolicense",
        &format!("ERROR: modpost: missing MODULE_LICENSE() in {d}/nolicense.o"),
    );
}

// ---------------------------------------------------------------------------------------------
// The kernel process.

#[test]
fn status_boot_halt_and_permissions() {
    need_env!();
    let k = Kernel::new("lifecycle");
    let s = k.state_str();
    let none = format!("lkm: no sandbox kernel is running (state {s}); 'lkm boot' starts one\n");
    let r = k.run(&["status"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(3), none.as_str(), "")
    );

    let r = k.run(&["boot"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let pid = r
        .stdout
        .strip_prefix("lkm: sandbox kernel 6.12.0-lkm booted (pid ")
        .and_then(|x| x.strip_suffix(&format!(", state {s})\n")))
        .unwrap_or_else(|| panic!("boot said {:?}", r.stdout))
        .to_string();
    assert!(pid.parse::<u32>().is_ok(), "{pid}");
    assert_eq!(
        k.ok(&["boot"]),
        format!("lkm: sandbox kernel already running (pid {pid}, state {s})\n")
    );
    let st = k.ok(&["status"]);
    let mut lines = st.lines();
    assert_eq!(
        lines.next(),
        Some(format!("lkm: sandbox kernel 6.12.0-lkm running (pid {pid}, state {s})").as_str())
    );
    assert!(st.contains("\n  modules: 0\n"), "{st}");
    assert!(st.contains("\n  tainted: 0\n"), "{st}");

    // Owner-only: the directory 0700, the socket 0600.
    let dm = std::fs::metadata(&k.state).unwrap();
    assert_eq!(dm.mode() & 0o777, 0o700);
    let sm = std::fs::symlink_metadata(k.state.join("kernel.sock")).unwrap();
    assert_eq!(sm.mode() & 0o170000, 0o140000, "a socket");
    assert_eq!(sm.mode() & 0o777, 0o600);

    assert_eq!(
        k.ok(&["halt"]),
        format!("lkm: sandbox kernel halted (state {s})\n")
    );
    assert!(
        !Path::new("/proc").join(&pid).join("exe").exists() || {
            // The pid may be reused; it is not our kernel if its state differs.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            !String::from_utf8_lossy(&cmdline).contains(&s)
        }
    );
    let r = k.run(&["status"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(3), none.as_str()));
    assert_eq!(
        k.ok(&["halt"]),
        format!("lkm: no sandbox kernel is running (state {s})\n")
    );
}

#[test]
fn state_directory_precedence() {
    let env = need_env!();
    let base = env.root.join("precedence");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let (a, x, c) = (base.join("a"), base.join("xdg"), base.join("c"));
    std::fs::create_dir_all(&x).unwrap();
    let status = |args: &[&str], lkm_state: Option<&Path>| {
        let mut cmd = base_cmd(&env.root);
        cmd.env("XDG_RUNTIME_DIR", &x).args(args);
        if let Some(p) = lkm_state {
            cmd.env("LKM_STATE", p);
        }
        let r = run(cmd);
        assert_eq!(r.code, Some(3), "{r:?}");
        r.stdout
    };
    let says = |p: &Path| {
        format!(
            "lkm: no sandbox kernel is running (state {}); 'lkm boot' starts one\n",
            p.display()
        )
    };
    let cs = c.display().to_string();
    assert_eq!(status(&["--state", &cs, "status"], Some(&a)), says(&c));
    assert_eq!(
        status(&[&format!("--state={cs}"), "status"], Some(&a)),
        says(&c)
    );
    assert_eq!(status(&["status"], Some(&a)), says(&a));
    assert_eq!(status(&["status"], None), says(&x.join("lkm")));

    // A kernel booted through XDG_RUNTIME_DIR lives in $XDG_RUNTIME_DIR/lkm.
    struct Halt(PathBuf, PathBuf);
    impl Drop for Halt {
        fn drop(&mut self) {
            let _ = base_cmd(&self.1)
                .env("LKM_STATE", &self.0)
                .arg("halt")
                .output();
        }
    }
    let xs = x.join("lkm");
    let _guard = Halt(xs.clone(), env.root.clone());
    let mut cmd = base_cmd(&env.root);
    cmd.env("XDG_RUNTIME_DIR", &x).arg("lsmod");
    let r = run(cmd);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, LSMOD_HEADER);
    assert_eq!(
        r.stderr,
        format!(
            "lkm: no sandbox kernel was running; booted one (state {})\n",
            xs.display()
        )
    );
    assert!(xs.join("kernel.sock").exists());
    let mut cmd = base_cmd(&env.root);
    cmd.env("LKM_STATE", &xs).arg("halt");
    assert_eq!(
        run(cmd).stdout,
        format!("lkm: sandbox kernel halted (state {})\n", xs.display())
    );
}

#[test]
fn another_user_is_refused() {
    let env = need_env!();
    if !is_root() {
        skip_or_fail("needs root to run a client as another user (uid 65534)");
        return;
    }
    let k = Kernel::new("other-uid");
    k.boot();
    let s = k.state_str();
    // The test binary may sit where uid 65534 cannot reach: a world-readable copy.
    let bin = env.root.join("bin-other-uid");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("lkm");
    if !exe.exists() {
        std::fs::copy(lkm(), &exe).unwrap();
    }
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.arg("--state")
            .arg(&k.state)
            .args(args)
            .current_dir("/")
            .env_remove("LKM_STATE")
            .env_remove("XDG_RUNTIME_DIR")
            .uid(65534)
            .gid(65534);
        run(c)
    };
    let denied =
        format!("cannot connect to the sandbox kernel at {s}/kernel.sock: Permission denied");
    for (args, prefix) in [
        (&["lsmod"][..], "lsmod"),
        (&["insmod", "/nonexistent/x.ko"], "insmod"),
        (&["status"], "lkm"),
        (&["cat", "/proc/modules"], "lkm"),
        (&["dmesg"], "lkm"),
    ] {
        let r = as_nobody(args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:?}");
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(r.stderr, format!("{prefix}: ERROR: {denied}\n"), "{args:?}");
    }
    let r = as_nobody(&["halt"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        format!("lkm: ERROR: cannot halt the sandbox kernel: {denied}\n")
    );
    // With the socket made reachable, the kernel itself refuses another uid.
    std::fs::set_permissions(&k.state, std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::set_permissions(
        k.state.join("kernel.sock"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let refused = format!("the sandbox kernel (state {s}) serves only its owner, uid 0");
    for (args, prefix) in [
        (&["lsmod"][..], "lsmod"),
        (&["insmod", "/nonexistent/x.ko"], "insmod"),
        (&["status"], "lkm"),
    ] {
        let r = as_nobody(args);
        assert_eq!(r.code, Some(1), "{args:?}: {r:?}");
        assert_eq!(
            r.stderr,
            format!("{prefix}: ERROR: {refused}\n"),
            "{args:?}"
        );
    }
    // The owner is still served, and nothing was loaded.
    assert_eq!(k.ok(&["lsmod"]), LSMOD_HEADER);
}

// ---------------------------------------------------------------------------------------------
// The loader.

#[test]
fn unknown_symbol_is_refused() {
    need_env!();
    let b = built_ok("undef-warn");
    let d = b.path();
    assert!(
        b.make
            .stderr
            .lines()
            .any(|l| l == format!("WARNING: modpost: \"nosuch_fn\" [{d}/undef.ko] undefined!")),
        "{}",
        b.make.stderr
    );
    let k = Kernel::new("unknown-symbol").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "undef.ko"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        insmod_error("undef.ko", "Unknown symbol in module")
    );
    assert_in_order(&k.dmesg(), &["undef: Unknown symbol nosuch_fn (err -2)"]);
    assert_eq!(k.cat("/proc/modules"), "");
}

#[test]
fn init_failure_and_malformed_files() {
    let env = need_env!();
    let b = built_ok("loader");
    let hello = built_ok("hello");
    let k = Kernel::new("init-fail").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "enodev.ko"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            insmod_error("enodev.ko", "No such device").as_str()
        )
    );
    assert_eq!(k.cat("/proc/modules"), "");
    assert_eq!(k.ok(&["lsmod"]), LSMOD_HEADER);
    assert_in_order(&k.dmesg(), &["enodev: probing, finding nothing"]);

    // Malformed files.
    let dir = env.root.join("malformed");
    std::fs::create_dir_all(&dir).unwrap();
    let image = std::fs::read(hello.ko("hello")).unwrap();
    std::fs::write(dir.join("trunc.ko"), &image[..3000]).unwrap();
    std::fs::write(dir.join("short.ko"), b"just text, not a module at all").unwrap();
    std::fs::write(
        dir.join("text.ko"),
        "this is a text file, not a module. ".repeat(4),
    )
    .unwrap();
    let mut vm = image.clone();
    let at = vm
        .windows(19)
        .position(|w| w == b"vermagic=6.12.0-lkm")
        .expect("vermagic in hello.ko");
    vm[at..at + 19].copy_from_slice(b"vermagic=6.13.0-lkm");
    std::fs::write(dir.join("vermagic.ko"), &vm).unwrap();
    let k = k.at(&dir);
    for (file, log) in [
        (
            "trunc.ko",
            "Invalid ELF section header overflow".to_string(),
        ),
        ("short.ko", "Invalid ELF header len 30".to_string()),
        (
            "text.ko",
            "Invalid ELF header magic: != \\177ELF".to_string(),
        ),
        (
            "vermagic.ko",
            format!(
                "hello: version magic '6.13.0-lkm SMP preempt mod_unload ' should be '{VERMAGIC}'"
            ),
        ),
    ] {
        let r = k.run(&["insmod", file]);
        assert_eq!(r.code, Some(1), "{file}: {r:?}");
        assert_eq!(
            untime(&r.stderr),
            format!(
                "[    t] {log}\n{}",
                insmod_error(file, "Invalid module format")
            ),
            "{file}"
        );
        assert_eq!(k.dmesg().last().map(String::as_str), Some(log.as_str()));
    }
    assert_eq!(k.cat("/proc/modules"), "");
}

#[test]
fn taints_out_of_tree_and_proprietary() {
    need_env!();
    let hello = built_ok("hello");
    let b = built_ok("loader");
    let k = Kernel::new("taints").at(&b.dir);
    k.boot();
    assert_eq!(k.tainted(), 0);
    k.load(&hello.ko("hello"));
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], "hello 12288 0 - Live 0x", " (OE)"),
        "{pm:?}"
    );
    assert_eq!(k.tainted(), (1 << 12) | (1 << 13));
    let r = k.run(&["insmod", "proprietary.ko"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_in_order(
        &k.dmesg(),
        &[
            "proprietary: module license 'Proprietary' taints kernel.",
            "Disabling lock debugging due to kernel taint",
        ],
    );
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], "proprietary 12288 0 - Live 0x", " (POE)"),
        "{pm:?}"
    );
    assert_eq!(k.cat("/sys/module/proprietary/taint"), "POE\n");
    assert_eq!(k.cat("/sys/module/hello/taint"), "OE\n");
    assert_eq!(k.tainted(), 1 | (1 << 12) | (1 << 13));
    assert_eq!(k.cat("/proc/sys/kernel/tainted"), "12289\n");
}

#[test]
fn module_text_is_not_writable() {
    need_env!();
    let b = built_ok("loader");
    let k = Kernel::new("wx").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "wxfault.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr
            .ends_with(&insmod_error("wxfault.ko", "Bad address")),
        "{}",
        r.stderr
    );
    let syms = k.cat("/proc/kallsyms");
    let victim = syms
        .lines()
        .find(|l| l.ends_with(" t wx_victim\t[wxfault]"))
        .unwrap_or_else(|| panic!("wx_victim not in kallsyms:\n{syms}"));
    let addr = &victim[..16];
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "wxfault: victim returns 2",
            &format!("BUG: unable to handle page fault for address: {addr}"),
            "#PF: supervisor write access in kernel mode",
            "#PF: error_code(0x0003) - permissions violation",
            "Oops: 0003 [#1] PREEMPT SMP NOPTI",
        ],
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("RIP: 0010:wxfault_init+0x") && l.ends_with(" [wxfault]")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l == "wxfault: text was writable"));
    assert_ne!(k.tainted() & (1 << 7), 0, "taint D");
}

#[test]
fn every_relocation_type_and_init_memory_release() {
    need_env!();
    let b = built_ok("loader");
    let k = Kernel::new("relocs").at(&b.dir);
    k.boot();
    k.ok(&["insmod", "relocs.ko"]);
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "relocs: switch: 11 30 3 40 95 5 -10 0 side=36",
            "relocs: data table: 11 20 100",
            "relocs: rodata table: 100 20 11",
            "relocs: strings: alpha beta gamma",
            "relocs: init helper: 71",
            "relocs: stack protector: checksum=324",
        ],
    );
    // /sys/module/relocs.
    assert_eq!(k.cat("/sys/module/relocs/initstate"), "live\n");
    assert_eq!(k.cat("/sys/module/relocs/initsize"), "0\n");
    assert_eq!(k.cat("/sys/module/relocs/refcnt"), "0\n");
    assert_eq!(k.cat("/sys/module/relocs/taint"), "OE\n");
    let core: u64 = k.cat("/sys/module/relocs/coresize").trim().parse().unwrap();
    assert!(core > 0 && core % 4096 == 0, "{core}");
    assert_eq!(k.cat("/sys/module/relocs/holders"), "");
    assert_eq!(
        k.cat("/sys/module/relocs"),
        "coresize\nholders\ninitsize\ninitstate\nrefcnt\nsections\ntaint\n"
    );
    let text = k.cat("/sys/module/relocs/sections/.text");
    assert!(hex_shape(&text, "0x", "\n"), "{text}");
    let sections = k.cat("/sys/module/relocs/sections");
    for s in [
        ".text",
        ".rodata",
        ".data",
        ".bss",
        ".gnu.linkonce.this_module",
    ] {
        assert!(sections.lines().any(|l| l == s), "{s} missing: {sections}");
    }
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], &format!("relocs {core} 0 - Live 0x"), " (OE)"),
        "{pm:?}"
    );
    // kallsyms: init symbols gone, core ones tagged [relocs].
    let syms = k.cat("/proc/kallsyms");
    let mine: Vec<&str> = syms.lines().filter(|l| l.ends_with("\t[relocs]")).collect();
    let has = |kind: &str, name: &str| {
        mine.iter()
            .any(|l| l[16..].starts_with(' ') && l[17..] == format!("{kind} {name}\t[relocs]"))
    };
    for (kind, name) in [
        ("t", "relocs_exit"),
        ("t", "relocs_dispatch"),
        ("t", "add1"),
        ("t", "init_only_helper"),
        ("T", "cleanup_module"),
        ("D", "relocs_data_ops"),
        ("D", "__this_module"),
        ("B", "relocs_counter"),
    ] {
        assert!(
            has(kind, name),
            "{kind} {name} missing:\n{}",
            mine.join("\n")
        );
    }
    for gone in ["relocs_init", "init_module"] {
        assert!(
            !mine.iter().any(|l| l.contains(&format!(" {gone}\t"))),
            "{gone} still in kallsyms"
        );
    }
    // Core code still runs after init memory went away.
    k.ok(&["rmmod", "relocs"]);
    assert_in_order(&k.dmesg(), &["relocs: exit: dispatch(3)=40 counter=5"]);
}

#[test]
fn module_to_module_linking_and_holders() {
    need_env!();
    let b = built_ok("export");
    let k = Kernel::new("export").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "consumer.ko"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        insmod_error("consumer.ko", "Unknown symbol in module")
    );
    assert_in_order(
        &k.dmesg(),
        &["consumer: Unknown symbol provider_add (err -2)"],
    );
    k.ok(&["insmod", "provider.ko"]);
    k.ok(&["insmod", "consumer.ko"]);
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], "consumer 12288 0 - Live 0x", " (OE)"),
        "{pm:?}"
    );
    assert!(
        hex_shape(&pm[1], "provider 12288 1 consumer, Live 0x", " (OE)"),
        "{pm:?}"
    );
    assert_eq!(k.cat("/sys/module/provider/refcnt"), "1\n");
    assert_eq!(k.cat("/sys/module/provider/holders"), "consumer\n");
    assert_eq!(
        k.ok(&["lsmod"]),
        format!(
            "{LSMOD_HEADER}consumer               12288  0\nprovider               12288  1 consumer\n"
        )
    );
    let syms = k.cat("/proc/kallsyms");
    assert!(syms
        .lines()
        .any(|l| l.ends_with(" T provider_add\t[provider]")));
    let r = k.run(&["rmmod", "provider"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "rmmod: ERROR: Module provider is in use by: consumer\n"
        )
    );
    k.ok(&["rmmod", "consumer"]);
    assert_eq!(k.cat("/sys/module/provider/refcnt"), "0\n");
    k.ok(&["rmmod", "provider"]);
    assert_eq!(k.cat("/proc/modules"), "");
    assert_in_order(
        &k.dmesg(),
        &[
            "provider: loaded, counter=100",
            "consumer: provider_add(2, 3) = 106, provider_counter = 101",
            "consumer: bye, provider_counter = 101",
            "provider: unloaded, counter=101",
        ],
    );
}

#[test]
fn permanent_module_refcounts_and_unknown_names() {
    need_env!();
    let b = built_ok("loader");
    let k = Kernel::new("rmmod").at(&b.dir);
    k.boot();
    let r = k.run(&["rmmod", "nosuch"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "rmmod: ERROR: Module nosuch is not currently loaded\n"
        )
    );

    k.ok(&["insmod", "noexit.ko"]);
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], "noexit 8192 0 [permanent], Live 0x", " (OE)"),
        "{pm:?}"
    );
    let r = k.run(&["rmmod", "noexit"]);
    assert_eq!(r.code, Some(1));
    // kmod 30 as Debian builds it logs libkmod's own line first.
    assert_eq!(
        r.stderr,
        "rmmod: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'noexit': Device or resource busy\n\
         rmmod: ERROR: could not remove module noexit: Device or resource busy\n"
    );
    assert_eq!(k.tainted() & (1 << 3), 0);
    k.ok(&["rmmod", "-f", "noexit"]);
    assert_ne!(k.tainted() & (1 << 3), 0, "forced removal taints R");
    assert_eq!(k.cat("/proc/modules"), "");

    k.ok(&["insmod", "selfref.ko"]);
    assert_eq!(k.cat("/sys/module/selfref/refcnt"), "1\n");
    let pm = k.proc_modules();
    assert!(
        hex_shape(&pm[0], "selfref 12288 1 - Live 0x", " (OE)"),
        "{pm:?}"
    );
    let r = k.run(&["rmmod", "selfref"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "rmmod: ERROR: Module selfref is in use\n")
    );
    assert_eq!(
        k.ok(&["lsmod"]),
        format!("{LSMOD_HEADER}selfref                12288  1\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Parameters.

#[test]
fn parameters_on_the_command_line_and_in_sysfs() {
    need_env!();
    let b = built_ok("params");
    let k = Kernel::new("params").at(&b.dir);
    k.boot();
    // Bad values refuse the load.
    let r = k.run(&["insmod", "params.ko", "myint=abc"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        untime(&r.stderr),
        format!(
            "[    t] params: `abc' invalid for parameter `myint'\n{}",
            insmod_error("params.ko", "Invalid parameters")
        )
    );
    let r = k.run(&["insmod", "params.ko", "mystring=0123456789abcdefghij"]);
    assert_eq!(r.code, Some(1));
    assert!(
        untime(&r.stderr).starts_with("[    t] mystring: string doesn't fit in 15 chars.\n"),
        "{}",
        r.stderr
    );
    assert_eq!(k.cat("/proc/modules"), "");

    let r = k.run(&[
        "insmod",
        "params.ko",
        "mybyte=7",
        "myshort=-300",
        "myushort=7",
        "myint=42",
        "myuint=17",
        "mylong=-5",
        "myulong=0x10",
        "mycharp=\"hello world\"",
        "myintarray=1,2,3",
        "mystring=\"a b c\"",
        "mybool",
        "myinvbool",
        "verbose=3",
        "nosuch=5",
    ]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_in_order(
        &k.dmesg(),
        &[
            "params: unknown parameter 'nosuch' ignored",
            "params: init: mybyte=7 myshort=-300 myushort=7",
            "params: init: myint=42 myuint=17 mylong=-5 myulong=0x10",
            "params: init: mycharp=hello world mybool=1 myinvbool=0 mystring=a b c verbose=3",
            "params: init: myintarray has 3 element(s): 1 2 3",
        ],
    );
    let p = |name: &str| k.cat(&format!("/sys/module/params/parameters/{name}"));
    assert_eq!(p("mybyte"), "7\n");
    assert_eq!(p("myshort"), "-300\n");
    assert_eq!(p("myintarray"), "1,2,3\n");
    assert_eq!(p("mystring"), "a b c\n");
    assert_eq!(p("mybool"), "Y\n");
    assert_eq!(p("myinvbool"), "Y\n");
    assert_eq!(p("verbose"), "3\n");
    // Perm 0: no file at all.
    assert_eq!(
        k.cat("/sys/module/params/parameters"),
        "mybool\nmybyte\nmyint\nmyintarray\nmyinvbool\nmylong\nmyshort\nmystring\nmyuint\nmyushort\nverbose\n"
    );
    for hidden in ["myulong", "mycharp"] {
        let path = format!("/sys/module/params/parameters/{hidden}");
        let r = k.run(&["cat", &path]);
        assert_eq!(
            (r.code, r.stderr),
            (
                Some(1),
                format!("lkm: cat: {path}: No such file or directory\n")
            )
        );
    }
    // Writes.
    assert_eq!(
        k.ok(&["write", "/sys/module/params/parameters/myshort", "123"]),
        ""
    );
    assert_eq!(p("myshort"), "123\n");
    k.ok(&["write", "/sys/module/params/parameters/mystring", "short"]);
    assert_eq!(p("mystring"), "short\n");
    let path = "/sys/module/params/parameters/mybyte";
    let r = k.run(&["write", path, "1"]);
    assert_eq!(
        (r.code, r.stderr),
        (Some(1), format!("lkm: write: {path}: Permission denied\n"))
    );
    assert_eq!(p("mybyte"), "7\n");
    let path = "/sys/module/params/parameters/mystring";
    let r = k.run(&["write", path, "0123456789abcdefghij"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        untime(&r.stderr),
        format!(
            "[    t] mystring: string doesn't fit in 15 chars.\nlkm: write: {path}: No space left on device\n"
        )
    );
    assert_eq!(p("mystring"), "short\n");
    let path = "/sys/module/params/parameters/myint";
    let r = k.run(&["write", path, "xyz"]);
    assert_eq!(
        (r.code, r.stderr),
        (Some(1), format!("lkm: write: {path}: Invalid argument\n"))
    );
    // The module sees the written values.
    k.ok(&["rmmod", "params"]);
    assert_in_order(
        &k.dmesg(),
        &[
            "params: exit: mybyte=7 myshort=123 myushort=7",
            "params: exit: mycharp=hello world mybool=1 myinvbool=0 mystring=short verbose=3",
        ],
    );

    // '-' and '_' are the same in parameter names.
    let l = built_ok("loader");
    let k = k.at(&l.dir);
    k.ok(&["insmod", "pnames.ko", "max-items=7", "dev-label=\"x y\""]);
    assert_in_order(&k.dmesg(), &["pnames: max_items=7 dev_label=x y"]);
    assert_eq!(k.cat("/sys/module/pnames/parameters/max_items"), "7\n");
    assert_eq!(k.cat("/sys/module/pnames/parameters/dev_label"), "x y\n");
    let path = "/sys/module/pnames/parameters/dev_label";
    let r = k.run(&["write", path, "z"]);
    assert_eq!(
        (r.code, r.stderr),
        (Some(1), format!("lkm: write: {path}: Permission denied\n"))
    );
}

// ---------------------------------------------------------------------------------------------
// printk and dmesg.

#[test]
fn printk_levels_continuation_and_dmesg_options() {
    need_env!();
    let b = built_ok("loader");
    let k = Kernel::new("printk").at(&b.dir);
    k.boot();
    assert_eq!(k.cat("/proc/sys/kernel/printk"), "4\t4\t1\t7\n");
    let r = k.run(&["insmod", "printer.ko"]);
    assert_eq!(r.code, Some(0));
    // Console level 4: only err and more severe reach the terminal.
    assert_eq!(
        untime(&r.stderr),
        "[    t] printer: an error\n[    t] alert without prefix\n"
    );
    let x = k.ok(&["dmesg", "-x"]);
    let x: Vec<String> = untime(&x).lines().map(str::to_string).collect();
    assert_in_order(
        &x,
        &[
            "kern  :warn  : [    t] no level given",
            "kern  :err   : [    t] printer: an error",
            "kern  :warn  : [    t] printer: a warning",
            "kern  :notice: [    t] printer: a notice",
            "kern  :info  : [    t] printer: some info",
            "kern  :info  : [    t] printer: pieces: one two three",
            "kern  :alert : [    t] alert without prefix",
        ],
    );
    assert_eq!(k.ok(&["dmesg", "-t", "-l", "err"]), "printer: an error\n");
    assert_eq!(
        untime(&k.ok(&["dmesg", "-l", "err,alert"])),
        "[    t] printer: an error\n[    t] alert without prefix\n"
    );
    let raw = k.ok(&["dmesg", "-r"]);
    let raw: Vec<&str> = raw.lines().collect();
    let last = raw.last().unwrap();
    assert!(
        last.starts_with("<1>[") && last.ends_with("] alert without prefix"),
        "{last}"
    );
    assert!(raw
        .iter()
        .any(|l| l.starts_with("<4>[") && l.ends_with("] no level given")));
    // -c prints, then clears.
    let c = k.ok(&["dmesg", "-c"]);
    assert!(c.contains("] printer: some info\n"), "{c}");
    assert_eq!(k.ok(&["dmesg"]), "");
    k.ok(&["rmmod", "printer"]);
    assert_eq!(k.ok(&["dmesg", "-t"]), "printer: bye\n");
    assert_eq!(k.ok(&["dmesg", "-C"]), "");
    assert_eq!(k.ok(&["dmesg"]), "");

    // dmesg -n 8: KERN_INFO reaches the inserting terminal.
    assert_eq!(k.ok(&["dmesg", "-n", "8"]), "");
    assert_eq!(k.cat("/proc/sys/kernel/printk"), "8\t4\t1\t7\n");
    let r = k.run(&["insmod", "printer.ko"]);
    assert_eq!(r.code, Some(0));
    assert_eq!(
        untime(&r.stderr),
        "[    t] no level given\n[    t] printer: an error\n[    t] printer: a warning\n\
         [    t] printer: a notice\n[    t] printer: some info\n[    t] printer: pieces: one two three\n\
         [    t] alert without prefix\n"
    );
    // The sysctl, written as `echo 4 > /proc/sys/kernel/printk`.
    assert_eq!(k.ok(&["write", "/proc/sys/kernel/printk", "4"]), "");
    assert_eq!(k.cat("/proc/sys/kernel/printk"), "4\t4\t1\t7\n");
    let r = k.run(&["rmmod", "printer"]);
    assert_eq!(r.stderr, "");
    k.ok(&["write", "/proc/sys/kernel/printk", "8"]);
    assert_eq!(k.cat("/proc/sys/kernel/printk"), "8\t4\t1\t7\n");
    let r = k.run(&["insmod", "printer.ko"]);
    assert!(
        untime(&r.stderr).contains("[    t] printer: some info\n"),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Views.

#[test]
fn lsmod_matches_kmods_lsmod_on_the_same_files() {
    need_env!();
    if !is_root() {
        skip_or_fail("needs root and 'unshare -m' to show the sandbox's files to kmod's lsmod");
        return;
    }
    let kmod_lsmod = [
        "/usr/sbin/lsmod",
        "/sbin/lsmod",
        "/usr/bin/lsmod",
        "/bin/lsmod",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let Some(kmod_lsmod) = kmod_lsmod else {
        skip_or_fail("kmod's lsmod is not installed");
        return;
    };
    let ns_ok = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt && umount /mnt"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ns_ok {
        skip_or_fail("needs 'unshare -m' to mount tmpfs over /proc and /sys/module");
        return;
    }
    let export = built_ok("export");
    let loader = built_ok("loader");
    let hello = built_ok("hello");
    let k = Kernel::new("lsmod-vs-kmod").at(&loader.dir);
    k.boot();
    for f in [
        export.ko("provider"),
        export.ko("consumer"),
        hello.ko("hello"),
        loader.ko("selfref"),
        loader.ko("noexit"),
    ] {
        k.load(&f);
    }
    let ours = k.ok(&["lsmod"]);
    let proc_modules = k.cat("/proc/modules");
    // The sandbox's /proc/modules and /sys/module/<m>/{coresize,refcnt,initstate,holders/}.
    let dir = env().unwrap().root.join("lsmod-vs-kmod");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("modules"), &proc_modules).unwrap();
    let mut script = String::from(
        // A tmpfs /proc holding only `modules` (this machine may have no /proc/modules to bind over).
        "set -e\nmount -t tmpfs tmpfs /sys/module\nmount -t tmpfs tmpfs /proc\n\
         cat \"$1/modules\" > /proc/modules\n",
    );
    for line in proc_modules.lines() {
        let m = line.split(' ').next().unwrap();
        let sys = format!("/sys/module/{m}");
        script.push_str(&format!("mkdir -p {sys}/holders\n"));
        for f in ["coresize", "refcnt", "initstate"] {
            let v = k.cat(&format!("{sys}/{f}"));
            script.push_str(&format!("printf '%s\\n' '{}' > {sys}/{f}\n", v.trim()));
        }
        for h in k.cat(&format!("{sys}/holders")).lines() {
            script.push_str(&format!("mkdir {sys}/holders/{h}\n"));
        }
    }
    script.push_str(&format!(
        "set +e\ncd /\n{kmod_lsmod} >\"$1/k.out\" 2>\"$1/k.err\"; echo $? >\"$1/k.rc\"\n"
    ));
    let st = Command::new("unshare")
        .args(["-m", "sh", "-c", &script, "sh"])
        .arg(&dir)
        .env_remove("KMOD_LOG")
        .status()
        .unwrap();
    assert!(
        st.success(),
        "the private /proc and /sys/module could not be set up"
    );
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    assert_eq!(read("k.err"), "");
    assert_eq!(read("k.rc"), "0\n");
    assert_eq!(
        read("k.out"),
        ours,
        "kmod's lsmod (left) and lkm lsmod (right)"
    );
    assert!(
        ours.contains("\nprovider               12288  1 consumer\n"),
        "{ours}"
    );
}

// ---------------------------------------------------------------------------------------------
// Oops containment.

#[test]
fn oopses_are_contained() {
    need_env!();
    let b = built_ok("oops");
    let hello = built_ok("hello");
    let k = Kernel::new("oops").at(&b.dir);
    k.boot();
    let oops_lines = |log: &[String], from: usize| -> Vec<String> { log[from..].to_vec() };

    // (a) NULL dereference in init.
    let r = k.run(&["insmod", "oops_null.ko"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        untime(&r.stderr),
        format!(
            "[    t] BUG: kernel NULL pointer dereference, address: 0000000000000000\n\
             [    t] #PF: supervisor read access in kernel mode\n\
             [    t] #PF: error_code(0x0000) - not-present page\n{}",
            insmod_error("oops_null.ko", "Bad address")
        )
    );
    let log = k.dmesg();
    assert_in_order(
        &log,
        &[
            "oops_null: reading *NULL",
            "BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "Hardware name: lkm sandbox",
            "Call Trace:",
            "Modules linked in: oops_null(OE+)",
            "CR2: 0000000000000000",
            "---[ end trace 0000000000000000 ]---",
        ],
    );
    let rip = |log: &[String], f: &str, m: &str| {
        assert!(
            log.iter()
                .any(|l| l.starts_with(&format!("RIP: 0010:{f}+0x"))
                    && l.ends_with(&format!(" [{m}]"))
                    && l.contains("/0x")),
            "RIP in {f} [{m}] missing:\n{}",
            log.join("\n")
        )
    };
    rip(&log, "oops_null_init", "oops_null");
    assert_ne!(k.tainted() & (1 << 7), 0, "taint D");
    let n = log.len();

    // (b) BUG() in init.
    let r = k.run(&["insmod", "oops_bug.ko"]);
    assert_eq!(r.code, Some(1));
    assert!(r
        .stderr
        .ends_with(&insmod_error("oops_bug.ko", "Bad address")));
    let log = k.dmesg();
    let new = oops_lines(&log, n);
    assert_in_order(
        &new,
        &[
            "------------[ cut here ]------------",
            &format!("kernel BUG at {}/oops_bug.c:9!", b.path()),
            "Oops: invalid opcode: 0000 [#2] PREEMPT SMP NOPTI",
        ],
    );
    rip(&new, "oops_bug_init", "oops_bug");
    let n = log.len();

    // (c) Division by zero in exit.
    k.ok(&["insmod", "oops_div.ko"]);
    let r = k.run(&["rmmod", "oops_div"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .ends_with("rmmod: ERROR: could not remove module oops_div: Bad address\n"),
        "{}",
        r.stderr
    );
    let log = k.dmesg();
    let new = oops_lines(&log, n);
    assert_in_order(&new, &["Oops: divide error: 0000 [#3] PREEMPT SMP NOPTI"]);
    rip(&new, "oops_div_exit", "oops_div");
    let n = log.len();

    // (d) A smashed stack, caught by the stack protector.
    let r = k.run(&["insmod", "oops_stack.ko"]);
    assert_eq!(r.code, Some(1));
    assert!(r
        .stderr
        .ends_with(&insmod_error("oops_stack.ko", "Bad address")));
    let log = k.dmesg();
    let new = oops_lines(&log, n);
    assert!(
        new.iter().any(|l| l.starts_with(
            "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: oops_stack_smash+0x"
        ) && l.ends_with(" [oops_stack]")),
        "{}",
        new.join("\n")
    );
    assert_in_order(&new, &["Oops: stack-protector [#4] PREEMPT SMP NOPTI"]);

    // Left as Linux leaves them: init faults still loading, the exit fault going.
    assert_ne!(k.tainted() & (1 << 7), 0);
    let pm = k.proc_modules();
    assert_eq!(pm.len(), 4, "{pm:?}");
    let state = |m: &str| {
        pm.iter()
            .find(|l| l.starts_with(&format!("{m} ")))
            .unwrap_or_else(|| panic!("{m} not in {pm:?}"))
            .clone()
    };
    for m in ["oops_null", "oops_bug", "oops_stack"] {
        let l = state(m);
        assert!(
            l.contains(" 0 - Loading 0x") && l.ends_with(" (OE+)"),
            "{l}"
        );
        assert_eq!(k.cat(&format!("/sys/module/{m}/initstate")), "coming\n");
    }
    let l = state("oops_div");
    assert!(
        l.contains(" 0 - Unloading 0x") && l.ends_with(" (OE-)"),
        "{l}"
    );
    assert_eq!(k.cat("/sys/module/oops_div/initstate"), "going\n");
    let r = k.run(&["rmmod", "oops_null"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.ends_with(
            "rmmod: ERROR: could not remove module oops_null: Device or resource busy\n"
        ),
        "{}",
        r.stderr
    );

    // The kernel keeps serving.
    let l = k.ok(&["lsmod"]);
    assert!(l.starts_with(LSMOD_HEADER) && l.lines().count() == 5, "{l}");
    let r = k.run(&["insmod", &hello.ko("hello").display().to_string()]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        untime(&r.stderr),
        "[    t] Good morrow\n[    t] to this fair assembly.\n"
    );
    let r = k.run(&["rmmod", "hello"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let st = k.ok(&["status"]);
    assert!(st.contains("\n  modules: 4\n"), "{st}");
}

/// `lkm build` does what the SDK's makefile does, without make: in the same folder, the modules it
/// links are byte for byte the ones make linked, and its progress lines are Kbuild's.
#[test]
fn lkm_build_equals_make() {
    let Some(env) = env() else { return };
    for (key, src, modules) in [
        (
            "build-export",
            repo().join("examples/export"),
            &["provider", "consumer"][..],
        ),
        ("build-multi", repo().join("examples/multi"), &["foo"][..]),
        ("build-hello", repo().join("examples/hello"), &["hello"][..]),
    ] {
        let dir = env.root.join("build").join(key);
        copy_dir(&src, &dir);
        let mut c = Command::new("make");
        c.arg("-C")
            .arg(&dir)
            .arg(format!("KDIR={}", env.sdk.display()))
            .env("LKM_SDK_CACHE", env.root.join("sdk-cache"))
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS");
        let m = run(c);
        assert_eq!(m.code, Some(0), "make in {key}: {}{}", m.stdout, m.stderr);
        let by_make: Vec<Vec<u8>> = modules
            .iter()
            .map(|m| std::fs::read(dir.join(format!("{m}.ko"))).unwrap())
            .collect();
        let symvers_make = std::fs::read_to_string(dir.join("Module.symvers")).unwrap();
        let order_make = std::fs::read_to_string(dir.join("modules.order")).unwrap();
        for m in modules {
            std::fs::remove_file(dir.join(format!("{m}.ko"))).unwrap();
        }
        let mut c = base_cmd(&env.root);
        c.arg("build").arg(&dir);
        let b = run(c);
        assert_eq!(
            b.code,
            Some(0),
            "lkm build in {key}: {}{}",
            b.stdout,
            b.stderr
        );
        for (m, make_bytes) in modules.iter().zip(&by_make) {
            let ko = dir.join(format!("{m}.ko"));
            assert!(
                std::fs::read(&ko).unwrap() == *make_bytes,
                "{}: lkm build and make produced different modules",
                ko.display()
            );
            assert!(
                b.stdout.contains(&format!("  LD [M]  {}\n", ko.display())),
                "{}",
                b.stdout
            );
        }
        assert!(b.stdout.contains("  MODPOST "), "{}", b.stdout);
        assert_eq!(
            std::fs::read_to_string(dir.join("Module.symvers")).unwrap(),
            symvers_make
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("modules.order")).unwrap(),
            order_make
        );
    }
    // What it cannot read, it says, with the way out.
    let dir = env.root.join("build").join("build-empty");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Makefile"), "all:\n\techo nothing\n").unwrap();
    let mut c = base_cmd(&env.root);
    c.arg("build").arg(&dir);
    let b = run(c);
    assert_eq!(b.code, Some(1));
    assert!(
        b.stderr
            .starts_with("lkm: build: ERROR: obj-m is empty in ")
            && b.stderr.contains("make -C $(lkm sdk) M=$PWD modules"),
        "{}",
        b.stderr
    );
}

/// A module left "coming" by an oops in its init cannot be linked against: the kernel refuses its
/// exports with -EBUSY (strong_try_module_get), and the loader says which symbol.
#[test]
fn exports_of_a_module_stuck_in_init_are_refused() {
    need_env!();
    let b = built_ok("coming");
    let k = Kernel::new("coming").at(&b.dir);
    let r = k.run(&["insmod", "stuck.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr.ends_with(&insmod_error("stuck.ko", "Bad address")),
        "{r:?}"
    );
    let r = k.run(&["insmod", "leaner.ko"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr
            .ends_with(&insmod_error("leaner.ko", "Device or resource busy")),
        "{r:?}"
    );
    assert!(k
        .dmesg()
        .contains(&"leaner: Unknown symbol stuck_helper (err -16)".to_string()));
    let mods = k.proc_modules();
    assert_eq!(mods.len(), 1, "{mods:?}");
    assert!(
        mods[0].starts_with("stuck ") && mods[0].ends_with(" (OE+)"),
        "{mods:?}"
    );
}

#[test]
fn modpost_namespace_not_imported() {
    need_env!();
    assert_make_fails(
        "nsimport",
        "ERROR: modpost: module nsimport uses symbol nsprov_fn from namespace LKM_TEST, but does not import it.",
    );
}

/// modpost's own command line, as the SDK's makefile and users drive it.
#[test]
fn modpost_command_line_errors() {
    need_env!();
    let env = env().unwrap();
    let run_mp = |args: &[&str]| {
        let mut c = base_cmd(&env.root);
        c.arg("modpost").args(args);
        run(c)
    };
    let r = run_mp(&[]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "modpost: no module objects given (see 'lkm modpost --help')\n"
        )
    );
    let r = run_mp(&["-x", "a.o"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "modpost: unknown option '-x' (see 'lkm modpost --help')\n"
        )
    );
    let r = run_mp(&["-i"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "modpost: option '-i' needs a file name\n")
    );
    // A corrupt symbol dump names its line.
    let bad = env.root.join("bad.symvers");
    std::fs::write(
        &bad,
        "0x00000000\tfoo\tvmlinux\tEXPORT_SYMBOL\t\nnot a line\n",
    )
    .unwrap();
    let obj = built_ok("hello").dir.join("hello.o");
    let r = run_mp(&["-i", &bad.display().to_string(), &obj.display().to_string()]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        format!(
            "ERROR: modpost: {}:2: parse error in symbol dump file\n",
            bad.display()
        )
    );
    // A file that is not an object.
    let txt = env.root.join("notes.o");
    std::fs::write(&txt, "hello\n").unwrap();
    let r = run_mp(&[&txt.display().to_string()]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        format!(
            "ERROR: modpost: {}: Invalid ELF header len 6\n",
            txt.display()
        )
    );
}

/// `lkm cat` and `lkm write` fail as `cat` and `echo >` would, naming the file.
#[test]
fn cat_and_write_errors() {
    need_env!();
    let k = Kernel::new("caterr");
    k.boot();
    let r = k.run(&["cat", "/proc/nosuch"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "lkm: cat: /proc/nosuch: No such file or directory\n"
        )
    );
    let r = k.run(&["write", "/proc/modules", "x"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "lkm: write: /proc/modules: Permission denied\n")
    );
    let r = k.run(&["write", "/sys/module/nosuch/parameters/x", "1"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "lkm: write: /sys/module/nosuch/parameters/x: No such file or directory\n"
        )
    );
    let r = k.run(&["write", "/proc/sys/kernel/printk", "nonsense"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            Some(1),
            "lkm: write: /proc/sys/kernel/printk: Invalid argument\n"
        )
    );
    // A directory lists its names.
    assert_eq!(
        k.cat("/proc/sys/kernel"),
        "hung_task_timeout_secs\nhung_task_warnings\nmodprobe\nosrelease\nprintk\n\
         softlockup_panic\ntainted\nwatchdog_thresh\n"
    );
}

/// Modules compiled by clang instead of gcc (`make CC=clang`) load and compute the same: every
/// relocation clang emits for the SDK's flags is handled.
#[test]
fn clang_built_modules_load_and_compute_the_same() {
    need_env!();
    if Command::new("clang").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("clang is not installed (.ci/run installs it)");
        }
        eprintln!("SKIPPED: clang is not installed");
        return;
    }
    let b = built_ok("loader-clang");
    assert!(
        !b.make.stderr.contains("warning"),
        "clang warned:\n{}",
        b.make.stderr
    );
    let k = Kernel::new("clang").at(&b.dir);
    k.boot();
    let r = k.run(&["insmod", "relocs.ko"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_in_order(
        &k.dmesg(),
        &[
            "relocs: switch: 11 30 3 40 95 5 -10 0 side=36",
            "relocs: data table: 11 20 100",
            "relocs: rodata table: 100 20 11",
            "relocs: strings: alpha beta gamma",
            "relocs: init helper: 71",
            "relocs: stack protector: checksum=324",
        ],
    );
    assert_eq!(k.run(&["rmmod", "relocs"]).code, Some(0));
    let h = built_ok("hello-clang");
    let out = k.load(&h.ko("hello"));
    assert!(out.contains("] Good morrow\n"), "{out}");
}
