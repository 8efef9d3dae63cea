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
