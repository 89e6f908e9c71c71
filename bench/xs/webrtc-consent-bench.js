// A WebRTC viewer's ICE consent check answered on XS, as the camera's endpoint answers one every few
// seconds a viewer for as long as it watches (RFC 7675), run by bench/webrtc/run.mjs under callgrind:
//   build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods webrtc-consent-bench -- <checks>
// A browser's check (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
// FINGERPRINT; made once with modules/webrtc/ice.ts iceCheck) read and answered `checks` times the
// way the endpoint and its session do: checkedRequest to find the session by its ufrag, then
// answerCheck (FINGERPRINT, the ufrag, MESSAGE-INTEGRITY, the response signed and fingerprinted).
// Prints one JSON line: { checks, allocated } — the XS bytes the app's machine allocated meanwhile
// (memory().allocated: what the collector will have to take back).
import { argv, memory } from "ivxs/host";
import { hmacSha1 } from "ivxs/crypto";
import { answerCheck, candidatePriority, checkedRequest, iceCheck } from "modules/webrtc/ice";

export default function main() {
	const count = Number(argv()[0]);
	const camera = { ufrag: "Xq3T", pwd: "a0Vx3mB9zYk2LpQ8rT5wN1cD" }, viewer = { ufrag: "pQ7e", pwd: "Hh4Jj5Kk6Ll7Mm8Nn9Oo0Pp1" };
	const check = iceCheck({ id: Uint8Array.from({ length: 12 }, (_, i) => i * 7), local: viewer, remote: camera, priority: candidatePriority("prflx"),
		controlling: true, tieBreaker: Uint8Array.from({ length: 8 }, (_, i) => i), nominate: true }, hmacSha1);
	const from = { address: "192.168.1.20", port: 50000 };
	const before = memory().allocated;
	let answered = 0;
	for (let i = 0; i < count; i++) {
		const request = checkedRequest(check);
		if (request?.ufrag === camera.ufrag && answerCheck(check, camera, from, hmacSha1, request.message)) answered++;
	}
	if (answered !== count) throw new Error(`${count - answered} checks not answered`);
	trace(`${JSON.stringify({ checks: count, allocated: memory().allocated - before })}\n`);
}
