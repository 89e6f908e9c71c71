/*
 * OTA (issue 15): a release rolled out to 100 simulated devices, staged 10 % → 100 %.
 *
 *   release_to_95pct_s   from the release's upload to 95 of 100 devices confirmed (target ≤ 60 s)
 *   wire_per_bundle      bytes the cloud sent for bundles ÷ (devices × bundle size) (target ≤ 1.05:
 *                        1.000 when nothing is cut; a retry after a cut reads the 16 KiB header again)
 *   disk_per_bundle      bytes one device wrote for an update ÷ bundle size: the payload, the
 *                        unpacked modules, the small records (target ≤ 2.2: payload + unpack)
 *
 * Each simulated device is a Node client of the real cloud: MQTT (signed CONNECT), the retained
 * offer, the real modules/ota agent and updater (header checks with node:crypto's P-256, the
 * streamed, hashed download with signed Range GETs, the unpack), its slots in a temporary folder.
 * The slot record is a stand-in here (stage → trial at once → confirm, the host's part: tested on
 * the XS host by tests/ota/*.test.mjs): the figure is the rollout's pipeline, not a boot.
 *   node bench/run.mjs ota
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { pino } from "pino";
import { root, round } from "../lib.mjs";

const build = (path) => import(join(root, "build", path));

/** A Node stand-in for the Linux host's OTA services (modules/ota/file-slots.ts FileHost) over a
 * folder, counting the bytes it writes. */
function nodeFileHost(folder, crypto, abi) {
	const record = { active: "", activeVersion: "", pending: "", pendingVersion: "", trialSlot: "", trialVersion: "", result: "", reason: "", failedVersion: "", failures: 0, deadline: 120, trial: false, folder };
	const counted = { bytes: 0 };
	const slots = {
		counted, record,
		status: () => ({ ...record }),
		stage(slot, version) { Object.assign(record, { pending: slot, pendingVersion: slot ? version : "" }); },
		confirm() {},
		fail() {},
		abi: () => abi,
		sha256: crypto.sha256,
		verifyP256: crypto.verifyP256,
		digest() {
			const hash = createHash("sha256");
			return { update(data) { hash.update(data); }, digest: () => hash.digest(), close() {} };
		},
		readFile(path, { offset = 0, maxBytes = Infinity } = {}) {
			const fd = openSync(path, "r");
			try {
				const size = Math.max(0, Math.min(maxBytes, statSync(path).size - offset));
				const out = Buffer.alloc(size);
				readSync(fd, out, 0, size, offset);
				return out.buffer.slice(out.byteOffset, out.byteOffset + size);
			}
			finally {
				closeSync(fd);
			}
		},
		fileSize(path) {
			try { return statSync(path).size; } catch { return undefined; }
		},
		openWriter(path, append) {
			const fd = openSync(path, append ? "a" : "w");
			let written = 0;
			return {
				get written() { return written; },
				write(chunks) { for (const c of chunks) { const b = Buffer.from(c.buffer ?? c, c.byteOffset ?? 0, c.byteLength); writeSync(fd, b); written += b.length; counted.bytes += b.length; } },
				truncate() { throw new Error("not used"); },
				sync() { fsyncSync(fd); },
				close() { closeSync(fd); },
			};
		},
		makeDirectory(path) { mkdirSync(path, { recursive: true }); },
		removeTree(path) { rmSync(path, { recursive: true, force: true }); },
		rename(from, to) { renameSync(from, to); },
		replaceFile(path, data) { const tmp = `${path}.tmp`; const fd = openSync(tmp, "w"); writeSync(fd, data); fsyncSync(fd); closeSync(fd); renameSync(tmp, path); counted.bytes += data.length; },
	};
	return slots;
}

/** Signed, ranged GETs with Node's fetch: a RangeFetch of modules/ota/updater.ts. */
function signedRangeFetch(base, device, signRequest, path, requests) {
	return async (offset, end, onData) => {
		requests.push(offset);
		const signed = signRequest({ device: device.id, key: device.secret, method: "GET", path });
		const response = await fetch(`${base}${path}`, { headers: { ...signed.headers, range: `bytes=${offset}-${end ?? ""}` } });
		if (response.status !== 206) throw new Error(`answered ${response.status}`);
		for await (const chunk of response.body) onData(new Uint8Array(chunk));
		return response.status;
	};
}

export async function benchOta({ log, devices: count = 100 } = {}) {
	const [{ loadConfig }, { startCloud }, { addDevice }, { mqttPassword }, { signRequest }, { OtaUpdater }, { OtaAgent }, { fileSlots }] = await Promise.all([
		build("node/cloud/src/config.js"), build("node/cloud/src/server.js"), build("node/cloud/src/devices/registry.js"),
		build("node/cloud/src/control/auth.js"), build("node/cloud/sim/sign.js"), build("ts/modules/ota/updater.js"), build("ts/modules/ota/agent.js"),
		build("ts/modules/ota/file-slots.js"),
	]);
	const { nodeBundleCrypto } = await import(join(root, "scripts/ota-node.mjs"));
	const { makeBundle, makeKey } = await import(join(root, "tests/ota/_ota.mjs"));
	const dir = mkdtempSync(join(tmpdir(), "ivxs-bench-ota-"));
	const password = "bench-admin-password";
	const key = makeKey(dir, "key");
	const cloud = await startCloud(loadConfig({ host: "127.0.0.1", port: 0, dataDir: join(dir, "cloud"), adminPassword: password, logLevel: "warn", maxConnectionsPerAddress: 4096, otaKeys: [key.pub] }, {}), pino({ level: "silent" }));
	const clients = [];
	try {
		const abi = "0123456789abcdef";
		const bundlePath = makeBundle({ key, version: "1.1.0", abi, out: join(dir, "bundle.ivxs") });   // the whole app layer (build/ts)
		const bundleBytes = readFileSync(bundlePath);
		const confirmed = [];
		const requests = [];   // the offset of every GET: a header read is 0
		let published = 0;
		const fleet = [];
		for (let i = 0; i < count; i++) fleet.push(await addDevice(cloud.ctx.sql, { id: `ota-${i}` }));
		log(`ota: ${count} devices, a ${bundleBytes.length}-byte bundle`);
		await Promise.all(fleet.map(async (device) => {
			const fileHost = nodeFileHost(join(dir, device.id), nodeBundleCrypto, abi);
			const slots = fileSlots(fileHost);
			const client = await mqtt.connectAsync(cloud.url.replace(/^http/, "mqtt"), { clientId: device.id, username: device.id, password: mqttPassword(device.id, device.secret), protocolVersion: 4, reconnectPeriod: 0 });
			clients.push(client);
			const report = (ota) => { if (client.connected) client.publish(`ivxs/${device.id}/status`, JSON.stringify({ time: Date.now(), ota }), { qos: 1, retain: true }); };
			const updater = new OtaUpdater({ host: slots, app: "ivxs-camera", keys: { [key.keyId]: key.point } });
			const agent = new OtaAgent({
				device: device.id, slots, updater, report, timer: { set: setTimeout, clear: clearTimeout }, log: () => {},
				fetchOf: (path) => signedRangeFetch(cloud.url, device, signRequest, path, requests),
				onStaged: (version) => {
					// The restart into the trial and its confirmation (the host's part, simulated).
					Object.assign(fileHost.record, { active: fileHost.record.pending, activeVersion: version, pending: "", pendingVersion: "", result: "confirmed" });
					report({ version, slot: fileHost.record.active, state: "confirmed" });
					confirmed.push({ at: Date.now(), written: fileHost.counted.bytes });
				},
			});
			client.on("message", (topic, payload) => agent.offer(payload.length ? JSON.parse(payload.toString()) : undefined));
			await client.subscribeAsync(`ivxs/${device.id}/ota`, { qos: 1 });
		}));
		const { cookie } = await (async () => {
			const res = await fetch(`${cloud.url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "admin", password }) });
			return { cookie: res.headers.get("set-cookie").split(";")[0] };
		})();
		published = Date.now();
		const added = await fetch(`${cloud.url}/v1/releases`, { method: "POST", headers: { cookie, "content-type": "application/octet-stream" }, body: bundleBytes });
		if (added.status !== 201) throw new Error(`release upload: ${added.status}`);
		const rollout = await fetch(`${cloud.url}/v1/rollouts`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ version: "1.1.0", stages: [10, 100] }) });
		if (rollout.status !== 201) throw new Error(`rollout: ${rollout.status}`);
		const need = Math.ceil(count * 0.95);
		const deadline = Date.now() + 180_000;
		while (confirmed.length < need && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
		if (confirmed.length < need) throw new Error(`${confirmed.length} of ${count} devices confirmed within 180 s`);
		const to95 = (confirmed[need - 1].at - published) / 1000;
		const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
		const sent = Number(/^ivxs_release_bytes_sent_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
		const wire = sent / (confirmed.length * bundleBytes.length);
		const disk = confirmed[0].written / bundleBytes.length;
		const figures = {
			devices: count, bundle_bytes: bundleBytes.length, stages: [10, 100],
			requests: requests.length, header_reads: requests.filter((o) => o === 0).length,
			release_to_95pct_s: round(to95, 2), release_to_95pct_target_s: 60,
			wire_per_bundle: round(wire, 3), wire_per_bundle_target: 1.05,
			disk_per_bundle: round(disk, 3), disk_per_bundle_target: 2.2,
		};
		return { ...figures, meets: to95 <= 60 && wire <= 1.05 && disk <= 2.2 };
	}
	finally {
		for (const client of clients) client.end(true);
		await cloud.stop();
		rmSync(dir, { recursive: true, force: true });
	}
}
