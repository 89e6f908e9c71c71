// What a granted viewer can make the cloud's P2P signalling hold or send (issue 27 items 2 and 6,
// cloud/README.md "Under attack"): candidates merged and only unicast ones forwarded, offers and
// candidate updates rate-limited, updates only for a session that can still be used, sessions kept
// only as long as they can be used and capped per camera and per viewer, the list paged, and the
// sweep's cost one pair of queries per user, not per session.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { adminPassword, answeringCamera, viewerCandidates, withViewer } from "./_p2p.mjs";
import { admit, hold, REPORT_FRESH_MS, reportsHeld, sweep } from "../../build/node/cloud/src/p2p/signalling.js";
import { addToken, addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";

const host = viewerCandidates[0];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Another viewer granted `device`, calling with an API token (many sign-ins would spend the address's budget). */
async function granted(cloud, name, device) {
	await addUser(cloud.ctx.sql, name, `${name}-password`);
	await grantDevice(cloud.ctx.sql, name, device);
	const token = await addToken(cloud.ctx.sql, name);
	return { call: (path, { body, ...init } = {}) => fetch(`${cloud.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) }) };
}

/** A cloud with one camera answering offers, and a viewer granted it. */
async function setUp(t, config = {}, id = "p2p-b") {
	const cloud = await cloudFor(t, { adminPassword, ...config });
	const device = await deviceIn(cloud, id);
	const camera = await answeringCamera(t, cloud, device);
	const { admin, viewer } = await withViewer(cloud, "vera");
	t.is((await admin.call(`/v1/users/vera/devices/${id}`, { method: "PUT" })).status, 204);
	const ask = (who = viewer, body = { candidates: [host] }) => who.call(`/v1/devices/${id}/p2p`, { method: "POST", body });
	return { cloud, device, ...camera, admin, viewer, ask };
}

test("an offer's candidates reach the camera merged, and only the unicast ones (loopback and link-local by configuration)", async (t) => {
	const { offers, ask, viewer } = await setUp(t, { p2pLoopback: false });
	const loopback = { type: "host", address: "127.0.0.1", port: 40000 };
	const named = [host, host, host, host, { ...host, type: "srflx" }, { type: "host", address: "255.255.255.255", port: 40000 }, loopback, { type: "host", address: "169.254.1.1", port: 40000 }];
	t.is((await ask(viewer, { candidates: named })).status, 200);
	t.deepEqual(offers[0].candidates, [host], "one address named 8 times is checked once; broadcast, loopback and link-local are dropped");
	const cloud = await cloudFor(t, { adminPassword, p2pLoopback: true, p2pLinkLocal: true });
	const device = await deviceIn(cloud, "p2p-lab");
	const lab = await answeringCamera(t, cloud, device);
	const { admin } = await withViewer(cloud, "lab");
	t.is((await admin.call("/v1/devices/p2p-lab/p2p", { method: "POST", body: { candidates: named } })).status, 200);
	t.deepEqual(lab.offers[0].candidates, [host, loopback, named[7]], "a lab's cloud lets loopback and link-local through; never broadcast");
});

test("candidate updates: merged and filtered, at most 3 at once then one per 10 s (429 with Retry-After)", async (t) => {
	const { camera, ask, viewer } = await setUp(t, { p2pLoopback: false });
	const { session } = await (await ask()).json();
	const path = `/v1/devices/p2p-b/p2p/${session}/candidates`;
	const none = await viewer.call(path, { method: "POST", body: { candidates: [{ type: "host", address: "224.0.0.1", port: 1 }, { type: "host", address: "127.0.0.1", port: 1 }] } });
	t.is(none.status, 400, "nothing left to check");
	t.regex((await none.json()).error, /none the camera may check/);
	// 20 POSTs at once (before: every one went to the camera, 8 candidates each).
	const moved = Array.from({ length: 8 }, () => ({ type: "srflx", address: "198.51.100.9", port: 40002 }));
	const answers = await Promise.all(Array.from({ length: 20 }, () => viewer.call(path, { method: "POST", body: { candidates: moved } })));
	const statuses = answers.map((res) => res.status);
	t.is(statuses.filter((status) => status === 200).length, 3, statuses.join(" "));
	t.is(statuses.filter((status) => status === 429).length, 17);
	const refused = answers.find((res) => res.status === 429);
	t.true(Number(refused.headers.get("retry-after")) >= 1 && Number(refused.headers.get("retry-after")) <= 10);
	t.regex((await refused.json()).error, /at most 3 at once, then one per 10 s/);
	await sleep(300);
	const sent = camera.messages.filter((m) => m.payload.includes("p2p-candidates")).map((m) => JSON.parse(m.payload));
	t.is(sent.length, 3);
	t.deepEqual(sent[0].candidates, [moved[0]], "8 copies of one address are one candidate");
});

test("a session no viewer joined ends with its ticket: its updates are refused, the list and the sweep forget it; one the camera reports open is kept", async (t) => {
	const { cloud, camera, ask, viewer, admin } = await setUp(t, { p2pTicketS: 2, p2pSweepS: 0.2 });
	const { session: idle } = await (await ask()).json();
	const { session: joined } = await (await ask()).json();
	const post = (id) => viewer.call(`/v1/devices/p2p-b/p2p/${id}/candidates`, { method: "POST", body: { candidates: [host] } });
	t.is((await post(idle)).status, 200, "while its ticket is valid");
	const figures = { session: joined, action: "live", talk: false, srttMs: 4, rate: 1, buffered: 0, memory: 1 };
	const report = () => camera.publish("ivxs/p2p-b/p2p", JSON.stringify({ sessions: [figures] }), { qos: 1 });
	await report();
	await sleep(2600);
	await report();   // the camera reports every 5 s while a session is open
	await sleep(300);
	const after = await post(idle);
	t.is(after.status, 404, "the ticket expired and the camera does not have it open (before: accepted for 24 h)");
	t.regex((await after.json()).error, /or it ended/);
	t.is((await post(joined)).status, 200, "the session the camera has open still takes its viewer's moves");
	t.deepEqual((await (await admin.call("/v1/devices/p2p-b/p2p")).json()).sessions.map((s) => s.session), [joined]);
	t.is((await viewer.call(`/v1/devices/p2p-b/p2p/${idle}/candidates?waitS=0`)).status, 404);
	// A camera's report too old to count is dropped by the sweep (one per camera ever seen stayed before).
	t.is(reportsHeld(cloud.ctx), 1);
	await sweep(cloud.ctx, Date.now() + REPORT_FRESH_MS);
	t.is(reportsHeld(cloud.ctx), 0);
});

test("the camera's candidates reach the viewer by the same rule: merged, unicast only (loopback by configuration), in its answer and its updates", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pLoopback: false });
	const device = await deviceIn(cloud, "p2p-c");
	const camera = { type: "host", address: "192.0.2.9", port: 7000 };
	const hostile = [camera, camera, { type: "host", address: "255.255.255.255", port: 7000 }, { type: "host", address: "127.0.0.1", port: 7000 }, { type: "host", address: "224.0.0.1", port: 7000 }, { type: "srflx", address: "0.1.2.3", port: 7000 }];
	const { camera: mqtt } = await answeringCamera(t, cloud, device, () => ({ candidates: hostile }));
	const { admin, viewer } = await withViewer(cloud, "cy");
	t.is((await admin.call("/v1/users/cy/devices/p2p-c", { method: "PUT" })).status, 204);
	const answer = await (await viewer.call("/v1/devices/p2p-c/p2p", { method: "POST", body: { candidates: [host] } })).json();
	t.deepEqual(answer.candidates, [camera], "before: handed to the viewer as the camera sent them");
	const polled = viewer.call(`/v1/devices/p2p-c/p2p/${answer.session}/candidates?after=0`);
	await sleep(300);
	mqtt.publish("ivxs/p2p-c/p2p", JSON.stringify({ type: "p2p-candidates", session: answer.session, candidates: [...hostile].reverse() }), { qos: 1 });
	t.deepEqual((await (await polled).json()).candidates, [camera]);
});

test("a viewer may hold 8 sessions of a camera open or being offered, a camera 32", async (t) => {
	const { cloud, ask, admin } = await setUp(t);
	const vera = await granted(cloud, "vic", "p2p-b");
	for (let i = 0; i < 8; i++) t.is((await ask(vera)).status, 200);
	const ninth = await ask(vera);
	t.is(ninth.status, 429, "before: every offer admitted a session, kept 24 h");
	t.regex((await ninth.json()).error, /vic has 8 P2P sessions of p2p-b open or being offered, at most 8/);
	t.is(ninth.headers.get("retry-after"), "30");
	// Per camera: 3 more viewers of 8 sessions each reach 32, the camera's most.
	for (let i = 0; i < 3; i++) {
		const other = await granted(cloud, `v${i}`, "p2p-b");
		for (let j = 0; j < 8; j++) t.is((await ask(other)).status, 200, `v${i} #${j}`);
	}
	const full = await ask(admin);
	t.is(full.status, 429);
	t.regex((await full.json()).error, /camera p2p-b has 32 P2P sessions open or being offered, the most it serves/);
	t.is((await (await admin.call("/v1/devices/p2p-b/p2p?limit=200")).json()).sessions.length, 32);
});

test("offers, answered or not, are rate-limited per viewer and camera: 10 at once, then one per 3 s", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "p2p-busy");
	const { offers } = await answeringCamera(t, cloud, device, () => ({ candidates: [], error: "no capture" }));
	const viewer = await granted(cloud, "rex", "p2p-busy");
	// 12 at once: 10 pass the rate limit (some of those then meet the cap of 8 held, as they are all in flight).
	const answers = await Promise.all(Array.from({ length: 12 }, () => viewer.call("/v1/devices/p2p-busy/p2p", { method: "POST", body: { candidates: [host] } })));
	const results = await Promise.all(answers.map(async (res) => ({ status: res.status, retry: res.headers.get("retry-after"), error: (await res.json()).error })));
	const limited = results.filter((r) => /P2P offers of rex for p2p-busy: at most 10 at once, then one per 3 s/.test(r.error));
	t.is(limited.length, 2, JSON.stringify(results));
	t.true(limited.every((r) => r.status === 429 && Number(r.retry) >= 1 && Number(r.retry) <= 3));
	t.is(results.filter((r) => r.status === 502).length + results.filter((r) => /open or being offered/.test(r.error)).length, 10, "the rest: the camera's refusal, or the cap (before: all 12 went to the camera)");
	t.true(offers.length <= 10);
});

test("the session list is paged by session id: limit (default 50, at most 200) and after, with next", async (t) => {
	const { cloud, ask, admin } = await setUp(t);
	const made = [];
	for (let i = 0; i < 3; i++) {
		const other = await granted(cloud, `p${i}`, "p2p-b");
		for (let j = 0; j < 2; j++) made.push((await (await ask(other)).json()).session);
	}
	const seen = [];
	let after = "";
	for (let pages = 0; pages < 10; pages++) {
		const page = await (await admin.call(`/v1/devices/p2p-b/p2p?limit=4${after ? `&after=${after}` : ""}`)).json();
		seen.push(...page.sessions.map((s) => s.session));
		t.true(page.sessions.length <= 4);
		if (!page.next) break;
		after = page.next;
	}
	t.deepEqual(seen, [...made].sort(), "every session once, in id order");
	const first = await (await admin.call("/v1/devices/p2p-b/p2p")).json();
	t.is(first.sessions.length, 6);
	t.is(first.next, null);
	for (const query of ["limit=0", "limit=201", "limit=x", "after=zz"]) t.is((await admin.call(`/v1/devices/p2p-b/p2p?${query}`)).status, 400, query);
});

test("the sweep costs two queries per user with sessions, however many sessions", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pSweepS: 60 });
	const { admin } = await withViewer(cloud, "sam");
	const nowS = Math.floor(Date.now() / 1000);
	for (const device of ["c1", "c2", "c3"]) {
		await deviceIn(cloud, device);
		t.is((await admin.call(`/v1/users/sam/devices/${device}`, { method: "PUT" })).status, 204);
		for (let i = 0; i < 4; i++) {
			const session = `${device}${i}`.padEnd(16, "0").replace(/[^0-9a-f]/g, "a");
			hold(cloud.ctx, { session, device, user: "sam", since: Date.now(), expiryS: nowS + 60 });
			admit(cloud.ctx, session, nowS + 60);
		}
	}
	const { sql } = cloud.ctx;
	let queries = 0;
	for (const method of ["get", "all"]) {
		const original = sql[method];
		sql[method] = (...args) => (queries++, original.apply(sql, args));
		t.teardown(() => { sql[method] = original; });
	}
	t.is(await sweep(cloud.ctx), 0);
	t.is(queries, 2, "12 sessions of one user: the user and its grants (before: 24)");
	t.is((await admin.call("/v1/users/sam/devices/c2", { method: "DELETE" })).status, 204);
	queries = 0;
	t.is(await sweep(cloud.ctx), 4, "the revoked camera's four sessions end");
	t.is(queries, 2);
});
