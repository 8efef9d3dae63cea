//! The client side: `SandboxKernel` implements the tools' `Kernel` trait over the control socket,
//! booting a sandbox kernel first when none runs. Console lines the kernel sends while serving a
//! request are printed on this process's stderr as they arrive, as a Linux console would show them.

use std::io::{self, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lkm_kernel_api::Kernel;

use crate::kernel::UTS_RELEASE;
use crate::protocol::{Reply, Request};
use crate::server::{LOG_NAME, PID_NAME, SOCKET_NAME};

/// The state directory: `--state DIR`, else `$LKM_STATE`, else `$XDG_RUNTIME_DIR/lkm`, else
/// `/tmp/lkm-$UID`.
pub fn state_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("LKM_STATE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("lkm");
    }
    // SAFETY: getuid has no preconditions.
    PathBuf::from(format!("/tmp/lkm-{}", unsafe { libc::getuid() }))
}

/// A connection to the sandbox kernel of one state directory.
pub struct SandboxKernel {
    state: PathBuf,
    /// Where console lines go (stderr for the CLI).
    console: Box<dyn Fn(&str) + Send + Sync>,
}

fn not_running(state: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        format!(
            "no sandbox kernel is running (state {}); 'lkm boot' starts one",
            state.display()
        ),
    )
}

impl SandboxKernel {
    /// A client for `state`; it does not connect yet.
    pub fn new(state: PathBuf) -> Self {
        SandboxKernel {
            state,
            console: Box::new(|line| {
                let _ = io::stderr().write_all(line.as_bytes());
            }),
        }
    }

    /// Sends console lines to `f` instead of stderr.
    pub fn with_console(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.console = Box::new(f);
        self
    }

    pub fn state(&self) -> &Path {
        &self.state
    }

    fn socket(&self) -> PathBuf {
        self.state.join(SOCKET_NAME)
    }

    /// Connects to the control socket: `None` when no kernel runs (no socket, or nobody listening
    /// on it); an error that says so when the socket cannot be reached (a kernel of another user:
    /// its state directory and socket are owner-only, so permission denied).
    fn connect(&self) -> io::Result<Option<UnixStream>> {
        let sock = self.socket();
        match UnixStream::connect(&sock) {
            Ok(s) => Ok(Some(s)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot connect to the sandbox kernel at {}: {}",
                    sock.display(),
                    lkm_modfile::strerror(&e)
                ),
            )),
        }
    }

    /// Whether a kernel answers on the socket; an error when its socket cannot be reached.
    pub fn probe(&self) -> io::Result<bool> {
        self.connect().map(|c| c.is_some())
    }

    /// Whether a kernel answers on the socket.
    pub fn running(&self) -> bool {
        matches!(self.probe(), Ok(true))
    }

    /// Sends one request, printing console lines; returns the payload or the kernel's errno.
    pub fn request(&self, req: &Request) -> io::Result<Vec<u8>> {
        let conn = self.connect()?.ok_or_else(|| not_running(&self.state))?;
        let mut w = conn.try_clone()?;
        // A kernel that refuses this client answers at once and closes, possibly before the
        // request is written: its answer is read even when writing failed.
        let write_err = req.write(&mut w).err();
        let mut r = BufReader::new(conn);
        loop {
            match Reply::read(&mut r as &mut dyn Read) {
                Ok(Reply::Console(line)) => (self.console)(&line),
                Ok(Reply::Done { errno: 0, payload }) => return Ok(payload),
                Ok(Reply::Done { errno, payload }) if !payload.is_empty() => {
                    return Err(io::Error::new(
                        io::Error::from_raw_os_error(errno).kind(),
                        String::from_utf8_lossy(&payload).into_owned(),
                    ))
                }
                Ok(Reply::Done { errno, .. }) => return Err(io::Error::from_raw_os_error(errno)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    if let Some(we) = write_err {
                        return Err(we);
                    }
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        format!(
                            "the sandbox kernel closed the connection (see {})",
                            self.state.join(LOG_NAME).display()
                        ),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Boots a kernel if none runs: starts `exe __kernel --state DIR` in its own session, with its
    /// output in `DIR/kernel.log`, and waits until it answers. Returns whether one was started.
    pub fn ensure_running(&self, exe: &Path) -> io::Result<bool> {
        if self.probe()? {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.state)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.state, std::fs::Permissions::from_mode(0o700))?;
        }
        let log = std::fs::File::create(self.state.join(LOG_NAME))?;
        let mut cmd = Command::new(exe);
        cmd.arg("__kernel")
            .arg("--state")
            .arg(&self.state)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // SAFETY: setsid in the child before exec only detaches it from our terminal session, so
        // the kernel outlives this command and its signals.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        // Poll often at first (a boot takes about a millisecond), less often later.
        let mut pause = Duration::from_micros(50);
        while Instant::now() < deadline {
            if self.running() {
                return Ok(true);
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.state.join(LOG_NAME)).unwrap_or_default();
                return Err(io::Error::other(format!(
                    "the sandbox kernel exited at boot ({status}): {}",
                    log.trim()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(2));
        }
        Err(io::Error::other(format!(
            "the sandbox kernel did not answer within 10 s (see {})",
            self.state.join(LOG_NAME).display()
        )))
    }

    /// Stops the kernel; returns whether one was running.
    pub fn halt(&self) -> io::Result<bool> {
        if !self.probe()? {
            return Ok(false);
        }
        let pid = std::fs::read_to_string(self.state.join(PID_NAME))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        // The kernel closes the connection as it exits; only a refusal is an error.
        if let Err(e) = self.request(&Request::Halt) {
            if e.kind() == io::ErrorKind::PermissionDenied {
                return Err(e);
            }
        }
        // Wait for the process to be gone, so a following boot starts clean. A zombie (the kernel
        // was started by this process, which has not reaped it) counts as gone.
        if let Some(pid) = pid {
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut pause = Duration::from_micros(50);
            while Instant::now() < deadline && process_alive(pid) {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(2));
            }
        }
        Ok(true)
    }

    pub fn status(&self) -> io::Result<String> {
        self.request(&Request::Status)
            .map(|p| String::from_utf8_lossy(&p).into_owned())
    }
}

/// Whether process `pid` exists and is not a zombie.
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(_) => false,
    }
}

fn done(r: io::Result<Vec<u8>>) -> io::Result<()> {
    r.map(|_| ())
}

impl Kernel for SandboxKernel {
    fn release(&self) -> io::Result<String> {
        Ok(UTS_RELEASE.to_string())
    }

    fn init_module(&self, image: &[u8], params: &str) -> io::Result<()> {
        done(self.request(&Request::InitModule {
            image: image.to_vec(),
            params: params.to_string(),
            flags: 0,
        }))
    }

    fn finit_module(&self, file: &std::fs::File, params: &str, flags: u32) -> io::Result<()> {
        let mut image = Vec::new();
        let mut f = file;
        f.read_to_end(&mut image)?;
        done(self.request(&Request::InitModule {
            image,
            params: params.to_string(),
            flags,
        }))
    }

    fn delete_module(&self, name: &str, flags: u32) -> io::Result<()> {
        done(self.request(&Request::DeleteModule {
            name: name.to_string(),
            flags,
        }))
    }

    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        self.request(&Request::ReadFile {
            path: path.to_string(),
        })
    }

    fn write_file(&self, path: &str, data: &[u8]) -> io::Result<()> {
        done(self.request(&Request::WriteFile {
            path: path.to_string(),
            data: data.to_vec(),
        }))
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        let p = self.request(&Request::ReadDir {
            path: path.to_string(),
        })?;
        Ok(String::from_utf8_lossy(&p)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

/// One connection to the sandbox kernel carrying several requests: files opened on it stay open
/// until closed or until the session is dropped (the kernel then releases them, as at a process's
/// exit).
pub struct Session {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    console: Box<dyn Fn(&str) + Send + Sync>,
}

/// A file handle of a [`Session`].
pub type Handle = u64;

fn u64_of(p: &[u8]) -> io::Result<u64> {
    p.get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "short reply"))
}

impl SandboxKernel {
    /// Opens a session (a connection of its own) to the running kernel.
    pub fn session(&self) -> io::Result<Session> {
        let conn = self.connect()?.ok_or_else(|| not_running(&self.state))?;
        let console = self.console_clone();
        Ok(Session {
            writer: conn.try_clone()?,
            reader: BufReader::new(conn),
            console,
        })
    }

    fn console_clone(&self) -> Box<dyn Fn(&str) + Send + Sync> {
        // Console lines of a session go to stderr (the session outlives borrows of self).
        Box::new(|line| {
            let _ = io::stderr().write_all(line.as_bytes());
        })
    }
}

impl Session {
    /// Sends console lines to `f` instead of stderr.
    pub fn with_console(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.console = Box::new(f);
        self
    }

    /// Sends one request on this connection; returns the payload or the kernel's errno.
    pub fn request(&mut self, req: &Request) -> io::Result<Vec<u8>> {
        req.write(&mut self.writer)?;
        loop {
            match Reply::read(&mut self.reader as &mut dyn Read)? {
                Reply::Console(line) => (self.console)(&line),
                Reply::Done { errno: 0, payload } => return Ok(payload),
                Reply::Done { errno, payload } if !payload.is_empty() => {
                    return Err(io::Error::new(
                        io::Error::from_raw_os_error(errno).kind(),
                        String::from_utf8_lossy(&payload).into_owned(),
                    ))
                }
                Reply::Done { errno, .. } => return Err(io::Error::from_raw_os_error(errno)),
            }
        }
    }

    /// `open(path, flags)` of a `/dev` node.
    pub fn open(&mut self, path: &str, flags: i32) -> io::Result<Handle> {
        u64_of(&self.request(&Request::Open {
            path: path.to_string(),
            flags,
        })?)
    }

    /// `read(h, count)`.
    pub fn read(&mut self, h: Handle, count: usize) -> io::Result<Vec<u8>> {
        self.request(&Request::Read {
            handle: h,
            count: count.min(u32::MAX as usize) as u32,
        })
    }

    /// `write(h, data)`: the count written.
    pub fn write(&mut self, h: Handle, data: &[u8]) -> io::Result<usize> {
        u64_of(&self.request(&Request::Write {
            handle: h,
            data: data.to_vec(),
        })?)
        .map(|n| n as usize)
    }

    /// `ioctl(h, cmd, arg)` with an integer argument: the return value.
    pub fn ioctl(&mut self, h: Handle, cmd: u32, arg: u64) -> io::Result<i64> {
        let p = self.request(&Request::Ioctl {
            handle: h,
            cmd,
            arg,
            buf: None,
        })?;
        Ok(u64_of(&p)? as i64)
    }

    /// `ioctl(h, cmd, &buf)`: the argument points to a copy of `buf` in the kernel's user window;
    /// returns the return value and the buffer as the driver left it.
    pub fn ioctl_buf(&mut self, h: Handle, cmd: u32, buf: &[u8]) -> io::Result<(i64, Vec<u8>)> {
        let p = self.request(&Request::Ioctl {
            handle: h,
            cmd,
            arg: 0,
            buf: Some(buf.to_vec()),
        })?;
        Ok((u64_of(&p)? as i64, p[8..].to_vec()))
    }

    /// `lseek(h, offset, whence)`: the new position.
    pub fn llseek(&mut self, h: Handle, offset: i64, whence: u32) -> io::Result<i64> {
        Ok(u64_of(&self.request(&Request::Llseek {
            handle: h,
            offset,
            whence,
        })?)? as i64)
    }

    /// `poll` of one file: the revents (0 on timeout).
    pub fn poll(&mut self, h: Handle, events: u32, timeout_ms: u32) -> io::Result<u32> {
        let p = self.request(&Request::Poll {
            handle: h,
            events,
            timeout_ms,
        })?;
        p.get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "short reply"))
    }

    /// `close(h)`.
    pub fn close(&mut self, h: Handle) -> io::Result<()> {
        self.request(&Request::Close { handle: h }).map(|_| ())
    }

    /// `mknod(path, S_IFCHR | perm, dev)` in the sandbox's `/dev`.
    pub fn mknod(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.request(&Request::Mknod {
            path: path.to_string(),
            mode: 0o020000 | (perm & 0o7777),
            dev: (major << 20) | (minor & 0xfffff),
        })
        .map(|_| ())
    }
}
