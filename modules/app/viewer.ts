/*
 * The P2P viewer app (issue 14 §4; `npm run view -- <device>` runs it, scripts/view.mjs): on the
 * XS host, over the same C transport and modules/p2p viewer as the camera's tests use. It asks the
 * cloud for a session with a device (the caller's sign-in as an Authorization or Cookie header),
 * gathers its candidates (own addresses; server-reflexive from the cloud's STUN servers), sends
 * its offer, checks the camera's candidates and connects over the best path, opens the stream
 * --params asks for (live by default: muxed to fMP4 or Annex B by viewer-sink.ts; playback comes
 * as the camera stored it, fMP4, and is written as is) and prints one `@@view {json}` line a second: path, RTT, rate, loss.
 * --talk FILE sends the file as talkback (viewer-talk.ts; `@@view-talk {json}` when it ended): along
 * with the stream, or alone without --out (then it ends with the talkback).
 * Mid-session it follows moves through the cloud (issue 14 §3): it polls for the camera's new
 * candidates and checks them (opening its NAT to the camera's new address: the transport then
 * moves the session by path validation), and every 2 s asks the STUN server where it sees this
 * end — when that changed, it sends the cloud its own new candidates for the camera to check.
 *
 *   ivxs modules/app/viewer -- --cloud ADDRESS:PORT --device ID [--auth VALUE | --cookie VALUE]
 *        [--host NAME] [--out PATH] [--format fmp4|annexb|raw] [--seconds N] [--params QUERY | --command JSON] [--talk FILE]
 *
 * Ends (exit 0) after --seconds, or when the camera closes the session it opened (exit 3); a refusal
 * by the cloud or the camera (closed before the stream opened) or no path to the camera is exit 2,
 * a refusal by the cloud or no path with `@@view-error {json}`.
 */
import { argv, exit, FileWriter, localAddresses, monotonic, readFile } from "ivxs/platform";
import Timer from "timer";
import { HttpClient } from "../net/http-client.js";
import { decodeJsonAscii, encodeJsonAscii } from "../protocol/viewer-commands.js";
import { choosePath, gather, MoveWatch, P2PViewer, pathKind, pathType, placeOf } from "../p2p/index.js";
import { fromHex } from "../protocol/hex.js";
import { candidatesOf, stunServersOf, type Candidate, type P2pMedia } from "../protocol/signal.js";
import { talkCodecOfFile } from "../protocol/talkback.js";
import { ViewerSink, type SinkFormat } from "./viewer-sink.js";
import { sendTalk, talkFrames } from "./viewer-talk.js";

interface Options { cloud: string; host: string; device: string; auth: string; cookie: string; out: string; format: SinkFormat | "raw"; seconds: number; params: string; command: string; talk: string }

/** A talkback file read whole, at most (G.711: 35 minutes). */
const TALK_MAX_BYTES = 16 * 1024 * 1024;

function parseArguments(args: string[]): Options {
	const o: Options = { cloud: "", host: "", device: "", auth: "", cookie: "", out: "", format: "fmp4", seconds: 0, params: "action=live", command: "", talk: "" };
	const names: Record<string, keyof Options> = { "--cloud": "cloud", "--host": "host", "--device": "device", "--auth": "auth", "--cookie": "cookie", "--out": "out", "--format": "format", "--seconds": "seconds", "--params": "params", "--command": "command", "--talk": "talk" };
	for (let i = 0; i < args.length; i++) {
		const key = names[args[i]];
		if (!key || i + 1 >= args.length) throw new RangeError(`viewer: ${args[i]}: unknown option or no value`);
		(o as unknown as Record<string, unknown>)[key] = key === "seconds" ? Number(args[++i]) : args[++i];
	}
	if (!/^[^:]+:\d+$/.test(o.cloud) || !o.device) throw new RangeError("viewer: --cloud ADDRESS:PORT and --device ID are needed");
	if (o.format !== "fmp4" && o.format !== "annexb" && o.format !== "raw") throw new RangeError("viewer: --format is fmp4, annexb or raw");
	if (o.format === "annexb" && o.params.startsWith("action=playback")) throw new RangeError("viewer: playback comes as the camera stored it, fMP4");
	if (!(o.seconds >= 0)) throw new RangeError("viewer: --seconds is a number ≥ 0");
	if (o.talk && !talkCodecOfFile(o.talk)) throw new RangeError("viewer: --talk takes .aac (ADTS), .ul/.ulaw (G.711 μ-law) or .al/.alaw (A-law)");
	return o;
}

const report = (kind: string, value: unknown) => trace(`@@${kind} ${JSON.stringify(value)}\n`);

/** How often this end checks whether its own address changed (as the camera does: p2p-signal.ts). */
const MOVE_CHECK_MS = 2000;

export default async function main(): Promise<void> {
	let o: Options;
	try {
		o = parseArguments(argv());
	}
	catch (error) {
		trace(`${(error as Error).message}\n`);
		return exit(2);
	}
	const fail = (error: string) => {
		report("view-error", { error });
		Timer.set(() => exit(2), 0);
	};
	const at = o.cloud.lastIndexOf(":");
	const client = () => new HttpClient({ address: o.cloud.slice(0, at), port: Number(o.cloud.slice(at + 1)), host: o.host || o.cloud, connectTimeout: 5000 });
	// Two connections: the long poll for the camera's candidates holds one (`poll`).
	const http = client(), poll = client();
	const headers: Record<string, string> = { accept: "application/json" };
	if (o.auth) headers.authorization = o.auth;
	if (o.cookie) headers.cookie = o.cookie;
	const api = async (method: string, path: string, body?: unknown, on = http) => {
		const answer = await on.request({ method, path, headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
		const value = answer.body.length ? answer.json() as Record<string, unknown> : {};
		if (answer.status !== 200) throw new Error(`${method} ${path}: ${answer.status} ${String(value.error ?? answer.reason)}`);
		return value;
	};

	let frames = 0, bytes = 0, lost = 0, lastBytes = 0, asked = 0;
	let sink: ViewerSink | undefined;
	// Written as it arrives: playback (the camera's stored fMP4), or --format raw (a C firmware's own stream, e.g. FLV).
	const asIs = o.params.startsWith("action=playback") || o.format === "raw";
	let out: FileWriter | undefined;
	const viewer = new P2PViewer({
		monotonic,
		onFrame(data, info) {
			// The figure a viewer feels: from asking the cloud to the first frame (issue 14 §5).
			if (!frames) report("view-first", { ms: Math.round(monotonic() - asked), key: info.key });
			frames++;
			bytes += data.byteLength;
			lost += info.lost;
			// Playback arrives as the camera stored it (fMP4: init segment, then fragments): written as is.
			if (asIs) out?.write([data]);
			else sink?.frame(data, info.timestamp);
		},
		onClosed(status) {
			// Before the stream opened, a close is the camera's refusal (full, or a right the grant lacks).
			finish(opened ? 3 : 2, `the camera closed the session (${status})`);
		},
		onMoved(who) {
			report("view-moved", { who, frames });
		},
	});
	let done = false, opened = false;
	const finish = (code: number, why: string) => {
		if (done) return;
		done = true;
		sink?.end();
		out?.close();
		report("view-end", { why, frames, bytes, lost, written: sink?.written ?? 0, refused: sink?.refused ?? 0, unplaced: sink?.unplaced ?? 0 });
		viewer.close();
		http.close();
		poll.close();
		Timer.set(() => exit(code), 50);
	};
	try {
		if (o.out) out = new FileWriter(o.out);
		// The file is read and cut before asking the cloud: a bad file costs no ticket.
		const talk = o.talk ? talkFrames(new Uint8Array(readFile(o.talk, { maxBytes: TALK_MAX_BYTES })), talkCodecOfFile(o.talk)!) : undefined;
		const stun = stunServersOf((await api("GET", "/v1/p2p")).stun) ?? [];
		const hosts = localAddresses();
		const { candidates } = await gather(viewer.checks, hosts, viewer.port, stun);
		const started = asked = monotonic();
		const answer = await api("POST", `/v1/devices/${o.device}/p2p`, { candidates });
		const camera = candidatesOf(answer.candidates) ?? [];
		const media = (answer.media ?? { codec: "h264", audio: false }) as P2pMedia;
		const path = await choosePath(viewer.checks, camera);
		if (!path) return fail(`no path to the camera: none of ${camera.map((c) => `${c.type} ${c.address}:${c.port}`).join(", ") || "no candidates"} answered`);
		report("view-path", { type: path.type, kind: pathKind(path.type), address: path.address, port: path.port, checkRttMs: Math.round(path.rttMs), ours: candidates });
		await viewer.connect({ address: path.address, port: path.port, ticket: fromHex(String(answer.ticket))!, psk: fromHex(String(answer.psk))! });
		// the packets' version the camera chose (native/p2p/PROTOCOL.md: 6 where its chip seals AES and SHA)
		report("view-connected", { version: viewer.stats().version });
		if (out && !asIs) sink = new ViewerSink(media, o.format as SinkFormat, (chunks) => out!.write(chunks));
		if (o.command) {
			// One command (JSON, modules/protocol/viewer-commands.ts) instead of a stream: its reply, then the end.
			report("view-reply", decodeJsonAscii(await viewer.command(encodeJsonAscii(JSON.parse(o.command)))));
			return finish(0, "reply");
		}
		const tick = Timer.repeat(() => {
			if (done) return Timer.clear(tick);
			const s = viewer.stats();
			// The path now: the session follows the camera when it moves (path.ts; prflx: a new address).
			const { address, port } = s.camera;
			const type = pathType(s.camera, { relayed: false, offered: camera, mapped: viewer.checks.mappedBy(address, port), hosts });
			report("view", { path: pathKind(type), type, address, port, rttMs: s.srttMs, rate: bytes - lastBytes, frames, lost, packetsLost: s.lost });
			lastBytes = bytes;
		}, 1000);
		if (o.seconds) Timer.set(() => finish(0, "time"), o.seconds * 1000);
		followMoves(String(answer.session), candidates, stun);
		if (talk) {
			// Talk alone (no --out) ends with the talkback; along with a stream it just reports.
			sendTalk(viewer, talk, monotonic).then((sent) => {
				report("view-talk", { ...sent, params: talk.params });
				if (!o.out) finish(0, "talk");
			}, (error: Error) => done || fail(`talkback: ${error.message}`));
			if (!o.out) return;
		}
		await viewer.open(o.params);
		opened = true;
		report("view-open", { ms: Math.round(monotonic() - started), session: answer.session, media });
	}
	catch (error) {
		fail((error as Error).message);
	}

	/** Moves mid-session, through the cloud: the camera's new candidates (a long poll), this end's own. */
	function followMoves(session: string, sent: Candidate[], stun: Array<{ address: string; port: number }>): void {
		const path = `/v1/devices/${o.device}/p2p/${session}/candidates`;
		let seq = 0;
		const next = async (): Promise<void> => {
			while (!done) {
				try {
					const update = await api("GET", `${path}?after=${seq}`, undefined, poll);
					const camera = candidatesOf(update.candidates) ?? [];
					seq = Number(update.seq) || seq;
					if (!camera.length) continue;
					const answered = await Promise.all(camera.map((c) => viewer.checks.check(c.address, c.port)));
					report("view-candidates", { who: "camera", candidates: placeOf(camera), answered: answered.filter(Boolean).length });
				}
				catch (error) {
					if (done) return;
					report("view-warn", { error: `candidates: ${(error as Error).message}` });
					await new Promise((resolve) => Timer.set(resolve, 1000));
				}
			}
		};
		next();
		const moves = new MoveWatch(viewer.checks, viewer.port);
		moves.sent(sent);
		const moved = (mine: Candidate[]): void => {
			if (done) return;
			moves.sent(mine);
			report("view-candidates", { who: "viewer", candidates: placeOf(mine) });
			api("POST", path, { candidates: mine.slice(0, 8) }).catch((error: Error) => report("view-warn", { error: `candidates not sent: ${error.message}` }));
		};
		const tick = Timer.repeat(() => {
			if (done) return Timer.clear(tick);
			moves.check(localAddresses(), stun, moved);
		}, MOVE_CHECK_MS);
	}
}
