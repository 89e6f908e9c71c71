import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { connectDevice } from "./_mqtt.mjs";

// A self-signed certificate for 127.0.0.1, made by Debian's openssl.
function certificate(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-tls-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
	execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
		"-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert], { stdio: "ignore" });
	return { cert, key, ca: readFileSync(cert) };
}

function call(request, url, options = {}, body) {
	return new Promise((resolve, reject) => {
		const req = request(url, options, (res) => {
			let text = "";
			res.on("data", (chunk) => (text += chunk));
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
		});
		req.once("error", reject);
		req.setTimeout(3000, () => req.destroy(new Error("timed out")));
		req.end(body);
	});
}

test("TLS on the listener: HTTPS and MQTT over TLS share the port; plain HTTP and plain MQTT there fail", async (t) => {
	const { cert, key, ca } = certificate(t);
	const cloud = await cloudFor(t, { tlsCert: cert, tlsKey: key, adminPassword: "admin-secret-1" });
	t.regex(cloud.url, /^https:\/\/127\.0\.0\.1:\d+$/);
	const health = await call(httpsRequest, `${cloud.url}/healthz`, { ca });
	t.is(health.status, 200);
	t.true(JSON.parse(health.body).ok);
	// Session cookies over TLS are Secure.
	const signIn = await call(httpsRequest, `${cloud.url}/v1/session`, { ca, method: "POST", headers: { "content-type": "application/json" } }, JSON.stringify({ user: "admin", password: "admin-secret-1" }));
	t.is(signIn.status, 200);
	t.regex(signIn.headers["set-cookie"][0], /; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
	// MQTT over TLS on the same port, device signed in as usual.
	const device = await deviceIn(cloud, "cam-tls");
	const mqttsUrl = cloud.url.replace("https", "mqtts");
	const camera = await connectDevice(mqttsUrl, device, { mqtt: { ca } });
	t.teardown(() => camera.end(true));
	await camera.subscribeAsync("ivxs/cam-tls/plan", { qos: 1 });
	await camera.online();
	t.like(JSON.parse(await camera.next("ivxs/cam-tls/plan")), { rev: 1, mode: "continuous" });
	// A client that does not trust the certificate is refused by its own TLS check.
	await t.throwsAsync(call(httpsRequest, `${cloud.url}/healthz`), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
	// Plain text on the TLS port: no HTTP answer, no MQTT session.
	const plain = cloud.url.replace("https", "http");
	await t.throwsAsync(call(httpRequest, `${plain}/healthz`), { message: /socket hang up|ECONNRESET|timed out/ });
	await t.throwsAsync(connectDevice(cloud.url.replace("https", "mqtt"), device));
});
