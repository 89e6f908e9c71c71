// Servers for the network tests of modules/net (tests/net.test.mjs): a Node HTTP server with
// the routes tests/net/http.test.ts asks for, a raw TCP server that answers with broken
// responses, a closed port, a port that never completes a connection, and an aedes MQTT broker.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { once } from "node:events";

const listen = async (server) => {
	server.listen(0, "127.0.0.1");
	await once(server, "listening");
	return server.address().port;
};

// `tls`: { key, cert } for an HTTPS server with the same routes.
export async function httpServer({ tls: secure } = {}) {
	let connections = 0;
	const log = new Map();
	const seen = new Set();
	const handler = (req, res) => {
		const url = new URL(req.url, "http://x");
		const path = url.pathname;
		if (path === "/seen") return res.end(JSON.stringify(seen.has(url.searchParams.get("path"))));
		seen.add(path);
		res.setHeader("X-Connection", String(req.socket.connectionId));
		if (path === "/hello") {
			res.setHeader("Content-Type", "text/plain");
			return res.end("hello");
		}
		if (path === "/echo") {
			const tag = url.searchParams.get("tag");
			if (tag) log.set(tag, { complete: false });
			const hash = createHash("sha256");
			const parts = [];
			let length = 0;
			req.on("data", (data) => {
				hash.update(data);
				length += data.length;
				if (length < 4096) parts.push(data);
			});
			req.on("end", () => {
				if (tag) log.set(tag, { complete: true });
				res.setHeader("Content-Type", "application/json");
				res.end(JSON.stringify({
					method: req.method, length, sha256: hash.digest("hex"), chunked: req.headers["transfer-encoding"] === "chunked",
					trailers: req.trailers, headers: req.headers, body: length < 4096 ? Buffer.concat(parts).toString("utf8") : undefined,
				}));
			});
			return;
		}
		if (path === "/log") return res.end(JSON.stringify(log.get(url.searchParams.get("tag")) ?? null));
		if (path === "/chunked") {
			res.writeHead(200, { Trailer: "X-Checksum" });
			res.write("one,");
			res.write("two,");
			res.write("three");
			res.addTrailers({ "X-Checksum": "13" });
			return res.end();
		}
		if (path === "/big") return res.end(Buffer.alloc(Number(url.searchParams.get("size")), 7));
		if (path === "/close") {
			res.setHeader("Connection", "close");
			return res.end("bye");
		}
		if (path === "/drop-after") {
			res.on("finish", () => req.socket.destroy());
			return res.end("x");
		}
		if (path === "/reject-early") {
			res.writeHead(401, { "Content-Type": "application/json" });
			return res.end('{"error":"bad signature"}');
		}
		if (path === "/slow") return;   // never answers
		res.writeHead(404);
		res.end();
	};
	const server = secure ? https.createServer(secure, handler) : http.createServer(handler);
	server.on(secure ? "secureConnection" : "connection", (socket) => { socket.connectionId = ++connections; });
	server.keepAliveTimeout = 5000;
	const port = await listen(server);
	return { port, close: () => { server.closeAllConnections(); server.close(); } };
}

// A TCP proxy to `port` that reads nothing from a new connection for `pauseMs`: the kernel's
// buffers fill and the client has to wait (backpressure). Node's HTTP server reads its sockets
// below the stream API, so pausing one of its sockets would not stop it; a proxy does.
export async function pausingProxy(port, pauseMs) {
	const sockets = new Set();
	const server = net.createServer((client) => {
		const upstream = net.connect(port, "127.0.0.1");
		for (const s of [client, upstream]) {
			sockets.add(s);
			s.on("error", () => { client.destroy(); upstream.destroy(); });
			s.on("close", () => sockets.delete(s));
		}
		upstream.pipe(client);
		// No 'data' listener until then: the socket buffers a little and stops reading.
		setTimeout(() => client.pipe(upstream), pauseMs);
	});
	const proxyPort = await listen(server);
	return { port: proxyPort, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

// Answers by the request's path with broken or unusual responses.
export async function rawServer() {
	const answers = {
		"/garbage": (s) => s.end("HTTX/1.1 200 OK\r\n\r\n"),
		"/bad-chunk": (s) => s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
		"/bad-length": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n"),
		"/truncated": (s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"),
		"/reset": (s) => { s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"); setTimeout(() => s.resetAndDestroy(), 50); },
		"/silent-close": (s) => s.end(),
		"/big-head": (s) => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(5000)}\r\n\r\n`),
		"/until-close": (s) => s.end("HTTP/1.1 200 OK\r\n\r\nall of it"),
		"/extra": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged"),
		"/after-extra": (s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"),
	};
	const sockets = new Set();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on("close", () => sockets.delete(socket));
		socket.on("error", () => {});
		let text = "";
		socket.on("data", (data) => {
			text += data.toString("latin1");
			if (!text.includes("\r\n\r\n")) return;
			const path = text.split(" ")[1];
			(answers[path] ?? ((s) => s.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")))(socket);
		});
	});
	const port = await listen(server);
	return { port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

// A port nothing listens on.
export async function closedPort() {
	const server = net.createServer();
	const port = await listen(server);
	server.close();
	await once(server, "close");
	return port;
}

// A port whose connections never complete: a listener with a full backlog that never accepts
// (Linux then drops further SYNs). Node always accepts, so a small Python program holds it.
export async function blackhole() {
	const program = [
		"import socket, sys, time",
		"s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
		"port = s.getsockname()[1]; fill = []",
		"for i in range(3):",
		"    c = socket.socket(); c.setblocking(False)",
		"    try: c.connect(('127.0.0.1', port))",
		"    except BlockingIOError: pass",
		"    fill.append(c)",
		"time.sleep(0.2); print(port, flush=True)",
		"sys.stdin.read()",
	].join("\n");
	const child = spawn("python3", ["-c", program], { stdio: ["pipe", "pipe", "inherit"] });
	const [line] = await once(child.stdout, "data");
	return { port: Number(String(line).trim()), close: () => child.kill() };
}

// The bytes tests/net/http.test.ts streams: chunk k is 40,000 bytes of k and 25,000 of 3k (mod 256).
export function streamDigest(total) {
	const hash = createHash("sha256");
	for (let k = 0, sent = 0; sent < total; k++, sent += 65000) {
		hash.update(Buffer.alloc(40000, k & 255));
		hash.update(Buffer.alloc(25000, (k * 3) & 255));
	}
	return hash.digest("hex");
}

// An aedes MQTT broker behind a proxy the tests control, and an HTTP control endpoint the XS
// test calls (with the HTTP client under test):
//   POST /publish?topic=…&retain=1   publishes the body (QoS 1) from the broker
//   GET  /log?topic=…                what was published on that topic (wills included), in order
//   GET  /received?topic=…           PUBLISH packets clients sent on it, with their DUP flags
//   GET  /pings?id=…                 PINGREQs from that client
//   POST /drop?id=…                  the broker drops that client's connection (no DISCONNECT: its will goes out)
//   POST /freeze?on=1|0              the proxy stops forwarding (both ways) / forwards again
//   POST /cut                        the proxy closes every connection
// User name "bad" is refused with return code 4.
export async function mqttBroker({ tls: secure } = {}) {
	const { default: Aedes } = await import("aedes");
	const aedes = new Aedes();
	const log = [], received = [], pings = new Map();
	aedes.authenticate = (client, username, password, done) => {
		if (username === "bad") {
			const error = new Error("bad user name or password");
			error.returnCode = 4;
			return done(error, false);
		}
		done(null, true);
	};
	aedes.authorizePublish = (client, packet, done) => {
		received.push({ topic: packet.topic, dup: !!packet.dup, qos: packet.qos, payload: packet.payload.toString() });
		done(null);
	};
	aedes.on("publish", (packet, client) => {
		if (!packet.topic.startsWith("$SYS"))
			log.push({ topic: packet.topic, payload: packet.payload.toString(), retain: !!packet.retain, client: client?.id ?? null });
	});
	aedes.on("ping", (packet, client) => pings.set(client.id, (pings.get(client.id) ?? 0) + 1));
	const brokerServer = net.createServer(aedes.handle);
	const brokerPort = await listen(brokerServer);
	const tlsServer = secure ? tls.createServer(secure, aedes.handle) : undefined;
	const tlsPort = tlsServer ? await listen(tlsServer) : undefined;

	let frozen = false;
	const pairs = new Set();
	const proxy = net.createServer((client) => {
		const upstream = net.connect(brokerPort, "127.0.0.1");
		const pair = [client, upstream];
		pairs.add(pair);
		const end = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
		for (const [from, to] of [[client, upstream], [upstream, client]]) {
			from.on("data", (data) => { if (!frozen) to.write(data); });
			// Frozen, the proxy passes nothing on, a close neither (the broker's own keep-alive
			// would otherwise tell the client); /cut closes what is left.
			from.on("error", () => { if (!frozen) end(); });
			from.on("close", () => { if (!frozen) end(); });
		}
	});
	const proxyPort = await listen(proxy);

	const control = http.createServer((req, res) => {
		const url = new URL(req.url, "http://x");
		const q = (name) => url.searchParams.get(name);
		const parts = [];
		req.on("data", (d) => parts.push(d));
		req.on("end", () => {
			const reply = (value) => { res.setHeader("Content-Type", "application/json"); res.end(JSON.stringify(value ?? null)); };
			switch (url.pathname) {
			case "/publish":
				return aedes.publish({ cmd: "publish", topic: q("topic"), payload: Buffer.concat(parts), qos: 1, retain: q("retain") === "1", dup: false },
					() => reply({ ok: true }));
			case "/log": return reply(log.filter((e) => e.topic === q("topic")));
			case "/received": return reply(received.filter((e) => e.topic === q("topic")));
			case "/pings": return reply(pings.get(q("id")) ?? 0);
			case "/drop": {
				const client = aedes.clients[q("id")];
				client?.conn.destroy();
				return reply({ dropped: !!client });
			}
			case "/freeze":
				frozen = q("on") === "1";
				return reply({ frozen });
			case "/cut":
				for (const [a, b] of pairs) { a.destroy(); b.destroy(); }
				pairs.clear();
				return reply({ ok: true });
			default:
				res.writeHead(404);
				res.end();
			}
		});
	});
	const controlPort = await listen(control);
	return {
		brokerPort, proxyPort, controlPort, tlsPort,
		close: () => {
			tlsServer?.close();
			for (const [a, b] of pairs) { a.destroy(); b.destroy(); }
			control.closeAllConnections();
			control.close();
			proxy.close();
			brokerServer.close();
			aedes.close();
		},
	};
}

// A verifier of cloud/PROTOCOL.md §2 and §5 on the tests' oracle (written from the page, not from
// modules/protocol): every
// request to /v1/… is checked and answered { ok, reason, … }; 401 carries X-Ivxs-Time. The time
// exchange (§2.1, any signature time) answers the clock `timeMs()` (default the real one) signed
// over the request's nonce.
export async function signingServer({ deviceId, secret, timeMs = Date.now }) {
	const oracle = await import("./_protocol-oracle.mjs");
	const seen = new Set();
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, "http://x");
		const hash = createHash("sha256");
		req.on("data", (d) => hash.update(d));
		req.on("end", () => {
			const now = Math.floor(Date.now() / 1000);
			const reply = (status, value) => {
				res.writeHead(status, { "Content-Type": "application/json", "X-Ivxs-Time": String(now) });
				res.end(JSON.stringify(value));
			};
			if (url.pathname === "/mqtt") {
				const ok = oracle.mqttPasswordValid(secret, deviceId, url.searchParams.get("password") ?? "", now);
				return reply(ok ? 200 : 401, { ok });
			}
			const fields = oracle.parseAuthorization(req.headers.authorization);
			if (!fields) return reply(401, { ok: false, reason: "no or malformed Authorization" });
			const { device, time, nonce, signature } = fields;
			const declared = req.headers["x-ivxs-content-sha256"];
			if (device !== deviceId) return reply(401, { ok: false, reason: "unknown device" });
			const timeExchange = req.method === "GET" && url.pathname === `/v1/devices/${deviceId}/time`;
			if (!timeExchange && Math.abs(now - Number(time)) > 300) return reply(401, { ok: false, reason: "clock skew" });
			if (seen.has(nonce)) return reply(401, { ok: false, reason: "replayed nonce" });
			if (oracle.signature(secret, req.method, req.url, time, nonce, declared) !== signature) return reply(401, { ok: false, reason: "bad signature" });
			seen.add(nonce);
			if (timeExchange) return reply(200, oracle.cloudTimeAnswer(secret, deviceId, nonce, timeMs()));
			const body = hash.digest("hex");
			if (declared === "STREAMING") {
				const trailerHash = req.trailers["x-ivxs-content-sha256"];
				if (trailerHash !== body) return reply(401, { ok: false, reason: "trailer hash does not match the body" });
				if (req.trailers["x-ivxs-trailer-signature"] !== oracle.trailerSignature(secret, signature, body)) return reply(401, { ok: false, reason: "bad trailer signature" });
			}
			else if (declared !== body) return reply(401, { ok: false, reason: "body hash does not match" });
			reply(200, { ok: true, streamed: declared === "STREAMING", sha256: body });
		});
	});
	const port = await listen(server);
	return { port, close: () => { server.closeAllConnections(); server.close(); } };
}

// A test PKI made with the openssl CLI: a CA, a server certificate it signed for `altNames`
// (openssl's subjectAltName; "localhost" unless given; EC P-256), and a second CA that signed
// nothing here. PEM texts; the folder is removed.
export function testPki({ altNames = "DNS:localhost" } = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-pki-"));
	const openssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
	const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
	try {
		for (const name of ["ca", "wrong-ca"])
			openssl("req", "-x509", ...ec, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=ivxs test ${name}`);
		openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
		writeFileSync(join(dir, "server.ext"), `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\n`);
		openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
		const read = (f) => readFileSync(join(dir, f), "utf8");
		return { ca: read("ca.pem"), wrongCa: read("wrong-ca.pem"), key: read("server.key"), cert: read("server.pem") };
	}
	finally {
		rmSync(dir, { recursive: true, force: true });
	}
}
