// Handles are owned objects: files and sockets are host objects, never
// descriptor numbers; close() is idempotent; garbage collection closes.
import test from "ava";
import { readdirSync, readlinkSync } from "node:fs";
import { runHost } from "../_host.mjs";
import { apps, tempDir } from "./_apps.mjs";

const app = (name, args, options) => runHost([...apps, name, "--", ...args], options);

test("close() is idempotent and final, truncate() rolls back, forged handles are TypeErrors, wrapped integers RangeErrors", async (t) => {
	const dir = tempDir(t);
	const { code, stdout, stderr } = await app("handles", [dir]);
	t.is(code, 0, stderr);
	t.is(stdout, [
		"written 4: [1,2,3,9]",
		"write after close: Error: closed",
		"truncate after close: Error: closed",
		"truncate beyond written: RangeError: truncate: invalid length 3 (0 to 2)",
		"truncate to a fraction: RangeError: truncate: invalid length 0.5 (0 to 2)",
		"appended: [1,2,3,9,7]",
		"TCP from stdout's number: TypeError [IVXS_EHANDLE]: adopt: not a socket",
		"TCP from a timer: TypeError [IVXS_EHANDLE]: adopt: not a socket",
		"TCP from a UDP socket's object: TypeError [IVXS_EHANDLE]: adopt: not a socket",
		"Timer.clear of a plain object: TypeError [IVXS_EHANDLE]: Timer.clear: not a timer",
		"Timer.schedule of a number: TypeError [IVXS_EHANDLE]: Timer.schedule: not a timer",
		"UDP read after close: Error: closed",
		"UDP on port 2 ** 32 + 80: RangeError [IVXS_EARG]: udp: invalid port",
		"Listener with a backlog of 2 ** 32 + 1: RangeError [IVXS_EARG]: listen: invalid backlog",
		"stdout still open",
		"the same connection taken twice: TypeError [IVXS_EARG]: adopt: connection already taken",
		"done",
		"",
	].join("\n"));
});

test("garbage collection closes the writers and sockets nobody holds", async (t) => {
	const dir = tempDir(t);
	let counted;
	const { code, stderr } = await app("gc-closes", [dir], {
		onStdout(chunk, child) {
			if (!chunk.includes("collected") || counted) return;
			const links = readdirSync(`/proc/${child.pid}/fd`).filter((fd) => Number(fd) > 2)   // not stdio (socket pairs under Node)
				.map((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`); } catch { return ""; } });
			counted = {
				dropped: links.filter((l) => l.includes("dropped-")).length,
				kept: links.filter((l) => l.endsWith("kept.bin")).length,
				sockets: links.filter((l) => l.startsWith("socket:")).length,
			};
		},
	});
	t.is(code, 0, stderr);
	t.is(counted.dropped, 0);
	t.is(counted.kept, 1);
	// the kept UDP, and at most the last one made (a machine register may still refer to it)
	t.true(counted.sockets >= 1 && counted.sockets <= 2, `${counted.sockets} sockets open`);
});

test("bindings read every argument before taking a pointer: a getter that collects garbage moves nothing under them", async (t) => {
	const dir = tempDir(t);
	const { code, stdout, stderr } = await app("gc-getters", [dir]);
	t.is(code, 0, stderr);
	t.is(stdout, "round 0: 4112 bytes intact\nround 1: 4112 bytes intact\nround 2: 4112 bytes intact\n");
});
