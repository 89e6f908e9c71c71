// Reading an LL-HLS live playlist as a player does, with the grammar's rules
// checked (RFC 8216bis §4.4): for the cloud's tests and the camera's.

const attrs = (line) => Object.fromEntries([...line.matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)].map(([, key, value]) => [key, value.replace(/^"|"$/g, "")]));

/**
 * The playlist read as a player reads it, with the grammar's rules checked (RFC 8216bis §4.4):
 * PART-INF before any part, PART-HOLD-BACK ≥ 2 × PART-TARGET, every part within PART-TARGET, the
 * parts of a listed segment right before its EXTINF, the segment in flight's parts after the last
 * EXTINF, and the preload hint last.
 */
export function readPlaylist(t, text) {
	const lines = text.split("\n").filter(Boolean);
	t.is(lines[0], "#EXTM3U");
	const partInf = lines.find((line) => line.startsWith("#EXT-X-PART-INF:"));
	const control = attrs(lines.find((line) => line.startsWith("#EXT-X-SERVER-CONTROL:")));
	t.is(control["CAN-BLOCK-RELOAD"], "YES");
	const result = { segments: [], inFlight: [], hint: undefined, partTarget: undefined, partHoldBack: undefined, mediaSequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)[1]) };
	if (partInf) {
		result.partTarget = Number(attrs(partInf)["PART-TARGET"]);
		result.partHoldBack = Number(control["PART-HOLD-BACK"]);
		t.true(result.partHoldBack >= 2 * result.partTarget, "PART-HOLD-BACK is at least twice PART-TARGET");
		t.true(lines.indexOf(partInf) < lines.findIndex((line) => line.startsWith("#EXT-X-PART:")) || !text.includes("#EXT-X-PART:"));
	}
	else t.false(/#EXT-X-(PART|PRELOAD-HINT):/.test(text), "parts without EXT-X-PART-INF");
	let parts = [];
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		if (line.startsWith("#EXT-X-PART:")) {
			t.is(result.hint, undefined, "a part after the preload hint");
			const part = attrs(line.slice("#EXT-X-PART:".length));
			const duration = Number(part.DURATION);
			t.true(duration > 0 && duration <= result.partTarget, `part of ${duration} s within PART-TARGET ${result.partTarget}`);
			parts.push({ uri: part.URI, duration, independent: part.INDEPENDENT === "YES" });
		}
		else if (line.startsWith("#EXTINF:")) {
			const uri = lines[i + 1];
			const duration = Number(/#EXTINF:([\d.]+),/.exec(line)[1]);
			if (parts.length) {
				const sum = parts.reduce((total, part) => total + part.duration, 0);
				t.true(Math.abs(sum - duration) < 0.002 * parts.length, `parts of ${sum} s make the segment of ${duration} s`);
			}
			result.segments.push({ seq: Number(/\/(\d+)\.m4s\?/.exec(uri)[1]), duration, uri, parts });
			parts = [];
		}
		else if (line.startsWith("#EXT-X-PRELOAD-HINT:")) {
			const hint = attrs(line.slice("#EXT-X-PRELOAD-HINT:".length));
			t.is(hint.TYPE, "PART");
			result.hint = hint.URI;
			t.is(i, lines.length - 1, "the preload hint is the playlist's last line");
		}
	}
	result.inFlight = parts;
	return result;
}
