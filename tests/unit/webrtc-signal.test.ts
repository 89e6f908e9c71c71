// modules/protocol/webrtc-signal.ts on Node and XS: a WebRTC viewer's offer in a `cmd` and the
// camera's answer on its `p2p` topic, both checked — the cloud and the camera read the other's word.
import test from "ava";
import { MAX_FRAGMENT_BYTES, MAX_SDP_BYTES, webrtcAnswer, webrtcAnswerOf, webrtcOfferCommand, webrtcOfferOf, webrtcRestartCommand, webrtcRestartOf } from "../../modules/protocol/webrtc-signal.js";
import { p2pAnswer, p2pAnswerOf, p2pOfferOf, p2pReport } from "../../modules/protocol/signal.js";
import { Rights } from "../../modules/protocol/ticket.js";

const session = "0123456789abcdef";
const sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

test("a viewer's WebRTC offer: a `cmd` of type webrtc, its session, SDP and rights checked", (t) => {
	const offer = { session, sdp, rights: Rights.live | Rights.talk, stun: [{ address: "198.51.100.1", port: 3478 }], turn: [{ address: "198.51.100.1", port: 3478, username: "1763900000:cam-1", password: "c2VjcmV0" }] };
	t.deepEqual(webrtcOfferOf(JSON.parse(webrtcOfferCommand(offer))), offer);
	t.deepEqual(webrtcOfferOf({ type: "webrtc", session, sdp, rights: 1 }), { session, sdp, rights: 1, stun: [], turn: [] }, "no STUN or TURN servers: host candidates only");
	t.deepEqual(webrtcOfferOf(JSON.parse(webrtcOfferCommand({ ...offer, account: "0123456789abcdef" }))), { ...offer, account: "0123456789abcdef" }, "the viewer's account, opaque");
	t.is(p2pOfferOf(JSON.parse(webrtcOfferCommand(offer))), undefined, "not a native offer");
	for (const bad of [{ session: "X123456789abcdef" }, { sdp: "" }, { sdp: 3 }, { sdp: "v".repeat(MAX_SDP_BYTES + 1) }, { rights: -1 }, { rights: 1.5 }, { rights: 256 }, { rights: "1" }, { stun: [{ address: "x", port: 1 }] }, { turn: [{ address: "198.51.100.1", port: 3478 }] }, { stun: Array(3).fill(offer.stun[0]) }, { account: "alice" }, { account: 7 }, { account: "0123456789abcdef0" }])
		t.is(webrtcOfferOf({ type: "webrtc", ...offer, ...bad }), undefined, JSON.stringify(bad).slice(0, 80));
	t.is(webrtcOfferOf({ ...offer, type: "p2p" }), undefined);
});

test("the camera's WebRTC answer: exactly one of an SDP answer or a reason, on the p2p topic", (t) => {
	t.deepEqual(webrtcAnswerOf(webrtcAnswer({ session, sdp })), { session, sdp });
	t.deepEqual(webrtcAnswerOf(webrtcAnswer({ session, error: "WebRTC off: no channel is capturing" })), { session, error: "WebRTC off: no channel is capturing" });
	t.is(p2pAnswerOf(webrtcAnswer({ session, sdp })), undefined, "not a native answer");
	t.is(webrtcAnswerOf(p2pAnswer({ session, candidates: [] })), undefined, "a native answer is not a WebRTC one");
	t.is(webrtcAnswerOf(p2pReport({ sessions: [] })), undefined);
	const fragment = "a=ice-ufrag:camU\r\na=ice-pwd:camPasswordCamPassword12\r\n";
	t.deepEqual(webrtcAnswerOf(webrtcAnswer({ session, fragment })), { session, fragment }, "to an ICE restart");
	for (const bad of [{ session, sdp, error: "both" }, { session, sdp, fragment }, { session, fragment, error: "both" }, { session, fragment: "v=0\r\n" }, { session, fragment: `a=${"x".repeat(MAX_FRAGMENT_BYTES)}` }, { session }, { session, sdp: "hello" }, { session, error: "" }, { session, error: "e".repeat(201) }, { session: "x", sdp }, { session, sdp: `${sdp}${"a=x\r\n".repeat(7000)}` }])
		t.is(webrtcAnswerOf(JSON.stringify({ type: "webrtc-answer", ...bad })), undefined, JSON.stringify(bad).slice(0, 80));
	t.is(webrtcAnswerOf("{"), undefined);
	t.is(webrtcAnswerOf("x".repeat(MAX_SDP_BYTES + 2048)), undefined);
});

test("a viewer's ICE restart: a `cmd` of type webrtc-restart, its session and fragment checked", (t) => {
	const restart = { session, fragment: "a=ice-ufrag:New1\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", stun: [{ address: "198.51.100.1", port: 3478 }], turn: [] };
	t.deepEqual(webrtcRestartOf(JSON.parse(webrtcRestartCommand(restart))), restart);
	t.is(webrtcOfferOf(JSON.parse(webrtcRestartCommand(restart))), undefined, "not an offer");
	for (const bad of [{ session: "x" }, { fragment: "" }, { fragment: 7 }, { fragment: "a".repeat(MAX_FRAGMENT_BYTES + 1) }, { stun: [{ address: "x", port: 1 }] }])
		t.is(webrtcRestartOf({ type: "webrtc-restart", ...restart, ...bad }), undefined, JSON.stringify(bad).slice(0, 80));
	t.is(webrtcRestartOf({ ...restart, type: "webrtc" }), undefined);
});
