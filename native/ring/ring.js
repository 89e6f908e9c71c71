// The GOP ring (native/ring): one arena, one writer, many readers with their
// own cursors. See native/ring/README.md for the guarantees.
//
// The classes are plain JS over native host objects (not `class X @ "…"`):
// XS cannot put a class with a host destructor into a heap snapshot, and apps
// preload this module into one.
function create(options) @ "xs_ring_create";
function push(ring, type, codec, key, timestamp, data, info) @ "xs_ring_push";
function stats(ring) @ "xs_ring_stats";
function close(ring) @ "xs_ring_close";
function createReader(ring, options, owner) @ "xs_ring_reader_create";
function read(reader) @ "xs_ring_reader_read";
function valid(reader, frame) @ "xs_ring_reader_valid";
function closeReader(reader) @ "xs_ring_reader_close";
function lostOf(reader) @ "xs_ring_reader_lost";

// intact(chunks): true if every chunk of a scatter list (Uint8Array and other
// views, ArrayBuffers) that is a view of a ring frame still holds that
// frame's bytes; other chunks are ignored. One view may be given alone (no array to make). The zero-copy output contract
// (README "Zero-copy output"): put the bytes somewhere reversible, check
// intact(), then commit — or roll back and count the dropped fragment.
export function intact(chunks) @ "xs_ring_intact";

export const FrameType = Object.freeze({ audio: 0, video: 1 });
export const Codec = Object.freeze({ h264: 1, h265: 2, aac: 3, pcmu: 4, pcma: 5 });

let nativeOf;

export class Ring {
	#ring;
	constructor(options) {
		this.#ring = create(options);
	}
	// info: an optional 32-bit word stored with the frame (frame.info).
	push(type, codec, key, timestamp, data, info) {
		push(this.#ring, type, codec, key, timestamp, data, info);
	}
	stats() {
		return stats(this.#ring);
	}
	close() {
		close(this.#ring);
	}
	static {
		nativeOf = (ring) => {
			if (!(ring instanceof Ring)) throw new TypeError("ring: not a Ring");
			return ring.#ring;
		};
	}
}
Object.freeze(Ring.prototype);

// For native modules that write into a ring from C (capture): the host object.
export function nativeRing(ring) {
	return nativeOf(ring);
}

// read() returns a frame whose `data` is a zero-copy Uint8Array over the
// arena. A C writer may overwrite it later: use the bytes, then check
// reader.valid(frame) before trusting what you made from them.
let nativeReaderOf;

export class RingReader {
	#reader;
	constructor(ring, options = {}) {
		this.#reader = createReader(nativeOf(ring), options, this);
	}
	// Frames this reader lost so far because the writer overtook it (the sum
	// of every frame's `lost`, read here or by a native module in C).
	get lost() { return lostOf(this.#reader); }
	read() {
		const frame = read(this.#reader);
		if (frame) frame.data = new Uint8Array(frame.data);   // (the host buffer read() put there)
		return frame;
	}
	valid(frame) {
		return valid(this.#reader, frame);
	}
	close() {
		closeReader(this.#reader);
	}
	static {
		nativeReaderOf = (reader) => {
			if (!(reader instanceof RingReader)) throw new TypeError("ring: not a RingReader");
			return reader.#reader;
		};
	}
}
Object.freeze(RingReader.prototype);

// For native modules that read a reader's frames in C (fmp4's pump): the host object.
export function nativeReader(reader) {
	return nativeReaderOf(reader);
}
export default Ring;

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes.
export const codes = Object.freeze({
	EARG: "IVXS_RING_EARG",
	ENOMEM: "IVXS_RING_ENOMEM",
	ETOOBIG: "IVXS_RING_ETOOBIG",
	ENEEDKEY: "IVXS_RING_ENEEDKEY",
	ETIME: "IVXS_RING_ETIME",
	ECODEC: "IVXS_RING_ECODEC",
	EREADERS: "IVXS_RING_EREADERS",
	ENOFRAME: "IVXS_RING_ENOFRAME",
	EEMPTY: "IVXS_RING_EEMPTY",
	EBUSY: "IVXS_RING_EBUSY",
});
