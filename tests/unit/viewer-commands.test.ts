// The camera's built-in P2P commands (modules/protocol/viewer-commands.ts, the camera's dispatcher
// modules/app/viewer-commands.ts), under Node and on XS.
import test from "ava";
import { firmwareCommand, runViewerCommand } from "../../modules/app/viewer-commands.js";
import { FirmwareP2P } from "../../modules/app/firmware.js";
import { Pace } from "../../modules/app/pace.js";
import { COMMAND_RATE, commandRight, decodeJsonAscii, encodeJsonAscii, parseViewerCommand, refusedByRights, type ViewerCommand } from "../../modules/protocol/viewer-commands.js";
import { Rights } from "../../modules/protocol/ticket.js";

const parse = (value: unknown) => parseViewerCommand(encodeJsonAscii(value));

test("commands: what is accepted, normalised", (t) => {
	t.deepEqual(parse({ cmd: "ptz", op: "zoomIn" }), { cmd: "ptz", op: "zoomIn" });
	t.deepEqual(parse({ cmd: "snapshot" }), { cmd: "snapshot" });
	t.deepEqual(parse({ cmd: "recordings" }), { cmd: "recordings", from: 0, to: Number.MAX_SAFE_INTEGER });
	t.deepEqual(parse({ cmd: "recordings", from: 5, to: 9 }), { cmd: "recordings", from: 5, to: 9 });
	t.deepEqual(parse({ cmd: "playback", seek: 1000, pause: false, speed: 4 }), { cmd: "playback", seek: 1000, pause: false, speed: 4 });
	t.deepEqual(parse({ cmd: "playback" }), { cmd: "playback" }, "a status query");
});

test("commands: what is refused says why (a string), never throws", (t) => {
	for (const bad of [{ cmd: "ptz", op: "spin" }, { cmd: "recordings", from: 9, to: 5 }, { cmd: "recordings", from: -1 }, { cmd: "playback", speed: 0 },
		{ cmd: "playback", speed: 2.5 }, { cmd: "playback", pause: "yes" }, { cmd: "playback", seek: -5 }, { cmd: "playback", speed: 17 }, { cmd: "reboot" }, { cmd: "constructor" }, { cmd: "toString" }, [1], "ptz", null])
		t.is(typeof parse(bad), "string", JSON.stringify(bad));
	t.is(parseViewerCommand(new Uint8Array([0x7b, 0x22])), "not JSON");
});

test("commands: ASCII on the wire, whatever the text", (t) => {
	const bytes = encodeJsonAscii({ error: "caméra ✓" });
	t.true(bytes.every((b) => b < 0x80));
	t.deepEqual(decodeJsonAscii(bytes), { error: "caméra ✓" });
});

test("commands: the largest request (MAX_COMMAND, 16 KiB) decodes, padding and all", (t) => {
	const request: Record<string, unknown> = { cmd: "ptz", op: "left", pad: "" };
	request.pad = " ".repeat(16384 - encodeJsonAscii(request).length);
	t.is(encodeJsonAscii(request).length, 16384);
	t.deepEqual(parse(request), { cmd: "ptz", op: "left" });
	t.is((decodeJsonAscii(encodeJsonAscii(request)) as { pad: string }).pad.length, (request.pad as string).length);
});

test("commands: each needs its right of the ticket — recordings and playback: playback; snapshot and ptz: command", (t) => {
	const commands: ViewerCommand[] = [{ cmd: "recordings", from: 0, to: 1 }, { cmd: "playback" }, { cmd: "snapshot" }, { cmd: "ptz", op: "left" }];
	t.deepEqual(commands.map((c) => commandRight(c.cmd)), ["playback", "playback", "command", "command"]);
	const all = Rights.live | Rights.playback | Rights.talk | Rights.command;
	for (const command of commands) t.is(refusedByRights(command, all), undefined, command.cmd);
	// a ticket the cloud mints for ["live"] watches, nothing more
	t.deepEqual(commands.map((c) => refusedByRights(c, Rights.live)), [
		"recordings needs the ticket's playback right", "playback needs the ticket's playback right",
		"snapshot needs the ticket's command right", "ptz needs the ticket's command right",
	]);
	t.deepEqual(commands.map((c) => refusedByRights(c, Rights.playback)), [undefined, undefined, "snapshot needs the ticket's command right", "ptz needs the ticket's command right"]);
});

test("commands on the camera: a viewer's rate within COMMAND_RATE (past it one EBUSY per wait, the rest dropped unanswered; per viewer, malformed ones counted); a missing right is ERIGHTS, never an empty reply", (t) => {
	const clock = { ms: 5000 };
	const logs: string[] = [];
	const context = { playbackOf: () => undefined, log: (m: string) => logs.push(m), pace: new Pace(COMMAND_RATE, () => clock.ms) };
	const all = Rights.live | Rights.playback | Rights.talk | Rights.command;
	const reply = (value: unknown, peer = "a", rights = all) => runViewerCommand(context, encodeJsonAscii(value).slice().buffer, peer, rights);
	const run = (value: unknown, peer = "a", rights = all) => {
		const bytes = reply(value, peer, rights);
		return (bytes === false ? { ok: false, code: "unanswered" } : decodeJsonAscii(bytes)) as { ok: boolean; code?: string };
	};
	const burst = Array.from({ length: COMMAND_RATE.burst + 5 }, (_, i) => run(i % 2 ? { cmd: "ptz", op: "left" } : "not a command"));
	t.deepEqual(burst.slice(COMMAND_RATE.burst).map((r) => r.code), ["EBUSY", "unanswered", "unanswered", "unanswered", "unanswered"], "a burst of 20, then busy once, then dropped");
	t.true(burst.slice(0, COMMAND_RATE.burst).every((r) => r.code !== "EBUSY"));
	t.true(run({ cmd: "ptz", op: "stop" }, "b").ok, "another viewer has its own allowance");
	clock.ms += 1000 / COMMAND_RATE.perSecond;
	t.true(run({ cmd: "ptz", op: "stop" }).ok, "one more each 100 ms");
	t.is(run({ cmd: "ptz", op: "stop" }).code, "EBUSY");
	clock.ms += 60_000;
	t.deepEqual(run({ cmd: "recordings" }, "a", Rights.live | Rights.command), { ok: false, code: "ERIGHTS", error: "recordings needs the ticket's playback right" });
	t.deepEqual(run({ cmd: "recordings" }), { ok: false, error: "no local store" });
	t.regex(logs.join("\n"), /a: recordings needs the ticket's playback right: refused/);
});

test("commands with a C firmware's command_cb (libivxs): it answers every command, for viewers with the command right, within COMMAND_RATE; without one the built-ins answer", (t) => {
	const clock = { ms: 5000 };
	const heard: string[] = [];
	const logs: string[] = [];
	let bits = FirmwareP2P.command;
	let reply: ArrayBuffer | null | undefined = encodeJsonAscii({ ok: true, from: "firmware" }).slice().buffer;
	const firmware = {
		maxGopBytes: 1 << 20, open: () => { throw new Error("no feed here"); }, record: () => {}, poll: () => 0, event: () => {}, recvInit: () => undefined, recvVoice: () => false, sendInit: () => undefined, sendGet: () => undefined, sendStop: () => {}, watermarks: () => undefined, keepAlive: () => undefined,
		p2p: () => bits,
		command: (bytes: ArrayBuffer, peer: string) => { heard.push(`${peer}: ${JSON.stringify(decodeJsonAscii(new Uint8Array(bytes)))}`); return reply; },
	};
	const context = { playbackOf: () => undefined, log: (m: string) => logs.push(m), pace: new Pace(COMMAND_RATE, () => clock.ms), firmware };
	const all = Rights.live | Rights.playback | Rights.talk | Rights.command;
	const ask = (value: unknown, peer = "a", rights = all) => firmwareCommand(context, encodeJsonAscii(value).slice().buffer, peer, rights);
	t.deepEqual(decodeJsonAscii(new Uint8Array(ask({ cmd: "anything" }) as ArrayBuffer)), { ok: true, from: "firmware" });
	t.deepEqual(heard, ['a: {"cmd":"anything"}']);
	t.deepEqual(decodeJsonAscii(ask({ cmd: "x" }, "b", Rights.live | Rights.playback) as Uint8Array), { ok: false, code: "ERIGHTS", error: "the firmware's commands need the ticket's command right" });
	t.is(heard.length, 1, "a viewer without the command right never reaches the firmware");
	t.regex(logs.join("\n"), /b: the firmware's commands need the ticket's command right: refused/);
	reply = null;
	t.is(ask({ cmd: "bye" }), null, "an empty reply stays empty: the session closes");
	const burst = Array.from({ length: COMMAND_RATE.burst + 5 }, () => ask({ cmd: "x" }, "c"));
	t.is(burst.filter((r) => r instanceof Uint8Array && (decodeJsonAscii(r) as { code?: string }).code === "EBUSY").length, 1, "a hostile viewer's burst: 20 reach the firmware, then busy once");
	t.is(burst.filter((r) => r === false).length, 4, "the rest dropped unanswered");
	bits = 0;
	t.is(ask({ cmd: "x" }), undefined, "no command_cb: the built-ins answer");
});
