//! Step 1's directory walk (`depmod_modules_search_dir`): every module file under a directory, in
//! `readdir` order, with kmod's messages for what cannot be read.
//!
//! It works on directory file descriptors: each directory is opened relative to its parent
//! (`openat`) and listed with `getdents64`, and a module file's stamp is taken relative to its
//! directory (`fstatat`), so no path is resolved from the root again and no directory costs the
//! `fstat` glibc's `opendir` adds. The subtrees two levels down are walked in parallel and their
//! results put back in walk order, so what the caller sees does not depend on the thread count.
//! This is what an incremental run spends most of its time on: 900 directories and a stamp for
//! each of 4,000 modules.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::cache::FileStamp;
use super::{ends_with_kmod_ext, lossy, os_err, parallel_map};

/// What the walk found, in walk order.
#[derive(Debug)]
pub enum Found {
    /// A file whose name ends in a module extension.
    Module {
        path: Vec<u8>,
        /// The length of its directory's path, up to and including the last `/`.
        baselen: usize,
        /// Its stamp (following symbolic links, as `stat`), when the walk was asked for stamps:
        /// `Some(None)` when `fstatat` failed.
        stamp: Option<Option<FileStamp>>,
    },
    /// An error message, in kmod's words.
    Error(String),
}

/// What to skip, and whether to take stamps.
pub struct Walk<'a> {
    /// Names never descended into or looked at (`build`, `source` and depmod.d's `exclude`).
    pub excludes: &'a [Vec<u8>],
    pub stamps: bool,
    pub threads: usize,
}

/// The depth whose directories are walked in parallel: the top (`kernel/`, `extra/`) holds too few
/// and uneven subtrees; one level further down (`kernel/drivers/`, `kernel/fs/`…) is still uneven.
const PARALLEL_DEPTH: usize = 3;

/// A subtree left for later: its path (ending in `/`) and depth.
struct Pending {
    path: Vec<u8>,
    depth: usize,
}

enum Step {
    Found(Found),
    Subtree(Pending),
}

impl Walk<'_> {
    /// Walks `root` (a directory path without a trailing `/`). `Err` when `root` itself cannot be
    /// opened (the caller reports it in its own words).
    pub fn run(&self, root: &[u8]) -> std::io::Result<Vec<Found>> {
        let fd = open_dir(None, &cstring(root)?)?;
        let mut path = root.to_vec();
        path.push(b'/');
        let split = (self.threads != 1).then_some(PARALLEL_DEPTH);
        let mut steps = Vec::new();
        let mut buf = Vec::new();
        self.dir(&fd, &mut path, 0, split, &mut buf, &mut steps);
        let pending: Vec<&Pending> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Subtree(p) => Some(p),
                Step::Found(_) => None,
            })
            .collect();
        let mut subtrees = parallel_map(&pending, self.threads, |p| {
            let mut steps = Vec::new();
            let mut path = p.path.clone();
            let mut buf = Vec::new();
            match cstring(&path[..path.len() - 1]).and_then(|c| open_dir(None, &c)) {
                Ok(fd) => self.dir(&fd, &mut path, p.depth, None, &mut buf, &mut steps),
                Err(e) => steps.push(Step::Found(open_error(&path, p.depth, &e))),
            }
            steps
        })
        .into_iter();
        let mut out = Vec::with_capacity(steps.len());
        for s in steps {
            match s {
                Step::Found(f) => out.push(f),
                Step::Subtree(_) => {
                    out.extend(subtrees.next().into_iter().flatten().map(|s| match s {
                        Step::Found(f) => f,
                        Step::Subtree(_) => unreachable!("subtrees are walked whole"),
                    }))
                }
            }
        }
        Ok(out)
    }

    /// One directory (`fd`, whose path `path` ends in `/`): its entries in `readdir` order, each
    /// subdirectory walked where it is found (or left as a [`Step::Subtree`] at depth `split`).
    fn dir(
        &self,
        fd: &OwnedFd,
        path: &mut Vec<u8>,
        depth: usize,
        split: Option<usize>,
        buf: &mut Vec<u8>,
        out: &mut Vec<Step>,
    ) {
        let baselen = path.len();
        let entries = list(fd, buf);
        for (name, kind) in entries.iter() {
            if name == b"build" || name == b"source" || self.excludes.iter().any(|e| e == name) {
                continue;
            }
            path.truncate(baselen);
            path.extend_from_slice(name);
            let module = ends_with_kmod_ext(name);
            let mut stamp = None;
            let is_dir = match kind {
                libc::DT_DIR => true,
                libc::DT_REG if !(module && self.stamps) => false,
                _ => match stat_at(fd, name) {
                    Ok(st) => {
                        let fmt = st.st_mode & libc::S_IFMT;
                        if fmt == libc::S_IFDIR {
                            true
                        } else if fmt == libc::S_IFREG {
                            stamp = Some(Some(stamp_of(&st)));
                            false
                        } else {
                            out.push(Step::Found(Found::Error(format!(
                                "unsupported file type {}: {:o}",
                                lossy(path),
                                fmt
                            ))));
                            continue;
                        }
                    }
                    // A regular file that went away: kmod would have read it by its path and
                    // failed there; it stays a module without a stamp.
                    Err(_) if kind == libc::DT_REG => {
                        stamp = Some(None);
                        false
                    }
                    Err(e) => {
                        out.push(Step::Found(Found::Error(format!(
                            "fstatat({}, {}): {}",
                            depth + 3,
                            lossy(name),
                            os_err(&e)
                        ))));
                        continue;
                    }
                },
            };
            if is_dir {
                path.push(b'/');
                if split == Some(depth + 1) {
                    out.push(Step::Subtree(Pending {
                        path: path.clone(),
                        depth: depth + 1,
                    }));
                    continue;
                }
                match open_dir(Some(fd), &cstring(name).expect("no NUL in a file name")) {
                    Ok(sub) => self.dir(&sub, path, depth + 1, split, buf, out),
                    Err(e) => out.push(Step::Found(open_error(path, depth, &e))),
                }
            } else if module {
                out.push(Step::Found(Found::Module {
                    path: path.clone(),
                    baselen,
                    stamp: if self.stamps { stamp } else { None },
                }));
            }
        }
        path.truncate(baselen);
    }
}

/// kmod's message for a subdirectory (`path`, ending in `/`) it could not open.
fn open_error(path: &[u8], depth: usize, e: &std::io::Error) -> Found {
    let name = &path[..path.len() - 1];
    let name = &name[name.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    Found::Error(format!(
        "openat({}, {}, O_RDONLY): {}",
        depth + 2,
        lossy(name),
        os_err(e)
    ))
}

fn cstring(b: &[u8]) -> std::io::Result<CString> {
    CString::new(b).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))
}

fn stamp_of(st: &libc::stat64) -> FileStamp {
    FileStamp {
        ino: st.st_ino,
        size: st.st_size as u64,
        mtime_sec: st.st_mtime,
        mtime_nsec: st.st_mtime_nsec.clamp(0, 999_999_999) as u32,
    }
}

/// Opens a directory, relative to `parent` (or the working directory).
fn open_dir(parent: Option<&OwnedFd>, name: &CStr) -> std::io::Result<OwnedFd> {
    let at = parent.map_or(libc::AT_FDCWD, |p| p.as_raw_fd());
    // SAFETY: `name` is a NUL-terminated string that outlives the call; `at` is AT_FDCWD or a
    // descriptor `parent` keeps open.
    let fd = unsafe {
        libc::openat(
            at,
            name.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstatat(dir, name, 0)`: follows a symbolic link, as kmod's walk does.
fn stat_at(dir: &OwnedFd, name: &[u8]) -> std::io::Result<libc::stat64> {
    let name = cstring(name)?;
    let mut st = std::mem::MaybeUninit::<libc::stat64>::uninit();
    // SAFETY: `name` is NUL-terminated, `st` is writable memory of the right type and size, and the
    // descriptor is open for the call.
    let r = unsafe { libc::fstatat64(dir.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), 0) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fstatat returned 0, so it filled `st`.
    Ok(unsafe { st.assume_init() })
}

/// The entries of a directory: name and `d_type`, in the order `getdents64` gives them (the order
/// `readdir` gives), without `.` and `..`. Stops at the first error, as a `readdir` loop does.
fn list(fd: &OwnedFd, buf: &mut Vec<u8>) -> Entries {
    const BUF: usize = 32 * 1024;
    buf.resize(BUF, 0);
    let mut entries = Entries::default();
    loop {
        // SAFETY: `buf` is writable for `BUF` bytes and the descriptor is an open directory.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast::<libc::c_void>(),
                BUF,
            )
        };
        if n <= 0 {
            break;
        }
        let mut rest = &buf[..n as usize];
        // struct linux_dirent64: u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, char d_name[].
        while rest.len() >= 19 {
            let reclen = usize::from(u16::from_ne_bytes([rest[16], rest[17]]));
            if reclen < 19 || reclen > rest.len() {
                break;
            }
            let kind = rest[18];
            let raw = &rest[19..reclen];
            let name = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
            if name != b"." && name != b".." {
                entries.push(name, kind);
            }
            rest = &rest[reclen..];
        }
    }
    entries
}

/// A directory's entries, names packed in one buffer.
#[derive(Default)]
struct Entries {
    names: Vec<u8>,
    /// End of each name in `names`, and its `d_type`.
    ends: Vec<(usize, u8)>,
}

impl Entries {
    fn push(&mut self, name: &[u8], kind: u8) {
        self.names.extend_from_slice(name);
        self.ends.push((self.names.len(), kind));
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], u8)> {
        let mut start = 0;
        self.ends.iter().map(move |&(end, kind)| {
            let name = &self.names[start..end];
            start = end;
            (name, kind)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(root: &std::path::Path, threads: usize, stamps: bool) -> Vec<String> {
        use std::os::unix::ffi::OsStrExt;
        let w = Walk {
            excludes: &[b"skipme".to_vec()],
            stamps,
            threads,
        };
        w.run(root.as_os_str().as_bytes())
            .expect("root opens")
            .into_iter()
            .map(|f| match f {
                Found::Module {
                    path,
                    baselen,
                    stamp,
                } => format!(
                    "{} {} {}",
                    String::from_utf8_lossy(&path[root.as_os_str().len()..]),
                    baselen - root.as_os_str().len(),
                    match stamp {
                        None => "-".to_owned(),
                        Some(None) => "gone".to_owned(),
                        Some(Some(s)) => s.size.to_string(),
                    }
                ),
                Found::Error(e) => format!("error {e}"),
            })
            .collect()
    }

    #[test]
    fn finds_modules_at_every_depth_in_one_order_whatever_the_threads() {
        let dir = std::env::temp_dir().join(format!("lkm-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["a/b/c/d", "a/x", "build", "a/skipme", "e"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for (f, len) in [
            ("top.ko", 1),
            ("a/one.ko.xz", 2),
            ("a/b/two.ko", 3),
            ("a/b/c/d/deep.ko.zst", 4),
            ("a/x/three.ko", 5),
            ("a/x/notes.txt", 6),
            ("build/hidden.ko", 7),
            ("a/skipme/hidden.ko", 8),
            ("e/four.ko.gz", 9),
        ] {
            std::fs::write(dir.join(f), vec![0u8; len]).unwrap();
        }
        std::os::unix::fs::symlink("../a/b/two.ko", dir.join("e/link.ko")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join("e/dangling.ko")).unwrap();
        let one = walk(&dir, 1, true);
        let mut sorted: Vec<String> = one.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                "/a/b/c/d/deep.ko.zst 9 4",
                "/a/b/two.ko 5 3",
                "/a/one.ko.xz 3 2",
                "/a/x/three.ko 5 5",
                "/e/four.ko.gz 3 9",
                "/e/link.ko 3 3",
                "/top.ko 1 1",
                "error fstatat(4, dangling.ko): No such file or directory",
            ]
        );
        // The parallel walk gives the sequential one's order; without stamps, no stamps.
        assert_eq!(walk(&dir, 2, true), one);
        assert_eq!(walk(&dir, 3, true), one);
        let plain: Vec<String> = one
            .iter()
            .map(|l| match l.rsplit_once(' ') {
                Some((head, _)) if !l.starts_with("error") => format!("{head} -"),
                _ => l.clone(),
            })
            .collect();
        assert_eq!(walk(&dir, 2, false), plain);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
