// The HTTP client on the XS host against Node servers started by tests/net.test.mjs (their
// ports come as the second argument: JSON). Runs on XS only (real sockets, the host's timers).
import test from "ava";
import { codes } from "ivxs/codes";
import { argv, collectGarbage, memory } from "ivxs/host";
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import { Connection, type SocketConstructor } from "../../modules/net/connection.js";
import { HttpClient, type HttpResponse } from "../../modules/net/http-client.js";
import { AbortedError, ChangedError, ConnectionRefusedError, ConnectionResetError, LimitError, ProtocolError, ResolveError, SocketError, TimeoutError, TlsError } from "../../modules/net/errors.js";
import { utf8Encode } from "../../modules/net/bytes.js";

interface Config { http: number; slow: number; raw: number; closed: number; blackhole: number; streamSha256: string; streamBytes: number }
const config = JSON.parse(argv()[1]) as Config;
const address = "127.0.0.1";
const client = (options: Record<string, unknown> = {}) => new HttpClient({ address, port: config.http, ...options });
const raw = (path: string, options: Record<string, unknown> = {}) =>
	new HttpClient({ address, port: config.raw, idleTimeout: 2000, ...options }).request({ path });
const json = (r: HttpResponse) => r.json() as Record<string, any>;

test("a GET gets status, headers and body; the connection is reused", async (t) => {
	const http = client();
	const first = await http.request({ path: "/hello" });
	t.is(first.status, 200);
	t.is(first.reason, "OK");
	t.is(first.text(), "hello");
	t.is(first.headers["content-type"], "text/plain");
	const second = await http.request({ path: "/hello" });
	t.is(second.headers["x-connection"], first.headers["x-connection"], "the second request went over the same connection");
	t.true(http.connected);
	http.close();
});

test("requests queue and run one after the other over one connection", async (t) => {
	const http = client();
	const responses = await Promise.all([1, 2, 3, 4].map((n) => http.request({ path: `/hello?n=${n}` })));
	t.deepEqual(responses.map((r) => r.text()), ["hello", "hello", "hello", "hello"]);
	t.is(new Set(responses.map((r) => r.headers["x-connection"])).size, 1);
	http.close();
});

test("a fixed body from a string, bytes or a scatter list arrives whole", async (t) => {
	const http = client();
	const text = json(await http.request({ method: "PUT", path: "/echo", body: "grüße" }));
	t.is(text.length, 7);
	t.is(text.body, "grüße");
	t.is(text.chunked, false);
	const parts = [utf8Encode("ab"), new Uint8Array(0), utf8Encode("cde").subarray(1)];
	const scattered = json(await http.request({ method: "POST", path: "/echo", body: parts, headers: { "X-Test": "1" } }));
	t.is(scattered.body, "abde");
	t.is(scattered.method, "POST");
	t.is(scattered.headers["x-test"], "1");
	http.close();
});

test("a chunked response with trailers is parsed", async (t) => {
	const http = client();
	const r = await http.request({ path: "/chunked" });
	t.is(r.text(), "one,two,three");
	t.is(r.trailers["x-checksum"], "13");
	http.close();
});

test("a response body can be streamed out instead of buffered, and a buffered one is limited", async (t) => {
	const http = client({ maxBodyBytes: 1000 });
	let received = 0;
	const r = await http.request({ path: "/big?size=200000", onData(bytes) { received += bytes.byteLength; } });
	t.is(r.status, 200);
	t.is(received, 200000);
	t.is(r.body.byteLength, 0);
	await t.throwsAsync(http.request({ path: "/big?size=5000" }), { instanceOf: LimitError, message: /larger than 1000/ });
	t.is((await http.request({ path: "/hello" })).text(), "hello", "the client recovers on a new connection");
	http.close();
});

test("a streamed body with trailers: scatter lists, backpressure, trailers after the body", async (t) => {
	const http = client({ port: config.slow });   // a server that reads nothing for its first second
	const stream = http.stream({ method: "PUT", path: "/echo", trailers: ["X-Ivxs-Content-Sha256", "X-Ivxs-Trailer-Signature"] });
	// Two buffers reused for every chunk: a write resolves once the socket took the views, so
	// the buffers may be refilled right after — what the server hashes proves nothing was lost.
	const a = new Uint8Array(40000), b = new Uint8Array(30000);
	let slowest = 0, sent = 0;
	for (let k = 0; sent < config.streamBytes; k++) {
		a.fill(k & 255);
		b.fill((k * 3) & 255);
		const start = Date.now();
		await stream.write([a, b.subarray(0, 25000)]);
		slowest = Math.max(slowest, Date.now() - start);
		sent += 65000;
	}
	const r = json(await stream.end({ "X-Ivxs-Content-Sha256": "abc", "X-Ivxs-Trailer-Signature": "def" }));
	t.is(r.length, config.streamBytes);
	t.is(r.sha256, config.streamSha256);
	t.is(r.chunked, true);
	t.deepEqual({ ...r.trailers }, { "x-ivxs-content-sha256": "abc", "x-ivxs-trailer-signature": "def" });
	t.is(r.headers.trailer, "X-Ivxs-Content-Sha256, X-Ivxs-Trailer-Signature");
	t.log(`a write waited up to ${slowest} ms while the server did not read (backpressure)`);
	t.true(slowest >= 500, `writes never waited (${slowest} ms): no backpressure`);
	http.close();
});

test("a stream template: each request its own path and varying field, the fixed ones alike; bad values refused by name", async (t) => {
	const http = client();
	const template = http.streams({ method: "PUT", headers: { "Content-Type": "video/mp4" }, varying: ["Authorization"], trailers: ["X-Ivxs-Content-Sha256"] });
	for (const n of [1, 2]) {
		const stream = template.stream(`/echo?n=${n}`, [`Token ${n}`]);
		await stream.write([utf8Encode(`body ${n}`)]);
		const r = json(await stream.end([`hash-${n}`]));
		t.is(r.method, "PUT");
		t.is(r.body, `body ${n}`);
		t.is(r.headers.authorization, `Token ${n}`);
		t.is(r.headers["content-type"], "video/mp4");
		t.is(r.headers.trailer, "X-Ivxs-Content-Sha256");
		t.deepEqual({ ...r.trailers }, { "x-ivxs-content-sha256": `hash-${n}` });
	}
	// What a path or a value could do to the head (a field added, the head ended early) is refused, by name.
	for (const value of ["a\r\nInjected: 1", "a\nb", "a\rb", "a\u0000b", "caf\u00e9", "\u0001"])
		t.throws(() => template.stream("/x", [value]), { instanceOf: TypeError, message: "bad value for header Authorization" }, JSON.stringify(value));
	for (const path of ["/a b", "/x HTTP/1.1\r\nInjected: 1\r\nX: y", "/x\ty", "", "/caf\u00e9"])
		t.throws(() => template.stream(path, ["ok"]), { instanceOf: TypeError, message: /^bad request target/ }, JSON.stringify(path));
	t.throws(() => template.stream("/x", []), { instanceOf: TypeError, message: "1 header value(s) expected, 0 given" });
	t.throws(() => http.streams({ varying: ["Bad Name"] }), { instanceOf: TypeError, message: /bad header name/ });
	t.throws(() => http.streams({ varying: ["Host"] }), { instanceOf: TypeError, message: /set by the client/ });
	t.throws(() => http.streams({ headers: { Authorization: "x" }, varying: ["Authorization"] }), { instanceOf: TypeError, message: /both fixed and varying/ });
	t.throws(() => http.streams({ headers: { "X-Evil": "a\r\nInjected: 1" } }), { instanceOf: TypeError, message: "bad value for header X-Evil" });
	// A trailer's value is checked as a field's; the stream can still end after the refusal.
	const stream = template.stream("/echo?n=3", ["Token 3"]);
	await t.throwsAsync(stream.end(["bad\r\nX: 1"]), { instanceOf: TypeError, message: "bad value for header X-Ivxs-Content-Sha256" });
	t.is(json(await stream.end(["good"])).trailers["x-ivxs-content-sha256"], "good");
	http.close();
});

test("a write whose views changed while sent aborts the request: the server gets a broken body", async (t) => {
	const http = client();
	const stream = http.stream({ method: "PUT", path: "/echo?tag=torn" });
	await stream.write([utf8Encode("fine")], () => true);
	await t.throwsAsync(stream.write([utf8Encode("torn")], () => false), { instanceOf: ChangedError });
	await t.throwsAsync(stream.response, { instanceOf: ChangedError });
	t.false(stream.writing, "a failed write leaves none pending");
	await t.throwsAsync(stream.write([utf8Encode("more")]), { instanceOf: ChangedError }, "later writes give the failure");
	const log = json(await http.request({ path: "/log?tag=torn" }));
	t.is(log.complete, false, "the server saw the body cut, not a complete request");
	http.close();
});

test("a server answering before the body ends (401) resolves the response", async (t) => {
	const http = client();
	const stream = http.stream({ method: "PUT", path: "/reject-early" });
	const response = await stream.response.then((r) => r, (e) => e);
	t.is((response as HttpResponse).status, 401);
	await t.throwsAsync(stream.write([new Uint8Array(10)]), { instanceOf: AbortedError });
	t.is((await http.request({ path: "/hello" })).text(), "hello");
	http.close();
});

test("Connection: close is honoured, and a kept-alive connection closed by the server is replaced", async (t) => {
	const http = client({ keepAliveTimeout: 60_000 });
	const closing = await http.request({ path: "/close" });
	t.is(closing.text(), "bye");
	t.false(http.connected);
	const first = await http.request({ path: "/hello" });
	await http.request({ path: "/drop-after" });   // the server closes this connection once it answered
	const again = await http.request({ path: "/hello" });
	t.is(again.text(), "hello");
	t.not(again.headers["x-connection"], first.headers["x-connection"]);
	http.close();
});

test("a refused connection is a ConnectionRefusedError, decided by the socket error's code", async (t) => {
	const http = new HttpClient({ address, port: config.closed });
	const error = await t.throwsAsync(http.request({ path: "/" }), { instanceOf: ConnectionRefusedError, message: /refused/ });
	t.is((error?.cause as { code?: string }).code, codes.HOST_EREFUSED);
	http.close();
});

test("a DNS name is resolved at each connection: localhost through the system's resolver, its address given to the socket", async (t) => {
	let given: unknown;
	const http = new HttpClient({ address: "localhost", port: config.http, socket: class extends (TCP as unknown as SocketConstructor) {
		constructor(options: Record<string, unknown>) {
			given = options.address;
			super(options);
		}
	} as SocketConstructor });
	t.is((await http.request({ path: "/hello" })).text(), "hello");
	t.is(given, "127.0.0.1");
	http.close();
});

test("a name that does not resolve is a ResolveError (code dns) that names it; a connection closed while its name is looked up reports nothing", async (t) => {
	const http = new HttpClient({ address: "no-such-host.invalid", port: config.http });
	const error = await t.throwsAsync(http.request({ path: "/" }), { instanceOf: ResolveError, message: /^no-such-host\.invalid: cannot resolve the name \(.+\)$/ });
	t.is((error as ResolveError).code, "dns");
	http.close();
	const events: string[] = [];
	const connection = new Connection({ address: "localhost", port: config.http }, {
		connectionOpened: () => events.push("opened"), connectionData: () => events.push("data"), connectionClosed: (e) => events.push(`closed ${e.code}`),
	});
	connection.close();
	t.true(connection.closed);
	await new Promise((resolve) => Timer.set(resolve, 300));
	t.deepEqual(events, [], "no callback after close");
	t.throws(() => new Connection({ address: "x".repeat(300), port: config.http }, { connectionOpened() {}, connectionData() {}, connectionClosed() {} }), { instanceOf: ResolveError, message: /a name is 1 to 253 characters/ });
});

// A socket whose onError reports `report` before it connects, as the Moddable SDK's sockets do:
// a message without a code, or nothing.
const failingSocket = (report: unknown) => class {
	target: unknown;
	constructor(options: { target: unknown; onError(this: unknown, error?: unknown): void }) {
		this.target = options.target;
		Timer.set(() => options.onError.call(this, report), 1);
	}
	read() { return undefined; }
	write() { return 0; }
	close() {}
} as unknown as SocketConstructor;

test("a socket error without a code (the Moddable SDK's) is classified by its text", async (t) => {
	const cases: [unknown, new (...args: never[]) => Error][] = [
		[new Error("connection refused"), ConnectionRefusedError],
		[new Error("TLS handshake: bad certificate"), TlsError],
		[new Error("TLS read: connection reset by peer"), ConnectionResetError],
		["disconnected", ConnectionResetError],
		[new Error("network unreachable"), SocketError],
		[undefined, SocketError],   // nothing before the connection opened
	];
	for (const [report, instanceOf] of cases) {
		const http = new HttpClient({ address, port: config.http, socket: failingSocket(report) });
		await t.throwsAsync(http.request({ path: "/" }), { instanceOf }, String(report));
		http.close();
	}
	const coded = Object.assign(new Error("connection refused"), { code: codes.HOST_ETLS });
	const http = new HttpClient({ address, port: config.http, socket: failingSocket(coded) });
	await t.throwsAsync(http.request({ path: "/" }), { instanceOf: TlsError }, "a code wins over the text");
	http.close();
});

test("a connection that never completes is a TimeoutError (connect)", async (t) => {
	const http = new HttpClient({ address, port: config.blackhole, connectTimeout: 300 });
	const start = Date.now();
	const error = await t.throwsAsync(http.request({ path: "/" }), { instanceOf: TimeoutError, message: /connecting/ });
	t.is((error as TimeoutError).phase, "connect");
	t.true(Date.now() - start < 2000);
	http.close();
});

test("a server that stops talking is a TimeoutError (idle)", async (t) => {
	const http = client({ idleTimeout: 300 });
	const error = await t.throwsAsync(http.request({ path: "/slow" }), { instanceOf: TimeoutError, message: /no data for 300 ms/ });
	t.is((error as TimeoutError).phase, "idle");
	http.close();
});

test("malformed responses are ProtocolErrors; resets are ConnectionResetErrors; big heads LimitErrors", async (t) => {
	await t.throwsAsync(raw("/garbage"), { instanceOf: ProtocolError, message: /status line/ });
	await t.throwsAsync(raw("/bad-chunk"), { instanceOf: ProtocolError, message: /chunk size/ });
	await t.throwsAsync(raw("/bad-length"), { instanceOf: ProtocolError, message: /content-length/ });
	await t.throwsAsync(raw("/truncated"), { instanceOf: ConnectionResetError, message: /closed by the peer in the middle of the response/ });
	await t.throwsAsync(raw("/reset"), { instanceOf: ConnectionResetError, message: /reset/ });
	await t.throwsAsync(raw("/silent-close"), { instanceOf: ConnectionResetError, message: /closed by the peer before a response/ });
	await t.throwsAsync(raw("/big-head", { maxHeaderBytes: 4096 }), { instanceOf: LimitError, message: /4096/ });
	const untilClose = await raw("/until-close");
	t.is(untilClose.text(), "all of it");
});

test("bytes after a response are never taken as the next response: the connection is dropped", async (t) => {
	const http = new HttpClient({ address, port: config.raw, idleTimeout: 2000, keepAliveTimeout: 10_000 });
	const [first, second] = await Promise.all([http.request({ path: "/extra" }), http.request({ path: "/after-extra" })]);
	t.is(first.text(), "ok");
	t.is(second.text(), "fresh", "the queued request went out on a new connection, not read from the forged bytes");
	http.close();
});

test("bad requests are refused before anything is sent", (t) => {
	const http = client();
	t.throws(() => http.request({ path: "/x", headers: { "X-Evil": "a\r\nInjected: 1" } }), { instanceOf: TypeError });
	t.throws(() => http.request({ path: "/a b" }), { instanceOf: TypeError });
	t.throws(() => http.request({ path: "/x", headers: { "Content-Length": "3" } }), { instanceOf: TypeError });
	t.throws(() => new HttpClient({ address, port: 0 }), { instanceOf: TypeError });
	http.close();
});

test("memory per connection (XS heap, measured)", async (t) => {
	const count = 8;
	collectGarbage();
	const before = memory();
	const clients: HttpClient[] = [];
	for (let i = 0; i < count; i++) {
		const http = client();
		await http.request({ path: "/hello" });   // connected, idle, kept alive
		clients.push(http);
	}
	collectGarbage();
	const after = memory();
	const perConnection = Math.round(((after.chunks - before.chunks) + (after.slots - before.slots)) / count);
	for (const http of clients) t.true(http.connected);
	t.log(`XS heap per kept-alive HTTP connection: ${perConnection} bytes (chunks ${(after.chunks - before.chunks) / count}, slots ${(after.slots - before.slots) / count})`);
	t.true(perConnection < 4096, `${perConnection} bytes per connection`);
	for (const http of clients) http.close();
});
