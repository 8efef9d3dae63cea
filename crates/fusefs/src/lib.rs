//! A FUSE front inside the sandbox kernel process: a mounted directory whose `dev`, `proc` and
//! `sys` are the sandbox's, so ordinary programs (`cat`, `echo >`, `dd`, Python's `open`) use them.
//!
//! - `/dev/<node>`: each FUSE open is a `chardev::open` (the `OpenFile` kept per FUSE file handle);
//!   reads, writes and ioctls go to the driver, in the calling process's name (`current->pid` and
//!   `comm` are the FUSE request's pid and its `/proc/<pid>/comm`).
//!   debugfs files with `file_operations` (`/sys/kernel/debug/…`) are opened the same way.
//! - Other files (`/proc`, `/sys`, `/dev/kmsg`): a snapshot of `views::read_file` taken at open,
//!   and each write is a `views::write_file`.
//!
//! Files are shown as regular files of size 0 opened with `FOPEN_DIRECT_IO` (a FUSE mount is
//! `nodev`, and the sizes are not known before reading), so every read reaches the filesystem.
//!
//! Requests are served by [`THREADS`] threads (each with its own `/dev/fuse` descriptor), so a
//! driver that blocks one caller does not hold up the others. A signal to a caller blocked in a
//! driver interrupts the driver's sleep: the [`signals`] watcher reads the caller's pending signals
//! from `/proc/<tid>/status` while its request sleeps (fuser does not pass on FUSE's own interrupt
//! requests), and the driver's `-ERESTARTSYS` reaches the caller as `EINTR`. `poll` waits on the
//! driver's wait queues and notifies the kernel when one is woken.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, SystemTime};

use fuser::{
    Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    IoctlFlags, LockOwner, MountOption, OpenFlags, PollEvents, PollFlags, PollNotifier, ReplyAttr,
    ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyIoctl, ReplyOpen, ReplyPoll,
    ReplyWrite, Request, SessionACL, TimeOrNow, WriteFlags,
};
use lkm_sandbox::services::chardev::{self, FileOps, IoctlArg, OpenFile};
use lkm_sandbox::services::debugfs;
use lkm_sandbox::views;

/// Attributes are not cached: nodes come and go with modules.
const TTL: Duration = Duration::ZERO;

/// Threads serving a mount: as many callers can be blocked in drivers at once.
pub const THREADS: usize = 8;

mod signals;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    /// A `/dev` node served by a driver.
    Dev,
    /// A view file (`/proc`, `/sys`, `/dev/kmsg`).
    View,
}

enum Handle {
    Dev(DevFile),
    View { path: String, snapshot: Vec<u8> },
}

/// An open `/dev` node.
struct DevFile {
    file: OpenFile,
    /// Where the caller's file position should be after the last read or write: a read or write at
    /// another offset follows an `lseek` (which FUSE handles without asking), passed on to the
    /// driver as `SEEK_SET`.
    pos: Mutex<u64>,
}

impl DevFile {
    /// Moves the driver's `f_pos` to FUSE's `offset` if the caller seeked.
    fn seek_to(&self, offset: u64) -> Result<(), i32> {
        let pos = *self.pos.lock().unwrap_or_else(|e| e.into_inner());
        if pos != offset {
            self.file.llseek(offset as i64, libc::SEEK_SET)?;
            *self.pos.lock().unwrap_or_else(|e| e.into_inner()) = offset;
        }
        Ok(())
    }

    fn advance(&self, offset: u64, n: usize) {
        *self.pos.lock().unwrap_or_else(|e| e.into_inner()) = offset + n as u64;
    }
}

#[derive(Default)]
struct Inodes {
    /// Inode `i + 1`'s sandbox path (`""` is the mount's root).
    paths: Vec<String>,
    by_path: HashMap<String, u64>,
}

impl Inodes {
    fn ino(&mut self, path: &str) -> u64 {
        if let Some(&i) = self.by_path.get(path) {
            return i;
        }
        self.paths.push(path.to_string());
        let i = self.paths.len() as u64;
        self.by_path.insert(path.to_string(), i);
        i
    }
}

struct SandboxFs {
    inodes: Mutex<Inodes>,
    handles: Mutex<HashMap<u64, Arc<Handle>>>,
    next_fh: Mutex<u64>,
    uid: u32,
    gid: u32,
    /// Poll notifications to send (a driver's wake-up runs under its wait queue's lock).
    notify: Mutex<mpsc::Sender<PollNotifier>>,
}

/// The caller's errno for a driver's: the restart codes, which never reach user space, are
/// `EINTR` (FUSE cannot restart a call).
fn errno(e: i32) -> Errno {
    const ERESTARTSYS: i32 = 512;
    const ERESTART_RESTARTBLOCK: i32 = 516;
    if (ERESTARTSYS..=ERESTART_RESTARTBLOCK).contains(&e) {
        return Errno::EINTR;
    }
    Errno::from_i32(e)
}

/// Makes this thread's task the calling process's (`current->pid`, `current->comm`) for the
/// request, and lets its signals reach the driver until the returned guard drops.
fn enter(req: &Request) -> signals::Serving {
    let pid = req.pid();
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| "fuse".into());
    lkm_sandbox::sched::set_current_identity(pid as i32, &comm);
    signals::Serving::begin(pid)
}

/// What `path` is in the sandbox, or `None` if it does not exist.
fn classify(path: &str) -> Option<Kind> {
    if path.is_empty() || views::read_dir(path).is_ok() {
        return Some(Kind::Dir);
    }
    if chardev::node(path).is_some() || debugfs::is_fops_file(path) {
        return Some(Kind::Dev);
    }
    let (parent, name) = path.rsplit_once('/')?;
    views::read_dir(parent)
        .ok()?
        .iter()
        .any(|n| n == name)
        .then_some(Kind::View)
}

fn child(parent: &str, name: &OsStr) -> Option<String> {
    let name = name.to_str()?;
    (!name.contains('/')).then(|| format!("{parent}/{name}"))
}

impl SandboxFs {
    fn path(&self, ino: INodeNo) -> Option<String> {
        let t = self.inodes.lock().unwrap_or_else(|e| e.into_inner());
        t.paths.get((ino.0 as usize).checked_sub(1)?).cloned()
    }

    fn attr(&self, ino: u64, kind: Kind) -> FileAttr {
        let now = SystemTime::now();
        FileAttr {
            ino: INodeNo(ino),
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            kind: if kind == Kind::Dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            },
            perm: match kind {
                Kind::Dir => 0o555,
                Kind::Dev => 0o666,
                Kind::View => 0o644,
            },
            nlink: if kind == Kind::Dir { 2 } else { 1 },
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    fn new_fh(&self, h: Handle) -> u64 {
        let mut n = self.next_fh.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        let fh = *n;
        self.handles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(fh, Arc::new(h));
        fh
    }

    /// Runs `f` on an open file. Several requests may use one file at once (threads of a process
    /// sharing a descriptor), as on Linux; the driver does its own locking.
    fn with_handle<R>(&self, fh: FileHandle, f: impl FnOnce(&Handle) -> R) -> Result<R, Errno> {
        let h = self
            .handles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fh.0)
            .cloned()
            .ok_or(Errno::EBADF)?;
        Ok(f(&h))
    }
}

impl Filesystem for SandboxFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let Some(path) = self.path(parent).and_then(|p| child(&p, name)) else {
            return reply.error(Errno::ENOENT);
        };
        match classify(&path) {
            Some(kind) => {
                let ino = self
                    .inodes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .ino(&path);
                reply.entry(&TTL, &self.attr(ino, kind), Generation(0));
            }
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.path(ino).and_then(|p| classify(&p)) {
            Some(kind) => reply.attr(&TTL, &self.attr(ino.0, kind)),
            None => reply.error(Errno::ENOENT),
        }
    }

    // `echo > FILE` truncates: sizes are always 0, so a truncation is accepted and does nothing.
    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        match self.path(ino).and_then(|p| classify(&p)) {
            Some(kind) => reply.attr(&TTL, &self.attr(ino.0, kind)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn open(&self, req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let Some(path) = self.path(ino) else {
            return reply.error(Errno::ENOENT);
        };
        let _serving = enter(req);
        let h = match classify(&path) {
            None => return reply.error(Errno::ENOENT),
            Some(Kind::Dir) => return reply.error(Errno::EISDIR),
            Some(Kind::Dev) => match chardev::open(&path, flags.0) {
                Ok(file) => Handle::Dev(DevFile {
                    file,
                    pos: Mutex::new(0),
                }),
                Err(e) => return reply.error(errno(e)),
            },
            Some(Kind::View) => {
                let snapshot = if flags.0 & libc::O_ACCMODE == libc::O_WRONLY {
                    Vec::new()
                } else {
                    match views::read_file(&path) {
                        Ok(s) => s,
                        Err(e) => return reply.error(errno(e)),
                    }
                };
                Handle::View { path, snapshot }
            }
        };
        let fh = self.new_fh(h);
        reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
    }

    fn read(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let _serving = enter(req);
        let r = self.with_handle(fh, |h| match h {
            // The driver keeps its own position (`f_pos`); FUSE's offset only tells of a seek.
            Handle::Dev(d) => {
                let _ = d.seek_to(offset);
                let r = d.file.read(size as usize).map_err(errno);
                if let Ok(data) = &r {
                    d.advance(offset, data.len());
                }
                r
            }
            Handle::View { snapshot, .. } => {
                let at = (offset as usize).min(snapshot.len());
                let end = at.saturating_add(size as usize).min(snapshot.len());
                Ok(snapshot[at..end].to_vec())
            }
        });
        match r.and_then(|r| r) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let _serving = enter(req);
        let r = self.with_handle(fh, |h| match h {
            Handle::Dev(d) => {
                let _ = d.seek_to(offset);
                let r = d.file.write(data).map_err(errno);
                if let Ok(n) = r {
                    d.advance(offset, n);
                }
                r
            }
            Handle::View { path, .. } => views::write_file(path, data)
                .map(|_| data.len())
                .map_err(errno),
        });
        match r.and_then(|r| r) {
            Ok(n) => reply.written(n as u32),
            Err(e) => reply.error(e),
        }
    }

    fn ioctl(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: IoctlFlags,
        cmd: u32,
        in_data: &[u8],
        out_size: u32,
        reply: ReplyIoctl,
    ) {
        let _serving = enter(req);
        // A restricted FUSE ioctl carries the `_IOC_SIZE` bytes of the argument both ways.
        let mut buf = in_data.to_vec();
        if buf.len() < out_size as usize {
            buf.resize(out_size as usize, 0);
        }
        let r = self.with_handle(fh, |h| match h {
            Handle::Dev(d) => d.file.ioctl(cmd, IoctlArg::Buffer(buf)).map_err(errno),
            Handle::View { .. } => Err(Errno::from_i32(libc::ENOTTY)),
        });
        match r.and_then(|r| r) {
            Ok((ret, out)) => {
                let n = (out_size as usize).min(out.len());
                reply.ioctl(ret as i32, &out[..n]);
            }
            Err(e) => reply.error(e),
        }
    }

    fn release(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let h = self
            .handles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&fh.0);
        // FUSE releases a file after its last request is answered, so this is the only holder.
        if let Some(Handle::Dev(d)) = h.and_then(|h| Arc::try_unwrap(h).ok()) {
            let _serving = enter(req);
            d.file.close();
        }
        reply.ok();
    }

    fn poll(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        ph: PollNotifier,
        events: PollEvents,
        flags: PollFlags,
        reply: ReplyPoll,
    ) {
        let _serving = enter(req);
        let r = self.with_handle(fh, |h| match h {
            Handle::Dev(d) if flags.contains(PollFlags::FUSE_POLL_SCHEDULE_NOTIFY) => {
                let tx = self
                    .notify
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                d.file.poll_notify(
                    events.bits(),
                    Box::new(move || {
                        let _ = tx.send(ph);
                    }),
                )
            }
            Handle::Dev(d) => d.file.poll(events.bits()),
            Handle::View { .. } => Ok((libc::POLLIN | libc::POLLOUT | libc::POLLRDNORM) as u32),
        });
        match r {
            Ok(Ok(mask)) => reply.poll(PollEvents::from_bits_retain(mask)),
            Ok(Err(e)) => reply.error(errno(e)),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let Some(path) = self.path(ino) else {
            return reply.error(Errno::ENOENT);
        };
        let names = match views::read_dir(&path) {
            Ok(n) => n,
            Err(e) => return reply.error(errno(e)),
        };
        let mut entries = vec![
            (ino.0, FileType::Directory, ".".to_string()),
            (ino.0, FileType::Directory, "..".to_string()),
        ];
        for name in names {
            let p = format!("{path}/{name}");
            let kind = if views::read_dir(&p).is_ok() {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            let i = self
                .inodes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .ino(&p);
            entries.push((i, kind, name));
        }
        for (k, (i, kind, name)) in entries.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(i), (k + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }
}

static MOUNTS: Mutex<Vec<(PathBuf, fuser::BackgroundSession)>> = Mutex::new(Vec::new());

/// Mounts the sandbox's `/dev`, `/proc` and `/sys` on `dir` (served by a thread of this process).
pub fn mount(dir: &Path) -> Result<(), String> {
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot mount on {}: {e}", dir.display()))?;
    if !dir.is_dir() {
        return Err(format!(
            "cannot mount on {}: not a directory",
            dir.display()
        ));
    }
    let mut mounts = MOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    if mounts.iter().any(|(d, _)| *d == dir) {
        return Err(format!("{} is already mounted", dir.display()));
    }
    if !Path::new("/dev/fuse").exists() {
        return Err("FUSE is not available here: /dev/fuse is missing (load the fuse module, or give the container the device)".into());
    }
    // SAFETY: getuid and getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let (tx, rx) = mpsc::channel::<PollNotifier>();
    std::thread::Builder::new()
        .name("lkm-fuse-poll".into())
        .spawn(move || {
            // Ends when the filesystem (every sender) is gone.
            for ph in rx {
                let _ = ph.notify();
            }
        })
        .map_err(|e| format!("cannot start the FUSE poll thread: {e}"))?;
    let fs = SandboxFs {
        inodes: Mutex::new(Inodes::default()),
        handles: Mutex::new(HashMap::new()),
        next_fh: Mutex::new(0),
        uid,
        gid,
        notify: Mutex::new(tx),
    };
    fs.inodes.lock().unwrap_or_else(|e| e.into_inner()).ino("");
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName("lkm".into()),
        MountOption::Subtype("lkm".into()),
    ];
    config.acl = SessionACL::Owner;
    config.n_threads = Some(THREADS);
    config.clone_fd = true;
    let session = fuser::spawn_mount(fs, &dir, &config).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied
            || e.kind() == std::io::ErrorKind::NotFound
        {
            " (mounting FUSE needs root, or fusermount3 from the fuse3 package)"
        } else {
            ""
        };
        format!(
            "cannot mount FUSE on {}: {}{hint}",
            dir.display(),
            e.to_string().trim_end()
        )
    })?;
    mounts.push((dir, session));
    Ok(())
}

/// Unmounts a directory `mount` mounted.
pub fn umount(dir: &Path) -> Result<(), String> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut mounts = MOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let i = mounts
        .iter()
        .position(|(d, _)| *d == dir)
        .ok_or_else(|| format!("{} is not mounted by this kernel", dir.display()))?;
    let (_, s) = mounts.remove(i);
    s.umount_and_join()
        .map_err(|e| format!("cannot unmount {}: {e}", dir.display()))
}

/// Unmounts everything (the kernel halts).
pub fn umount_all() {
    let mounts = std::mem::take(&mut *MOUNTS.lock().unwrap_or_else(|e| e.into_inner()));
    for (_, s) in mounts {
        let _ = s.umount_and_join();
    }
}

/// The directories mounted now.
pub fn mounts() -> Vec<PathBuf> {
    MOUNTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(d, _)| d.clone())
        .collect()
}
