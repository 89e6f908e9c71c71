// Decodable on time: the share of scheduled frames a viewer could show by their deadline. A
// frame counts when it can be decoded within the deadline of its capture: it arrived intact, and
// so did every frame before it back to (and including) its key frame, all of them by this
// frame's deadline. A P frame behind a lost frame of its GOP never counts, however early its own
// bytes came (SRT's live mode, for one, drops a late packet and delivers the frames behind the
// hole; raw on-time counts them); behind a late one it counts only once that one has arrived
// (a key frame 450 ms late still lets the P frame 67 ms after it make its 400-ms deadline).
// Frames before the first key frame have no chain: they never count.
//
// frames: in schedule (decode) order, each { key: bool, captureMs, arrivalMs } (arrivalMs:
// Infinity for a frame never received intact). Returns the count of decodable-on-time frames.
export function decodableOnTime(frames, deadlineMs) {
	let ready = Infinity;   // when the chain up to this frame is all there
	let count = 0;
	for (const f of frames) {
		ready = f.key ? f.arrivalMs : Math.max(ready, f.arrivalMs);
		if (ready - f.captureMs <= deadlineMs) count++;
	}
	return count;
}
