//! Fuzzes the depmod cache readers (`modules.lkm-cache` and its state file): arbitrary bytes as a
//! whole cache file, as a body (past the checksum, which random input almost never passes) and as
//! a state file; whatever decodes must encode back to the same bytes or an equivalent cache.
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
    // The index of the file holds the same modules, each module's data as encode_facts gives it.
    let index = cache::index(file.clone()).expect("an encoded file indexes");
    assert_eq!(index.id, cache::file_id(&file));
    assert_eq!(index.keys.len(), c.modules.len());
    for (p, k) in &index.keys {
        let orig = &c.modules[p];
        assert_eq!(k.stamp, orig.stamp);
        assert_eq!(
            index.facts_bytes(&k.facts),
            &cache::encode_facts(&orig.data)[..]
        );
        assert_eq!(index.facts(&k.facts).deps, orig.data.deps);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(c) = cache::decode(data) {
        // A file that decodes ends with a body that decodes, and indexes.
        let body = &data[data.len() - encode_body(&c).len()..];
        assert!(cache::decode_body(body).is_some());
        assert!(cache::index(data.to_vec()).is_some());
    }
    if let Some(c) = cache::decode_body(data) {
        round_trip(&c, data);
    }
    if let Some(s) = cache::decode_state(data) {
        assert_eq!(cache::encode_state(&s), data);
    }
});
