/**
 * Regular expressions kept by modules that the XS linker preloads.
 *
 * Moddable's XS (SDK 8.2.3) matches with a RegExp made while preloading — one that lives in flash —
 * using scratch memory it takes from `malloc` but that its collector treats as one of its own
 * chunks (xsre.c, `fxAllocateRegExpData`): every match leaks that memory, and a collection that falls
 * inside a match "moves" the pointer to garbage read from the allocator's header (on the ESP32-S3, a
 * LoadProhibited at 0x1c or 0x24 in `fx_RegExp_prototype_exec`). A RegExp made at run time keeps its
 * scratch in the XS heap and has neither fault. So a preloaded module keeps each pattern as
 * `pattern(/…/)`: the literal is preloaded, never matched, and a copy made at run time — on first use,
 * once — does the matching. tests/moddable-preload.test.mjs finds RegExps a preloaded module makes
 * outside `pattern(…)`.
 */
export interface Pattern {
	test(text: string): boolean;
	exec(text: string): RegExpExecArray | null;
	/** The run-time RegExp, for `replace`, `split` and `matchAll`. */
	readonly regexp: RegExp;
	readonly source: string;
	readonly flags: string;
}

export function pattern(preloaded: RegExp): Pattern {
	let made: RegExp | undefined;
	const { source, flags } = preloaded;
	// The copy is made from `source`, which the XS of the Linux host writes back wrongly for a slash
	// ("\/" comes out "\\/", "[/]" twice over): such a pattern is refused here, at load; \x2f is a slash.
	if (new RegExp(source, flags).source !== source) throw new SyntaxError(`pattern(/${source}/${flags}) does not survive its source: write a slash as \\x2f`);
	const regexp = () => (made ??= new RegExp(source, flags));
	return Object.freeze({
		source,
		flags,
		test: (text: string) => regexp().test(text),
		exec: (text: string) => regexp().exec(text),
		get regexp() { return regexp(); },
	});
}
