/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lkm SDK: bit operations on unsigned long bitmaps, with Linux 6.12's names and semantics: set_bit()
 * and friends are atomic (locked read-modify-writes), __set_bit() and friends are not; the
 * test_and_* operations are fully ordered.  Trivial inlines over gcc builtins.  Written for lkm.
 */
#ifndef _LINUX_BITOPS_H
#define _LINUX_BITOPS_H

#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <asm/barrier.h>

#define BITS_PER_TYPE(type)	(sizeof(type) * BITS_PER_BYTE)
#define BITS_TO_LONGS(nr)	__KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(long))
#define BITS_TO_U64(nr)		__KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(u64))
#define BITS_TO_U32(nr)		__KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(u32))
#define BITS_TO_BYTES(nr)	__KERNEL_DIV_ROUND_UP(nr, BITS_PER_TYPE(char))

#define __lkm_bitword(nr, addr)	(((unsigned long *)(addr)) + BIT_WORD(nr))

static __always_inline void set_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_or(__lkm_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_RELAXED); }
static __always_inline void clear_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_and(__lkm_bitword(nr, addr), ~BIT_MASK(nr), __ATOMIC_RELAXED); }
static __always_inline void clear_bit_unlock(long nr, volatile unsigned long *addr)
{ __atomic_fetch_and(__lkm_bitword(nr, addr), ~BIT_MASK(nr), __ATOMIC_RELEASE); }
static __always_inline void change_bit(long nr, volatile unsigned long *addr)
{ __atomic_fetch_xor(__lkm_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_RELAXED); }
static __always_inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{ return (__atomic_fetch_or(__lkm_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0; }
static __always_inline bool test_and_set_bit_lock(long nr, volatile unsigned long *addr)
{ return (__atomic_fetch_or(__lkm_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_ACQUIRE) & BIT_MASK(nr)) != 0; }
static __always_inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{ return (__atomic_fetch_and(__lkm_bitword(nr, addr), ~BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0; }
static __always_inline bool test_and_change_bit(long nr, volatile unsigned long *addr)
{ return (__atomic_fetch_xor(__lkm_bitword(nr, addr), BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr)) != 0; }

static __always_inline void __set_bit(long nr, volatile unsigned long *addr)
{ *__lkm_bitword(nr, addr) |= BIT_MASK(nr); }
static __always_inline void __clear_bit(long nr, volatile unsigned long *addr)
{ *__lkm_bitword(nr, addr) &= ~BIT_MASK(nr); }
static __always_inline void __clear_bit_unlock(long nr, volatile unsigned long *addr)
{ barrier(); *__lkm_bitword(nr, addr) &= ~BIT_MASK(nr); }
static __always_inline void __change_bit(long nr, volatile unsigned long *addr)
{ *__lkm_bitword(nr, addr) ^= BIT_MASK(nr); }
static __always_inline bool __test_and_set_bit(long nr, volatile unsigned long *addr)
{ unsigned long *p = __lkm_bitword(nr, addr), old = *p; *p = old | BIT_MASK(nr); return (old & BIT_MASK(nr)) != 0; }
static __always_inline bool __test_and_clear_bit(long nr, volatile unsigned long *addr)
{ unsigned long *p = __lkm_bitword(nr, addr), old = *p; *p = old & ~BIT_MASK(nr); return (old & BIT_MASK(nr)) != 0; }
static __always_inline bool __test_and_change_bit(long nr, volatile unsigned long *addr)
{ unsigned long *p = __lkm_bitword(nr, addr), old = *p; *p = old ^ BIT_MASK(nr); return (old & BIT_MASK(nr)) != 0; }

static __always_inline bool test_bit(long nr, const volatile unsigned long *addr)
{ return 1UL & (READ_ONCE(((const unsigned long *)addr)[BIT_WORD(nr)]) >> (nr & (BITS_PER_LONG - 1))); }
static __always_inline bool test_bit_acquire(long nr, const volatile unsigned long *addr)
{ return 1UL & (__atomic_load_n(((const unsigned long *)addr) + BIT_WORD(nr), __ATOMIC_ACQUIRE) >> (nr & (BITS_PER_LONG - 1))); }
#define assign_bit(nr, addr, value)	((value) ? set_bit((nr), (addr)) : clear_bit((nr), (addr)))
#define __assign_bit(nr, addr, value)	((value) ? __set_bit((nr), (addr)) : __clear_bit((nr), (addr)))

/* Single-word searches.  __ffs/__fls/ffz are undefined for 0 (as in Linux). */
static __always_inline unsigned long __ffs(unsigned long word) { return __builtin_ctzl(word); }
static __always_inline unsigned long __fls(unsigned long word) { return BITS_PER_LONG - 1 - __builtin_clzl(word); }
#define ffz(x)	__ffs(~(x))
static __always_inline int ffs(int x) { return __builtin_ffs(x); }
static __always_inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static __always_inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static __always_inline int fls_long(unsigned long l) { return fls64(l); }
static __always_inline unsigned int __ffs64(u64 word) { return __builtin_ctzll(word); }

static __always_inline unsigned int hweight8(unsigned int w) { return __builtin_popcount(w & 0xff); }
static __always_inline unsigned int hweight16(unsigned int w) { return __builtin_popcount(w & 0xffff); }
static __always_inline unsigned int hweight32(unsigned int w) { return __builtin_popcount(w); }
static __always_inline unsigned long hweight64(u64 w) { return __builtin_popcountll(w); }
static __always_inline unsigned long hweight_long(unsigned long w) { return __builtin_popcountl(w); }

static inline u64 rol64(u64 word, unsigned int shift) { return (word << (shift & 63)) | (word >> ((-shift) & 63)); }
static inline u64 ror64(u64 word, unsigned int shift) { return (word >> (shift & 63)) | (word << ((-shift) & 63)); }
static inline u32 rol32(u32 word, unsigned int shift) { return (word << (shift & 31)) | (word >> ((-shift) & 31)); }
static inline u32 ror32(u32 word, unsigned int shift) { return (word >> (shift & 31)) | (word << ((-shift) & 31)); }
static inline u16 rol16(u16 word, unsigned int shift) { return (word << (shift & 15)) | (word >> ((-shift) & 15)); }
static inline u16 ror16(u16 word, unsigned int shift) { return (word >> (shift & 15)) | (word << ((-shift) & 15)); }
static inline u8 rol8(u8 word, unsigned int shift) { return (word << (shift & 7)) | (word >> ((-shift) & 7)); }
static inline u8 ror8(u8 word, unsigned int shift) { return (word >> (shift & 7)) | (word << ((-shift) & 7)); }
static __always_inline s32 sign_extend32(u32 value, int index)
{ u8 shift = 31 - index; return (s32)(value << shift) >> shift; }
static __always_inline s64 sign_extend64(u64 value, int index)
{ u8 shift = 63 - index; return (s64)(value << shift) >> shift; }

/* Bitmap searches (include/linux/find.h): the index found, or size when there is none. */
static inline unsigned long __lkm_find_bit(const unsigned long *addr, unsigned long size,
					   unsigned long offset, unsigned long invert)
{
	unsigned long tmp;
	if (offset >= size)
		return size;
	tmp = (addr[BIT_WORD(offset)] ^ invert) & (~0UL << (offset & (BITS_PER_LONG - 1)));
	offset &= ~(BITS_PER_LONG - 1UL);
	while (!tmp) {
		offset += BITS_PER_LONG;
		if (offset >= size)
			return size;
		tmp = addr[BIT_WORD(offset)] ^ invert;
	}
	offset += __ffs(tmp);
	return offset < size ? offset : size;
}
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
					  unsigned long offset)
{ return __lkm_find_bit(addr, size, offset, 0UL); }
static inline unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size,
					       unsigned long offset)
{ return __lkm_find_bit(addr, size, offset, ~0UL); }
static inline unsigned long find_first_bit(const unsigned long *addr, unsigned long size)
{ return find_next_bit(addr, size, 0); }
static inline unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size)
{ return find_next_zero_bit(addr, size, 0); }
static inline unsigned long find_last_bit(const unsigned long *addr, unsigned long size)
{
	unsigned long i = size;
	while (i-- > 0)
		if (test_bit(i, addr))
			return i;
	return size;
}

#define for_each_set_bit(bit, addr, size) \
	for ((bit) = 0; (bit) = find_next_bit((addr), (size), (bit)), (bit) < (size); (bit)++)
#define for_each_set_bit_from(bit, addr, size) \
	for (; (bit) = find_next_bit((addr), (size), (bit)), (bit) < (size); (bit)++)
#define for_each_clear_bit(bit, addr, size) \
	for ((bit) = 0; (bit) = find_next_zero_bit((addr), (size), (bit)), (bit) < (size); (bit)++)
#define for_each_clear_bit_from(bit, addr, size) \
	for (; (bit) = find_next_zero_bit((addr), (size), (bit)), (bit) < (size); (bit)++)

#endif /* _LINUX_BITOPS_H */
