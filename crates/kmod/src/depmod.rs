//! `depmod`, as kmod 30 (Debian 12): the module directory's dependency and index files.
//!
//! The steps and their order rules, all kmod 30's:
//!
//! 1. **Find the modules**: walk `<basedir>/lib/modules/<version>` (then the `external` directories)
//!    in `readdir` order, skipping `.`/`..`, `build`, `source` and `exclude` names; files ending in
//!    `.ko`, `.ko.xz`, `.ko.zst` (and `.ko.gz`, which Debian's kmod cannot read) are modules. Of two
//!    modules with one name, depmod.d's `override` and `search` decide ([`config`]); on a tie the one
//!    found first stays. With module files on the command line, exactly those are indexed. The walk
//!    ([`walk`]) works on directory descriptors, subtrees in parallel, in the same order.
//! 2. **Order them**: kmod's name-hash order (512 buckets, [`khash`]), then a stable sort that puts
//!    the modules listed in `modules.order` first, in its order (a path listed twice keeps its last
//!    position; compressed files match their `.ko` name).
//! 3. **Read them** in parallel ([`scan`]): exported symbols and CRCs, `alias`/`softdep` records, and
//!    the undefined symbols with their `__versions` CRCs. Everything after this is sequential, so the
//!    output does not depend on the number of threads.
//! 4. **Resolve**: symbols from `-E`/`-F` first, then each module's exports in module order (a later
//!    module takes over a symbol); each module's needed symbols give its direct dependencies in
//!    discovery order. A topological sort (roots pushed in module order, popped LIFO) numbers the
//!    modules; a cycle is reported as kmod does and nothing is written (exit 1).
//! 5. **Write** `modules.dep` (each line: the transitive dependencies sorted by that number),
//!    `.dep.bin`, `.alias`, `.alias.bin`, `.softdep`, `.symbols` (symbol-hash order: 2048 buckets),
//!    `.symbols.bin`, `.builtin.bin`, `.builtin.alias.bin`, `.devname`, each to a temporary file
//!    renamed over the old one; or with `-n` the text files to stdout.
//!
//! Index files are written in kmod 30's post-order layout by default, byte for byte as Debian's
//! depmod writes them; [`DepmodOptions::layout`] selects kmod 34's pre-order layout instead.
//!
//! **The module cache (lkm only).** Step 3 takes a module's data from `modules.lkm-cache` in the
//! output directory when the file's inode, size and nanosecond mtime are those recorded, and reads
//! only the other files; the output is the same either way. A full run (no module files as
//! arguments, no `-n`) rewrites the cache when it did not describe exactly the files found. This is
//! a deliberate difference from kmod, whose depmod writes only its own files; `--no-cache`
//! ([`DepmodOptions::cache`]) neither reads nor writes it, and `--stats` says how many modules were
//! read. It also keeps memos that let step 5 reuse `modules.dep.bin`, `modules.alias.bin` and
//! `modules.symbols.bin` when what they are built from is unchanged. When nothing the outputs depend
//! on changed (touched modules whose data is the same, say), a run leaves the outputs as the last
//! run wrote them, only setting their mtimes, after checking that they are still those files
//! (`--stats` adds "(outputs unchanged)"). The format, the state file behind this, and the rules
//! for a damaged cache are in [`cache`].

pub mod cache;
pub mod config;
pub mod khash;
pub mod scan;
pub mod walk;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Write;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use lkm_modfile::strerror;
use lkm_modindex::normalize::{alias_normalize, modname_normalize};
use lkm_modindex::{IndexBuilder, Layout};

use cache::FileStamp;
use config::{Config, Search};
use scan::Scanned;

/// The module-file extensions depmod indexes.
const EXTENSIONS: [&[u8]; 4] = [b".ko", b".ko.gz", b".ko.xz", b".ko.zst"];

/// syslog priorities, as kmod's log uses them.
const LOG_ERR: u32 = 3;
const LOG_WARNING: u32 = 4;
const LOG_INFO: u32 = 6;

/// depmod's options (see `depmod(8)` of kmod 30).
#[derive(Debug, Clone)]
pub struct DepmodOptions {
    /// `-A`: do nothing if no module is newer than `modules.dep`.
    pub quick: bool,
    /// `-b`: the root the module tree lives under (already absolute).
    pub basedir: Option<PathBuf>,
    /// `-o` (kmod ≥ 31; an lkm extension over kmod 30): write the outputs under this root instead.
    pub outdir: Option<PathBuf>,
    /// `-C`: configuration files or directories replacing kmod's defaults.
    pub config_paths: Vec<PathBuf>,
    /// `-E`: `Module.symvers` (kernel symbols with CRCs; CRCs are checked).
    pub symvers: Option<PathBuf>,
    /// `-F`: `System.map` (kernel symbols).
    pub system_map: Option<PathBuf>,
    /// `-e`: report unknown symbols (needs `-E` or `-F`).
    pub errsyms: bool,
    /// Each `-v` raises this from 0.
    pub verbose: u32,
    /// `-n`: the text files to stdout, nothing written.
    pub dry_run: bool,
    /// `-P`: the architecture's symbol prefix.
    pub sym_prefix: Option<u8>,
    /// `-w`: warn about duplicate index entries.
    pub warn_dups: bool,
    /// The kernel version (`uname -r` when `None`).
    pub kversion: Option<String>,
    /// Module files to index instead of the whole tree (absolute paths).
    pub files: Vec<PathBuf>,
    /// The layout of the `.bin` files: kmod 30's post-order by default.
    pub layout: Layout,
    /// Threads reading modules (0: one per CPU).
    pub threads: usize,
    /// Use and keep `modules.lkm-cache` (an lkm extension, on by default; `--no-cache` clears it).
    pub cache: bool,
    /// `--stats` (lkm): say on stderr how many modules were read and how many came from the cache.
    pub stats: bool,
}

impl Default for DepmodOptions {
    fn default() -> Self {
        DepmodOptions {
            quick: false,
            basedir: None,
            outdir: None,
            config_paths: Vec::new(),
            symvers: None,
            system_map: None,
            errsyms: false,
            verbose: 0,
            dry_run: false,
            sym_prefix: None,
            warn_dups: false,
            kversion: None,
            files: Vec::new(),
            layout: Layout::PostOrder,
            threads: 0,
            cache: true,
            stats: false,
        }
    }
}

/// kmod's log on stderr: `depmod: LEVEL: message`, filtered by priority. A FATAL message ends the run.
pub struct Log<'a> {
    prog: &'a str,
    priority: u32,
    err: &'a mut dyn Write,
    /// How many messages were printed.
    printed: usize,
}

impl Log<'_> {
    fn line(&mut self, prio: u32, name: &str, msg: &str) {
        if prio <= self.priority {
            self.printed += 1;
            let _ = writeln!(self.err, "{}: {name}: {msg}", self.prog);
        }
    }
    /// `ERROR`.
    pub fn error(&mut self, msg: &str) {
        self.line(LOG_ERR, "ERROR", msg);
    }
    /// `WARNING`.
    pub fn warning(&mut self, msg: &str) {
        self.line(LOG_WARNING, "WARNING", msg);
    }
    /// `INFO` (shown with `-vv`).
    pub fn info(&mut self, msg: &str) {
        self.line(LOG_INFO, "INFO", msg);
    }
    /// `FATAL`; the caller returns exit status 1.
    fn fatal(&mut self, msg: &str) -> i32 {
        self.printed += 1;
        let _ = writeln!(self.err, "{}: FATAL: {msg}", self.prog);
        1
    }
}

/// Messages collected away from the log (by a thread), replayed in kmod's order.
#[derive(Default)]
struct Messages(Vec<(u32, String)>);

impl Messages {
    fn push(&mut self, prio: u32, msg: String) {
        self.0.push((prio, msg));
    }
    fn replay(self, log: &mut Log) {
        for (prio, msg) in self.0 {
            match prio {
                LOG_ERR => log.error(&msg),
                LOG_WARNING => log.warning(&msg),
                _ => log.info(&msg),
            }
        }
    }
}

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn os_err(e: &std::io::Error) -> String {
    strerror(e)
}

fn errno_str(errno: i32) -> String {
    strerror(&std::io::Error::from_raw_os_error(errno))
}

/// `sscanf(version, "%u.%u")` matched both numbers.
fn is_version_number(v: &str) -> bool {
    fn scan_u(s: &[u8]) -> Option<&[u8]> {
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        (i > start).then_some(&s[i..])
    }
    let Some(rest) = scan_u(v.as_bytes()) else {
        return false;
    };
    match rest.split_first() {
        Some((b'.', rest)) => scan_u(rest).is_some(),
        _ => false,
    }
}

/// `strtoull(s, &end, 16)` consuming the whole token (optional sign and `0x`).
fn strtoull16(s: &[u8]) -> Option<u64> {
    let (neg, s) = match s.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, s),
    };
    let digits = match s {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => rest,
        _ => s,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        let x = (d as char).to_digit(16).expect("hex digit");
        v = v
            .checked_mul(16)
            .and_then(|v| v.checked_add(u64::from(x)))
            .unwrap_or(u64::MAX);
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `sscanf(s, "<prefix>%u-%u")`.
fn scan_major_minor(s: &[u8], prefix: &[u8]) -> Option<(u32, u32)> {
    fn scan_u(s: &[u8]) -> Option<(u32, &[u8])> {
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let neg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut v: u64 = 0;
        let mut overflow = false;
        while i < s.len() && s[i].is_ascii_digit() {
            match v
                .checked_mul(10)
                .and_then(|x| x.checked_add(u64::from(s[i] - b'0')))
            {
                Some(x) => v = x,
                None => overflow = true,
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        let v = if overflow { u64::MAX } else { v };
        let v = if neg { v.wrapping_neg() } else { v };
        Some((v as u32, &s[i..]))
    }
    let rest = s.strip_prefix(prefix)?;
    let (major, rest) = scan_u(rest)?;
    let rest = rest.strip_prefix(b"-")?;
    let (minor, _) = scan_u(rest)?;
    Some((major, minor))
}

fn ends_with_kmod_ext(name: &[u8]) -> bool {
    EXTENSIONS
        .iter()
        .any(|e| name.len() > e.len() && name.ends_with(e))
}

/// GNU `basename`: after the last `/`.
fn basename(p: &[u8]) -> &[u8] {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// `path_to_modname`.
fn path_to_modname(p: &[u8]) -> Option<Vec<u8>> {
    let base = basename(p);
    (!base.is_empty()).then(|| modname_normalize(base))
}

/// One module.
struct Mod {
    path: Vec<u8>,
    /// Where the path relative to the module directory starts, if it is under it.
    rel_start: Option<usize>,
    /// The relative path ending in `.ko` (kmod's `uncrelpath`), if under the module directory.
    uncrelpath: Option<Vec<u8>>,
    /// Index of the last `/` in `path`.
    baselen: usize,
    modname: Vec<u8>,
    sort_idx: i64,
    dep_sort_idx: usize,
    users: u32,
    /// Direct dependencies (indices into the module array), in discovery order; later sorted.
    deps: Vec<usize>,
    visited: bool,
    /// The file's identity when it was read (`None` if `stat` failed).
    stamp: Option<FileStamp>,
    /// The file's identity when the walk found it, if the walk took it (`Some(None)`: `stat`
    /// failed).
    found_stamp: Option<Option<FileStamp>>,
    data: Scanned,
}

impl Mod {
    fn new(path: Vec<u8>, modname: Vec<u8>, dirname: &[u8]) -> Mod {
        let baselen = path.iter().rposition(|&b| b == b'/').unwrap_or(0);
        let rel_start = (path.starts_with(dirname) && path.get(dirname.len()) == Some(&b'/'))
            .then_some(dirname.len() + 1);
        let uncrelpath = rel_start.map(|r| {
            let len = baselen - r + (modname.len() + 1) + 3;
            path[r..(r + len).min(path.len())].to_vec()
        });
        Mod {
            path,
            rel_start,
            uncrelpath,
            baselen,
            modname,
            sort_idx: 1,
            dep_sort_idx: usize::MAX,
            users: 0,
            deps: Vec::new(),
            visited: false,
            stamp: None,
            found_stamp: None,
            data: Scanned::default(),
        }
    }

    /// The path written to `modules.dep`: relative when under the module directory.
    fn dep_path(&self) -> &[u8] {
        match self.rel_start {
            Some(r) => &self.path[r..],
            None => &self.path,
        }
    }

    fn path_str(&self) -> std::borrow::Cow<'_, str> {
        lossy(&self.path)
    }
}

/// `modules.order` in `dirname`, checked as kmod checks it before sorting (its messages logged);
/// `None` when it is missing or corrupted, and then kmod does not sort.
fn read_order(dirname: &[u8], log: &mut Log) -> Option<Vec<u8>> {
    let file = Path::new(OsStr::from_bytes(dirname)).join("modules.order");
    let data = match std::fs::read(&file) {
        Ok(d) => d,
        Err(e) => {
            log.warning(&format!(
                "could not open modules.order at {}: {}",
                lossy(dirname),
                os_err(&e)
            ));
            return None;
        }
    };
    for (i, l) in order_lines(&data).iter().enumerate() {
        if l.last() != Some(&b'\n') {
            log.error(&format!(
                "{}/modules.order:{} corrupted line misses '\\n'",
                lossy(dirname),
                i + 1
            ));
            return None;
        }
    }
    Some(data)
}

/// The lines of `modules.order` as kmod reads them: `fgets` with a PATH_MAX buffer, so that lines
/// longer than 4095 bytes come in pieces.
fn order_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        let mut l = line;
        while l.len() > 4095 {
            lines.push(&l[..4095]);
            l = &l[4095..];
        }
        lines.push(l);
    }
    lines
}

/// A module file the directory walk found.
struct FoundModule {
    path: Vec<u8>,
    /// The length of its directory's path, up to and including the last `/`.
    baselen: usize,
    /// Its stamp, if the walk took one (`Some(None)`: `stat` failed).
    stamp: Option<Option<FileStamp>>,
}

/// Reads one module: its stamp before the read (a file changed meanwhile is read again next time)
/// and data.
fn read_module(path: &[u8]) -> (Option<FileStamp>, Scanned) {
    let path = Path::new(OsStr::from_bytes(path));
    let stamp = std::fs::metadata(path).ok().map(|m| FileStamp::of(&m));
    (stamp, scan::scan(path))
}

/// What [`check_unchanged`] read: path → stamp and data.
type PreRead = HashMap<Vec<u8>, (Option<FileStamp>, Scanned), FastHash>;

/// Whether the module files the walk found are exactly those `state` lists, in its order, and
/// those the outputs were built from have the same data (one whose stamp changed is read again;
/// what was read is returned for the run that goes on otherwise).
fn check_unchanged(
    found: &[FoundModule],
    state: &cache::State<'_>,
    threads: usize,
) -> (bool, PreRead) {
    let same_files = found.len() == state.modules.len()
        && found
            .iter()
            .zip(&state.modules)
            .all(|(f, s)| f.path == *s.path);
    if !same_files {
        return (false, PreRead::default());
    }
    let changed: Vec<(&[u8], u64)> = found
        .iter()
        .zip(&state.modules)
        .filter_map(|(f, s)| match s.sum {
            Some(sum) if f.stamp != Some(Some(s.stamp)) => Some((&f.path[..], sum)),
            _ => None,
        })
        .collect();
    let read = parallel_map(&changed, threads, |&(path, _)| read_module(path));
    let mut unchanged = true;
    let mut pre = PreRead::default();
    for ((path, sum), (st, data)) in changed.into_iter().zip(read) {
        unchanged &= st.is_some()
            && data.symbols_errno.is_none()
            && cache::checksum(&cache::encode_facts(&data)) == sum;
        pre.insert(path.to_vec(), (st, data));
    }
    (unchanged, pre)
}

/// The fingerprint of everything the outputs are built from besides the modules' data (see
/// [`cache::State`]): the options, directories, depmod.d, the module files the walk found in its
/// order, and the other files read (`modules.order` as [`read_order`] gave it).
fn run_fingerprint(
    opts: &DepmodOptions,
    print_unknown: bool,
    dm: &Depmod<'_>,
    outdir: &[u8],
    found: &[FoundModule],
    order: Option<&[u8]>,
) -> [u64; 2] {
    let mut f = cache::Fingerprint::default();
    f.bytes(b"lkm depmod run 2");
    f.bytes(&dm.dirname);
    f.bytes(outdir);
    f.bytes(format!("{:?}", opts.layout).as_bytes());
    f.u64(u64::from(opts.warn_dups));
    f.u64(u64::from(print_unknown));
    f.u64(dm.sym_prefix.map_or(0x100, u64::from));
    let cfg = dm.cfg;
    for list in [&cfg.overrides, &cfg.externals, &cfg.excludes] {
        f.u64(list.len() as u64);
        for item in list {
            f.bytes(item);
        }
    }
    f.u64(cfg.searches.len() as u64);
    for se in &cfg.searches {
        match se {
            Search::Builtin => f.u64(0),
            Search::External => f.u64(1),
            Search::Path(p) => {
                f.u64(2);
                f.bytes(p);
            }
        }
    }
    // -E and -F: which, and what the file holds.
    let file_bytes = |f: &mut cache::Fingerprint, p: &Option<PathBuf>| match p {
        None => f.u64(0),
        Some(p) => match std::fs::read(p) {
            Ok(d) => {
                f.u64(1);
                f.bytes(&d);
            }
            Err(_) => f.u64(2),
        },
    };
    file_bytes(&mut f, &opts.symvers);
    file_bytes(
        &mut f,
        &opts.system_map.clone().filter(|_| opts.symvers.is_none()),
    );
    let dir = Path::new(OsStr::from_bytes(&dm.dirname));
    for input in ["modules.builtin", "modules.builtin.modinfo"] {
        file_bytes(&mut f, &Some(dir.join(input)));
    }
    match order {
        Some(d) => {
            f.u64(1);
            f.bytes(d);
        }
        None => f.u64(0),
    }
    f.u64(found.len() as u64);
    for m in found {
        f.bytes(&m.path);
    }
    f.finish()
}

/// `mods` in the order `order` gives (a permutation of its indices): each module moved once, where
/// sorting the modules themselves would move these large values many times.
fn permute(mods: Vec<Mod>, order: impl Iterator<Item = usize>) -> Vec<Mod> {
    let mut slots: Vec<Option<Mod>> = mods.into_iter().map(Some).collect();
    order
        .map(|i| slots[i].take().expect("a permutation"))
        .collect()
}

/// FNV-1a over the key, for the symbol table (symbol names from trusted files, looked up some 200,000
/// times per run) and the maps of module names and paths, where SipHash's resistance to chosen keys
/// only costs time.
#[derive(Default, Clone, Copy)]
struct FastHash;

struct FastHasher(u64);

impl std::hash::BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

struct Symbol {
    owner: Option<usize>,
    crc: u64,
}

struct Depmod<'c> {
    cfg: &'c Config,
    dirname: Vec<u8>,
    sym_prefix: Option<u8>,
    by_name: HashMap<Vec<u8>, Mod, FastHash>,
    modules: Vec<Mod>,
    symbols: HashMap<Vec<u8>, Symbol, FastHash>,
}

impl Depmod<'_> {
    /// kmod's `depmod_symbol_add` (a later add of a name replaces the earlier one).
    fn symbol_add(&mut self, name: &[u8], prefix_skipped: bool, crc: u64, owner: Option<usize>) {
        let mut name = name;
        if !prefix_skipped {
            if let (Some(p), Some(&c)) = (self.sym_prefix, name.first()) {
                if c == p {
                    name = &name[1..];
                }
            }
        }
        self.symbols.insert(name.to_vec(), Symbol { owner, crc });
    }

    fn symbol_find(&self, name: &[u8]) -> Option<&Symbol> {
        let mut name = name;
        if name.first() == Some(&b'.') {
            name = &name[1..];
        }
        if let (Some(p), Some(&c)) = (self.sym_prefix, name.first()) {
            if c == p {
                name = &name[1..];
            }
        }
        self.symbols.get(name)
    }

    fn add_fake_symbols(&mut self) {
        self.symbol_add(b"__this_module", true, 0, None);
        self.symbol_add(b"_GLOBAL_OFFSET_TABLE_", true, 0, None);
        if self.symbol_find(b"TOC.").is_none() {
            self.symbol_add(b"TOC.", true, 0, None);
        }
    }

    fn load_symvers(&mut self, path: &Path, log: &mut Log) -> std::io::Result<()> {
        let data = std::fs::read(path)?;
        for (n, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
            // strtok(" \t") on the line as fgets returns it: the newline stays in the last token.
            let mut tok = line
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|t| !t.is_empty());
            let (Some(ver), Some(sym), Some(wher)) = (tok.next(), tok.next(), tok.next()) else {
                continue;
            };
            if wher != b"vmlinux" {
                continue;
            }
            let Some(crc) = strtoull16(ver) else {
                log.error(&format!(
                    "{}:{} Invalid symbol version {}: Success",
                    path.display(),
                    n + 1,
                    lossy(ver)
                ));
                continue;
            };
            self.symbol_add(sym, false, crc, None);
        }
        self.add_fake_symbols();
        Ok(())
    }

    fn load_system_map(&mut self, path: &Path, log: &mut Log) -> std::io::Result<()> {
        let data = std::fs::read(path)?;
        for (n, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
            let after = |s: &[u8]| s.iter().position(|&b| b == b' ').map(|i| i + 1);
            let Some(p1) = after(line) else {
                log.error(&format!(
                    "{}:{}: invalid line: {}",
                    path.display(),
                    n + 1,
                    lossy(line)
                ));
                continue;
            };
            let Some(p2) = after(&line[p1..]) else {
                log.error(&format!(
                    "{}:{}: invalid line: {}",
                    path.display(),
                    n + 1,
                    lossy(line)
                ));
                continue;
            };
            let mut p = &line[p1 + p2..];
            if let (Some(pre), Some(&c)) = (self.sym_prefix, p.first()) {
                if c == pre {
                    p = &p[1..];
                }
            }
            let Some(name) = p.strip_prefix(b"__ksymtab_") else {
                continue;
            };
            let name = name.strip_suffix(b"\n").unwrap_or(name);
            let name = name.to_vec();
            self.symbol_add(&name, true, 0, None);
        }
        self.add_fake_symbols();
        Ok(())
    }

    /// kmod's `depmod_module_is_higher_priority`: whether the module already found (`old`) wins over
    /// the new file `newpath` (`baselen`: up to and including the last `/`; `modnamelen`: length of
    /// the new module's name).
    fn old_is_higher_priority(
        &self,
        old: &Mod,
        newpath: &[u8],
        baselen: usize,
        modnamelen: usize,
    ) -> bool {
        let cfg = self.cfg;
        let dl = self.dirname.len();
        let newlen = baselen + modnamelen;
        let oldlen = old.baselen + old.modname.len() + 1;
        let rel = |p: &[u8], len: usize| -> Option<Vec<u8>> {
            (p.starts_with(&self.dirname) && len > dl).then(|| {
                let end = len.min(p.len());
                p.get(dl + 1..end).unwrap_or(&[]).to_vec()
            })
        };
        let relnew = rel(newpath, newlen).unwrap_or_default();
        let relold = rel(&old.path, oldlen).unwrap_or_default();
        for ov in &cfg.overrides {
            if relnew == *ov {
                return false;
            }
            if relold == *ov {
                return true;
            }
        }
        let starts_with_dir = |p: &[u8], plen: usize, prefix: &[u8]| {
            plen > prefix.len() && p.get(prefix.len()) == Some(&b'/') && p.starts_with(prefix)
        };
        let (mut bprio, mut oldprio, mut newprio) = (-1i64, -1i64, -1i64);
        let mut i = 0i64;
        for se in &cfg.searches {
            match se {
                Search::Builtin => bprio = i,
                Search::External => {
                    for ext in &cfg.externals {
                        if starts_with_dir(newpath, newlen, ext) {
                            newprio = i;
                        }
                        if starts_with_dir(&old.path, oldlen, ext) {
                            oldprio = i;
                        }
                        i += 1;
                    }
                }
                Search::Path(p) => {
                    if relnew.len() > p.len() && relnew[p.len()] == b'/' && relnew.starts_with(p) {
                        newprio = i;
                    } else if relold.len() > p.len()
                        && relold[p.len()] == b'/'
                        && relold.starts_with(p)
                    {
                        oldprio = i;
                    }
                }
            }
            i += 1;
        }
        if newprio < 0 {
            newprio = bprio;
        }
        if oldprio < 0 {
            oldprio = bprio;
        }
        newprio <= oldprio
    }

    /// `depmod_modules_search_file`; `stamp` is the walk's, if it took one.
    fn search_file(
        &mut self,
        path: Vec<u8>,
        baselen: usize,
        stamp: Option<Option<FileStamp>>,
        log: &mut Log,
    ) {
        let name = &path[baselen..];
        if !ends_with_kmod_ext(name) {
            return;
        }
        let Some(modname) = path_to_modname(&path) else {
            log.error(&format!("could not get modname from path {}", lossy(&path)));
            return;
        };
        if let Some(old) = self.by_name.get(&modname) {
            if self.old_is_higher_priority(old, &path, baselen, modname.len()) {
                return;
            }
            self.by_name.remove(&modname);
        }
        let mut m = Mod::new(path, modname.clone(), &self.dirname);
        m.found_stamp = stamp;
        self.by_name.insert(modname, m);
    }

    /// `depmod_modules_search_path` and `depmod_modules_search_dir` ([`walk`]): the module files
    /// under `path`, its errors logged on the way; `Err(errno)` if the directory cannot be opened.
    /// `stamps`: take each module's stamp.
    fn walk_tree(
        &self,
        path: &[u8],
        stamps: bool,
        threads: usize,
        log: &mut Log,
    ) -> Result<Vec<FoundModule>, std::io::Error> {
        let found = walk::Walk {
            excludes: &self.cfg.excludes,
            stamps,
            threads,
        }
        .run(path);
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                log.error(&format!(
                    "could not open directory {}: {}",
                    lossy(path),
                    os_err(&e)
                ));
                return Err(e);
            }
        };
        let mut modules = Vec::with_capacity(found.len());
        for f in found {
            match f {
                walk::Found::Module {
                    path,
                    baselen,
                    stamp,
                } => modules.push(FoundModule {
                    path,
                    baselen,
                    stamp,
                }),
                walk::Found::Error(msg) => log.error(&msg),
            }
        }
        Ok(modules)
    }

    /// `depmod_modules_search_file` for each module file the walk found, in its order.
    fn add_found(&mut self, found: Vec<FoundModule>, log: &mut Log) {
        self.by_name.reserve(found.len());
        for f in found {
            self.search_file(f.path, f.baselen, f.stamp, log);
        }
    }

    /// `depmod_modules_build_array`: the name hash's order (512 buckets).
    fn build_array(&mut self) {
        let mods: Vec<Mod> = self.by_name.drain().map(|(_, m)| m).collect();
        let mut order: Vec<(u32, usize)> = mods
            .iter()
            .enumerate()
            .map(|(i, m)| (khash::order_key(&m.modname, 512).0, i))
            .collect();
        // Names are unique: an unstable sort gives the one order.
        order.sort_unstable_by(|a, b| (a.0, &mods[a.1].modname).cmp(&(b.0, &mods[b.1].modname)));
        self.modules = permute(mods, order.into_iter().map(|(_, i)| i));
    }

    /// `depmod_modules_sort`: modules listed in `modules.order` first, in its order. `order`: the
    /// file as [`read_order`] gives it.
    fn sort_by_order(&mut self, order: Option<&[u8]>) {
        let Some(data) = order else { return };
        let lines = order_lines(data);
        let total = lines.len() as i64 + 1;
        let by_unc: HashMap<&[u8], usize, FastHash> = self
            .modules
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.uncrelpath.as_deref().map(|u| (u, i)))
            .collect();
        let mut sort_idx: Vec<Option<i64>> = vec![None; self.modules.len()];
        for (i, l) in lines.iter().enumerate() {
            let key = &l[..l.len() - 1];
            let key = match key.iter().position(|&b| b == 0) {
                Some(n) => &key[..n],
                None => key,
            };
            if let Some(&m) = by_unc.get(key) {
                sort_idx[m] = Some(i as i64 + 1 - total);
            }
        }
        for (m, s) in self.modules.iter_mut().zip(sort_idx) {
            if let Some(s) = s {
                m.sort_idx = s;
            }
        }
        // glibc's qsort is a merge sort here: stable.
        let mut order: Vec<(i64, usize)> = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.sort_idx, i))
            .collect();
        order.sort_by_key(|&(key, _)| key);
        let mods = std::mem::take(&mut self.modules);
        self.modules = permute(mods, order.into_iter().map(|(_, i)| i));
    }

    /// Every module's stamp: the walk's, else taken now, in parallel.
    fn stamps(&self, threads: usize) -> Vec<Option<FileStamp>> {
        if let Some(found) = self.modules.iter().map(|m| m.found_stamp).collect() {
            return found;
        }
        let paths: Vec<&[u8]> = self.modules.iter().map(|m| &m.path[..]).collect();
        parallel_map(&paths, threads, |p| {
            std::fs::metadata(OsStr::from_bytes(p))
                .ok()
                .map(|m| FileStamp::of(&m))
        })
    }

    /// Reads the modules `which` (indices), in parallel ([`read_module`]).
    fn read_modules(&self, threads: usize, which: &[usize]) -> Vec<(Option<FileStamp>, Scanned)> {
        parallel_map(which, threads, |&i| read_module(&self.modules[i].path))
    }

    /// Reads every module, in parallel, except those `cache` holds in their current version (their
    /// keys are taken out of it; [`Depmod::take_cached`] then fills their data in). What `pre`
    /// holds is not done again. Returns the modules taken from the cache (index, data's range)
    /// and how many were read.
    fn scan_all(
        &mut self,
        threads: usize,
        cache: &mut cache::Index,
        mut pre_read: PreRead,
    ) -> (Vec<(usize, Range<usize>)>, usize) {
        let stamps = if cache.keys.is_empty() && pre_read.is_empty() {
            vec![None; self.modules.len()]
        } else {
            self.stamps(threads)
        };
        let mut cached = Vec::new();
        let mut to_read = Vec::new();
        for (i, stamp) in stamps.into_iter().enumerate() {
            let m = &mut self.modules[i];
            match (stamp, cache.keys.remove(&m.path)) {
                (Some(st), Some(k)) if k.stamp == st => {
                    m.stamp = Some(st);
                    cached.push((i, k.facts));
                }
                _ => match pre_read.remove(&m.path) {
                    Some((st, data)) => {
                        m.stamp = st;
                        m.data = data;
                    }
                    None => to_read.push(i),
                },
            }
        }
        let results = self.read_modules(threads, &to_read);
        for (&i, (stamp, data)) in to_read.iter().zip(results) {
            self.modules[i].stamp = stamp;
            self.modules[i].data = data;
        }
        let read = self.modules.len() - cached.len();
        (cached, read)
    }

    /// The module files as the state file lists them (see [`cache::State::modules`]): `found` in its
    /// order, with the data's checksum of those the outputs were built from. `None` if one of these
    /// did not parse or could not be `stat`ed (no later run could leave the outputs as they are).
    fn state_modules(
        &self,
        threads: usize,
        found: Vec<(Vec<u8>, Option<FileStamp>)>,
    ) -> Option<Vec<cache::StateModule<'static>>> {
        let at: HashMap<&[u8], usize, FastHash> = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (&m.path[..], i))
            .collect();
        let used: Vec<Option<&Mod>> = found
            .iter()
            .map(|(p, _)| at.get(&p[..]).map(|&i| &self.modules[i]))
            .collect();
        let sums = parallel_map(&used, threads, |m| {
            m.map(|m| {
                (m.data.symbols_errno.is_none() && m.stamp.is_some())
                    .then(|| (m.stamp, cache::checksum(&cache::encode_facts(&m.data))))
            })
        });
        found
            .into_iter()
            .zip(sums)
            .map(|((path, found_stamp), sum)| {
                let (stamp, sum) = match sum {
                    Some(Some((stamp, sum))) => (stamp, Some(sum)),
                    Some(None) => return None,
                    None => (found_stamp, None),
                };
                Some(cache::StateModule {
                    path: path.into(),
                    stamp: stamp?,
                    sum,
                })
            })
            .collect()
    }

    /// Decodes the data of the modules [`Depmod::scan_all`] took from the cache, in parallel.
    fn take_cached(
        &mut self,
        threads: usize,
        cache: &cache::Index,
        cached: &[(usize, Range<usize>)],
    ) {
        let data = parallel_map(cached, threads, |(_, r)| cache.facts(r));
        for ((i, _), d) in cached.iter().zip(data) {
            self.modules[*i].data = d;
        }
    }

    /// The cache's module part for the modules as read: those that parsed and could be `stat`ed.
    fn out_cache(&self) -> Vec<u8> {
        let cacheable: Vec<(&[u8], FileStamp, &Scanned)> = self
            .modules
            .iter()
            .filter(|m| m.data.symbols_errno.is_none())
            .filter_map(|m| m.stamp.map(|st| (&m.path[..], st, &m.data)))
            .collect();
        cache::encode_modules(cacheable.into_iter())
    }

    /// `depmod_load_modules` (the symbol part) and `depmod_load_dependencies`.
    fn load(
        &mut self,
        check_symvers: bool,
        print_unknown: bool,
        verbose: bool,
        out: &mut dyn Write,
        log: &mut Log,
    ) {
        for i in 0..self.modules.len() {
            if let Some(errno) = self.modules[i].data.symbols_errno {
                if errno != libc::ENOENT {
                    log.error(&format!(
                        "failed to load symbols from {}: {}",
                        self.modules[i].path_str(),
                        errno_str(errno)
                    ));
                }
            }
            let exports = std::mem::take(&mut self.modules[i].data.exports);
            for (name, crc) in &exports {
                self.symbol_add(name, false, *crc, Some(i));
            }
            // Kept for the cache.
            self.modules[i].data.exports = exports;
        }
        for i in 0..self.modules.len() {
            let deps = std::mem::take(&mut self.modules[i].data.deps);
            for d in &deps {
                let found = self.symbol_find(&d.name).map(|s| (s.owner, s.crc));
                let Some((owner, crc)) = found else {
                    if print_unknown && !d.weak {
                        log.warning(&format!(
                            "{} needs unknown symbol {}",
                            self.modules[i].path_str(),
                            lossy(&d.name)
                        ));
                    }
                    continue;
                };
                if check_symvers && crc != d.crc && !d.weak && print_unknown {
                    log.warning(&format!(
                        "{} disagrees about version of symbol {}",
                        self.modules[i].path_str(),
                        lossy(&d.name)
                    ));
                }
                let Some(owner) = owner else { continue };
                if self.modules[i].deps.contains(&owner) {
                    continue;
                }
                self.modules[i].deps.push(owner);
                self.modules[owner].users += 1;
                if verbose {
                    let stored = {
                        let mut n = &d.name[..];
                        if n.first() == Some(&b'.') {
                            n = &n[1..];
                        }
                        if let (Some(p), Some(&c)) = (self.sym_prefix, n.first()) {
                            if c == p {
                                n = &n[1..];
                            }
                        }
                        n.to_vec()
                    };
                    let _ = writeln!(
                        out,
                        "{} needs \"{}\": {}",
                        self.modules[i].path_str(),
                        lossy(&stored),
                        self.modules[owner].path_str()
                    );
                }
            }
            self.modules[i].data.deps = deps;
        }
    }

    /// `depmod_calculate_dependencies`: the topological numbering; `false` after reporting cycles.
    fn calculate_dependencies(&mut self, log: &mut Log) -> bool {
        let n = self.modules.len();
        let mut users: Vec<u32> = self.modules.iter().map(|m| m.users).collect();
        let mut roots: Vec<usize> = (0..n).filter(|&i| users[i] == 0).collect();
        let mut n_sorted = 0;
        while let Some(src) = roots.pop() {
            self.modules[src].dep_sort_idx = n_sorted;
            n_sorted += 1;
            for k in 0..self.modules[src].deps.len() {
                let dst = self.modules[src].deps[k];
                users[dst] -= 1;
                if users[dst] == 0 {
                    roots.push(dst);
                }
            }
        }
        if n_sorted < n {
            self.report_cycles(&users, log);
            return false;
        }
        for i in 0..n {
            let mut deps = std::mem::take(&mut self.modules[i].deps);
            deps.sort_by_key(|&d| self.modules[d].dep_sort_idx);
            self.modules[i].deps = deps;
        }
        true
    }

    /// `depmod_report_cycles`, with kmod 30's walk (including its quirks).
    fn report_cycles(&mut self, users: &[u32], log: &mut Log) {
        let mut roots: Vec<usize> = (0..self.modules.len()).filter(|&i| users[i] > 0).collect();
        let mut loop_set: std::collections::HashSet<Vec<u8>> = Default::default();
        let remove = |roots: &mut Vec<usize>, m: usize| {
            if let Some(p) = roots.iter().position(|&r| r == m) {
                roots.remove(p);
            }
        };
        while !roots.is_empty() {
            let root = roots.remove(0);
            // vertices: (module, parent vertex)
            let mut vertices: Vec<(usize, Option<usize>)> = vec![(root, None)];
            let mut stack = vec![0usize];
            while let Some(v) = stack.pop() {
                let m = vertices[v].0;
                if self.modules[m].visited && m == root {
                    let mut chain = Vec::new();
                    let mut p = vertices[v].1;
                    while let Some(pv) = p {
                        chain.push(vertices[pv].0);
                        loop_set.insert(self.modules[vertices[pv].0].modname.clone());
                        p = vertices[pv].1;
                    }
                    let mut text = String::new();
                    for &c in chain.iter().rev() {
                        text.push_str(&lossy(&self.modules[c].modname));
                        text.push_str(" -> ");
                        remove(&mut roots, c);
                    }
                    text.push_str(&lossy(&self.modules[m].modname));
                    log.error(&format!("Cycle detected: {text}"));
                    continue;
                }
                self.modules[m].visited = true;
                if self.modules[m].deps.is_empty() {
                    remove(&mut roots, m);
                    continue;
                }
                for k in 0..self.modules[m].deps.len() {
                    let dep = self.modules[m].deps[k];
                    vertices.push((dep, Some(v)));
                    stack.push(vertices.len() - 1);
                }
            }
        }
        log.error(&format!(
            "Found {} modules in dependency cycles!",
            loop_set.len()
        ));
    }

    /// All dependencies of module `i`, sorted by their topological number.
    fn all_deps(&self, i: usize) -> Vec<usize> {
        let mut seen = vec![false; 0];
        seen.resize(self.modules.len(), false);
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.modules[i].deps.iter().rev().copied().collect();
        while let Some(d) = stack.pop() {
            if seen[d] {
                continue;
            }
            seen[d] = true;
            out.push(d);
            stack.extend(self.modules[d].deps.iter().rev().copied());
        }
        out.sort_by_key(|&d| self.modules[d].dep_sort_idx);
        out
    }

    fn dep_line(&self, i: usize) -> Vec<u8> {
        let mut line = self.modules[i].dep_path().to_vec();
        line.push(b':');
        if !self.modules[i].deps.is_empty() {
            for d in self.all_deps(i) {
                line.push(b' ');
                line.extend_from_slice(self.modules[d].dep_path());
            }
        }
        line
    }

    /// The symbols with an owner, in kmod's hash order (2048 buckets).
    fn owned_symbols(&self) -> Vec<(&[u8], usize)> {
        let mut v: Vec<((u32, &[u8]), usize)> = self
            .symbols
            .iter()
            .filter_map(|(k, s)| s.owner.map(|o| (khash::order_key(k, 2048), o)))
            .collect();
        // Names are unique: an unstable sort gives the one order.
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|((_, k), o)| (k, o)).collect()
    }
}

/// Runs `f` over `items` on `threads` threads (0: one per CPU); results in item order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
    .min(items.len())
    .max(1);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("depmod worker panicked"))
            .collect()
    });
    let mut all: Vec<(usize, R)> = parts.drain(..).flatten().collect();
    all.sort_by_key(|p| p.0);
    all.into_iter().map(|p| p.1).collect()
}

/// One output file: its contents (or `None` for a `.bin` under `-n`) and the messages depmod prints
/// while building it.
struct Output {
    name: &'static str,
    data: Result<Vec<u8>, String>,
    messages: Messages,
    /// The memo for the next run (see [`cache`]).
    memo: Option<cache::Memo>,
}

const OUTPUTS: [&str; 10] = [
    "modules.dep",
    "modules.dep.bin",
    "modules.alias",
    "modules.alias.bin",
    "modules.softdep",
    "modules.symbols",
    "modules.symbols.bin",
    "modules.builtin.bin",
    "modules.builtin.alias.bin",
    "modules.devname",
];

fn is_bin(name: &str) -> bool {
    name.ends_with(".bin")
}

fn insert(idx: &mut IndexBuilder, key: &[u8], value: &[u8], prio: u32) -> Result<bool, String> {
    idx.insert(key, value, prio).map_err(|e| {
        let s = e.to_string();
        s.strip_suffix('\n').unwrap_or(&s).to_owned()
    })
}

impl Depmod<'_> {
    /// The fingerprint of everything output `name` is built from, for the outputs with memos
    /// (see [`cache`]); `None` for the others.
    fn memo_inputs(&self, name: &str, layout: Layout) -> Option<[u64; 2]> {
        let mut f = cache::Fingerprint::default();
        f.bytes(name.as_bytes());
        f.bytes(format!("{layout:?}").as_bytes());
        f.u64(self.modules.len() as u64);
        match name {
            // Each line: the module's path, then its transitive dependencies' paths in topological
            // order; key the module name, priority its index.
            "modules.dep.bin" => {
                for m in &self.modules {
                    f.bytes(&m.modname);
                    f.bytes(m.dep_path());
                    f.u64(m.dep_sort_idx as u64);
                    f.u64(m.deps.len() as u64);
                    for &d in &m.deps {
                        f.u64(d as u64);
                    }
                }
            }
            "modules.alias.bin" => {
                for m in &self.modules {
                    f.bytes(&m.modname);
                    let aliases = m.data.info.iter().filter(|(is_alias, _)| *is_alias);
                    f.u64(aliases.clone().count() as u64);
                    for (_, v) in aliases {
                        f.bytes(v);
                    }
                }
            }
            "modules.symbols.bin" => {
                for (sym, owner) in self.owned_symbols() {
                    f.bytes(sym);
                    f.u64(owner as u64);
                    f.bytes(&self.modules[owner].modname);
                }
            }
            _ => return None,
        }
        Some(f.finish())
    }

    /// Output `name`; with `memos`, from the file in `memos.0` when a memo says that it is what
    /// building would give.
    fn output(
        &self,
        name: &'static str,
        layout: Layout,
        warn_dups: bool,
        memos: Option<(&Path, &[cache::Memo])>,
    ) -> Output {
        let inputs = match memos {
            Some(_) if !warn_dups => self.memo_inputs(name, layout),
            _ => None,
        };
        if let (Some(inputs), Some((dir, memos))) = (inputs, memos) {
            let memo = memos
                .iter()
                .find(|m| m.name == name.as_bytes() && m.inputs == inputs);
            if let Some(memo) = memo {
                if let Ok(data) = std::fs::read(dir.join(name)) {
                    if cache::Fingerprint::of(&data) == memo.output {
                        return Output {
                            name,
                            data: Ok(data),
                            messages: Messages::default(),
                            memo: Some(memo.clone()),
                        };
                    }
                }
            }
        }
        let mut msgs = Messages::default();
        let data = match name {
            "modules.dep" => Ok(self.out_deps()),
            "modules.dep.bin" => self.out_deps_bin(layout, warn_dups, &mut msgs),
            "modules.alias" => Ok(self.out_aliases()),
            "modules.alias.bin" => self.out_aliases_bin(layout, warn_dups, &mut msgs),
            "modules.softdep" => Ok(self.out_softdeps()),
            "modules.symbols" => Ok(self.out_symbols()),
            "modules.symbols.bin" => self.out_symbols_bin(layout, warn_dups, &mut msgs),
            "modules.builtin.bin" => self.out_builtin_bin(layout, &mut msgs),
            "modules.builtin.alias.bin" => self.out_builtin_alias_bin(layout, &mut msgs),
            "modules.devname" => Ok(self.out_devname(&mut msgs)),
            cache::FILE_NAME => Ok(self.out_cache()),
            _ => unreachable!("unknown output {name}"),
        };
        let memo = match (&data, inputs) {
            (Ok(d), Some(inputs)) if msgs.0.is_empty() => Some(cache::Memo {
                name: name.as_bytes().to_vec(),
                inputs,
                output: cache::Fingerprint::of(d),
            }),
            _ => None,
        };
        Output {
            name,
            data,
            messages: msgs,
            memo,
        }
    }

    fn out_deps(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..self.modules.len() {
            out.extend_from_slice(&self.dep_line(i));
            out.push(b'\n');
        }
        out
    }

    fn out_deps_bin(
        &self,
        layout: Layout,
        warn: bool,
        msgs: &mut Messages,
    ) -> Result<Vec<u8>, String> {
        let mut idx = IndexBuilder::new();
        for (i, m) in self.modules.iter().enumerate() {
            let line = self.dep_line(i);
            if insert(&mut idx, &m.modname, &line, i as u32)? && warn {
                msgs.push(
                    LOG_WARNING,
                    format!("duplicate module deps:\n{}", lossy(&line)),
                );
            }
        }
        idx.write(layout).map_err(|e| e.to_string())
    }

    fn out_aliases(&self) -> Vec<u8> {
        let mut out = b"# Aliases extracted from modules themselves.\n".to_vec();
        for m in &self.modules {
            for (is_alias, v) in &m.data.info {
                if *is_alias {
                    out.extend_from_slice(b"alias ");
                    out.extend_from_slice(v);
                    out.push(b' ');
                    out.extend_from_slice(&m.modname);
                    out.push(b'\n');
                }
            }
        }
        out
    }

    fn out_aliases_bin(
        &self,
        layout: Layout,
        warn: bool,
        msgs: &mut Messages,
    ) -> Result<Vec<u8>, String> {
        let mut idx = IndexBuilder::new();
        for (i, m) in self.modules.iter().enumerate() {
            for (is_alias, v) in &m.data.info {
                if !*is_alias {
                    continue;
                }
                let Ok(alias) = alias_normalize(v) else {
                    msgs.push(
                        LOG_WARNING,
                        format!("Unmatched bracket in {}", lossy(c_str(v))),
                    );
                    continue;
                };
                if insert(&mut idx, &alias, &m.modname, i as u32)? && warn {
                    msgs.push(
                        LOG_WARNING,
                        format!(
                            "duplicate module alias:\n{} {}",
                            lossy(&alias),
                            lossy(&m.modname)
                        ),
                    );
                }
            }
        }
        idx.write(layout).map_err(|e| e.to_string())
    }

    fn out_softdeps(&self) -> Vec<u8> {
        let mut out = b"# Soft dependencies extracted from modules themselves.\n".to_vec();
        for m in &self.modules {
            for (is_alias, v) in &m.data.info {
                if !*is_alias {
                    out.extend_from_slice(b"softdep ");
                    out.extend_from_slice(&m.modname);
                    out.push(b' ');
                    out.extend_from_slice(v);
                    out.push(b'\n');
                }
            }
        }
        out
    }

    fn out_symbols(&self) -> Vec<u8> {
        let mut out = b"# Aliases for symbols, used by symbol_request().\n".to_vec();
        for (name, owner) in self.owned_symbols() {
            out.extend_from_slice(b"alias symbol:");
            out.extend_from_slice(name);
            out.push(b' ');
            out.extend_from_slice(&self.modules[owner].modname);
            out.push(b'\n');
        }
        out
    }

    fn out_symbols_bin(
        &self,
        layout: Layout,
        warn: bool,
        msgs: &mut Messages,
    ) -> Result<Vec<u8>, String> {
        let mut idx = IndexBuilder::new();
        for (name, owner) in self.owned_symbols() {
            let key = [&b"symbol:"[..], name].concat();
            let m = &self.modules[owner];
            if insert(&mut idx, &key, &m.modname, owner as u32)? && warn {
                msgs.push(
                    LOG_WARNING,
                    format!(
                        "duplicate module syms:\n{} {}",
                        lossy(&key),
                        lossy(&m.modname)
                    ),
                );
            }
        }
        idx.write(layout).map_err(|e| e.to_string())
    }

    fn read_input(&self, name: &str, msgs: &mut Messages) -> Option<Vec<u8>> {
        let path = Path::new(OsStr::from_bytes(&self.dirname)).join(name);
        match std::fs::read(path) {
            Ok(d) => Some(d),
            Err(e) => {
                msgs.push(
                    LOG_WARNING,
                    format!(
                        "could not open {name} at {}: {}",
                        lossy(&self.dirname),
                        os_err(&e)
                    ),
                );
                None
            }
        }
    }

    fn out_builtin_bin(&self, layout: Layout, msgs: &mut Messages) -> Result<Vec<u8>, String> {
        let Some(data) = self.read_input("modules.builtin", msgs) else {
            // kmod leaves the file empty.
            return Ok(Vec::new());
        };
        let mut idx = IndexBuilder::new();
        let mut modname: Vec<u8> = Vec::new();
        for line in data.split_inclusive(|&b| b == b'\n') {
            let mut l = line;
            let mut pieces = Vec::new();
            while l.len() > 4095 {
                pieces.push(&l[..4095]);
                l = &l[4095..];
            }
            pieces.push(l);
            for piece in pieces {
                let piece = c_str(piece);
                if !piece.first().is_some_and(|c| c.is_ascii_alphabetic()) {
                    msgs.push(
                        LOG_ERR,
                        format!("Invalid modules.builtin line: {}", lossy(piece)),
                    );
                    continue;
                }
                if let Some(n) = path_to_modname(piece) {
                    modname = n;
                }
                insert(&mut idx, &modname, b"", 0)?;
            }
        }
        idx.write(layout).map_err(|e| e.to_string())
    }

    fn out_builtin_alias_bin(
        &self,
        layout: Layout,
        msgs: &mut Messages,
    ) -> Result<Vec<u8>, String> {
        let Some(data) = self.read_input("modules.builtin.modinfo", msgs) else {
            return Ok(Vec::new());
        };
        const MAX: usize = 4096;
        let mut idx = IndexBuilder::new();
        let mut s = Stream {
            data: &data,
            pos: 0,
            eof: false,
        };
        while !s.eof {
            let modname = s.flush_to(b'.', MAX, msgs);
            if modname.is_empty() {
                continue;
            }
            let key = s.flush_to(b'=', MAX, msgs);
            if key != b"alias" {
                s.flush(0);
                continue;
            }
            let value = s.flush_to(0, MAX, msgs);
            if value.is_empty() {
                continue;
            }
            let Ok(alias) = alias_normalize(&value) else {
                msgs.push(
                    LOG_WARNING,
                    format!("Unmatched bracket in {}", lossy(&value)),
                );
                continue;
            };
            insert(&mut idx, &alias, &modname, 0)?;
        }
        idx.write(layout).map_err(|e| e.to_string())
    }

    fn out_devname(&self, msgs: &mut Messages) -> Vec<u8> {
        let mut out = Vec::new();
        for m in &self.modules {
            let mut devname: Option<&[u8]> = None;
            let mut kind = 0u8;
            let (mut major, mut minor) = (0, 0);
            for (is_alias, v) in &m.data.info {
                if !*is_alias {
                    continue;
                }
                if let Some(d) = v.strip_prefix(b"devname:") {
                    devname = Some(d);
                } else if let Some((a, b)) = scan_major_minor(v, b"char-major-") {
                    (kind, major, minor) = (b'c', a, b);
                } else if let Some((a, b)) = scan_major_minor(v, b"block-major-") {
                    (kind, major, minor) = (b'b', a, b);
                }
                if kind != 0 && devname.is_some() {
                    break;
                }
            }
            let Some(devname) = devname else { continue };
            if kind != 0 {
                if out.is_empty() {
                    out.extend_from_slice(b"# Device nodes to trigger on-demand module loading.\n");
                }
                out.extend_from_slice(&m.modname);
                out.push(b' ');
                out.extend_from_slice(c_str(devname));
                out.extend_from_slice(format!(" {}{major}:{minor}\n", kind as char).as_bytes());
            } else {
                msgs.push(
                    LOG_ERR,
                    format!(
                        "Module '{}' has devname ({}) but lacks major and minor information. Ignoring.",
                        lossy(&m.modname),
                        lossy(c_str(devname))
                    ),
                );
            }
        }
        out
    }
}

fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// kmod's `flush_stream`/`flush_stream_to` over `modules.builtin.modinfo`, with stdio's EOF flag.
struct Stream<'a> {
    data: &'a [u8],
    pos: usize,
    eof: bool,
}

impl Stream<'_> {
    fn getc(&mut self) -> Option<u8> {
        match self.data.get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                Some(c)
            }
            None => {
                self.eof = true;
                None
            }
        }
    }

    /// Reads up to `end` (or NUL, or EOF, or `max` bytes); the bytes if it stopped at `end`, else
    /// nothing.
    fn flush_to(&mut self, end: u8, max: usize, msgs: &mut Messages) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut c;
        loop {
            c = self.getc();
            match c {
                Some(b) if b != end && b != 0 && buf.len() < max => buf.push(b),
                _ => break,
            }
        }
        if buf.len() == max {
            msgs.push(
                LOG_WARNING,
                format!(
                    "Could not flush stream: {}. Partial content: {}",
                    libc::ENOSPC,
                    lossy(&buf)
                ),
            );
            buf.pop();
        }
        if c == Some(end) {
            buf
        } else {
            Vec::new()
        }
    }

    fn flush(&mut self, end: u8) {
        while let Some(c) = self.getc() {
            if c == end || c == 0 {
                break;
            }
        }
    }
}

/// `depfile_up_to_date`: 1 if no module under `dir` is newer than `modules.dep`, 0 if one is, < 0 on
/// errors (reported).
fn up_to_date(dirname: &[u8], log: &mut Log) -> i32 {
    use std::os::unix::fs::MetadataExt;
    let dir = Path::new(OsStr::from_bytes(dirname));
    if let Err(e) = std::fs::read_dir(dir) {
        log.error(&format!(
            "could not open directory {}: {}",
            dir.display(),
            os_err(&e)
        ));
        return -1;
    }
    let mtime = match std::fs::metadata(dir.join("modules.dep")) {
        Ok(m) => m.mtime(),
        Err(e) => {
            log.error(&format!(
                "could not fstatat({}, modules.dep): {}",
                dir.display(),
                os_err(&e)
            ));
            return -1;
        }
    };
    fn walk(d: &Path, mtime: i64, log: &mut Log) -> i32 {
        let Ok(rd) = std::fs::read_dir(d) else {
            return 1;
        };
        let mut err = 1;
        for e in rd.flatten() {
            let name = e.file_name();
            if name == "build" || name == "source" {
                continue;
            }
            let p = e.path();
            let Ok(m) = std::fs::metadata(&p) else {
                log.error(&format!(
                    "fstatat(3, {}): No such file or directory",
                    name.to_string_lossy()
                ));
                continue;
            };
            if m.is_dir() {
                err = walk(&p, mtime, log);
            } else if m.is_file() {
                if !ends_with_kmod_ext(name.as_bytes()) {
                    continue;
                }
                err = i32::from(m.mtime() <= mtime);
            } else {
                continue;
            }
            if err == 0 {
                break;
            }
        }
        err
    }
    walk(dir, mtime, log)
}

/// Runs depmod: text output (`-n`, `-v`) to `out`, messages to `err`; returns the exit status.
pub fn run(opts: &DepmodOptions, prog: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut log = Log {
        prog,
        priority: LOG_WARNING + opts.verbose,
        err,
        printed: 0,
    };
    let kversion = match &opts.kversion {
        Some(v) => {
            if !is_version_number(v) {
                log.error(&format!("Bad version passed {v}"));
                return 1;
            }
            v.clone()
        }
        None => crate::moddir::kernel_release(),
    };
    let root = opts
        .basedir
        .as_ref()
        .map(|b| b.as_os_str().as_bytes().to_vec())
        .unwrap_or_default();
    let mut dirname = root.clone();
    dirname.extend_from_slice(b"/lib/modules/");
    dirname.extend_from_slice(kversion.as_bytes());
    let outdirname = match &opts.outdir {
        Some(o) => {
            let mut d = o.as_os_str().as_bytes().to_vec();
            d.extend_from_slice(b"/lib/modules/");
            d.extend_from_slice(kversion.as_bytes());
            d
        }
        None => dirname.clone(),
    };
    let mut all = opts.files.is_empty();
    if opts.quick {
        if opts.dry_run {
            return 0;
        }
        if up_to_date(&dirname, &mut log) == 1 {
            return 0;
        }
        all = true;
    }

    let empty = Config::default();
    let mut cfg_holder = None;
    let mut dm = Depmod {
        cfg: &empty,
        dirname: dirname.clone(),
        sym_prefix: opts.sym_prefix.filter(|&p| p != 0),
        by_name: HashMap::default(),
        modules: Vec::new(),
        symbols: HashMap::default(),
    };
    let mut print_unknown = opts.errsyms;
    let check_symvers = opts.symvers.is_some();
    if let Some(sv) = &opts.symvers {
        if let Err(e) = dm.load_symvers(sv, &mut log) {
            return log.fatal(&format!("could not load {}: {}", sv.display(), os_err(&e)));
        }
    } else if let Some(map) = &opts.system_map {
        if let Err(e) = dm.load_system_map(map, &mut log) {
            return log.fatal(&format!("could not load {}: {}", map.display(), os_err(&e)));
        }
    } else if print_unknown {
        log.warning("-e needs -E or -F");
        print_unknown = false;
    }

    let mut found = Vec::new();
    if all {
        let cfg = cfg_holder.insert(config::load(&opts.config_paths, &kversion, &mut log));
        dm.cfg = cfg;
        match dm.walk_tree(&dirname, opts.cache, opts.threads, &mut log) {
            Ok(f) => found = f,
            Err(e) => return log.fatal(&format!("could not search modules: {}", os_err(&e))),
        }
        for ext in &dm.cfg.externals {
            if let Ok(f) = dm.walk_tree(ext, opts.cache, opts.threads, &mut log) {
                found.extend(f);
            }
        }
    } else {
        for f in &opts.files {
            let p = f.as_os_str().as_bytes();
            if p.first() != Some(&b'/') {
                return log.fatal(&format!("{}: not absolute path.", f.display()));
            }
            if let Err(e) = std::fs::metadata(f) {
                return log.fatal(&format!(
                    "could not create module {}: {}",
                    f.display(),
                    os_err(&e)
                ));
            }
            let Some(modname) = path_to_modname(p) else {
                return log.fatal(&format!(
                    "could not create module {}: {}",
                    f.display(),
                    errno_str(libc::ENOENT)
                ));
            };
            if let Some(old) = dm.by_name.get(&modname) {
                let exists = errno_str(libc::EEXIST);
                if old.path != p {
                    return log.fatal(&format!(
                        "could not create module {}: {exists}",
                        f.display()
                    ));
                }
                log.error(&format!("hash_add_unique {}: {exists}", lossy(&modname)));
                return log.fatal(&format!("could not add module {}: {exists}", f.display()));
            }
            let m = Mod::new(p.to_vec(), modname.clone(), &dirname);
            dm.by_name.insert(modname, m);
        }
    }

    let order = read_order(&dirname, &mut log);
    let cache_dir = Path::new(OsStr::from_bytes(&outdirname));
    // Rewritten when it does not describe exactly these files or outputs (a full run only: with
    // module files as arguments it would lose the others; never with -n, which writes nothing).
    let keep_cache = opts.cache && all && !opts.dry_run;
    // The fast path and its state only for runs that print nothing of their own past this point.
    let run_fp = (keep_cache && opts.verbose == 0).then(|| {
        run_fingerprint(
            opts,
            print_unknown,
            &dm,
            &outdirname,
            &found,
            order.as_deref(),
        )
    });
    let state_file = run_fp.and_then(|_| cache::read_state(cache_dir));
    let state = state_file.as_deref().and_then(cache::decode_state);
    let stats = |log: &mut Log, read: usize, total: usize, suffix: &str| {
        if opts.stats {
            let from = if opts.cache {
                format!("{} from {}", total - read, cache::FILE_NAME)
            } else {
                "cache off".to_owned()
            };
            let _ = writeln!(
                log.err,
                "{prog}: read {read} of {total} modules ({from}){suffix}"
            );
        }
    };
    // Whether the outputs can stay: checked on the walk's list, before the module list is built.
    let mut pre = PreRead::default();
    if let (Some(fp), Some(state)) = (run_fp, &state) {
        let cache_file = std::fs::metadata(cache_dir.join(cache::FILE_NAME));
        if state.run == fp
            && cache_file.is_ok_and(|m| FileStamp::of(&m) == state.cache_stamp)
            && outputs_as_left(cache_dir, &state.outputs)
        {
            let (unchanged, read) = check_unchanged(&found, state, opts.threads);
            if unchanged && touch_outputs(cache_dir) {
                let used = state.modules.iter().filter(|m| m.sum.is_some()).count();
                stats(&mut log, read.len(), used, " (outputs unchanged)");
                let modules = found
                    .iter()
                    .zip(&state.modules)
                    .map(|(f, m)| cache::StateModule {
                        path: std::borrow::Cow::Borrowed(&f.path[..]),
                        stamp: match read.get(&f.path) {
                            Some((st, _)) => st.expect("checked"),
                            None => f.stamp.flatten().unwrap_or(m.stamp),
                        },
                        sum: m.sum,
                    })
                    .collect();
                write_state(cache_dir, state.cache_id, fp, modules, &mut log);
                return 0;
            }
            pre = read;
        }
    }
    // The walk's list is the state's module list if this run writes one.
    let found_list: Option<Vec<(Vec<u8>, Option<FileStamp>)>> = run_fp.map(|_| {
        found
            .iter()
            .map(|f| (f.path.clone(), f.stamp.flatten()))
            .collect()
    });
    dm.add_found(found, &mut log);
    dm.build_array();
    dm.sort_by_order(order.as_deref());
    let total = dm.modules.len();
    let mut cache = if opts.cache {
        cache::load(cache_dir, state.as_ref())
    } else {
        cache::Index::default()
    };
    let (cached, read) = dm.scan_all(opts.threads, &mut cache, pre);
    stats(&mut log, read, total, "");
    let printed_before = log.printed;
    dm.take_cached(opts.threads, &cache, &cached);
    let modules_changed = read > 0 || !cache.keys.is_empty();
    dm.load(
        check_symvers,
        print_unknown,
        opts.verbose > 0,
        out,
        &mut log,
    );
    if !dm.calculate_dependencies(&mut log) {
        return 1;
    }

    // Build every output in parallel; write them in kmod's order.
    let names: Vec<&'static str> = OUTPUTS
        .iter()
        .copied()
        .filter(|n| !(opts.dry_run && is_bin(n)))
        .chain((keep_cache && modules_changed).then_some(cache::FILE_NAME))
        .collect();
    let memos = keep_cache.then_some((cache_dir, &cache.memos[..]));
    let mut outputs = parallel_map(&names, opts.threads, |n| {
        dm.output(n, opts.layout, opts.warn_dups, memos)
    });
    let mut cache_id = cache.id;
    if keep_cache {
        let mut new_memos: Vec<cache::Memo> =
            outputs.iter().filter_map(|o| o.memo.clone()).collect();
        new_memos.sort_by(|a, b| a.name.cmp(&b.name));
        let mut old_memos = std::mem::take(&mut cache.memos);
        old_memos.sort_by(|a, b| a.name.cmp(&b.name));
        let modules_part = match outputs.iter_mut().find(|o| o.name == cache::FILE_NAME) {
            Some(o) => std::mem::replace(&mut o.data, Ok(Vec::new())).ok(),
            None if new_memos != old_memos => Some(dm.out_cache()),
            None => None,
        };
        if let Some(part) = modules_part {
            let file = cache::encode_file(&cache::finish_body(part, &new_memos));
            cache_id = cache::file_id(&file);
            match outputs.iter_mut().find(|o| o.name == cache::FILE_NAME) {
                Some(o) => o.data = Ok(file),
                None => outputs.push(Output {
                    name: cache::FILE_NAME,
                    data: Ok(file),
                    messages: Messages::default(),
                    memo: None,
                }),
            }
        }
    }

    if opts.dry_run {
        for o in outputs {
            o.messages.replay(&mut log);
            match o.data {
                Ok(d) => {
                    let _ = out.write_all(&d);
                }
                Err(msg) => return log.fatal(&msg),
            }
        }
        return 0;
    }
    let state_modules = found_list.and_then(|found| dm.state_modules(opts.threads, found));
    // Some 300,000 small buffers: freed on a thread of their own while the outputs are written (a
    // command-line run ends before that thread does, and exiting frees them for nothing).
    let modules = std::mem::take(&mut dm.modules);
    let symbols = std::mem::take(&mut dm.symbols);
    let _ = std::thread::Builder::new().spawn(move || drop((modules, symbols, cache)));
    if keep_cache {
        // The old state describes the outputs being replaced.
        let _ = std::fs::remove_file(cache_dir.join(cache::STATE_NAME));
    }
    let status = write_outputs(&outdirname, outputs, opts.outdir.is_some(), &mut log);
    if let (0, Some(fp), Some(id), Some(modules)) = (status, run_fp, cache_id, state_modules) {
        if log.printed == printed_before {
            write_state(cache_dir, id, fp, modules, &mut log);
        }
    }
    status
}

/// Whether each output file is still the one the last run left (same inode, size and mtime), and
/// that run wrote every output.
fn outputs_as_left(dir: &Path, outputs: &[(Vec<u8>, FileStamp)]) -> bool {
    outputs.len() == OUTPUTS.len()
        && outputs.iter().zip(OUTPUTS).all(|((name, st), expected)| {
            name == expected.as_bytes()
                && std::fs::metadata(dir.join(expected))
                    .is_ok_and(|m| m.is_file() && FileStamp::of(&m) == *st)
        })
}

/// Sets every output's mtime to now, as writing them would (`depmod -A` compares module mtimes
/// with `modules.dep`'s); `false` if one could not be set.
fn touch_outputs(dir: &Path) -> bool {
    let now = std::time::SystemTime::now();
    OUTPUTS.iter().all(|name| {
        std::fs::File::open(dir.join(name))
            .and_then(|f| f.set_modified(now))
            .is_ok()
    })
}

/// Records the outputs as they are now for the next run (see [`cache::State`]). Without a state
/// the next run builds every output, so a failure only removes the old one.
fn write_state(
    dir: &Path,
    cache_id: (u64, u64),
    run: [u64; 2],
    modules: Vec<cache::StateModule<'_>>,
    log: &mut Log,
) {
    let path = dir.join(cache::STATE_NAME);
    let outputs: Option<Vec<(Vec<u8>, FileStamp)>> = OUTPUTS
        .iter()
        .map(|name| {
            let m = std::fs::metadata(dir.join(name)).ok()?;
            Some((name.as_bytes().to_vec(), FileStamp::of(&m)))
        })
        .collect();
    let cache_file = std::fs::metadata(dir.join(cache::FILE_NAME));
    let (Some(outputs), Ok(cache_file)) = (outputs, cache_file) else {
        let _ = std::fs::remove_file(&path);
        return;
    };
    let state = cache::State {
        cache_id,
        cache_stamp: FileStamp::of(&cache_file),
        run,
        outputs,
        modules,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let tmp = format!(
        "{}.{}.{}.{}",
        cache::STATE_NAME,
        std::process::id(),
        now.subsec_micros(),
        now.as_secs()
    );
    if !write_cache_file(&dir.join(tmp), &path, &cache::encode_state(&state), log) {
        // A stale state could describe outputs that are no longer there.
        let _ = std::fs::remove_file(&path);
    }
}

/// Replaces the cache as the outputs are replaced; a failure is only a warning (the next run reads
/// the modules again).
fn write_cache(dir: &Path, tmp_path: &Path, data: &[u8], log: &mut Log) {
    write_cache_file(tmp_path, &dir.join(cache::FILE_NAME), data, log);
}

/// Writes `data` to `tmp_path`, renamed to `path`; a failure is a warning. `false` on failure.
fn write_cache_file(tmp_path: &Path, path: &Path, data: &[u8], log: &mut Log) -> bool {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(tmp_path)
        .and_then(|mut f| f.write_all(data))
        .and_then(|()| std::fs::rename(tmp_path, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(tmp_path);
        log.warning(&format!(
            "could not write {}: {}",
            path.display(),
            os_err(&e)
        ));
        return false;
    }
    true
}

fn write_outputs(dirname: &[u8], outputs: Vec<Output>, create: bool, log: &mut Log) -> i32 {
    let dir = Path::new(OsStr::from_bytes(dirname));
    if create {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::read_dir(dir) {
        return log.fatal(&format!(
            "could not open directory {}: {}",
            dir.display(),
            os_err(&e)
        ));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let pid = std::process::id();
    for o in outputs {
        let tmp = format!("{}.{pid}.{}.{}", o.name, now.subsec_micros(), now.as_secs());
        let tmp_path = dir.join(&tmp);
        if o.name == cache::FILE_NAME {
            if let Ok(data) = o.data {
                write_cache(dir, &tmp_path, &data, log);
            }
            continue;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp_path);
        let mut file = match file {
            Ok(f) => f,
            Err(e) => {
                log.error(&format!(
                    "openat({}, {tmp}, {:o}, 644): {}",
                    dir.display(),
                    libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY,
                    os_err(&e)
                ));
                continue;
            }
        };
        o.messages.replay(log);
        let data = match o.data {
            Ok(d) => d,
            Err(msg) => return log.fatal(&msg),
        };
        let written = file.write_all(&data).and_then(|_| file.flush());
        drop(file);
        if let Err(e) = std::fs::rename(&tmp_path, dir.join(o.name)) {
            return log.fatal(&format!(
                "renameat({}, {tmp}, {}, {}): {}",
                dir.display(),
                dir.display(),
                o.name,
                os_err(&e)
            ));
        }
        if written.is_err() {
            log.error(&format!(
                "Could not create index '{}'. Output is truncated: {}",
                o.name,
                errno_str(libc::ENOSPC)
            ));
            return 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers() {
        assert!(is_version_number("6.1.0-56-amd64"));
        assert!(is_version_number("2.6"));
        assert!(is_version_number(" 1. 2"));
        assert!(!is_version_number("6"));
        assert!(!is_version_number("x.1"));
        assert!(!is_version_number("/lib/x.ko"));
    }

    #[test]
    fn majors() {
        assert_eq!(
            scan_major_minor(b"char-major-10-237", b"char-major-"),
            Some((10, 237))
        );
        assert_eq!(scan_major_minor(b"char-major-10-*", b"char-major-"), None);
        assert_eq!(scan_major_minor(b"block-major-7-*", b"block-major-"), None);
    }

    #[test]
    fn builtin_modinfo_stream() {
        let data = b"a.alias=x-y\0a.flag\0b.alias=skipped\0c.alias=[ab\0c.alias=ok\0";
        let mut msgs = Messages::default();
        let mut s = Stream {
            data,
            pos: 0,
            eof: false,
        };
        let mut got = Vec::new();
        while !s.eof {
            let m = s.flush_to(b'.', 4096, &mut msgs);
            if m.is_empty() {
                continue;
            }
            let k = s.flush_to(b'=', 4096, &mut msgs);
            if k != b"alias" {
                s.flush(0);
                continue;
            }
            let v = s.flush_to(0, 4096, &mut msgs);
            got.push((m, v));
        }
        // "a.flag" ends at NUL: its key reads as empty and the next record is swallowed (kmod's quirk).
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), b"x-y".to_vec()),
                (b"c".to_vec(), b"[ab".to_vec()),
                (b"c".to_vec(), b"ok".to_vec())
            ]
        );
    }
}
