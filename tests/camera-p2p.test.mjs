// The camera app with P2P on (--p2p PORT, modules/p2p): a viewer on a second XS host, with a
// ticket minted from the device's secret as the cloud mints it, watches live straight from the
// app's ring. No cloud is needed for this (the control channel just keeps retrying).
import test from "ava";
import { deviceFile, runCamera } from "./_camera.mjs";
import { runHost } from "./_host.mjs";

test("the camera app serves live over P2P from its ring: the first frame a key frame, frames in order", async (t) => {
	const device = { id: "p2pcam-1", secret: "s".repeat(16) + "0123456789abcdef0123456789abcdef" };
	const file = deviceFile(t, device, "http://127.0.0.1:9");
	const port = 20000 + Math.floor(Math.random() * 30000);
	let started;
	const ready = new Promise((resolve) => { started = resolve; });
	const camera = runCamera(file, {
		seconds: 8, args: ["--p2p", String(port)],
		onStdout: (chunk) => { if (chunk.includes("p2p: viewers on UDP port")) started(); },
	});
	await Promise.race([ready, camera]);
	const viewer = await runHost(["tests/xs-apps/p2p-viewer", "--", String(port), device.id, device.secret, "3"], { timeoutMs: 30_000 });
	const { stdout } = await camera;
	const line = viewer.stdout.split("\n").find((l) => l.startsWith("@@viewer "));
	t.truthy(line, `viewer: ${viewer.stdout}${viewer.stderr}\ncamera: ${stdout.slice(-2000)}`);
	const seen = JSON.parse(line.slice(9));
	t.log(seen);
	t.is(seen.error, "");
	t.true(seen.frames > 30, `${seen.frames} frames in 3 s`);
	t.true(seen.firstKey, "the first frame is a key frame");
	t.true(seen.ordered, "timestamps never go back");
	t.regex(stdout, /p2p: test-viewer watches \(action=live\)/);
	// a viewer reached straight: its datagrams go from C to the socket and its packets (the ACKs)
	// are read and input in C, not through JS (issue 29)
	const direct = /p2p: (\d+) datagrams written straight to the socket[^,]*, (\d+) read from it/.exec(stdout);
	t.truthy(direct, stdout.slice(-2000));
	t.true(Number(direct[1]) > seen.frames, `${direct?.[1]} datagrams from C for ${seen.frames} frames`);
	t.true(Number(direct[2]) > seen.frames / 2, `${direct?.[2]} of the viewer's datagrams read in C for ${seen.frames} frames`);
});
