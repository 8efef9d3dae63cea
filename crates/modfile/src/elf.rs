//! Typed, zero-copy views of an ELF64 little-endian x86_64 relocatable object, validated the way the
//! kernel's module loader validates it (`elf_validity_cache_copy` and friends).
//!
//! Every view borrows the file's bytes. [`Elf::parse`] checks the header, the section header table, the
//! section-name table and that every section's bytes lie inside the file, so later accessors can slice
//! without re-checking bounds. Errors are [`ElfError`] values whose `Display` is the kernel's `pr_err`
//! text where the kernel has one.

use std::fmt;

/// `SHT_*` section types used here.
pub mod sht {
    pub const NULL: u32 = 0;
    pub const PROGBITS: u32 = 1;
    pub const SYMTAB: u32 = 2;
    pub const STRTAB: u32 = 3;
    pub const RELA: u32 = 4;
    pub const NOBITS: u32 = 8;
    pub const REL: u32 = 9;
}

/// `SHF_*` section flags used here.
pub mod shf {
    pub const WRITE: u64 = 0x1;
    pub const ALLOC: u64 = 0x2;
    pub const EXECINSTR: u64 = 0x4;
}

/// Special section indices in `st_shndx`.
pub mod shn {
    pub const UNDEF: u16 = 0;
    pub const LORESERVE: u16 = 0xff00;
    pub const ABS: u16 = 0xfff1;
    pub const COMMON: u16 = 0xfff2;
}

const EHDR_SIZE: usize = 64;
const SHDR_SIZE: usize = 64;
const SYM_SIZE: usize = 24;
const RELA_SIZE: usize = 24;
const ET_REL: u16 = 1;
const EM_X86_64: u16 = 62;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;

/// Why a file is not a loadable x86_64 module object. The kernel answers all of these with `-ENOEXEC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    HeaderLen(usize),
    Magic,
    Class(u8),
    DataEncoding(u8),
    Type(u16),
    Machine(u16),
    SectionHeaderSize(u16),
    SectionHeaderOverflow,
    Section0,
    SectionNameIndex {
        shstrndx: u16,
        shnum: u16,
    },
    SectionNameTableType(u32),
    EmptySectionNameTable,
    SectionNameTableNotTerminated,
    SectionOutOfFile {
        index: usize,
        sh_type: u32,
    },
    SectionName {
        index: usize,
        sh_type: u32,
    },
    SectionOverlap {
        first: usize,
        second: usize,
    },
    BadEntrySize {
        index: usize,
        entsize: u64,
        expected: usize,
    },
    BadLink {
        index: usize,
        link: u32,
    },
    BadInfo {
        index: usize,
        info: u32,
    },
    StringTable {
        index: usize,
    },
    SymbolName {
        symbol: usize,
    },
    SymbolIndex {
        reloc_section: usize,
        symbol: u32,
    },
    NoSymbols,
    MultipleSymbolTables,
}

impl ElfError {
    /// The errno the kernel's loader returns for this (always `ENOEXEC`, "Exec format error").
    pub fn errno(&self) -> i32 {
        8
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match self {
            HeaderLen(len) => write!(f, "Invalid ELF header len {len}"),
            Magic => write!(f, "Invalid ELF header magic: != \\177ELF"),
            Class(c) => write!(f, "Invalid ELF header class: {c} != {ELFCLASS64} (not a 64-bit object)"),
            DataEncoding(d) => write!(
                f,
                "Invalid ELF header data encoding: {d} != {ELFDATA2LSB} (not little-endian)"
            ),
            Type(t) => write!(f, "Invalid ELF header type: {t} != {ET_REL}"),
            Machine(m) => write!(f, "Invalid architecture in ELF header: {m}"),
            SectionHeaderSize(s) => write!(f, "Invalid ELF section header size: {s} != {SHDR_SIZE}"),
            SectionHeaderOverflow => write!(f, "Invalid ELF section header overflow"),
            Section0 => write!(
                f,
                "ELF Spec violation: section 0 type(SHT_NULL) with non-zero len or addr"
            ),
            SectionNameIndex { shstrndx, shnum } => write!(
                f,
                "Invalid ELF section name index: {shstrndx} || e_shstrndx ({shstrndx}) >= e_shnum ({shnum})"
            ),
            SectionNameTableType(t) => write!(f, "Invalid ELF section name table type: {t}"),
            EmptySectionNameTable => write!(f, "empty section name table"),
            SectionNameTableNotTerminated => {
                write!(f, "ELF Spec violation: section name table isn't null terminated")
            }
            SectionOutOfFile { index, sh_type } => {
                write!(f, "Invalid ELF section in module (section {index} type {sh_type})")
            }
            SectionName { index, sh_type } => {
                write!(f, "Invalid ELF section name in module (section {index} type {sh_type})")
            }
            SectionOverlap { first, second } => write!(
                f,
                "Invalid ELF section in module (sections {first} and {second} overlap in the file)"
            ),
            BadEntrySize { index, entsize, expected } => write!(
                f,
                "Invalid ELF section in module (section {index} has entry size {entsize}, expected {expected})"
            ),
            BadLink { index, link } => {
                write!(f, "Invalid ELF section in module (section {index} links to missing section {link})")
            }
            BadInfo { index, info } => write!(
                f,
                "Invalid ELF section in module (section {index} applies to missing section {info})"
            ),
            StringTable { index } => write!(
                f,
                "ELF Spec violation: strtab section {index} is empty or not NUL-delimited"
            ),
            SymbolName { symbol } => write!(f, "Invalid ELF symbol name in module (symbol {symbol})"),
            SymbolIndex { reloc_section, symbol } => write!(
                f,
                "Invalid ELF relocation in module (section {reloc_section} refers to missing symbol {symbol})"
            ),
            NoSymbols => write!(f, "module has no symbols (stripped?)"),
            MultipleSymbolTables => write!(f, "module has more than one symbol table"),
        }
    }
}

impl std::error::Error for ElfError {}

fn u16_at(d: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([d[off], d[off + 1]])
}
fn u32_at(d: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(d[off..off + 4].try_into().expect("4 bytes"))
}
fn u64_at(d: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(d[off..off + 8].try_into().expect("8 bytes"))
}

/// One entry of the section header table, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    pub name: u32,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
    pub addralign: u64,
    pub entsize: u64,
}

impl SectionHeader {
    fn decode(d: &[u8]) -> Self {
        SectionHeader {
            name: u32_at(d, 0),
            sh_type: u32_at(d, 4),
            flags: u64_at(d, 8),
            addr: u64_at(d, 16),
            offset: u64_at(d, 24),
            size: u64_at(d, 32),
            link: u32_at(d, 40),
            info: u32_at(d, 44),
            addralign: u64_at(d, 48),
            entsize: u64_at(d, 56),
        }
    }

    /// Whether the section occupies bytes in the file.
    pub fn has_file_data(&self) -> bool {
        self.sh_type != sht::NOBITS && self.sh_type != sht::NULL
    }
}

/// A section: its index, name and header, with its bytes reachable through [`Elf::data`].
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    pub index: usize,
    pub name: &'a [u8],
    pub header: SectionHeader,
}

/// A validated ELF64 LE x86_64 `ET_REL` image.
#[derive(Debug, Clone)]
pub struct Elf<'a> {
    data: &'a [u8],
    shoff: usize,
    shnum: usize,
    shstrtab: &'a [u8],
}

impl<'a> Elf<'a> {
    /// Validates `data` as a module object: header, section table, section-name table, and that every
    /// section with file data lies inside the file without overlapping another.
    pub fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        if data.len() < EHDR_SIZE {
            return Err(ElfError::HeaderLen(data.len()));
        }
        if &data[..4] != b"\x7fELF" {
            return Err(ElfError::Magic);
        }
        if data[4] != ELFCLASS64 {
            return Err(ElfError::Class(data[4]));
        }
        if data[5] != ELFDATA2LSB {
            return Err(ElfError::DataEncoding(data[5]));
        }
        let e_type = u16_at(data, 16);
        if e_type != ET_REL {
            return Err(ElfError::Type(e_type));
        }
        let machine = u16_at(data, 18);
        if machine != EM_X86_64 {
            return Err(ElfError::Machine(machine));
        }
        let shentsize = u16_at(data, 58);
        if shentsize as usize != SHDR_SIZE {
            return Err(ElfError::SectionHeaderSize(shentsize));
        }
        let shoff = u64_at(data, 40);
        let shnum = u16_at(data, 60) as usize;
        let shstrndx = u16_at(data, 62);
        let table_end = (shnum as u64)
            .checked_mul(SHDR_SIZE as u64)
            .and_then(|n| n.checked_add(shoff))
            .ok_or(ElfError::SectionHeaderOverflow)?;
        if shoff < EHDR_SIZE as u64 || table_end > data.len() as u64 {
            return Err(ElfError::SectionHeaderOverflow);
        }
        let shoff = shoff as usize;
        let mut elf = Elf {
            data,
            shoff,
            shnum,
            shstrtab: &[],
        };
        if shnum == 0 {
            return Err(ElfError::SectionNameIndex { shstrndx, shnum: 0 });
        }
        let s0 = elf.header(0);
        if s0.sh_type != sht::NULL || s0.size != 0 || s0.addr != 0 {
            return Err(ElfError::Section0);
        }
        if shstrndx == 0 || shstrndx as usize >= shnum {
            return Err(ElfError::SectionNameIndex {
                shstrndx,
                shnum: shnum as u16,
            });
        }
        // Every section with file data must lie inside the file, after the ELF header, and clear of the
        // section header table and of every other section.
        let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(shnum);
        spans.push((shoff as u64, table_end, usize::MAX));
        for index in 1..shnum {
            let h = elf.header(index);
            if !h.has_file_data() {
                continue;
            }
            let end = h.offset.checked_add(h.size);
            match end {
                Some(end) if end <= data.len() as u64 => {
                    if h.size > 0 {
                        if h.offset < EHDR_SIZE as u64 {
                            return Err(ElfError::SectionOutOfFile {
                                index,
                                sh_type: h.sh_type,
                            });
                        }
                        spans.push((h.offset, end, index));
                    }
                }
                _ => {
                    return Err(ElfError::SectionOutOfFile {
                        index,
                        sh_type: h.sh_type,
                    })
                }
            }
        }
        spans.sort_unstable();
        for pair in spans.windows(2) {
            if pair[1].0 < pair[0].1 {
                let (a, b) = (pair[0].2, pair[1].2);
                // usize::MAX marks the section header table: a section over it is "in the wrong place".
                if a == usize::MAX || b == usize::MAX {
                    let index = a.min(b);
                    return Err(ElfError::SectionOutOfFile {
                        index,
                        sh_type: elf.header(index).sh_type,
                    });
                }
                return Err(ElfError::SectionOverlap {
                    first: a.min(b),
                    second: a.max(b),
                });
            }
        }
        let strhdr = elf.header(shstrndx as usize);
        if strhdr.sh_type != sht::STRTAB {
            return Err(ElfError::SectionNameTableType(strhdr.sh_type));
        }
        if strhdr.size == 0 {
            return Err(ElfError::EmptySectionNameTable);
        }
        let shstrtab = &data[strhdr.offset as usize..(strhdr.offset + strhdr.size) as usize];
        if shstrtab.last() != Some(&0) {
            return Err(ElfError::SectionNameTableNotTerminated);
        }
        for index in 1..shnum {
            let h = elf.header(index);
            if h.name as usize >= shstrtab.len() {
                return Err(ElfError::SectionName {
                    index,
                    sh_type: h.sh_type,
                });
            }
        }
        elf.shstrtab = shstrtab;
        Ok(elf)
    }

    /// The whole image.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Number of section headers, including the null section 0.
    pub fn section_count(&self) -> usize {
        self.shnum
    }

    fn header(&self, index: usize) -> SectionHeader {
        let off = self.shoff + index * SHDR_SIZE;
        SectionHeader::decode(&self.data[off..off + SHDR_SIZE])
    }

    fn name_at(&self, off: u32) -> &'a [u8] {
        // Names of sections 1.. are checked in `parse`; section 0's is not, as in the kernel.
        let rest = self.shstrtab.get(off as usize..).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        &rest[..end]
    }

    /// Section `index`, or `None` past the table.
    pub fn section(&self, index: usize) -> Option<Section<'a>> {
        if index >= self.shnum {
            return None;
        }
        let header = self.header(index);
        Some(Section {
            index,
            name: self.name_at(header.name),
            header,
        })
    }

    /// All sections, including the null section 0.
    pub fn sections(&self) -> impl Iterator<Item = Section<'a>> + '_ {
        (0..self.shnum).filter_map(move |i| self.section(i))
    }

    /// The first section named `name` (section 0 excluded), as kmod's `kmod_elf_get_section` finds it.
    pub fn section_by_name(&self, name: &[u8]) -> Option<Section<'a>> {
        (1..self.shnum)
            .filter_map(|i| self.section(i))
            .find(|s| s.name == name)
    }

    /// How many sections carry `name`.
    pub fn count_sections_named(&self, name: &[u8]) -> usize {
        (1..self.shnum)
            .filter_map(|i| self.section(i))
            .filter(|s| s.name == name)
            .count()
    }

    /// The file bytes of a section; empty for `SHT_NOBITS` and `SHT_NULL`.
    pub fn data(&self, section: &Section<'_>) -> &'a [u8] {
        let h = &section.header;
        if !h.has_file_data() {
            return &[];
        }
        // In bounds: checked for every section in `parse`.
        &self.data[h.offset as usize..(h.offset + h.size) as usize]
    }

    /// The module's symbol table. The kernel requires exactly one `SHT_SYMTAB` whose `sh_link` names a
    /// string table that starts and ends with NUL.
    pub fn symbols(&self) -> Result<SymbolTable<'a>, ElfError> {
        let mut found = None;
        for s in self.sections().skip(1) {
            if s.header.sh_type == sht::SYMTAB {
                if found.is_some() {
                    return Err(ElfError::MultipleSymbolTables);
                }
                found = Some(s);
            }
        }
        let sym = found.ok_or(ElfError::NoSymbols)?;
        if sym.header.entsize as usize != SYM_SIZE || sym.header.size % SYM_SIZE as u64 != 0 {
            return Err(ElfError::BadEntrySize {
                index: sym.index,
                entsize: sym.header.entsize,
                expected: SYM_SIZE,
            });
        }
        let strsec = match self.section(sym.header.link as usize) {
            Some(s) if sym.header.link != 0 && s.header.sh_type == sht::STRTAB => s,
            _ => {
                return Err(ElfError::BadLink {
                    index: sym.index,
                    link: sym.header.link,
                })
            }
        };
        let strtab = self.data(&strsec);
        if strtab.first() != Some(&0) || strtab.last() != Some(&0) {
            return Err(ElfError::StringTable {
                index: strsec.index,
            });
        }
        Ok(SymbolTable {
            index: sym.index,
            data: self.data(&sym),
            strtab,
        })
    }

    /// The `SHT_RELA` sections that apply to section `target`.
    pub fn rela_sections_for(&self, target: usize) -> impl Iterator<Item = Section<'a>> + '_ {
        self.sections()
            .skip(1)
            .filter(move |s| s.header.sh_type == sht::RELA && s.header.info as usize == target)
    }

    /// The relocation entries of one `SHT_RELA` section, checked against the symbol table.
    pub fn relocations(
        &self,
        rela: &Section<'a>,
        symtab: &SymbolTable<'a>,
    ) -> Result<Relocations<'a>, ElfError> {
        let h = &rela.header;
        if h.entsize as usize != RELA_SIZE || h.size % RELA_SIZE as u64 != 0 {
            return Err(ElfError::BadEntrySize {
                index: rela.index,
                entsize: h.entsize,
                expected: RELA_SIZE,
            });
        }
        if h.link as usize != symtab.index {
            return Err(ElfError::BadLink {
                index: rela.index,
                link: h.link,
            });
        }
        if h.info == 0 || h.info as usize >= self.shnum {
            return Err(ElfError::BadInfo {
                index: rela.index,
                info: h.info,
            });
        }
        let data = self.data(rela);
        for chunk in data.chunks_exact(RELA_SIZE) {
            let sym = (u64_at(chunk, 8) >> 32) as u32;
            if sym as usize >= symtab.len() {
                return Err(ElfError::SymbolIndex {
                    reloc_section: rela.index,
                    symbol: sym,
                });
            }
        }
        Ok(Relocations { data })
    }
}

/// A symbol, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a [u8],
    pub info: u8,
    pub other: u8,
    pub shndx: u16,
    pub value: u64,
    pub size: u64,
}

impl Symbol<'_> {
    /// `STB_*` binding.
    pub fn bind(&self) -> u8 {
        self.info >> 4
    }
    /// `STT_*` type.
    pub fn kind(&self) -> u8 {
        self.info & 0xf
    }
}

/// The `.symtab` with its string table.
#[derive(Debug, Clone, Copy)]
pub struct SymbolTable<'a> {
    /// Section index of the symbol table.
    pub index: usize,
    data: &'a [u8],
    strtab: &'a [u8],
}

impl<'a> SymbolTable<'a> {
    /// Number of entries, including the null symbol 0.
    pub fn len(&self) -> usize {
        self.data.len() / SYM_SIZE
    }

    /// Whether the table has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Symbol `i`; its name must start inside the string table.
    pub fn get(&self, i: usize) -> Result<Symbol<'a>, ElfError> {
        let d = self
            .data
            .get(i * SYM_SIZE..(i + 1) * SYM_SIZE)
            .ok_or(ElfError::SymbolName { symbol: i })?;
        let name_off = u32_at(d, 0) as usize;
        let rest = self
            .strtab
            .get(name_off..)
            .ok_or(ElfError::SymbolName { symbol: i })?;
        // The table ends with NUL (checked in `Elf::symbols`), so a terminator exists.
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        Ok(Symbol {
            name: &rest[..end],
            info: d[4],
            other: d[5],
            shndx: u16_at(d, 6),
            value: u64_at(d, 8),
            size: u64_at(d, 16),
        })
    }

    /// All symbols in table order, including the null symbol 0.
    pub fn iter(&self) -> impl Iterator<Item = Result<Symbol<'a>, ElfError>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// One `Elf64_Rela`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rela {
    pub offset: u64,
    pub symbol: u32,
    pub rtype: u32,
    pub addend: i64,
}

/// The entries of one `SHT_RELA` section; symbol indices are known to be in range.
#[derive(Debug, Clone, Copy)]
pub struct Relocations<'a> {
    data: &'a [u8],
}

impl<'a> Relocations<'a> {
    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = Rela> + 'a {
        self.data.chunks_exact(RELA_SIZE).map(|c| {
            let info = u64_at(c, 8);
            Rela {
                offset: u64_at(c, 0),
                symbol: (info >> 32) as u32,
                rtype: info as u32,
                addend: u64_at(c, 16) as i64,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid image: ELF header, a section-name table, and two section headers (null, .shstrtab).
    fn minimal() -> Vec<u8> {
        let names = b"\0.shstrtab\0";
        let mut d = vec![0u8; EHDR_SIZE];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = ELFCLASS64;
        d[5] = ELFDATA2LSB;
        d[6] = 1;
        d[16..18].copy_from_slice(&ET_REL.to_le_bytes());
        d[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        d[58..60].copy_from_slice(&(SHDR_SIZE as u16).to_le_bytes());
        let names_off = d.len();
        d.extend_from_slice(names);
        let shoff = d.len();
        d[40..48].copy_from_slice(&(shoff as u64).to_le_bytes());
        d[60..62].copy_from_slice(&2u16.to_le_bytes());
        d[62..64].copy_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&[0u8; SHDR_SIZE]);
        let mut sh = [0u8; SHDR_SIZE];
        sh[0..4].copy_from_slice(&1u32.to_le_bytes());
        sh[4..8].copy_from_slice(&sht::STRTAB.to_le_bytes());
        sh[24..32].copy_from_slice(&(names_off as u64).to_le_bytes());
        sh[32..40].copy_from_slice(&(names.len() as u64).to_le_bytes());
        d.extend_from_slice(&sh);
        d
    }

    #[test]
    fn minimal_image_parses() {
        let d = minimal();
        let elf = Elf::parse(&d).unwrap();
        let names: Vec<&[u8]> = elf.sections().map(|s| s.name).collect();
        assert_eq!(names, [&b""[..], b".shstrtab"]);
        assert_eq!(elf.symbols().unwrap_err(), ElfError::NoSymbols);
    }

    /// Found by fuzzing: section 0's `sh_name` is not validated, so naming it must not index past the
    /// section-name table.
    #[test]
    fn section_zero_with_a_wild_name() {
        let mut d = minimal();
        let shoff = u64_at(&d, 40) as usize;
        d[shoff..shoff + 4].copy_from_slice(&0x1d00_0000u32.to_le_bytes());
        let elf = Elf::parse(&d).unwrap();
        assert_eq!(elf.section(0).unwrap().name, b"");
        assert_eq!(elf.sections().count(), 2);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let d = minimal();
        for len in 0..d.len() {
            assert!(Elf::parse(&d[..len]).is_err(), "truncated to {len}");
        }
    }
}
