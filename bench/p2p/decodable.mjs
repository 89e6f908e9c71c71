// Decodable on time: the share of scheduled frames a viewer could show by their deadline. A
// frame counts when it arrived intact within the deadline AND so did every frame before it back
// to (and including) its key frame: a P frame behind a lost or late frame of its GOP cannot be
// decoded, however early its own bytes came (SRT's live mode, for one, drops a late packet and
// delivers the frames behind the hole; raw on-time counts them). Frames before the first key
// frame have no chain: they never count.
//
// frames: in schedule (decode) order, each { key: bool, onTime: bool } (onTime: intact and
// within the deadline). Returns the count of decodable-on-time frames.
export function decodableOnTime(frames) {
	let chain = false;
	let count = 0;
	for (const f of frames) {
		chain = f.key ? f.onTime : chain && f.onTime;
		if (chain) count++;
	}
	return count;
}
