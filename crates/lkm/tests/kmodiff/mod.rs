//! Shared by the differential tests against kmod: a byte comparison that, on a mismatch, shows the
//! first differing line with its neighbours from both outputs.

/// Panics with the first differing line and some context.
pub fn assert_same(what: &str, expected: &[u8], actual: &[u8]) {
    if expected == actual {
        return;
    }
    let e: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let a: Vec<&[u8]> = actual.split(|&b| b == b'\n').collect();
    let i = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let show = |v: &[&[u8]]| {
        v[i.saturating_sub(3)..(i + 3).min(v.len())]
            .iter()
            .map(|l| format!("    {:?}", String::from_utf8_lossy(l)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    panic!(
        "{what}: differs from kmod at line {} ({} vs {} lines, {} vs {} bytes)\n  kmod:\n{}\n  lkm:\n{}",
        i + 1,
        e.len(),
        a.len(),
        expected.len(),
        actual.len(),
        show(&e),
        show(&a)
    );
}
