// A small deterministic generator for the tests' hostile-byte corpora (xorshift32): the same
// numbers on Node and XS.

/** The next 32-bit number on each call, from `seed` (non-zero). */
export function xorshift32(seed: number): () => number {
	return () => {
		seed ^= seed << 13; seed >>>= 0;
		seed ^= seed >>> 17;
		seed ^= seed << 5; seed >>>= 0;
		return seed;
	};
}
