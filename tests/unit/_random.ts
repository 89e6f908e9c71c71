// A small deterministic generator for the tests' hostile-byte corpora (xorshift32): the same
// numbers on Node and XS.

/** The next 32-bit number on each call, from `seed` (non-zero). */
export function xorshift32(seed: number): () => number {
	return () => {
		// (seed << n) mod 2^32 by multiplying the bits that stay: XS shifts in C's int, where an
		// overflowing << is undefined behaviour (the sanitized host runs these tests).
		seed = (seed ^ (seed & 0x7ffff) * 0x2000) >>> 0;
		seed ^= seed >>> 17;
		seed = (seed ^ (seed & 0x7ffffff) * 0x20) >>> 0;
		return seed;
	};
}
