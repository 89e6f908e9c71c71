// The numbers a native module's JS exports beside its C (native/<module>/<module>.js): each is the
// value of the C header's #define it stands for — the JS cannot ask the C for it, as a board's
// preload runs module bodies at build time, where no native code runs — and a new number
// exported without a row here fails, so no copy of a C bound goes unchecked.
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
	},
};

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
