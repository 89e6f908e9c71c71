// Sign-in as a CPU lever (issue 16 §1): a budget of attempts per client
// address, a cap on password checks at once, lockouts by name and address, and
// the client address taken from X-Forwarded-For only behind a trusted proxy.
// Clients come from several loopback addresses (127.0.0.2, …).
import test from "ava";
import { request } from "node:http";
import { cloudFor, engines, onEngine } from "./_cloud.mjs";
import { Limiter, TokenBuckets } from "../../build/node/cloud/src/users/sign-in-limits.js";

const adminPassword = "admin-secret-1";

/** POST /v1/session from `localAddress` (and an X-Forwarded-For header): { status, retryAfter }. */
function signIn(cloud, { user = "admin", password = adminPassword, from = "127.0.0.2", forwardedFor } = {}) {
	return new Promise((resolve, reject) => {
		const req = request(`${cloud.url}/v1/session`, {
			method: "POST", localAddress: from, agent: false,
			headers: { "content-type": "application/json", ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
		}, (res) => {
			res.resume();
			res.on("end", () => resolve({ status: res.statusCode, retryAfter: res.headers["retry-after"] }));
		});
		req.on("error", reject);
		req.end(JSON.stringify({ user, password }));
	});
}

const statuses = async (n, attempt) => {
	const got = [];
	for (let i = 0; i < n; i++) got.push((await attempt(i)).status);
	return got;
};

test("an address over its budget of attempts gets 429 with Retry-After, even with the right password; another address still signs in", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, signInBurst: 3, signInPerMinute: 6 });
	t.deepEqual(await statuses(3, (i) => signIn(cloud, { user: `nobody-${i}`, password: "wrong-password" })), [401, 401, 401]);
	const over = await signIn(cloud);
	t.is(over.status, 429);
	t.true(Number(over.retryAfter) >= 1 && Number(over.retryAfter) <= 10, `Retry-After ${over.retryAfter}`);
	t.is((await signIn(cloud, { from: "127.0.0.3" })).status, 200);
	const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(metrics, /ivxs_sign_in_throttled_total 1/);
});

test("ten wrong passwords for admin from one address lock admin out there only", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, signInBurst: 100 });
	t.deepEqual(await statuses(10, () => signIn(cloud, { password: "wrong-password" })), Array(10).fill(401));
	t.is((await signIn(cloud)).status, 429);
	t.is((await signIn(cloud, { from: "127.0.0.3" })).status, 200);
});

test("X-Forwarded-For from a peer that is not a trusted proxy is ignored", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, signInBurst: 2, signInPerMinute: 1 });
	const got = await statuses(4, (i) => signIn(cloud, { password: "wrong-password", forwardedFor: `10.0.0.${i}` }));
	t.deepEqual(got, [401, 401, 429, 429]);
});

test("from a trusted proxy, the client is the right-most hop that is not a trusted proxy", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, signInBurst: 2, signInPerMinute: 1, trustedProxies: ["127.0.0.2", "192.168.0.0/16"] });
	// Client 10.0.0.1 (through two proxies) uses its budget…
	t.deepEqual(await statuses(3, () => signIn(cloud, { password: "wrong-password", forwardedFor: "10.0.0.1, 192.168.1.1" })), [401, 401, 429]);
	// …and what it writes at the left of the header changes nothing.
	t.is((await signIn(cloud, { forwardedFor: "10.9.9.9, 10.0.0.1" })).status, 429);
	// Another client behind the same proxy signs in.
	t.is((await signIn(cloud, { forwardedFor: "10.0.0.2" })).status, 200);
	// Not a trusted proxy: its own address counts, whatever the header says.
	t.deepEqual(await statuses(3, () => signIn(cloud, { from: "127.0.0.3", password: "wrong-password", forwardedFor: "10.0.0.3" })), [401, 401, 429]);
});

test("behind a trusted proxy, one client's wrong guesses do not lock admin out for the others", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, signInBurst: 100, trustedProxies: ["127.0.0.2"] });
	t.deepEqual(await statuses(10, () => signIn(cloud, { password: "wrong-password", forwardedFor: "10.0.0.1" })), Array(10).fill(401));
	t.is((await signIn(cloud, { forwardedFor: "10.0.0.1" })).status, 429);
	t.is((await signIn(cloud, { forwardedFor: "10.0.0.2" })).status, 200);
});

for (const metadata of engines) test(onEngine(metadata, "a token bucket in the shared metadata gives the burst, then one attempt per interval; full buckets are forgotten"), async (t) => {
	const cloud = await cloudFor(t, { metadata });
	const buckets = new TokenBuckets(cloud.ctx.sql, 3, 30);
	const now = 1_000_000;
	const take = (key, at) => buckets.take(key, at);
	t.deepEqual([await take("a", now), await take("a", now), await take("a", now), await take("a", now)], [0, 0, 0, 2]);
	t.is(await take("b", now), 0);
	t.is(await take("a", now + 1999), 1);
	t.is(await take("a", now + 2000), 0);
	t.is(await take("a", now + 2000), 2);
	// "b" is full again 2 s on, "a" 6 s after its last attempt: only then is its row gone.
	t.is(await buckets.forgetFull(now + 2000), 1);
	t.is(await buckets.forgetFull(now + 8000), 1);
	t.is((await cloud.ctx.sql.get("SELECT COUNT(*) AS n FROM sign_in_buckets")).n * 1, 0);
});

test("the limiter runs at most N tasks at once, queues a few and refuses the rest with 503", async (t) => {
	const limiter = new Limiter(2, 3);
	let running = 0, most = 0;
	const release = [];
	const task = () => limiter.run(() => new Promise((resolve) => {
		most = Math.max(most, ++running);
		release.push(() => {
			running--;
			resolve();
		});
	}));
	const started = Array.from({ length: 5 }, task);
	const refused = await t.throwsAsync(task());
	t.is(refused.status, 503);
	t.is(refused.headers["retry-after"], "1");
	while (release.length || running) {
		await new Promise((resolve) => setImmediate(resolve));
		release.shift()?.();
	}
	await Promise.all(started);
	t.is(most, 2);
});
