//! On-demand loading and symbol references, as `kernel/module/kmod.c` and `kernel/module/main.c`
//! provide them:
//!
//! - `request_module()` / `request_module_nowait()` run the program `/proc/sys/kernel/modprobe`
//!   names as a user-mode helper: `PATH -q -- NAME`, with the kernel's helper environment, in `/`,
//!   no terminal, and at most 50 at a time (others wait up to 5 s, then `-ETIME`). The sandbox's
//!   default is the `lkm` binary itself, run as `lkm --state STATE modprobe -q -- NAME`, so the
//!   name is looked up in the sandbox's own module tree and loaded into this kernel; any other path
//!   is run as Linux runs it. Waiting, the result is the helper's wait status (`exit code << 8`),
//!   as Linux returns it; not waiting, 0 once the helper started.
//! - `symbol_get()` / `symbol_put()` (`__symbol_get`, `__symbol_put`): the address of an exported
//!   symbol, holding a reference on the module that exports it. As since Linux 6.6, only
//!   `EXPORT_SYMBOL_GPL` symbols may be taken (`failing symbol_get of non-GPLONLY symbol X.`).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::kernel::{kernel, ModuleState};
use crate::mem;
use crate::services::{func_export, ExportEntry};

const ENOENT: i32 = 2;
const EINVAL: i32 = 22;
const ENAMETOOLONG: i32 = 36;
const ETIME: i32 = 62;
/// `MODULE_NAME_LEN`.
const MODULE_NAME_LEN: i32 = 56;
/// `KMOD_PATH_LEN`: the sysctl's buffer.
const KMOD_PATH_LEN: usize = 256;
const MAX_KMOD_CONCURRENT: usize = 50;
const MAX_KMOD_ALL_BUSY_TIMEOUT: u64 = 5;

static STATE_DIR: OnceLock<PathBuf> = OnceLock::new();
/// `modprobe_path`; `None` until written: the `lkm` binary.
static MODPROBE_PATH: Mutex<Option<String>> = Mutex::new(None);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// The kernel's state directory (where its module tree is), set once at boot.
pub fn set_state_dir(dir: PathBuf) {
    let _ = STATE_DIR.set(dir);
}

fn own_exe() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/proc/self/exe".into())
}

fn modprobe_path() -> String {
    MODPROBE_PATH
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(own_exe)
}

/// `/proc/sys/kernel/modprobe`.
pub fn sysctl_read() -> String {
    format!("{}\n", modprobe_path())
}

/// Writing `/proc/sys/kernel/modprobe` (`proc_dostring`: up to the first newline, at most 255
/// bytes; an empty path turns on-demand loading off).
pub fn sysctl_write(data: &[u8]) -> Result<(), i32> {
    let line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = &line[..line.len().min(KMOD_PATH_LEN - 1)];
    let path = String::from_utf8(line.to_vec()).map_err(|_| EINVAL)?;
    *MODPROBE_PATH.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
    Ok(())
}

/// The helper's command line: `lkm --state STATE modprobe -q -- NAME` for the sandbox's own
/// binary, `PATH -q -- NAME` for any other program.
fn helper_command(path: &str, name: &str) -> std::process::Command {
    let mut c = std::process::Command::new(path);
    if path == own_exe() {
        if let Some(state) = STATE_DIR.get() {
            c.arg("--state").arg(state);
        }
        c.arg("modprobe");
    } else {
        c.arg0(path);
    }
    c.args(["-q", "--", name])
        .env_clear()
        .envs([
            ("HOME", "/"),
            ("TERM", "linux"),
            ("PATH", "/sbin:/usr/sbin:/bin:/usr/bin"),
        ])
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    c
}

/// `__request_module(wait, name)`, after the C edge formatted the name (`len` is its full length).
#[no_mangle]
pub extern "C" fn lkm_request_module(wait: i32, name: u64, len: i32) -> i32 {
    let path = modprobe_path();
    if path.is_empty() {
        return -ENOENT;
    }
    if len >= MODULE_NAME_LEN {
        return -ENAMETOOLONG;
    }
    let name = String::from_utf8_lossy(
        &mem::read_cstr(name, MODULE_NAME_LEN as usize).unwrap_or_default(),
    )
    .into_owned();
    if wait != 0 {
        crate::services::sync::might_sleep("kernel/module/kmod.c", 136);
    }
    // kmod_concurrent_max: at most 50 helpers at once.
    let until = Instant::now() + Duration::from_secs(MAX_KMOD_ALL_BUSY_TIMEOUT);
    while RUNNING
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_KMOD_CONCURRENT).then_some(n + 1)
        })
        .is_err()
    {
        if Instant::now() >= until {
            kernel().printk(
                4,
                &format!(
                    "request_module: modprobe {name} cannot be processed, kmod busy with {MAX_KMOD_CONCURRENT} threads for more than {MAX_KMOD_ALL_BUSY_TIMEOUT} seconds now"
                ),
            );
            return -ETIME;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _blocked = crate::sched::current().blocked(crate::sched::TASK_KILLABLE);
    let r = match helper_command(&path, &name).spawn() {
        Err(e) => -e.raw_os_error().unwrap_or(ENOENT),
        Ok(mut child) if wait != 0 => match child.wait() {
            Ok(status) => status.into_raw(),
            Err(e) => -e.raw_os_error().unwrap_or(EINVAL),
        },
        Ok(mut child) => {
            // UMH_WAIT_EXEC: the helper runs on; someone must reap it.
            let _ = std::thread::Builder::new()
                .name("lkm-umh".into())
                .spawn(move || {
                    let _ = child.wait();
                    RUNNING.fetch_sub(1, Ordering::AcqRel);
                });
            return 0;
        }
    };
    RUNNING.fetch_sub(1, Ordering::AcqRel);
    r
}

fn symbol_name(p: u64) -> String {
    String::from_utf8_lossy(&mem::read_cstr(p, 512).unwrap_or_default()).into_owned()
}

/// `__symbol_get(name)`: the symbol's address with a reference on its module, or NULL.
pub extern "C" fn __symbol_get(name: u64) -> u64 {
    let name = symbol_name(name);
    let k = kernel();
    let Some((r, gpl_only)) = k.find_export(&name) else {
        return 0;
    };
    if !gpl_only {
        k.printk(
            4,
            &format!("failing symbol_get of non-GPLONLY symbol {name}."),
        );
        return 0;
    }
    // strong_try_module_get: a module still coming (-EBUSY) or going gives nothing.
    if let Some(m) = &r.owner {
        match m.state() {
            ModuleState::Live => {
                m.refcnt.fetch_add(1, Ordering::AcqRel);
            }
            _ => return 0,
        }
    }
    r.addr
}

/// `__symbol_put(name)`: drops the reference `__symbol_get` took. Linux BUGs on a name it cannot
/// find; the sandbox warns instead and goes on.
pub extern "C" fn __symbol_put(name: u64) {
    let name = symbol_name(name);
    match kernel().find_export(&name) {
        Some((r, _)) => {
            if let Some(m) = r.owner {
                m.refcnt.fetch_sub(1, Ordering::AcqRel);
            }
        }
        None => {
            let msg = format!("__symbol_put: no exported symbol {name}\n");
            crate::oops::warn_report(
                "kernel/module/main.c",
                0,
                Some(msg.as_bytes()),
                crate::oops::module_caller(),
                None,
            );
            kernel().add_taint(crate::kernel::taint::WARN);
        }
    }
}

/// This area's exports.
pub fn exports() -> Vec<ExportEntry> {
    extern "C" {
        fn __request_module();
    }
    vec![
        func_export("__request_module", __request_module as *const () as usize),
        func_export("__symbol_get", __symbol_get as *const () as usize).gpl(),
        func_export("__symbol_put", __symbol_put as *const () as usize),
    ]
}
