//! depmod.d: `search`, `override`, `external` and `exclude`, read as kmod 30 reads them.

use std::ffi::CString;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::Log;

/// kmod 30's configuration directories (not under `-b`: kmod 30 reads the host's).
pub const DEFAULT_PATHS: [&str; 4] = [
    "/etc/depmod.d",
    "/run/depmod.d",
    "/usr/local/lib/depmod.d",
    "/lib/depmod.d",
];

/// One `search` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// A directory relative to the module directory.
    Path(Vec<u8>),
    /// `built-in`: the main tree.
    Builtin,
    /// `external`: the `external` directories.
    External,
}

/// The configuration. Lists are kept in kmod's order: each new entry goes in front.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `subdir/modname` of each `override`.
    pub overrides: Vec<Vec<u8>>,
    pub searches: Vec<Search>,
    pub externals: Vec<Vec<u8>>,
    pub excludes: Vec<Vec<u8>>,
}

/// `regcomp(REG_EXTENDED|REG_NOSUB)` + `regexec` against `kversion`; `*` matches everything, a bad
/// pattern nothing.
fn kernel_matches(kversion: &str, pattern: &[u8]) -> bool {
    if pattern == b"*" {
        return true;
    }
    let (Ok(pat), Ok(ver)) = (CString::new(pattern), CString::new(kversion)) else {
        return false;
    };
    // SAFETY: `re` is zeroed storage that regcomp initialises; it is freed with regfree only after a
    // successful regcomp; both strings are NUL-terminated and outlive the calls.
    unsafe {
        let mut re: libc::regex_t = std::mem::zeroed();
        if libc::regcomp(&mut re, pat.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB) != 0 {
            return false;
        }
        let status = libc::regexec(&re, ver.as_ptr(), 0, std::ptr::null_mut(), 0);
        libc::regfree(&mut re);
        status == 0
    }
}

/// kmod's `freadline_wrapped`: logical lines (a backslash before a newline joins lines, before any
/// other character it is dropped), each with the number of the last physical line it used.
pub(crate) fn logical_lines(data: &[u8]) -> Vec<(Vec<u8>, u32)> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    let mut linenum = 0u32;
    let mut n = 0u32;
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        i += 1;
        match c {
            b'\n' => {
                n += 1;
                linenum += n;
                n = 0;
                out.push((std::mem::take(&mut line), linenum));
            }
            b'\\' => match data.get(i) {
                Some(b'\n') => {
                    i += 1;
                    n += 1;
                }
                Some(&d) => {
                    i += 1;
                    line.push(d);
                }
                // getc returned EOF: kmod stores it as the byte 0xff.
                None => line.push(0xff),
            },
            c => line.push(c),
        }
    }
    if !line.is_empty() {
        linenum += n + 1;
        out.push((line, linenum));
    }
    out
}

fn parse_file(cfg: &mut Config, kversion: &str, path: &Path, log: &mut Log) {
    let name = path.display();
    let mut data = Vec::new();
    if let Err(e) = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut data)) {
        log.error(&format!("file parse {name}: {}", lkm_modfile::strerror(&e)));
        return;
    }
    for (line, linenum) in logical_lines(&data) {
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        // A C string: it ends at the first NUL.
        let line = match line.iter().position(|&b| b == 0) {
            Some(n) => &line[..n],
            None => &line[..],
        };
        let mut tok = line
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|t| !t.is_empty());
        let Some(cmd) = tok.next() else { continue };
        let cmd_s = String::from_utf8_lossy(cmd);
        let bad = |log: &mut Log| {
            log.error(&format!(
                "{name}:{linenum}: ignoring bad line starting with '{cmd_s}'"
            ))
        };
        match cmd {
            b"search" => {
                for t in tok {
                    let s = match t {
                        b"built-in" => Search::Builtin,
                        b"external" => Search::External,
                        p => Search::Path(p.to_vec()),
                    };
                    cfg.searches.insert(0, s);
                }
            }
            b"override" => {
                let (Some(modname), Some(version), Some(subdir)) =
                    (tok.next(), tok.next(), tok.next())
                else {
                    bad(log);
                    continue;
                };
                if !kernel_matches(kversion, version) {
                    log.info(&format!(
                        "{name}:{linenum}: override kernel did not match {}",
                        String::from_utf8_lossy(version)
                    ));
                    continue;
                }
                let mut p = subdir.to_vec();
                p.push(b'/');
                p.extend_from_slice(modname);
                cfg.overrides.insert(0, p);
            }
            b"external" => {
                let (Some(version), Some(dir)) = (tok.next(), tok.next()) else {
                    bad(log);
                    continue;
                };
                if !kernel_matches(kversion, version) {
                    log.info(&format!(
                        "{name}:{linenum}: external directory did not match {}",
                        String::from_utf8_lossy(version)
                    ));
                    continue;
                }
                cfg.externals.insert(0, dir.to_vec());
            }
            b"exclude" => {
                for t in tok {
                    cfg.excludes.insert(0, t.to_vec());
                }
            }
            b"include" | b"make_map_files" => {
                log.info(&format!(
                    "{name}:{linenum}: command {cmd_s} not implemented yet"
                ));
            }
            _ => bad(log),
        }
    }
}

/// Loads the configuration from `paths` (kmod's defaults when empty), as kmod 30's `cfg_load`.
pub fn load(paths: &[PathBuf], kversion: &str, log: &mut Log) -> Config {
    let defaults: Vec<PathBuf> = DEFAULT_PATHS.iter().map(PathBuf::from).collect();
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    // (basename, full path), sorted by basename; the first directory with a name wins.
    let mut files: Vec<(Vec<u8>, PathBuf)> = Vec::new();
    let mut add = |name: Vec<u8>, path: PathBuf| {
        if let Err(at) = files.binary_search_by(|f| f.0.cmp(&name)) {
            files.insert(at, (name, path));
        }
    };
    use std::os::unix::ffi::OsStrExt;
    for dir in paths {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        if !meta.is_dir() {
            let base = dir
                .file_name()
                .map(|n| n.as_bytes().to_vec())
                .unwrap_or_default();
            add(base, dir.clone());
            continue;
        }
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                log.error(&format!(
                    "files list {}: {}",
                    dir.display(),
                    lkm_modfile::strerror(&e)
                ));
                continue;
            }
        };
        for entry in rd.flatten() {
            let name = entry.file_name();
            let nb = name.as_bytes();
            if nb.first() == Some(&b'.') {
                continue;
            }
            if nb.len() < 6 || !nb.ends_with(b".conf") {
                log.info(&format!(
                    "All cfg files need .conf: {}/{}",
                    dir.display(),
                    name.to_string_lossy()
                ));
                continue;
            }
            if entry.path().is_dir() {
                log.error(&format!(
                    "Directories inside directories are not supported: {}/{}",
                    dir.display(),
                    name.to_string_lossy()
                ));
                continue;
            }
            add(nb.to_vec(), entry.path());
        }
    }
    let mut cfg = Config::default();
    for (_, path) in &files {
        parse_file(&mut cfg, kversion, path, log);
    }
    if cfg.searches.is_empty() {
        cfg.searches.push(Search::Path(b"updates".to_vec()));
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_join_and_count() {
        let l = logical_lines(b"a b\\\nc\n\n#x\nd\\e\nlast");
        assert_eq!(
            l,
            vec![
                (b"a bc".to_vec(), 2),
                (b"".to_vec(), 3),
                (b"#x".to_vec(), 4),
                (b"de".to_vec(), 5),
                (b"last".to_vec(), 6)
            ]
        );
    }

    #[test]
    fn regex_versions() {
        assert!(kernel_matches("6.1.0-56-amd64", b"*"));
        assert!(kernel_matches("6.1.0-56-amd64", b"^6\\.1"));
        assert!(!kernel_matches("6.1.0-56-amd64", b"^5\\."));
        assert!(!kernel_matches("6.1.0", b"(("));
    }
}
