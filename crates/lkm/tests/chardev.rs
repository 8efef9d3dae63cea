//! Integration tests of character devices (issue 4, first part): real drivers built against the
//! SDK (`tests/modules/cdev_basic`) register device numbers, cdevs, classes and misc devices in a
//! sandbox kernel; the tests drive them through `lkm write`/`lkm cat`/`lkm ioctl`/`lkm mknod` and
//! through the client API's file sessions (`Session`), which hold files open across requests.

mod common;
use common::*;

use std::time::{Duration, Instant};

use lkm_sandbox::{SandboxKernel, Session};

// acme_ioctl.h
const fn ioc(dir: u32, ty: u8, nr: u32, size: u32) -> u32 {
    (dir << 30) | (size << 16) | ((ty as u32) << 8) | nr
}
const ACME_SUM: u32 = ioc(3, b'a', 1, 32);
const ACME_BAD: u32 = ioc(2, b'a', 2, 4);
const ACME_WHO: u32 = ioc(2, b'a', 3, 20);
const ACME_GETUSER: u32 = ioc(1, b'a', 4, 4);
const ACME_DEREF: u32 = ioc(2, b'a', 5, 4);
const ACME_SIZE: u32 = ioc(0, b'a', 6, 0);

fn setup(name: &str, modules: &[&str]) -> (Kernel, &'static Built) {
    let b = built_ok("cdev_basic");
    let k = Kernel::new(name).at(&b.dir);
    k.boot();
    for m in modules {
        k.load(&b.ko(m));
    }
    (k, b)
}

fn session(k: &Kernel) -> Session {
    SandboxKernel::new(k.state.clone())
        .session()
        .expect("session")
        .with_console(|_| {})
}

fn refcnt(k: &Kernel, m: &str) -> String {
    k.cat(&format!("/sys/module/{m}/refcnt")).trim().to_string()
}

#[test]
fn write_then_cat_returns_the_message() {
    need_env!();
    let (k, _) = setup("cdev_cli", &["acme"]);
    assert_eq!(k.ok(&["write", "/dev/acme", "hello"]), "");
    assert_eq!(k.cat("/dev/acme"), "hello\n");
    assert_eq!(k.ok(&["write", "/dev/acme", "a longer message"]), "");
    assert_eq!(k.cat("/dev/acme"), "a longer message\n");
    // /proc/devices lists the dynamic major (254: the first of Linux's dynamic range).
    assert_eq!(
        k.cat("/proc/devices"),
        "Character devices:\n  1 mem\n 10 misc\n254 acme\n\nBlock devices:\n"
    );
    assert!(k.cat("/dev").lines().any(|l| l == "acme"));
    let log = k.dmesg();
    assert!(
        log.iter().any(|l| l == "acme acme: major 254 minor 0"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("acme: open by tee (pid ")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("acme: open by cat (pid ")),
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| *l == "acme: release (cdev ok)")
            .count(),
        4
    );
    assert_eq!(refcnt(&k, "acme"), "0");
}

#[test]
fn reads_of_64_kib_move_data_intact() {
    need_env!();
    let (k, _) = setup("cdev_big", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDWR).unwrap();
    let data: Vec<u8> = (0..65536u32).map(|i| (i * 7 + i / 256) as u8).collect();
    assert_eq!(s.write(h, &data).unwrap(), 65536);
    assert_eq!(
        s.llseek(h, 0, 1).unwrap(),
        65536,
        "SEEK_CUR after the write"
    );
    assert_eq!(s.llseek(h, 0, 0).unwrap(), 0);
    let got = s.read(h, 65536).unwrap();
    assert!(got == data, "64 KiB read differs");
    assert!(
        s.read(h, 65536).unwrap().is_empty(),
        "EOF after the message"
    );
    // Reads of odd sizes continue at the file position.
    s.llseek(h, 1000, 0).unwrap();
    let a = s.read(h, 333).unwrap();
    let b = s.read(h, 70000).unwrap();
    assert_eq!(a, data[1000..1333]);
    assert_eq!(b, data[1333..]);
    assert_eq!(s.ioctl(h, ACME_SIZE, 0).unwrap(), 65536);
    // poll: readable now.
    assert_eq!(s.poll(h, 1, 0).unwrap() & 1, 1);
    s.close(h).unwrap();
    // The whole message through `lkm cat`.
    let o = k.cmd(&["cat", "/dev/acme"]).output().unwrap();
    assert!(o.status.success());
    assert!(o.stdout == data, "lkm cat differs");
}

#[test]
fn ioctl_round_trips_a_struct() {
    need_env!();
    let (k, _) = setup("cdev_ioctl", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDWR).unwrap();
    let mut req = vec![0u8; 32];
    req[0..4].copy_from_slice(&40i32.to_le_bytes());
    req[4..8].copy_from_slice(&2i32.to_le_bytes());
    req[12..17].copy_from_slice(b"hello");
    let (ret, out) = s.ioctl_buf(h, ACME_SUM, &req).unwrap();
    assert_eq!(ret, 0);
    assert_eq!(i32::from_le_bytes(out[8..12].try_into().unwrap()), 42);
    assert_eq!(&out[12..23], b"acme:hello\0");
    assert_eq!(&out[0..8], &req[0..8]);
    // get_user / put_user.
    let (ret, out) = s.ioctl_buf(h, ACME_GETUSER, &20i32.to_le_bytes()).unwrap();
    assert_eq!((ret, out), (21, 40i32.to_le_bytes().to_vec()));
    // An unknown command.
    let e = s.ioctl(h, ioc(0, b'z', 9, 0), 0).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOTTY));
    s.close(h).unwrap();
    // The same through the CLI.
    let out = k.ok(&[
        "ioctl",
        "/dev/acme",
        "_IOWR('a',1,32)",
        "hex:0500000006000000000000006162",
    ]);
    assert_eq!(
        out,
        "0\n05000000060000000b00000061636d653a616200000000000000000000000000\n"
    );
    assert_eq!(k.ok(&["ioctl", "/dev/acme", "_IOW('a',4,4)", "7"]), "8\n");
}

#[test]
fn device_create_and_mknod_make_nodes() {
    need_env!();
    let (k, b) = setup("cdev_nodes", &["cdev_legacy", "cdev_misc"]);
    // register_chrdev(0, ...): the dynamic major, listed; device_create made /dev/legacy7.
    assert_eq!(
        k.cat("/proc/devices"),
        "Character devices:\n  1 mem\n 10 misc\n254 legacy\n\nBlock devices:\n"
    );
    let dev: Vec<String> = k.cat("/dev").lines().map(str::to_string).collect();
    assert_eq!(dev, ["kmsg", "legacy7", "lkm_misc"]);
    assert_eq!(k.cat("/dev/legacy7"), "legacy 7 nb=0\n");
    // A node for minor 3, made by the user.
    assert_eq!(k.ok(&["mknod", "/dev/leg3", "c", "254", "3"]), "");
    assert_eq!(k.cat("/dev/leg3"), "legacy 3 nb=0\n");
    let r = k.run(&["mknod", "/dev/leg3", "c", "254", "3"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "lkm: mknod: /dev/leg3: File exists\n")
    );
    // O_NONBLOCK reaches f_flags; nonseekable_open makes lseek fail with ESPIPE.
    let mut s = session(&k);
    let h = s
        .open("/dev/leg3", libc::O_RDONLY | libc::O_NONBLOCK)
        .unwrap();
    assert_eq!(s.read(h, 100).unwrap(), b"legacy 3 nb=1\n");
    assert_eq!(
        s.llseek(h, 0, 0).unwrap_err().raw_os_error(),
        Some(libc::ESPIPE)
    );
    s.close(h).unwrap();
    // A node without a driver: ENXIO; an unknown path: ENOENT.
    k.ok(&["mknod", "/dev/none", "c", "200", "0"]);
    let r = k.run(&["cat", "/dev/none"]);
    assert_eq!(r.stderr, "lkm: cat: /dev/none: No such device or address\n");
    // Misc device: dynamic minor 127, private_data is the miscdevice.
    assert_eq!(k.cat("/proc/misc"), "127 lkm_misc\n");
    assert_eq!(k.cat("/dev/lkm_misc"), "misc minor 127 self 1\n");
    // device_destroy and misc_deregister remove the nodes; mknod's stay.
    k.ok(&["rmmod", "cdev_legacy", "cdev_misc"]);
    let dev: Vec<String> = k.cat("/dev").lines().map(str::to_string).collect();
    assert_eq!(dev, ["kmsg", "leg3", "none"]);
    assert_eq!(k.cat("/proc/misc"), "");
    assert_eq!(
        k.cat("/proc/devices"),
        "Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n"
    );
    let r = k.run(&["cat", "/dev/leg3"]);
    assert_eq!(r.stderr, "lkm: cat: /dev/leg3: No such device or address\n");
    // Loaded again, the major is reused and the node works again.
    k.load(&b.ko("cdev_legacy"));
    assert_eq!(k.cat("/dev/leg3"), "legacy 3 nb=0\n");
    assert_in_order(
        &k.dmesg(),
        &[
            "legacy: major 254",
            "legacy: device legacy7 created",
            "legacy: 0 bytes written",
        ],
    );
}

#[test]
fn rmmod_is_refused_while_a_file_is_open() {
    need_env!();
    let (k, _) = setup("cdev_busy", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDONLY).unwrap();
    // cdev.owner and fops.owner are both held, as chrdev_open does.
    assert_eq!(refcnt(&k, "acme"), "2");
    let r = k.run(&["rmmod", "acme"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (Some(1), "rmmod: ERROR: Module acme is in use\n")
    );
    assert!(k.cat("/dev").lines().any(|l| l == "acme"));
    s.close(h).unwrap();
    assert_eq!(refcnt(&k, "acme"), "0");
    assert_eq!(k.ok(&["rmmod", "acme"]), "");
    assert!(!k.cat("/dev").lines().any(|l| l == "acme"));
    assert_eq!(
        k.cat("/proc/devices"),
        "Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n"
    );
}

#[test]
fn a_client_that_dies_has_its_files_released() {
    need_env!();
    let (k, _) = setup("cdev_die", &["acme"]);
    {
        let mut s = session(&k);
        s.open("/dev/acme", libc::O_RDONLY).unwrap();
        s.open("/dev/acme", libc::O_WRONLY).unwrap();
        assert_eq!(refcnt(&k, "acme"), "4");
        // Dropped with both files open: the connection closes as at the process's exit.
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while refcnt(&k, "acme") != "0" {
        assert!(Instant::now() < deadline, "files not released");
        std::thread::sleep(Duration::from_millis(10));
    }
    let log = k.dmesg();
    assert_eq!(
        log.iter()
            .filter(|l| *l == "acme: release (cdev ok)")
            .count(),
        2
    );
    assert_eq!(k.ok(&["rmmod", "acme"]), "");
}

#[test]
fn a_bad_user_pointer_is_efault_and_the_kernel_lives_on() {
    need_env!();
    let (k, _) = setup("cdev_efault", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDWR).unwrap();
    // copy_to_user past the 4-byte window copies nothing: -EFAULT from the driver.
    let e = s.ioctl_buf(h, ACME_BAD, &[0; 4]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EFAULT));
    // A user pointer that is an integer argument (no window at all).
    let e = s.ioctl(h, ACME_GETUSER, 0x1234_5678).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EFAULT));
    // A direct dereference of a user pointer is a page fault in the driver: an oops, EFAULT.
    let e = s.ioctl_buf(h, ACME_DEREF, &[0; 4]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EFAULT));
    // The file and the kernel still work.
    assert_eq!(s.write(h, b"still here").unwrap(), 10);
    s.llseek(h, 0, 0).unwrap();
    assert_eq!(s.read(h, 100).unwrap(), b"still here");
    s.close(h).unwrap();
    let log = k.dmesg();
    assert!(
        log.iter()
            .any(|l| l == "BUG: unable to handle page fault for address: 00007e0000001000"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("RIP: 0010:acme_ioctl+")),
        "{log:?}"
    );
    assert_eq!(k.ok(&["rmmod", "acme"]), "");
}

#[test]
fn fops_run_as_the_client() {
    need_env!();
    let (k, _) = setup("cdev_current", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDONLY).unwrap();
    let (_, who) = s.ioctl_buf(h, ACME_WHO, &[0; 20]).unwrap();
    let pid = i32::from_le_bytes(who[0..4].try_into().unwrap());
    assert_eq!(pid as u32, std::process::id());
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    let end = who[4..].iter().position(|&b| b == 0).unwrap_or(16);
    assert_eq!(String::from_utf8_lossy(&who[4..4 + end]), comm.trim_end());
    s.close(h).unwrap();
}

/// Not a test of its own: run by `a_killed_client_has_its_files_released` in a child process
/// (`LKM_CDEV_HOLD=STATE`), it opens /dev/acme, says so, and waits to be killed.
#[test]
fn hold_open_helper() {
    let Some(state) = std::env::var_os("LKM_CDEV_HOLD") else {
        return;
    };
    let mut s = SandboxKernel::new(state.into())
        .session()
        .unwrap()
        .with_console(|_| {});
    s.open("/dev/acme", libc::O_RDONLY).unwrap();
    println!("LKM-OPEN");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_killed_client_has_its_files_released() {
    need_env!();
    let (k, _) = setup("cdev_kill", &["acme"]);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hold_open_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LKM_CDEV_HOLD", &k.state)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while refcnt(&k, "acme") != "2" {
        assert!(
            Instant::now() < deadline,
            "the helper did not open the file"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = k.run(&["rmmod", "acme"]);
    assert_eq!(r.stderr, "rmmod: ERROR: Module acme is in use\n");
    child.kill().unwrap();
    child.wait().unwrap();
    while refcnt(&k, "acme") != "0" {
        assert!(
            Instant::now() < deadline,
            "the killed client's file was not released"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(k.ok(&["rmmod", "acme"]), "");
}

#[test]
fn the_example_builds_and_runs_as_its_readme_says() {
    let env = need_env!();
    let dir = env.root.join("build").join("example-chardev");
    copy_dir(&repo().join("examples/chardev"), &dir);
    let mut c = std::process::Command::new("make");
    c.arg("-C")
        .arg(&dir)
        .arg(format!("KDIR={}", env.sdk.display()))
        .env("LKM_SDK_CACHE", env.root.join("sdk-cache"))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    let m = run(c);
    assert_eq!(m.code, Some(0), "{m:?}");
    let k = Kernel::new("cdev_example").at(&dir);
    k.boot();
    k.load(&dir.join("acme.ko"));
    assert!(k.cat("/proc/devices").contains("\n254 acme\n"));
    assert_eq!(k.ok(&["write", "/dev/acme", "hello"]), "");
    assert_eq!(k.cat("/dev/acme"), "hello\n");
    assert_eq!(k.ok(&["rmmod", "acme"]), "");
    assert_in_order(
        &k.dmesg(),
        &["acme: registered as 254:0", "acme: unregistered"],
    );
}

#[test]
fn registrations_left_at_unload_are_reported_and_removed() {
    need_env!();
    let (k, _) = setup("cdev_leaky", &["cdev_leaky"]);
    assert_eq!(k.cat("/dev/leaky0"), "leaky\n");
    assert_eq!(k.cat("/dev/leaky_misc"), "leaky\n");
    k.ok(&["mknod", "/dev/leaky1", "c", "254", "1"]);
    assert_eq!(k.cat("/dev/leaky1"), "leaky\n");
    assert_eq!(k.ok(&["rmmod", "cdev_leaky"]), "");
    assert_in_order(
        &k.dmesg(),
        &[
            "lkm: cdev_leaky: misc device leaky_misc still registered at unload: deregistered",
            "lkm: cdev_leaky: device leaky0 of class leakycls still present at unload: destroyed",
            "lkm: cdev_leaky: class leakycls still registered at unload: destroyed",
            "lkm: cdev_leaky: cdev 254:0 still added at unload: deleted",
            "lkm: cdev_leaky: char device region 254:0 (2 minor(s), \"leaky\") still registered at unload: unregistered",
        ],
    );
    assert_eq!(
        k.cat("/proc/devices"),
        "Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n"
    );
    let dev: Vec<String> = k.cat("/dev").lines().map(str::to_string).collect();
    assert_eq!(dev, ["kmsg", "leaky1"]);
    let r = k.run(&["cat", "/dev/leaky1"]);
    assert_eq!(
        r.stderr,
        "lkm: cat: /dev/leaky1: No such device or address\n"
    );
}

#[test]
fn poll_and_a_blocking_read_wake_when_another_client_writes() {
    need_env!();
    let (k, _) = setup("cdev_wait", &["lkmpipe"]);
    let mut s = session(&k);
    let h = s.open("/dev/lkmpipe", libc::O_RDWR).unwrap();
    // Nothing to read: POLLIN times out (0), POLLOUT is there at once.
    let t = std::time::Instant::now();
    assert_eq!(s.poll(h, 1, 150).unwrap(), 0);
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    assert_eq!(s.poll(h, 4, 0).unwrap() & 4, 4);

    // A poll with a long timeout returns when another client's write wakes the driver's queue.
    let state = k.state.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut w = SandboxKernel::new(state)
            .session()
            .expect("session")
            .with_console(|_| {});
        let wh = w.open("/dev/lkmpipe", libc::O_WRONLY).unwrap();
        assert_eq!(w.write(wh, b"wake").unwrap(), 4);
        w.close(wh).unwrap();
    });
    let t = std::time::Instant::now();
    assert_eq!(s.poll(h, 1, 20_000).unwrap() & 1, 1);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    writer.join().unwrap();
    assert_eq!(s.read(h, 100).unwrap(), b"wake");

    // A read sleeps in wait_event_interruptible until the next write.
    let state = k.state.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut w = SandboxKernel::new(state)
            .session()
            .expect("session")
            .with_console(|_| {});
        let wh = w.open("/dev/lkmpipe", libc::O_WRONLY).unwrap();
        w.write(wh, b"later").unwrap();
        w.close(wh).unwrap();
    });
    assert_eq!(s.read(h, 100).unwrap(), b"later");
    writer.join().unwrap();
    s.close(h).unwrap();
    assert_eq!(refcnt(&k, "lkmpipe"), "0");
}

#[test]
fn sys_class_shows_classes_and_devices_as_udev_reads_them() {
    need_env!();
    let (k, _) = setup("cdev_sysclass", &["acme", "cdev_misc"]);
    let classes = k.ok(&["cat", "/sys/class"]);
    let classes: Vec<&str> = classes.lines().collect();
    assert!(
        classes.contains(&"acme") && classes.contains(&"misc"),
        "{classes:?}"
    );
    assert_eq!(k.ok(&["cat", "/sys/class/acme"]).trim(), "acme");
    assert_eq!(
        k.ok(&["cat", "/sys/class/acme/acme"])
            .lines()
            .collect::<Vec<_>>(),
        ["dev", "uevent"]
    );
    // dev is MAJOR:MINOR of the node /dev/acme, as /proc/devices and the node say.
    let dev = k.cat("/sys/class/acme/acme/dev");
    let major = k
        .cat("/proc/devices")
        .lines()
        .find_map(|l| l.trim().strip_suffix(" acme").map(str::to_string))
        .expect("acme in /proc/devices");
    assert_eq!(dev, format!("{major}:0\n"));
    assert_eq!(
        k.cat("/sys/class/acme/acme/uevent"),
        format!("MAJOR={major}\nMINOR=0\nDEVNAME=acme\n")
    );
    // Misc devices are in the misc class, major 10.
    let misc = k.ok(&["cat", "/sys/class/misc"]);
    let name = misc.lines().next().expect("a misc device");
    assert!(k
        .cat(&format!("/sys/class/misc/{name}/dev"))
        .starts_with("10:"));
    // Gone with the module.
    k.ok(&["rmmod", "acme"]);
    assert!(!k.ok(&["cat", "/sys/class"]).lines().any(|l| l == "acme"));
}

#[test]
fn rmmod_wait_removes_the_module_once_its_last_file_closes() {
    need_env!();
    let (k, _) = setup("cdev_rmmod_wait", &["acme"]);
    let mut s = session(&k);
    let h = s.open("/dev/acme", libc::O_RDONLY).unwrap();
    // Without -w: refused, as kmod does.
    let r = k.run(&["rmmod", "acme"]);
    assert_eq!(r.stderr, "rmmod: ERROR: Module acme is in use\n");
    // With -w (lkm; kmod 30 rejects the flag): it waits for the file to close.
    let mut waiter = k.cmd(&["rmmod", "-w", "acme"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "rmmod -w returned early"
    );
    assert!(k.ok(&["lsmod"]).contains("acme"));
    s.close(h).unwrap();
    let status = waiter.wait().unwrap();
    assert!(status.success());
    assert!(!k.ok(&["lsmod"]).contains("acme"));
}
