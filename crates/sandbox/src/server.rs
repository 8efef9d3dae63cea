//! The sandbox kernel process: boots the kernel, listens on the owner-only control socket in the
//! state directory, and serves each client connection on its own thread (the client's "process
//! context": a module's init runs on the thread of the `insmod` that loaded it).

use std::io::{BufReader, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::kernel::{self, kernel};
use crate::protocol::{Reply, Request};
use crate::{loader, printk, views};

pub const SOCKET_NAME: &str = "kernel.sock";
pub const PID_NAME: &str = "kernel.pid";
pub const LOG_NAME: &str = "kernel.log";

/// A FUSE front the kernel process serves `Mount` and `Umount` with (the `lkm-fusefs` crate,
/// registered by the program before `kernel_main`; the sandbox itself does not depend on it).
pub struct MountService {
    pub mount: fn(&Path) -> Result<(), String>,
    pub umount: fn(&Path) -> Result<(), String>,
    pub umount_all: fn(),
}

static MOUNT_SERVICE: std::sync::OnceLock<MountService> = std::sync::OnceLock::new();

/// Registers the FUSE front (once; later calls are ignored).
pub fn set_mount_service(s: MountService) {
    let _ = MOUNT_SERVICE.set(s);
}

fn mount_request(dir: &str, mount: bool) -> (i32, Vec<u8>) {
    let Some(s) = MOUNT_SERVICE.get() else {
        return (
            libc::ENOSYS,
            b"this sandbox kernel was built without its FUSE front".to_vec(),
        );
    };
    let f = if mount { s.mount } else { s.umount };
    match f(Path::new(dir)) {
        Ok(()) => (0, Vec::new()),
        Err(e) => (libc::EIO, e.into_bytes()),
    }
}

/// The kernel process's main: never returns unless it cannot start.
pub fn kernel_main(state: &Path) -> Result<(), String> {
    // The arena must be reserved before other threads or large allocations exist.
    kernel::boot()?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state)
        .map_err(|e| format!("cannot create the state directory {}: {e}", state.display()))?;
    let sock = state.join(SOCKET_NAME);
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock)
        .map_err(|e| format!("cannot listen on {}: {e}", sock.display()))?;
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", sock.display()))?;
    std::fs::write(state.join(PID_NAME), format!("{}\n", std::process::id()))
        .map_err(|e| format!("cannot write the pid file: {e}"))?;
    crate::services::kmod::set_state_dir(state.to_path_buf());
    let k = kernel();
    k.printk(6, &format!("lkm: control socket {}", sock.display()));
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let state = state.to_path_buf();
        let _ = std::thread::Builder::new()
            .name("lkm-client".into())
            .spawn(move || serve(conn, uid, &state));
    }
    Ok(())
}

/// The connected client's `(uid, pid)`.
fn peer_cred(conn: &UnixStream) -> Option<(u32, i32)> {
    use std::os::unix::io::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: SO_PEERCRED fills a `ucred` of the size passed; the fd is a connected Unix socket.
    let r = unsafe {
        libc::getsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some((cred.uid, cred.pid))
}

/// Makes this thread's task look like the client process's system call: its pid and command name
/// (what `current->pid`, `current->comm` and oops reports show).
fn set_comm(name: &str) {
    crate::sched::set_current_identity(CLIENT_PID.with(|p| p.get()), name);
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from `buf`.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr()) };
}

/// The client process's command name (`/proc/PID/comm`), for requests made in its own name.
fn client_comm() -> String {
    let pid = CLIENT_PID.with(|p| p.get());
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| "lkm".into())
}

thread_local! {
    /// The pid of the client this thread serves.
    static CLIENT_PID: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

fn serve(conn: UnixStream, uid: u32, state: &Path) {
    let writer = match conn.try_clone() {
        Ok(w) => Arc::new(Mutex::new(BufWriter::new(w))),
        Err(_) => return,
    };
    let send = |reply: Reply| {
        let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
        let _ = reply.write(&mut *w);
    };
    let cred = peer_cred(&conn);
    CLIENT_PID.with(|p| p.set(cred.map(|c| c.1).unwrap_or(0)));
    if cred.map(|c| c.0) != Some(uid) {
        send(Reply::Done {
            errno: libc::EACCES,
            payload: format!(
                "the sandbox kernel (state {}) serves only its owner, uid {uid}",
                state.display()
            )
            .into_bytes(),
        });
        return;
    }
    // A client that goes away while its request runs signals the request's task (services/sync.rs).
    let hangup = crate::services::sync::HangupWatch::new(&conn);
    let mut reader = BufReader::new(conn);
    loop {
        let req = match Request::read(&mut reader) {
            Ok(r) => r,
            Err(_) => {
                // The client closed its connection or died: its open files are released, in
                // its context (services/chardev.rs).
                printk::with_console(
                    Box::new(|_: &str| {}),
                    crate::services::chardev::release_all,
                );
                return;
            }
        };
        let received = Instant::now();
        let console_writer = writer.clone();
        let sink: printk::ConsoleSink = Box::new(move |line: &str| {
            let mut w = console_writer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = Reply::Console(line.to_string()).write(&mut *w);
        });
        let halt = matches!(req, Request::Halt);
        if let Some(h) = &hangup {
            h.begin();
        }
        let (errno, payload) = printk::with_console(sink, || handle(req, received));
        if let Some(h) = &hangup {
            h.end();
        }
        send(Reply::Done { errno, payload });
        if halt {
            if let Some(s) = MOUNT_SERVICE.get() {
                (s.umount_all)();
            }
            let _ = std::fs::remove_file(state.join(SOCKET_NAME));
            let _ = std::fs::remove_file(state.join(PID_NAME));
            let _ = writer.lock().map(|mut w| w.flush());
            std::process::exit(0);
        }
    }
}

fn result(r: Result<Vec<u8>, i32>) -> (i32, Vec<u8>) {
    match r {
        Ok(p) => (0, p),
        Err(e) => (e, Vec::new()),
    }
}

/// Serves one request, received (read whole from the socket) at `received`.
fn handle(req: Request, received: Instant) -> (i32, Vec<u8>) {
    let k = kernel();
    match req {
        Request::InitModule {
            image,
            params,
            flags,
        } => {
            set_comm("insmod");
            result(loader::load_module_since(received, &image, &params, flags).map(|_| Vec::new()))
        }
        Request::DeleteModule { name, flags } => {
            set_comm("rmmod");
            result(loader::delete_module(&name, flags).map(|_| Vec::new()))
        }
        Request::ReadFile { path } => {
            set_comm("cat");
            result(views::read_file(&path))
        }
        Request::WriteFile { path, data } => {
            set_comm("tee");
            result(views::write_file(&path, &data).map(|_| Vec::new()))
        }
        Request::ReadDir { path } => result(views::read_dir(&path).map(|v| {
            let mut s = v.join("\n");
            if !s.is_empty() {
                s.push('\n');
            }
            s.into_bytes()
        })),
        Request::WaitLog { after, timeout_ms } => {
            let records = k
                .log
                .wait_after(after, Some(Duration::from_millis(timeout_ms as u64)));
            let text: String = records.iter().map(lkm_printk::log::format_kmsg).collect();
            (0, text.into_bytes())
        }
        Request::ReadClearLog => {
            let text: String = k
                .log
                .read_clear()
                .iter()
                .map(lkm_printk::log::format_kmsg)
                .collect();
            (0, text.into_bytes())
        }
        Request::ClearLog => {
            k.log.clear();
            (0, Vec::new())
        }
        Request::ConsoleLevel { level } => match k.log.syslog_console_level(level) {
            Ok(()) => (0, Vec::new()),
            Err(_) => (libc::EINVAL, Vec::new()),
        },
        Request::Status => {
            let modules = k.modules().len();
            let mut text = format!(
                "pid {}\nrelease {}\nuptime {:.3}\nmodules {}\ntainted {}\n",
                std::process::id(),
                kernel::UTS_RELEASE,
                k.boot.elapsed().as_secs_f64(),
                modules,
                k.tainted.load(std::sync::atomic::Ordering::Acquire)
            );
            // `last_load NAME TOTAL_US INIT_US`: the last successful load, timed in the kernel
            // from the request's receipt to init's return.
            if let Some(t) = loader::last_load() {
                text.push_str(&format!(
                    "last_load {} {} {}\n",
                    t.name,
                    t.total.as_micros(),
                    t.init.as_micros()
                ));
            }
            (0, text.into_bytes())
        }
        Request::Halt => {
            k.printk(5, "reboot: System halted");
            (0, Vec::new())
        }
        Request::Mount { dir } => mount_request(&dir, true),
        Request::Umount { dir } => mount_request(&dir, false),
        // File sessions on `/dev` nodes (services/chardev.rs), in the client's process context.
        req @ (Request::Open { .. }
        | Request::Read { .. }
        | Request::Write { .. }
        | Request::Ioctl { .. }
        | Request::Llseek { .. }
        | Request::Poll { .. }
        | Request::Close { .. }
        | Request::Mknod { .. }
        | Request::Unlink { .. }) => {
            set_comm(&client_comm());
            result(crate::services::chardev::handle_request(req))
        }
    }
}
