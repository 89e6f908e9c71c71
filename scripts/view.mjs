// `npm run view -- <device>`: watch a camera live over P2P (issue 14 §4). Signs in to the cloud,
// then runs the viewer app (modules/app/viewer.ts) on the XS host — the same C transport and
// modules/p2p viewer the camera speaks to — which asks the cloud for a ticket, finds a path
// (host, server-reflexive; checks.ts) and writes live as fragmented MP4 to stdout or a file.
// Once a second it prints the path (direct/relayed), RTT, rate and loss on stderr.
//
//   npm run -s view -- demo-cam | ffplay -           after `npm start`: admin, the demo's password
//   npm run view -- cam-1 -o live.mp4 --seconds 10
// (`-s`: without it npm writes its "> ivxs view" banner into the pipe ahead of the stream, which no
// player can read; the script refuses to start then, and says so.)
//   options: --cloud URL (http://127.0.0.1:8080), --user NAME (admin), --password P (the demo's,
//   ivxs-data/admin-password.txt; or IVXS_PASSWORD), IVXS_TOKEN (an API token instead),
//   --format fmp4|annexb|raw (annexb: raw H.264/H.265 video, `ffplay -f h264 -`; raw: the bytes as the
//   camera sent them — a C firmware's own stream from its send_get_cb, e.g. FLV), --seconds N, --quiet,
//   --playback START END (the camera's own recordings, its local store: ISO 8601 or Unix ms) with
//   --speed N (1…16 × real time); --command JSON (one built-in command instead of a stream, e.g.
//   '{"cmd":"recordings"}': its JSON reply on stdout); --talk FILE (talkback to the camera: .aac as
//   ADTS, .ul/.ulaw G.711 μ-law, .al/.alaw A-law, sent at the pace it plays — along with the stream,
//   or alone when there is nowhere to put one: no -o and stdout a terminal)
//
// Why an XS process, not a Node addon or WASM: the transport is C built into our XS host already
// (the camera's, tested plain, sanitized and 32-bit); an addon would need node-gyp and headers
// at install time, and a WASM build a second toolchain and a socket shim — for the same bytes.
import { execFileSync, spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import { closeSync, constants, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { root } from "./build.mjs";
import { helpIfAsked } from "./usage.mjs";
// The talkback codecs and their file extensions, from modules/protocol (`npm run view` builds it first).
import { talkCodecOfFile, TALK_FILE_EXTENSIONS } from "../build/ts/modules/protocol/talkback.js";

const usage = "usage: npm run view -- <device> [--cloud URL] [--user NAME] [--password P] [-o FILE] [--format fmp4|annexb|raw] [--seconds N] [--playback START END [--speed N]] [--command JSON] [--talk FILE.aac|.ul|.al] [--quiet]";


export class UsageError extends Error {}

export function parse(args, env = process.env, stdoutIsTerminal = process.stdout.isTTY === true) {
	const o = { device: "", cloud: env.IVXS_CLOUD ?? "http://127.0.0.1:8080", user: env.IVXS_USER ?? "admin", password: env.IVXS_PASSWORD, token: env.IVXS_TOKEN, out: "-", format: "fmp4", seconds: 0, quiet: false };
	for (let i = 0; i < args.length; i++) {
		const arg = args[i];
		const value = () => {
			if (i + 1 >= args.length) throw new UsageError(`${arg} needs a value\n${usage}`);
			return args[++i];
		};
		if (arg === "--cloud") o.cloud = value();
		else if (arg === "--user") o.user = value();
		else if (arg === "--password") o.password = value();
		else if (arg === "-o" || arg === "--out") o.out = value();
		else if (arg === "--format") o.format = value();
		else if (arg === "--seconds") o.seconds = Number(value());
		else if (arg === "--quiet") o.quiet = true;
		else if (arg === "--playback") o.playback = [instant(value()), instant(value())];
		else if (arg === "--speed") o.speed = Number(value());
		else if (arg === "--command") o.command = value();
		else if (arg === "--talk") o.talk = value();
		else if (!arg.startsWith("-") && !o.device) o.device = arg;
		else throw new UsageError(`unknown option ${arg}\n${usage}`);
	}
	if (!o.device) throw new UsageError(usage);
	if (!["fmp4", "annexb", "raw"].includes(o.format) || !(o.seconds >= 0)) throw new UsageError(usage);
	if (o.playback && !(o.playback.every(Number.isSafeInteger) && o.playback[0] < o.playback[1])) throw new UsageError(`--playback START END: two times (ISO 8601 or Unix ms), START before END\n${usage}`);
	if (o.playback && o.format === "annexb") throw new UsageError(`--playback comes as the camera stored it: fMP4 (no --format annexb)\n${usage}`);
	if (o.speed !== undefined && !(o.playback && Number.isInteger(o.speed) && o.speed >= 1 && o.speed <= 16)) throw new UsageError(`--speed N (1…16, × real time) goes with --playback\n${usage}`);
	const demoPassword = join(root, "ivxs-data", "admin-password.txt");
	if (!o.token && o.password === undefined && o.user === "admin" && existsSync(demoPassword)) o.password = readFileSync(demoPassword, "utf8").trim();
	if (!o.token && o.password === undefined) throw new UsageError(`sign in: --password P (or IVXS_PASSWORD), or an API token in IVXS_TOKEN\n${usage}`);
	if (o.command !== undefined) {
		try {
			JSON.parse(o.command);
		}
		catch {
			throw new UsageError(`--command JSON, e.g. '{"cmd":"recordings"}' (modules/protocol/viewer-commands.ts)\n${usage}`);
		}
		if (o.playback || o.talk !== undefined) throw new UsageError(`--command instead of a stream: not with --playback or --talk\n${usage}`);
		return o;   // the reply is JSON on stdout, a terminal's too
	}
	if (o.talk !== undefined) {
		if (!talkCodecOfFile(o.talk)) throw new UsageError(`--talk FILE: a file named .${TALK_FILE_EXTENSIONS.join(", .")} (AAC in ADTS, G.711 μ-law, A-law)\n${usage}`);
		if (!existsSync(o.talk)) throw new UsageError(`--talk ${o.talk}: no such file`);
		if (o.out === "-" && stdoutIsTerminal) {
			o.out = "";   // nowhere to put a stream: talk alone, ending with the talkback
			return o;
		}
	}
	if (o.out === "-" && stdoutIsTerminal) throw new UsageError("the stream is binary: pipe it (`| ffplay -`) or write a file (-o FILE)");
	if (o.out === "-" && env.npm_lifecycle_event === "view" && env.npm_config_loglevel !== "silent")
		throw new UsageError("npm wrote its banner into the pipe ahead of the stream: run `npm run -s view -- …` (or -o FILE)");
	return o;
}

/** A session cookie ("name=value") from the cloud's POST /v1/session; throws saying why when refused. */
export async function sessionCookie(cloud, user, password) {
	const res = await fetch(new URL("/v1/session", cloud), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user, password }) });
	if (res.status !== 200) throw new Error(`signing in as ${user} at ${cloud}: ${res.status} ${(await res.json().catch(() => ({}))).error ?? ""}`);
	return res.headers.get("set-cookie").split(";")[0];
}

/** The header the viewer app sends: the API token, or a session cookie. */
async function signIn(o) {
	if (o.token) return ["--auth", `Bearer ${o.token}`];
	return ["--cookie", await sessionCookie(o.cloud, o.user, o.password)];
}

/** A time as the command line gives it: Unix ms, or an ISO 8601 date-time. NaN when neither. */
const instant = (text) => /^\d+$/.test(text) ? Number(text) : Date.parse(text);

/** The stream the viewer asks for (modules/p2p/params.ts): live, or a span of the camera's own recordings. */
export function streamParams(o) {
	if (!o.playback) return "action=live";
	return `action=playback&start=${o.playback[0]}&end=${o.playback[1]}${o.speed ? `&speed=${o.speed}` : ""}`;
}

/** Runs the viewer; resolves with its exit code. `output`: where the stream goes (a writable). */
export async function view(o, { output = process.stdout, log = (line) => process.stderr.write(`${line}\n`), onReport } = {}) {
	const url = new URL(o.cloud);
	if (url.protocol !== "http:") throw new Error("the viewer speaks http:// to the cloud for now (put it next to the cloud, or behind a local TLS proxy)");
	const { address } = await lookup(url.hostname, { family: 4 });
	const args = ["modules/app/viewer", "--", "--cloud", `${address}:${url.port || 80}`, "--host", url.host, "--device", o.device, "--format", o.format ?? "fmp4", ...await signIn(o)];
	if (o.seconds) args.push("--seconds", String(o.seconds));
	if (o.command !== undefined) return command(o, args, output, log, onReport);
	if (o.talk !== undefined) args.push("--talk", resolve(o.talk));   // the viewer runs in the repository
	if (o.out === "") return reportsOf(spawn(join(root, "build/bin/ivxs"), args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] }), o, log, onReport);
	args.push("--params", streamParams(o));
	const toFile = o.out !== "-";
	// The stream through a FIFO (the app's stdout carries its trace lines; Node's stdio pipes are
	// sockets, which /dev/fd/N cannot reopen) to our stdout, or straight into the file.
	let fifo, drained = Promise.resolve();
	if (!toFile) {
		fifo = join(mkdtempSync(join(tmpdir(), "ivxs-view-")), "stream");
		execFileSync("mkfifo", ["-m", "600", fifo]);
		const stream = createReadStream(fifo);
		stream.pipe(output, { end: false });
		drained = new Promise((resolve) => stream.once("close", resolve));
	}
	args.push("--out", toFile ? o.out : fifo);
	const child = spawn(join(root, "build/bin/ivxs"), args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
	const code = await reportsOf(child, o, log, onReport);
	if (fifo) {
		// A viewer that failed before opening the FIFO leaves our reader waiting in open(): an
		// open and close of the writing end gives it its end. Then everything written is out.
		try {
			closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
		}
		catch {
			// the reader had finished already
		}
		await drained;
		rmSync(dirname(fifo), { recursive: true, force: true });
	}
	return code;
}

/** The viewer app's `@@view…` lines as reports (and, unless quiet, readable lines on the log); resolves with its exit code. */
async function reportsOf(child, o, log, onReport) {
	createInterface({ input: child.stdout }).on("line", (line) => {
		const m = /^@@(view[a-z-]*) (.*)$/.exec(line);
		if (!m) {
			if (line && !o.quiet) log(line);
			return;
		}
		const report = JSON.parse(m[2]);
		onReport?.(m[1], report);
		if (o.quiet) return;
		if (m[1] === "view") log(`${report.path} (${report.type} ${report.address}:${report.port}) rtt ${report.rttMs} ms, ${(report.rate * 8 / 1000).toFixed(0)} kbit/s, ${report.frames} frames, ${report.lost} lost, ${report.packetsLost} packets lost`);
		else if (m[1] === "view-path") log(`path: ${report.kind} via ${report.type} ${report.address}:${report.port} (check ${report.checkRttMs} ms)`);
		else if (m[1] === "view-connected") log(`connected: packets of version ${report.version} (${report.version === 6 ? "AES-128-CTR + HMAC-SHA-256" : "ChaCha20-Poly1305"})`);
		else if (m[1] === "view-moved") log(report.who === "camera" ? `the camera's address changed: the session moved to it (after ${report.frames} frames)` : `the camera saw this viewer at a new address (after ${report.frames} frames)`);
		else if (m[1] === "view-talk") log(`talkback: ${report.frames} frames, ${report.bytes} bytes (${report.params}) sent in ${report.ms} ms`);
		else if (m[1] === "view-candidates") log(report.who === "camera" ? `the camera sent new candidates mid-session: ${report.candidates} (${report.answered} answered a check)` : `this viewer's address changed: sent the camera ${report.candidates}`);
		else if (m[1] === "view-first") log(`first frame ${report.ms} ms after asking the cloud${report.key ? " (a key frame)" : ""}`);
		else if (m[1] === "view-open") log(`watching ${o.device} (${report.media.codec}${report.media.audio ? " + audio" : ""}), first request → open in ${report.ms} ms`);
		else log(`${m[1]}: ${m[2]}`);
	});
	child.stderr.on("data", (chunk) => o.quiet || process.stderr.write(chunk));
	return new Promise((resolve) => child.on("close", (status) => resolve(status ?? 1)));
}

/** `--command JSON`: one command to the camera instead of a stream; its JSON reply goes to `output`. */
async function command(o, args, output, log, onReport) {
	args.push("--command", o.command);
	const child = spawn(join(root, "build/bin/ivxs"), args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
	let reply;
	const code = await reportsOf(child, o, log, (kind, report) => {
		if (kind === "view-reply") reply = report;
		onReport?.(kind, report);
	});
	if (reply !== undefined) output.write(`${JSON.stringify(reply)}\n`);
	return code;
}

if (import.meta.url === `file://${process.argv[1]}`) {
	helpIfAsked(process.argv.slice(2), import.meta.url);
	process.stdout.on("error", () => process.exit(0));   // the player went away (ffplay closed)
	// A usage mistake exits 2 with its message alone; anything else 1, with its cause.
	new Promise((resolve) => resolve(view(parse(process.argv.slice(2))))).then((code) => process.exit(code), (error) => {
		if (error instanceof UsageError) console.error(error.message);
		else console.error(`npm run view: ${error.message}${error.cause ? ` (${error.cause.message ?? error.cause})` : ""}`);
		process.exit(error instanceof UsageError ? 2 : 1);
	});
}
