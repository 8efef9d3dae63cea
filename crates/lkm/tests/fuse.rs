//! The FUSE front (issue 4 item 7): `lkm boot --mount DIR` / `lkm mount DIR` show the sandbox's
//! `/dev`, `/proc` and `/sys` under DIR, so ordinary programs (`sh`, `cat`, `dd`, Python) use them.
//! Skipped (with a message) where FUSE cannot mount; a failure when `CI` is set.

mod common;
use common::*;

use std::path::PathBuf;
use std::process::Command;

/// A mount directory that is unmounted (lazily, in case the kernel died) when the test ends.
struct Mnt(PathBuf);

impl Drop for Mnt {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

fn sh(script: &str) -> Run {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    run(c)
}

/// Boots a kernel with the acme driver and mounts it; `None` (after a skip note) where FUSE
/// cannot mount here.
fn setup(name: &str) -> Option<(Kernel, Mnt)> {
    let b = built_ok("cdev_basic");
    let k = Kernel::new(name).at(&b.dir);
    let dir = k.root.join(format!("mnt-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let mnt = Mnt(dir.clone());
    let r = k.run(&["boot", "--mount", &dir.display().to_string()]);
    if r.code != Some(0) {
        // The kernel booted; only the mount failed (and the command said why).
        assert!(r.stderr.contains("lkm cat"), "{r:?}");
        assert!(k.cat("/proc/modules").is_empty());
        skip_or_fail(&format!("FUSE cannot mount here: {}", r.stderr.trim()));
        return None;
    }
    k.load(&b.ko("acme"));
    Some((k, mnt))
}

#[test]
fn shell_tools_use_the_mounted_dev_and_proc() {
    need_env!();
    let Some((k, mnt)) = setup("fuse_tools") else {
        return;
    };
    let d = mnt.0.display().to_string();

    let r = sh(&format!("echo hi > {d}/dev/acme"));
    assert_eq!(r.code, Some(0), "{r:?}");
    let r = sh(&format!("cat {d}/dev/acme"));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "hi\n"), "{r:?}");

    // The driver sees the calling process (FUSE's request pid and its comm).
    let log = k.dmesg();
    assert!(
        log.iter().any(|l| l.starts_with("acme: open by cat (pid ")),
        "{log:?}"
    );

    let r = sh(&format!("cat {d}/proc/modules"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, k.cat("/proc/modules"));
    assert!(r.stdout.starts_with("acme "), "{r:?}");

    let r = sh(&format!("ls {d} {d}/dev"));
    assert!(r.stdout.contains("acme"), "{r:?}");

    k.ok(&["write", "/dev/acme", "from dd"]);
    let r = sh(&format!("dd if={d}/dev/acme bs=64k count=1 2>/dev/null"));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "from dd\n"), "{r:?}");

    let r = sh(&format!(
        "echo abc > {d}/dev/acme && head -c 2 {d}/dev/acme"
    ));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "ab"), "{r:?}");

    if have("python3") {
        let r = sh(&format!(
            "python3 -c \"open('{d}/dev/acme','w').write('py'); print(open('{d}/dev/acme').read())\""
        ));
        assert_eq!((r.code, r.stdout.as_str()), (Some(0), "py\n"), "{r:?}");
        // ACME_WHO (_IOR('a', 3, struct acme_who)): the opener's pid and comm, through FUSE's
        // ioctl, are the calling Python process's.
        let script = format!(
            "import fcntl, os, struct\n\
             f = open('{d}/dev/acme', 'rb', buffering=0)\n\
             b = fcntl.ioctl(f.fileno(), (2 << 30) | (20 << 16) | (ord('a') << 8) | 3, bytes(20))\n\
             pid, comm = struct.unpack('<i16s', b)\n\
             print(pid == os.getpid(), comm.rstrip(bytes(1)).decode())\n"
        );
        let r = run({
            let mut c = Command::new("python3");
            c.args(["-c", &script]);
            c
        });
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), "True python3\n"),
            "{r:?}"
        );
    }

    // Every file was closed: the module is free to go.
    assert_eq!(k.cat("/sys/module/acme/refcnt").trim(), "0");
    k.ok(&["umount", &d]);
    assert!(!mnt.0.join("dev").exists());
}
