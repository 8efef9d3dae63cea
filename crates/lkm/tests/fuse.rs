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
    // 64 KiB blocks of random bytes, written then read back with dd, are intact.
    let blob = k.root.join("fuse_tools.blob");
    let back = k.root.join("fuse_tools.back");
    let r = sh(&format!(
        "head -c 65536 /dev/urandom > {b} && dd if={b} of={d}/dev/acme bs=64k 2>/dev/null && dd if={d}/dev/acme of={o} bs=64k 2>/dev/null && cmp {b} {o} && wc -c < {o}",
        b = blob.display(),
        o = back.display()
    ));
    assert_eq!((r.code, r.stdout.trim()), (Some(0), "65536"), "{r:?}");

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

/// Runs a Python script in the background, its stdin a pipe that `finish` closes.
fn python_bg(script: &str) -> std::process::Child {
    Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs")
}

/// Waits (up to 20 s) until `what` holds.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < until,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn finish(child: std::process::Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().expect("child output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_blocked_reader_sleeps_in_the_driver_until_data_or_a_signal() {
    need_env!();
    if !have("python3") {
        return skip_or_fail("python3 is needed");
    }
    let Some((k, mnt)) = setup("fuse_block") else {
        return;
    };
    let b = built_ok("cdev_basic");
    k.load(&b.ko("lkmpipe"));
    let d = mnt.0.display().to_string();

    // A reader blocks in wait_event_interruptible; the mount keeps serving other callers; a write
    // wakes it with the data.
    let reader = python_bg(&format!(
        "import os\nfd = os.open('{d}/dev/lkmpipe', os.O_RDONLY)\nprint(os.read(fd, 100).decode(), end='')\n"
    ));
    wait_for("the reader to wait", || {
        k.dmesg()
            .iter()
            .any(|l| l.starts_with("lkmpipe: python3 (pid "))
    });
    let r = sh(&format!("cat {d}/proc/modules"));
    assert!(r.stdout.contains("lkmpipe "), "{r:?}");
    let r = sh(&format!("printf hello > {d}/dev/lkmpipe"));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(finish(reader), (Some(0), "hello".into(), String::new()));

    // A signal interrupts the sleep: the driver returns -ERESTARTSYS, the caller gets EINTR (here
    // the handler raises, so Python does not retry the read).
    let reader = python_bg(&format!(
        "import os, signal\n\
         def h(*a): raise RuntimeError('signalled')\n\
         signal.signal(signal.SIGUSR1, h)\n\
         fd = os.open('{d}/dev/lkmpipe', os.O_RDONLY)\n\
         try:\n    os.read(fd, 100)\nexcept RuntimeError as e:\n    print(e)\n"
    ));
    let pid = reader.id();
    wait_for("the second reader to wait", || {
        k.dmesg()
            .iter()
            .any(|l| l == &format!("lkmpipe: python3 (pid {pid}) waits"))
    });
    // SAFETY: sends a signal to our own child.
    unsafe { libc::kill(pid as i32, libc::SIGUSR1) };
    assert_eq!(
        finish(reader),
        (Some(0), "signalled\n".into(), String::new())
    );
    // SIGUSR1 (10) is bit 9 of current->pending.signal.
    wait_for("the driver to see the signal", || {
        k.dmesg()
            .iter()
            .any(|l| l == "lkmpipe: python3 interrupted (pending 200)")
    });

    // A reader killed while it sleeps is released, and the module can go.
    let mut reader = python_bg(&format!(
        "import os\nfd = os.open('{d}/dev/lkmpipe', os.O_RDONLY)\nos.read(fd, 100)\n"
    ));
    let pid = reader.id();
    wait_for("the third reader to wait", || {
        k.dmesg()
            .iter()
            .any(|l| l == &format!("lkmpipe: python3 (pid {pid}) waits"))
    });
    assert_eq!(k.cat("/sys/module/lkmpipe/refcnt").trim(), "1");
    reader.kill().unwrap();
    reader.wait().unwrap();
    wait_for("the killed reader's file to be released", || {
        k.cat("/sys/module/lkmpipe/refcnt").trim() == "0"
    });
    k.ok(&["rmmod", "lkmpipe"]);
    // O_NONBLOCK: nothing to read is EAGAIN, at once.
    k.load(&b.ko("lkmpipe"));
    let r = sh(&format!(
        "python3 -c \"import os\ntry:\n os.read(os.open('{d}/dev/lkmpipe', os.O_RDONLY | os.O_NONBLOCK), 9)\nexcept BlockingIOError: print('EAGAIN')\""
    ));
    assert_eq!(r.stdout, "EAGAIN\n", "{r:?}");
}

#[test]
fn poll_waits_on_the_drivers_wait_queue() {
    need_env!();
    if !have("python3") {
        return skip_or_fail("python3 is needed");
    }
    let Some((k, mnt)) = setup("fuse_poll") else {
        return;
    };
    k.load(&built_ok("cdev_basic").ko("lkmpipe"));
    let d = mnt.0.display().to_string();

    // Nothing to read: poll times out with no events; POLLOUT is ready at once.
    let r = sh(&format!(
        "python3 -c \"import os, select\nfd = os.open('{d}/dev/lkmpipe', os.O_RDWR)\np = select.poll(); p.register(fd, select.POLLIN)\nprint(p.poll(200))\nq = select.poll(); q.register(fd, select.POLLOUT)\nprint(q.poll(5000))\""
    ));
    assert_eq!(r.code, Some(0), "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "[]", "{r:?}");
    assert!(
        lines[1].starts_with("[(") && lines[1].contains(", 4)]"),
        "{r:?}"
    );

    // A poller sleeps until a writer's wake_up_interruptible() reaches it through FUSE's
    // notification, long before its 20 s timeout.
    let poller = python_bg(&format!(
        "import os, select, time\n\
         fd = os.open('{d}/dev/lkmpipe', os.O_RDONLY)\n\
         p = select.poll(); p.register(fd, select.POLLIN)\n\
         print('polling', flush=True)\n\
         t = time.monotonic(); ev = p.poll(20000)\n\
         print(ev[0][1] & select.POLLIN, time.monotonic() - t < 10, os.read(fd, 10).decode())\n"
    ));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let r = sh(&format!("printf ping > {d}/dev/lkmpipe"));
    assert_eq!(r.code, Some(0), "{r:?}");
    let (code, out, err) = finish(poller);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "polling\n1 True ping\n"),
        "{err}"
    );
}

#[test]
fn an_open_file_holds_the_module_and_bad_pointers_are_efault() {
    need_env!();
    if !have("python3") {
        return skip_or_fail("python3 is needed");
    }
    let Some((k, mnt)) = setup("fuse_hold") else {
        return;
    };
    let d = mnt.0.display().to_string();

    // rmmod while a program has the device open fails with kmod's message, and works after close.
    let holder = python_bg(&format!(
        "import sys\nf = open('{d}/dev/acme', 'rb')\nprint('open', flush=True)\nsys.stdin.readline()\n"
    ));
    // Two references, as chrdev_open takes them: the cdev's owner and the fops' owner.
    wait_for("the holder to open", || {
        k.cat("/sys/module/acme/refcnt").trim() == "2"
    });
    let r = k.run(&["rmmod", "acme"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "rmmod: ERROR: Module acme is in use\n"),
        "{r:?}"
    );
    drop(finish(holder));
    wait_for("the holder's file to be released", || {
        k.cat("/sys/module/acme/refcnt").trim() == "0"
    });
    k.ok(&["rmmod", "acme"]);
    k.load(&built_ok("cdev_basic").ko("acme"));

    // A process killed with the file open (sleep's stdin) has it released.
    let mut sleeper = Command::new("sh")
        .args(["-c", &format!("exec sleep 600 < {d}/dev/acme")])
        .spawn()
        .unwrap();
    wait_for("sleep to open", || {
        k.cat("/sys/module/acme/refcnt").trim() == "2"
    });
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    wait_for("the killed process's file to be released", || {
        k.cat("/sys/module/acme/refcnt").trim() == "0"
    });

    // ACME_BAD (_IOR('a', 2, int)) copies to 100 bytes past the argument: outside the caller's
    // memory, so EFAULT, and the sandbox is fine.
    let r = sh(&format!(
        "python3 -c \"import fcntl, errno\nf = open('{d}/dev/acme', 'rb', buffering=0)\ntry:\n fcntl.ioctl(f.fileno(), (2 << 30) | (4 << 16) | (ord('a') << 8) | 2, bytes(4))\nexcept OSError as e: print(errno.errorcode[e.errno])\""
    ));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "EFAULT\n"), "{r:?}");
    assert!(k.proc_modules()[0].starts_with("acme "));

    // A seek on the file moves the driver's f_pos (default_llseek): reading again from 0 gives the
    // message again.
    k.ok(&["write", "/dev/acme", "twice"]);
    let r = sh(&format!(
        "python3 -c \"f = open('{d}/dev/acme', 'rb', buffering=0)\na = f.read(100); f.seek(0); b = f.read(100); f.seek(2); c = f.read(100)\nprint(a, b, c)\""
    ));
    assert_eq!(r.stdout, "b'twice\\n' b'twice\\n' b'ice\\n'\n", "{r:?}");
    assert_eq!(k.cat("/sys/module/acme/refcnt").trim(), "0");
}

#[test]
fn debugfs_files_through_the_mount() {
    need_env!();
    let Some((k, mnt)) = setup("fuse_debugfs") else {
        return;
    };
    k.load(&built_ok("debugfs_basic").ko("dbg_values"));
    let d = format!("{}/sys/kernel/debug/dbg_values", mnt.0.display());

    let r = sh(&format!("ls {d}"));
    assert!(r.stdout.lines().any(|l| l == "summary"), "{r:?}");
    let r = sh(&format!("cat {d}/u32 {d}/x8 {d}/bool"));
    assert_eq!(r.stdout, "4000000000\n0x0a\nY\n", "{r:?}");
    // A value file written with echo, then seen by the module's own file_operations.
    let r = sh(&format!("echo 9 > {d}/u8 && cat {d}/u8"));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "9\n"), "{r:?}");
    let r = sh(&format!("cat {d}/summary"));
    assert!(r.stdout.starts_with("i_private works: v8=9 "), "{r:?}");
    // An attribute file: echo calls set, cat calls get.
    let r = sh(&format!("echo 21 > {d}/counter && cat {d}/counter"));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "42\n"), "{r:?}");
    // set's -ERANGE is the writer's errno (dash's echo would only say "I/O error").
    let r = sh(&format!(
        "python3 -c \"import os, errno\nfd = os.open('{d}/counter', os.O_WRONLY)\ntry: os.write(fd, b'5000')\nexcept OSError as e: print(errno.errorcode[e.errno])\""
    ));
    assert_eq!(r.stdout, "ERANGE\n", "{r:?}");
    // One open, two reads: the driver's f_pos carries on (simple_read_from_buffer).
    let r = sh(&format!(
        "python3 -c \"f = open('{d}/summary', 'rb', buffering=0)\nprint(f.read(9), f.read(8))\""
    ));
    assert_eq!(r.stdout, "b'i_private' b' works: '\n", "{r:?}");
    // An open file holds the module (the fops' owner), as on Linux.
    let mut holder = Command::new("sh")
        .args(["-c", &format!("exec sleep 600 < {d}/summary")])
        .spawn()
        .unwrap();
    wait_for("sleep to open", || {
        k.cat("/sys/module/dbg_values/refcnt").trim() == "1"
    });
    let r = k.run(&["rmmod", "dbg_values"]);
    assert!(r.stderr.contains("Module dbg_values is in use"), "{r:?}");
    holder.kill().unwrap();
    holder.wait().unwrap();
    wait_for("the file to be released", || {
        k.cat("/sys/module/dbg_values/refcnt").trim() == "0"
    });
    k.ok(&["rmmod", "dbg_values"]);
    let r = sh(&format!("ls {}/sys/kernel/debug", mnt.0.display()));
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), ""), "{r:?}");
}
