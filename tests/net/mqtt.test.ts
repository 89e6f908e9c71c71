// The MQTT client on the XS host against an aedes broker (behind a proxy the test controls)
// started by tests/net.test.mjs; the broker's control endpoint is called with the HTTP client.
import test from "ava";
import { argv, collectGarbage, memory } from "ivxs/host";
import Timer from "timer";
import { HttpClient } from "../../modules/net/http-client.js";
import { ConnectRejectedError, jsonPayload, MqttClient, type MqttClientOptions } from "../../modules/net/mqtt-client.js";
import { ConnectionRefusedError, NetError, TimeoutError } from "../../modules/net/errors.js";
import { utf8Decode } from "../../modules/net/bytes.js";

interface Config { broker: number; proxy: number; control: number; closed: number }
const config = JSON.parse(argv()[1]) as Config;
const address = "127.0.0.1";
const control = new HttpClient({ address, port: config.control });
// Control calls: those that change something are POSTs (with a body, possibly empty).
const call = async (path: string, body?: string) => {
	const post = body !== undefined || /^\/(publish|drop|freeze|cut)/.test(path);
	return (await control.request({ method: post ? "POST" : "GET", path, body: post ? body ?? "" : undefined })).json() as any;
};
const delay = (ms: number) => new Promise<void>((resolve) => { Timer.set(() => resolve(), ms); });

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
	const start = Date.now();
	while (!(await check())) {
		if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
		await delay(20);
	}
}

interface Message { topic: string; payload: string; bytes: Uint8Array; retain: boolean; qos: number }

function mqtt(options: Partial<MqttClientOptions> & { clientId: string }) {
	const messages: Message[] = [];
	const disconnects: NetError[] = [];
	let connects = 0;
	const client = new MqttClient({
		address, port: config.proxy, keepAlive: 30, reconnect: { minDelay: 50, maxDelay: 400 },
		onMessage(topic, payload, info) { messages.push({ topic, payload: utf8Decode(payload), bytes: payload.slice(), retain: info.retain, qos: info.qos }); },
		onDisconnect(error) { disconnects.push(error); },
		onConnect() { connects++; },
		...options,
	});
	return { client, messages, disconnects, connects: () => connects };
}

test("connect with user name, password and will; publish QoS 0 and 1 to our own subscription", async (t) => {
	const { client, messages } = mqtt({ clientId: "cam-basic", username: "cam-basic", password: () => "signed-at-connect" });
	await client.connect();
	t.true(client.connected);
	t.deepEqual(await client.subscribe("test/basic/+", 1), [1]);
	await client.publish("test/basic/a", "zero", { qos: 0 });
	await client.publish("test/basic/b", JSON.stringify({ n: 1 }), { qos: 1 });
	t.is(client.outboxSize, 0, "the PUBACK arrived");
	await until("both messages", () => messages.length >= 2);
	t.deepEqual(messages.map((m) => [m.topic, m.payload, m.qos]), [["test/basic/a", "zero", 0], ["test/basic/b", '{"n":1}', 1]]);
	await client.close();
	t.false(client.connected);
});

test("a retained message arrives on subscribe, flagged retained", async (t) => {
	await call("/publish?topic=ivxs/cam-r/plan&retain=1", JSON.stringify({ v: 1, rev: 7, mode: "event" }));
	const { client, messages } = mqtt({ clientId: "cam-r" });
	await client.connect();
	await client.subscribe("ivxs/cam-r/plan");
	await until("the retained plan", () => messages.length > 0);
	t.true(messages[0].retain);
	t.deepEqual(JSON.parse(messages[0].payload), { v: 1, rev: 7, mode: "event" });
	await client.close();
});

test("the last will goes out when the connection dies, not on a clean close", async (t) => {
	const will = { topic: "ivxs/cam-w/presence", payload: '{"online":false}', qos: 1 as const, retain: true };
	const first = mqtt({ clientId: "cam-w", will, reconnect: false });
	await first.client.connect();
	await first.client.close();
	await delay(100);
	t.deepEqual(await call("/log?topic=ivxs/cam-w/presence"), [], "no will after DISCONNECT");

	const second = mqtt({ clientId: "cam-w", will, reconnect: false });
	await second.client.connect();
	await call("/drop?id=cam-w");
	await until("the will", async () => (await call("/log?topic=ivxs/cam-w/presence")).length > 0);
	const [entry] = await call("/log?topic=ivxs/cam-w/presence");
	t.is(entry.payload, '{"online":false}');
	t.is(entry.retain, true);
	await until("the disconnect", () => second.disconnects.length > 0);
	t.false(second.client.connected);
	await second.client.close();
});

test("after a lost connection: backoff, reconnect, subscriptions made again, the retained plan again", async (t) => {
	await call("/publish?topic=ivxs/cam-re/plan&retain=1", '{"rev":1}');
	const { client, messages, disconnects, connects } = mqtt({ clientId: "cam-re" });
	await client.connect();
	await client.subscribe(["ivxs/cam-re/plan", "ivxs/cam-re/cmd"]);
	await until("the plan", () => messages.length === 1);
	await call("/drop?id=cam-re");
	await until("the reconnect", () => connects() === 2);
	t.true(disconnects[0] instanceof NetError, String(disconnects[0]));
	await until("the plan again", () => messages.length === 2);
	t.true(messages[1].retain);
	await call("/publish?topic=ivxs/cam-re/cmd", '{"type":"snapshot"}');
	await until("a command on the resumed subscription", () => messages.length === 3);
	t.deepEqual(jsonPayload(messages[2].bytes), { type: "snapshot" });
	await client.close();
});

test("a QoS 1 message not acknowledged is sent again with DUP after the reconnect; QoS 0 offline is refused", async (t) => {
	const { client, connects } = mqtt({ clientId: "cam-dup" });
	await client.connect();
	await call("/freeze?on=1");
	let acked = false;
	const publish = client.publish("ivxs/cam-dup/event", '{"id":"e1"}', { qos: 1 }).then(() => { acked = true; });
	await delay(100);
	t.is(client.outboxSize, 1);
	await call("/cut");
	await call("/freeze?on=0");
	await t.throwsAsync(client.publish("ivxs/cam-dup/x", "now", { qos: 0 }), { instanceOf: NetError, message: /not connected/ });
	await until("the reconnect", () => connects() === 2);
	await publish;
	t.true(acked);
	const received = await call("/received?topic=ivxs/cam-dup/event");
	t.deepEqual(received.map((r: any) => r.dup), [true], "the broker got the resent copy, flagged DUP (the first never passed the frozen proxy)");
	await client.close();
});

test("keep-alive: PINGREQs while idle; a broker that stops answering is a keepalive TimeoutError and a reconnect", async (t) => {
	const { client, disconnects, connects } = mqtt({ clientId: "cam-ka", keepAlive: 1, pingTimeout: 400 });
	await client.connect();
	await delay(3000);   // pings at about 1–1.25 s and 2–2.5 s (a 250 ms tick), with room for a loaded machine
	t.true((await call("/pings?id=cam-ka")) >= 2, "PINGREQ about once a second");
	await call("/freeze?on=1");
	await until("the keepalive timeout", () => disconnects.length > 0, 4000);
	t.true(disconnects[0] instanceof TimeoutError, String(disconnects[0]));
	t.is((disconnects[0] as TimeoutError).phase, "keepalive");
	await call("/freeze?on=0");
	await call("/cut");
	await until("the reconnect", () => connects() >= 2, 4000);
	await client.close();
});

test("a refused CONNECT is a ConnectRejectedError with the return code; no broker is ConnectionRefusedError", async (t) => {
	const bad = mqtt({ clientId: "cam-bad", username: "bad", password: "x", reconnect: false });
	const error = await t.throwsAsync(bad.client.connect(), { instanceOf: ConnectRejectedError, message: /bad user name or password/ });
	t.is((error as ConnectRejectedError).returnCode, 4);
	const none = mqtt({ clientId: "cam-none", port: config.closed, reconnect: false });
	await t.throwsAsync(none.client.connect(), { instanceOf: ConnectionRefusedError });
});

test("wrong use is refused at once", (t) => {
	const { client } = mqtt({ clientId: "cam-use", reconnect: false });
	t.throws(() => client.publish("a/+/b", "x"), { instanceOf: TypeError });
	t.throws(() => client.publish("", "x"), { instanceOf: TypeError });
	t.throws(() => client.subscribe("a/#/b"), { instanceOf: TypeError });
	t.throws(() => client.subscribe("a/b+"), { instanceOf: TypeError });
	t.throws(() => new MqttClient({ address, port: 1, clientId: "x", keepAlive: 70000 }), { instanceOf: RangeError });
	t.throws(() => new MqttClient({ address, port: 1, clientId: "x", will: { topic: "a/#", payload: "" } }), { instanceOf: TypeError });
});

test("memory per MQTT connection (XS heap, measured)", async (t) => {
	const count = 4;
	collectGarbage();
	const before = memory();
	const clients: MqttClient[] = [];
	for (let i = 0; i < count; i++) {
		const client = new MqttClient({ address, port: config.broker, clientId: `cam-mem-${i}`, keepAlive: 60 });
		await client.connect();
		await client.subscribe(`ivxs/cam-mem-${i}/plan`);
		clients.push(client);
	}
	collectGarbage();
	const after = memory();
	const perConnection = Math.round(((after.chunks - before.chunks) + (after.slots - before.slots)) / count);
	t.log(`XS heap per connected MQTT client (one subscription): ${perConnection} bytes`);
	t.true(perConnection < 4096, `${perConnection} bytes per connection`);
	for (const client of clients) await client.close();
	control.close();
});
