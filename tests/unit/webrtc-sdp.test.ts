// modules/webrtc/sdp.ts on Node and XS: a browser-shaped offer read (BUNDLE, shared ICE credentials,
// H.264 of four profiles, Opus/PCMU/PCMA, a DataChannel, mDNS and TCP candidates left out), every
// bound a hostile offer meets, H.264 chosen by profile, and the answer written. aiortc reads our
// answers in tests/webrtc.test.mjs.
import test from "ava";
import { MAX_SDP_BYTES, SDP_LIMITS, SdpError, TWCC_URI, chooseCodec, chooseH264, parseIceFragment, parseOffer, transportCcOf, twccExtensionOf, writeAnswer, writeIceFragment } from "../../modules/webrtc/sdp.js";

const FP = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, "0").toUpperCase()).join(":");
const transport = ["a=ice-ufrag:Qx9z", "a=ice-pwd:abcdefghijklmnopqrstuvwx", `a=fingerprint:sha-256 ${FP}`, "a=setup:actpass"];
const h264 = (pt: number, profile: string) => [`a=rtpmap:${pt} H264/90000`, `a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`, `a=rtcp-fb:${pt} transport-cc`,
	`a=fmtp:${pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`];
const browserOffer = (extra: string[] = []) => [
	"v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1 2", "a=extmap-allow-mixed", "a=msid-semantic: WMS",
	"m=video 9 UDP/TLS/RTP/SAVPF 96 102 104 106 108", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", ...transport, "a=mid:0",
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "a=recvonly", "a=rtcp-mux", "a=rtcp-rsize",
	"a=rtpmap:96 VP8/90000", ...h264(102, "42001f"), ...h264(104, "42e01f"), ...h264(106, "4d001f"), ...h264(108, "64001f"),
	"a=candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0", "a=candidate:2 1 udp 2122260223 7a3c.local 54401 typ host",
	"a=candidate:3 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active",
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8", "c=IN IP4 0.0.0.0", ...transport, "a=mid:1", "a=sendrecv", "a=rtcp-mux",
	"a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", ...transport, "a=mid:2", "a=sctp-port:5000", "a=max-message-size:262144",
	...extra,
].join("\r\n") + "\r\n";

test("a browser's offer: BUNDLE, its transport, codecs with their parameters, usable candidates only", (t) => {
	const offer = parseOffer(browserOffer());
	t.deepEqual(offer.bundle, ["0", "1", "2"]);
	t.is(offer.ice.ufrag, "Qx9z");
	t.is(offer.setup, "actpass");
	t.is(offer.fingerprint.bytes.length, 32);
	t.is(offer.fingerprint.bytes[3], 21);
	const [video, audio, app] = offer.media;
	t.is(video.direction, "recvonly");
	t.true(video.rtcpMux);
	t.is(video.codecs.length, 5);
	t.deepEqual(video.codecs[1], { pt: 102, name: "H264", clock: 90000, channels: 1, fmtp: { "level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": "42001f" }, rtcpFb: ["nack", "nack pli", "transport-cc"] });
	t.deepEqual(video.candidates.map((c) => `${c.type} ${c.address}:${c.port}`), ["host 192.168.1.20:54400"], "mDNS names and TCP left out");
	t.is(chooseCodec(audio, ["PCMU", "PCMA"])?.pt, 0);
	t.is(chooseCodec(audio, ["OPUS"])?.channels, 2);
	t.is(app.sctpPort, 5000);
});

test("H.264 is chosen by the stream's profile: the same one first, else one the browser takes at a higher profile", (t) => {
	const video = parseOffer(browserOffer()).media[0];
	t.deepEqual([66, 77, 100].map((p) => chooseH264(video, p)?.codec.pt), [102, 106, 108]);
	t.true(chooseH264(video, 77)!.exact);
	const baselineOnly = { ...video, codecs: video.codecs.filter((c) => c.pt === 102) };
	t.deepEqual(chooseH264(baselineOnly, 77), { codec: baselineOnly.codecs[0], exact: false });
	t.is(chooseH264({ ...video, codecs: video.codecs.filter((c) => c.name !== "H264") }, 66), undefined);
});

test("the answer: one BUNDLE transport, passive DTLS, what the camera sends and takes, rejected sections at port 0", (t) => {
	const offer = parseOffer(browserOffer());
	const [video, audio] = offer.media;
	const answer = writeAnswer(offer, {
		sessionId: "42", ice: { ufrag: "camU", pwd: "camPasswordCamPassword12" }, fingerprint: new Uint8Array(32).fill(0x5a),
		candidates: [{ address: "192.0.2.10", port: 40000, type: "host" }, { address: "203.0.113.7", port: 40000, type: "srflx" }],
		accept: { [video.mid]: { codec: chooseH264(video, 77)!.codec, ssrc: 7, direction: "sendonly" } },
	});
	const lines = answer.split("\r\n");
	t.true(lines.includes("a=group:BUNDLE 0"));
	t.true(lines.includes("m=video 9 UDP/TLS/RTP/SAVPF 106"));
	t.true(lines.includes("a=setup:passive") && lines.includes("a=sendonly") && lines.includes("a=rtcp-mux"));
	t.true(lines.includes(`a=fingerprint:sha-256 ${Array(32).fill("5A").join(":")}`));
	t.true(lines.includes("a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"));
	t.false(lines.includes("a=rtcp-fb:106 transport-cc"), "transport-wide feedback only when asked for (the offer's extension id)");
	t.true(lines.includes("a=rtcp-fb:106 nack") && lines.includes("a=rtcp-fb:106 rrtr"), "receiver reference times asked for beside the NACKs they time");
	t.true(lines.includes("m=audio 0 UDP/TLS/RTP/SAVPF 111") && lines.includes("m=application 0 UDP/DTLS/SCTP webrtc-datachannel"));
	t.is(lines.filter((l) => l.startsWith("a=candidate:")).length, 2);
	t.true(answer.endsWith("\r\n"));
	// the answer reads back as an SDP
	t.is(parseOffer(answer).media.length, 3);
});

test("the answer keeps the offered DataChannel when asked, with the largest message the camera takes", (t) => {
	const offer = parseOffer(browserOffer());
	const answer = writeAnswer(offer, {
		sessionId: "42", ice: { ufrag: "camU", pwd: "camPasswordCamPassword12" }, fingerprint: new Uint8Array(32).fill(0x5a),
		candidates: [{ address: "192.0.2.10", port: 40000, type: "host" }],
		accept: { [offer.media[0].mid]: { codec: chooseH264(offer.media[0], 77)!.codec, ssrc: 7, direction: "sendonly" } },
		dataChannel: { maxMessageSize: 2048 },
	});
	const lines = answer.split("\r\n");
	t.true(lines.includes("a=group:BUNDLE 0 2"));
	t.true(lines.includes("m=application 9 UDP/DTLS/SCTP webrtc-datachannel"));
	t.true(lines.includes("a=sctp-port:5000") && lines.includes("a=max-message-size:2048"));
	t.is(parseOffer(answer).media[2].sctpPort, 5000);
});

test("hostile offers are refused with an SdpError, before anything is kept", (t) => {
	const refused = (text: string, why: RegExp) => t.throws(() => parseOffer(text), { instanceOf: SdpError, message: why });
	refused("x".repeat(MAX_SDP_BYTES + 1), /at most/);
	refused("v=1\r\n", /v=0/);
	refused(browserOffer(["a=" + "x".repeat(SDP_LIMITS.lineBytes)]), /line over/);
	refused(browserOffer(Array.from({ length: SDP_LIMITS.media }, (_, i) => `m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:x${i}`)), /media sections/);
	refused(browserOffer().replace(/a=fingerprint:sha-256 [^\r]+/g, "a=fingerprint:sha-256 00:11"), /32 hex bytes/);
	refused(browserOffer().replace(/a=ice-pwd:[^\r]+/g, "a=ice-pwd:short"), /ice-pwd/);
	refused(browserOffer().replace(/a=setup:actpass/g, "a=setup:maybe"), /setup/);
	refused(browserOffer().replace("m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"), /not WebRTC/);
	refused(browserOffer().replace("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 UDP/TLS/RTP/SAVPF 300"), /payload type/);
	refused(browserOffer().replace("a=mid:0", "a=mid:<script>"), /a=mid/);
	refused(browserOffer(["a=candidate:1 1 udp x 1.2.3.4 5 typ host"]), /candidate/);
	refused(["v=0", "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:0", ...transport.slice(2)].join("\r\n"), /ice-ufrag/);
});

test("an offer whose sections share a=mid, or with a bare CR or NUL in a line, is malformed: refused, so no answer echoes it", (t) => {
	const refused = (text: string, why: RegExp) => t.throws(() => parseOffer(text), { instanceOf: SdpError, message: why });
	// the audio section under the video's mid: its PCMU would be answered in the m=video section, the mid bundled twice
	refused(browserOffer().replace("a=mid:1", "a=mid:0"), /share a=mid:0/);
	refused(browserOffer().replace("a=mid:2", "a=mid:1"), /share a=mid:1/);
	// a CR inside fmtp's value (the offer's lines end CRLF): echoed, it would be a line of the answer
	refused(browserOffer().replace("packetization-mode=1;profile-level-id=4d001f", "packetization-mode=1\ra=sendrecv;profile-level-id=4d001f"), /bare CR/);
	refused(browserOffer().replace("a=fmtp:111 minptime=10", "a=fmtp:111 minptime=10\r"), /bare CR/);
	refused(browserOffer().replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU/8000\0"), /bare CR or NUL/);
	t.throws(() => parseIceFragment("a=ice-ufrag:New1\ra=x\r\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\r\n", 4096), { instanceOf: SdpError, message: /bare CR/ });
	// the same offer as it should be: read, and its answer has neither
	const offer = parseOffer(browserOffer());
	t.deepEqual(offer.media.map((m) => m.mid), ["0", "1", "2"]);
	t.is(parseOffer(browserOffer().replace(/\r\n/g, "\n")).media.length, 3, "lines ending LF alone are read as ever");
});

test("transport-wide congestion control: agreed when the offer numbers packets with TWCC's extension (one-byte ids) and its codec takes the feedback", (t) => {
	const offer = parseOffer(browserOffer().replace("a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", `a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\na=extmap:3 ${TWCC_URI}`));
	const [video] = offer.media;
	const codec = chooseH264(video, 77)!.codec;
	t.is(transportCcOf(video, codec), 3);
	t.is(transportCcOf(parseOffer(browserOffer()).media[0], codec), undefined, "no extension offered");
	t.is(transportCcOf(video, { ...codec, rtcpFb: ["nack"] }), undefined, "the codec takes no transport-cc feedback");
	t.is(transportCcOf({ ...video, extmap: [{ id: 15, uri: TWCC_URI }] }, codec), undefined, "an id past the one-byte form");
	t.is(twccExtensionOf({ ...video, extmap: [{ id: 15, uri: TWCC_URI }] }), undefined, "an id past the one-byte form");
	t.is(twccExtensionOf(video), 3, "the extension alone: whatever the codecs' feedback");
	const answer = writeAnswer(offer, {
		sessionId: "42", ice: { ufrag: "camU", pwd: "camPasswordCamPassword12" }, fingerprint: new Uint8Array(32).fill(0x5a),
		candidates: [{ address: "192.0.2.10", port: 40000, type: "host" }],
		accept: { [video.mid]: { codec, ssrc: 7, direction: "sendonly", transportCc: 3 } },
	}).split("\r\n");
	t.true(answer.includes("a=rtcp-fb:106 transport-cc") && answer.includes(`a=extmap:3 ${TWCC_URI}`));
});

test("an ICE restart's fragment (RFC 8840): credentials and usable candidates read, bounded; the camera's written back", (t) => {
	const fragment = parseIceFragment(["m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:0", "a=ice-ufrag:New1", "a=ice-pwd:abcdefghijklmnopqrstuvwxyz",
		"a=candidate:1 1 udp 2122260223 10.1.2.3 5000 typ host", "a=candidate:2 1 udp 2122260223 7a3c.local 5001 typ host", "a=end-of-candidates", ""].join("\r\n"), 4096);
	t.deepEqual(fragment.ice, { ufrag: "New1", pwd: "abcdefghijklmnopqrstuvwxyz" });
	t.deepEqual(fragment.candidates.map((c) => `${c.address}:${c.port}`), ["10.1.2.3:5000"]);
	t.deepEqual(parseIceFragment("a=candidate:1 1 udp 1 10.1.2.3 5000 typ host\r\n", 4096), { candidates: [parseIceFragment("a=candidate:1 1 udp 1 10.1.2.3 5000 typ host", 4096).candidates[0]] }, "candidates only: trickle, no credentials");
	const refused = (text: string, why: RegExp) => t.throws(() => parseIceFragment(text, 4096), { instanceOf: SdpError, message: why });
	refused("a=ice-ufrag:New1\r\n", /both/);
	refused("a=ice-ufrag:New1\r\na=ice-pwd:short\r\n", /ice-pwd/);
	refused("x".repeat(4097), /at most/);
	// past SDP_LIMITS.candidates usable ones, the rest are passed over, unread
	t.is(parseIceFragment(Array.from({ length: SDP_LIMITS.candidates + 5 }, (_, i) => `a=candidate:${i} 1 udp 1 10.0.0.1 ${1000 + i} typ host`).join("\r\n"), 4096).candidates.length, SDP_LIMITS.candidates);
	refused("garbage", /not an SDP line/);
	const written = writeIceFragment({ ufrag: "camU", pwd: "camPasswordCamPassword12" }, [{ address: "192.0.2.10", port: 40000, type: "host" }]);
	t.deepEqual(parseIceFragment(written, 4096), { ice: { ufrag: "camU", pwd: "camPasswordCamPassword12" }, candidates: [{ foundation: "1", component: 1, protocol: "udp", priority: parseIceFragment(written, 4096).candidates[0].priority, address: "192.0.2.10", port: 40000, type: "host" }] });
});

test("an offer from a machine with many interfaces: TCP and IPv6 candidates do not count, past SDP_LIMITS.candidates usable ones the rest are passed over unread", (t) => {
	const lines: string[] = [];
	for (let i = 0; i < 20; i++) {
		lines.push(`a=candidate:${4 * i} 1 tcp 1 10.0.${i}.1 9 typ host tcptype active`);
		lines.push(`a=candidate:${4 * i + 1} 1 udp 1 fd00::${i} ${2000 + i} typ host`);
		lines.push(`a=candidate:${4 * i + 2} 1 udp 1 10.0.${i}.1 ${3000 + i} typ host`);
		lines.push(`a=candidate:${4 * i + 3} 1 udp 1 10.1.${i}.1 ${4000 + i} typ host`);
	}
	lines.push("a=candidate:999 1 udp 1 garbage");   // past the limit: not read, not refused
	const offer = parseOffer(browserOffer(lines));
	const kept = offer.media.flatMap((m) => m.candidates);
	t.is(kept.length, SDP_LIMITS.candidates);
	t.true(kept.every((c) => c.protocol === "udp" && /^(10|192)\./.test(c.address)), "UDP, IPv4: the offer's own first, then these");
	t.is(kept[1].address, "10.0.0.1");
});
