//! MD4 (RFC 1320), which modpost uses for `srcversion`. Not for security: only to name a source tree
//! the way the kernel's modpost names it.

/// MD4 state fed incrementally.
pub struct Md4 {
    state: [u32; 4],
    buffer: Vec<u8>,
    length: u64,
}

impl Default for Md4 {
    fn default() -> Self {
        Md4 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            buffer: Vec::with_capacity(64),
            length: 0,
        }
    }
}

impl Md4 {
    pub fn update(&mut self, data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        self.buffer.extend_from_slice(data);
        let full = self.buffer.len() / 64 * 64;
        for block in self.buffer[..full].chunks_exact(64) {
            compress(&mut self.state, block);
        }
        self.buffer.drain(..full);
    }

    /// The four state words after padding, as the kernel's `md4_final_ascii` prints them.
    pub fn finish_words(mut self) -> [u32; 4] {
        let bits = self.length.wrapping_mul(8);
        let mut tail = std::mem::take(&mut self.buffer);
        tail.push(0x80);
        while tail.len() % 64 != 56 {
            tail.push(0);
        }
        tail.extend_from_slice(&bits.to_le_bytes());
        for block in tail.chunks_exact(64) {
            compress(&mut self.state, block);
        }
        self.state
    }

    /// The 16-byte digest.
    #[cfg(test)]
    pub fn finish(self) -> [u8; 16] {
        let words = self.finish_words();
        let mut out = [0u8; 16];
        for (i, w) in words.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

fn compress(state: &mut [u32; 4], block: &[u8]) {
    let x: Vec<u32> = block
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let [mut a, mut b, mut c, mut d] = *state;
    let f = |x: u32, y: u32, z: u32| (x & y) | (!x & z);
    let g = |x: u32, y: u32, z: u32| (x & y) | (x & z) | (y & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    for &i in &[0usize, 4, 8, 12] {
        a = a.wrapping_add(f(b, c, d)).wrapping_add(x[i]).rotate_left(3);
        d = d
            .wrapping_add(f(a, b, c))
            .wrapping_add(x[i + 1])
            .rotate_left(7);
        c = c
            .wrapping_add(f(d, a, b))
            .wrapping_add(x[i + 2])
            .rotate_left(11);
        b = b
            .wrapping_add(f(c, d, a))
            .wrapping_add(x[i + 3])
            .rotate_left(19);
    }
    const K2: u32 = 0x5a82_7999;
    for i in 0..4 {
        a = a
            .wrapping_add(g(b, c, d))
            .wrapping_add(x[i])
            .wrapping_add(K2)
            .rotate_left(3);
        d = d
            .wrapping_add(g(a, b, c))
            .wrapping_add(x[i + 4])
            .wrapping_add(K2)
            .rotate_left(5);
        c = c
            .wrapping_add(g(d, a, b))
            .wrapping_add(x[i + 8])
            .wrapping_add(K2)
            .rotate_left(9);
        b = b
            .wrapping_add(g(c, d, a))
            .wrapping_add(x[i + 12])
            .wrapping_add(K2)
            .rotate_left(13);
    }
    const K3: u32 = 0x6ed9_eba1;
    for &i in &[0usize, 2, 1, 3] {
        a = a
            .wrapping_add(h(b, c, d))
            .wrapping_add(x[i])
            .wrapping_add(K3)
            .rotate_left(3);
        d = d
            .wrapping_add(h(a, b, c))
            .wrapping_add(x[i + 8])
            .wrapping_add(K3)
            .rotate_left(9);
        c = c
            .wrapping_add(h(d, a, b))
            .wrapping_add(x[i + 4])
            .wrapping_add(K3)
            .rotate_left(11);
        b = b
            .wrapping_add(h(c, d, a))
            .wrapping_add(x[i + 12])
            .wrapping_add(K3)
            .rotate_left(15);
    }
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

#[cfg(test)]
mod tests {
    use super::Md4;

    fn hex(data: &[u8]) -> String {
        let mut m = Md4::default();
        m.update(data);
        m.finish().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc1320_vectors() {
        assert_eq!(hex(b""), "31d6cfe0d16ae931b73c59d7e0c089c0");
        assert_eq!(hex(b"a"), "bde52cb31de33e46245e05fbdbd6fb24");
        assert_eq!(hex(b"abc"), "a448017aaf21d8525fc10ae87aa6729d");
        assert_eq!(hex(b"message digest"), "d9130a8164549fe818874806e1c7014b");
        assert_eq!(
            hex(
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            ),
            "e33b4ddc9c38f2199c3e7b164fcc0536"
        );
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut m = Md4::default();
        for chunk in data.chunks(13) {
            m.update(chunk);
        }
        let mut one = Md4::default();
        one.update(&data);
        assert_eq!(m.finish(), one.finish());
    }
}
