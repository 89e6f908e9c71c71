// TLS on the Linux host (embedded:io/socket/tcp/tls on mbedTLS) under the HTTP and MQTT
// clients, against a Node HTTPS server and aedes over TLS with certificates made by openssl
// (tests/_net-servers.mjs testPki): the right CA works; a wrong CA, a wrong name, no CA fail.
import test from "ava";
import TLSSocket from "embedded:io/socket/tcp/tls";
import { codes } from "ivxs/codes";
import { argv, collectGarbage, memory } from "ivxs/host";
import Timer from "timer";
import type { SocketConstructor } from "../../modules/net/connection.js";
import { TlsError } from "../../modules/net/errors.js";
import { HttpClient } from "../../modules/net/http-client.js";
import { MqttClient } from "../../modules/net/mqtt-client.js";
import { utf8Decode } from "../../modules/net/bytes.js";

interface Config { https: number; mqtts: number; plain: number; ca: string; wrongCa: string }
const config = JSON.parse(argv()[1]) as Config;
const socket = TLSSocket as unknown as SocketConstructor;
const https = (secure: Record<string, unknown>, host = "localhost", port = config.https) =>
	new HttpClient({ address: "127.0.0.1", port, host: `localhost:${port}`, socket, socketOptions: { host, secure }, idleTimeout: 5000 });

test("HTTPS with the right CA: requests, keep-alive, a streamed body", async (t) => {
	const client = https({ ca: config.ca });
	const first = await client.request({ path: "/hello" });
	t.is(first.text(), "hello");
	const second = await client.request({ path: "/hello" });
	t.is(second.headers["x-connection"], first.headers["x-connection"], "the TLS connection was reused");
	const big = await client.request({ path: "/big?size=100000", onData() {} });
	t.is(big.status, 200);
	const stream = client.stream({ method: "PUT", path: "/echo" });
	const chunk = new Uint8Array(50000).fill(9);
	for (let i = 0; i < 8; i++) await stream.write([chunk, chunk.subarray(0, 1000 + i)]);
	const echoed = (await stream.end()).json() as { length: number };
	t.is(echoed.length, 8 * 51000 + 28);
	client.close();
});

test("a server certificate from another CA is refused with a TlsError, nothing sent in the clear", async (t) => {
	const client = https({ ca: config.wrongCa });
	const error = await t.throwsAsync(client.request({ path: "/not-for-strangers" }), { instanceOf: TlsError, message: /certificate verification failed/ });
	t.log(String((error as Error).message));
	t.is(((error as Error).cause as { code?: string }).code, codes.HOST_EVERIFY, "the socket's error carries the kit's code");
	client.close();
	const good = https({ ca: config.ca });
	t.is((await good.request({ path: "/seen?path=/not-for-strangers" })).json(), false, "the request never reached the server");
	t.is((await good.request({ path: "/seen?path=/hello" })).json(), true);
	good.close();
});

test("a certificate for another name is refused", async (t) => {
	const client = https({ ca: config.ca }, "camera-cloud.example");
	await t.throwsAsync(client.request({ path: "/hello" }), { instanceOf: TlsError, message: /verification failed.*(CN|name)/i });
	client.close();
});

test("a plaintext server is a TLS error, not a fallback", async (t) => {
	const client = https({ ca: config.ca }, "localhost", config.plain);
	await t.throwsAsync(client.request({ path: "/hello" }), { instanceOf: TlsError });
	client.close();
});

test("no CA, no host name, or a bad CA text is refused before connecting", (t) => {
	const options = (secure: unknown, host?: string) => ({ address: "127.0.0.1", port: config.https, host, secure });
	t.throws(() => new TLSSocket(options(undefined, "localhost") as any), { instanceOf: TypeError, message: /secure\.ca/ });
	t.throws(() => new TLSSocket(options({ ca: config.ca }) as any), { instanceOf: TypeError, message: /host/ });
	t.throws(() => new TLSSocket(options({ ca: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" }, "localhost") as any), { instanceOf: RangeError, message: /CA certificates/ });
});

test("MQTT over TLS to aedes", async (t) => {
	const messages: string[] = [];
	const client = new MqttClient({
		address: "127.0.0.1", port: config.mqtts, clientId: "cam-tls", socket, socketOptions: { host: "localhost", secure: { ca: config.ca } },
		reconnect: false, onMessage(topic, payload) { messages.push(`${topic} ${utf8Decode(payload)}`); },
	});
	await client.connect();
	await client.subscribe("ivxs/cam-tls/cmd");
	await client.publish("ivxs/cam-tls/cmd", "over tls", { qos: 1 });
	for (let waited = 0; !messages.length && waited < 3000; waited += 20) await new Promise<void>((resolve) => { Timer.set(() => resolve(), 20); });
	t.deepEqual(messages, ["ivxs/cam-tls/cmd over tls"]);
	await client.close();
});

test("memory per TLS connection: XS heap and mbedTLS's native bytes", async (t) => {
	const count = 4;
	collectGarbage();
	const before = memory();
	const clients: HttpClient[] = [];
	for (let i = 0; i < count; i++) {
		const client = https({ ca: config.ca });
		await client.request({ path: "/hello" });
		clients.push(client);
	}
	collectGarbage();
	const after = memory();
	const heap = Math.round(((after.chunks - before.chunks) + (after.slots - before.slots)) / count);
	const native = Math.round(((after.native.tls?.bytes ?? 0) - (before.native.tls?.bytes ?? 0)) / count);
	t.log(`per kept-alive HTTPS connection: XS heap ${heap} bytes, mbedTLS ${native} bytes (session, CA chain, I/O buffers)`);
	t.true(native > 0, "mbedTLS's allocations are counted");
	// Two 16 KiB record buffers, the session and the CA chain; the entropy pool (38 KB in
	// Debian's build) is shared by all sessions, not one per connection.
	t.true(native < 48 * 1024, `${native} bytes of mbedTLS per connection`);
	t.true(heap < 6144, `${heap} bytes of XS heap per connection`);
	for (const client of clients) client.close();
	t.is(memory().native.tls?.bytes ?? 0, before.native.tls?.bytes ?? 0, "closing frees every counted byte");
});
