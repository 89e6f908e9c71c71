// The protocol package (modules/protocol), under Node and on XS: the identifier patterns, the
// exact texts that get signed, the header and password formats, topics, the plan validator, the
// verdict table and the ticket layout. The HMAC here is a recording stand-in: the real one is
// checked against cloud/PROTOCOL.md's vectors by tests/protocol-oracle.test.mjs.
import test from "ava";
import * as p from "../../modules/protocol/index.js";

type Bytes = string | Uint8Array | ArrayBuffer;
const text = (data: Bytes) => (typeof data === "string" ? data : Array.from(data instanceof Uint8Array ? data : new Uint8Array(data), (b) => String.fromCharCode(b)).join(""));
/** Not a hash: 32 bytes naming the call, and the messages it was given. */
const calls: { key: string; data: string }[] = [];
const hmac: p.HmacSha256 = (key, data) => {
	const message = (Array.isArray(data) ? data as Bytes[] : [data as Bytes]).map(text).join("");
	calls.push({ key: text(key), data: message });
	const out = new Uint8Array(32);
	out[0] = calls.length;
	out[31] = message.length & 255;
	return out;
};

test("identifiers match cloud/PROTOCOL.md's patterns", (t) => {
	for (const id of ["cam1", "0", "a-b_c", "x".repeat(64)]) t.true(p.isDeviceId(id), id);
	for (const id of ["", "Cam1", "-a", "_a", "a b", "a/b", "x".repeat(65), 7]) t.false(p.isDeviceId(id), String(id));
	for (const id of ["s1", "A-b_9", "x".repeat(64)]) t.true(p.isStreamId(id), id);
	for (const id of ["", "a.b", "x".repeat(65)]) t.false(p.isStreamId(id), id);
	t.true(p.isNonce("0".repeat(16)));
	t.false(p.isNonce("0".repeat(15)));
	t.false(p.isNonce("A".repeat(16)));
	t.true(p.isSecret("s".repeat(32)));
	t.false(p.isSecret("s".repeat(31)));
	t.false(p.isSecret("s".repeat(257)));
	t.true(p.isChannel(63));
	t.false(p.isChannel(64));
	t.false(p.isChannel(2, 2));
	t.false(p.isChannel(-1));
	t.false(p.isChannel(1.5));
});

test("the string to sign is six lines joined by \\n, and the Authorization value parses back", (t) => {
	t.is(p.stringToSign("PUT", "/v1/x?a=1", 1767225600, "00112233445566778899aabbccddeeff", p.STREAMING),
		"IVXS-HMAC-SHA256\nPUT\n/v1/x?a=1\n1767225600\n00112233445566778899aabbccddeeff\nSTREAMING");
	const signed = p.signRequest(hmac, "K", { device: "cam1", method: "POST", path: "/v1/y", time: 5, nonce: "0123456789abcdef", bodyHash: p.EMPTY_SHA256 });
	t.is(calls[calls.length - 1].data, `IVXS-HMAC-SHA256\nPOST\n/v1/y\n5\n0123456789abcdef\n${p.EMPTY_SHA256}`);
	t.is(signed.authorization, `IVXS-HMAC-SHA256 Device=cam1, Time=5, Nonce=0123456789abcdef, Signature=${signed.signature}`);
	t.deepEqual(p.parseAuthorization(signed.authorization), { device: "cam1", time: "5", nonce: "0123456789abcdef", signature: signed.signature });
	for (const bad of [signed.authorization.replace(", ", ","), signed.authorization.replace("cam1", "Cam1"), `${signed.authorization} `, signed.authorization.replace("Time=5", "Time=-5")])
		t.is(p.parseAuthorization(bad), undefined, bad);
	t.throws(() => p.signRequest(hmac, "K", { device: "cam1", method: "GET", path: "/", time: 1, nonce: "short", bodyHash: p.EMPTY_SHA256 }), { instanceOf: TypeError });
	t.true(p.isBodyHash(p.STREAMING));
	t.true(p.isBodyHash(p.EMPTY_SHA256));
	t.false(p.isBodyHash(p.EMPTY_SHA256.toUpperCase()));
	p.trailerSignature(hmac, "K", "sig", "hash");
	t.is(calls[calls.length - 1].data, "sig\nhash");
});

test("the MQTT password signs the 53 bytes of §5's example and parses back", (t) => {
	t.is(p.mqttToSign("cam1", 1700000000, "00112233445566778899aabbccddeeff"), "MQTT\ncam1\n1700000000\n00112233445566778899aabbccddeeff");
	t.is(p.mqttToSign("cam1", 1700000000, "00112233445566778899aabbccddeeff").length, 53);
	const password = p.mqttPassword(hmac, "K", "cam1", 1700000000, "00112233445566778899aabbccddeeff");
	const fields = p.parseMqttPassword(password);
	t.is(fields?.time, "1700000000");
	t.is(fields?.nonce, "00112233445566778899aabbccddeeff");
	t.regex(fields?.signature ?? "", /^[0-9a-f]{64}$/);
	t.is(p.parseMqttPassword("1700000000:xyz:00"), undefined);
	t.is(p.signingKey(hmac, "secret").length, 32);
	t.deepEqual(calls[calls.length - 1], { key: "secret", data: "ivxs device v1" });
});

test("the time exchange: the text its answer signs, and the offset from a round trip no longer than 10 s", (t) => {
	t.is(p.cloudTimePath("cam1"), "/v1/devices/cam1/time");
	t.is(p.cloudTimeToSign("cam1", "0123456789abcdef", 1767225600000), "IVXS-TIME\ncam1\n0123456789abcdef\n1767225600000");
	const answer = p.cloudTimeAnswer(hmac, "K", "cam1", "0123456789abcdef", 1767225600000);
	t.deepEqual(calls[calls.length - 1], { key: "K", data: "IVXS-TIME\ncam1\n0123456789abcdef\n1767225600000" });
	t.is(p.cloudClockOffset(1_000_000, { sent: 5_000, received: 5_400, wall: 70_000 }), 1_000_000 + 200 - 70_000, "the cloud's time stood at the middle of the round trip");
	t.is(p.cloudClockOffset(1_000_000, { sent: 0, received: p.MAX_TIME_ROUND_TRIP_MS, wall: 0 }), 1_000_000 + p.MAX_TIME_ROUND_TRIP_MS / 2);
	t.is(p.cloudClockOffset(1_000_000, { sent: 0, received: p.MAX_TIME_ROUND_TRIP_MS + 1, wall: 0 }), undefined, "held back too long");
	t.is(p.cloudClockOffset(1_000_000, { sent: 10, received: 9, wall: 0 }), undefined, "the clock ran backwards meanwhile");
	t.throws(() => p.offsetOfCloudTime(hmac, "K", "cam1", "0123456789abcdef", { status: 401, body: answer }, { sent: 0, received: 10, wall: 0 }), { message: "cloud time: the cloud answered 401" });
	t.throws(() => p.offsetOfCloudTime(hmac, "K", "cam1", "0123456789abcdef", { status: 200, body: { time: 5 } }, { sent: 0, received: 10, wall: 0 }), { message: "cloud time: the answer is not signed for this request" });
	t.true(p.clockIsOff({ headers: { "x-ivxs-time": "1767225600" } }));
	t.false(p.clockIsOff({ headers: {} }));
});

test("topics: a device's own, and only the kinds it may use", (t) => {
	t.is(p.topicOf("cam1", "plan"), "ivxs/cam1/plan");
	t.is(p.everyDevice("gap"), "ivxs/+/gap");
	t.deepEqual(p.parseTopic("ivxs/cam1/event"), { device: "cam1", kind: "event" });
	for (const bad of ["ivxs/Cam1/event", "ivxs/cam1", "ivxs/cam1/event/x", "other/cam1/event"]) t.is(p.parseTopic(bad), undefined, bad);
	for (const kind of ["presence", "event", "status", "gap", "p2p"]) t.true(p.devicePublishAllowed("cam1", `ivxs/cam1/${kind}`), kind);
	t.false(p.devicePublishAllowed("cam1", "ivxs/cam2/event"));
	t.false(p.devicePublishAllowed("cam1", "ivxs/cam1/plan"));
	t.true(p.deviceSubscribeAllowed("cam1", "ivxs/cam1/plan"));
	t.true(p.deviceSubscribeAllowed("cam1", "ivxs/cam1/cmd"));
	t.false(p.deviceSubscribeAllowed("cam1", "ivxs/+/plan"));
	t.false(p.deviceSubscribeAllowed("cam1", "ivxs/cam1/event"));
	t.deepEqual(p.willOf("cam1"), { topic: "ivxs/cam1/presence", payload: '{"online":false}', qos: 1, retain: true });
	t.is(p.presence(true, 5), '{"online":true,"time":5}');
});

test("a received plan: version 1, defaults for what it leaves out, refused whole when a field is out of range", (t) => {
	const plan = p.parsePlan('{"v":1,"rev":3,"mode":"event","channels":[2,0],"future":true}');
	t.deepEqual({ ...plan }, { v: 1, rev: 3, mode: "event", push: false, preRollS: 5, postRollS: 10, maxClipS: 300, retentionDays: 7, segmentS: 2, snapshotIntervalS: 300, channels: [0, 2] });
	t.is(p.parsePlan('{"v":1}').push, true);
	t.is(p.parsePlan('{"v":1,"mode":"event","push":true}').push, true);
	const bad: [string, RegExp][] = [
		["nope", /not JSON/], ["[]", /not an object/], ['{"v":2}', /v must be 1/], ['{"mode":"none"}', /v must be 1/],
		['{"v":1,"mode":"sometimes"}', /mode must be/], ['{"v":1,"preRollS":61}', /preRollS must be an integer in 0\.\.60/],
		['{"v":1,"segmentS":1.5}', /segmentS/], ['{"v":1,"snapshotIntervalS":59}', /snapshotIntervalS/],
		['{"v":1,"maxClipS":4,"preRollS":5}', /maxClipS must be at least/], ['{"v":1,"push":"yes"}', /push must be/],
		['{"v":1,"channels":[0,0]}', /channels must be/], ['{"v":1,"channels":[64]}', /channels must be/], ['{"v":1,"rev":0}', /rev must be/],
	];
	for (const [json, message] of bad) t.throws(() => p.parsePlan(json), { instanceOf: p.PlanError, message }, json);
});

test("a plan change through the cloud's API: strict about fields, channels within the device's", (t) => {
	const base = p.defaultPlan(2);
	t.deepEqual(base.channels, [0, 1]);
	const changed = p.applyPlan(base, { mode: "event", preRollS: 3 }, { channels: 2, strict: true });
	t.is(changed.mode, "event");
	t.is(changed.push, false);
	t.is(changed.preRollS, 3);
	t.is(base.mode, "continuous");
	t.throws(() => p.applyPlan(base, { colour: "red" }, { channels: 2, strict: true }), { message: /unknown plan field "colour"/ });
	t.throws(() => p.applyPlan(base, { channels: [2] }, { channels: 2, strict: true }), { message: /channels must be distinct channel numbers in 0\.\.1/ });
	t.is(p.applyPlan(base, { colour: "red" }).mode, "continuous");
	t.true(p.planCovers({ ...changed, rev: 1 }, 1));
	t.false(p.planCovers({ ...changed, rev: 1, mode: "none" }, 1));
	t.false(p.planCovers({ ...changed, rev: 1, channels: [0] }, 1));
});

test("the verdict of an upload's answer is PROTOCOL §3.2's table", (t) => {
	const table: [number, boolean, p.Verdict][] = [
		[201, false, p.Verdict.Stored], [200, false, p.Verdict.Stored], [404, false, p.Verdict.ReInit],
		[401, true, p.Verdict.Retry], [401, false, p.Verdict.Refused], [0, false, p.Verdict.Retry], [408, false, p.Verdict.Retry],
		[429, false, p.Verdict.Retry], [500, false, p.Verdict.Retry], [503, false, p.Verdict.Retry], [507, false, p.Verdict.Retry],
		[400, false, p.Verdict.Refused], [403, false, p.Verdict.Refused], [409, false, p.Verdict.Refused], [413, false, p.Verdict.Refused],
	];
	for (const [status, cloudTime, verdict] of table) t.is(p.verdictOf(status, cloudTime), verdict, `${status}`);
});

test("a ticket: 76 bytes laid out as native/p2p/PROTOCOL.md says, MAC over the first 44, psk from the MAC", (t) => {
	const before = calls.length;
	const { ticket, psk } = p.mintTicket(hmac, "device-secret", { rights: p.Rights.live | p.Rights.command, expiryS: 2 ** 32 + 7, device: "CAM-0001", viewer: "viewer-7" });
	t.is(ticket.length, p.TICKET_BYTES);
	t.is(psk.length, p.PSK_BYTES);
	t.deepEqual(Array.from(ticket.subarray(0, 12)), [1, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7]);
	t.is(text(ticket.subarray(12, 28)), "CAM-0001\0\0\0\0\0\0\0\0");
	t.is(text(ticket.subarray(28, 44)), "viewer-7\0\0\0\0\0\0\0\0");
	const [kt, mac, pskCall] = calls.slice(before);
	t.deepEqual(kt, { key: "device-secret", data: "ivxs p2p ticket v1" });
	t.is(mac.data, text(ticket.subarray(0, 44)));
	t.is(ticket[44], before + 2, "the MAC is the second HMAC's output");
	t.is(psk[0], before + 3);
	t.is(pskCall.data, `ivxs p2p psk v1${text(ticket.subarray(44))}`);
	t.throws(() => p.ticketBody({ rights: 16, expiryS: 1, device: "d", viewer: "v" }), { instanceOf: RangeError });
	t.throws(() => p.ticketBody({ rights: 1, expiryS: 1, device: "x".repeat(17), viewer: "v" }), { instanceOf: RangeError });
	t.throws(() => p.ticketBody({ rights: 1, expiryS: -1, device: "d", viewer: "v" }), { instanceOf: RangeError });
});

test("p2p signalling: offers, answers and candidates are checked; host candidates come first", (t) => {
	const host = { type: "host", address: "192.168.1.20", port: 7000 };
	const srflx = { type: "srflx", address: "203.0.113.5", port: 61000 };
	const relay = { type: "relay", address: "198.51.100.1", port: 49152 };
	t.deepEqual(p.byPreference([relay as p.Candidate, srflx as p.Candidate, host as p.Candidate]), [host, srflx, relay]);
	const offer = { session: "0123456789abcdef", candidates: [host as p.Candidate], stun: [{ address: "192.0.2.1", port: 3478 }], turn: [{ address: "192.0.2.1", port: 3478, username: "1700000000:cam1", password: "c2VjcmV0PT0=" }] };
	t.deepEqual(p.p2pOfferOf(JSON.parse(p.p2pCommand(offer))), offer);
	t.is(p.p2pEndOf(JSON.parse(p.p2pEndCommand(offer.session))), offer.session);
	t.is(p.p2pOfferOf({ type: "live", channel: 0, forS: 1 }), undefined);
	t.is(p.p2pEndOf({ type: "p2p", session: offer.session, candidates: [] }), undefined);
	for (const bad of [{ ...host, address: "256.1.1.1" }, { ...host, address: "::1" }, { ...host, port: 0 }, { ...host, port: 70000 }, { ...host, type: "prflx" }, { ...host, port: "7000" }, null])
		t.is(p.p2pOfferOf({ type: "p2p", session: offer.session, candidates: [bad] }), undefined, JSON.stringify(bad));
	t.is(p.p2pOfferOf({ type: "p2p", session: "0123", candidates: [] }), undefined);
	t.deepEqual(p.p2pOfferOf({ type: "p2p", session: offer.session, candidates: [] }), { session: offer.session, candidates: [], stun: [], turn: [] });
	t.is(p.p2pOfferOf({ type: "p2p", session: offer.session, candidates: [], turn: [{ address: "192.0.2.1", port: 3478, username: "a b", password: "x" }] }), undefined);
	t.is(p.p2pOfferOf({ type: "p2p", session: offer.session, candidates: [], stun: [{ address: "x", port: 1 }] }), undefined);
	t.is(p.p2pOfferOf({ type: "p2p", session: offer.session, candidates: Array(9).fill(host) }), undefined);
	const answer = { session: offer.session, candidates: [host as p.Candidate, srflx as p.Candidate], media: { codec: "h265" as const, audio: true } };
	t.deepEqual(p.p2pAnswerOf(p.p2pAnswer(answer)), answer);
	t.deepEqual(p.p2pAnswerOf(p.p2pAnswer({ session: offer.session, candidates: [], error: "no capture" })), { session: offer.session, candidates: [], error: "no capture" });
	for (const bad of ["{", "[]", "null", JSON.stringify({ session: "x", candidates: [] }), JSON.stringify({ session: offer.session }), JSON.stringify({ session: offer.session, candidates: [], error: 3 }), JSON.stringify({ session: offer.session, candidates: [], media: { codec: "vp8", audio: false } })])
		t.is(p.p2pAnswerOf(bad), undefined, bad);
});

test("p2p candidates mid-session: one message both ways (cmd to the camera, the camera's p2p topic), checked", (t) => {
	const update = { session: "0123456789abcdef", candidates: [{ type: "srflx", address: "203.0.113.9", port: 61000 } as p.Candidate, { type: "relay", address: "198.51.100.1", port: 49160 } as p.Candidate] };
	t.deepEqual(p.p2pCandidatesOf(JSON.parse(p.p2pCandidates(update))), update);
	t.deepEqual(p.p2pCandidatesOf(p.p2pMessageOf(p.p2pCandidates(update))), update);
	t.is(p.p2pAnswerOf(p.p2pCandidates(update))?.session, update.session, "an answer's shape too: the cloud tells them apart by type first");
	t.is(p.p2pReportOf(p.p2pCandidates(update)), undefined);
	t.is(p.p2pOfferOf(JSON.parse(p.p2pCandidates(update))), undefined);
	for (const bad of [{ ...update, session: "x" }, { ...update, candidates: [] }, { ...update, candidates: [{ type: "host", address: "::1", port: 1 }] }, { ...update, candidates: Array(9).fill(update.candidates[0]) }])
		t.is(p.p2pCandidatesOf({ type: "p2p-candidates", ...bad }), undefined, JSON.stringify(bad));
	t.is(p.p2pCandidatesOf({ type: "p2p", ...update }), undefined);
	t.is(p.p2pCandidatesOf(undefined), undefined);
});

test("p2p session reports: the camera's figures of its open sessions, checked", (t) => {
	const figures = { session: "0123456789abcdef", action: "live", talk: false, srttMs: 12, rate: 18000, buffered: 0, memory: 14000 };
	t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [figures] })), { sessions: [figures] });
	t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [] })), { sessions: [] });
	t.is(p.p2pReportOf(p.p2pAnswer({ session: figures.session, candidates: [] })), undefined, "an answer is no report");
	for (const bad of [{ ...figures, rate: -1 }, { ...figures, srttMs: 1.5 }, { ...figures, action: "LIVE!" }, { ...figures, session: "x" }, { ...figures, talk: 1 }])
		t.is(p.p2pReportOf(JSON.stringify({ sessions: [bad] })), undefined, JSON.stringify(bad));
	t.is(p.p2pReportOf(JSON.stringify({ sessions: Array(33).fill(figures) })), undefined);
	// the path type: one of ICE's four names, or absent (a camera older than the path report)
	for (const path of p.PATH_TYPES) t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [{ ...figures, path }] })), { sessions: [{ ...figures, path }] });
	for (const path of ["direct", "", 3, null]) t.is(p.p2pReportOf(JSON.stringify({ sessions: [{ ...figures, path }] })), undefined, String(path));
	// the send buffer's watermarks and where the backlog is among them: optional, checked when present
	const marked = { ...figures, watermarks: [65536, 131072, 196608] as [number, number, number], level: "warn" as const };
	t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [marked] })), { sessions: [marked] });
	for (const bad of [{ ...marked, watermarks: [1, 2] }, { ...marked, watermarks: [1, 2, -3] }, { ...marked, watermarks: "1,2,3" }, { ...marked, level: "above" }])
		t.is(p.p2pReportOf(JSON.stringify({ sessions: [bad] })), undefined, JSON.stringify(bad));
	// the path's bandwidth as the congestion control measured it: optional, a count when present
	t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [{ ...figures, bandwidth: 18750 }] })), { sessions: [{ ...figures, bandwidth: 18750 }] });
	for (const bandwidth of [-1, 1.5, "18750", null])
		t.is(p.p2pReportOf(JSON.stringify({ sessions: [{ ...figures, bandwidth }] })), undefined, String(bandwidth));
	// the wire: native or webrtc, optional (older cameras: native)
	for (const wire of p.WIRES) t.deepEqual(p.p2pReportOf(p.p2pReport({ sessions: [{ ...figures, wire }] })), { sessions: [{ ...figures, wire }] });
	for (const wire of ["WebRTC", "", 1]) t.is(p.p2pReportOf(JSON.stringify({ sessions: [{ ...figures, wire }] })), undefined, String(wire));
});

test("ASCII text and bytes, for buffers far larger than a call's argument limit on XS (16 KiB and 64 KiB)", (t) => {
	for (const size of [0, 1, 511, 512, 513, 16384, 65536]) {
		const bytes = new Uint8Array(size);
		for (let i = 0; i < size; i++) bytes[i] = 32 + (i % 95);
		const text = p.asciiText(bytes);
		t.is(text.length, size);
		t.is(text.charCodeAt(size - 1), size ? 32 + ((size - 1) % 95) : NaN);
		t.deepEqual(p.asciiBytes(text), bytes);
		t.is(p.asciiText(bytes.buffer), text, "an ArrayBuffer too");
		if (size > 2) t.is(p.asciiText(bytes, 1, size - 1), text.slice(1, size - 1), "a range of it");
	}
});
