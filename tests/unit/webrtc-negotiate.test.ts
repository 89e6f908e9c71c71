// modules/webrtc/negotiate.ts on Node and XS: what the camera takes of a viewer's offer — its
// stream's codec, TWCC, the ring's G.711 track to a viewer that receives audio, the viewer's voice
// only with the talk right and a talkback that takes it, the DataChannel only when the camera takes
// commands — the answer's directions, and the refusals. The endpoint's XS tests and aiortc/Chromium
// (tests/webrtc.test.mjs, tests/camera-webrtc.test.mjs) take the answers written from it.
import test from "ava";
import { WebRtcRefusal, answered, described, negotiate, type CameraMedia } from "../../modules/webrtc/negotiate.js";
import { TWCC_URI, parseOffer } from "../../modules/webrtc/sdp.js";
import { Rights } from "../../modules/protocol/ticket.js";

const FP = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, "0").toUpperCase()).join(":");
const transport = ["a=ice-ufrag:Qx9z", "a=ice-pwd:abcdefghijklmnopqrstuvwx", `a=fingerprint:sha-256 ${FP}`, "a=setup:actpass", "a=rtcp-mux"];
const h264 = (pt: number, profile: string) => [`a=rtpmap:${pt} H264/90000`, `a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} transport-cc`,
	`a=fmtp:${pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`];

/** A browser-shaped offer: video (H.264 Baseline 102, Main 106) in `video`'s direction, numbered by
 * TWCC under id 3; audio (Opus, PCMU, PCMA) in `audio`'s, its TWCC under `audioTwcc` (none: not
 * listed); a DataChannel on 5000. */
const offerOf = ({ video = "recvonly", audio = "sendrecv", audioTwcc }: { video?: string; audio?: string; audioTwcc?: number } = {}) => parseOffer([
	"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1 2",
	"m=video 9 UDP/TLS/RTP/SAVPF 102 106", "c=IN IP4 0.0.0.0", ...transport, "a=mid:0", `a=extmap:3 ${TWCC_URI}`, `a=${video}`,
	...h264(102, "42e01f"), ...h264(106, "4d001f"),
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8", "c=IN IP4 0.0.0.0", ...transport, "a=mid:1", ...(audioTwcc ? [`a=extmap:${audioTwcc} ${TWCC_URI}`] : []), `a=${audio}`,
	"a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", ...transport, "a=mid:2", "a=sctp-port:5000",
].join("\r\n") + "\r\n");

const camera: CameraMedia = { codec: "h264", h264Profile: 77, audio: "pcma", takesVoice: true, takesCommands: true };
const directions = (accept: ReturnType<typeof answered>) => Object.fromEntries(Object.entries(accept).map(([mid, a]) => [mid, `${a.direction} ${a.codec?.name}/${a.codec?.pt}${a.transportCc ? ` twcc ${a.transportCc}` : ""}`]));

test("a viewer with the talk right: the stream's H.264 profile, TWCC, the ring's law both ways (its voice in the same codec), the DataChannel kept", (t) => {
	const terms = negotiate(offerOf({ audioTwcc: 3 }), camera, Rights.live | Rights.talk);
	t.deepEqual(directions(answered(terms, 11, 22)), { 0: "sendonly H264/106 twcc 3", 1: "sendrecv PCMA/8 twcc 3" });
	t.like(terms, { audio: { hears: true, talks: true, counted: true }, channel: { port: 5000 } });
	t.is(described(terms), "H264/106, hears PCMA/8 and talks in PCMA/8, commands on a DataChannel, congestion control by its TWCC feedback (audio too)");
});

test("audio: heard without the talk right or a talkback; the voice alone in PCMU or PCMA when the camera sends none; counted with the video only under the video's TWCC id", (t) => {
	t.deepEqual(directions(answered(negotiate(offerOf(), camera, Rights.live), 1, 2)), { 0: "sendonly H264/106 twcc 3", 1: "sendonly PCMA/8" });
	t.like(negotiate(offerOf(), { ...camera, takesVoice: false }, Rights.live | Rights.talk), { audio: { hears: true, talks: false, counted: false } });
	t.like(negotiate(offerOf({ audioTwcc: 4 }), camera, Rights.live), { audio: { counted: false } }, "another id: another sequence space");
	const voiceOnly = negotiate(offerOf(), { ...camera, audio: undefined }, Rights.live | Rights.talk);
	t.deepEqual(directions(answered(voiceOnly, 1, 2)), { 0: "sendonly H264/106 twcc 3", 1: "recvonly PCMU/0" });
	t.is(described(voiceOnly), "H264/106 and talks in PCMU/0, commands on a DataChannel, congestion control by its TWCC feedback");
	t.is(negotiate(offerOf({ audio: "recvonly" }), { ...camera, audio: undefined }, Rights.live | Rights.talk).audio, undefined, "nothing to send it, nothing it sends");
	t.like(negotiate(offerOf({ audio: "sendonly" }), camera, Rights.live | Rights.talk), { audio: { hears: false, talks: true } }, "a viewer that only talks");
	t.is(negotiate(offerOf(), { ...camera, takesCommands: false }, Rights.live).channel, undefined);
});

test("refused: an offer that receives no video, or not in the stream's codec", (t) => {
	t.throws(() => negotiate(offerOf({ video: "sendonly" }), camera, Rights.live), { instanceOf: WebRtcRefusal, message: "the offer receives no video" });
	t.throws(() => negotiate(offerOf(), { ...camera, codec: "h265" }, Rights.live), { instanceOf: WebRtcRefusal, message: "the viewer takes no H265 (this camera's stream)" });
});
