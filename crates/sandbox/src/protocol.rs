//! The control socket's protocol: length-prefixed frames. A client sends one request and reads
//! replies until `Done`: any number of `Console` lines (kernel messages a console would show while
//! the request is served), then `Done` with the errno (0 on success) and a payload.

use std::io::{self, Read, Write};

/// Largest frame accepted (a module image can be large; 512 MiB matches the decompression cap).
const MAX_FRAME: usize = 512 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    InitModule {
        image: Vec<u8>,
        params: String,
        flags: u32,
    },
    DeleteModule {
        name: String,
        flags: u32,
    },
    ReadFile {
        path: String,
    },
    WriteFile {
        path: String,
        data: Vec<u8>,
    },
    ReadDir {
        path: String,
    },
    /// Log records after `after` (a sequence number), waiting up to `timeout_ms` for one.
    WaitLog {
        after: Option<u64>,
        timeout_ms: u32,
    },
    /// `syslog(SYSLOG_ACTION_CLEAR)`.
    ClearLog,
    /// `syslog(SYSLOG_ACTION_READ_CLEAR)`: the records since the last clear, then clear.
    ReadClearLog,
    /// `syslog(SYSLOG_ACTION_CONSOLE_LEVEL)`.
    ConsoleLevel {
        level: i32,
    },
    Status,
    Halt,
    /// Opens a `/dev` node on this connection (`open(2)` flags); the payload is the handle (u64).
    /// The file stays open until `Close` or until the connection ends.
    Open {
        path: String,
        flags: i32,
    },
    /// `read(2)` of up to `count` bytes: the payload is the data.
    Read {
        handle: u64,
        count: u32,
    },
    /// `write(2)`: the payload is the count written (u64).
    Write {
        handle: u64,
        data: Vec<u8>,
    },
    /// `ioctl(2)`: with `buf`, the argument is the address of a user window holding it (sent and
    /// returned); without, `arg` is passed as is. The payload is the return value (i64) then the
    /// window's bytes.
    Ioctl {
        handle: u64,
        cmd: u32,
        arg: u64,
        buf: Option<Vec<u8>>,
    },
    /// `lseek(2)`: the payload is the new position (i64).
    Llseek {
        handle: u64,
        offset: i64,
        whence: u32,
    },
    /// `poll(2)` of one file for `events`, waiting up to `timeout_ms`: the payload is the revents
    /// (u32).
    Poll {
        handle: u64,
        events: u32,
        timeout_ms: u32,
    },
    Close {
        handle: u64,
    },
    /// `mknod(2)` in the sandbox's `/dev` (`mode` includes `S_IFCHR`).
    Mknod {
        path: String,
        mode: u32,
        dev: u32,
    },
    /// `unlink(2)` of a node `Mknod` made.
    Unlink {
        path: String,
    },
    /// Mounts the sandbox's `/dev`, `/proc` and `/sys` on `dir` (an absolute host path) through
    /// FUSE, served by the kernel process; the payload is an error message on failure.
    Mount {
        dir: String,
    },
    /// Unmounts a directory `Mount` mounted.
    Umount {
        dir: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Console(String),
    Done { errno: i32, payload: Vec<u8> },
}

struct Enc(Vec<u8>);

impl Enc {
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }
}

struct Dec<'a>(&'a [u8]);

fn bad() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "malformed lkm control message")
}

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| bad())?,
        ))
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| bad())?,
        ))
    }
    fn bytes(&mut self) -> io::Result<Vec<u8>> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn string(&mut self) -> io::Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| bad())
    }
}

fn write_frame(w: &mut dyn Write, body: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
    frame.extend_from_slice(body);
    w.write_all(&frame)?;
    w.flush()
}

fn read_frame(r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(bad());
    }
    // Grow with the data actually received: a short or lying peer costs no large allocation.
    let mut body = Vec::with_capacity(len.min(1 << 20));
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "truncated lkm control message",
        ));
    }
    Ok(body)
}

impl Request {
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut e = Enc(Vec::new());
        match self {
            Request::InitModule {
                image,
                params,
                flags,
            } => {
                e.u8(1).bytes(image).bytes(params.as_bytes()).u32(*flags);
            }
            Request::DeleteModule { name, flags } => {
                e.u8(2).bytes(name.as_bytes()).u32(*flags);
            }
            Request::ReadFile { path } => {
                e.u8(3).bytes(path.as_bytes());
            }
            Request::WriteFile { path, data } => {
                e.u8(4).bytes(path.as_bytes()).bytes(data);
            }
            Request::ReadDir { path } => {
                e.u8(5).bytes(path.as_bytes());
            }
            Request::WaitLog { after, timeout_ms } => {
                e.u8(6)
                    .u8(after.is_some() as u8)
                    .u64(after.unwrap_or(0))
                    .u32(*timeout_ms);
            }
            Request::ClearLog => {
                e.u8(7);
            }
            Request::ReadClearLog => {
                e.u8(11);
            }
            Request::ConsoleLevel { level } => {
                e.u8(8).u32(*level as u32);
            }
            Request::Status => {
                e.u8(9);
            }
            Request::Halt => {
                e.u8(10);
            }
            Request::Open { path, flags } => {
                e.u8(20).bytes(path.as_bytes()).u32(*flags as u32);
            }
            Request::Read { handle, count } => {
                e.u8(21).u64(*handle).u32(*count);
            }
            Request::Write { handle, data } => {
                e.u8(22).u64(*handle).bytes(data);
            }
            Request::Ioctl {
                handle,
                cmd,
                arg,
                buf,
            } => {
                e.u8(23).u64(*handle).u32(*cmd).u64(*arg);
                match buf {
                    Some(b) => e.u8(1).bytes(b),
                    None => e.u8(0),
                };
            }
            Request::Llseek {
                handle,
                offset,
                whence,
            } => {
                e.u8(24).u64(*handle).u64(*offset as u64).u32(*whence);
            }
            Request::Poll {
                handle,
                events,
                timeout_ms,
            } => {
                e.u8(25).u64(*handle).u32(*events).u32(*timeout_ms);
            }
            Request::Close { handle } => {
                e.u8(26).u64(*handle);
            }
            Request::Mknod { path, mode, dev } => {
                e.u8(27).bytes(path.as_bytes()).u32(*mode).u32(*dev);
            }
            Request::Unlink { path } => {
                e.u8(28).bytes(path.as_bytes());
            }
            Request::Mount { dir } => {
                e.u8(30).bytes(dir.as_bytes());
            }
            Request::Umount { dir } => {
                e.u8(31).bytes(dir.as_bytes());
            }
        }
        write_frame(w, &e.0)
    }

    pub fn read(r: &mut dyn Read) -> io::Result<Request> {
        let body = read_frame(r)?;
        let mut d = Dec(&body);
        let req = match d.u8()? {
            1 => Request::InitModule {
                image: d.bytes()?,
                params: d.string()?,
                flags: d.u32()?,
            },
            2 => Request::DeleteModule {
                name: d.string()?,
                flags: d.u32()?,
            },
            3 => Request::ReadFile { path: d.string()? },
            4 => Request::WriteFile {
                path: d.string()?,
                data: d.bytes()?,
            },
            5 => Request::ReadDir { path: d.string()? },
            6 => {
                let has = d.u8()? != 0;
                let after = d.u64()?;
                Request::WaitLog {
                    after: has.then_some(after),
                    timeout_ms: d.u32()?,
                }
            }
            7 => Request::ClearLog,
            11 => Request::ReadClearLog,
            8 => Request::ConsoleLevel {
                level: d.u32()? as i32,
            },
            9 => Request::Status,
            10 => Request::Halt,
            20 => Request::Open {
                path: d.string()?,
                flags: d.u32()? as i32,
            },
            21 => Request::Read {
                handle: d.u64()?,
                count: d.u32()?,
            },
            22 => Request::Write {
                handle: d.u64()?,
                data: d.bytes()?,
            },
            23 => Request::Ioctl {
                handle: d.u64()?,
                cmd: d.u32()?,
                arg: d.u64()?,
                buf: match d.u8()? {
                    0 => None,
                    1 => Some(d.bytes()?),
                    _ => return Err(bad()),
                },
            },
            24 => Request::Llseek {
                handle: d.u64()?,
                offset: d.u64()? as i64,
                whence: d.u32()?,
            },
            25 => Request::Poll {
                handle: d.u64()?,
                events: d.u32()?,
                timeout_ms: d.u32()?,
            },
            26 => Request::Close { handle: d.u64()? },
            27 => Request::Mknod {
                path: d.string()?,
                mode: d.u32()?,
                dev: d.u32()?,
            },
            28 => Request::Unlink { path: d.string()? },
            30 => Request::Mount { dir: d.string()? },
            31 => Request::Umount { dir: d.string()? },
            _ => return Err(bad()),
        };
        if !d.0.is_empty() {
            return Err(bad());
        }
        Ok(req)
    }
}

impl Reply {
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut e = Enc(Vec::new());
        match self {
            Reply::Console(text) => {
                e.u8(b'c').bytes(text.as_bytes());
            }
            Reply::Done { errno, payload } => {
                e.u8(b'd').u32(*errno as u32).bytes(payload);
            }
        }
        write_frame(w, &e.0)
    }

    pub fn read(r: &mut dyn Read) -> io::Result<Reply> {
        let body = read_frame(r)?;
        let mut d = Dec(&body);
        let reply = match d.u8()? {
            b'c' => Reply::Console(d.string()?),
            b'd' => Reply::Done {
                errno: d.u32()? as i32,
                payload: d.bytes()?,
            },
            _ => return Err(bad()),
        };
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let all = vec![
            Request::InitModule {
                image: vec![1, 2, 3],
                params: "a=1 b=\"x y\"".into(),
                flags: 2,
            },
            Request::DeleteModule {
                name: "hello".into(),
                flags: 0o4000,
            },
            Request::ReadFile {
                path: "/proc/modules".into(),
            },
            Request::WriteFile {
                path: "/sys/module/p/parameters/x".into(),
                data: b"5\n".to_vec(),
            },
            Request::ReadDir {
                path: "/sys/module".into(),
            },
            Request::WaitLog {
                after: Some(7),
                timeout_ms: 100,
            },
            Request::WaitLog {
                after: None,
                timeout_ms: 0,
            },
            Request::ClearLog,
            Request::ReadClearLog,
            Request::ConsoleLevel { level: 8 },
            Request::Status,
            Request::Halt,
            Request::Open {
                path: "/dev/acme".into(),
                flags: 2,
            },
            Request::Read {
                handle: 3,
                count: 65536,
            },
            Request::Write {
                handle: 3,
                data: b"hello\n".to_vec(),
            },
            Request::Ioctl {
                handle: 3,
                cmd: 0x8008_6101,
                arg: 0,
                buf: Some(vec![1, 2, 3, 4, 5, 6, 7, 8]),
            },
            Request::Ioctl {
                handle: 3,
                cmd: 0x6102,
                arg: 42,
                buf: None,
            },
            Request::Llseek {
                handle: 3,
                offset: -5,
                whence: 2,
            },
            Request::Poll {
                handle: 3,
                events: 1,
                timeout_ms: 10,
            },
            Request::Close { handle: 3 },
            Request::Mknod {
                path: "/dev/x".into(),
                mode: 0o020644,
                dev: (240 << 20) | 1,
            },
            Request::Unlink {
                path: "/dev/x".into(),
            },
            Request::Mount {
                dir: "/tmp/m".into(),
            },
            Request::Umount {
                dir: "/tmp/m".into(),
            },
        ];
        for r in all {
            let mut buf = Vec::new();
            r.write(&mut buf).unwrap();
            assert_eq!(Request::read(&mut buf.as_slice()).unwrap(), r);
        }
    }

    #[test]
    fn truncated_and_garbage_frames_are_errors() {
        let mut buf = Vec::new();
        Request::ReadFile {
            path: "/proc/modules".into(),
        }
        .write(&mut buf)
        .unwrap();
        for cut in 0..buf.len() {
            assert!(Request::read(&mut &buf[..cut]).is_err());
        }
        assert!(Request::read(&mut &[1u8, 0, 0, 0, 99][..]).is_err());
        assert!(Request::read(&mut &[0xff, 0xff, 0xff, 0xff][..]).is_err());
    }
}
