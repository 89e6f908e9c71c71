// Helpers for the camera-app tests: a device file for a cloud, the camera app
// (modules/app/camera) on the XS host, a TCP proxy the test can cut, and what
// the cloud stored counted by ffprobe.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHost } from "./_host.mjs";
import { countFrames, storedStream } from "../cloud/tests/_ingest.mjs";

export const sampleChannel = {
	video: "fixtures/media/h264-main-640x480.h264", codec: "h264",
	audio: "fixtures/media/aac-lc-16k-mono.aac", g711: "fixtures/media/pcm-8k-mono.s16", stills: "fixtures/media/stills",
};

/** Writes a device file (removed at teardown); returns its path. */
export function deviceFile(t, device, cloudUrl, extra = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-camera-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, "device.json");
	writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloudUrl, channels: [sampleChannel], ...extra }, null, 2));
	return file;
}

/**
 * Runs the camera app for `seconds` (`env`: added to the host's environment); resolves with { code, stdout, stderr, summary } where
 * `summary` is its closing figures (per channel: recorder stats; heap peak; native bytes).
 */
export async function runCamera(file, { seconds = 8, args = [], timeoutMs = (seconds + 60) * 1000, onStdout, env } = {}) {
	const result = await runHost(["modules/app/camera", "--", "--device", file, "--seconds", String(seconds), "--summary", ...args], { timeoutMs, onStdout, env });
	const line = result.stdout.split("\n").find((l) => l.startsWith("@@camera "));
	return { ...result, summary: line ? JSON.parse(line.slice(9)) : undefined };
}

/**
 * Runs the camera app as runCamera does and resolves once its control channel is connected (or it
 * ended first): `{ done }`, the run's own promise (wrapped, so awaiting this does not wait for it).
 */
export async function cameraConnected(file, options = {}) {
	let connected;
	const ready = new Promise((resolve) => { connected = resolve; });
	const done = runCamera(file, { ...options, onStdout: (chunk) => {
		if (chunk.includes("control channel connected")) connected();
		options.onStdout?.(chunk);
	} });
	await Promise.race([ready, done]);
	return { done };
}

/** Debian's libfaketime (scripts/test-deps.mjs installs it). */
export const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/**
 * The environment that sets a program's wall clock (libfaketime; its monotonic clock stays true):
 * `faketime` is "+600" / "-600" (seconds off) or "@1970-01-01 00:00:30" (a start time, then running;
 * in UTC, so a time zone east of it cannot make it negative).
 */
export const fakeClock = (faketime) => ({
	TZ: "UTC", LD_PRELOAD: LIBFAKETIME, FAKETIME: faketime, FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_NO_CACHE: "1",
});

/** Every stream the cloud holds for a device channel, with ffprobe's decoded frame counts. */
export async function storedFrames(cloud, device, channel = 0) {
	const streams = cloud.ctx.sql.db.prepare("SELECT stream FROM streams WHERE device = ? AND channel = ? ORDER BY stream").all(device, channel).map((r) => r.stream);
	const out = [];
	for (const stream of streams) {
		const { segments, bytes } = await storedStream(cloud, device, channel, stream);
		out.push({ stream, segments, frames: segments.length ? countFrames(bytes) : {} });
	}
	return out;
}

/** The sum of ffprobe's frame counts over streams: { h264, aac, total }. */
export function totalFrames(streams) {
	const sum = { h264: 0, aac: 0 };
	for (const s of streams) {
		sum.h264 += s.frames.h264 ?? 0;
		sum.aac += s.frames.aac ?? 0;
	}
	return { ...sum, total: sum.h264 + sum.aac };
}

/**
 * A TCP proxy (on 127.0.0.1) to `host`:`port` that the test can cut: `cut(ms)` resets every connection through it and
 * resets new ones for `ms` (a camera losing its network), then lets them through again.
 */
export async function cuttableProxy(t, port, host = "127.0.0.1") {
	const sockets = new Set();
	let downUntil = 0;
	const server = net.createServer((client) => {
		if (Date.now() < downUntil) return client.resetAndDestroy();
		const upstream = net.connect(port, host);
		const pair = { client, upstream };
		sockets.add(pair);
		const drop = () => {
			sockets.delete(pair);
			client.destroy();
			upstream.destroy();
		};
		client.on("error", drop).on("close", drop);
		upstream.on("error", drop).on("close", drop);
		client.pipe(upstream);
		upstream.pipe(client);
	});
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	t.teardown(() => {
		for (const { client, upstream } of sockets) {
			client.destroy();
			upstream.destroy();
		}
		server.close();
	});
	return {
		port: server.address().port,
		cut(ms) {
			downUntil = Date.now() + ms;
			for (const { client, upstream } of [...sockets]) {
				client.resetAndDestroy();
				upstream.destroy();
			}
		},
	};
}
