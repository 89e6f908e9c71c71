// The WebRTC wire's SRTP core (native/webrtc/srtp.c) against an independent implementation,
// Debian's libsrtp2 (what Chromium's WebRTC uses): native/webrtc/tests/libsrtp_interop.c,
// compiled here (native/Makefile does not link libsrtp2: the host must not) plain and with
// AddressSanitizer + UBSan, must protect every RTP and RTCP packet to the same bytes as libsrtp2
// and unprotect what it protected. And the RTP packetizer (native/webrtc/rtp_video.c) against an
// independent depacketizer, aiortc's (Debian python3-aiortc): the sample clips' packets rebuilt to
// the very NAL units of the clip, which ffprobe decodes frame for frame. The core's own tests:
// native/webrtc/tests (tests/native-c).
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, root, runHost } from "./_host.mjs";
import { scanNalUnits } from "../build/ts/modules/media/annexb.js";

const SOURCES = ["native/webrtc/tests/libsrtp_interop.c", "native/webrtc/srtp.c", "native/webrtc/srtp_crypto.c", "native/webrtc/webrtc_status.c"].map((f) => join(root, f));
const INCLUDES = ["native/webrtc", "native/common", "native/annexb"].map((d) => `-I${join(root, d)}`);
const VARIANTS = { plain: ["-O2"], sanitize: ["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"] };
// SRTP's AES and SHA-1 from Mbed TLS (every host), or from a chip's engines (IVXS_SRTP_ENGINE: the
// ESP32-S3 board's, here a software stand-in behind the same interface, native/common/ivxs_engine.h).
const BACKENDS = {
	"Mbed TLS": [],
	"engine interface": ["-DIVXS_SRTP_ENGINE=1", ...["native/webrtc/srtp_engine.c", "native/common/ivxs_md_stream.c", "native/common/ivxs_engine_linux.c"].map((f) => join(root, f))],
};

for (const [variant, flags] of Object.entries(VARIANTS))
	for (const [backend, extra] of Object.entries(BACKENDS))
		test(`SRTP (${variant}, ${backend}): byte-identical to libsrtp2 for RTP and RTCP, each side unprotects the other's`, async (t) => {
			const dir = join(build, "ctest", variant);
			mkdirSync(dir, { recursive: true });
			const binary = join(dir, extra.length ? "libsrtp_interop_engine" : "libsrtp_interop");
			const cc = spawnSync("gcc", ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", ...flags, ...INCLUDES, ...SOURCES, ...extra, "-lsrtp2", "-lmbedcrypto", "-o", binary], { encoding: "utf8" });
			t.is(cc.status, 0, cc.stderr);
			const run = await runHost([], { binary, timeoutMs: 120_000 });
			t.log(run.stdout.trim());
			t.is(run.code, 0, run.stdout + run.stderr);
			t.regex(run.stdout, /2 passed, 0 failed/);
			t.false(/AddressSanitizer|runtime error:/.test(run.stderr), run.stderr);
		});

/** The clip's NAL units but the access unit delimiters (type 9), each after a 4-byte start code: what a depacketizer rebuilds. */
function nalUnitsOf(clip) {
	const spans = scanNalUnits(clip), parts = [];
	for (let i = 0; i < spans.length; i += 3)
		if ((clip[spans[i + 1]] & 0x1f) !== 9) parts.push(Buffer.from([0, 0, 0, 1]), clip.subarray(spans[i + 1], spans[i + 2]));
	return Buffer.concat(parts);
}

const frameCount = (file) => Number(spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file], { encoding: "utf8" }).stdout.trim());

for (const [clip, mtu] of [["h264-main-640x480.h264", 1200], ["h264-aud-10s-320x240.h264", 1200], ["h264-main-640x480.h264", 300]]) {
	test(`RTP H.264 (${clip}, MTU ${mtu}): aiortc's depacketizer rebuilds every NAL unit of the clip, and ffprobe decodes every frame`, (t) => {
		const dir = mkdtempSync(join(tmpdir(), "ivxs-rtp-"));
		t.teardown(() => rmSync(dir, { recursive: true, force: true }));
		const dump = join(dir, "rtp_dump");
		const sources = ["native/webrtc/tests/rtp_dump.c", "native/webrtc/rtp_video.c", "native/webrtc/webrtc_status.c", "native/annexb/annexb.c"].map((f) => join(root, f));
		const cc = spawnSync("gcc", ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", ...INCLUDES, ...sources, "-o", dump], { encoding: "utf8" });
		t.is(cc.status, 0, cc.stderr);
		const file = join(root, "fixtures/media", clip);
		const packets = spawnSync(dump, ["h264", String(mtu), file], { maxBuffer: 64 * 1024 * 1024 });
		t.is(packets.status, 0, String(packets.stderr));
		const packetFile = join(dir, "packets"), rebuilt = join(dir, "rebuilt.h264");
		writeFileSync(packetFile, packets.stdout);
		const py = spawnSync("/usr/bin/python3", [join(root, "tests/webrtc/aiortc_depacketize.py"), packetFile, rebuilt], { encoding: "utf8" });
		t.is(py.status, 0, py.stderr);
		const report = JSON.parse(py.stdout);
		t.log(report);
		const original = readFileSync(file);
		t.is(report.gaps, 0);
		t.is(report.units, report.timestamps, "one marker per access unit, each with its own timestamp");
		t.true(readFileSync(rebuilt).equals(nalUnitsOf(original)), "the rebuilt stream is the clip's NAL units, byte for byte");
		t.is(frameCount(rebuilt), frameCount(file));
		t.is(report.units, frameCount(file));
	});
}

/** rtcp_dump (native/webrtc/tests/rtcp_dump.c) built once for the RTCP tests. */
function rtcpDump(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-rtcp-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const binary = join(dir, "rtcp_dump");
	const sources = ["native/webrtc/tests/rtcp_dump.c", "native/webrtc/rtcp.c"].map((f) => join(root, f));
	const cc = spawnSync("gcc", ["-std=c11", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror", ...INCLUDES, ...sources, "-o", binary], { encoding: "utf8" });
	t.is(cc.status, 0, cc.stderr);
	return binary;
}

const aiortcRtcp = (...args) => spawnSync("/usr/bin/python3", [join(root, "tests/webrtc/aiortc_rtcp.py"), ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

test("RTCP: 500 compound packets aiortc made (SR, RR, generic NACK, PLI, SDES, BYE) are read field for field as aiortc wrote them", (t) => {
	const made = aiortcRtcp("make", "500", "27");
	t.is(made.status, 0, made.stderr);
	const cases = made.stdout.trim().split("\n").map((line) => JSON.parse(line));
	const read = spawnSync(rtcpDump(t), ["parse"], { input: cases.map((c) => c.hex).join("\n") + "\n", encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
	t.is(read.status, 0, read.stderr);
	const ours = read.stdout.trim().split("\n").map((line) => JSON.parse(line));
	t.is(ours.length, cases.length);
	let nacks = 0;
	cases.forEach((c, i) => {
		t.falsy(ours[i].error, `case ${i}: the walk stopped (${c.hex})`);
		t.is(ours[i].packets.length, c.packets.length);
		c.packets.forEach((expected, k) => {
			t.like(ours[i].packets[k], expected, `case ${i}, packet ${k}`);
			if (expected.type === 206 && expected.count === 1) t.is(ours[i].packets[k].keyFrame, -1, "a PLI asks for a key frame");
			nacks += expected.nacks?.length ?? 0;
		});
	});
	t.log(`${cases.length} compound packets, ${nacks} sequence numbers NACKed`);
});

test("RTCP: the camera's sender report is read by aiortc as written", (t) => {
	const values = ["3735928559", "16045690984503098046", "2864434397", "123456", "987654321"];
	const sr = spawnSync(rtcpDump(t), ["sr", ...values], { encoding: "utf8" });
	t.is(sr.status, 0, sr.stderr);
	const read = aiortcRtcp("read", sr.stdout.trim());
	t.is(read.status, 0, read.stderr);
	t.deepEqual(JSON.parse(read.stdout), [{ type: 200, count: 0, sender: 3735928559, reports: [], info: { ntp: values[1], rtpTimestamp: 2864434397, packets: 123456, octets: 987654321 } }]);
});

/** dtls_peer (native/webrtc/tests/dtls_peer.c: the DTLS-SRTP core as a camera on UDP) built once. */
function dtlsPeer(t, dir) {
	const binary = join(dir, "dtls_peer");
	const sources = ["native/webrtc/tests/dtls_peer.c", "native/webrtc/dtls.c", "native/webrtc/srtp.c", "native/webrtc/srtp_crypto.c", "native/webrtc/webrtc_status.c"].map((f) => join(root, f));
	const cc = spawnSync("gcc", ["-std=c11", "-D_GNU_SOURCE", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror", ...INCLUDES, ...sources, "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-o", binary], { encoding: "utf8" });
	t.is(cc.status, 0, cc.stderr);
	return binary;
}

/** The camera's DTLS-SRTP handshake with openssl s_client (DTLS 1.2, use_srtp, its own P-256 certificate,
 * the key-exchange groups it offers: openssl's default list unless given): both outputs. */
async function opensslHandshake(t, { tellCameraFingerprintOf, groups }) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-dtls-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const peer = dtlsPeer(t, dir);
	const cert = (name) => {
		spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`), "-days", "30", "-subj", `/CN=${name}`]);
		const der = spawnSync("openssl", ["x509", "-in", join(dir, `${name}.pem`), "-outform", "der"]).stdout;
		return createHash("sha256").update(der).digest("hex");
	};
	const fingerprints = { viewer: cert("viewer"), stranger: cert("stranger") };
	const camera = spawn(peer, [fingerprints[tellCameraFingerprintOf]], { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	camera.stdout.setEncoding("utf8").on("data", (c) => { out += c; });
	const exited = new Promise((resolve) => camera.once("close", (code) => resolve(code)));
	for (let i = 0; i < 500 && !/port \d+/.test(out); i++) await new Promise((r) => setTimeout(r, 20));
	const port = out.match(/port (\d+)/)[1];
	const client = spawnSync("openssl", ["s_client", "-dtls1_2", "-use_srtp", "SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
		...(groups ? ["-groups", groups] : []), "-cert", join(dir, "viewer.pem"), "-key", join(dir, "viewer.key"), "-connect", `127.0.0.1:${port}`], { input: "", encoding: "utf8", timeout: 60_000 });
	const code = await exited;
	return { code, out, client: client.stdout + client.stderr };
}

test("DTLS-SRTP: openssl s_client (DTLS 1.2, use_srtp) and the camera's core agree on SRTP_AES128_CM_SHA1_80 and on every byte of the exported SRTP keys", async (t) => {
	const { code, out, client } = await opensslHandshake(t, { tellCameraFingerprintOf: "viewer" });
	t.is(code, 0, out);
	t.regex(client, /SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80/);
	t.regex(client, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
	const theirs = client.match(/Keying material: ([0-9A-F]+)/)[1].toLowerCase();
	const ours = out.match(/srtp ([0-9a-f]+)/)[1];
	t.is(ours, theirs);
});

test("DTLS-SRTP: the camera takes P-256 for the key exchange (the cheaper of the two on mbedTLS 3.6) from a viewer offering X25519 first", async (t) => {
	const { code, out, client } = await opensslHandshake(t, { tellCameraFingerprintOf: "viewer", groups: "X25519:P-256" });
	t.is(code, 0, out);
	t.regex(client, /Server Temp Key: ECDH, prime256v1/);
	t.is(out.match(/srtp ([0-9a-f]+)/)[1], client.match(/Keying material: ([0-9A-F]+)/)[1].toLowerCase());
});

test("DTLS-SRTP: a viewer whose certificate is not the one its SDP named is refused (IVXS_WEBRTC_EAUTH)", async (t) => {
	const { code, out } = await opensslHandshake(t, { tellCameraFingerprintOf: "stranger" });
	t.is(code, 1);
	t.regex(out, /failed -602/);
});

/** aiortc's offer (video, talkback audio, a DataChannel) answered by the camera's writeAnswer with
 * what `accept(video, audio, sdp)` takes: what aiortc agreed, or why it refused the answer. */
async function aiortcNegotiates(t, accept) {
	const sdp = await import("../build/ts/modules/webrtc/sdp.js");
	const py = spawn("/usr/bin/python3", [join(root, "tests/webrtc/aiortc_negotiate.py")], { stdio: ["pipe", "pipe", "pipe"] });
	let out = "", err = "";
	py.stdout.setEncoding("utf8").on("data", (c) => { out += c; });
	py.stderr.setEncoding("utf8").on("data", (c) => { err += c; });
	const exited = new Promise((resolve) => py.once("close", resolve));
	for (let i = 0; i < 300 && !out.includes("\n"); i++) await new Promise((r) => setTimeout(r, 50));
	const offer = sdp.parseOffer(JSON.parse(out.split("\n")[0]).offer);
	const video = offer.media.find((m) => m.kind === "video"), audio = offer.media.find((m) => m.kind === "audio");
	const answer = sdp.writeAnswer(offer, {
		sessionId: "1234567890", ice: { ufrag: "camU", pwd: "camPasswordCamPassword12" }, fingerprint: new Uint8Array(32).fill(0xab),
		candidates: [{ address: "192.0.2.10", port: 40000, type: "host" }],
		accept: accept(video, audio, sdp),
		dataChannel: { maxMessageSize: 2048 },
	});
	py.stdin.end(JSON.stringify({ answer }) + "\n");
	await exited;
	const result = JSON.parse(out.trim().split("\n").pop());
	t.log(result);
	t.true(result.ok, `${result.error}\n${answer}\n${err}`);
	return result;
}

test("SDP: aiortc offers video, talkback audio and a DataChannel; the camera's answer (modules/webrtc/sdp.ts) is one aiortc accepts — H.264, PCMU, SCTP, passive DTLS", async (t) => {
	const result = await aiortcNegotiates(t, (video, audio, { chooseH264, chooseCodec }) => {
		const h264 = chooseH264(video, 66);
		t.truthy(h264, "aiortc offers H.264 with packetization-mode 1");
		return {
			[video.mid]: { codec: h264.codec, ssrc: 1111, direction: "sendonly" },
			[audio.mid]: { codec: chooseCodec(audio, ["PCMU", "PCMA"]), ssrc: 2222, direction: "sendrecv" },
		};
	});
	t.true(result.sctp, "the DataChannel's transport was agreed");
	const tv = result.transceivers.find((x) => x.kind === "video"), ta = result.transceivers.find((x) => x.kind === "audio");
	t.is(tv.direction, "recvonly");
	t.deepEqual(tv.codecs.filter((c) => !c.endsWith("rtx")), ["video/H264"]);
	t.is(ta.direction, "sendrecv");
	t.deepEqual(ta.codecs, ["audio/PCMU"]);
});

test("SDP: an answer that rejects aiortc's audio (a camera without G.711, no talkback) is one aiortc accepts — the rejected section carries the transport's lines", async (t) => {
	const result = await aiortcNegotiates(t, (video, _audio, { chooseH264 }) => ({ [video.mid]: { codec: chooseH264(video, 66).codec, ssrc: 1111, direction: "sendonly" } }));
	t.is(result.transceivers.find((x) => x.kind === "video").direction, "recvonly");
});

const aioice = (...args) => {
	const run = spawnSync("/usr/bin/python3", [join(root, "tests/webrtc/aioice_stun.py"), ...args], { encoding: "utf8" });
	if (run.status !== 0) throw new Error(run.stderr);
	return JSON.parse(run.stdout);
};
const hmacSha1 = (key, data) => { const h = createHmac("sha1", key).update(data).digest(); return h.buffer.slice(h.byteOffset, h.byteOffset + h.length); };

test("ICE checks (modules/webrtc/ice.ts) as aioice reads and writes them: USERNAME, PRIORITY, role, USE-CANDIDATE, MESSAGE-INTEGRITY under the receiver's ice-pwd, FINGERPRINT", async (t) => {
	const { iceCheck, answerCheck, checkResponse } = await import("../build/ts/modules/webrtc/ice.js");
	const camera = { ufrag: "camU", pwd: "cameraPasswordCamera24" }, viewer = { ufrag: "viewerU", pwd: "viewerPasswordViewer24" };
	// ours, read by aioice under the viewer's password (the receiver's)
	const ours = iceCheck({ id: new Uint8Array(12).fill(7), local: camera, remote: viewer, priority: 1853824767, controlling: false, tieBreaker: new Uint8Array(8).fill(9) }, hmacSha1);
	t.like(aioice("read", Buffer.from(ours).toString("hex"), viewer.pwd), { class: 0, method: 1, username: "viewerU:camU", priority: 1853824767, controlled: 0x0909090909090909, useCandidate: false, fingerprint: true, integrity: true });
	t.throws(() => aioice("read", Buffer.from(ours).toString("hex"), camera.pwd), undefined, "aioice refuses it under another password");
	// aioice's nominating check to the camera, answered; the answer read by aioice under the camera's password
	const theirs = aioice("check", "camU:viewerU", camera.pwd);
	const answered = answerCheck(new Uint8Array(Buffer.from(theirs.hex, "hex")), camera, { address: "192.0.2.44", port: 50123 }, hmacSha1);
	t.truthy(answered);
	t.like(answered, { remoteUfrag: "viewerU", priority: 1853824767, nominated: true, role: "controlling" });
	t.deepEqual(aioice("response", Buffer.from(answered.response).toString("hex"), camera.pwd, theirs.id), { class: 256, id: theirs.id, mapped: ["192.0.2.44", 50123], fingerprint: true });
	// and what the camera must not answer: another ufrag, another password, a changed byte, no FINGERPRINT
	t.is(answerCheck(new Uint8Array(Buffer.from(aioice("check", "other:viewerU", camera.pwd).hex, "hex")), camera, { address: "192.0.2.44", port: 1 }, hmacSha1), undefined);
	t.is(answerCheck(new Uint8Array(Buffer.from(aioice("check", "camU:viewerU", "wrongPasswordWrongPass").hex, "hex")), camera, { address: "192.0.2.44", port: 1 }, hmacSha1), undefined);
	const damaged = new Uint8Array(Buffer.from(theirs.hex, "hex"));
	damaged[30] ^= 1;
	t.is(answerCheck(damaged, camera, { address: "192.0.2.44", port: 1 }, hmacSha1), undefined);
	// the viewer's answer to our check, checked by us under its password
	const response = answerCheck(ours, viewer, { address: "198.51.100.9", port: 4242 }, hmacSha1);
	t.deepEqual(checkResponse(response.response, "07".repeat(12), viewer, hmacSha1), { address: "198.51.100.9", port: 4242 });
	t.is(checkResponse(response.response, "08".repeat(12), viewer, hmacSha1), undefined, "not the transaction we sent");
	t.is(checkResponse(response.response, "07".repeat(12), camera, hmacSha1), undefined, "integrity under another password");
});

test("end to end: aiortc watches the camera over WebRTC — SDP offer/answer, ICE (the camera ice-lite), DTLS-SRTP, H.264 over SRTP — and decodes 640×480 frames", async (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-webrtc-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const WATCH = 6;
	const viewer = spawn("/usr/bin/python3", [join(root, "tests/webrtc/aiortc_viewer.py"), String(WATCH)], { stdio: ["pipe", "pipe", "pipe"] });
	let out = "", err = "";
	viewer.stdout.setEncoding("utf8").on("data", (c) => { out += c; });
	viewer.stderr.setEncoding("utf8").on("data", (c) => { err += c; });
	const viewerDone = new Promise((resolve) => viewer.once("close", resolve));
	for (let i = 0; i < 300 && !out.includes("\n"); i++) await new Promise((r) => setTimeout(r, 50));
	const offerFile = join(dir, "offer.sdp");
	writeFileSync(offerFile, JSON.parse(out.split("\n")[0]).offer);
	let answered;
	const gotAnswer = new Promise((resolve) => { answered = resolve; });
	const camera = runHost(["tests/xs-apps/webrtc-camera", "--", offerFile, String(WATCH + 8)], {
		timeoutMs: 60_000, onStdout: (chunk) => { const m = chunk.match(/@@answer (.*)\n/); if (m) answered(JSON.parse(m[1])); },
	});
	const answer = await Promise.race([gotAnswer, camera.then((r) => ({ error: r.stdout + r.stderr }))]);
	t.falsy(answer.error, answer.error);
	viewer.stdin.end(JSON.stringify({ answer: answer.answer }) + "\n");
	await viewerDone;
	const run = await camera;
	const seen = JSON.parse(out.trim().split("\n").pop());
	const sent = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@webrtc ")).slice(9));
	t.log({ seen, sent });
	t.is(run.code, 0, run.stdout + run.stderr);
	t.is(sent.failed, "");
	t.true(sent.connected && sent.checks > 0 && sent.refusedChecks === 0);
	t.is(seen.ice, "completed", err.slice(-2000));
	t.true(seen.frames >= WATCH * 15 * 0.6, `${seen.frames} frames decoded in ${WATCH} s (15 fps)`);
	t.deepEqual([seen.width, seen.height], [640, 480]);
});
