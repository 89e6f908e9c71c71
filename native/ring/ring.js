// The GOP ring (native/ring): one arena, one writer, many readers with their
// own cursors. See native/ring/README.md for the guarantees.
//
// The classes are plain JS over native host objects (not `class X @ "…"`):
// XS cannot put a class with a host destructor into a heap snapshot, and apps
// preload this module into one.
function create(options) @ "xs_ring_create";
function push(ring, type, codec, key, timestamp, data) @ "xs_ring_push";
function stats(ring) @ "xs_ring_stats";
function close(ring) @ "xs_ring_close";
function createReader(ring, options, owner) @ "xs_ring_reader_create";
function read(reader) @ "xs_ring_reader_read";
function valid(reader, frame) @ "xs_ring_reader_valid";
function closeReader(reader) @ "xs_ring_reader_close";

export const FrameType = Object.freeze({ audio: 0, video: 1 });
export const Codec = Object.freeze({ h264: 1, h265: 2, aac: 3 });

let nativeOf;

export class Ring {
	#ring;
	constructor(options) {
		this.#ring = create(options);
	}
	push(type, codec, key, timestamp, data) {
		push(this.#ring, type, codec, key, timestamp, data);
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
export class RingReader {
	#reader;
	constructor(ring, options = {}) {
		this.#reader = createReader(nativeOf(ring), options, this);
	}
	read() {
		const frame = read(this.#reader);
		if (frame) frame.data = new Uint8Array(frame.buffer);
		return frame;
	}
	valid(frame) {
		return valid(this.#reader, frame);
	}
	close() {
		closeReader(this.#reader);
	}
}
Object.freeze(RingReader.prototype);
export default Ring;
