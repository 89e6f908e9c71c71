// The GOP ring (native/ring): one arena, one writer, many readers with their
// own cursors. See native/ring/README.md for the guarantees.
export const FrameType = Object.freeze({ audio: 0, video: 1 });
export const Codec = Object.freeze({ h264: 1, h265: 2, aac: 3 });

export class Ring @ "xs_ring_destructor" {
	constructor(options) @ "xs_ring_constructor";
	push(type, codec, key, timestamp, data) @ "xs_ring_push";
	stats() @ "xs_ring_stats";
	close() @ "xs_ring_close";
}
Object.freeze(Ring.prototype);

class NativeReader @ "xs_ring_reader_destructor" {
	constructor(ring, options) @ "xs_ring_reader_constructor";
	read() @ "xs_ring_reader_read";
	valid(frame) @ "xs_ring_reader_valid";
	close() @ "xs_ring_reader_close";
}

// read() returns a frame whose `data` is a zero-copy Uint8Array over the
// arena. A C writer may overwrite it later: use the bytes, then check
// reader.valid(frame) before trusting what you made from them.
export class RingReader extends NativeReader {
	read() {
		const frame = super.read();
		if (frame) frame.data = new Uint8Array(frame.buffer);
		return frame;
	}
}
Object.freeze(RingReader.prototype);
export default Ring;
