// modules/net on the XS host against real servers in this Node process: each XS test file
// (tests/net/*.test.ts, compiled to build/ts/tests/net) runs once with the servers' ports as its
// argument; every XS test's result is logged here and any failure fails the ava test.
import test from "ava";
import { runHost, runXsTests as runXs } from "./_host.mjs";
import { blackhole, closedPort, httpServer, mqttBroker, pausingProxy, rawServer, signingServer, streamDigest, testPki } from "./_net-servers.mjs";

test("xs › net/http: the HTTP client against Node servers", async (t) => {
	const http = await httpServer();
	const slow = await pausingProxy(http.port, 1000);
	const raw = await rawServer();
	const hole = await blackhole();
	t.teardown(() => { http.close(); slow.close(); raw.close(); hole.close(); });
	const streamBytes = 65000 * 160;   // more than loopback buffers hold (about 4.3 MB here)
	await runXs(t, "tests/net/http.test", {
		http: http.port, slow: slow.port, raw: raw.port, closed: await closedPort(), blackhole: hole.port,
		streamBytes, streamSha256: streamDigest(streamBytes),
	});
});

test("xs › net/mqtt: the MQTT client against aedes", async (t) => {
	const broker = await mqttBroker();
	t.teardown(() => broker.close());
	await runXs(t, "tests/net/mqtt.test", { broker: broker.brokerPort, proxy: broker.proxyPort, control: broker.controlPort, closed: await closedPort() });
});

test("xs › net/signing: signed requests (ivxs/crypto) against a verifier written from cloud/PROTOCOL.md", async (t) => {
	const device = { deviceId: "cam1", secret: "s3cret-s3cret-s3cret-s3cret-s3cret-42" };
	const server = await signingServer(device);
	t.teardown(() => server.close());
	await runXs(t, "tests/net/signing.test", { port: server.port, ...device });
});

test("xs › net/tls: TLS on mbedTLS under HTTP and MQTT, against Node HTTPS and aedes over TLS", async (t) => {
	const pki = testPki();
	const secure = { key: pki.key, cert: pki.cert };
	const server = await httpServer({ tls: secure });
	const plain = await httpServer();
	const broker = await mqttBroker({ tls: secure });
	t.teardown(() => { server.close(); plain.close(); broker.close(); });
	await runXs(t, "tests/net/tls.test", { https: server.port, plain: plain.port, mqtts: broker.tlsPort, ca: pki.ca, wrongCa: pki.wrongCa });
});

test("xs › net/mqtt: a camera killed mid-session leaves its last will (and its retained presence flips)", async (t) => {
	const broker = await mqttBroker();
	t.teardown(() => broker.close());
	const control = `http://127.0.0.1:${broker.controlPort}`;
	const presence = async () => (await (await fetch(`${control}/log?topic=ivxs/cam-kill/presence`)).json()).map((e) => [e.payload, e.retain]);
	let killed = false;
	const run = runHost(["tests/net/will-app", "--", JSON.stringify({ port: broker.brokerPort, clientId: "cam-kill" })], {
		timeoutMs: 30_000,
		onStdout(chunk, child) {
			if (!killed && chunk.includes("@@connected")) {
				killed = true;
				child.kill("SIGKILL");
			}
		},
	});
	const { signal, stderr } = await run;
	t.is(signal, "SIGKILL", stderr);
	for (let i = 0; i < 100 && (await presence()).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
	t.deepEqual(await presence(), [['{"online":true}', true], ['{"online":false}', true]], "online from the camera, then its will from the broker");
});
