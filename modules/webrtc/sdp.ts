/**
 * SDP for WebRTC viewers (RFC 8866 syntax, RFC 8829 JSEP offer/answer, RFC 8843 BUNDLE): a
 * viewer's offer read — bounded, since a viewer the cloud admitted is still a stranger — and the
 * camera's answer written. The camera answers every offer (a=setup:passive: it is the DTLS
 * server, native/webrtc/dtls.h), sends what the viewer asked to receive, takes talkback audio the
 * viewer sends, and keeps a DataChannel for commands when offered.
 *
 * Pure functions over strings: the camera (XS) and the cloud (Node) can both use them.
 */
import { candidatePriority } from "./ice.js";
import { MAX_SDP_BYTES } from "../protocol/webrtc-signal.js";
import { pattern } from "../protocol/pattern.js";
import { ipv4Octets } from "../protocol/candidate-address.js";

/** The largest offer read (the protocol's bound on what the cloud hands a camera). */
export { MAX_SDP_BYTES };
/** The transport-wide sequence number header extension (native/webrtc/twcc.h numbers packets with it). */
export const TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/** Media sections and codecs an offer may name at most, and the candidates (UDP, IPv4) it takes. */
export const SDP_LIMITS = Object.freeze({ media: 8, candidates: 32, codecsPerMedia: 64, lineBytes: 1024 });

export class SdpError extends Error {
	override name = "SdpError";
	constructor(message: string) {
		super(`sdp: ${message}`);
	}
}

export interface SdpCodec {
	pt: number;
	name: string;                          /** upper case: H264, H265, OPUS, PCMU, PCMA, RTX, … */
	clock: number;
	channels: number;
	fmtp: Readonly<Record<string, string>>;
	rtcpFb: readonly string[];             /** "nack", "nack pli", "ccm fir", "transport-cc", … */
}

export interface SdpCandidate {
	foundation: string;
	component: number;
	protocol: "udp" | "tcp";
	priority: number;
	address: string;
	port: number;
	type: "host" | "srflx" | "prflx" | "relay";
}

export interface SdpMedia {
	kind: "audio" | "video" | "application";
	mid: string;
	port: number;
	protocol: string;
	direction: "sendrecv" | "sendonly" | "recvonly" | "inactive";
	codecs: SdpCodec[];
	/** application: the SCTP port of a DataChannel (RFC 8841 a=sctp-port, or the older sctpmap) */
	sctpPort?: number;
	ice?: { ufrag: string; pwd: string };
	fingerprint?: { algorithm: string; bytes: Uint8Array };
	setup?: "actpass" | "active" | "passive";
	rtcpMux: boolean;
	candidates: SdpCandidate[];
	extmap: Array<{ id: number; uri: string }>;
}

export interface SdpOffer {
	bundle: string[];
	media: SdpMedia[];
	/** The transport of the BUNDLE (the first bundled section's, RFC 8843 §7.2), or of the first section. */
	ice: { ufrag: string; pwd: string };
	fingerprint: { algorithm: "sha-256"; bytes: Uint8Array };
	setup: "actpass" | "active" | "passive";
}

const DIRECTIONS = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);
const ICE_CHARS = pattern(/^[A-Za-z0-9+\x2f]+$/);   // ice-char (RFC 8839 §5.4)

/** Reads a viewer's offer; anything malformed, unbounded or not WebRTC's is an SdpError. */
export function parseOffer(text: string): SdpOffer {
	if (typeof text !== "string") throw new SdpError("an offer is a string");
	if (text.length > MAX_SDP_BYTES) throw new SdpError(`an offer is at most ${MAX_SDP_BYTES} bytes`);
	const lines = text.split(/\r?\n/).filter((l) => l.length);
	if (lines[0] !== "v=0") throw new SdpError("an offer starts with v=0");
	const bundle: string[] = [];
	const session: Partial<SdpMedia> = {};
	const media: SdpMedia[] = [];
	let candidates = 0;
	let m: SdpMedia | undefined;
	for (const line of lines) {
		checkLine(line);
		const type = line[0], value = line.slice(2);
		if (type === "m") {
			if (media.length === SDP_LIMITS.media) throw new SdpError(`more than ${SDP_LIMITS.media} media sections`);
			m = mediaLine(value);
			media.push(m);
			continue;
		}
		if (type !== "a") continue;
		const colon = value.indexOf(":");
		const name = colon < 0 ? value : value.slice(0, colon), arg = colon < 0 ? "" : value.slice(colon + 1);
		if (!m) {
			if (name === "group" && arg.startsWith("BUNDLE ")) bundle.push(...arg.slice(7).split(" ").filter(Boolean));
			else sessionAttribute(session, name, arg);
			continue;
		}
		if (name === "candidate") {
			// past SDP_LIMITS.candidates the camera can use, the rest are passed over unread: a viewer on
			// a machine with many interfaces offers more (the offer's size bounds the lines)
			const candidate = candidates < SDP_LIMITS.candidates ? parseCandidate(arg) : undefined;
			if (candidate) {
				m.candidates.push(candidate);
				candidates++;
			}
		}
		else mediaAttribute(m, name, arg);
	}
	if (!media.length) throw new SdpError("no media section");
	const mids = new Set<string>();
	for (const s of media) {
		s.ice ??= session.ice;
		s.fingerprint ??= session.fingerprint;
		s.setup ??= session.setup;
		if (!s.mid) throw new SdpError(`a ${s.kind} section without a=mid`);
		// a mid names one section (RFC 8843 §7.2): the answer is written per mid and bundles by it
		if (mids.has(s.mid)) throw new SdpError(`two sections share a=mid:${s.mid}`);
		mids.add(s.mid);
	}
	const transport = media.find((s) => s.mid === bundle[0]) ?? media[0];
	if (!transport.ice) throw new SdpError("no a=ice-ufrag / a=ice-pwd");
	if (!transport.fingerprint || transport.fingerprint.algorithm !== "sha-256") throw new SdpError("no a=fingerprint:sha-256");
	if (!transport.setup) throw new SdpError("no a=setup");
	return { bundle, media, ice: transport.ice, fingerprint: transport.fingerprint as SdpOffer["fingerprint"], setup: transport.setup };
}

/** One line of an offer or fragment, its end of line taken off: bounded, `<type>=`, and no CR or NUL
 * in it (RFC 8866 §9: a line ends with CRLF, its text holds neither — a value holding one would be
 * echoed into the answer as a line of its own). */
function checkLine(line: string): void {
	if (line.length > SDP_LIMITS.lineBytes) throw new SdpError(`a line over ${SDP_LIMITS.lineBytes} bytes`);
	if (line[1] !== "=") throw new SdpError(`not an SDP line: ${line.slice(0, 40)}`);
	if (/[\r\0]/.test(line)) throw new SdpError(`a bare CR or NUL in a line: ${line.slice(0, 40).replace(/[\r\0]/g, "?")}`);
}

function mediaLine(value: string): SdpMedia {
	const [kind, port, protocol, ...formats] = value.split(" ");
	if (kind !== "audio" && kind !== "video" && kind !== "application") throw new SdpError(`media "${kind}" is not audio, video or application`);
	const p = Number(port);
	if (!Number.isInteger(p) || p < 0 || p > 65535) throw new SdpError(`port "${port}"`);
	if (!/^(UDP\/TLS\/RTP\/SAVPF|UDP\/DTLS\/SCTP|DTLS\/SCTP)$/.test(protocol ?? "")) throw new SdpError(`protocol "${protocol}" is not WebRTC's`);
	if (formats.length > SDP_LIMITS.codecsPerMedia) throw new SdpError(`more than ${SDP_LIMITS.codecsPerMedia} formats`);
	const codecs: SdpCodec[] = [];
	if (kind !== "application")
		for (const f of formats) {
			const pt = Number(f);
			if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new SdpError(`payload type "${f}"`);
			codecs.push({ pt, name: "", clock: 0, channels: 1, fmtp: {}, rtcpFb: [] });
		}
	return { kind, mid: "", port: p, protocol, direction: "sendrecv", codecs, rtcpMux: false, candidates: [], extmap: [] };
}

function sessionAttribute(s: Partial<SdpMedia>, name: string, arg: string): void {
	if (name === "ice-ufrag" || name === "ice-pwd") iceAttribute(s, name, arg);
	else if (name === "fingerprint") s.fingerprint = parseFingerprint(arg);
	else if (name === "setup") s.setup = parseSetup(arg);
}

function iceAttribute(s: Partial<SdpMedia>, name: string, arg: string): void {
	// RFC 8839: ufrag 4–256 ice-chars, pwd 22–256
	const [min, max] = name === "ice-ufrag" ? [4, 256] : [22, 256];
	if (arg.length < min || arg.length > max || !ICE_CHARS.test(arg)) throw new SdpError(`a=${name} must be ${min}–${max} ice-chars`);
	s.ice = { ufrag: s.ice?.ufrag ?? "", pwd: s.ice?.pwd ?? "", ...(name === "ice-ufrag" ? { ufrag: arg } : { pwd: arg }) };
}

function mediaAttribute(m: SdpMedia, name: string, arg: string): void {
	if (DIRECTIONS.has(name)) m.direction = name as SdpMedia["direction"];
	else if (name === "mid") {
		if (!/^[A-Za-z0-9_\-.]{1,32}$/.test(arg)) throw new SdpError(`a=mid "${arg.slice(0, 40)}"`);
		m.mid = arg;
	}
	else if (name === "rtcp-mux") m.rtcpMux = true;
	else if (name === "ice-ufrag" || name === "ice-pwd" || name === "fingerprint" || name === "setup") sessionAttribute(m, name, arg);
	else if (name === "sctp-port") m.sctpPort = portOf(arg);
	else if (name === "sctpmap") m.sctpPort = portOf(arg.split(" ")[0]);
	else if (name === "extmap") {
		const [id, uri] = arg.split(" ");
		if (m.extmap.length < 16 && Number.isInteger(Number(id.split("/")[0])) && uri) m.extmap.push({ id: Number(id.split("/")[0]), uri });
	}
	else if (name === "rtpmap" || name === "fmtp" || name === "rtcp-fb") {
		const space = arg.indexOf(" ");
		const codec = m.codecs.find((c) => String(c.pt) === arg.slice(0, space));
		if (!codec || space < 0) return;   // about a format the m= line does not list (or a wildcard): not ours
		const rest = arg.slice(space + 1);
		if (name === "rtpmap") {
			const [codecName, clock, channels] = rest.split("/");
			codec.name = codecName.toUpperCase();
			codec.clock = Number(clock) || 0;
			codec.channels = Number(channels) || 1;
		}
		else if (name === "fmtp") {
			const fmtp: Record<string, string> = {};
			for (const pair of rest.split(";")) {
				const eq = pair.indexOf("=");
				if (eq > 0 && Object.keys(fmtp).length < 16) fmtp[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
			}
			codec.fmtp = fmtp;
		}
		else if (codec.rtcpFb.length < 8) (codec.rtcpFb as string[]).push(rest);
	}
}

function portOf(text: string): number {
	const p = Number(text);
	if (!Number.isInteger(p) || p < 1 || p > 65535) throw new SdpError(`SCTP port "${text}"`);
	return p;
}

function parseSetup(arg: string): SdpOffer["setup"] {
	if (arg !== "actpass" && arg !== "active" && arg !== "passive") throw new SdpError(`a=setup:${arg.slice(0, 20)}`);
	return arg;
}

function parseFingerprint(arg: string): { algorithm: string; bytes: Uint8Array } {
	const [algorithm, hex] = arg.split(" ");
	const parts = (hex ?? "").split(":");
	if (algorithm.toLowerCase() !== "sha-256") return { algorithm: algorithm.toLowerCase(), bytes: new Uint8Array(0) };
	if (parts.length !== 32 || !parts.every((p) => /^[0-9A-Fa-f]{2}$/.test(p))) throw new SdpError("a=fingerprint:sha-256 must be 32 hex bytes");
	return { algorithm: "sha-256", bytes: Uint8Array.from(parts, (p) => parseInt(p, 16)) };
}

/** RFC 8839 §5.1: "foundation component transport priority address port typ type …"; undefined for what the camera does not use (TCP, mDNS names). */
function parseCandidate(arg: string): SdpCandidate | undefined {
	const f = arg.split(" ");
	if (f.length < 8 || f[6] !== "typ") throw new SdpError(`a=candidate:${arg.slice(0, 40)}`);
	const protocol = f[2].toLowerCase(), type = f[7];
	const port = Number(f[5]), component = Number(f[1]), priority = Number(f[3]);
	if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(component) || !Number.isInteger(priority)) throw new SdpError(`a=candidate:${arg.slice(0, 40)}`);
	if (protocol !== "udp" || !ipv4Octets(f[4])) return undefined;
	if (type !== "host" && type !== "srflx" && type !== "prflx" && type !== "relay") return undefined;
	return { foundation: f[0], component, protocol, priority, address: f[4], port, type };
}

/** An ICE restart's SDP fragment (RFC 8840, as WHEP's PATCH carries it): new credentials and
 * candidates; other lines (m=, a=mid, a=end-of-candidates) are passed over. Bounded as an offer. */
export interface IceFragment {
	/** Absent: a fragment of candidates only (trickle, not a restart). */
	ice?: { ufrag: string; pwd: string };
	candidates: SdpCandidate[];
}

export function parseIceFragment(text: string, maxBytes: number): IceFragment {
	if (typeof text !== "string") throw new SdpError("an ICE fragment is a string");
	if (text.length > maxBytes) throw new SdpError(`an ICE fragment is at most ${maxBytes} bytes`);
	const found: Partial<SdpMedia> = {};
	const candidates: SdpCandidate[] = [];
	for (const line of text.split(/\r?\n/)) {
		if (!line.length) continue;
		checkLine(line);
		if (!line.startsWith("a=")) continue;
		const colon = line.indexOf(":"), name = colon < 0 ? line.slice(2) : line.slice(2, colon), arg = colon < 0 ? "" : line.slice(colon + 1);
		if (name === "ice-ufrag" || name === "ice-pwd") iceAttribute(found, name, arg);
		else if (name === "candidate") {
			const candidate = candidates.length < SDP_LIMITS.candidates ? parseCandidate(arg) : undefined;   // (as an offer's)
			if (candidate) candidates.push(candidate);
		}
	}
	if (found.ice && (!found.ice.ufrag || !found.ice.pwd)) throw new SdpError("a restart gives both a=ice-ufrag and a=ice-pwd");
	return { ...(found.ice ? { ice: found.ice } : {}), candidates };
}

/** The camera's side of an ICE restart: its new credentials and its candidates, as a fragment. */
export function writeIceFragment(ice: { ufrag: string; pwd: string }, candidates: ReadonlyArray<Pick<SdpCandidate, "address" | "port" | "type">>): string {
	return [`a=ice-ufrag:${ice.ufrag}`, `a=ice-pwd:${ice.pwd}`, ...candidateLines(candidates)].join("\r\n") + "\r\n";
}

/** The camera's candidates as a=candidate lines, best first. */
function candidateLines(candidates: ReadonlyArray<Pick<SdpCandidate, "address" | "port" | "type">>): string[] {
	return candidates.map((c, i) => `a=candidate:${i + 1} 1 udp ${candidatePriority(c.type, 65535 - i)} ${c.address} ${c.port} typ ${c.type}`);
}

/**
 * The offer's H.264 that a stream of `profileIdc` (the SPS's profile_idc: 66 baseline, 77 main,
 * 100 high) can be sent as: packetization-mode=1 (FU-A, STAP-A: native/webrtc/rtp_video.c), the
 * same profile first, else one with level-asymmetry-allowed of any profile (browsers decode a
 * higher profile than they named: `exact` false says so, for the log).
 */
export function chooseH264(m: SdpMedia, profileIdc: number): { codec: SdpCodec; exact: boolean } | undefined {
	const h264 = m.codecs.filter((c) => c.name === "H264" && c.clock === 90000 && c.fmtp["packetization-mode"] === "1");
	const profileOf = (c: SdpCodec) => parseInt((c.fmtp["profile-level-id"] ?? "42e01f").slice(0, 2), 16);
	const exact = h264.find((c) => profileOf(c) === profileIdc);
	if (exact) return { codec: exact, exact: true };
	const loose = h264.find((c) => c.fmtp["level-asymmetry-allowed"] === "1") ?? h264[0];
	return loose ? { codec: loose, exact: false } : undefined;
}

/** The id under which the offer's section numbers its packets transport-wide (a=extmap with
 * TWCC_URI, in RFC 8285's one-byte range 1–14) when `codec` takes its feedback (a=rtcp-fb
 * transport-cc); undefined otherwise: the camera then sends without this congestion control. */
export function transportCcOf(m: SdpMedia, codec: SdpCodec): number | undefined {
	const id = twccExtensionOf(m);
	return id !== undefined && codec.rtcpFb.includes("transport-cc") ? id : undefined;
}

/** The id under which the offer's section lists the transport-wide sequence number extension
 * (TWCC_URI, in RFC 8285's one-byte range 1–14), whatever its codecs' feedback; undefined otherwise. */
export function twccExtensionOf(m: SdpMedia): number | undefined {
	const id = m.extmap.find((e) => e.uri === TWCC_URI)?.id;
	return id !== undefined && id >= 1 && id <= 14 ? id : undefined;
}

/** The offer's first codec of `names` (audio: e.g. ["PCMU", "PCMA"]). */
export function chooseCodec(m: SdpMedia, names: readonly string[]): SdpCodec | undefined {
	for (const name of names) {
		const codec = m.codecs.find((c) => c.name === name);
		if (codec) return codec;
	}
	return undefined;
}

export interface AnswerParams {
	sessionId: string;                     /** digits, stable for the session */
	ice: { ufrag: string; pwd: string };
	fingerprint: Uint8Array;               /** SHA-256 of the camera's DTLS certificate */
	candidates: ReadonlyArray<Pick<SdpCandidate, "address" | "port" | "type">>;
	/** Per offered mid: the codec the camera sends (video, audio) or receives (talkback audio); absent:
	 * rejected. `transportCc`: the extension id its packets are numbered with (transportCcOf). */
	accept: Readonly<Record<string, { codec?: SdpCodec; ssrc?: number; direction: SdpMedia["direction"]; transportCc?: number }>>;
	/** Keep the offered DataChannel (commands), taking messages of at most `maxMessageSize` bytes
	 * (a=max-message-size, RFC 8841 §6: the viewer sends none larger); absent: rejected. */
	dataChannel?: { maxMessageSize: number };
	/** RFC 8445 §2.5 lite: the camera only answers checks (the viewer, a full agent, controls and nominates). */
	iceLite?: boolean;
}

/** A codec's a=rtpmap line as the answer gives it. */
const rtpmapOf = (kind: string, c: SdpCodec): string => `a=rtpmap:${c.pt} ${c.name}/${c.clock}${kind === "audio" && c.channels > 1 ? `/${c.channels}` : ""}`;

/** The camera's answer to `offer` (RFC 8829 §5.3): one BUNDLE transport, a=setup:passive, a=rtcp-mux. */
export function writeAnswer(offer: SdpOffer, p: AnswerParams): string {
	const fp = Array.from(p.fingerprint, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
	const accepted = offer.media.filter((m) => (m.kind === "application" ? !!p.dataChannel && m.sctpPort !== undefined : !!p.accept[m.mid]?.codec));
	const out = ["v=0", `o=- ${p.sessionId} 2 IN IP4 0.0.0.0`, "s=ivxs", "t=0 0"];
	if (accepted.length) out.push(`a=group:BUNDLE ${accepted.map((m) => m.mid).join(" ")}`);
	out.push("a=msid-semantic: WMS ivxs");
	if (p.iceLite) out.push("a=ice-lite");
	for (const m of offer.media) {
		const taken = accepted.includes(m);
		const transportLines = [`a=ice-ufrag:${p.ice.ufrag}`, `a=ice-pwd:${p.ice.pwd}`, `a=fingerprint:sha-256 ${fp}`, "a=setup:passive", `a=mid:${m.mid}`];
		if (!taken) {
			// rejected: port 0, the first format the offer gave (RFC 8829 §5.3.1); with the transport's
			// lines and that format's rtpmap all the same — RFC 8829 needs none in a rejected section,
			// but some stacks (aiortc) read them from every section and refuse the whole answer without
			const first = m.kind === "application" ? undefined : m.codecs[0];
			out.push(`m=${m.kind} 0 ${m.protocol} ${m.kind === "application" ? (m.protocol === "DTLS/SCTP" ? String(m.sctpPort ?? 5000) : "webrtc-datachannel") : first?.pt ?? 0}`, "c=IN IP4 0.0.0.0", ...transportLines, "a=inactive",
				...(m.kind === "application" ? [] : ["a=rtcp-mux"]), ...(first ? [rtpmapOf(m.kind, first)] : []));
			continue;
		}
		if (m.kind === "application") {
			const legacy = m.protocol === "DTLS/SCTP";
			out.push(`m=application 9 ${m.protocol} ${legacy ? m.sctpPort : "webrtc-datachannel"}`, "c=IN IP4 0.0.0.0", ...transportLines,
				legacy ? `a=sctpmap:${m.sctpPort} webrtc-datachannel 65535` : `a=sctp-port:${m.sctpPort}`, `a=max-message-size:${p.dataChannel!.maxMessageSize}`);
		}
		else {
			const { codec, ssrc, direction, transportCc } = p.accept[m.mid]!;
			const c = codec!;
			out.push(`m=${m.kind} 9 ${m.protocol} ${c.pt}`, "c=IN IP4 0.0.0.0", ...transportLines, `a=${direction}`, "a=rtcp-mux", rtpmapOf(m.kind, c));
			const fmtp = Object.entries(c.fmtp).map(([k, v]) => `${k}=${v}`).join(";");
			if (fmtp) out.push(`a=fmtp:${c.pt} ${fmtp}`);
			for (const fb of c.rtcpFb) if (fb === "nack" || fb === "nack pli" || fb === "ccm fir") out.push(`a=rtcp-fb:${c.pt} ${fb}`);
			// receiver reference times (RFC 3611 §4.4, libwebrtc's name): a viewer that only receives
			// learns the round trip from our answers to them and NACKs again after it, not after its
			// 100-ms default — browsers do not offer it, and take it from the answer
			if (m.kind === "video" && c.rtcpFb.includes("nack") && (direction === "sendonly" || direction === "sendrecv")) out.push(`a=rtcp-fb:${c.pt} rrtr`);
			if (transportCc !== undefined) out.push(`a=rtcp-fb:${c.pt} transport-cc`, `a=extmap:${transportCc} ${TWCC_URI}`);
			if (ssrc !== undefined && (direction === "sendonly" || direction === "sendrecv")) out.push(`a=ssrc:${ssrc} cname:ivxs`, `a=msid:ivxs ${m.kind}`);
		}
		if (m === accepted[0]) out.push(...candidateLines(p.candidates));
	}
	return out.join("\r\n") + "\r\n";
}
