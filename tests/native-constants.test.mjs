// The numbers a native module's JS exports beside its C (native/<module>/<module>.js): each is the
// value of the C header's #define it stands for, and each member of a frozen enum (FrameType,
// Rights, DtlsState, …) the value of its enumerator — the JS cannot ask the C for them, as a
// board's preload runs module bodies at build time, where no native code runs. A new number or
// enum exported without a row here fails, so no copy of a C value goes unchecked.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./_host.mjs";

const read = (file) => readFileSync(join(root, file), "utf8");

// JS export → [header, #define]
const MIRRORS = {
	"native/p2p/p2p.js": {
		MTU: ["native/p2p/p2p.h", "IVXS_P2P_MTU"],
		ADDRESS_BYTES: ["native/p2p/p2p.h", "IVXS_P2P_ADDRESS_BYTES"],
		TICKET_BYTES: ["native/p2p/p2p.h", "IVXS_P2P_TICKET_BYTES"],
		PSK_BYTES: ["native/p2p/p2p.h", "IVXS_P2P_PSK_BYTES"],
		MAX_COMMAND: ["native/p2p/p2p.h", "IVXS_P2P_MAX_COMMAND"],
	},
	"native/webrtc/webrtc.js": {
		SRTP_TAG_BYTES: ["native/webrtc/srtp.h", "IVXS_SRTP_TAG_BYTES"],
		SRTCP_TRAILER_BYTES: ["native/webrtc/srtp.h", "IVXS_SRTCP_TRAILER_BYTES"],
		HISTORY_FRAMES: ["native/webrtc/rtp_wire.h", "IVXS_RTP_WIRE_HISTORY"],
		RESENDS_PER_SECOND: ["native/webrtc/rtp_wire.h", "IVXS_RTP_WIRE_RESENDS_PER_SECOND"],
		AUDIO_PACKET_BYTES: ["native/webrtc/rtp_wire.h", "IVXS_RTP_WIRE_AUDIO_PACKET"],
		RTCP_PER_SECOND: ["native/webrtc/modwebrtc.h", "IVXS_WEBRTC_RTCP_PER_SECOND"],
		FEED_SEND_UNTIL: ["native/webrtc/modwebrtc.h", "IVXS_WEBRTC_FEED_SEND_UNTIL"],
		FEED_ERROR: ["native/webrtc/modwebrtc.h", "IVXS_WEBRTC_FEED_ERROR"],
	},
	"native/fmp4/fmp4.js": {
		READY: ["native/fmp4/fmp4.h", "IVXS_FMP4_READY"],
		DROPPED: ["native/fmp4/fmp4.h", "IVXS_FMP4_DROPPED"],
		NEW_AUDIO: ["native/fmp4/fmp4.h", "IVXS_FMP4_NEW_AUDIO"],
	},
};

const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
// JS enum → [header, its member's enumerator name]; the members' names are the enumerators' in camelCase
const ENUMS = {
	"native/fmp4/fmp4.js": {
		Mode: ["native/fmp4/fmp4.h", (k) => `IVXS_FMP4_${snake(k)}`],
	},
	"native/ring/ring.js": {
		FrameType: ["native/ring/ring.h", (k) => `IVXS_FRAME_${snake(k)}`],
		Codec: ["native/ring/ring.h", (k) => `IVXS_CODEC_${snake(k)}`],
	},
	"native/p2p/p2p.js": {
		Rights: ["native/p2p/p2p.h", (k) => `IVXS_P2P_RIGHT_${snake(k)}`],
		Channel: ["native/p2p/p2p.h", (k) => `IVXS_P2P_CH_${snake(k)}`],
		Kind: ["native/p2p/p2p.h", (k) => `IVXS_P2P_${snake(k)}`],
		Event: ["native/p2p/p2p.h", (k) => `IVXS_P2P_EV_${snake(k)}`],
		// the status codes: IVXS_P2P_OK, IVXS_P2P_ETICKET_FORGED, IVXS_P2P_ENOSESSION, …
		Status: ["native/p2p/p2p.h", (k) => (k === "ok" ? "IVXS_P2P_OK" : k.startsWith("ticket") ? `IVXS_P2P_ETICKET${snake(k.slice(6))}` : `IVXS_P2P_E${k.toUpperCase()}`)],
	},
	"native/webrtc/webrtc.js": {
		DtlsRole: ["native/webrtc/dtls.h", (k) => `IVXS_DTLS_${snake(k)}`],
		DtlsState: ["native/webrtc/dtls.h", (k) => `IVXS_DTLS_${snake(k)}`],
		// `none` (-1): the session carries no association — the binding's, no enumerator
		ChannelState: ["native/webrtc/sctp.h", (k) => (k === "none" ? undefined : `IVXS_SCTP_${snake(k)}`)],
		Ppid: ["native/webrtc/sctp.h", (k) => `IVXS_SCTP_PPID_${snake(k)}`],
		RtcpGot: ["native/webrtc/modwebrtc.h", (k) => `IVXS_RTCP_GOT_${snake(k)}`],
		FeedsFed: ["native/webrtc/modwebrtc.h", (k) => `IVXS_FEEDS_FED_${snake(k)}`],
	},
};

/** "NAME = -12" (an enumerator) → -12 */
function enumerator(header, name) {
	const m = read(header).match(new RegExp(`\\b${name} = (-?\\d+)\\b`));
	return m ? Number(m[1]) : undefined;
}

/** "#define NAME 123u" → 123 (a plain number only). */
function defined(header, name) {
	const m = read(header).match(new RegExp(`^#define ${name}\\s+(\\d+)u?\\b`, "m"));
	return m ? Number(m[1]) : undefined;
}

const nativeModules = read("native/modules.txt").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l) => l.trim().split(/\s+/)[1]);

for (const js of nativeModules)
	test(`${js}: every number it exports is its C header's`, (t) => {
		const exported = Object.fromEntries([...read(js).matchAll(/^export const ([A-Z_][A-Z0-9_]*) = (\d+);/gm)].map(([, name, value]) => [name, Number(value)]));
		const mirrors = MIRRORS[js] ?? {};
		for (const [name, value] of Object.entries(exported)) {
			t.truthy(mirrors[name], `${js} exports ${name} = ${value} with no #define named for it in tests/native-constants.test.mjs`);
			if (!mirrors[name]) continue;
			const [header, define] = mirrors[name];
			t.is(value, defined(header, define), `${js} ${name} against ${header} ${define}`);
		}
		for (const name of Object.keys(mirrors)) t.true(name in exported, `${name} is no longer exported by ${js}`);
		t.pass();   // (a module that exports no number)
	});

for (const js of nativeModules)
	test(`${js}: every frozen enum it exports holds its C enumerators' values`, (t) => {
		const source = read(js);
		const enums = Object.fromEntries([...source.matchAll(/^export const ([A-Z][A-Za-z0-9]*) = Object\.freeze\(\{([^}]*)\}\)/gm)]
			.filter(([, name]) => name !== "codes")
			.map(([, name, body]) => [name, Object.fromEntries([...body.matchAll(/(\w+): (-?\d+)/g)].map(([, k, v]) => [k, Number(v)]))]));
		const specs = ENUMS[js] ?? {};
		for (const [name, members] of Object.entries(enums)) {
			t.truthy(specs[name], `${js} exports the enum ${name} with no header named for it in tests/native-constants.test.mjs`);
			if (!specs[name]) continue;
			const [header, enumeratorOf] = specs[name];
			for (const [key, value] of Object.entries(members)) {
				const c = enumeratorOf(key);
				if (c !== undefined) t.is(value, enumerator(header, c), `${js} ${name}.${key} against ${header} ${c}`);
			}
		}
		for (const name of Object.keys(specs)) t.true(name in enums, `${name} is no longer exported by ${js}`);
		t.pass();
	});
