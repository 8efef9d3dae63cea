//! Fuzzes the depmod cache reader (`modules.lkm-cache`): arbitrary bytes as a whole cache file and
//! as a body (past the checksum, which random input almost never passes); whatever decodes must
//! encode back to a body of the same length that decodes to the same cache.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkm_kmod::depmod::cache;

fn encode_body(c: &cache::Cache) -> Vec<u8> {
    // Entries are written in the order given; sorted by path for a stable encoding.
    let mut entries: Vec<_> = c.modules.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    cache::encode_body(
        entries.iter().map(|(p, e)| (&p[..], e.stamp, &e.data)),
        &c.memos,
    )
}

fn round_trip(c: &cache::Cache, body: &[u8]) {
    let again = encode_body(c);
    assert_eq!(again.len(), body.len());
    let reread = cache::decode_body(&again).expect("an encoded body decodes");
    assert_eq!(reread.modules.len(), c.modules.len());
    assert_eq!(reread.memos, c.memos);
    for (p, e) in &reread.modules {
        let orig = &c.modules[p];
        assert_eq!(orig.stamp, e.stamp);
        assert_eq!(orig.data.exports, e.data.exports);
        assert_eq!(orig.data.info, e.data.info);
        assert_eq!(orig.data.deps, e.data.deps);
    }
    let file = cache::encode_file(&again);
    assert!(cache::decode(&file).is_some());
}

fuzz_target!(|data: &[u8]| {
    if let Some(c) = cache::decode(data) {
        // A file that decodes ends with a body that decodes.
        let body = &data[data.len() - encode_body(&c).len()..];
        assert!(cache::decode_body(body).is_some());
    }
    if let Some(c) = cache::decode_body(data) {
        round_trip(&c, data);
    }
});
