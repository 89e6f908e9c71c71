// What one WebRTC viewer or one frame provokes stays with it: an exception from a
// viewer's datagram, from the ring's callback while its frames go out, or from the endpoint's timer
// ends that viewer alone, with its reason; the others go on. Frames a firmware may push that the
// packetizer cannot take whole — a long G.711 frame, an access unit with a stray start code — are
// split or skipped, never thrown; a command flood costs a gate's check a command.
import test from "ava";
import Timer from "timer";
import { AUDIO_PACKET_BYTES, DtlsRole, DtlsSession, DtlsState, Ppid, SRTCP_TRAILER_BYTES, Srtp } from "webrtc";
import { hmacSha1 } from "ivxs/crypto";
import { Codec, FrameType } from "ring";
import { ICE_START_MS, WebRtcEndpoint } from "../../modules/webrtc/endpoint.js";
import { RECEIVE_BYTES } from "../../modules/p2p/udp.js";
import { CommandChannels } from "../../modules/webrtc/datachannel.js";
import { runViewerCommand } from "../../modules/app/viewer-commands.js";
import { Pace } from "../../modules/app/pace.js";
import { COMMAND_RATE, encodeJsonAscii } from "../../modules/protocol/viewer-commands.js";
import { Rights } from "../../modules/protocol/ticket.js";
import { drained, fromViewer, gopFixture, handshakeThrough, inbox, isRtp, nominate, viewerOffer, viewerRtcp } from "./_webrtc.js";

const pause = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

/** An endpoint whose sends go to one inbox per viewer address; `broken` addresses throw on send. */
function endpointOf(fixture: ReturnType<typeof gopFixture>, clock: { now: number }, logs: string[], audio?: "pcmu") {
	const inboxes = new Map<string, ArrayBuffer[]>(), broken = new Set<string>();
	const sinks = new Map<string, (bytes: Uint8Array) => void>();
	const endpoint = new WebRtcEndpoint({
		identity: fixture.cameraId, ring: fixture.ring, codec: "h264", audio, hmacSha1, now: () => clock.now, log: (m) => { logs.push(m); },
		places: () => 4,
		send: (bytes, address) => {
			if (broken.has(address)) throw new Error(`injected fault for ${address}`);
			if (!sinks.has(address)) {
				inboxes.set(address, []);
				sinks.set(address, inbox(inboxes.get(address)!));
			}
			sinks.get(address)!(bytes);
		},
	});
	/** A viewer at `address` through ICE and DTLS: its SRTP contexts. */
	const connect = async (id: string, address: string, offerAudio?: "recvonly") => {
		const from = { address, port: 4000 };
		const answer = await endpoint.offer(id, viewerOffer(fixture.viewerId.fingerprint, offerAudio), async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }]);
		nominate(endpoint, answer, from);
		const viewer = new DtlsSession(fixture.viewerId, DtlsRole.client, fixture.cameraId.fingerprint, clock.now);
		const list = inboxes.get(address)!;
		drained(list);
		const { state } = handshakeThrough(endpoint, viewer, list, () => ++clock.now, from);
		const keys = viewer.srtpKeys();
		return { id, from, state, list, viewer, answer, srtcp: new Srtp(keys.localKey, keys.localSalt), hear: new Srtp(keys.remoteKey, keys.remoteSalt) };
	};
	return { endpoint, inboxes, broken, connect };
}

test("WebRtcEndpoint contains each viewer's faults: an exception from its datagram, from the ring's callback sending its frames, or from the feeds' timer sending its sender report ends that viewer alone, with its reason; the healthy viewer is sent every frame; a datagram past RECEIVE_BYTES is dropped unread and a long SRTCP compound (RR + APP, 1,614 bytes) is read", async (t) => {
	const fixture = gopFixture(), { ring, unit } = fixture;
	const clock = { now: 5000 }, logs: string[] = [];
	const { endpoint, broken, connect } = endpointOf(fixture, clock, logs);
	const healthy = await connect("aaaaaaaaaaaaaaaa", "10.0.0.6");
	const byDatagram = await connect("bbbbbbbbbbbbbbbb", "10.0.0.7");
	const byFrame = await connect("cccccccccccccccc", "10.0.0.8");
	const byTimer = await connect("dddddddddddddddd", "10.0.0.9");
	for (const v of [healthy, byDatagram, byFrame, byTimer]) t.is(v.state, DtlsState.connected, v.id);
	t.is(endpoint.size, 4);
	let timestamp = 1000;
	/** A frame into the ring, and the time the readers' wake-up takes to come. */
	const push = async (i: number) => {
		ring.push(FrameType.video, Codec.h264, i === 0, timestamp += 66, unit(i));
		await pause(20);
	};
	await push(0);
	await push(1);
	t.true(drained(healthy.list).filter(isRtp).length > 0, "the healthy viewer is sent the GOP");

	// its datagram: the check's answer cannot be sent
	broken.add(byDatagram.from.address);
	t.true(nominate(endpoint, byDatagram.answer, byDatagram.from), "the datagram is the wire's, handled");
	t.false(endpoint.figures().some((f) => f.session === byDatagram.id), "ended at once");
	t.true(logs.some((m) => m.includes(`viewer ${byDatagram.id} failed (injected fault`)), logs.join("\n"));

	// the ring's callback: its next frame cannot be sent
	broken.add(byFrame.from.address);
	drained(byTimer.list);
	await push(2);
	t.true(drained(byTimer.list).filter(isRtp).length > 0, "the viewer after the failing one has its turn at the same push");
	t.false(endpoint.figures().some((f) => f.session === byFrame.id));
	t.true(logs.some((m) => m.includes(`viewer ${byFrame.id} failed (injected fault`)), logs.join("\n"));
	t.true(drained(healthy.list).filter(isRtp).length > 0, "the healthy viewer still gets the frame the other could not be sent");

	// the feeds' timer: a sender report is due a second after the last (the delay the feeds' tick asked for)
	broken.add(byTimer.from.address);
	clock.now += 2000;
	await pause(1100);
	t.false(endpoint.figures().some((f) => f.session === byTimer.id));
	t.true(logs.some((m) => m.includes(`viewer ${byTimer.id} failed (injected fault`)), logs.join("\n"));
	t.is(endpoint.failures, 3, "one fault each, each contained");

	// the healthy viewer: a datagram past the socket's bound, then a long compound it may send
	const oversized = new Uint8Array(RECEIVE_BYTES + 1);
	oversized.set([0x81, 201, 0, 1]);
	t.true(endpoint.take(fromViewer(oversized.buffer, healthy.from)));
	const ssrc = Number(/a=ssrc:(\d+)/.exec(healthy.answer)![1]);
	const rr = [0x81, 201, 0, 7, 0, 0, 0, 7, ssrc >>> 24, (ssrc >> 16) & 0xff, (ssrc >> 8) & 0xff, ssrc & 0xff, ...new Array(20).fill(0)];
	const app = new Uint8Array(1614 - rr.length - SRTCP_TRAILER_BYTES);   // the APP's bytes: the compound with its RR and trailer is 1,614
	const words = app.length / 4 - 1;
	app.set([0x80, 204, words >> 8, words & 0xff, 0, 0, 0, 7, 0x54, 0x45, 0x53, 0x54]);
	const compound = Uint8Array.from([...rr, ...app]);
	const datagram = viewerRtcp(healthy.srtcp, compound);
	t.is(datagram.byteLength, 1614);
	t.true(endpoint.take(datagram));
	await push(3);
	t.true(drained(healthy.list).filter(isRtp).length > 0);
	const [figures] = endpoint.figures();
	t.is(figures.session, healthy.id);
	t.true(figures.connected, "the healthy viewer watches on");
	t.is(figures.frames, 4, "every frame it was sent, none lost to the others' faults");
	for (const v of [healthy, byDatagram, byFrame, byTimer]) {
		v.viewer.close();
		v.srtcp.close();
		v.hear.close();
	}
	endpoint.close();
	ring.close();
});

test("WebRtcEndpoint takes what a firmware pushes: a 160-ms G.711 frame (1,280 B) goes in 20-ms packets stamped where each starts; an access unit with a stray start code at its end is skipped with the rest of its GOP (counted, logged), and the next key frame goes", async (t) => {
	const fixture = gopFixture(), { ring, unit } = fixture;
	const clock = { now: 5000 }, logs: string[] = [];
	const { endpoint, connect } = endpointOf(fixture, clock, logs, "pcmu");
	const v = await connect("aaaaaaaaaaaaaaaa", "10.0.0.9", "recvonly");
	t.is(v.state, DtlsState.connected);
	const audioSsrc = Number(/m=audio[^]*a=ssrc:(\d+) cname/.exec(v.answer)![1]);
	ring.push(FrameType.video, Codec.h264, true, 1000, unit(0));
	const long = new Uint8Array(1280).map((_, i) => (i * 13) & 0xff);
	ring.push(FrameType.audio, Codec.pcmu, true, 1010, long);
	await pause(20);
	const audio = drained(v.list).filter((d) => isRtp(d) && new DataView(d).getUint32(8) === audioSsrc);
	t.is(audio.length, 1280 / AUDIO_PACKET_BYTES, "20-ms packets");
	const payloads: number[] = [], stamps: number[] = [];
	for (const packet of audio) {
		const plain = packet.slice(0);
		const length = v.hear.unprotect(plain, plain.byteLength);
		t.true(length - 12 <= AUDIO_PACKET_BYTES);
		stamps.push(new DataView(plain).getUint32(4) - 1010 * 8);
		payloads.push(...new Uint8Array(plain, 12, length - 12));
	}
	t.deepEqual(Uint8Array.from(payloads), long, "the frame's samples in order, none lost");
	t.deepEqual(stamps, [0, 160, 320, 480, 640, 800, 960, 1120], "8 kHz: each piece stamped at its first sample");

	// a P frame ending with a stray start code: skipped, as are the frames after it to the next key frame
	const stray = Uint8Array.from([...unit(1), 0, 0, 1]);
	ring.push(FrameType.video, Codec.h264, false, 1066, stray);
	ring.push(FrameType.video, Codec.h264, false, 1132, unit(2));
	await pause(20);
	const framesBefore = endpoint.figures()[0].frames;
	t.is(framesBefore, 1, "only the key frame went whole");
	t.true(logs.some((m) => /a frame the packetizer cannot walk/.test(m)), logs.join("\n"));
	drained(v.list);
	ring.push(FrameType.video, Codec.h264, true, 1198, unit(0));
	await pause(20);
	const [figures] = endpoint.figures();
	t.true(figures.connected, "the viewer watches on");
	t.is(figures.frames, 2, "the next key frame went");
	t.true(drained(v.list).filter(isRtp).length > 0);
	v.viewer.close();
	v.srtcp.close();
	v.hear.close();
	endpoint.close();
	ring.close();
});

test("A DataChannel command flood past the viewer's rate costs the gate's check each: the rate's commands answered, one EBUSY per wait, the rest dropped unanswered — no reply, no log line", (t) => {
	const clock = { ms: 5000 }, logs: string[] = [], sent: number[] = [];
	const context = { playbackOf: () => undefined, log: (m: string) => logs.push(m), pace: new Pace(COMMAND_RATE, () => clock.ms) };
	const channels = new CommandChannels({
		send: (stream) => { sent.push(stream); return true; },
		command: (bytes) => runViewerCommand(context, bytes, "viewer", Rights.live | Rights.command),
		end: () => t.fail("the session stays"),
		log: (m) => logs.push(m),
	});
	const open = new Uint8Array(12 + 8);
	open[0] = 0x03;   // DATA_CHANNEL_OPEN
	new DataView(open.buffer).setUint16(8, 8);
	open.set(Array.from("commands", (c) => c.charCodeAt(0)), 12);
	channels.message(1, Ppid.dcep, open.buffer);
	const command = encodeJsonAscii({ cmd: "ptz", op: "left" }).slice().buffer;
	const linesBefore = logs.length;
	for (let i = 0; i < 1000; i++) channels.message(1, Ppid.string, command);
	t.is(channels.stats.commands, 1000);
	t.is(channels.stats.replies, COMMAND_RATE.burst + 1, "the burst answered, and one EBUSY");
	t.is(channels.stats.unanswered, 1000 - COMMAND_RATE.burst - 1);
	t.is(sent.length, 1 + COMMAND_RATE.burst + 1, "the DCEP ACK and those replies, nothing more");
	t.true(logs.length - linesBefore <= COMMAND_RATE.burst, "no line per dropped command");
	// its wait over: the next is answered, and a flood again gets one EBUSY
	clock.ms += 1000;
	for (let i = 0; i < 100; i++) channels.message(1, Ppid.string, command);
	t.is(channels.stats.replies, COMMAND_RATE.burst + 1 + COMMAND_RATE.perSecond + 1);
});

test("Places held by offers that never connect: one account's offers hold at most its share of the camera's places (another account still gets in), and an offer whose viewer sends no check within ICE_START_MS of the answer gives its place back", async (t) => {
	const fixture = gopFixture();
	let clock = 5000;
	const logs: string[] = [];
	const endpoint = new WebRtcEndpoint({
		identity: fixture.cameraId, ring: fixture.ring, codec: "h264", hmacSha1, now: () => clock, log: (m) => { logs.push(m); },
		send: () => {}, places: () => 4 - endpoint.size, accountShare: 3,
	});
	const offer = viewerOffer(fixture.viewerId.fingerprint);
	const gather = async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }];
	for (const id of ["a000000000000001", "a000000000000002", "a000000000000003"]) await endpoint.offer(id, offer, gather, Rights.live, "00000000000000aa");
	const refused = await endpoint.offer("a000000000000004", offer, gather, Rights.live, "00000000000000aa").catch((error: Error) => error);
	t.regex(String(refused), /this account holds 3 of the camera's places/);
	const other = await endpoint.offer("b000000000000001", offer, gather, Rights.live, "00000000000000bb");
	t.true(nominate(endpoint, other), "another account's viewer checks");
	t.is(endpoint.size, 4);
	clock += ICE_START_MS + 1;
	await pause(150);
	t.deepEqual(endpoint.figures().map((f) => f.session), ["b000000000000001"], "the offers never checked gave their places back; the checking viewer keeps its own");
	t.true(logs.some((m) => /viewer a000000000000001 sent no ICE check within 8 s of its answer/.test(m)), logs.join("\n"));
	await endpoint.offer("a000000000000005", offer, gather, Rights.live, "00000000000000aa");
	t.is(endpoint.size, 2, "the account may offer again");
	endpoint.close();
	fixture.ring.close();
});
