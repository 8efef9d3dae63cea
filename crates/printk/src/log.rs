//! The printk ring buffer (kernel/printk/printk.c and printk_ringbuffer.c, as in Linux 6.1).
//!
//! * [`LogBuffer::store`] is `vprintk_store`: `KERN_SOH` level prefixes, the default level, one
//!   trailing newline, and `KERN_CONT` appending to the last record while it is still open (no
//!   newline yet) and comes from the same caller.
//! * Readers only see *finalized* records, like the kernel's `prb_read_valid`: a record without a
//!   trailing newline becomes visible when the next record is stored (or [`LogBuffer::flush`]).
//! * Capacity is counted like the lockless ring buffer: a text block of `align8(8 + len)` bytes per
//!   record, and one descriptor per 32 bytes of capacity; the oldest records go first, sequence
//!   numbers keep counting.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Default buffer size (`CONFIG_LOG_BUF_SHIFT=18`).
pub const DEFAULT_CAPACITY: usize = 256 * 1024;
/// The kernel's `LOG_LINE_MAX` (1024 - `PREFIX_MAX`): a record's text stays below this.
pub const LOG_LINE_MAX: usize = 1024 - 32;
/// `KERN_SOH`.
pub const KERN_SOH: u8 = 0x01;

/// One log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub seq: u64,
    /// Nanoseconds since the buffer was created (`local_clock()`).
    pub ts_nsec: u64,
    pub facility: u8,
    /// 0 (emerg) ..= 7 (debug).
    pub level: u8,
    /// `LOG_CONT`: the record started with `KERN_CONT` but could not be appended (the `c` flag of
    /// `/dev/kmsg`).
    pub cont: bool,
    /// `LOG_NEWLINE`: the text ended with a newline (which is not part of `text`).
    pub newline: bool,
    /// Who stored it (the kernel's caller id: a thread id here).
    pub caller: u64,
    /// The message, without level prefixes or the trailing newline.
    pub text: Vec<u8>,
}

impl Record {
    /// `(facility << 3) | level`, the syslog priority.
    pub fn prio(&self) -> u32 {
        (u32::from(self.facility) << 3) | u32::from(self.level & 7)
    }
    /// Seconds and microseconds of the timestamp, as printed by the kernel and dmesg.
    pub fn ts_sec_usec(&self) -> (u64, u64) {
        (
            self.ts_nsec / 1_000_000_000,
            (self.ts_nsec % 1_000_000_000) / 1000,
        )
    }
    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// What [`LogBuffer::store`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreResult {
    /// The record the text went into.
    pub seq: u64,
    /// Bytes of text stored (the return value of `printk`).
    pub len: usize,
    /// The record's level (for an appended `KERN_CONT` piece, the level of the record it joined).
    pub level: u8,
    /// The text was appended to the previous record.
    pub appended: bool,
    /// The stored piece ended with a newline (the record is now complete).
    pub newline: bool,
    /// The text added, for a console echo.
    pub text: Vec<u8>,
    /// `level < console_loglevel`: a console would print this.
    pub console: bool,
    /// The record's timestamp (nanoseconds since the buffer was created).
    pub ts_nsec: u64,
}

/// `/proc/sys/kernel/printk`: `console_printk[4]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintkLevels {
    pub console_loglevel: i32,
    pub default_message_loglevel: i32,
    pub minimum_console_loglevel: i32,
    pub default_console_loglevel: i32,
}

impl Default for PrintkLevels {
    /// Debian's `4 4 1 7` (a `quiet` boot).
    fn default() -> Self {
        PrintkLevels {
            console_loglevel: 4,
            default_message_loglevel: 4,
            minimum_console_loglevel: 1,
            default_console_loglevel: 7,
        }
    }
}

/// A write to `/proc/sys/kernel/printk` that `proc_dointvec` would refuse (`EINVAL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSysctl;

impl fmt::Display for InvalidSysctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid argument")
    }
}

impl std::error::Error for InvalidSysctl {}

impl PrintkLevels {
    /// The file's text: `"4\t4\t1\t7\n"`.
    pub fn to_sysctl_text(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\n",
            self.console_loglevel,
            self.default_message_loglevel,
            self.minimum_console_loglevel,
            self.default_console_loglevel
        )
    }

    /// Apply a write like `proc_dointvec` does: one to four whitespace-separated integers set the
    /// values in order; further values are ignored; anything else before them is `EINVAL`.
    pub fn write_sysctl_text(&mut self, text: &str) -> Result<(), InvalidSysctl> {
        let mut values = Vec::new();
        for word in text.split_ascii_whitespace().take(4) {
            let v = parse_c_int(word).ok_or(InvalidSysctl)?;
            values.push(v);
        }
        if values.is_empty() {
            return Err(InvalidSysctl);
        }
        let slots = [
            &mut self.console_loglevel,
            &mut self.default_message_loglevel,
            &mut self.minimum_console_loglevel,
            &mut self.default_console_loglevel,
        ];
        for (slot, v) in slots.into_iter().zip(values) {
            *slot = v;
        }
        Ok(())
    }
}

fn parse_c_int(word: &str) -> Option<i32> {
    let (neg, digits) = match word.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, word.strip_prefix('+').unwrap_or(word)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

/// A `syslog(2)` call refused with `EINVAL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLevel;

impl fmt::Display for InvalidLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Invalid argument")
    }
}

impl std::error::Error for InvalidLevel {}

struct Inner {
    records: VecDeque<Record>,
    /// Bytes of the text ring in use.
    data_bytes: usize,
    next_seq: u64,
    clear_seq: u64,
    /// The last record is still open for `KERN_CONT`.
    open: bool,
    levels: PrintkLevels,
}

impl Inner {
    fn finalized_from(&self, from_seq: u64) -> Vec<Record> {
        let last = self.records.len();
        let visible = if self.open {
            last.saturating_sub(1)
        } else {
            last
        };
        self.records
            .iter()
            .take(visible)
            .filter(|r| r.seq >= from_seq)
            .cloned()
            .collect()
    }
}

/// The kernel log buffer. All methods take `&self`; readers can block in [`LogBuffer::wait_after`].
pub struct LogBuffer {
    inner: Mutex<Inner>,
    cond: Condvar,
    start: Instant,
    start_wall: SystemTime,
    capacity: usize,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new()
    }
}

fn block_size(text_len: usize) -> usize {
    (8 + text_len).div_ceil(8) * 8
}

impl LogBuffer {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A buffer of `capacity` bytes (at least 4 KiB).
    pub fn with_capacity(capacity: usize) -> Self {
        LogBuffer {
            inner: Mutex::new(Inner {
                records: VecDeque::new(),
                data_bytes: 0,
                next_seq: 0,
                clear_seq: 0,
                open: false,
                levels: PrintkLevels::default(),
            }),
            cond: Condvar::new(),
            start: Instant::now(),
            start_wall: SystemTime::now(),
            capacity: capacity.max(4096),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Wall-clock time of the buffer's creation (the "boot"), in seconds since the epoch.
    pub fn boot_wall_secs(&self) -> f64 {
        self.start_wall
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    fn now_nsec(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn max_records(&self) -> usize {
        (self.capacity >> 5).max(1)
    }

    /// `vprintk_store` for a formatted message. `facility` 0 is the kernel: only then are
    /// `KERN_SOH` prefixes parsed. `caller` identifies the printing context for `KERN_CONT`.
    pub fn store(&self, facility: u8, message: &[u8], caller: u64) -> StoreResult {
        let mut inner = self.lock();
        let default_level = (inner.levels.default_message_loglevel & 7) as u8;
        self.store_locked(&mut inner, facility, None, default_level, message, caller)
    }

    /// A write to `/dev/kmsg` (`devkmsg_write`): an optional `<N>` prefix gives level `N & 7` and,
    /// when `N >> 3` is not 0, the facility; otherwise the facility is 1 (user).
    pub fn write_kmsg(&self, data: &[u8], caller: u64) -> StoreResult {
        let mut inner = self.lock();
        let mut level = (inner.levels.default_message_loglevel & 7) as u8;
        let mut facility = 1u8;
        let mut body = data;
        if data.first() == Some(&b'<') {
            let digits = data[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 && data.get(1 + digits) == Some(&b'>') {
                let n: u64 = std::str::from_utf8(&data[1..1 + digits])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                level = (n & 7) as u8;
                if n >> 3 != 0 {
                    facility = (n >> 3) as u8;
                }
                body = &data[2 + digits..];
            }
        }
        self.store_locked(&mut inner, facility, Some(level), level, body, caller)
    }

    fn store_locked(
        &self,
        inner: &mut Inner,
        facility: u8,
        fixed_level: Option<u8>,
        default_level: u8,
        message: &[u8],
        caller: u64,
    ) -> StoreResult {
        let ts_nsec = self.now_nsec();
        // vscnprintf into a LOG_LINE_MAX buffer keeps at most LOG_LINE_MAX - 1 bytes.
        let mut text = &message[..message.len().min(LOG_LINE_MAX - 1)];
        let mut level: Option<u8> = fixed_level;
        let mut cont = false;
        let mut newline = false;
        if text.last() == Some(&b'\n') {
            text = &text[..text.len() - 1];
            newline = true;
        }
        if facility == 0 {
            let (prefix_len, l, c) = parse_prefix(text);
            if level.is_none() {
                level = l;
            }
            cont = c;
            text = &text[prefix_len..];
        }
        let level = level.unwrap_or(default_level) & 7;
        let console_level = inner.levels.console_loglevel;

        if cont && inner.open {
            let fits = inner
                .records
                .back()
                .is_some_and(|r| r.caller == caller && r.text.len() + text.len() < LOG_LINE_MAX);
            if fits {
                let old_len = inner.records.back().map_or(0, |r| r.text.len());
                let grow = block_size(old_len + text.len()) - block_size(old_len);
                self.make_room(inner, grow, true);
                let rec = inner.records.back_mut().expect("open record");
                rec.text.extend_from_slice(text);
                rec.newline = newline;
                let (seq, rec_level, rec_ts) = (rec.seq, rec.level, rec.ts_nsec);
                inner.data_bytes += grow;
                if newline {
                    inner.open = false;
                    self.cond.notify_all();
                }
                return StoreResult {
                    seq,
                    len: text.len(),
                    level: rec_level,
                    appended: true,
                    newline,
                    text: text.to_vec(),
                    console: i32::from(rec_level) < console_level,
                    ts_nsec: rec_ts,
                };
            }
        }

        // Reserving a new record finalizes the previous one.
        if inner.open {
            inner.open = false;
            self.cond.notify_all();
        }
        let size = block_size(text.len());
        self.make_room(inner, size, false);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.records.push_back(Record {
            seq,
            ts_nsec,
            facility,
            level,
            cont,
            newline,
            caller,
            text: text.to_vec(),
        });
        inner.data_bytes += size;
        inner.open = !newline;
        if newline {
            self.cond.notify_all();
        }
        StoreResult {
            seq,
            len: text.len(),
            level,
            appended: false,
            newline,
            text: text.to_vec(),
            console: i32::from(level) < console_level,
            ts_nsec,
        }
    }

    /// Drop the oldest records until `need` more bytes (and, unless `growing`, one more
    /// descriptor) fit. The last record is kept when `growing` it.
    fn make_room(&self, inner: &mut Inner, need: usize, growing: bool) {
        let keep = usize::from(growing);
        loop {
            let too_many = !growing && inner.records.len() >= self.max_records();
            let too_big = inner.data_bytes + need > self.capacity;
            if !(too_many || too_big) || inner.records.len() <= keep {
                break;
            }
            if let Some(r) = inner.records.pop_front() {
                inner.data_bytes -= block_size(r.text.len());
            }
        }
    }

    /// Finalize an open record (the kernel has no such call; a sandbox may want it at unload or
    /// on shutdown so a last message without a newline becomes visible).
    pub fn flush(&self) {
        let mut inner = self.lock();
        if inner.open {
            inner.open = false;
            self.cond.notify_all();
        }
    }

    /// `SYSLOG_ACTION_READ_ALL`: every finalized record after the clear point.
    pub fn read_all(&self) -> Vec<Record> {
        let inner = self.lock();
        inner.finalized_from(inner.clear_seq)
    }

    /// Finalized records with `seq > after` (all of them for `None`), ignoring the clear point.
    pub fn read_after(&self, after: Option<u64>) -> Vec<Record> {
        let inner = self.lock();
        inner.finalized_from(after.map_or(0, |s| s + 1))
    }

    /// Like [`LogBuffer::read_after`], but wait until there is at least one such record or the
    /// timeout passes (`None`: wait forever). An empty result means the timeout passed.
    pub fn wait_after(&self, after: Option<u64>, timeout: Option<Duration>) -> Vec<Record> {
        let from = after.map_or(0, |s| s + 1);
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut inner = self.lock();
        loop {
            let recs = inner.finalized_from(from);
            if !recs.is_empty() {
                return recs;
            }
            match deadline {
                None => inner = self.cond.wait(inner).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Vec::new();
                    }
                    inner = self
                        .cond
                        .wait_timeout(inner, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }

    /// `SYSLOG_ACTION_CLEAR`: later reads through [`LogBuffer::read_all`] start after the newest
    /// record (an open record is not cleared: it will be shown once complete).
    pub fn clear(&self) {
        let mut inner = self.lock();
        let open_seq = if inner.open {
            inner.records.back().map(|r| r.seq)
        } else {
            None
        };
        inner.clear_seq = open_seq.unwrap_or(inner.next_seq);
    }

    /// `SYSLOG_ACTION_READ_CLEAR`: read all and clear, atomically.
    pub fn read_clear(&self) -> Vec<Record> {
        let mut inner = self.lock();
        let recs = inner.finalized_from(inner.clear_seq);
        let open_seq = if inner.open {
            inner.records.back().map(|r| r.seq)
        } else {
            None
        };
        inner.clear_seq = open_seq.unwrap_or(inner.next_seq);
        recs
    }

    /// The oldest sequence number still in the buffer.
    pub fn first_seq(&self) -> u64 {
        let inner = self.lock();
        inner.records.front().map_or(inner.next_seq, |r| r.seq)
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.lock().next_seq
    }

    /// Where `read_all` starts (`/dev/kmsg`'s `SEEK_DATA`).
    pub fn clear_seq(&self) -> u64 {
        self.lock().clear_seq
    }

    pub fn levels(&self) -> PrintkLevels {
        self.lock().levels
    }

    pub fn set_levels(&self, levels: PrintkLevels) {
        self.lock().levels = levels;
    }

    /// Read `/proc/sys/kernel/printk`.
    pub fn printk_sysctl(&self) -> String {
        self.lock().levels.to_sysctl_text()
    }

    /// Write `/proc/sys/kernel/printk`.
    pub fn write_printk_sysctl(&self, text: &str) -> Result<(), InvalidSysctl> {
        self.lock().levels.write_sysctl_text(text)
    }

    /// `SYSLOG_ACTION_CONSOLE_LEVEL` (`dmesg -n`): 1..=8, raised to the minimum console level.
    pub fn syslog_console_level(&self, level: i32) -> Result<(), InvalidLevel> {
        if !(1..=8).contains(&level) {
            return Err(InvalidLevel);
        }
        let mut inner = self.lock();
        inner.levels.console_loglevel = level.max(inner.levels.minimum_console_loglevel);
        Ok(())
    }
}

/// `printk_parse_prefix`: `KERN_SOH` pairs at the start. Returns the prefix length, the first level
/// digit, and whether `KERN_CONT` was among them. `KERN_SOH "d"` (the old `KERN_DEFAULT`) is
/// accepted and keeps the default level.
pub fn parse_prefix(text: &[u8]) -> (usize, Option<u8>, bool) {
    let mut len = 0;
    let mut level = None;
    let mut cont = false;
    while text.len() >= len + 2 && text[len] == KERN_SOH {
        match text[len + 1] {
            c @ b'0'..=b'7' => {
                if level.is_none() {
                    level = Some(c - b'0');
                }
            }
            b'c' => cont = true,
            b'd' => {}
            _ => break,
        }
        len += 2;
    }
    (len, level, cont)
}

/// Escape like `msg_add_ext_text`: bytes below space, from 127 up, and backslash become `\xNN`.
pub fn escape_kmsg_text(text: &[u8]) -> String {
    let mut s = String::with_capacity(text.len());
    for &c in text {
        if !(b' '..127).contains(&c) || c == b'\\' {
            s.push_str(&format!("\\x{c:02x}"));
        } else {
            s.push(c as char);
        }
    }
    s
}

/// A record as `/dev/kmsg` returns it: `"<prio>,<seq>,<usec>,<flag>;<escaped text>\n"`.
pub fn format_kmsg(r: &Record) -> String {
    format!(
        "{},{},{},{};{}\n",
        r.prio(),
        r.seq,
        r.ts_nsec / 1000,
        if r.cont { 'c' } else { '-' },
        escape_kmsg_text(&r.text)
    )
}

/// Why a `/dev/kmsg` record did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KmsgParseError {
    /// No `;` ends the header.
    NoHeader,
    /// A header field is missing or not a number.
    BadField(&'static str),
}

impl fmt::Display for KmsgParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KmsgParseError::NoHeader => f.write_str("kmsg record without a ';'-terminated header"),
            KmsgParseError::BadField(name) => write!(f, "kmsg record with a bad {name} field"),
        }
    }
}

impl std::error::Error for KmsgParseError {}

/// Parse one `/dev/kmsg` record (the reverse of [`format_kmsg`]). `\xNN` escapes in the text are
/// decoded; continuation lines (the ` KEY=value` dictionary) are ignored; unknown extra header
/// fields (such as `caller=`) are skipped. The timestamp keeps microsecond precision.
pub fn parse_kmsg(s: &str) -> Result<Record, KmsgParseError> {
    let semi = s.find(';').ok_or(KmsgParseError::NoHeader)?;
    let (header, rest) = (&s[..semi], &s[semi + 1..]);
    let mut fields = header.split(',');
    let num = |f: Option<&str>, name: &'static str| -> Result<u64, KmsgParseError> {
        f.map(str::trim)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(KmsgParseError::BadField(name))
    };
    let prio = num(fields.next(), "priority")?;
    let seq = num(fields.next(), "sequence")?;
    let usec = num(fields.next(), "timestamp")?;
    let flags = fields.next().unwrap_or("-");
    let facility = u8::try_from(prio >> 3).map_err(|_| KmsgParseError::BadField("priority"))?;
    let line = rest.split('\n').next().unwrap_or("");
    Ok(Record {
        seq,
        ts_nsec: usec.saturating_mul(1000),
        facility,
        level: (prio & 7) as u8,
        cont: flags.contains('c'),
        newline: true,
        caller: 0,
        text: unescape_kmsg_text(line),
    })
}

/// Decode `\xNN` escapes.
pub fn unescape_kmsg_text(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && i + 3 < b.len()
            && b[i + 2].is_ascii_hexdigit()
            && b[i + 3].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn time_prefix(r: &Record) -> String {
    let (sec, usec) = r.ts_sec_usec();
    format!("[{sec:5}.{usec:06}] ")
}

/// What a console prints with `printk.time=y`: `"[%5lu.%06lu] text\n"`, the prefix repeated on
/// every line of a multi-line record (`record_print_text`).
pub fn console_line(r: &Record) -> String {
    prefixed_lines(r, &time_prefix(r))
}

/// What `SYSLOG_ACTION_READ_ALL` returns for a record: `"<prio>[%5lu.%06lu] text\n"` per line.
pub fn syslog_line(r: &Record) -> String {
    prefixed_lines(r, &format!("<{}>{}", r.prio(), time_prefix(r)))
}

fn prefixed_lines(r: &Record, prefix: &str) -> String {
    let text = String::from_utf8_lossy(&r.text);
    let mut s = String::new();
    for line in text.split('\n') {
        s.push_str(prefix);
        s.push_str(line);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_newline() {
        let b = LogBuffer::new();
        let r = b.store(0, b"\x013hello\n", 1);
        assert_eq!((r.level, r.newline, r.appended, r.len), (3, true, false, 5));
        assert!(r.console);
        let r = b.store(0, b"plain\n", 1);
        assert_eq!(r.level, 4);
        assert!(!r.console);
        let r = b.store(0, b"\x016\x013first wins\n", 1);
        assert_eq!(r.level, 6);
        assert_eq!(r.text, b"first wins");
        let r = b.store(0, b"\x01dkeeps default\n", 1);
        assert_eq!((r.level, r.text.as_slice()), (4, &b"keeps default"[..]));
        let r = b.store(0, b"\x019not a level\n", 1);
        assert_eq!(r.text, b"\x019not a level");
        // Only one newline is stripped.
        let r = b.store(0, b"two\n\n", 1);
        assert_eq!(r.text, b"two\n");
        // Facility != 0 does not parse prefixes.
        let r = b.store(3, b"\x013x\n", 1);
        assert_eq!((r.level, r.text.as_slice()), (4, &b"\x013x"[..]));
        let all = b.read_all();
        assert_eq!(all.len(), 7);
        assert_eq!(
            all.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (0..7).collect::<Vec<_>>()
        );
        assert!(all.windows(2).all(|w| w[0].ts_nsec <= w[1].ts_nsec));
    }

    #[test]
    fn default_level_follows_sysctl() {
        let b = LogBuffer::new();
        b.write_printk_sysctl("7 6").unwrap();
        assert_eq!(b.store(0, b"x\n", 1).level, 6);
        assert_eq!(b.printk_sysctl(), "7\t6\t1\t7\n");
    }

    #[test]
    fn cont_merging() {
        let b = LogBuffer::new();
        b.store(0, b"\x016abc", 7);
        // Not visible until finalized.
        assert!(b.read_all().is_empty());
        let r = b.store(0, b"\x01cdef", 7);
        assert!(r.appended);
        assert_eq!(r.level, 6);
        let r = b.store(0, b"\x01c\x013ghi\n", 7);
        assert!(r.appended && r.newline);
        assert_eq!(r.level, 6);
        let all = b.read_all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].text, b"abcdefghi");
        assert!(!all[0].cont && all[0].newline);

        // A closed record is not continued: a new record with the c flag.
        let r = b.store(0, b"\x01cmore\n", 7);
        assert!(!r.appended);
        assert_eq!(r.level, 4);
        assert!(b.read_all()[1].cont);

        // Another caller's KERN_CONT does not join.
        b.store(0, b"open", 1);
        let r = b.store(0, b"\x01cother", 2);
        assert!(!r.appended);
        // ...and finalized the open record of caller 1.
        let all = b.read_all();
        assert_eq!(all.last().unwrap().text, b"open");
        assert!(!all.last().unwrap().newline);
        // Without KERN_CONT, a new record even for the same caller.
        let r = b.store(0, b"fresh\n", 2);
        assert!(!r.appended);
        assert_eq!(b.read_all().len(), 5);
        b.store(0, b"tail", 2);
        b.flush();
        assert_eq!(b.read_all().last().unwrap().text, b"tail");
    }

    #[test]
    fn long_messages_are_cut() {
        let b = LogBuffer::new();
        let long = vec![b'a'; 5000];
        let r = b.store(0, &long, 1);
        assert_eq!(r.len, LOG_LINE_MAX - 1);
        // An append that would overflow the line starts a new record.
        let r = b.store(0, b"\x01cxyz\n", 1);
        assert!(!r.appended);
    }

    #[test]
    fn capacity_eviction() {
        let b = LogBuffer::with_capacity(4096);
        for i in 0..200 {
            b.store(0, format!("message number {i:04}\n").as_bytes(), 1);
        }
        let all = b.read_all();
        // 4096 / 32 = 128 descriptors at most; 40-byte blocks fit 102.
        assert!(all.len() <= 128);
        let used: usize = all.iter().map(|r| block_size(r.text.len())).sum();
        assert!(used <= 4096);
        assert_eq!(all.last().unwrap().seq, 199);
        assert_eq!(all.last().unwrap().text, b"message number 0199");
        assert_eq!(b.first_seq(), all[0].seq);
        assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        assert_eq!(b.next_seq(), 200);
        // Small messages hit the descriptor limit first.
        let b = LogBuffer::with_capacity(4096);
        for _ in 0..300 {
            b.store(0, b"x\n", 1);
        }
        assert_eq!(b.read_all().len(), 128);
    }

    #[test]
    fn clear_and_read_after() {
        let b = LogBuffer::new();
        b.store(0, b"a\n", 1);
        b.store(0, b"b\n", 1);
        b.clear();
        assert!(b.read_all().is_empty());
        assert_eq!(b.read_after(None).len(), 2);
        b.store(0, b"c\n", 1);
        assert_eq!(b.read_all()[0].text, b"c");
        assert_eq!(b.read_after(Some(0)).len(), 2);
        let got = b.read_clear();
        assert_eq!(got.len(), 1);
        assert!(b.read_all().is_empty());
    }

    #[test]
    fn wait_for_new_records() {
        use std::sync::Arc;
        let b = Arc::new(LogBuffer::new());
        b.store(0, b"a\n", 1);
        assert!(b
            .wait_after(Some(0), Some(Duration::from_millis(20)))
            .is_empty());
        let b2 = Arc::clone(&b);
        let t = std::thread::spawn(move || b2.wait_after(Some(0), Some(Duration::from_secs(10))));
        std::thread::sleep(Duration::from_millis(30));
        b.store(0, b"b", 1);
        b.store(0, b"\x01c!\n", 1);
        let got = t.join().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text, b"b!");
    }

    #[test]
    fn sysctl_text() {
        let mut l = PrintkLevels::default();
        assert_eq!(l.to_sysctl_text(), "4\t4\t1\t7\n");
        l.write_sysctl_text("8\n").unwrap();
        assert_eq!(l.to_sysctl_text(), "8\t4\t1\t7\n");
        l.write_sysctl_text("3 5 2 6 9 9").unwrap();
        assert_eq!(l.to_sysctl_text(), "3\t5\t2\t6\n");
        assert!(l.write_sysctl_text("").is_err());
        assert!(l.write_sysctl_text("x").is_err());
        l.write_sysctl_text(" -1\t+2").unwrap();
        assert_eq!((l.console_loglevel, l.default_message_loglevel), (-1, 2));
    }

    #[test]
    fn syslog_console_level() {
        let b = LogBuffer::new();
        assert!(b.syslog_console_level(0).is_err());
        assert!(b.syslog_console_level(9).is_err());
        b.syslog_console_level(8).unwrap();
        assert_eq!(b.levels().console_loglevel, 8);
        b.write_printk_sysctl("4 4 3 7").unwrap();
        b.syslog_console_level(1).unwrap();
        assert_eq!(b.levels().console_loglevel, 3);
    }

    #[test]
    fn kmsg_round_trip() {
        let r = Record {
            seq: 42,
            ts_nsec: 1_234_567_891,
            facility: 0,
            level: 3,
            cont: false,
            newline: true,
            caller: 0,
            text: b"tab\there\\ \x7f\xc3\xa9 line\nnext".to_vec(),
        };
        let s = format_kmsg(&r);
        assert_eq!(
            s,
            "3,42,1234567,-;tab\\x09here\\x5c \\x7f\\xc3\\xa9 line\\x0anext\n"
        );
        let p = parse_kmsg(&s).unwrap();
        assert_eq!(p.text, r.text);
        assert_eq!(
            (p.seq, p.level, p.facility, p.ts_nsec, p.cont),
            (42, 3, 0, 1_234_567_000, false)
        );
        let c = parse_kmsg("14,7,5,c,caller=T12;hi\n SUBSYSTEM=usb\n DEVICE=c189:1\n").unwrap();
        assert_eq!(
            (c.facility, c.level, c.cont, c.text.as_slice()),
            (1, 6, true, &b"hi"[..])
        );
        assert_eq!(format_kmsg(&c), "14,7,5,c;hi\n");
        assert!(parse_kmsg("no header").is_err());
        assert!(parse_kmsg("x,1,2,-;t").is_err());
        assert!(parse_kmsg("6,1;t").is_err());
    }

    #[test]
    fn write_kmsg_prefix() {
        let b = LogBuffer::new();
        let r = b.write_kmsg(b"<12>hello\n", 1);
        assert_eq!(r.level, 4);
        b.write_kmsg(b"<3>kern prio from user\n", 1);
        b.write_kmsg(b"no prefix\n", 1);
        let all = b.read_all();
        assert_eq!((all[0].facility, all[0].level), (1, 4));
        assert_eq!((all[1].facility, all[1].level), (1, 3));
        assert_eq!((all[2].facility, all[2].level), (1, 4));
        assert_eq!(all[2].text, b"no prefix");
    }

    #[test]
    fn console_and_syslog_lines() {
        let r = Record {
            seq: 0,
            ts_nsec: 12_000_416_999,
            facility: 0,
            level: 1,
            cont: false,
            newline: true,
            caller: 0,
            text: b"one\ntwo".to_vec(),
        };
        assert_eq!(console_line(&r), "[   12.000416] one\n[   12.000416] two\n");
        assert_eq!(
            syslog_line(&r),
            "<1>[   12.000416] one\n<1>[   12.000416] two\n"
        );
    }
}
