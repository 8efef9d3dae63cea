//! The sandbox kernel's commands: `boot`, `halt`, `status`, `dmesg`, `cat`, `write`, and the client
//! the kmod tools use when run as `lkm insmod|rmmod|lsmod`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use lkm_kernel_api::Kernel;
use lkm_printk::dmesg::{self, KmsgSource};
use lkm_printk::log::{parse_kmsg, Record};
use lkm_sandbox::protocol::Request;
use lkm_sandbox::SandboxKernel;

/// `--state DIR` given before the command.
static STATE: OnceLock<PathBuf> = OnceLock::new();

/// Takes a leading `--state DIR` / `--state=DIR` out of `args` (after the program name and an
/// optional `--host`). Returns an error message for `--state` without a value.
pub fn take_state_option(args: &mut Vec<OsString>) -> Result<(), String> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_string_lossy().into_owned();
        if a == "--host" {
            i += 1;
            continue;
        }
        if a == "--state" {
            let Some(dir) = args.get(i + 1).cloned() else {
                return Err("lkm: option '--state' needs a directory".into());
            };
            let _ = STATE.set(PathBuf::from(dir));
            args.drain(i..i + 2);
            continue;
        }
        if let Some(dir) = a.strip_prefix("--state=") {
            let _ = STATE.set(PathBuf::from(dir));
            args.remove(i);
            continue;
        }
        break;
    }
    Ok(())
}

pub fn client() -> SandboxKernel {
    SandboxKernel::new(lkm_sandbox::state_dir(STATE.get().map(PathBuf::as_path)))
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find this program's own path: {e}"))
}

/// A client to a running kernel, booting one first if none runs (and saying so on stderr).
pub fn running_client() -> Result<SandboxKernel, String> {
    let c = client();
    match c.ensure_running(&exe()?) {
        Ok(true) => {
            eprintln!(
                "lkm: no sandbox kernel was running; booted one (state {})",
                c.state().display()
            );
            Ok(c)
        }
        // A kernel runs, but it may serve only its owner (its socket was made reachable): say so
        // here rather than as a failing read of /proc/modules.
        Ok(false) => match c.status() {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(e.to_string()),
            _ => Ok(c),
        },
        // Its socket cannot be reached: another user's kernel.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(e.to_string()),
        Err(e) => Err(format!("cannot boot the sandbox kernel: {e}")),
    }
}

/// The kernel `lkm insmod`, `lkm rmmod` and `lkm lsmod` act on.
pub fn sandbox_kernel() -> Result<Box<dyn Kernel>, String> {
    Ok(Box::new(running_client()?))
}

/// `lkm __kernel --state DIR`: the kernel process itself (started by `boot`).
pub fn kernel_process(args: &[OsString]) -> i32 {
    let state = match args {
        [flag, dir, ..] if flag == "--state" => PathBuf::from(dir),
        _ => lkm_sandbox::state_dir(None),
    };
    lkm_sandbox::server::set_mount_service(lkm_sandbox::server::MountService {
        mount: lkm_fusefs::mount,
        umount: lkm_fusefs::umount,
        umount_all: lkm_fusefs::umount_all,
    });
    match lkm_sandbox::server::kernel_main(&state) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lkm: sandbox kernel: {e}");
            1
        }
    }
}

pub fn boot(mount_dir: Option<&str>) -> i32 {
    let r = boot_kernel();
    match (r, mount_dir) {
        (0, Some(dir)) => mount(dir),
        (r, _) => r,
    }
}

/// The absolute path the kernel process is given for `dir`.
fn mount_path(dir: &str) -> Result<String, String> {
    std::path::Path::new(dir)
        .canonicalize()
        .map(|p| p.to_string_lossy().into_owned())
        .map_err(|e| format!("{dir}: {e}"))
}

/// `lkm mount DIR`: the running kernel shows its `/dev`, `/proc` and `/sys` under DIR (FUSE).
pub fn mount(dir: &str) -> i32 {
    let path = match mount_path(dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("lkm: ERROR: cannot mount: {e}");
            return 1;
        }
    };
    let c = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    match c.request(&Request::Mount { dir: path.clone() }) {
        Ok(_) => {
            println!("lkm: sandbox /dev, /proc and /sys mounted on {path}");
            0
        }
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            eprintln!(
                "lkm: 'lkm cat', 'lkm write' and 'lkm ioctl' still reach the sandbox's files"
            );
            1
        }
    }
}

/// `lkm umount DIR`.
pub fn umount(dir: &str) -> i32 {
    let path = mount_path(dir).unwrap_or_else(|_| dir.to_string());
    let c = client();
    match c.request(&Request::Umount { dir: path }) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            1
        }
    }
}

fn boot_kernel() -> i32 {
    let c = client();
    let exe = match exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    match c.ensure_running(&exe) {
        Ok(started) => {
            let status = c.status().unwrap_or_default();
            let pid = field(&status, "pid").unwrap_or("?");
            if started {
                println!(
                    "lkm: sandbox kernel {} booted (pid {pid}, state {})",
                    lkm_sandbox::kernel::UTS_RELEASE,
                    c.state().display()
                );
            } else {
                println!(
                    "lkm: sandbox kernel already running (pid {pid}, state {})",
                    c.state().display()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("lkm: ERROR: cannot boot the sandbox kernel: {e}");
            1
        }
    }
}

pub fn halt() -> i32 {
    let c = client();
    match c.halt() {
        Ok(true) => {
            println!("lkm: sandbox kernel halted (state {})", c.state().display());
            0
        }
        Ok(false) => {
            println!(
                "lkm: no sandbox kernel is running (state {})",
                c.state().display()
            );
            0
        }
        Err(e) => {
            eprintln!("lkm: ERROR: cannot halt the sandbox kernel: {e}");
            1
        }
    }
}

fn field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
}

/// `lkm status`: exit 0 and a summary when a kernel runs, 3 when none does (as `systemctl status`).
pub fn status() -> i32 {
    let c = client();
    let running = match c.probe() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    if !running {
        println!(
            "lkm: no sandbox kernel is running (state {}); 'lkm boot' starts one",
            c.state().display()
        );
        return 3;
    }
    match c.status() {
        Ok(s) => {
            println!(
                "lkm: sandbox kernel {} running (pid {}, state {})",
                field(&s, "release").unwrap_or("?"),
                field(&s, "pid").unwrap_or("?"),
                c.state().display()
            );
            println!("  uptime:  {} s", field(&s, "uptime").unwrap_or("?"));
            println!("  modules: {}", field(&s, "modules").unwrap_or("?"));
            println!("  tainted: {}", field(&s, "tainted").unwrap_or("?"));
            // The last successful load, timed inside the kernel: request receipt → init return.
            if let Some(l) = field(&s, "last_load") {
                if let [name, total, init] = l.split(' ').collect::<Vec<_>>()[..] {
                    println!("  last load: {name} in {total} us (init {init} us)");
                }
            }
            0
        }
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            1
        }
    }
}

/// `lkm cat PATH...`: prints files of the sandbox's /proc, /sys and /dev/kmsg.
pub fn cat(paths: &[String]) -> i32 {
    let c = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    let mut status = 0;
    let mut out = io::stdout().lock();
    for p in paths {
        match c.read_file(p) {
            Ok(data) => {
                let _ = out.write_all(&data);
            }
            Err(e) if e.raw_os_error() == Some(libc::EISDIR) => match c.read_dir(p) {
                Ok(names) => {
                    for n in names {
                        let _ = writeln!(out, "{n}");
                    }
                }
                Err(e) => {
                    eprintln!("lkm: cat: {p}: {}", lkm_modfile::strerror(&e));
                    status = 1;
                }
            },
            Err(e) => {
                eprintln!("lkm: cat: {p}: {}", lkm_modfile::strerror(&e));
                status = 1;
            }
        }
    }
    status
}

/// `lkm write PATH VALUE`: writes VALUE and a newline, as `echo VALUE > PATH` does.
pub fn write(path: &str, value: &str) -> i32 {
    let c = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    match c.write_file(path, format!("{value}\n").as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lkm: write: {path}: {}", lkm_modfile::strerror(&e));
            1
        }
    }
}

/// The sandbox's log as dmesg reads it.
struct SandboxKmsg {
    client: SandboxKernel,
}

fn parse_records(payload: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(payload)
        .lines()
        .filter_map(|l| parse_kmsg(&format!("{l}\n")).ok())
        .collect()
}

impl KmsgSource for SandboxKmsg {
    fn read_all(&mut self) -> io::Result<Vec<Record>> {
        Ok(parse_records(&self.client.read_file("/dev/kmsg")?))
    }
    fn wait_newer(&mut self, after_seq: Option<u64>) -> io::Result<Vec<Record>> {
        loop {
            let p = self.client.request(&Request::WaitLog {
                after: after_seq,
                timeout_ms: 1000,
            })?;
            let records = parse_records(&p);
            if !records.is_empty() {
                return Ok(records);
            }
        }
    }
    fn clear(&mut self) -> io::Result<()> {
        self.client.request(&Request::ClearLog).map(|_| ())
    }
    fn read_clear(&mut self) -> io::Result<Vec<Record>> {
        Ok(parse_records(&self.client.request(&Request::ReadClearLog)?))
    }
    fn set_console_level(&mut self, level: u8) -> io::Result<()> {
        self.client
            .request(&Request::ConsoleLevel {
                level: level as i32,
            })
            .map(|_| ())
    }
    fn boot_wall_secs(&mut self) -> io::Result<f64> {
        let s = self.client.status()?;
        let uptime: f64 = field(&s, "uptime")
            .and_then(|u| u.parse().ok())
            .unwrap_or(0.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Ok(now - uptime)
    }
}

/// `lkm [--host] dmesg ARGS...`.
pub fn dmesg(args: &[String], host: bool) -> i32 {
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    if host {
        let mut src = dmesg::HostKmsg::default();
        return dmesg::run_dmesg(args, &mut src, &mut out, &mut err);
    }
    let client = match running_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    let mut src = SandboxKmsg { client };
    dmesg::run_dmesg(args, &mut src, &mut out, &mut err)
}

/// The SDK directory, installed on first use.
pub fn sdk_dir() -> Result<PathBuf, String> {
    lkm_sdk::install(&lkm_sandbox::services::symvers(), &exe()?).map_err(|e| {
        format!(
            "cannot install the SDK under {}: {e}",
            lkm_sdk::cache_root().display()
        )
    })
}

/// `lkm sdk`.
pub fn sdk() -> i32 {
    match sdk_dir() {
        Ok(d) => {
            println!("{}", d.display());
            0
        }
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            1
        }
    }
}

/// `lkm build [DIR]`: the SDK's build without make.
pub fn build(dir: Option<&str>, verbose: bool) -> i32 {
    let sdk = match sdk_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("lkm: ERROR: {e}");
            return 1;
        }
    };
    let dir = PathBuf::from(dir.unwrap_or("."));
    let extra = std::env::var("KBUILD_EXTRA_SYMBOLS").unwrap_or_default();
    let opts = lkm_sdk::kbuild::BuildOptions {
        sdk: &sdk,
        dir: &dir,
        extra_symbols: extra.split_whitespace().map(PathBuf::from).collect(),
        modpost_warn: std::env::var_os("KBUILD_MODPOST_WARN").is_some_and(|v| !v.is_empty()),
        verbose,
    };
    match lkm_sdk::kbuild::build(&opts) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lkm: build: ERROR: {e}");
            1
        }
    }
}
