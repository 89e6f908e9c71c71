// Sign-in budgets and lockouts across instances (issue 16 §1 and §3): they live
// in the shared metadata, so three instances behind HAProxy give a client
// address one budget and one lockout, not three. Each instance is asked
// directly as HAProxy would (from a trusted proxy, X-Forwarded-For naming the
// client), then through the balancer itself.
import test from "ava";
import { request } from "node:http";
import { adminPassword, clusterFor } from "./_cluster.mjs";
import { engines, onEngine } from "./_cloud.mjs";

/** POST /v1/session on `base` (from `from`, with an X-Forwarded-For): the status. */
const signIn = (base, { user = "admin", password = adminPassword, from = "127.0.0.1", forwardedFor } = {}) => new Promise((resolve, reject) => {
	const req = request(`${base}/v1/session`, {
		method: "POST", localAddress: from, agent: false,
		headers: { "content-type": "application/json", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
	}, (res) => {
		res.resume();
		res.on("end", () => resolve(res.statusCode));
	});
	req.on("error", reject);
	req.end(JSON.stringify({ user, password }));
});

const inTurn = async (n, attempt) => {
	const got = [];
	for (let i = 0; i < n; i++) got.push(await attempt(i));
	return got;
};

for (const metadata of engines) test(onEngine(metadata, "three instances give a client address one sign-in budget, and one lockout per name and address, whichever instance it reaches"), async (t) => {
	const cluster = await clusterFor(t, { instances: 3, metadata, env: { IVXS_CLOUD_SIGN_IN_BURST: "3", IVXS_CLOUD_SIGN_IN_PER_MINUTE: "1" } });
	const nodes = cluster.instances;
	// One attempt on each instance spends the burst of 3; the next is refused on any of them.
	t.deepEqual(await inTurn(4, (i) => signIn(nodes[i % 3].url, { user: `nobody-${i}`, password: "wrong-password", forwardedFor: "10.0.0.1" })), [401, 401, 401, 429]);
	for (const node of nodes) t.is(await signIn(node.url, { forwardedFor: "10.0.0.1" }), 429, node.url);
	// Another client keeps its own budget.
	t.is(await signIn(nodes[0].url, { forwardedFor: "10.0.0.2" }), 200);
	// Through the balancer: a client (127.0.0.5, in HAProxy's X-Forwarded-For) has 3 attempts in all.
	t.deepEqual(await inTurn(5, () => signIn(cluster.url, { from: "127.0.0.5", password: "wrong-password" })), [401, 401, 401, 429, 429]);
});

for (const metadata of engines) test(onEngine(metadata, "ten wrong passwords for admin spread over three instances lock admin out from that address on all of them, and only there"), async (t) => {
	const cluster = await clusterFor(t, { instances: 3, metadata, env: { IVXS_CLOUD_SIGN_IN_BURST: "100" } });
	const nodes = cluster.instances;
	t.deepEqual(await inTurn(10, (i) => signIn(nodes[i % 3].url, { password: "wrong-password", forwardedFor: "10.0.0.1" })), Array(10).fill(401));
	for (const node of nodes) t.is(await signIn(node.url, { forwardedFor: "10.0.0.1" }), 429, node.url);
	t.is(await signIn(nodes[1].url, { forwardedFor: "10.0.0.2" }), 200);
	// A success forgets the failures for its own pair only.
	const { n } = await cluster.sql.get("SELECT COUNT(*) AS n FROM sign_in_failures");
	t.is(Number(n), 1);
});
