//! Stress: 4 clients × 1000 load/unload cycles against one sandbox kernel, through the client API
//! (`SandboxKernel` as `lkm_kernel_api::Kernel`), every outcome checked, and the kernel process's
//! memory must not grow with the number of cycles.
//!
//! Each client owns its modules, so no cycle races another client's: `stressN` (hello.c under
//! another name) and `paramsN` (params.c, with per-cycle arguments read back through sysfs). The
//! export pair `provider`/`consumer` exports fixed symbol names, so it cannot be loaded twice at
//! once; the clients take turns with it under a lock (client N on cycles ≡ N mod 4).
//!
//! The modules are built once with make against the SDK (`LKM_SDK_CACHE` in a temporary directory);
//! the kernel runs under a unique state directory and is halted by a drop guard. VmRSS of the
//! kernel process is read after a warm-up of 100 cycles and after the run: it may differ by at most
//! [`RSS_SLACK_KIB`].

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use lkm_kernel_api::Kernel;
use lkm_sandbox::SandboxKernel;

const CLIENTS: usize = 4;
const CYCLES: usize = 1000;
const WARMUP: usize = 100;
const RSS_SLACK_KIB: u64 = 2048;

fn lkm() -> &'static str {
    env!("CARGO_BIN_EXE_lkm")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn tool_missing(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
}

/// Removes the temporary directories and halts the kernel, however the test ends.
struct Guard {
    state: PathBuf,
    dirs: Vec<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new(lkm())
            .arg("--state")
            .arg(&self.state)
            .arg("halt")
            .output();
        if !std::thread::panicking() {
            for d in &self.dirs {
                let _ = std::fs::remove_dir_all(d);
            }
        } else {
            eprintln!(
                "stress: kept {} (kernel.log) for a look",
                self.state.display()
            );
        }
    }
}

fn unique_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Under /tmp: the control socket's path must stay within sun_path's 108 bytes.
    let d = std::env::temp_dir().join(format!("lkm-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Builds all modules in `dir`; returns their images by module name.
fn build_modules(dir: &Path, sdk_cache: &Path) -> Vec<(String, Vec<u8>)> {
    let out = Command::new(lkm())
        .arg("sdk")
        .env("LKM_SDK_CACHE", sdk_cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lkm sdk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdk = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let hello = std::fs::read(examples().join("hello/hello.c")).unwrap();
    let params = std::fs::read(examples().join("params/params.c")).unwrap();
    let mut names = Vec::new();
    for i in 0..CLIENTS {
        std::fs::write(dir.join(format!("stress{i}.c")), &hello).unwrap();
        std::fs::write(dir.join(format!("params{i}.c")), &params).unwrap();
        names.push(format!("stress{i}"));
        names.push(format!("params{i}"));
    }
    for m in ["provider", "consumer"] {
        std::fs::copy(
            examples().join(format!("export/{m}.c")),
            dir.join(format!("{m}.c")),
        )
        .unwrap();
        names.push(m.to_string());
    }
    let objs: Vec<String> = names.iter().map(|n| format!("{n}.o")).collect();
    std::fs::write(dir.join("Kbuild"), format!("obj-m := {}\n", objs.join(" "))).unwrap();
    let t = Instant::now();
    let out = Command::new("make")
        .arg("-C")
        .arg(&sdk)
        .arg(format!("M={}", dir.display()))
        .arg(format!("-j{}", CLIENTS))
        .arg("modules")
        .env("LKM_SDK_CACHE", sdk_cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "stress: built {} modules in {:.1} s",
        names.len(),
        t.elapsed().as_secs_f64()
    );
    names
        .into_iter()
        .map(|n| {
            let image = std::fs::read(dir.join(format!("{n}.ko"))).unwrap();
            (n, image)
        })
        .collect()
}

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

fn errno(r: io::Result<()>) -> Option<i32> {
    r.err().map(|e| e.raw_os_error().unwrap_or(-1))
}

fn read(k: &SandboxKernel, path: &str) -> String {
    let data = k
        .read_file(path)
        .unwrap_or_else(|e| panic!("read {path}: {e}"));
    String::from_utf8(data).unwrap()
}

struct Images<'a> {
    hello: &'a [u8],
    params: &'a [u8],
    provider: &'a [u8],
    consumer: &'a [u8],
}

/// One cycle of client `c`; `export` is the lock the clients share for the export pair.
fn cycle(k: &SandboxKernel, c: usize, n: usize, img: &Images<'_>, export: &Mutex<()>) {
    let ctx = |what: &str| format!("client {c} cycle {n}: {what}");
    let hello = format!("stress{c}");
    if let Err(e) = k.init_module(img.hello, "") {
        panic!("{}: {e}", ctx(&format!("insmod {hello}")));
    }
    assert_eq!(
        read(k, &format!("/sys/module/{hello}/initstate")),
        "live\n",
        "{}",
        ctx("initstate")
    );
    if let Err(e) = k.delete_module(&hello, 0) {
        panic!("{}: {e}", ctx(&format!("rmmod {hello}")));
    }
    if n % 10 == 0 {
        // Really gone: a second unload finds nothing.
        assert_eq!(
            errno(k.delete_module(&hello, 0)),
            Some(libc::ENOENT),
            "{}",
            ctx("second rmmod")
        );
    }

    let params = format!("params{c}");
    let args = format!("myint={n} mystring=c{c}n{n} mycharp=charp{n}");
    if let Err(e) = k.init_module(img.params, &args) {
        panic!("{}: {e}", ctx(&format!("insmod {params} {args}")));
    }
    assert_eq!(
        read(k, &format!("/sys/module/{params}/parameters/myint")),
        format!("{n}\n"),
        "{}",
        ctx("myint")
    );
    if let Err(e) = k.delete_module(&params, 0) {
        panic!("{}: {e}", ctx(&format!("rmmod {params}")));
    }

    if n % CLIENTS == c {
        let _turn = export.lock().unwrap_or_else(|e| e.into_inner());
        k.init_module(img.provider, "")
            .unwrap_or_else(|e| panic!("{}: {e}", ctx("insmod provider")));
        k.init_module(img.consumer, "")
            .unwrap_or_else(|e| panic!("{}: {e}", ctx("insmod consumer")));
        assert_eq!(
            read(k, "/sys/module/provider/refcnt"),
            "1\n",
            "{}",
            ctx("provider refcnt with consumer loaded")
        );
        assert_eq!(
            errno(k.delete_module("provider", 0)),
            Some(libc::EWOULDBLOCK),
            "{}",
            ctx("rmmod provider while in use")
        );
        k.delete_module("consumer", 0)
            .unwrap_or_else(|e| panic!("{}: {e}", ctx("rmmod consumer")));
        assert_eq!(
            read(k, "/sys/module/provider/refcnt"),
            "0\n",
            "{}",
            ctx("provider refcnt after consumer left")
        );
        k.delete_module("provider", 0)
            .unwrap_or_else(|e| panic!("{}: {e}", ctx("rmmod provider")));
    }
}

#[test]
fn four_clients_thousand_cycles_no_growth() {
    for tool in ["gcc", "make"] {
        if tool_missing(tool) {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is needed for this test"
            );
            eprintln!("stress: skipped: {tool} is missing (apt-get install build-essential)");
            return;
        }
    }
    let build = unique_dir("stress-build");
    let sdk_cache = unique_dir("stress-sdk");
    let state = unique_dir("stress-state");
    let _guard = Guard {
        state: state.clone(),
        dirs: vec![build.clone(), sdk_cache.clone(), state.clone()],
    };
    let modules = build_modules(&build, &sdk_cache);
    let image = |name: &str| -> &[u8] {
        &modules
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name}.ko was not built"))
            .1
    };

    let t = Instant::now();
    let out = Command::new(lkm())
        .arg("--state")
        .arg(&state)
        .arg("boot")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lkm boot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "stress: booted in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let pid: u32 = std::fs::read_to_string(state.join("kernel.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let client = || SandboxKernel::new(state.clone()).with_console(|_| {});
    let k = client();

    let export = Mutex::new(());
    let stop = AtomicBool::new(false);
    // The clients and this thread meet after the warm-up (RSS read) and before the main run.
    let barrier = Barrier::new(CLIENTS + 1);
    let mut rss_warm = 0;
    let mut warm_time = Duration::ZERO;
    let t = Instant::now();
    std::thread::scope(|s| {
        let mut workers = Vec::new();
        for c in 0..CLIENTS {
            let (export, barrier, client, stop) = (&export, &barrier, &client, &stop);
            let hello = format!("stress{c}");
            let params = format!("params{c}");
            let img = Images {
                hello: image(&hello),
                params: image(&params),
                provider: image("provider"),
                consumer: image("consumer"),
            };
            workers.push(s.spawn(move || {
                let k = client();
                let mut failure = None;
                for n in 0..CYCLES {
                    if n == WARMUP {
                        barrier.wait();
                        barrier.wait();
                    }
                    // After a failure anywhere, stop cycling but keep meeting at the barrier so
                    // no thread is left waiting.
                    if failure.is_some() || stop.load(Ordering::Acquire) {
                        continue;
                    }
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        cycle(&k, c, n, &img, export)
                    }));
                    if let Err(p) = r {
                        stop.store(true, Ordering::Release);
                        failure = Some(p);
                    }
                }
                if let Some(p) = failure {
                    std::panic::resume_unwind(p);
                }
            }));
        }
        barrier.wait();
        warm_time = t.elapsed();
        rss_warm = vm_rss_kib(pid);
        barrier.wait();
        for w in workers {
            if let Err(p) = w.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    let total = t.elapsed();
    let rss_end = vm_rss_kib(pid);

    // Everything unloaded: /proc/modules empty, no /sys/module entries, status says 0 modules.
    assert_eq!(read(&k, "/proc/modules"), "", "/proc/modules after the run");
    assert_eq!(
        k.read_dir("/sys/module").unwrap(),
        Vec::<String>::new(),
        "/sys/module after the run"
    );
    for (name, _) in &modules {
        assert_eq!(
            k.read_file(&format!("/sys/module/{name}/refcnt"))
                .err()
                .and_then(|e| e.raw_os_error()),
            Some(libc::ENOENT),
            "{name} still has a refcnt"
        );
    }
    let status = k.status().unwrap();
    assert!(
        status.lines().any(|l| l == "modules 0"),
        "status after the run: {status}"
    );

    let loads = CLIENTS * CYCLES * 2 + CYCLES * 2;
    eprintln!(
        "stress: {CLIENTS} clients × {CYCLES} cycles ({loads} loads and unloads) in {:.2} s \
         ({:.0} µs per load+unload); warm-up ({WARMUP} cycles) {:.2} s",
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / loads as f64,
        warm_time.as_secs_f64()
    );
    eprintln!(
        "stress: kernel VmRSS {rss_warm} KiB after warm-up, {rss_end} KiB after the run ({:+} KiB)",
        rss_end as i64 - rss_warm as i64
    );
    assert!(
        rss_end <= rss_warm + RSS_SLACK_KIB,
        "the kernel's memory grew with the cycles: VmRSS {rss_warm} KiB after {WARMUP} cycles, \
         {rss_end} KiB after {CYCLES} (slack {RSS_SLACK_KIB} KiB)"
    );
}
