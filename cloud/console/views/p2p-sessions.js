// The camera's P2P viewers (issue 14 §4): who watches straight from the camera,
// since when, and the camera's own figures of each session (path, round trip,
// rate, backlog, memory), refreshed while the tab is open. The media never passes
// through the cloud, so these are the camera's reports (API.md "P2P").
import { api } from "../lib/api.js";
import { ago, clock, fill, h, stamp } from "../lib/dom.js";

/** The camera reports every 5 s: refreshing faster would show the same figures. */
const refreshMs = 3000;

export function p2pTab(body, { id }) {
	let stopped = false;
	let timer;
	const message = h("p.notice", { hidden: true, role: "status" });
	const list = h("ul.admin-list#p2p-sessions", { "aria-live": "polite" });
	const updated = h("span.muted.small#p2p-updated");
	fill(body,
		h("div.toolbar", h("h2", "P2P viewers"), updated),
		h("p.help", "Viewers connected straight to the camera: over ivxs P2P (npm run view) or WebRTC (browsers and WHEP players). Figures are the camera's, sent every few seconds."),
		message, list);

	async function load() {
		let sessions;
		try {
			sessions = await api.p2pSessions(id);
		}
		catch (error) {
			if (stopped || error.status === 401) return;
			message.hidden = false;
			message.className = "notice error";
			message.textContent = `Could not load the P2P sessions: ${error.message}`;
			return;
		}
		if (stopped) return;
		message.hidden = !!sessions.length;
		message.className = "notice";
		message.textContent = "Nobody is watching this camera over P2P.";
		fill(list, sessions.map(sessionRow));
		updated.textContent = `Updated ${clock(Date.now())}`;
	}
	const loop = async () => {
		await load();
		if (!stopped) timer = setTimeout(loop, refreshMs);
	};
	loop();
	return () => {
		stopped = true;
		clearTimeout(timer);
	};
}

function sessionRow(s) {
	const what = s.connected ? [s.action || "no stream", s.talk ? "talkback" : null].filter(Boolean).join(" + ") : null;
	return h("li.admin-row.p2p-session", { dataset: { session: s.session, connected: String(s.connected) } },
		h("div.admin-row-head",
			h("strong.p2p-user", s.user),
			h(`span.state.${s.connected ? "online" : "offline"}`, s.connected ? "Connected" : "Not connected"),
			what ? h("span.muted.p2p-action", what) : null),
		h("dl.facts",
			h("dt", "Wire"), h("dd.p2p-wire", s.wire === "webrtc" ? "WebRTC" : "ivxs P2P"),
			h("dt", "Since"), h("dd", { title: stamp(s.since) }, ago(s.since)),
			...(s.connected ? [
				h("dt", "Path"), h("dd.p2p-path", { title: pathHelp[s.path] ?? "" }, pathName(s.path)),
				// (a WebRTC session's from the viewer's receiver reports: none yet reads 0)
				h("dt", "Round trip"), h("dd.p2p-rtt", s.wire === "webrtc" && !s.srttMs ? "—" : `${s.srttMs} ms`),
				h("dt", "Rate"), h("dd.p2p-rate", rate(s.rate)),
				h("dt", "Path takes"), h("dd.p2p-bandwidth", { title: "What the path carries, as the session's congestion control measured it (WebRTC: from the viewer's transport-wide feedback)" }, s.bandwidth == null ? "—" : rate(s.bandwidth)),
				h("dt", "Backlog"), h("dd.p2p-buffered", bytes(s.buffered)),
				h("dt", "Watermarks"), h("dd.p2p-watermarks", { title: "The send buffer's low / warn / high marks: above high the camera stops reading the stream until the backlog is back below low" }, watermarks(s)),
				h("dt", "Memory"), h("dd.p2p-memory", bytes(s.memory)),
			] : [h("dt", "Ticket"), h("dd", s.ticketExpiry > Date.now() ? `valid until ${stamp(s.ticketExpiry)}` : "expired")]),
			h("dt", "Session"), h("dd", h("code", s.session))));
}

// The camera's judgement of the session's path (modules/p2p/path.ts): ICE's names, said plainly.
const pathHelp = {
	host: "Direct, on the same network (host candidates)",
	srflx: "Direct, through a NAT (server-reflexive: the address a STUN server saw)",
	prflx: "Direct, at an address learned from the other side's packets (it moved)",
	relay: "Relayed through the TURN server",
};
const pathName = (type) => !type ? "unknown" : type === "relay" ? "relayed (TURN)" : `direct (${type})`;
const bytes = (n) => n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
const rate = (bytesPerS) => bytesPerS * 8 < 1e6 ? `${Math.round(bytesPerS * 8 / 1e3)} kbit/s` : `${(bytesPerS * 8 / 1e6).toFixed(2)} Mbit/s`;

/** "64.0 KiB / 128.0 KiB / 192.0 KiB · above warn"; "off" when the camera set none; "–" from older cameras. */
function watermarks(s) {
	if (!Array.isArray(s.watermarks)) return "–";
	if (!s.watermarks.some(Boolean)) return "off";
	const where = { normal: "below warn", warn: "above warn", high: "above high: reading paused" }[s.level] ?? "";
	return `${s.watermarks.map(bytes).join(" / ")}${where ? ` · ${where}` : ""}`;
}
