// The embedded broker under attack (issue 16 §1): packets refused at their
// fixed header before their bytes are held (a CONNECT before sign-in, any
// packet after it), and retained messages only where the protocol keeps them.
import test from "ava";
import { connect } from "node:net";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Duplex } from "node:stream";
import { connectDevice, eventually, mqttUrlOf } from "./_mqtt.mjs";
import { MqttGate } from "../../build/node/cloud/src/control/mqtt-gate.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;

/** MQTT's variable-length remaining length. */
const remainingLength = (n) => {
	const bytes = [];
	do {
		let byte = n % 128;
		n = Math.floor(n / 128);
		if (n > 0) byte |= 0x80;
		bytes.push(byte);
	} while (n > 0);
	return Buffer.from(bytes);
};

/** Sends a CONNECT header announcing `announced` bytes, then junk as fast as the socket takes it (up to `upTo`); resolves when the server closes it. */
function oversizedConnect(cloud, announced, upTo) {
	return new Promise((resolve) => {
		const socket = connect(cloud.port, "127.0.0.1");
		const junk = Buffer.alloc(Math.min(MiB, upTo), 0x41);
		let written = 0, closed = false;
		const started = Date.now();
		socket.on("error", () => {});
		socket.once("close", () => {
			closed = true;
			resolve({ ms: Date.now() - started, written });
		});
		socket.once("connect", async () => {
			socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(announced)]));
			while (!closed && written < upTo) {
				written += junk.length;
				if (!socket.write(junk)) await new Promise((done) => {
					socket.once("drain", done);
					socket.once("close", done);
				});
			}
			// All sent and still open: give the server 5 s to close it.
			setTimeout(() => resolve({ ms: Infinity, written }), 5000).unref();
		});
	});
}

/** Whether the broker closes `client`'s connection within `ms`. */
const closedWithin = (client, ms) => new Promise((resolve) => {
	const timer = setTimeout(() => resolve(false), ms);
	client.once("close", () => {
		clearTimeout(timer);
		resolve(true);
	});
});

const rss = () => process.memoryUsage().rss;

test.serial("three CONNECTs announcing 256 MiB are refused at the fixed header: closed at once, memory does not grow", async (t) => {
	const cloud = await cloudFor(t);
	global.gc?.();
	const before = rss();
	// Each tries to push 96 MiB of its 256 MiB.
	const results = await Promise.all([0, 1, 2].map(() => oversizedConnect(cloud, 256 * MiB - 1, 96 * MiB)));
	const grown = (rss() - before) / MiB;
	t.log(`closed after ${results.map((r) => r.ms).join(", ")} ms; the attackers got ${results.map((r) => r.written / MiB).join(", ")} MiB into their sockets; RSS +${grown.toFixed(1)} MiB`);
	for (const result of results) t.true(result.ms < 5000, "the connection is closed");
	t.true(grown < 48, `RSS grew by ${grown.toFixed(1)} MiB`);
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, /ivxs_mqtt_packets_refused_total\{reason="connect-size"\} 3/);
	t.is((await fetch(`${cloud.url}/healthz`)).status, 200);
});

test("a CONNECT over the pre-sign-in cap (a few KiB) is refused; one within it gets its CONNACK", async (t) => {
	const cloud = await cloudFor(t, { mqttMaxConnectBytes: 2048 });
	// Only the start of it is sent: refused on its header, not on its contents.
	const result = await oversizedConnect(cloud, 3000, 100);
	t.true(result.ms < 5000);
	const device = await deviceIn(cloud);
	const client = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => client.end(true));
	t.true(client.connected);
});

test("after sign-in a packet over mqttMaxPacketBytes closes the connection; one under it passes", async (t) => {
	const cloud = await cloudFor(t, { mqttMaxPacketBytes: 32 * 1024 });
	const device = await deviceIn(cloud);
	const client = await connectDevice(mqttUrlOf(cloud), device);
	t.teardown(() => client.end(true));
	await client.publishAsync(`ivxs/${device.id}/status`, JSON.stringify({ note: "x".repeat(8000) }), { qos: 1, retain: true });
	await eventually(() => cloud.ctx.sql.db.prepare("SELECT status FROM presence WHERE device = ?").get(device.id)?.status);
	const closed = closedWithin(client, 5000);
	client.publish(`ivxs/${device.id}/event`, "x".repeat(40 * 1024), { qos: 0 });
	t.true(await closed);
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, /ivxs_mqtt_packets_refused_total\{reason="packet-size"\} 1/);
});

for (const [name, topic, bytes] of [
	["on its event topic", "event", 100],
	["on its gap topic", "gap", 100],
	["of a status over 16 KiB", "status", 20 * 1024],
]) {
	test(`a device's retained message ${name} is refused (connection closed, not stored)`, async (t) => {
		const cloud = await cloudFor(t);
		const device = await deviceIn(cloud);
		const client = await connectDevice(mqttUrlOf(cloud), device);
		t.teardown(() => client.end(true));
		const closed = closedWithin(client, 5000);
		client.publish(`ivxs/${device.id}/${topic}`, JSON.stringify({ pad: "x".repeat(bytes) }), { qos: 1, retain: true });
		t.true(await closed);
		await sleep(100);
		t.falsy(cloud.ctx.sql.db.prepare("SELECT status FROM presence WHERE device = ?").get(device.id)?.status);
	});
}

test("the gate reads fixed headers split across chunks: byte by byte, a CONNECT passes, the rest waits for sign-in, then an oversized packet is refused", async (t) => {
	const socket = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
	const refused = [];
	const gate = new MqttGate(socket, { connectBytes: 64, packetBytes: 200 }, (reason, announced) => refused.push([reason, announced]));
	const passed = [];
	gate.on("data", (chunk) => passed.push(...chunk));
	const connectPacket = [0x10, 3, 1, 2, 3];
	const small = [0x30, 0x80, 0x01, ...Array(128).fill(7)]; // remaining length 128 in two bytes
	const big = [0x30, 0xc9, 0x01]; // 201
	for (const byte of [...connectPacket, ...small]) socket.push(Buffer.from([byte]));
	await sleep(20);
	t.deepEqual(passed, connectPacket, "only the CONNECT before sign-in");
	gate.signedIn();
	await sleep(20);
	t.deepEqual(passed, [...connectPacket, ...small]);
	t.deepEqual(refused, []);
	for (const byte of big) socket.push(Buffer.from([byte]));
	await sleep(20);
	t.deepEqual(refused, [["packet-size", 201]]);
	t.true(socket.destroyed);
});

test("the gate refuses a remaining length longer than four bytes", async (t) => {
	const socket = new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } });
	const refused = [];
	new MqttGate(socket, { connectBytes: 64, packetBytes: 200 }, (reason) => refused.push(reason));
	socket.push(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]));
	await sleep(20);
	t.deepEqual(refused, ["malformed"]);
});
