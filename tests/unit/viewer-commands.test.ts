// The camera's built-in P2P commands (modules/protocol/viewer-commands.ts), under Node and on XS.
import test from "ava";
import { commandRight, decodeJsonAscii, encodeJsonAscii, parseViewerCommand, refusedByRights, type ViewerCommand } from "../../modules/protocol/viewer-commands.js";
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

test("commands: each needs its right of the ticket — recordings and playback: playback, snapshot: live, ptz: command", (t) => {
	const commands: ViewerCommand[] = [{ cmd: "recordings", from: 0, to: 1 }, { cmd: "playback" }, { cmd: "snapshot" }, { cmd: "ptz", op: "left" }];
	t.deepEqual(commands.map((c) => commandRight(c.cmd)), ["playback", "playback", "live", "command"]);
	const all = Rights.live | Rights.playback | Rights.talk | Rights.command;
	for (const command of commands) t.is(refusedByRights(command, all), undefined, command.cmd);
	// a ticket the cloud mints for ["live"] carries live and command
	t.deepEqual(commands.map((c) => refusedByRights(c, Rights.live | Rights.command)), [
		"recordings needs the ticket's playback right", "playback needs the ticket's playback right", undefined, undefined,
	]);
	t.is(refusedByRights({ cmd: "snapshot" }, Rights.playback | Rights.command), "snapshot needs the ticket's live right");
	t.is(refusedByRights({ cmd: "ptz", op: "stop" }, Rights.live), "ptz needs the ticket's command right");
});
