// WHEP (draft-ietf-wish-whep): any WebRTC player watches a camera straight from it (API.md "WHEP").
//   POST   /v1/devices/:device/whep            an SDP offer (application/sdp) → 201, the camera's SDP answer, Location of the session
//   DELETE /v1/devices/:device/whep/:session   ends the session (the camera stops sending at once)
//   PATCH  /v1/devices/:device/whep/:session   an ICE restart (application/trickle-ice-sdpfrag with new ice-ufrag and ice-pwd):
//                                               200, the camera's new credentials and candidates; a fragment of candidates only
//                                               (trickle) is 405: the camera is an ICE-lite agent whose answer held every candidate
// Authorised as the rest of the API (Authorization: Bearer <API token>, or the console's session):
// the viewer's grant is checked, the offer is parsed here with the camera's own parser
// (modules/webrtc/sdp.ts, bounded) so a malformed one is refused before the camera hears of it,
// and it goes to the camera through the same signalling, rate limit and session caps as a
// native viewer's (signalling.ts): one kind of viewer, two wires.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError, readBody } from "../http/router.js";
import { admit, forget, hold, newSessionId, SessionLimitError, webrtcOffer, webrtcRestart, endSession, type P2pSession } from "./signalling.js";
import { Rights } from "../../../modules/protocol/ticket.js";
import { MAX_FRAGMENT_BYTES, MAX_SDP_BYTES } from "../../../modules/protocol/webrtc-signal.js";
import type { StunServer, TurnServer, Wire } from "../../../modules/protocol/signal.js";
import { parseIceFragment, parseOffer, SdpError } from "../../../modules/webrtc/sdp.js";

/** What the native routes (index.ts) share with WHEP's: the offer rate limit (both wires together, a 429
 * past it), the STUN and TURN servers a camera's offer names, and a viewer's own session (a 404 else). */
export interface WhepShared {
	takeOffer(user: string, device: string): void;
	servers(device: string): { stun: StunServer[]; turn: TurnServer[] };
	yours(viewer: { user: string; admin: boolean }, device: string, session: string, wire?: Wire): P2pSession;
}

/** The viewer's account as `device` sees it (webrtc-signal.ts ACCOUNT_TAG): the same for each of its
 * offers to that camera, so the camera holds at most its share of places for one account; opaque and
 * different per camera, so a camera learns no user name and cameras cannot match their viewers up. */
const accountTag = (device: string, user: string): string => createHash("sha256").update(`${device}\0${user}`).digest("hex").slice(0, 16);

/** The request's media type, without its parameters, lower case. */
const mediaTypeOf = (req: IncomingMessage): string => String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();

export function installWhep(ctx: CloudContext, { takeOffer, servers, yours }: WhepShared): void {
	const { p2pTicketS, p2pAnswerS } = ctx.config;

	ctx.router.add("POST", "/v1/devices/:device/whep", { auth: "user", device: "device" }, async (req, res, _params, _url, { viewer, device }) => {
		const type = mediaTypeOf(req);
		if (type !== "application/sdp") {
			req.resume();
			throw new HttpError(415, "a WHEP offer is an SDP offer sent as Content-Type: application/sdp");
		}
		const sdp = (await readBody(req, MAX_SDP_BYTES)).toString("utf8");
		try {
			parseOffer(sdp);
		}
		catch (error) {
			if (error instanceof SdpError) throw new HttpError(400, `SDP offer: ${error.message}`);
			throw error;
		}
		takeOffer(viewer.user, device.id);
		const session = newSessionId();
		try {
			hold(ctx, { session, device: device.id, user: viewer.user, since: Date.now(), expiryS: Math.ceil(Date.now() / 1000) + p2pAnswerS + p2pTicketS, wire: "webrtc" });
		}
		catch (error) {
			if (error instanceof SessionLimitError) throw new HttpError(429, `${error.message}: end one (DELETE its WHEP session), or wait ${p2pTicketS} s for an unused one to expire`, { "retry-after": String(p2pTicketS) });
			throw error;
		}
		let answer: Awaited<ReturnType<typeof webrtcOffer>>;
		try {
			// Every right the grant gives; the camera serves what its WebRTC endpoint can (live view today).
			answer = await webrtcOffer(ctx, device.id, { session, sdp, rights: Rights.live | Rights.playback | Rights.talk | Rights.command, ...servers(device.id), account: accountTag(device.id, viewer.user) }, p2pAnswerS * 1000);
		}
		finally {
			if (!answer! || answer!.sdp === undefined) forget(ctx, session);
		}
		if (!answer) throw new HttpError(504, `camera ${device.id} did not answer within ${p2pAnswerS} s (offline, or P2P off)`);
		if (answer.sdp === undefined) throw new HttpError(502, `camera ${device.id}: ${answer.error}`);
		// The camera waits this long for the viewer's ICE and DTLS; then its own reports keep the session listed.
		admit(ctx, session, Math.floor(Date.now() / 1000) + p2pTicketS);
		ctx.metrics.inc("ivxs_webrtc_sessions_total", "WebRTC (WHEP) sessions the cameras answered");
		ctx.log.info({ device: device.id, user: viewer.user, session }, "webrtc session answered");
		res.writeHead(201, {
			"content-type": "application/sdp",
			location: `/v1/devices/${encodeURIComponent(device.id)}/whep/${session}`,
			"cache-control": "no-store",
		}).end(answer.sdp);
	});

	ctx.router.add("DELETE", "/v1/devices/:device/whep/:session", { auth: "user", device: "device" }, async (req, res, params, _url, { viewer, device }) => {
		req.resume();
		const s = yours(viewer, device.id, params.session, "webrtc");
		await endSession(ctx, s, "the viewer ended it (WHEP DELETE)");
		res.writeHead(200).end();
	});

	// An ICE restart (WHEP §4.3): the viewer's path changed; the camera answers with new credentials and
	// candidates, and the session's DTLS and SRTP carry on over the path the viewer nominates next.
	ctx.router.add("PATCH", "/v1/devices/:device/whep/:session", { auth: "user", device: "device" }, async (req, res, params, _url, { viewer, device }) => {
		const s = yours(viewer, device.id, params.session, "webrtc");
		const type = mediaTypeOf(req);
		if (type !== "application/trickle-ice-sdpfrag") {
			req.resume();
			throw new HttpError(415, "an ICE restart is an SDP fragment sent as Content-Type: application/trickle-ice-sdpfrag");
		}
		const fragment = (await readBody(req, MAX_FRAGMENT_BYTES)).toString("utf8");
		let ice;
		try {
			ice = parseIceFragment(fragment, MAX_FRAGMENT_BYTES).ice;
		}
		catch (error) {
			if (error instanceof SdpError) throw new HttpError(400, `ICE fragment: ${error.message}`);
			throw error;
		}
		if (!ice) throw new HttpError(405, "no trickle ICE: the camera's answer holds all its candidates, and as an ICE-lite agent it needs none of the viewer's (an ICE restart gives a=ice-ufrag and a=ice-pwd)", { allow: "POST, PATCH, DELETE" });
		takeOffer(viewer.user, device.id);   // a restart costs the camera a gathering, as an offer does: the same rate
		const reply = await webrtcRestart(ctx, device.id, { session: s.session, fragment, ...servers(device.id) }, p2pAnswerS * 1000);
		if (!reply) throw new HttpError(504, `camera ${device.id} did not answer within ${p2pAnswerS} s (offline, or the session ended)`);
		if (reply.fragment === undefined) throw new HttpError(reply.error?.startsWith("no session") ? 404 : 409, `camera ${device.id}: ${reply.error ?? "no ICE answer"}`);
		ctx.log.info({ device: device.id, user: viewer.user, session: s.session }, "webrtc session restarted ICE");
		res.writeHead(200, { "content-type": "application/trickle-ice-sdpfrag", "cache-control": "no-store" }).end(reply.fragment);
	});
}
