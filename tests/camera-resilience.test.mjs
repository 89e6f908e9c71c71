// The camera app on the XS host when the cloud is not what it should be: a TLS cloud with the
// right and the wrong certificate authority, a plaintext server behind an https URL, and a cloud
// restarted in the middle of an upload.
import test from "ava";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { loadConfig } from "../build/node/cloud/src/config.js";
import { startCloud } from "../build/node/cloud/src/server.js";
import { addDevice } from "../build/node/cloud/src/devices/registry.js";
import { testPki } from "./_net-servers.mjs";
import { deviceFile, runCamera, storedFrames, totalFrames } from "./_camera.mjs";

function tlsFiles(t) {
	const pki = testPki();
	const dir = mkdtempSync(join(tmpdir(), "ivxs-tls-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = (name, text) => {
		writeFileSync(join(dir, name), text);
		return join(dir, name);
	};
	return { cert: file("server.pem", pki.cert), key: file("server.key", pki.key), ca: file("ca.pem", pki.ca), wrongCa: file("wrong-ca.pem", pki.wrongCa) };
}

const portOf = (cloud) => Number(new URL(cloud.url).port);

test("xs › over TLS (https and mqtts, the cloud's certificate verified against the device file's CA) the camera uploads", async (t) => {
	const pki = tlsFiles(t);
	const cloud = await cloudFor(t, { tlsCert: pki.cert, tlsKey: pki.key });
	const device = await deviceIn(cloud);
	const run = await runCamera(deviceFile(t, device, `https://localhost:${portOf(cloud)}`, { ca: pki.ca }), { seconds: 6 });
	t.is(run.code, 0, run.stderr + run.stdout);
	t.regex(run.stdout, /control channel connected/);
	const stats = run.summary.channels["0"];
	t.true(stats.segmentsStored >= 2);
	t.is(totalFrames(await storedFrames(cloud, device.id)).total, stats.framesUploaded);
});

test("xs › a cloud whose certificate does not verify is refused, and the camera never falls back to plaintext", async (t) => {
	const pki = tlsFiles(t);
	const cloud = await cloudFor(t, { tlsCert: pki.cert, tlsKey: pki.key });
	const device = await deviceIn(cloud);
	const wrong = await runCamera(deviceFile(t, device, `https://localhost:${portOf(cloud)}`, { ca: pki.wrongCa }), { seconds: 5 });
	t.is(wrong.code, 0, wrong.stderr);
	t.regex(wrong.stdout, /certificate verification failed/i);
	t.notRegex(wrong.stdout, /control channel connected/);
	t.is(wrong.summary.channels["0"].segmentsStored, 0);

	// An https URL that reaches a plaintext cloud: the TLS handshake fails, no request goes out.
	const plain = await cloudFor(t);
	await deviceIn(plain, device.id);
	const fallback = await runCamera(deviceFile(t, device, `https://localhost:${portOf(plain)}`, { ca: pki.ca }), { seconds: 5 });
	t.is(fallback.code, 0, fallback.stderr);
	t.regex(fallback.stdout, /TLS/);
	t.is(fallback.summary.channels["0"].segmentsStored, 0);
	for (const c of [cloud, plain]) {
		t.is(c.ctx.sql.db.prepare("SELECT count(*) AS n FROM streams").get().n, 0, "no stream was even begun");
		t.is(c.ctx.sql.db.prepare("SELECT count(*) AS n FROM presence WHERE online = 1").get()?.n ?? 0, 0);
	}
	// A device file asking for https without a CA is refused before anything starts.
	const noCa = await runCamera(deviceFile(t, device, `https://localhost:${portOf(cloud)}`), { seconds: 1 });
	t.is(noCa.code, 2);
	t.regex(noCa.stdout + noCa.stderr, /"ca" is required with https/);
});

test("xs › a cloud restarted mid-upload shows nothing partial, and the camera resumes from its ring without losing a frame", async (t) => {
	const dataDir = mkdtempSync(join(tmpdir(), "ivxs-restart-"));
	t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
	const logger = pino({ level: "silent" });
	const config = (port) => loadConfig({ host: "127.0.0.1", port, logLevel: "warn", dataDir, shutdownGraceS: 0 }, {});
	let cloud = await startCloud(config(0), logger);
	const port = portOf(cloud);
	const device = await addDevice(cloud.ctx.sql, { id: "restart-cam" });
	t.teardown(() => cloud.stop());
	let restarted = false;
	const run = runCamera(deviceFile(t, device, `http://127.0.0.1:${port}`), {
		seconds: 20,
		onStdout(chunk) {
			if (restarted || !/control channel connected/.test(chunk)) return;
			restarted = true;
			// 5 s in, a segment is on the wire (each is streamed for a second or two): stop the
			// cloud (grace 0 cuts it), keep it down 3 s, start it again on the same port and data.
			setTimeout(async () => {
				await cloud.stop();
				await new Promise((resolve) => setTimeout(resolve, 3000));
				cloud = await startCloud(config(port), logger);
			}, 5000);
		},
	});
	const { code, stdout, stderr, summary } = await run;
	t.is(code, 0, stderr + stdout);
	t.true(restarted);
	const stats = summary.channels["0"];
	t.log(`${stats.segmentsStored} segments stored, ${stats.segmentsResent} resent, ${stats.framesLost} frames lost`);
	t.true(stats.segmentsResent > 0, "the restart interrupted an upload");
	t.is(stats.framesLost, 0);
	const streams = await storedFrames(cloud, device.id);
	t.is(totalFrames(streams).total, stats.framesUploaded, "every stored segment is whole: ffprobe decodes exactly the frames uploaded");
	const seqs = streams.flatMap((s) => s.segments.map((segment) => segment.seq));
	t.deepEqual(seqs, seqs.map((_, i) => i), "segments 0, 1, 2, … with none missing or twice");
	await eventually(() => cloud.ctx.sql.db.prepare("SELECT count(*) AS n FROM segments WHERE device = ?").get(device.id).n === stats.segmentsStored);
});
