//! `lsmod`: the loaded modules, as kmod 30 lists them.
//!
//! The list and its order come from `/proc/modules` (first column); each module's size, use count and
//! holders come from `/sys/module/<name>` (`coresize`, `refcnt`, `holders/`), as libkmod reads them,
//! so a module that vanishes between the two reads shows kmod's negative errno values.

use std::io::Write;

use lkm_kernel_api::Kernel;

use crate::loaded::{errno_of, normalize, strerror, LibkmodError, LoadedModule};

/// The header line.
pub const HEADER: &str = "Module                  Size  Used by\n";

/// The module names of a `/proc/modules` text, as `kmod_module_new_from_loaded` takes them: the first
/// space- or tab-separated token of each line (read with a 4096-byte `fgets`), normalised. `None` for a
/// line that has no token.
fn loaded_names(text: &[u8]) -> Vec<Option<String>> {
    text.split_inclusive(|&b| b == b'\n')
        .map(|line| {
            let chunk = &line[..line.len().min(4095)];
            chunk
                .split(|&b| b == b' ' || b == b'\t')
                .find(|t| !t.is_empty())
                .map(|t| normalize(&String::from_utf8_lossy(t)))
        })
        .collect()
}

/// One row: `printf("%-19s %8ld  %d", name, size, refcnt)`, then the holders, the first after a space
/// and the rest after commas, then a newline.
pub fn format_row(name: &str, size: i64, refcnt: i32, holders: &[String]) -> Vec<u8> {
    let mut row = Vec::with_capacity(64);
    row.extend_from_slice(name.as_bytes());
    // `%-19s` pads by bytes.
    row.resize(row.len().max(19), b' ');
    row.extend_from_slice(format!(" {size:>8}  {refcnt}").as_bytes());
    for (i, h) in holders.iter().enumerate() {
        row.push(if i == 0 { b' ' } else { b',' });
        row.extend_from_slice(h.as_bytes());
    }
    row.push(b'\n');
    row
}

/// Runs lsmod on `kernel`: the table to `out`, libkmod's messages to `err`. Returns the exit status:
/// 1 when `/proc/modules` cannot be read (or `out` cannot be written), 0 otherwise.
pub fn run(kernel: &dyn Kernel, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let text = match kernel.read_file("/proc/modules") {
        Ok(t) => t,
        Err(e) => {
            let why = strerror(errno_of(&e));
            let msg = LibkmodError {
                line: 1725,
                func: "kmod_module_new_from_loaded",
                msg: format!("could not open /proc/modules: {why}"),
            };
            let _ = err.write_all(msg.default_line().as_bytes());
            let _ = writeln!(err, "Error: could not get list of modules: {why}");
            return 1;
        }
    };
    // The list is built first (kmod_module_new_from_loaded), with its messages, then printed.
    let mut names = Vec::new();
    for name in loaded_names(&text) {
        match name {
            Some(n) => names.push(n),
            None => {
                let m = LibkmodError {
                    line: 1738,
                    func: "kmod_module_new_from_loaded",
                    msg: format!(
                        "could not get module from name '(null)': {}",
                        strerror(libc::ENOENT)
                    ),
                };
                let _ = err.write_all(m.default_line().as_bytes());
            }
        }
    }
    if out.write_all(HEADER.as_bytes()).is_err() {
        return 1;
    }
    for name in names {
        let mut msgs: Vec<LibkmodError> = Vec::new();
        let m = LoadedModule {
            kernel,
            name: &name,
        };
        let mut collect = |e: LibkmodError| msgs.push(e);
        let refcnt = m.refcnt(&mut collect);
        let size = m.size(&mut collect);
        let holders = m.holders(&mut collect);
        let row = format_row(&name, size, refcnt, &holders);
        if !msgs.is_empty() {
            // kmod prints a module's messages before its row is complete; keep that order on a
            // terminal.
            let _ = out.flush();
            for m in &msgs {
                let _ = err.write_all(m.default_line().as_bytes());
            }
        }
        if out.write_all(&row).is_err() {
            return 1;
        }
    }
    if out.flush().is_err() {
        return 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_kmods_printf() {
        assert_eq!(
            format_row("btusb", 11216, 0, &[]),
            b"btusb                  11216  0\n"
        );
        assert_eq!(
            format_row(
                "bluetooth",
                1_007_616,
                31,
                &["btrtl".into(), "btusb".into()]
            ),
            b"bluetooth            1007616  31 btrtl,btusb\n"
        );
        // Longer than the 19-column field and 8-digit size: no truncation, one separating space.
        assert_eq!(
            format_row("a_very_long_module_name_x", 123_456_789, -1, &["h".into()]),
            b"a_very_long_module_name_x 123456789  -1 h\n"
        );
        assert_eq!(
            format_row("x", -2, -2, &[]),
            b"x                         -2  -2\n"
        );
    }

    #[test]
    fn names_are_first_tokens() {
        let text = b"b-c 16384 0 - Live 0x0\n\ta\t1 2\n  \nlast";
        assert_eq!(
            loaded_names(text),
            [
                Some("b_c".into()),
                Some("a".into()),
                Some("\n".into()),
                Some("last".into())
            ]
        );
    }
}
