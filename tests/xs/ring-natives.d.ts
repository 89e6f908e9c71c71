declare module "ivxs/test-ring-natives" {
	/** The ring binding's natives, unwrapped (tests only): they take any value. */
	const natives: {
		push(ring: unknown, type: unknown, codec: unknown, key: unknown, timestamp: unknown, data: unknown, info?: unknown): void;
		stats(ring: unknown): unknown;
		close(ring: unknown): void;
		createReader(ring: unknown, options?: unknown, owner?: unknown): unknown;
		read(reader: unknown): unknown;
		valid(reader: unknown, frame: unknown): boolean;
		closeReader(reader: unknown): void;
	};
	export default natives;
}
