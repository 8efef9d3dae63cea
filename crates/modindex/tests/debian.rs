//! Checks against the real Debian 12 index files and kmod 30's `modprobe` on
//! this machine. Every test skips (with a message) when they are absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use lkm_modindex::{alias_normalize, Index, Layout};

const KVER: &str = "6.1.0-56-amd64";

fn dir() -> Option<PathBuf> {
    let d = Path::new("/lib/modules").join(KVER);
    if d.join("modules.alias.bin").exists() {
        Some(d)
    } else {
        eprintln!("skipping: no {}", d.display());
        None
    }
}

/// Runs kmod's modprobe for the test kernel with an empty configuration.
fn modprobe(args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("modprobe")
        .args(["-C", "/nonexistent", "-S", KVER])
        .args(args)
        .env_remove("POSIXLY_CORRECT")
        .output();
    match out {
        Ok(out) if out.status.success() => Some(out.stdout),
        Ok(out) => panic!(
            "modprobe {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            eprintln!("skipping: cannot run modprobe: {e}");
            None
        }
    }
}

#[test]
fn dump_equals_modprobe_c() {
    let Some(dir) = dir() else { return };
    let Some(expected) = modprobe(&["-c"]) else {
        return;
    };
    let marker = b"# End of configuration files. Dumping indexes now:\n\n";
    let pos = expected
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("modprobe -c end marker");
    let expected = &expected[pos + marker.len()..];

    let mut ours = Vec::new();
    for name in ["modules.alias.bin", "modules.symbols.bin"] {
        let idx = Index::open(dir.join(name)).unwrap();
        for item in idx.dump() {
            let (key, value) = item.unwrap();
            ours.extend_from_slice(b"alias ");
            ours.extend_from_slice(&key);
            ours.push(b' ');
            ours.extend_from_slice(value.value);
            ours.push(b'\n');
        }
    }
    assert!(ours.len() > 1_000_000, "suspiciously small dump");
    if ours != expected {
        let a = String::from_utf8_lossy(&ours);
        let b = String::from_utf8_lossy(expected);
        for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            assert_eq!(x, y, "first difference at line {}", n + 1);
        }
        panic!(
            "dump lengths differ: {} vs {} bytes",
            ours.len(),
            expected.len()
        );
    }
}

#[test]
fn dep_lookup_and_layout() {
    let Some(dir) = dir() else { return };
    let idx = Index::open(dir.join("modules.dep.bin")).unwrap();
    assert_eq!(
        idx.lookup(b"loop").unwrap(),
        Some(&b"kernel/drivers/block/loop.ko:"[..])
    );
    assert_eq!(idx.lookup(b"loo").unwrap(), None);
    assert_eq!(idx.lookup(b"no_such_module").unwrap(), None);
    let vfat = idx.lookup(b"vfat").unwrap().unwrap();
    assert!(vfat.starts_with(b"kernel/fs/fat/vfat.ko"), "{vfat:?}");
    // Debian 12 has kmod 30, which writes post-order files.
    for name in [
        "modules.dep.bin",
        "modules.alias.bin",
        "modules.symbols.bin",
        "modules.builtin.bin",
        "modules.builtin.alias.bin",
    ] {
        let idx = Index::open(dir.join(name)).unwrap();
        assert_eq!(idx.layout(), Layout::PostOrder, "{name}");
    }
    // Every module in the text modules.dep is found with its line.
    let text = std::fs::read_to_string(dir.join("modules.dep")).unwrap();
    for line in text.lines() {
        let path = &line[..line.find(':').unwrap()];
        let name = lkm_modindex::modname_from_path(path).unwrap();
        assert_eq!(idx.lookup(&name).unwrap(), Some(line.as_bytes()), "{path}");
    }
}

#[test]
fn wildcard_lookups_equal_modprobe_r() {
    let Some(dir) = dir() else { return };
    let idx = Index::open(dir.join("modules.alias.bin")).unwrap();
    for alias in [
        "pci:v00008086d00001572sv00008086sd00000000bc02sc00i00",
        "usb:v2013p0259d0000dc00dsc00dp00ic08isc06ip50in00",
        "usb:v0CCDp0105d0000dc00dsc00dp00ic08isc06ip50in00",
        "usb:v050Dp7050d0000dc00dsc00dp00ic08isc06ip50in00",
        "usb:v4971p8024d0100dc00dsc00dp00ic02isc02ip01in00",
        "usb:v413Cp81E6d0000dc00dsc00dp00ic08isc06ip50in00",
        "fs-vfat",
        "crypto-crc32c",
        "crypto-aes",
        "char-major-10-237",
    ] {
        let Some(expected) = modprobe(&["-R", alias]) else {
            return;
        };
        let key = alias_normalize(alias.as_bytes()).unwrap();
        let mut ours = Vec::new();
        for v in idx.lookup_wild(&key).unwrap() {
            ours.extend_from_slice(v.value);
            ours.push(b'\n');
        }
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected),
            "{alias}"
        );
    }
}

/// Makes a concrete alias that the pattern `key` matches: `*` matches nothing,
/// `?` a `0`, a bracket its first byte. `None` for patterns this cannot do.
fn concretize(key: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < key.len() {
        match key[i] {
            b'*' => {}
            b'?' => out.push(b'0'),
            b'[' => {
                let c = *key.get(i + 1)?;
                if matches!(c, b'!' | b'^' | b']' | b'\\' | b'[') {
                    return None;
                }
                out.push(c);
                i += key[i..].iter().position(|&b| b == b']')?;
            }
            b'\\' | b']' => return None,
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// A sample of the stored keys, made concrete, resolves to the same modules
/// in the same order as `modprobe -R` says.
#[test]
fn sampled_aliases_equal_modprobe_r() {
    let Some(dir) = dir() else { return };
    let idx = Index::open(dir.join("modules.alias.bin")).unwrap();
    let dep = Index::open(dir.join("modules.dep.bin")).unwrap();
    let keys: Vec<Vec<u8>> = idx.dump().map(|r| r.unwrap().0).collect();
    let mut checked = 0;
    for key in keys.iter().step_by(keys.len() / 150) {
        let Some(alias) = concretize(key) else {
            continue;
        };
        // modprobe tries module names (modules.dep.bin) before aliases.
        if alias.is_empty() || dep.lookup(&alias).unwrap().is_some() {
            continue;
        }
        let alias = String::from_utf8(alias).unwrap();
        let Some(expected) = modprobe(&["-R", &alias]) else {
            return;
        };
        let mut ours = Vec::new();
        let found = idx.lookup_wild(alias.as_bytes()).unwrap();
        assert!(!found.is_empty(), "{alias} from {key:?}");
        for v in found {
            ours.extend_from_slice(v.value);
            ours.push(b'\n');
        }
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&expected),
            "{alias}"
        );
        checked += 1;
    }
    eprintln!("{checked} aliases checked against modprobe -R");
    assert!(checked > 100, "only {checked} aliases checked");
}

#[test]
fn builtin_indexes() {
    let Some(dir) = dir() else { return };
    let idx = Index::open(dir.join("modules.builtin.bin")).unwrap();
    let text = std::fs::read_to_string(dir.join("modules.builtin")).unwrap();
    for line in text.lines() {
        let name = lkm_modindex::modname_from_path(line).unwrap();
        assert_eq!(idx.lookup(&name).unwrap(), Some(&b""[..]), "{line}");
    }
    let alias = Index::open(dir.join("modules.builtin.alias.bin")).unwrap();
    assert!(alias.dump().count() > 0);
    for item in alias.dump() {
        let (key, _) = item.unwrap();
        // Each stored key matches itself, unless it contains pattern syntax.
        if !key.iter().any(|b| b"*?[\\".contains(b)) {
            assert!(!alias.lookup_wild(&key).unwrap().is_empty());
        }
    }
}
