// P2P across NATs (issue 14 §3; same LAN, two cone NATs, a symmetric NAT with TURN): the cloud and coturn on the "internet" (tests/_netns.mjs), the
// camera app and `npm run view` each in a network namespace behind its own nftables NAT. Their
// host candidates cannot reach each other; the server-reflexive ones coturn's STUN gave them do.
import test from "ava";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { countFrames } from "../cloud/tests/_ingest.mjs";
import { deviceFile } from "./_camera.mjs";
import { hostBinary, root, runHost } from "./_host.mjs";
import { startCoturn } from "./_coturn.mjs";
import { natTopology } from "./_netns.mjs";

const adminPassword = "admin-secret-1";

/** Runs `npm run view`'s script in the viewer's namespace; resolves with { code, stderr, out }. */
function viewIn(topo, cloud, seconds, dir) {
	const out = join(dir, "live.mp4");
	const child = spawn("ip", [...topo.prefix(topo.ns.viewh).slice(1), process.execPath, join(root, "scripts/view.mjs"), "view-cam",
		"--cloud", cloud.url, "--user", "admin", "--password", adminPassword, "-o", out, "--seconds", String(seconds)], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
	let stderr = "";
	child.stderr.on("data", (chunk) => (stderr += chunk));
	return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr, out })));
}

/** The camera app in its namespace, P2P started when the cloud announces the viewer. */
function cameraIn(t, topo, cloud, device, seconds) {
	let connected;
	const up = new Promise((resolve) => { connected = resolve; });
	const run = runHost(["netns", "exec", topo.ns.camh, hostBinary, "modules/app/camera", "--", "--device", deviceFile(t, device, cloud.url), "--seconds", String(seconds)], {
		binary: "ip", timeoutMs: (seconds + 60) * 1000, onStdout: (chunk) => { if (chunk.includes("control channel connected")) connected(); },
	});
	return { run, up: Promise.race([up, run]) };
}

/**
 * The camera app and `npm run view` across the two NATs, coturn as STUN (and TURN with `relay`)
 * server: what the viewer printed, what ffprobe decoded of its file, the camera's output.
 */
async function watchAcross(t, nats, { relay = false } = {}) {
	const topo = natTopology(t, nats);
	const turn = await startCoturn(t, topo.publicAddress);
	const server = `${turn.address}:${turn.port}`;
	const cloud = await cloudFor(t, { adminPassword, host: topo.publicAddress, stunServers: [server], ...(relay ? { turnServers: [server], turnSecret: turn.secret } : {}) });
	const device = await deviceIn(cloud, "view-cam");
	const camera = cameraIn(t, topo, cloud, device, 20);
	await camera.up;
	const dir = mkdtempSync(join(tmpdir(), "ivxs-nat-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const viewed = await viewIn(topo, cloud, 4, dir);
	t.log(viewed.stderr.trim());
	t.is(viewed.code, 0);
	const frames = countFrames(readFileSync(viewed.out));
	t.log("ffprobe", frames);
	t.true(frames.h264 > 30, `${frames.h264} video frames in 4 s`);
	return { topo, turn, viewed, stdout: (await camera.run).stdout };
}

const literal = (address) => address.replace(/\./g, "\\.");

test.serial("same LAN behind one NAT: the camera's host candidate is the path", async (t) => {
	const { topo, viewed } = await watchAcross(t, { camera: "cone", viewer: "lan" });
	t.regex(viewed.stderr, new RegExp(`path: direct via host ${literal(topo.camera.lan)}:\\d+`));
});

test.serial("both behind cone NATs: STUN's server-reflexive candidates give a direct path; live decodes", async (t) => {
	const { topo, viewed, stdout } = await watchAcross(t, { camera: "cone", viewer: "cone" });
	t.regex(viewed.stderr, new RegExp(`path: direct via srflx ${literal(topo.camera.wan)}:\\d+`));
	t.regex(stdout, new RegExp(`answering with host ${literal(topo.camera.lan)}:\\d+.*srflx ${literal(topo.camera.wan)}:\\d+`));
});

test.serial("camera behind a symmetric NAT: no direct path; TURN (coturn, credentials minted by the cloud) relays live", async (t) => {
	const { turn, viewed, stdout } = await watchAcross(t, { camera: "symmetric", viewer: "cone" }, { relay: true });
	t.regex(viewed.stderr, new RegExp(`path: relayed via relay ${literal(turn.address)}:\\d+`));
	t.regex(stdout, /answering with .*relay /);
});
