// P2P signalling (issue 14 §3; PROTOCOL.md §5 "P2P signalling", API.md "P2P"): a signed-in viewer
// asks for a camera; the cloud checks the grant, sends the camera the viewer's candidates over MQTT,
// returns the camera's candidates with a ticket minted from the device's secret; a revoked grant
// ends the session at the camera (p2p-end) within one keep-alive interval.
import test from "ava";
import { createHmac } from "node:crypto";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { loadConfig } from "../../build/node/cloud/src/config.js";
import { eventually } from "./_mqtt.mjs";
import { adminPassword, answeringCamera, cameraCandidates, viewerCandidates, withViewer } from "./_p2p.mjs";

test("a granted viewer gets a ticket the camera's key verifies, and the camera's candidates; the camera got the viewer's", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, stunServers: ["127.0.0.1:3478"] });
	const device = await deviceIn(cloud, "p2p-cam");
	const { camera, offers } = await answeringCamera(t, cloud, device);
	const { admin, viewer } = await withViewer(cloud, "eve");
	t.is((await viewer.call("/v1/devices/p2p-cam/p2p", { method: "POST", body: { candidates: viewerCandidates } })).status, 403, "not granted yet");
	t.is((await admin.call("/v1/users/eve/devices/p2p-cam", { method: "PUT" })).status, 204);
	const res = await viewer.call("/v1/devices/p2p-cam/p2p", { method: "POST", body: { candidates: viewerCandidates, rights: ["live"] } });
	t.is(res.status, 200);
	const body = await res.json();
	t.deepEqual(body.candidates, cameraCandidates);
	t.deepEqual(body.stun, [{ address: "127.0.0.1", port: 3478 }]);
	t.deepEqual(await (await viewer.call("/v1/p2p")).json(), { stun: body.stun });
	t.regex(body.session, /^[0-9a-f]{16}$/);
	t.is(offers.length, 1);
	t.deepEqual(offers[0], { type: "p2p", session: body.session, candidates: viewerCandidates, stun: [{ address: "127.0.0.1", port: 3478 }], turn: [] });
	// The ticket, checked as native/p2p/PROTOCOL.md "Tickets" says (node:crypto, not the protocol package).
	const ticket = Buffer.from(body.ticket, "hex"), psk = Buffer.from(body.psk, "hex");
	t.is(ticket.length, 76);
	const kTicket = createHmac("sha256", device.secret).update("ivxs p2p ticket v1").digest();
	t.deepEqual(createHmac("sha256", kTicket).update(ticket.subarray(0, 44)).digest(), ticket.subarray(44));
	t.deepEqual(createHmac("sha256", kTicket).update("ivxs p2p psk v1").update(ticket.subarray(44)).digest(), psk);
	t.is(ticket[1], 1, "live, nothing more (a live ticket watches; it may not take stills or move the camera)");
	const expiry = Number(ticket.readBigUInt64BE(4));
	const nowS = Date.now() / 1000;
	t.true(expiry > nowS && expiry <= nowS + 31, `the ticket lives only to start a session (${expiry - nowS} s)`);
	t.is(ticket.subarray(12, 28).toString("latin1").replace(/\0+$/, ""), "p2p-cam");
	t.is(ticket.subarray(28, 44).toString("latin1"), body.session, "the viewer id is the session");
	const list = await (await admin.call("/v1/devices/p2p-cam/p2p")).json();
	t.deepEqual(list.sessions.map((s) => [s.session, s.user, s.connected]), [[body.session, "eve", false]], "not connected before the camera says so");
	// The camera's report of its open sessions (every 5 s while any is open) fills in the figures.
	const figures = { session: body.session, action: "live", talk: false, srttMs: 4, rate: 20000, buffered: 300, memory: 14000 };
	camera.publish("ivxs/p2p-cam/p2p", JSON.stringify({ sessions: [figures, { ...figures, session: "ffffffffffffffff" }] }), { qos: 1 });
	await eventually(async () => (await (await viewer.call("/v1/devices/p2p-cam/p2p")).json()).sessions[0]?.connected === true);
	const [mine] = (await (await viewer.call("/v1/devices/p2p-cam/p2p")).json()).sessions;
	t.like(mine, { session: body.session, user: "eve", connected: true, action: "live", rate: 20000, srttMs: 4, buffered: 300 });
});

test("bad offers are refused; a camera that does not answer is a 504, one that cannot serve a 502", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pAnswerS: 0.5 });
	const quiet = await deviceIn(cloud, "p2p-quiet");
	const busy = await deviceIn(cloud, "p2p-busy");
	await answeringCamera(t, cloud, quiet, () => undefined);
	await answeringCamera(t, cloud, busy, () => ({ candidates: [], error: "no capture" }));
	const { admin } = await withViewer(cloud, "bob");
	const ask = (id, body) => admin.call(`/v1/devices/${id}/p2p`, { method: "POST", body });
	for (const bad of [{ candidates: [{ type: "host", address: "::1", port: 1 }] }, { candidates: [{ type: "prflx", address: "10.0.0.1", port: 1 }] },
		{ candidates: Array(9).fill(viewerCandidates[0]) }, { rights: ["root"] }, { other: 1 }])
		t.is((await ask("p2p-quiet", bad)).status, 400, JSON.stringify(bad));
	t.is((await ask("p2p-quiet", { candidates: viewerCandidates })).status, 504);
	const refused = await ask("p2p-busy", {});
	t.is(refused.status, 502);
	t.regex((await refused.json()).error, /no capture/);
	t.is((await ask("p2p-nobody", {})).status, 404);
});

test("WHEP: an offer whose sections share a=mid, or with a bare CR in a line, is malformed: a 400 before the camera is asked", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pAnswerS: 0.5 });
	await answeringCamera(t, cloud, await deviceIn(cloud, "rtc-quiet"), () => undefined);
	const { admin } = await withViewer(cloud, "bob");
	const fp = Array.from({ length: 32 }, () => "AB").join(":");
	const transport = ["a=ice-ufrag:Qx9z", "a=ice-pwd:abcdefghijklmnopqrstuvwx", `a=fingerprint:sha-256 ${fp}`, "a=setup:actpass", "a=rtcp-mux"];
	const offer = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
		"m=video 9 UDP/TLS/RTP/SAVPF 102", "c=IN IP4 0.0.0.0", ...transport, "a=mid:0", "a=recvonly", "a=rtpmap:102 H264/90000",
		"a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		"m=audio 9 UDP/TLS/RTP/SAVPF 0", "c=IN IP4 0.0.0.0", ...transport, "a=mid:1", "a=recvonly", "a=rtpmap:0 PCMU/8000", ""].join("\r\n");
	const whep = (sdp) => fetch(`${cloud.url}/v1/devices/rtc-quiet/whep`, { method: "POST", headers: { cookie: admin.cookie, "content-type": "application/sdp" }, body: sdp });
	t.is((await whep(offer)).status, 504, "the offer as it should be reaches the camera (which does not answer)");
	for (const [bad, why] of [[offer.replace("a=mid:1", "a=mid:0"), /share a=mid:0/], [offer.replace("packetization-mode=1;", "packetization-mode=1\ra=sendrecv;"), /bare CR/]]) {
		const res = await whep(bad);
		t.is(res.status, 400);
		t.regex(JSON.stringify(await res.json()), why);
	}
});

test("revoking the grant sends the camera p2p-end for the viewer's session within one keep-alive interval (5 s)", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pSweepS: 1 });
	const device = await deviceIn(cloud, "p2p-rev");
	const { camera } = await answeringCamera(t, cloud, device);
	const { admin, viewer } = await withViewer(cloud, "mallory");
	t.is((await admin.call("/v1/users/mallory/devices/p2p-rev", { method: "PUT" })).status, 204);
	const { session: id } = await (await viewer.call("/v1/devices/p2p-rev/p2p", { method: "POST", body: {} })).json();
	await new Promise((resolve) => setTimeout(resolve, 1500));
	t.false(camera.messages.some((m) => m.payload.includes("p2p-end")), "a granted viewer's session is left alone");
	const revoked = Date.now();
	t.is((await admin.call("/v1/users/mallory/devices/p2p-rev", { method: "DELETE" })).status, 204);
	const end = await camera.next("ivxs/p2p-rev/cmd", (payload) => payload.includes("p2p-end"), 5000);
	t.deepEqual(JSON.parse(end), { type: "p2p-end", session: id });
	t.true(Date.now() - revoked < 5000, `${Date.now() - revoked} ms`);
	t.deepEqual((await (await admin.call("/v1/devices/p2p-rev/p2p")).json()).sessions, []);
});

test("with TURN configured the camera's offer carries TURN REST API credentials for coturn's shared secret", async (t) => {
	const turnSecret = "turn-shared-secret-16";
	const cloud = await cloudFor(t, { adminPassword, turnServers: ["192.0.2.50:3478"], turnSecret, turnCredentialS: 600 });
	const device = await deviceIn(cloud, "p2p-turn");
	const { offers } = await answeringCamera(t, cloud, device);
	const { admin } = await withViewer(cloud, "tim");
	t.is((await admin.call("/v1/devices/p2p-turn/p2p", { method: "POST", body: {} })).status, 200);
	const [turn] = offers[0].turn;
	t.is(turn.address, "192.0.2.50");
	t.is(turn.port, 3478);
	const [expiry, who] = turn.username.split(":");
	t.is(who, "p2p-turn");
	t.true(Math.abs(Number(expiry) - (Date.now() / 1000 + 600)) < 5);
	t.is(turn.password, createHmac("sha1", turnSecret).update(turn.username).digest("base64"));
	t.throws(() => loadConfig({ turnServers: ["192.0.2.50:3478"] }, {}), { message: /turnSecret/ });
});

test("candidates mid-session: the camera's new ones reach the session's viewer by long poll, the viewer's reach the camera; nobody else's", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "p2p-move");
	const { camera } = await answeringCamera(t, cloud, device);
	const { admin, viewer } = await withViewer(cloud, "vic");
	const { viewer: oscar } = await withViewer(cloud, "oscar");
	t.is((await admin.call("/v1/users/vic/devices/p2p-move", { method: "PUT" })).status, 204);
	t.is((await admin.call("/v1/users/oscar/devices/p2p-move", { method: "PUT" })).status, 204);
	const { session: id } = await (await viewer.call("/v1/devices/p2p-move/p2p", { method: "POST", body: { candidates: viewerCandidates } })).json();
	const path = `/v1/devices/p2p-move/p2p/${id}/candidates`;
	t.deepEqual(await (await viewer.call(`${path}?after=0&waitS=0`)).json(), { seq: 0, candidates: [] }, "none yet");
	// The camera moved: its new candidates on its p2p topic; the viewer's poll that waits gets them.
	const moved = [{ type: "srflx", address: "198.51.100.77", port: 61002 }, { type: "relay", address: "203.0.113.1", port: 49170 }];
	const polled = viewer.call(`${path}?after=0`);
	await new Promise((resolve) => setTimeout(resolve, 300));
	const asked = Date.now();
	camera.publish("ivxs/p2p-move/p2p", JSON.stringify({ type: "p2p-candidates", session: id, candidates: moved }), { qos: 1 });
	const first = await polled;
	t.is(first.status, 200);
	t.deepEqual(await first.json(), { seq: 1, candidates: moved });
	t.true(Date.now() - asked < 2000, `${Date.now() - asked} ms`);
	t.deepEqual(await (await viewer.call(`${path}?after=1&waitS=0.2`)).json(), { seq: 1, candidates: [] }, "nothing newer: the poll ends empty");
	// Another camera cannot push candidates into this session; a malformed message is dropped.
	const intruder = await deviceIn(cloud, "p2p-other");
	const { camera: other } = await answeringCamera(t, cloud, intruder);
	other.publish("ivxs/p2p-other/p2p", JSON.stringify({ type: "p2p-candidates", session: id, candidates: viewerCandidates }), { qos: 1 });
	camera.publish("ivxs/p2p-move/p2p", JSON.stringify({ type: "p2p-candidates", session: id, candidates: [{ type: "host", address: "::1", port: 1 }] }), { qos: 1 });
	t.deepEqual(await (await viewer.call(`${path}?after=1&waitS=0.5`)).json(), { seq: 1, candidates: [] });
	// The viewer moved: its new candidates go to the camera as a cmd.
	const mine = [{ type: "srflx", address: "198.51.100.9", port: 40002 }];
	t.is((await viewer.call(path, { method: "POST", body: { candidates: mine } })).status, 200);
	const cmd = await camera.next("ivxs/p2p-move/cmd", (payload) => payload.includes("p2p-candidates"), 5000);
	t.deepEqual(JSON.parse(cmd), { type: "p2p-candidates", session: id, candidates: mine });
	for (const bad of [{}, { candidates: [] }, { candidates: [{ type: "host", address: "x", port: 1 }] }])
		t.is((await viewer.call(path, { method: "POST", body: bad })).status, 400, JSON.stringify(bad));
	t.is((await viewer.call(`${path}?after=-1`)).status, 400);
	// Only the session's viewer (or an admin): another granted user, an unknown session, another device.
	t.is((await oscar.call(`${path}?waitS=0`)).status, 404);
	t.is((await oscar.call(path, { method: "POST", body: { candidates: mine } })).status, 404);
	t.is((await viewer.call(`/v1/devices/p2p-move/p2p/0123456789abcdef/candidates?waitS=0`)).status, 404);
	t.is((await admin.call("/v1/users/vic/devices/p2p-other", { method: "PUT" })).status, 204);
	t.is((await viewer.call(`/v1/devices/p2p-other/p2p/${id}/candidates?waitS=0`)).status, 404);
	t.is((await admin.call(`${path}?waitS=0`)).status, 200);
});
