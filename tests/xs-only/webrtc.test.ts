// The webrtc binding on XS (native/webrtc): SRTP contexts protecting and unprotecting in place,
// with their refusals as coded errors that leave the context as it was; RTP packetization of a
// fixture's access units; and modules/webrtc/ice.ts's checks computed on XS. The cores' own C tests (and the interop with libsrtp2) are in
// native/webrtc/tests, run by tests/native-c.test.mjs and tests/webrtc.test.mjs.
import test from "ava";
import Timer from "timer";
import { DtlsIdentity, DtlsRole, DtlsSession, DtlsState, HISTORY_FRAMES, Ppid, RESENDS_PER_SECOND, FEED_ERROR, FEED_SEND_UNTIL, RTCP_PER_SECOND, RtcpGot, RtpFeed, Srtp, TransportCc, packetize, readRtcp, tickFeeds, codes, SRTP_TAG_BYTES, SRTCP_TRAILER_BYTES } from "webrtc";
import { codes as kitCodes } from "ivxs/codes";
import { readFile } from "ivxs/file";
import { memory } from "ivxs/host";
import { AU_INFO, accessUnitSpans } from "../../modules/media/annexb.js";
import { hmacSha1 } from "ivxs/crypto";
import { answerCheck, candidatePriority, checkResponse, iceCheck } from "../../modules/webrtc/ice.js";
import { CONSENT_MS, DTLS_PER_SECOND, VOICE_PER_SECOND, WebRtcSession } from "../../modules/webrtc/session.js";
import { CHECKS_PER_SECOND, CONNECT_MS, RESTART_MS, WebRtcEndpoint } from "../../modules/webrtc/endpoint.js";
import { Codec, FrameType, Ring } from "ring";
import { Uplink } from "p2p";
import { Rights } from "../../modules/protocol/ticket.js";
import { CommandChannels } from "../../modules/webrtc/datachannel.js";
import { TWCC_URI } from "../../modules/webrtc/sdp.js";
import { bigEndian, drained, fromViewer, gopFixture, handshakeThrough, inbox, isRtp, nackOf, nominate, seqOf, twccNumberOf, viewerOffer, viewerRtcp } from "./_webrtc.js";
import { DatagramKind } from "../../modules/p2p/demux.js";

const key = () => Uint8Array.from({ length: 16 }, (_, i) => i + 1).buffer;
const salt = () => Uint8Array.from({ length: 14 }, (_, i) => 100 + i).buffer;
/** A wall clock (Unix ms) for the feeds' sender reports: a whole second, so its NTP fraction is 0. */
const WALL = 1_700_000_000_000;
/** Its NTP time's middle 32 bits (RFC 5905: seconds since 1900), what a report's LSR echoes. */
const middleOf = (unixMs: number) => (((Math.floor(unixMs / 1000) + 2208988800) & 0xffff) * 0x10000 + (Math.floor((unixMs % 1000) * 2 ** 32 / 1000) >>> 16)) >>> 0;

/** An RTP packet (PT 96) of `payload` bytes in a buffer with room for the tag. */
function rtp(seq: number, ssrc: number, payload: number): { buffer: ArrayBuffer; length: number } {
	const bytes = new Uint8Array(12 + payload + SRTP_TAG_BYTES);
	bytes.set([0x80, 96, seq >> 8, seq & 0xff, 0, 0, 0, 1, ssrc >>> 24, (ssrc >> 16) & 0xff, (ssrc >> 8) & 0xff, ssrc & 0xff]);
	for (let i = 0; i < payload; i++) bytes[12 + i] = (i * 31 + seq) & 0xff;
	return { buffer: bytes.buffer, length: 12 + payload };
}

test("Srtp: a packet protected by one context is unprotected by another of the same keys; refusals are coded and harmless", (t) => {
	const tx = new Srtp(key(), salt()), rx = new Srtp(key(), salt());
	for (let seq = 65530; seq < 65546; seq++) {
		const { buffer, length } = rtp(seq & 0xffff, 42, 100);
		const plain = new Uint8Array(buffer.slice(0, length));
		const protectedLength = tx.protect(buffer, length);
		t.is(protectedLength, length + SRTP_TAG_BYTES);
		const copy = buffer.slice(0);
		new Uint8Array(buffer)[20] ^= 1;
		t.throws(() => rx.unprotect(buffer, protectedLength), { code: codes.EAUTH });
		new Uint8Array(buffer).set(new Uint8Array(copy));
		t.is(rx.unprotect(buffer, protectedLength), length);
		t.deepEqual(new Uint8Array(buffer, 0, length), plain);
		new Uint8Array(buffer).set(new Uint8Array(copy));
		t.throws(() => rx.unprotect(buffer, protectedLength), { code: codes.EREPLAY });
	}
	const sr = new Uint8Array(28 + SRTCP_TRAILER_BYTES);
	sr.set([0x80, 200, 0, 6, 0, 0, 0, 42]);
	t.is(tx.protectRtcp(sr.buffer, 28), 28 + SRTCP_TRAILER_BYTES);
	t.is(rx.unprotectRtcp(sr.buffer, 28 + SRTCP_TRAILER_BYTES), 28);
	const short = rtp(1, 42, 10);
	t.throws(() => tx.protect(short.buffer, short.length + SRTP_TAG_BYTES), { code: codes.EPACKET }, "no room for the tag");
	t.throws(() => tx.protect(short.buffer, 10_000), { instanceOf: RangeError, code: kitCodes.EARG });
	t.throws(() => new Srtp(new ArrayBuffer(15), salt()), { instanceOf: RangeError, code: kitCodes.EARG });
	t.throws(() => new Srtp(key(), "salt" as never), { instanceOf: TypeError, code: kitCodes.EARG });
	tx.close();
	tx.close();
	t.throws(() => tx.protect(short.buffer, short.length), { code: kitCodes.ECLOSED });
	rx.close();
});

test("packetize: a clip's access units as RTP packets — under the MTU, sequence numbers in a row, the marker on each unit's last", (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	let seq = 65000, packets = 0, units = 0;
	const spans = accessUnitSpans(clip, "h264");   // [start, end, info] triples
	for (let i = 0; i < spans.length; i += 3) {
		const au = clip.slice(spans[i], spans[i + 1]).buffer;
		const out = packetize(au, 1, 0x1234, seq, 96, 1200, units * 6000);
		t.true(out.length > 0);
		out.forEach((p, k) => {
			const b = new Uint8Array(p);
			t.true(p.byteLength <= 1200);
			t.is((b[2] << 8) | b[3], (seq + k) & 0xffff);
			t.is(b[1] >> 7, k === out.length - 1 ? 1 : 0);
		});
		seq = (seq + out.length) & 0xffff;
		packets += out.length;
		units++;
	}
	t.true(units >= 30 && packets >= units);
	t.throws(() => packetize(new ArrayBuffer(8), 3 as never, 1, 0, 96, 1200, 0), { instanceOf: RangeError, code: kitCodes.EARG });
	t.throws(() => packetize(Uint8Array.of(7, 7, 0, 0, 1, 0x65).buffer, 1, 1, 0, 96, 1200, 0), { code: "IVXS_ANNEXB_EGARBAGE" });
});

/** Where an RtpFeed's packets go in a test: handed to `send` (no socket: every packet through JS). */
const feedPath = (got: Uint8Array[]) => ({ socket: undefined, address: 0, port: 0, buffer: new ArrayBuffer(1500), send: (buffer: ArrayBuffer, length: number) => { got.push(new Uint8Array(buffer, 0, length).slice()); } });

test("RtpFeed (the send path): a clip's access units pushed into a ring go as SRTP read where they lie there, byte-identical to packetize + Srtp.protect (the stream's first packet twice); a unit the packetizer cannot walk is skipped to the next key frame", (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const ring = new Ring({ maxGopBytes: 2 * clip.length });
	const reference = new Srtp(key(), salt()), tested = new Srtp(key(), salt());
	const feed = new RtpFeed(ring, { codec: 1, ssrc: 0x1234, seq: 65000, payloadType: 96 }, undefined, 0, 0);
	const got: Uint8Array[] = [], path = feedPath(got);
	let seq = 65000, packets = 0, reportedAt = -Infinity;
	for (let i = 0; i < spans.length; i += 3) {
		const view = clip.subarray(spans[i], spans[i + 1]), ms = 1000 + i * 22;
		ring.push(FrameType.video, Codec.h264, (spans[i + 2] & AU_INFO.KEY) !== 0, ms, view);
		const expected = packetize(view.slice().buffer, 1, 0x1234, seq, 96, 1200, ms * 90).map((p) => {
			const buffer = new ArrayBuffer(p.byteLength + SRTP_TAG_BYTES);
			new Uint8Array(buffer).set(new Uint8Array(p));
			return new Uint8Array(buffer, 0, reference.protect(buffer, p.byteLength));
		});
		got.length = 0;
		t.true(feed.tick(tested, undefined, path, ms, WALL + ms) <= 1000, "nothing waits but the next sender report");
		const reports = got.filter((d) => !isRtp(d.slice().buffer)).length;
		t.is(reports, ms - reportedAt >= 1000 ? 1 : 0, "a sender report with the first frame, the next a second later");
		if (reports) reportedAt = ms;
		const rtp = drained(got).filter((d) => isRtp(d.slice().buffer));
		got.push(...rtp);
		if (i === 0) t.true(got.length > 1 && got.shift()!.every((b, j) => b === got[0][j]), "the stream's first packet, twice");
		t.is(got.length, expected.length);
		for (let k = 0; k < got.length; k++) t.true(got[k].length === expected[k].length && got[k].every((b, j) => b === expected[k][j]), `unit ${i / 3}, packet ${k}`);
		seq = (seq + expected.length) & 0xffff;
		packets += got.length;
	}
	const stats = feed.stats(undefined, 9999);
	t.is(stats.frames, spans.length / 3);
	t.is(stats.packets, packets);
	// a P frame ending with a stray start code cannot be walked: it and the rest of its GOP wait for a key frame
	let code = "";
	const told = { ...feedPath(got), unwalkable: (c: string) => { code = c; } };
	ring.push(FrameType.video, Codec.h264, false, 9000, Uint8Array.from([...clip.subarray(spans[3], spans[4]), 0, 0, 1]));
	ring.push(FrameType.video, Codec.h264, false, 9066, clip.subarray(spans[6], spans[7]));
	feed.tick(tested, undefined, told, 9066, WALL);
	t.is(feed.stats(undefined, 9066).frames, spans.length / 3);
	t.is(feed.stats(undefined, 9066).unwalkable, 1);
	t.regex(code, /^IVXS_/);
	t.throws(() => feed.tick(tested, undefined, undefined as never, 9100, WALL), { instanceOf: TypeError, code: kitCodes.EARG });
	t.throws(() => feed.tick(reference as never as Srtp, undefined, path, -1, WALL), { instanceOf: RangeError, code: kitCodes.EARG });
	t.throws(() => feed.tick(tested, undefined, path, 9100, -1), { instanceOf: RangeError, code: kitCodes.EARG }, "a wall clock before 1970");
	feed.close();
	t.throws(() => feed.tick(tested, undefined, path, 9200, WALL), { code: kitCodes.ECLOSED });
	reference.close();
	tested.close();
	ring.close();
});
test("ICE checks on XS: the camera's check answered by the viewer's side, FINGERPRINT and MESSAGE-INTEGRITY computed here; a changed byte gets no answer", (t) => {
	const camera = { ufrag: "camU", pwd: "cameraPasswordCamera24" }, viewer = { ufrag: "viewerU", pwd: "viewerPasswordViewer24" };
	const check = iceCheck({ id: new Uint8Array(12).fill(3), local: camera, remote: viewer, priority: candidatePriority("prflx"), controlling: true, tieBreaker: new Uint8Array(8).fill(1), nominate: true }, hmacSha1);
	const answered = answerCheck(check, viewer, { address: "10.1.2.3", port: 5000 }, hmacSha1);
	t.truthy(answered);
	t.is(answered!.remoteUfrag, "camU");
	t.true(answered!.nominated);
	t.is(answered!.priority, 110 * 2 ** 24 + 65535 * 2 ** 8 + 255);
	t.deepEqual(checkResponse(answered!.response, "03".repeat(12), viewer, hmacSha1), { address: "10.1.2.3", port: 5000 });
	const damaged = check.slice();
	damaged[25] ^= 4;
	t.is(answerCheck(damaged, viewer, { address: "10.1.2.3", port: 5000 }, hmacSha1), undefined);
	t.is(answerCheck(check, camera, { address: "10.1.2.3", port: 5000 }, hmacSha1), undefined, "a check for another ufrag");
});

/** The camera (server) and a viewer (client) handshaking in memory on XS: datagrams passed along until both settle. */
function handshake(camera: DtlsSession, viewer: DtlsSession, first: ArrayBuffer[]): { camera: number; viewer: number; datagrams: number } {
	let toCamera = first, toViewer: ArrayBuffer[] = [], states = { camera: 0, viewer: 0 }, datagrams = first.length;
	for (let round = 0; round < 10 && (toCamera.length || toViewer.length); round++) {
		const nextViewer: ArrayBuffer[] = [], nextCamera: ArrayBuffer[] = [];
		for (const d of toCamera) { const r = camera.input(d, 10 + round); states.camera = r.state; nextViewer.push(...r.send); }
		for (const d of toViewer) { const r = viewer.input(d, 10 + round); states.viewer = r.state; nextCamera.push(...r.send); }
		toViewer = nextViewer;
		toCamera = nextCamera;
		datagrams += nextViewer.length + nextCamera.length;
	}
	return { ...states, datagrams };
}

test("DTLS-SRTP on XS: identities made and kept, a handshake in memory, SRTP keys that carry media each way; a wrong certificate is EAUTH", (t) => {
	const cam = DtlsIdentity.create(), view = DtlsIdentity.create();
	t.true(cam.certificate.byteLength > 200 && cam.key.byteLength > 60);
	const cameraId = new DtlsIdentity(cam.key, cam.certificate), viewerId = new DtlsIdentity(view.key, view.certificate);
	t.is(cameraId.fingerprint.byteLength, 32);
	const camera = new DtlsSession(cameraId, DtlsRole.server, viewerId.fingerprint, 0);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, 0);
	cameraId.close();   // the session keeps what it borrowed
	const hello = viewer.tick(1);
	t.is(hello.send.length, 1, "the ClientHello");
	const done = handshake(camera, viewer, hello.send);
	t.deepEqual([done.camera, done.viewer], [DtlsState.connected, DtlsState.connected]);
	const c = camera.srtpKeys(), v = viewer.srtpKeys();
	const tx = new Srtp(c.localKey, c.localSalt), rx = new Srtp(v.remoteKey, v.remoteSalt);
	const { buffer, length } = rtp(1, 77, 200);
	t.is(rx.unprotect(buffer, tx.protect(buffer, length)), length);
	tx.close();
	rx.close();
	camera.close();
	t.throws(() => camera.srtpKeys(), { code: kitCodes.ECLOSED });
	viewer.close();
	// a viewer whose certificate is not the one the camera was told of
	const strangerId = new DtlsIdentity(...Object.values(DtlsIdentity.create()) as [ArrayBuffer, ArrayBuffer]);
	const camera2 = new DtlsSession(new DtlsIdentity(cam.key, cam.certificate), DtlsRole.server, viewerId.fingerprint, 0);
	const stranger = new DtlsSession(strangerId, DtlsRole.client, new DtlsIdentity(cam.key, cam.certificate).fingerprint, 0);
	t.throws(() => handshake(camera2, stranger, stranger.tick(1).send), { code: codes.EAUTH });
	t.throws(() => camera2.tick(100), { code: codes.EAUTH }, "and it stays refused");
	t.throws(() => new DtlsIdentity(cam.certificate, cam.key), { code: codes.ECRYPTO });
});

test("WebRtcSession: the viewer's checks are its consent (RFC 7675) — 30 s without one and no more media goes to it; a check from elsewhere does not renew it", (t) => {
	const { key, certificate } = DtlsIdentity.create();
	const identity = new DtlsIdentity(key, certificate);
	const local = { ufrag: "camU", pwd: "cameraPasswordCamera24" }, viewer = { ufrag: "viewerU", pwd: "viewerPasswordViewer24" };
	let clock = 1000;
	const sent: Array<{ address: string; port: number }> = [];
	const session = new WebRtcSession({
		identity, remoteFingerprint: new Uint8Array(32), local, video: { payloadType: 102, ssrc: 9, codec: 1 },
		send: (_bytes, address, port) => sent.push({ address, port }), now: () => clock, hmacSha1,
	});
	const check = (nominate: boolean) => iceCheck({ id: new Uint8Array(12).fill(clock & 0xff), local: viewer, remote: local, priority: candidatePriority("host"), controlling: true, tieBreaker: new Uint8Array(8).fill(2), nominate }, hmacSha1);
	t.false(session.consented, "no check yet");
	session.receive(check(true).slice().buffer, "10.0.0.9", 4000);
	t.is(sent.length, 1, "the check answered");
	t.true(session.consented);
	clock += CONSENT_MS - 1;
	t.true(session.consented);
	clock += 2;
	t.false(session.consented, "30 s without a check");
	session.receive(check(false).slice().buffer, "10.0.0.66", 4000);   // answered (a check is always answered), but another address
	t.false(session.consented);
	session.receive(check(false).slice().buffer, "10.0.0.9", 4000);
	t.true(session.consented, "a check on the viewer's path renews it");
	session.close();
	identity.close();
});

test("WebRtcSession: after ICE and DTLS, the viewer's SRTCP PLI asks for a key frame; a forged one is refused and counted; a flood past RTCP_PER_SECOND is dropped unread", (t) => {
	const cam = DtlsIdentity.create(), view = DtlsIdentity.create();
	const cameraId = new DtlsIdentity(cam.key, cam.certificate), viewerId = new DtlsIdentity(view.key, view.certificate);
	const local = { ufrag: "camU", pwd: "cameraPasswordCamera24" }, remote = { ufrag: "viewerU", pwd: "viewerPasswordViewer24" };
	let clock = 1000, fed = 0;
	const toViewer: ArrayBuffer[] = [];
	const session = new WebRtcSession({
		identity: cameraId, remoteFingerprint: new Uint8Array(viewerId.fingerprint), local, video: { payloadType: 102, ssrc: 0xabcdef, codec: 1 },
		send: inbox(toViewer), now: () => clock, hmacSha1, onFeedback: () => { fed++; },
	});
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	// ICE: the viewer's nominating check fixes its path
	session.receive(iceCheck({ id: new Uint8Array(12).fill(5), local: remote, remote: local, priority: candidatePriority("host"), controlling: true, tieBreaker: new Uint8Array(8).fill(3), nominate: true }, hmacSha1).slice().buffer, "10.0.0.9", 4000);
	toViewer.length = 0;
	// DTLS: the viewer's flights into the session, the session's into the viewer
	let flight = viewer.tick(clock).send, state = 0;
	for (let round = 0; round < 8 && flight.length; round++) {
		for (const d of flight) session.receive(d, "10.0.0.9", 4000);
		const answers = drained(toViewer);
		flight = [];
		for (const d of answers) { const r = viewer.input(d, ++clock); state = r.state; flight.push(...r.send); }
	}
	t.is(state, DtlsState.connected);
	t.true(session.connected);
	// its RTCP is its feed's: read once it watches
	const ring = new Ring({ maxGopBytes: 64 * 1024 });
	session.watch(ring, undefined, undefined);
	// a PLI about the camera's video SSRC, protected with the viewer's keys
	const keys = viewer.srtpKeys();
	const srtcp = new Srtp(keys.localKey, keys.localSalt);
	const pli = () => viewerRtcp(srtcp, Uint8Array.from([0x81, 206, 0, 2, 0, 0, 0, 7, ...bigEndian(0xabcdef)]));
	session.receive(pli(), "10.0.0.9", 4000);
	t.is(session.stats.keyFrameRequests, 1);
	const forged = pli();
	new Uint8Array(forged)[9] ^= 1;
	session.receive(forged, "10.0.0.9", 4000);
	t.is(session.stats.keyFrameRequests, 1);
	t.is(fed, 1, "the feeds' turn after the one read");
	t.deepEqual([session.stats.rtcp, session.stats.refusedRtcp, session.stats.keyFrameRequests], [1, 1, 1]);
	// a flood from the viewer's path: past RTCP_PER_SECOND in one second it is dropped unread (no HMAC)
	for (let i = 0; i < 100; i++) session.receive(pli(), "10.0.0.9", 4000);
	t.is(session.stats.rtcp + session.stats.refusedRtcp, RTCP_PER_SECOND);
	t.is(session.stats.droppedRtcp, 102 - RTCP_PER_SECOND);
	clock += 1000;   // the next second reads again
	session.receive(pli(), "10.0.0.9", 4000);
	t.is(session.stats.rtcp + session.stats.refusedRtcp, RTCP_PER_SECOND + 1);
	// read in C (readRtcp): a feedback packet makes nothing in the session — what is counted here is
	// this file's string literals, which XS copies at each evaluation in a module loaded from a file
	// (~24 B each: the test's arguments, the session's kind tests) and not in a preloaded app's; reading
	// it in JS made ~780 B a packet (its copy, the feedback's objects, the NACK array)
	clock += 1000;
	const plis = Array.from({ length: 40 }, pli), asked = fed;
	const before = memory().allocated;
	for (const datagram of plis) session.receive(datagram, "10.0.0.9", 4000, DatagramKind.rtcp);
	const perPacket = (memory().allocated - before) / plis.length;
	t.log(`XS bytes allocated per feedback packet read: ${perPacket}`);
	t.is(fed - asked, plis.length, "each read");
	t.true(perPacket < 256, `${perPacket} bytes a packet`);
	// DTLS records likewise (each a decryption; once connected, DataChannel traffic): past DTLS_PER_SECOND dropped unread
	clock += 1000;
	const dtlsBefore = session.stats.dtls;
	const record = Uint8Array.of(23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4).buffer;   // application data, not the viewer's keys
	for (let i = 0; i < DTLS_PER_SECOND + 20; i++) session.receive(record, "10.0.0.9", 4000);
	t.deepEqual([session.stats.dtls - dtlsBefore, session.stats.droppedDtls], [DTLS_PER_SECOND, 20]);
	t.is(session.failed, "", "records it cannot read leave the session as it was");
	srtcp.close();
	viewer.close();
	session.close();
	ring.close();
});

test("WebRtcEndpoint on the P2P socket (RFC 7983): it claims DTLS, RTP/RTCP and checks for its own ufrags; the native transport's packets and other STUN pass by; strangers cost nothing", (t) => {
	const { key: k, certificate } = DtlsIdentity.create();
	const ring = new Ring({ maxGopBytes: 64 * 1024 });
	const sent: Uint8Array[] = [];
	const endpoint = new WebRtcEndpoint({
		identity: new DtlsIdentity(k, certificate), ring, codec: "h264", hmacSha1, now: () => 1000, log: () => {},
		send: (bytes) => { sent.push(bytes); }, places: () => 4,
	});
	const datagram = (bytes: number[]) => Object.assign(Uint8Array.from(bytes).buffer, { address: "10.0.0.9", port: 4000 });
	t.false(endpoint.take(datagram([])), "empty: nobody's");
	for (const first of [0x50, 0x5f, 0x30, 0x3f, 4, 19, 64, 127, 192, 255]) t.false(endpoint.take(datagram([first, 0, 0, 0])), `first byte ${first}: not WebRTC's`);
	for (const first of [20, 22, 25, 128, 0x81, 191]) t.true(endpoint.take(datagram([first, 200, 0, 1])), `first byte ${first}: WebRTC's`);
	t.is(endpoint.unclaimed, 6, "no session has that address: dropped, counted");
	// a check for a ufrag no session has: the native transport's (or a STUN server's) business
	const check = iceCheck({ id: new Uint8Array(12).fill(1), local: { ufrag: "viewer", pwd: "viewerPasswordViewer24" }, remote: { ufrag: "nobodyHere", pwd: "x".repeat(22) }, priority: 1, controlling: true, tieBreaker: new Uint8Array(8) }, hmacSha1);
	t.false(endpoint.take(Object.assign(check.slice().buffer, { address: "10.0.0.9", port: 4000 })));
	t.is(sent.length, 0, "nothing was ever sent");
	endpoint.close();
	ring.close();
});

test("WebRtcEndpoint: a viewer's offer answered, its checks and DTLS through take(), the ring's newest key frame and what follows sent as DTLS completes; a PLI sends them again at once, a second within REWIND_MS waits for the next key frame, one while that key frame is being repaired (its NACKs answered) waits for the repair; sender reports once a second, the round trip from the viewer's receiver report; a NACKed packet resent byte for byte as it went, none past RESENDS_PER_SECOND nor older than the history; a check flood past CHECKS_PER_SECOND dropped; a viewer that never connects ended after CONNECT_MS, a silent one on consent", async (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const cam = DtlsIdentity.create(), view = DtlsIdentity.create();
	const viewerId = new DtlsIdentity(view.key, view.certificate), cameraId = new DtlsIdentity(cam.key, cam.certificate);
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	let clock = 5000;
	const toViewer: ArrayBuffer[] = [], logs: string[] = [];
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", hmacSha1, now: () => clock, log: (m) => { logs.push(m); },
		send: inbox(toViewer), places: () => 4,
	});
	const offer = viewerOffer(viewerId.fingerprint);
	let offered: unknown;
	const answer = await endpoint.offer("0123456789abcdef", offer, async (viewer) => {
		offered = viewer;
		return [{ type: "host", address: "10.0.0.1", port: 6000 }];
	});
	t.deepEqual(offered, [{ type: "host", address: "10.0.0.9", port: 4000 }], "the viewer's candidates, for the camera's NAT and relay");
	const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)![1], pwd = /a=ice-pwd:(\S+)/.exec(answer)![1];
	t.regex(answer, /a=candidate:1 1 udp \d+ 10\.0\.0\.1 6000 typ host/);
	const from = fromViewer;
	// ICE: the viewer's nominating check
	t.true(nominate(endpoint, answer));
	t.is(toViewer.length, 1, "the check answered");
	// a flood of valid checks within one second: CHECKS_PER_SECOND answered, the rest dropped before the HMAC
	for (let i = 0; i < 100; i++)
		endpoint.take(from(iceCheck({ id: new Uint8Array(12).fill(i), local: { ufrag: "viewerU", pwd: "viewerPasswordViewer24" }, remote: { ufrag, pwd }, priority: candidatePriority("host"), controlling: true, tieBreaker: new Uint8Array(8).fill(3) }, hmacSha1).slice().buffer));
	t.is(toViewer.length, CHECKS_PER_SECOND, "answers in that second, the first check's included");
	t.is(endpoint.checksDropped, 101 - CHECKS_PER_SECOND);
	toViewer.length = 0;
	// a GOP in the ring before the viewer connects: it starts at its key frame
	const unit = (i: number) => clip.slice(spans[3 * i], spans[3 * i + 1]);
	for (let i = 0; i < 5; i++) ring.push(FrameType.video, Codec.h264, i === 0, 1000 + i * 66, unit(i));
	// DTLS, the viewer as client
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	const { state, media } = handshakeThrough(endpoint, viewer, toViewer, () => ++clock);
	t.is(state, DtlsState.connected);
	const rtp = () => [...drained(media), ...drained(toViewer)].filter(isRtp).length;
	const first = rtp();
	t.true(first >= 5, `the GOP from its key frame went out as DTLS completed: ${first} packets`);
	// a PLI: the key frame and what follows it go again at once
	const keys = viewer.srtpKeys();
	const srtcp = new Srtp(keys.localKey, keys.localSalt);
	const ssrc = Number(/a=ssrc:(\d+)/.exec(answer)![1]);
	const pli = () => viewerRtcp(srtcp, Uint8Array.from([0x81, 206, 0, 2, 0, 0, 0, 7, ...bigEndian(ssrc)]));
	clock += 2000;
	endpoint.take(pli());
	const again = rtp();
	t.is(again, first, `the newest key frame and the frames after it, again: ${JSON.stringify(endpoint.figures())}`);
	endpoint.take(pli());   // within REWIND_MS of the last: waits for the next key frame
	t.is(rtp(), 0);
	ring.push(FrameType.video, Codec.h264, false, 2000, unit(5));
	await new Promise((resolve) => Timer.set(resolve, 50));
	t.is(rtp(), 0, "no key frame yet: a P-frame is not sent");
	ring.push(FrameType.video, Codec.h264, true, 2066, unit(0));
	await new Promise((resolve) => Timer.set(resolve, 50));
	t.true(rtp() > 0, "the next key frame goes");
	// a sender report once a second while video flows (the feeds' tick: the next frame, or its delay), protected as SRTCP
	const fromCamera = new Srtp(keys.remoteKey, keys.remoteSalt);
	clock += 1500;
	ring.push(FrameType.video, Codec.h264, false, 2100, unit(1));
	await new Promise((resolve) => Timer.set(resolve, 50));
	const reports = drained(toViewer).filter((d) => new Uint8Array(d)[1] === 200);
	t.is(reports.length, 1, "one sender report");
	const sr = reports[0].slice(0);
	const srLength = fromCamera.unprotectRtcp(sr, sr.byteLength);
	t.is(srLength, 28);
	const srView = new DataView(sr);
	t.is(srView.getUint32(4), ssrc, "about our stream");
	t.true(srView.getUint32(20) > 0 && srView.getUint32(24) > 0, "packets and octets sent");
	// the viewer's receiver report echoes it at once (LSR, DLSR 0): the round trip is the time since it was sent
	const lsr = (srView.getUint32(8) & 0xffff) * 0x10000 + (srView.getUint32(12) >>> 16);
	const rr = new Uint8Array(32);
	const rrView = new DataView(rr.buffer);
	rr.set([0x81, 201, 0, 7, 0, 0, 0, 7]);
	rrView.setUint32(8, ssrc);
	rrView.setUint32(12, (3 << 24) | 2);   // fraction lost 3/256, 2 lost
	rrView.setUint32(20, 180);   // jitter: 2 ms at 90 kHz
	rrView.setUint32(24, lsr);
	rrView.setUint32(28, 0);   // DLSR
	endpoint.take(viewerRtcp(srtcp, rr));
	const [figures] = endpoint.figures();
	t.log(JSON.stringify(figures));
	t.true(figures.rttMs >= 0 && figures.rttMs < 2000, `round trip ${figures.rttMs} ms`);
	t.is(figures.fractionLost, 3 / 256);
	// the viewer's receiver reference time (RFC 3611 §4.4: the answer's rrtr asks a browser for it)
	// is answered by each sender report after it with the time it has been held (§4.5's DLRR)
	const rrtr = Uint8Array.from([0x80, 207, 0, 4, 0, 0, 0, 7, 4, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
	endpoint.take(viewerRtcp(srtcp, Uint8Array.from([...rr, ...rrtr])));
	clock += 1250;
	ring.push(FrameType.video, Codec.h264, false, 2110, unit(2));
	await new Promise((resolve) => Timer.set(resolve, 50));
	const [answered] = drained(toViewer).filter((d) => new Uint8Array(d)[1] === 200).map((d) => d.slice(0));
	t.is(fromCamera.unprotectRtcp(answered, answered.byteLength), 28 + 24, "the sender report and an XR after it");
	const xr = new DataView(answered, 28);
	t.deepEqual([xr.getUint8(1), xr.getUint32(4), xr.getUint8(8), xr.getUint32(12), xr.getUint32(16)], [207, ssrc, 5, 7, 0x33445566], "a DLRR block from our stream echoing the viewer's");
	const heldMs = xr.getUint32(20) * 1000 / 65536;
	t.true(heldMs >= 1250 && heldMs < 1400, `held ${heldMs} ms`);
	clock += 1100;
	ring.push(FrameType.video, Codec.h264, false, 2120, unit(3));
	await new Promise((resolve) => Timer.set(resolve, 50));
	const [next] = drained(toViewer).filter((d) => new Uint8Array(d)[1] === 200).map((d) => d.slice(0));
	t.is(fromCamera.unprotectRtcp(next, next.byteLength), 28 + 24, "answered again by the next report");
	const heldLonger = new DataView(next, 28).getUint32(20) * 1000 / 65536;
	t.true(heldLonger > heldMs + 1090 && heldLonger < heldMs + 1250, `held ${heldLonger} ms by then`);
	// NACKs (RFC 4585 §6.2.1): the packet made again from the ring, the same bytes as it went (same
	// number, same keystream); numbers it never sent get nothing
	const nack = (entries: [number, number][]) => viewerRtcp(srtcp, nackOf(ssrc, entries));
	drained(toViewer);
	ring.push(FrameType.video, Codec.h264, false, 2132, unit(1));
	await new Promise((resolve) => Timer.set(resolve, 50));
	const sent = drained(toViewer).filter(isRtp);
	t.true(sent.length >= 1);
	const lost = sent[0];
	clock += 2000;   // (a fresh second for the viewer's RTCP and the resends)
	endpoint.take(nack([[seqOf(lost), 0]]));
	const resent = drained(toViewer).filter(isRtp);   // (and the sender reports, due by then)
	t.is(resent.length, 1, "one packet resent");
	t.deepEqual(new Uint8Array(resent[0]), new Uint8Array(lost), "byte for byte as it went");
	// a PLI while that repair is on its way (resent within the round trip, every NACK since the key
	// frame answered): no rewind — the key frame and the frames since would queue behind the repair
	endpoint.take(pli());
	t.is(drained(toViewer).filter(isRtp).length, 0, "no rewind while its key frame is being repaired");
	t.is(endpoint.figures()[0].keyFrameRequestsInRepair, 1);
	endpoint.take(nack([[(seqOf(lost) + 1000) & 0xffff, 0xffff]]));
	t.is(drained(toViewer).length, 0, "numbers never sent: nothing");
	endpoint.take(pli());
	t.true(drained(toViewer).filter(isRtp).length > 0, "a NACK that got no resend since the key frame: a PLI rewinds");
	endpoint.take(nack(Array.from({ length: 60 }, () => [seqOf(lost), 0] as [number, number])));
	t.is(drained(toViewer).length, 0, "the same packet again within the round trip of its resend: not resent (a browser asks again before it could arrive)");
	// a NACK flood of packets it holds (key frames: several packets each, all within the history): RESENDS_PER_SECOND at most
	const held: number[] = [];
	for (let i = 0; held.length < RESENDS_PER_SECOND + 10; i++) {
		ring.push(FrameType.video, Codec.h264, true, 2140 + i, unit(0));
		await new Promise((resolve) => Timer.set(resolve, 5));
		held.push(...drained(toViewer).filter(isRtp).map(seqOf));
	}
	clock += 2000;
	endpoint.take(nack(held.slice(0, RESENDS_PER_SECOND + 10).map((seq) => [seq, 0] as [number, number])));
	t.is(drained(toViewer).filter(isRtp).length, RESENDS_PER_SECOND, "a NACK flood: RESENDS_PER_SECOND at most");
	// HISTORY_FRAMES units later the first is out of reach
	for (let i = 0; i < HISTORY_FRAMES; i++) ring.push(FrameType.video, Codec.h264, false, 2200 + i * 66, unit(2 + (i % 3)));
	await new Promise((resolve) => Timer.set(resolve, 50));
	drained(toViewer);
	clock += 2000;
	endpoint.take(nack([[seqOf(lost), 0]]));
	t.is(drained(toViewer).filter(isRtp).length, 0, "older than the history: not resent");
	// a second viewer that never connects is ended after CONNECT_MS; the first, silent as long, loses its consent
	await endpoint.offer("fedcba9876543210", offer, async () => [{ type: "host", address: "10.0.0.1", port: 6000 }]);
	t.is(endpoint.size, 2);
	clock += CONNECT_MS + 1;
	await new Promise((resolve) => Timer.set(resolve, 120));
	t.is(endpoint.size, 0);
	t.true(logs.some((m) => /viewer fedcba9876543210 did not connect within 30 s/.test(m)), logs.join("\n"));
	t.true(logs.some((m) => /viewer 0123456789abcdef lost consent/.test(m)), logs.join("\n"));
	t.true(logs.some((m) => /viewer 0123456789abcdef lost consent.*NACKed \(51 resent, 60 again within the round trip, 18 gone, 10 over the limit, 0 over the path.s allowance\)/.test(m)), logs.join("\n"));
	fromCamera.close();
	srtcp.close();
	viewer.close();
	endpoint.close();
	ring.close();
});

test("WebRtcEndpoint audio: the ring's G.711 track goes to a viewer whose offer receives audio (sendonly without the talk right); with the right the audio is sendrecv and the viewer's microphone goes to the talkback in order, opened with the first packet and ended with the session; forged packets and a flood past VOICE_PER_SECOND are dropped unread", async (t) => {
	const cam = DtlsIdentity.create(), view = DtlsIdentity.create();
	const viewerId = new DtlsIdentity(view.key, view.certificate), cameraId = new DtlsIdentity(cam.key, cam.certificate);
	const ring = new Ring({ maxGopBytes: 64 * 1024 });
	let clock = 5000;
	const toViewer: ArrayBuffer[] = [], logs: string[] = [], heard: Array<string | number[]> = [];
	const voice = {
		takes: true,
		open: (params: string, peer: string) => { heard.push(`open ${params} ${peer}`); return { peer }; },
		voice: (_handle: unknown, data: ArrayBuffer) => { heard.push(data.byteLength ? Array.from(new Uint8Array(data)) : "end"); },
	};
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", audio: "pcmu", hmacSha1, now: () => clock, log: (m) => { logs.push(m); },
		send: inbox(toViewer), places: () => 4, voice,
	});
	const gather = async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }];
	// no talk right, or an offer that only listens: the camera's audio goes, nothing comes back
	t.regex(await endpoint.offer("aaaaaaaaaaaaaaaa", viewerOffer(viewerId.fingerprint, "sendrecv"), gather, Rights.live), /m=audio 9 [^]*a=sendonly\r\na=rtcp-mux\r\na=rtpmap:0 PCMU\/8000/);
	t.regex(await endpoint.offer("bbbbbbbbbbbbbbbb", viewerOffer(viewerId.fingerprint, "recvonly"), gather, Rights.live | Rights.talk), /m=audio 9 [^]*a=sendonly\r\n/);
	endpoint.end("aaaaaaaaaaaaaaaa");
	endpoint.end("bbbbbbbbbbbbbbbb");
	const answer = await endpoint.offer("0123456789abcdef", viewerOffer(viewerId.fingerprint, "sendrecv"), gather, Rights.live | Rights.talk);
	t.regex(answer, /m=audio 9 UDP\/TLS\/RTP\/SAVPF 0\r\n[^]*a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU\/8000/, "PCMU both ways");
	const audioSsrc = Number(/m=audio[^]*a=ssrc:(\d+) cname/.exec(answer)![1]);
	t.true(logs.some((m) => /offered H264\/102, hears PCMU\/0 and talks in PCMU\/0/.test(m)), logs.join("\n"));
	t.true(nominate(endpoint, answer));
	drained(toViewer);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	t.is(handshakeThrough(endpoint, viewer, toViewer, () => ++clock).state, DtlsState.connected);
	// the camera's G.711 track, once a picture went: one packet a frame on the audio SSRC, the bytes as in the ring
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const keys = viewer.srtpKeys();
	const hear = new Srtp(keys.remoteKey, keys.remoteSalt);
	const tone = new Uint8Array(160).map((_, i) => (i * 7) & 0xff);
	ring.push(FrameType.audio, Codec.pcmu, true, 990, tone);   // before the picture: not sent
	ring.push(FrameType.video, Codec.h264, true, 1000, clip.slice(spans[0], spans[1]));
	ring.push(FrameType.audio, Codec.pcmu, true, 1010, tone);
	ring.push(FrameType.audio, Codec.aac, true, 1011, new Uint8Array(20));   // cloud storage's AAC: not WebRTC's
	await new Promise((resolve) => Timer.set(resolve, 50));
	const audioPackets = drained(toViewer).filter((d) => new DataView(d).getUint32(8) === audioSsrc);
	t.is(audioPackets.length, 1, "the G.711 frame after the key frame, only");
	const heardBack = audioPackets[0].slice(0);
	const plainLength = hear.unprotect(heardBack, heardBack.byteLength);
	t.is(plainLength, 12 + 160);
	t.is(new Uint8Array(heardBack)[1], 0, "PT 0, no marker");
	t.deepEqual(new Uint8Array(heardBack, 12, 160), tone);
	t.is(new DataView(heardBack).getUint32(4), 1010 * 8, "8 kHz timestamps");
	hear.close();
	// the viewer's microphone: 20-ms PCMU packets protected with its keys
	const mic = new Srtp(keys.localKey, keys.localSalt);
	const packet = (seq: number, payloadType: number, fill: number) => {
		const p = new Uint8Array(12 + 160 + SRTP_TAG_BYTES);
		p.set([0x80, payloadType, seq >> 8, seq & 0xff, 0, 0, 0, seq, 0x11, 0x22, 0x33, 0x44]);
		p.fill(fill, 12, 12 + 160);
		return fromViewer(p.buffer.slice(0, mic.protect(p.buffer, 12 + 160)));
	};
	for (let seq = 1; seq <= 3; seq++) t.true(endpoint.take(packet(seq, 0, seq)));
	t.deepEqual(heard.map((h) => (typeof h === "string" ? h : `${h.length}×${h[0]}`)), ["open codec=pcmu&rate=8000 0123456789abcdef", "160×1", "160×2", "160×3"]);
	t.true(endpoint.figures()[0].talk);
	// another payload type (comfort noise), a forged packet: nothing heard
	endpoint.take(packet(4, 13, 4));
	const forged = packet(5, 0, 5);
	new Uint8Array(forged)[20] ^= 1;
	endpoint.take(fromViewer(forged));
	t.is(heard.length, 4);
	// a flood within one second: VOICE_PER_SECOND read (the two above included), the rest dropped before the HMAC
	for (let seq = 6; seq < 6 + 2 * VOICE_PER_SECOND; seq++) endpoint.take(packet(seq, 0, 6));
	t.is(heard.length, 4 + VOICE_PER_SECOND - 2 - 3);
	endpoint.end("0123456789abcdef", "left");
	t.is(heard.at(-1), "end", "the talkback ends with the session");
	t.true(logs.some((m) => /NACKed/.test(m)));
	mic.close();
	viewer.close();
	endpoint.close();
	ring.close();
});

test("WebRtcEndpoint under an uplink budget: a frame waits for the viewer's part, and one that waited WAIT_MS is skipped with the rest of its GOP (never a frame whose reference was not sent), a later key frame it can take goes; with a part above the stream, or no budget, every frame goes", async (t) => {
	const { unit, viewerId, cameraId, ring } = gopFixture();
	let clock = 5000, timestamp = 1000;
	const toViewer: ArrayBuffer[] = [];
	const uplink = new Uplink(clock);
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", hmacSha1, now: () => clock, log: () => {},
		send: inbox(toViewer), places: () => 4, uplink,
	});
	t.throws(() => uplink.setRate(-1, clock), { instanceOf: RangeError });
	const answer = await endpoint.offer("0123456789abcdef", viewerOffer(viewerId.fingerprint), async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }]);
	t.true(nominate(endpoint, answer));
	drained(toViewer);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	t.is(handshakeThrough(endpoint, viewer, toViewer, () => ++clock).state, DtlsState.connected);
	// GOPs of the clip at 15 fps (a key frame, then 14 that depend on it), the clock moving with them
	const keyTimestamps = new Set<number>();
	const gops = async (count: number) => {
		let bytes = 0;
		for (let g = 0; g < count; g++) {
			for (let i = 0; i < 15; i++) {
				clock += 66;
				timestamp += 66;
				if (i === 0) keyTimestamps.add(timestamp * 90);
				ring.push(FrameType.video, Codec.h264, i === 0, timestamp, unit(i));
				bytes += unit(i).length;
				await new Promise((resolve) => Timer.set(resolve, 2));
			}
		}
		return bytes;
	};
	const sent = () => endpoint.figures()[0];
	const clipRate = (await gops(1)) / 1;   // bytes a second: a GOP is a second
	t.is(sent().frames, 15, "no budget: every frame");
	// a part below a key frame a second: the key frames (each overdraws it: the frames after it wait,
	// then are skipped), and a frame after one where the part has refilled in time
	const part = Math.round(unit(0).length * 0.8);
	uplink.setRate(part, clock);
	t.like(uplink.figures(), { rate: part, level: part, viewers: 1 }, "the viewer's feed takes its part: all of it");
	const before = sent();
	await gops(4);
	const starved = sent();
	t.log(`clip ${clipRate} B/s, key frame ${unit(0).length} B; under ${part} B/s: ${starved.frames - before.frames} of 60 frames sent, ${starved.skipped} skipped`);
	t.true(starved.frames - before.frames >= 3 && starved.frames - before.frames <= 8, "the key frames, and what the part allows after them");
	t.is(starved.frames - before.frames + starved.skipped, 60, "every frame sent or counted as skipped");
	// frame-aware: each frame sent is a key frame or follows one sent (RTP timestamps are in the clear)
	const frameTimestamps = new Set(drained(toViewer).filter((d) => new Uint8Array(d)[1] < 192 || new Uint8Array(d)[1] > 223).map((d) => new DataView(d).getUint32(4)));
	for (const ts of frameTimestamps) t.true(keyTimestamps.has(ts) || frameTimestamps.has(ts - 66 * 90), `frame at ${ts} sent without the frame before it`);
	// a part above the stream: every frame again, from the next key frame
	uplink.setRate(clipRate * 3, clock);
	await gops(2);
	const after = sent();
	t.true(after.frames - starved.frames >= 15, `${after.frames - starved.frames} frames sent`);
	t.true(after.skipped - starved.skipped <= 15, "at most what waited for the first key frame");
	viewer.close();
	endpoint.close();
	ring.close();
});

/** The viewer's TWCC feedback (RTPFB FMT 15) on packets base … base + arrivals.length - 1, each
 * arrived at its time (ms from the reference time 0, within 255 x 250 µs of the one before; -1:
 * not received), one status per 2-bit vector chunk symbol — written here from the draft, not by C. */
function twccFeedback(ssrc: number, base: number, arrivals: number[], count: number): Uint8Array {
	const chunks: number[] = [], deltas: number[] = [];
	let last = 0;
	for (let i = 0; i < arrivals.length; i += 7) {
		let chunk = 0xc000;
		for (let k = 0; k < 7; k++) {
			const a = arrivals[i + k];
			const status = a === undefined || a < 0 ? 0 : 1;
			chunk |= status << (12 - 2 * k);
			if (status) {
				deltas.push(Math.round((a - last) * 4));
				last = a;
			}
		}
		chunks.push(chunk);
	}
	const fci = [base >> 8, base & 0xff, arrivals.length >> 8, arrivals.length & 0xff, 0, 0, 0, count & 0xff, ...chunks.flatMap((c) => [c >> 8, c & 0xff]), ...deltas];
	while (fci.length % 4) fci.push(0);
	const words = 2 + fci.length / 4;
	return Uint8Array.from([0x8f, 205, 0, words, 0, 0, 0, 7, ...bigEndian(ssrc), ...fci]);
}

/** A viewer of a new endpoint on `fixture`'s ring that offers TWCC (extension id 5): nominated and
 * through DTLS by take(), with the SRTP contexts that read the camera's packets and protect its RTCP. */
async function twccViewer(fixture: ReturnType<typeof gopFixture>, now: () => number, tick: () => number, log: (m: string) => void) {
	const { viewerId, cameraId, ring } = fixture;
	const toViewer: ArrayBuffer[] = [], replays = { count: 0 };
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", hmacSha1, now, log,
		send: inbox(toViewer, replays), places: () => 4,
	});
	const answer = await endpoint.offer("0123456789abcdef", viewerOffer(viewerId.fingerprint, undefined, 5), async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }]);
	const nominated = nominate(endpoint, answer);
	drained(toViewer);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, now());
	const { state } = handshakeThrough(endpoint, viewer, toViewer, tick);
	const keys = viewer.srtpKeys();
	const fromCamera = new Srtp(keys.remoteKey, keys.remoteSalt), srtcp = new Srtp(keys.localKey, keys.localSalt);
	return { endpoint, toViewer, replays, answer, nominated, state, viewer, fromCamera, srtcp, ssrc: Number(/a=ssrc:(\d+)/.exec(answer)![1]) };
}

test("WebRtcEndpoint with transport-wide congestion control: agreed in the answer, video packets numbered in a row under the viewer's extension id (within the MTU), its feedback read; a path that stops reporting keeps its rate for a second, then stalls the viewer's frames; its reports again let them go", async (t) => {
	const fixture = gopFixture(), { unit, ring } = fixture;
	let clock = 5000, timestamp = 1000;
	const logs: string[] = [];
	const { endpoint, toViewer, replays, answer, nominated, state, viewer, fromCamera, srtcp, ssrc } = await twccViewer(fixture, () => clock, () => ++clock, (m) => { logs.push(m); });
	t.true(answer.includes(`a=extmap:5 ${TWCC_URI}\r\n`) && answer.includes("a=rtcp-fb:102 transport-cc\r\n"), answer);
	t.true(nominated);
	t.is(state, DtlsState.connected);
	const gop = async () => {
		for (let i = 0; i < 15; i++) {
			clock += 66;
			timestamp += 66;
			ring.push(FrameType.video, Codec.h264, i === 0, timestamp, unit(i));
			await new Promise((resolve) => Timer.set(resolve, 2));
		}
	};
	/** The transport-wide numbers of the RTP that went out since the last call (its extension checked). */
	const numbers = () => drained(toViewer).filter((d) => new Uint8Array(d)[1] < 192 || new Uint8Array(d)[1] > 223).map((d) => {
		const length = fromCamera.unprotect(d, d.byteLength), b = new Uint8Array(d);
		t.true(d.byteLength <= 1200 + SRTP_TAG_BYTES, `${d.byteLength} bytes`);
		t.true((b[0] & 0x10) !== 0 && b[12] === 0xbe && b[13] === 0xde && b[16] === (5 << 4 | 1), "the one-byte extension, id 5");
		t.true(length > 20);
		return twccNumberOf(d);
	});
	await gop();
	const first = numbers();
	t.true(first.length > 15, `${first.length} packets`);
	t.deepEqual(first, first.map((_, i) => i), "numbered 0, 1, 2, … in a row");
	t.is(replays.count, 1, "the stream's first packet went twice, and no other: a viewer cannot NACK the loss of the first it would have had");
	// the viewer reports them all, 1 ms apart: read, counted
	const report = (from: number, n: number, count: number) => endpoint.take(viewerRtcp(srtcp, twccFeedback(ssrc, from, Array.from({ length: n }, (_, i) => 1 + i), count)));
	clock += 30;
	report(0, first.length, 0);
	t.true(endpoint.figures()[0].pathRate! > 0, `path ${endpoint.figures()[0].pathRate} B/s`);
	// silence: the packets sent next go unreported; stalled once one is 500 ms old, the path keeps the
	// rate it had until the viewer has been silent two stall times (its feedback may be what is lost)
	const before = endpoint.figures()[0];
	await gop();
	const unreported = numbers();
	t.is(unreported[0], first.length, "the numbers carry on");
	const held = endpoint.figures()[0];
	t.is(held.frames - before.frames, 15, "a second of silence: every frame sent at the rate held");
	// then the rate halves each stall time, and then only a probe goes now and then: frames wait, and are skipped
	await gop();
	await gop();
	unreported.push(...numbers());
	const stalled = endpoint.figures()[0];
	t.true(stalled.frames - held.frames < 30 && stalled.skipped > held.skipped, `${stalled.frames - held.frames} of 30 frames sent in the next 2 s of silence, ${stalled.skipped - held.skipped} skipped`);
	// the viewer reports again: frames go from the next key frame
	report(unreported[0], unreported.length, 1);
	t.true(endpoint.figures()[0].pathRate! > 0);
	const resumed = endpoint.figures()[0].frames;
	await gop();
	const again = numbers();
	t.log(`${first.length} packets before the silence, ${unreported.length} in it (${stalled.frames - before.frames} of 45 frames), ${again.length} (${endpoint.figures()[0].frames - resumed} frames) after the report`);
	t.true(again.length > 0 && again[0] === unreported.at(-1)! + 1, "sent again, the numbers carrying on");
	viewer.close();
	endpoint.close();
	t.true(logs.some((l) => /congestion control: 2 feedbacks on \d+ packets \(\d+ arrived, 0 lost, [1-9]\d* never reported, 0 in lost feedback\), path \d+ kbit\/s, min RTT \d+ ms/.test(l)), logs.join("\n"));
	ring.close();
});

test("TransportCc's clock is milliseconds since boot, any non-negative safe integer, taken modulo 2^32: createCc, ccRate, ccOpen, the feed's tick and readRtcp (a NACK answered, a TWCC feedback read) behave alike at 0, 2^31 and 2^32 + 1 s; a negative, fractional or unsafe time is refused", (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const unit = clip.subarray(spans[0], spans[1]);
	/** One viewer's congestion control from `base`: a key frame sent, a packet resent, the viewer's report of them all. */
	const run = (base: number) => {
		const ring = new Ring({ maxGopBytes: 256 * 1024 });
		const cc = new TransportCc(5, base), srtp = new Srtp(key(), salt()), feed = new RtpFeed(ring, { codec: 1, ssrc: 0x1234, seq: 100, payloadType: 102 }, undefined, 5, base);
		const viewerKey = Uint8Array.from({ length: 16 }, (_, i) => 200 - i).buffer, fromViewer = new Srtp(viewerKey, salt()), viewer = new Srtp(viewerKey, salt());
		const got: Uint8Array[] = [], path = feedPath(got), entry = feed.entry(srtp, cc, path, fromViewer);
		ring.push(FrameType.video, Codec.h264, true, 100, unit);
		feed.tick(srtp, cc, path, base + 10, WALL);
		const nack = viewerRtcp(viewer, nackOf(0x1234, [[101, 0]]));
		entry[FEED_SEND_UNTIL] = base + 1000;   // (sending: its NACKs answered)
		const nacked = readRtcp(entry, nack, nack.byteLength, base + 20, WALL);
		entry[FEED_SEND_UNTIL] = 0;
		const { packets: sent, resent } = feed.stats(cc, base + 25);
		const open = cc.open(1200, base + 30);
		const feedback = viewerRtcp(viewer, twccFeedback(0x1234, 0, Array.from({ length: sent + 1 }, (_, i) => 30 + i), 0));
		const read = readRtcp(entry, feedback, feedback.byteLength, base + 60, WALL);
		const figures = { sent, resent, nacked, datagrams: got.length, open, read, rate: cc.rate(base + 70), ...cc.stats };
		feed.close();
		srtp.close();
		fromViewer.close();
		viewer.close();
		ring.close();
		return figures;
	};
	const at0 = run(0);
	t.log(JSON.stringify(at0));
	t.true(at0.sent > 1 && at0.resent === 1 && at0.nacked === 0 && at0.read === 0 && at0.datagrams === at0.sent + 3 && at0.open && at0.packets === at0.sent + 1 && at0.feedbacks === 1 && at0.received === at0.sent + 1 && at0.rate > 0);
	for (const base of [2 ** 31, 2 ** 32 + 1000, Number.MAX_SAFE_INTEGER - 1000])
		t.deepEqual(run(base), at0, `from ${base} ms`);
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	const cc = new TransportCc(5, 0), srtp = new Srtp(key(), salt()), feed = new RtpFeed(ring, { codec: 1, ssrc: 0x1234, seq: 100, payloadType: 102 }, undefined, 5, 0);
	const path = feedPath([]), entry = feed.entry(srtp, cc, path, srtp);
	ring.push(FrameType.video, Codec.h264, true, 100, unit);
	for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) {
		t.throws(() => feed.tick(srtp, cc, path, bad, WALL), { instanceOf: RangeError, code: kitCodes.EARG }, `the feed's tick at ${bad}`);
		t.throws(() => readRtcp(entry, new ArrayBuffer(8), 8, bad, 0), { instanceOf: RangeError, code: kitCodes.EARG }, `readRtcp at ${bad}`);
		t.throws(() => new RtpFeed(ring, { codec: 1, ssrc: 1, seq: 1, payloadType: 102 }, undefined, 5, bad), { instanceOf: RangeError, code: kitCodes.EARG }, `createFeed at ${bad}`);
		t.throws(() => new TransportCc(5, bad), { instanceOf: RangeError, code: kitCodes.EARG }, `createCc at ${bad}`);
		t.throws(() => cc.rate(bad), { instanceOf: RangeError, code: kitCodes.EARG }, `ccRate at ${bad}`);
		t.throws(() => cc.open(1200, bad), { instanceOf: RangeError, code: kitCodes.EARG }, `ccOpen at ${bad}`);
	}
	t.is(cc.stats.packets, 0, "nothing numbered by a refused call");
	feed.close();
	srtp.close();
	ring.close();
});
test("A WebRtcEndpoint 2^32 ms after boot (49.7 days): a viewer offering transport-cc is answered with it, connects, and its feedback drives the rate", async (t) => {
	const fixture = gopFixture(), { unit, ring } = fixture;
	let clock = 2 ** 32 + 1000, timestamp = 1000;
	const { endpoint, toViewer, answer, state, viewer, fromCamera, srtcp, ssrc } = await twccViewer(fixture, () => clock, () => ++clock, () => {});
	t.true(answer.includes(`a=extmap:5 ${TWCC_URI}\r\n`), answer);
	t.is(state, DtlsState.connected);
	for (let i = 0; i < 15; i++) {
		clock += 66;
		timestamp += 66;
		ring.push(FrameType.video, Codec.h264, i === 0, timestamp, unit(i));
		await new Promise((resolve) => Timer.set(resolve, 2));
	}
	const numbers = drained(toViewer).filter((d) => new Uint8Array(d)[1] < 192 || new Uint8Array(d)[1] > 223).map((d) => {
		fromCamera.unprotect(d, d.byteLength);
		return twccNumberOf(d);
	});
	t.true(numbers.length > 15, `${numbers.length} packets`);
	clock += 30;
	endpoint.take(viewerRtcp(srtcp, twccFeedback(ssrc, numbers[0], numbers.map((_, i) => 1 + i), 0)));
	t.true(endpoint.figures()[0].pathRate! > 0, `path ${endpoint.figures()[0].pathRate} B/s`);
	viewer.close();
	endpoint.close();
	ring.close();
});

test("WebRtcSession's pacer on a lossy path: a key frame paced out at the path's rate; a NACKed packet's resend goes at once and the paced packets behind it wait for its bytes (the path takes no more than its rate)", async (t) => {
	const fixture = gopFixture(), { ring } = fixture;
	let clock = 5000;
	const { endpoint, toViewer, nominated, state, viewer, fromCamera, srtcp, ssrc } = await twccViewer(fixture, () => clock, () => ++clock, () => {});
	t.true(nominated);
	t.is(state, DtlsState.connected);
	const rtcp = (bytes: Uint8Array) => endpoint.take(viewerRtcp(srtcp, bytes));
	const nack = (seqs: number[]) => rtcp(nackOf(ssrc, seqs.map((seq) => [seq, 0])));
	/** An IDR access unit of `bytes` (one NAL unit: FU-A packets of ~1.2 KB). */
	const idr = (bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => (i < 4 ? [0, 0, 0, 1][i] : i === 4 ? 0x65 : 0x5a));
	const settle = () => new Promise((resolve) => Timer.set(resolve, 120));   // the pacer's timers run on real time; its clock is ours
	// a first key frame goes whole (no loss yet: no pacing), and the viewer reports its packets 50 ms
	// apart: a path of ~24 KB/s
	ring.push(FrameType.video, Codec.h264, true, 1000, idr(8000));
	await settle();
	const first = drained(toViewer).filter(isRtp);
	t.true(first.length >= 7, `${first.length} packets`);
	const numbers = first.map((d) => { fromCamera.unprotect(d, d.byteLength); return twccNumberOf(d); });
	clock += 400;   // (the report comes after the last of them arrived: their ACK times within [sent, now])
	rtcp(twccFeedback(ssrc, numbers[0], numbers.map((_, i) => 50 * (i + 1)), 0));
	const rate = endpoint.figures()[0].pathRate!;
	t.true(rate > 10_000 && rate < 110_000, `path ${rate} B/s`);   // (its pacer's burst is then 2 packets: 2 x MTU > 20 ms of the rate)
	// the viewer NACKs a number never sent: it is losing packets, so what goes next is paced
	nack([(seqOf(first.at(-1)!) + 1000) & 0xffff]);
	ring.push(FrameType.video, Codec.h264, true, 1066, idr(10_000));
	await settle();
	const burst = drained(toViewer).filter(isRtp).length;
	t.true(burst >= 1 && burst <= 3, `${burst} packets at once of a 9-packet key frame`);
	// the clock moves by two packets of the rate: one or two more go
	const step = Math.ceil(2 * 1200 * 1000 / rate);
	clock += step;
	await settle();
	const paced = drained(toViewer).filter(isRtp).length;
	t.true(paced >= 1 && paced <= 3, `${paced} packets in ${step} ms`);
	// three NACKed packets of the first key frame (more than the step's bytes): resent at once
	nack([seqOf(first[1]), seqOf(first[2]), seqOf(first[3])]);
	t.deepEqual(drained(toViewer).filter(isRtp).map(seqOf), [seqOf(first[1]), seqOf(first[2]), seqOf(first[3])], "resent at once");
	// the same step again: the pacer paid for the resends, nothing more of the frame goes
	clock += step;
	await settle();
	const waited = drained(toViewer).filter(isRtp).length;
	t.is(waited, 0, `the paced packets wait for the resends' bytes (path ${rate} B/s, ${burst} at once, ${paced} in ${step} ms, then ${waited})`);
	clock += 2 * step;
	await settle();
	const after = drained(toViewer).filter(isRtp).length;
	t.true(after >= 1, `then the frame goes on: ${after} packets`);
	t.log(`path ${rate} B/s: ${burst} packets at once, ${paced} in ${step} ms, 0 in the next ${step} ms after 3 resends, ${after} in ${2 * step} ms`);
	viewer.close();
	endpoint.close();
	ring.close();
});

test("WebRtcEndpoint ICE restart: the viewer moved — new credentials both ways (the old ones refused from then on), the session follows the path nominated under them, its DTLS and SRTP carrying on; a fragment without credentials, an unknown session and a second restart within RESTART_MS are refused", async (t) => {
	const { unit, viewerId, cameraId, ring } = gopFixture();
	let clock = 5000;
	const sent: Array<{ bytes: ArrayBuffer; address: string }> = [], logs: string[] = [];
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", hmacSha1, now: () => clock, log: (m) => { logs.push(m); },
		send: (bytes, address) => { sent.push({ bytes: bytes.slice().buffer, address }); }, places: () => 4,
	});
	const answer = await endpoint.offer("0123456789abcdef", viewerOffer(viewerId.fingerprint), async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }]);
	t.true(nominate(endpoint, answer));
	const toViewer: ArrayBuffer[] = [];
	// (not splice(0): XS's splice that removes nothing hands memcpy a null pointer, which UBSan stops)
	const pump = () => {
		for (const d of sent) toViewer.push(d.bytes);
		sent.length = 0;
	};
	pump();
	drained(toViewer);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	const tick = () => { pump(); return ++clock; };
	const through = { take: (d: ArrayBuffer) => { const r = endpoint.take(d as never); pump(); return r; } } as unknown as WebRtcEndpoint;
	t.is(handshakeThrough(through, viewer, toViewer, tick).state, DtlsState.connected);
	// the viewer's network changed: its restart, with a new address among its candidates
	let gathered: unknown;
	const fragment = await endpoint.restart("0123456789abcdef", "a=ice-ufrag:viewerU2\r\na=ice-pwd:viewerPasswordViewer2424\r\na=candidate:1 1 udp 2122260223 10.0.0.77 4100 typ host\r\n",
		async (viewerCandidates) => { gathered = viewerCandidates; return [{ type: "host" as const, address: "10.0.0.1", port: 6000 }]; });
	t.deepEqual(gathered, [{ type: "host", address: "10.0.0.77", port: 4100 }], "the camera gathers for the viewer's new candidates");
	const ufrag = /a=ice-ufrag:(\S+)/.exec(fragment)![1], pwd = /a=ice-pwd:(\S+)/.exec(fragment)![1];
	t.not(ufrag, /a=ice-ufrag:(\S+)/.exec(answer)![1]);
	t.regex(fragment, /a=candidate:1 1 udp \d+ 10\.0\.0\.1 6000 typ host/);
	// a check under the old credentials, from the new address: refused, moves nothing
	sent.length = 0;
	nominate(endpoint, answer, { address: "10.0.0.77", port: 4100 });
	t.is(sent.length, 0, "no answer under the old credentials");
	// under the new ones: answered, and the session moves there
	t.true(nominate(endpoint, `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${pwd}\r\n`, { address: "10.0.0.77", port: 4100 }));
	t.is(sent.at(-1)?.address, "10.0.0.77", "the check's answer");
	sent.length = 0;
	ring.push(FrameType.video, Codec.h264, true, 3000, unit(0));
	await new Promise((resolve) => Timer.set(resolve, 20));
	t.true(sent.length > 0 && sent.every((d) => d.address === "10.0.0.77"), `media to the new path: ${sent.map((d) => d.address).join(" ")}`);
	// the same SRTP keys: the viewer reads the media sent on the new path
	const keys = viewer.srtpKeys();
	const media = new Srtp(keys.remoteKey, keys.remoteSalt);
	const first = sent.find((d) => new Uint8Array(d.bytes)[0] >= 128)!.bytes;
	t.true(media.unprotect(first, first.byteLength) > 12, "decrypted with the keys of the first path's DTLS");
	// refusals
	await t.throwsAsync(() => endpoint.restart("0123456789abcdef", "a=ice-ufrag:viewerU3\r\na=ice-pwd:viewerPasswordViewer2424\r\n", async () => []), { message: /one ICE restart per 2 s/ });
	clock += RESTART_MS;
	await t.throwsAsync(() => endpoint.restart("0123456789abcdef", "a=candidate:1 1 udp 1 10.0.0.78 4100 typ host\r\n", async () => []), { message: /no restart/ });
	await t.throwsAsync(() => endpoint.restart("fedcba9876543210", "a=ice-ufrag:viewerU3\r\na=ice-pwd:viewerPasswordViewer2424\r\n", async () => []), { message: /no session/ });
	t.true(logs.some((l) => /moved to 10\.0\.0\.77:4100 \(ICE restart\)/.test(l)), logs.join("\n"));
	viewer.close();
	endpoint.close();
	ring.close();
});

test("DataChannels (DCEP, RFC 8832): an OPEN is acknowledged on its stream; a command there is answered on it; everything else is refused", (t) => {
	const sent: Array<[number, number, number[]]> = [];
	let ended = "";
	const asked: string[] = [];
	const channels = new CommandChannels({
		send: (stream, ppid, bytes) => (sent.push([stream, ppid, Array.from(new Uint8Array(bytes))]), true),
		command: (bytes) => {
			const text = String.fromCharCode(...new Uint8Array(bytes));
			asked.push(text);
			return text === "close" ? null : Uint8Array.from(`{"ok":true,"echo":${text.length}}`, (c) => c.charCodeAt(0));
		},
		end: (why) => { ended = why; },
		log: () => {},
	});
	const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0)).buffer;
	const open = (label: string, protocol = "", lengthFix = 0) => {
		const bytes = new Uint8Array(12 + label.length + protocol.length);
		const view = new DataView(bytes.buffer);
		bytes[0] = 0x03;   // DATA_CHANNEL_OPEN, reliable, ordered
		view.setUint16(8, label.length + lengthFix);
		view.setUint16(10, protocol.length);
		bytes.set(new Uint8Array(ascii(label + protocol)), 12);
		return bytes.buffer;
	};
	channels.message(1, Ppid.string, ascii("early"));
	t.is(channels.stats.refused, 1, "a message on a stream DCEP did not open");
	channels.message(1, Ppid.dcep, open("commands", "", 1));
	t.is(channels.stats.refused, 2, "an OPEN whose lengths do not add up");
	channels.message(1, Ppid.dcep, open("commands"));
	t.deepEqual(sent, [[1, Ppid.dcep, [0x02]]], "DATA_CHANNEL_ACK on the stream");
	channels.message(1, Ppid.string, ascii("ptz"));
	t.deepEqual(asked, ["ptz"]);
	t.deepEqual(sent[1].slice(0, 2), [1, Ppid.string]);
	t.is(String.fromCharCode(...sent[1][2]), '{"ok":true,"echo":3}');
	channels.message(1, Ppid.binary, ascii("bin"));
	t.is(sent[2][1], Ppid.binary, "answered as it asked");
	channels.message(1, Ppid.stringEmpty, ascii(" "));
	channels.message(3, Ppid.dcep, Uint8Array.of(0x07).buffer);
	t.is(channels.stats.refused, 4, "an empty message carries no command; DCEP that is no OPEN");
	channels.message(1, Ppid.string, ascii("close"));
	t.is(ended, "its command's handler gave no reply");
	t.deepEqual([channels.stats.opened, channels.stats.commands, channels.stats.replies], [1, 3, 2]);
	// the viewer closed it: its stream reset (sctp.h); nothing more is taken there until DCEP opens it again
	channels.message(1, Ppid.reset, new ArrayBuffer(0));
	t.is(channels.stats.closed, 1);
	channels.message(1, Ppid.string, ascii("ptz"));
	t.is(channels.stats.refused, 5, "a message on the closed stream");
	channels.message(1, Ppid.reset, new ArrayBuffer(0));
	t.is(channels.stats.closed, 1, "a reset of a stream not open changes nothing");
	channels.message(1, Ppid.dcep, open("commands"));
	t.is(channels.stats.opened, 2, "opened again on the same stream");
});

test("WebRtcEndpoint audio under the congestion control: numbered transport-wide with the video when the viewer offers TWCC on it (one sequence space), and its bytes count against the viewer's part of the uplink — the sound goes on, the picture yields", async (t) => {
	const { unit, viewerId, cameraId, ring } = gopFixture();
	let clock = 5000, timestamp = 1000;
	const toViewer: ArrayBuffer[] = [], logs: string[] = [];
	const uplink = new Uplink(clock);
	const endpoint = new WebRtcEndpoint({
		identity: cameraId, ring, codec: "h264", audio: "pcmu", hmacSha1, now: () => clock, log: (m) => { logs.push(m); },
		send: inbox(toViewer), places: () => 4, uplink,
	});
	const gather = async () => [{ type: "host" as const, address: "10.0.0.1", port: 6000 }];
	// TWCC on both: the audio section's answer agrees it too, under the video's id
	const numbered = await endpoint.offer("0123456789abcdef", viewerOffer(viewerId.fingerprint, "recvonly", 5), gather);
	const audioSection = numbered.slice(numbered.indexOf("m=audio"));
	t.true(audioSection.includes(`a=extmap:5 ${TWCC_URI}\r\n`) && audioSection.includes("a=rtcp-fb:0 transport-cc\r\n"), audioSection);
	t.true(logs.some((m) => /congestion control by its TWCC feedback \(audio too\)/.test(m)), logs.join("\n"));
	t.true(nominate(endpoint, numbered));
	drained(toViewer);
	const viewer = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	t.is(handshakeThrough(endpoint, viewer, toViewer, () => ++clock).state, DtlsState.connected);
	const keys = viewer.srtpKeys();
	const fromCamera = new Srtp(keys.remoteKey, keys.remoteSalt);
	const audioSsrc = Number(/m=audio[^]*a=ssrc:(\d+) cname/.exec(numbered)![1]);
	const tone = new Uint8Array(160).fill(0x55);
	/** `count` GOPs of the clip at 15 fps with a G.711 frame every 20 ms beside them, the clock moving. */
	const gops = async (count: number) => {
		let audio = 0;
		for (let g = 0; g < count; g++)
			for (let i = 0; i < 15; i++) {
				clock += 66;
				timestamp += 66;
				ring.push(FrameType.video, Codec.h264, i === 0, timestamp, unit(i));
				for (let a = 0; a < 3 + (i % 3 === 0 ? 1 : 0) && audio < (g * 15 + i + 1) * 50 / 15; a++, audio++)
					ring.push(FrameType.audio, Codec.pcmu, true, timestamp + 20 * a, tone);
				await new Promise((resolve) => Timer.set(resolve, 2));
			}
		return audio;
	};
	await gops(1);
	const media = drained(toViewer).filter((d) => new Uint8Array(d)[1] < 192 || new Uint8Array(d)[1] > 223);
	const heard = media.filter((d) => new DataView(d).getUint32(8) === audioSsrc);
	t.true(heard.length >= 45, `${heard.length} audio packets`);
	const numbers = media.map((d) => {
		fromCamera.unprotect(d, d.byteLength);
		const b = new Uint8Array(d);
		t.true((b[0] & 0x10) !== 0 && b[16] === (5 << 4 | 1), "the extension, id 5, on video and audio alike");
		return twccNumberOf(d);
	});
	t.deepEqual(numbers, numbers.map((_, i) => i), "one sequence space: 0, 1, 2, … across both streams");
	endpoint.end("0123456789abcdef", "left");
	drained(toViewer);

	// Under a budget (no TWCC: the part binds): audio always goes, and its bytes count
	const plain = await endpoint.offer("1123456789abcdef", viewerOffer(viewerId.fingerprint, "recvonly"), gather);
	t.false(plain.slice(plain.indexOf("m=audio")).includes("transport-cc"), "not offered on audio: not answered");
	t.true(nominate(endpoint, plain));
	drained(toViewer);
	const second = new DtlsSession(viewerId, DtlsRole.client, cameraId.fingerprint, clock);
	t.is(handshakeThrough(endpoint, second, toViewer, () => ++clock).state, DtlsState.connected);
	const sent = () => endpoint.figures()[0];
	await gops(1);
	const clipRate = unit(0).length + Array.from({ length: 14 }, (_, i) => unit(i + 1).length).reduce((a, b) => a + b, 0);
	const audioRate = 50 * (160 + 50);
	// enough for the video alone with room to spare, not for the video and the sound
	uplink.setRate(Math.round(clipRate * 1.05 + 50 * 15 * 2 + audioRate * 0.2), clock);
	const before = sent();
	const pushed = await gops(4);
	const after = sent();
	t.log(`video ${clipRate} B/s, audio ${audioRate} B/s on the wire; under ${Math.round(clipRate * 1.05 + 1500 + audioRate * 0.2)} B/s: ${after.frames - before.frames} of 60 video frames, ${after.audioFrames - before.audioFrames} of ${pushed} audio frames`);
	t.is(after.audioFrames - before.audioFrames, pushed, "every audio frame went");
	t.true(after.skipped > before.skipped, "video frames waited for the sound's bytes");
	second.close();
	viewer.close();
	endpoint.close();
	ring.close();
});

test("readRtcp reads the viewer's compound SRTCP in C for its feed: a PLI and its report on the video (fraction lost, jitter, the round trip from LSR and DLSR, timed by the wall clock) in the feed's stats, the datagram left as it came; a forged or replayed one refused (-1), a report on another stream or a malformed tail ignored; past RTCP_PER_SECOND dropped unread", (t) => {
	const viewerKey = Uint8Array.from({ length: 16 }, (_, i) => 50 + i).buffer, fromViewer = new Srtp(viewerKey, salt()), viewer = new Srtp(viewerKey, salt());
	const media = 0x1234, ring = new Ring({ maxGopBytes: 64 * 1024 }), srtp = new Srtp(key(), salt());
	const feed = new RtpFeed(ring, { codec: 1, ssrc: media, seq: 100, payloadType: 102 }, undefined, 0, 5000);
	const entry = feed.entry(srtp, undefined, feedPath([]), fromViewer);
	/** The feed's figures of the viewer's reports: [fraction lost in 256ths, jitter ms, round trip ms]. */
	const figures = () => {
		const { fractionLost, jitterMs, rttMs } = feed.stats(undefined, 5000);
		return [fractionLost * 256, jitterMs, rttMs];
	};
	const dlsr = 65536, lsr = (middleOf(WALL) - dlsr - 2621) >>> 0;   // 2,621 / 65,536 s: 40 ms before WALL
	const rr = (ssrc: number) => [0x81, 201, 0, 7, ...bigEndian(7), ...bigEndian(ssrc), 64, 0, 0, 3, ...bigEndian(1000), ...bigEndian(900), ...bigEndian(lsr), ...bigEndian(dlsr)];
	const pli = [0x81, 206, 0, 2, ...bigEndian(7), ...bigEndian(media)];
	const rrtr = [0x80, 207, 0, 4, ...bigEndian(7), 4, 0, 0, 2, ...bigEndian(0xe0001234), ...bigEndian(0x56780000)];
	const compound = viewerRtcp(viewer, Uint8Array.from([...rr(media), ...pli, ...rrtr]));
	const copy = new Uint8Array(compound).slice();
	const got = readRtcp(entry, compound, compound.byteLength, 5000, WALL);
	t.is(got, RtcpGot.keyFrame | RtcpGot.report);
	t.deepEqual(figures(), [64, 10, 40], "a quarter lost, 900 RTP units of jitter (10 ms), 40 ms round trip");
	t.deepEqual(new Uint8Array(compound), copy, "opened in a copy");
	t.is(readRtcp(entry, compound, compound.byteLength, 5001, WALL), -1, "replayed");
	const forged = viewerRtcp(viewer, Uint8Array.from(pli));
	new Uint8Array(forged)[9] ^= 1;
	t.is(readRtcp(entry, forged, forged.byteLength, 5002, WALL), -1, "forged");
	const other = viewerRtcp(viewer, Uint8Array.from([...rr(0x9999), 0x81, 206, 0, 5]));   // a report on another stream, then a packet past the end
	t.is(readRtcp(entry, other, other.byteLength, 5003, WALL), 0);
	t.deepEqual(figures(), [64, 10, 40], "nothing taken from it");
	const noSr = viewerRtcp(viewer, Uint8Array.from([0x81, 201, 0, 7, ...bigEndian(7), ...bigEndian(media), 0, 0, 0, 0, ...bigEndian(1), ...bigEndian(0), 0, 0, 0, 0, 0, 0, 0, 0]));
	t.is(readRtcp(entry, noSr, noSr.byteLength, 5004, WALL), RtcpGot.report);
	t.deepEqual(figures(), [0, 0, 40], "no sender report timed it: the round trip is the last one measured");
	const { rtcp, refusedRtcp, keyFrameRequests } = feed.stats(undefined, 5004);
	t.deepEqual([rtcp, refusedRtcp, keyFrameRequests], [3, 2, 1]);
	const many = Array.from({ length: 400 }, () => viewerRtcp(viewer, Uint8Array.from([...rr(media), ...pli])));
	const before = memory().allocated;
	for (let i = 0; i < many.length; i++) readRtcp(entry, many[i], many[i].byteLength, 6000 + 20 * i, WALL);   // (one a gate's interval: each read)
	t.true((memory().allocated - before) / many.length < 8, "nothing made per packet");
	t.is(feed.stats(undefined, 14_000).rtcp, 3 + many.length);
	for (let i = 0; i < RTCP_PER_SECOND + 30; i++) readRtcp(entry, many[0], many[0].byteLength, 20_000, WALL);
	t.is(feed.stats(undefined, 20_000).droppedRtcp, 30, "a flood past RTCP_PER_SECOND dropped before the HMAC (the rest refused as replays)");
	t.throws(() => readRtcp({} as never, compound, compound.byteLength, 6000, WALL), { instanceOf: TypeError });
	t.throws(() => readRtcp(entry, compound, 4096, 6000, WALL), { instanceOf: RangeError });
	feed.close();
	for (const context of [srtp, fromViewer, viewer]) context.close();
	ring.close();
});

test("the feed's sender reports, made in C on its tick: one per stream a second, on the wall clock it is given (NTP and RTP time), with what each stream sent; the video's answers the viewer's last receiver reference time with the time held (RFC 3611 §4.5), for a minute", (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	const srtp = new Srtp(key(), salt()), reader = new Srtp(key(), salt());
	const viewerKey = Uint8Array.from({ length: 16 }, (_, i) => 90 + i).buffer, fromViewer = new Srtp(viewerKey, salt()), viewer = new Srtp(viewerKey, salt());
	const feed = new RtpFeed(ring, { codec: 1, ssrc: 0x1234, seq: 100, payloadType: 102 }, { codec: Codec.pcmu, ssrc: 0x5678, seq: 7, payloadType: 0, counted: false }, 0, 0);
	const got: Uint8Array[] = [], path = feedPath(got);
	/** The sender reports sent since the last call, opened: [ssrc, NTP seconds, fraction, RTP time, packets, octets, XR's DataView or undefined]. */
	const reports = () => drained(got).filter((d) => !isRtp(d.slice().buffer)).map((d) => {
		const buffer = d.slice().buffer, length = reader.unprotectRtcp(buffer, buffer.byteLength), v = new DataView(buffer);
		t.is(v.getUint8(1), 200, "a sender report first");
		return [v.getUint32(4), v.getUint32(8), v.getUint32(12), v.getUint32(16), v.getUint32(20), v.getUint32(24), length > 28 ? new DataView(buffer, 28, length - 28) : undefined] as const;
	});
	ring.push(FrameType.video, Codec.h264, true, 100, clip.subarray(spans[0], spans[1]));
	ring.push(FrameType.audio, Codec.pcmu, true, 110, new Uint8Array(160).fill(0x7f));
	t.is(feed.tick(srtp, undefined, path, 100, WALL + 250), 1000, "the next reports in a second");
	const first = reports();
	const sent = feed.stats(undefined, 100);
	t.is(first.length, 2, "one a stream");
	t.deepEqual(first[0].slice(0, 6), [0x1234, Math.floor((WALL + 250) / 1000) + 2208988800, 2 ** 30, ((WALL + 250) * 90) % 2 ** 32, sent.packets, sent.payloadBytes], "the video's: NTP and RTP time of the same instant, what it sent");
	t.deepEqual(first[1].slice(0, 6), [0x5678, Math.floor((WALL + 250) / 1000) + 2208988800, 2 ** 30, ((WALL + 250) * 8) % 2 ** 32, 1, 160], "the audio's, on the same wall clock");
	t.is(first[0][6], undefined, "no receiver reference time to answer yet");
	t.true(feed.tick(srtp, undefined, path, 600, WALL + 750) <= 500);
	t.is(reports().length, 0, "not within the second");
	// the viewer's receiver reference time: the next video report answers it, with the time it was held
	const rrtr = viewerRtcp(viewer, Uint8Array.from([0x80, 207, 0, 4, ...bigEndian(7), 4, 0, 0, 2, ...bigEndian(0xe0001234), ...bigEndian(0x56780000)]));
	const entry = feed.entry(srtp, undefined, path, fromViewer);
	entry[FEED_SEND_UNTIL] = 10_000;
	readRtcp(entry, rrtr, rrtr.byteLength, 700, WALL + 850);
	feed.tick(srtp, undefined, path, 1100, WALL + 1250);
	const answered = reports();
	t.is(answered.length, 2);
	const xr = answered[0][6]!;
	t.deepEqual([xr.byteLength, xr.getUint8(1), xr.getUint32(4), xr.getUint8(8), xr.getUint32(12), xr.getUint32(16), xr.getUint32(20)],
		[24, 207, 0x1234, 5, 7, 0x12345678, Math.floor(400 * 65536 / 1000)], "a DLRR from the video echoing the viewer's LRR, held 400 ms");
	t.is(answered[1][6], undefined, "the audio's answers nothing");
	feed.tick(srtp, undefined, path, 60_699, WALL + 60_849);
	t.is(reports()[0][6]!.getUint32(20), Math.floor(59_999 * 65536 / 1000), "answered for a minute");
	feed.tick(srtp, undefined, path, 61_701, WALL + 61_851);
	t.is(reports()[0][6], undefined, "then no more");
	t.is(feed.stats(undefined, 61_701).senderReports, 8);
	feed.close();
	for (const context of [srtp, reader, fromViewer, viewer]) context.close();
	ring.close();
});

test("tickFeeds ticks every viewer's feed in one call: one past its sendUntil (no consent) sends nothing, one whose path's send throws has its error in its entry while the others send, and the soonest delay comes back", (t) => {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	ring.push(FrameType.video, Codec.h264, true, 100, clip.subarray(spans[0], spans[1]));
	const srtp = new Srtp(key(), salt());
	const feeds = [0, 1, 2].map(() => new RtpFeed(ring, { codec: 1, ssrc: 0x1234, seq: 100, payloadType: 102 }, undefined, 0, 0));
	const got: Uint8Array[][] = [[], [], []];
	const paths = [feedPath(got[0]), { ...feedPath(got[1]), send: () => { throw new Error("the viewer's relay is gone"); } }, feedPath(got[2])];
	const entries = feeds.map((feed, i) => feed.entry(srtp, undefined, paths[i], srtp));
	entries[0][FEED_SEND_UNTIL] = entries[1][FEED_SEND_UNTIL] = 1000;
	entries[2][FEED_SEND_UNTIL] = 10;   // its consent lapsed at 10
	const counts = [0];
	const ms = tickFeeds(entries, 10, WALL, counts);
	t.is(counts[0], 1, "one threw");
	t.regex(String(entries[1][FEED_ERROR]), /relay is gone/);
	t.is(entries[0][FEED_ERROR], undefined);
	t.true(got[0].length > 0, "the others sent");
	t.is(got[2].length, 0, "none past its sendUntil");
	t.is(ms, 1000, "nothing more until the ring is pushed to, but the next sender report in a second");
	t.is(tickFeeds([], 20, WALL, counts), -1);
	t.is(counts[0], 0);
	t.throws(() => tickFeeds(entries, 1.5, WALL, counts), { instanceOf: RangeError, code: kitCodes.EARG });
	t.throws(() => tickFeeds(entries, 20, 1.5, counts), { instanceOf: RangeError, code: kitCodes.EARG });
	for (const feed of feeds) feed.close();
	srtp.close();
	ring.close();
});
