/**
 * What the camera takes of a viewer's SDP offer (pure: no session, no I/O — Node and XS): the video
 * of its stream in a codec the viewer decodes, numbered for the congestion control when it offers
 * TWCC; the ring's G.711 track to a viewer that receives audio; the viewer's voice when its grant
 * gives talk and the camera takes it (the talkback folder takes G.711: one codec both ways); the
 * offer's DataChannel when the camera takes commands. `answered` turns it into the answer's media
 * (sdp.ts writeAnswer), `described` into the log's words. An offer it cannot serve is a
 * WebRtcRefusal, whose text goes back to the viewer through the cloud.
 */
import { Rights } from "../protocol/ticket.js";
import { chooseCodec, chooseH264, transportCcOf, twccExtensionOf, type AnswerParams, type SdpCodec, type SdpMedia, type SdpOffer } from "./sdp.js";

/** Why an offer got no answer. */
export class WebRtcRefusal extends Error {
	override name = "WebRtcRefusal";
}

/** What the camera has to offer a viewer. */
export interface CameraMedia {
	/** Its stream's codec, and for H.264 the profile_idc it is (the sample clip and the board's encoder: Main, 77). */
	codec: "h264" | "h265";
	h264Profile: number;
	/** The ring's G.711 track (its law); none: no audio goes out. */
	audio?: "pcmu" | "pcma";
	/** The camera takes a viewer's voice (a talkback is there to take it). */
	takesVoice: boolean;
	/** The camera answers commands on a DataChannel. */
	takesCommands: boolean;
}

/** What the camera agreed with a viewer. */
export interface Negotiated {
	/** The video section and its codec; `transportCc`: the TWCC extension id its packets carry. */
	video: { mid: string; codec: SdpCodec; transportCc?: number };
	/** The audio section when G.711 goes either way: `hears` the ring's track goes to the viewer
	 * (`counted`: numbered with the video for the congestion control), `talks` its voice comes in. */
	audio?: { mid: string; codec: SdpCodec; hears: boolean; talks: boolean; counted: boolean };
	/** The offer's DataChannel, kept: its SCTP port. */
	channel?: { port: number };
}

const receives = (m: SdpMedia): boolean => m.direction === "recvonly" || m.direction === "sendrecv";
const sends = (m: SdpMedia): boolean => m.direction === "sendonly" || m.direction === "sendrecv";

/** The camera's terms for `offer` from a viewer whose grant gives `rights`; throws WebRtcRefusal. */
export function negotiate(offer: SdpOffer, camera: CameraMedia, rights: number): Negotiated {
	const video = offer.media.find((m) => m.kind === "video" && receives(m));
	if (!video) throw new WebRtcRefusal("the offer receives no video");
	const codec = camera.codec === "h264" ? chooseH264(video, camera.h264Profile)?.codec : chooseCodec(video, ["H265"]);
	if (!codec) throw new WebRtcRefusal(`the viewer takes no ${camera.codec.toUpperCase()} (this camera's stream)`);
	// its feedback on every packet (TWCC) drives the congestion control, when it offers it
	const transportCc = transportCcOf(video, codec);
	const negotiated: Negotiated = { video: { mid: video.mid, codec, transportCc } };
	// Audio: browsers take and send PCMU and PCMA at 8 kHz beside Opus (RFC 7874).
	const audio = offer.media.find((m) => m.kind === "audio");
	if (audio) {
		const heard = camera.audio && receives(audio) ? chooseCodec(audio, [camera.audio.toUpperCase()]) : undefined;
		const talks = !!(rights & Rights.talk) && camera.takesVoice && sends(audio);
		const g711 = heard ?? (talks ? chooseCodec(audio, ["PCMU", "PCMA"]) : undefined);
		// The audio it hears is numbered with the video when its section lists the TWCC extension
		// under the video's id (one sequence space in the BUNDLE): its feedback then counts audio
		// too. (Not the codec's a=rtcp-fb: Chrome offers transport-cc only for Opus, yet its
		// receiver reports every packet that carries the extension.)
		if (g711?.clock === 8000)
			negotiated.audio = { mid: audio.mid, codec: g711, hears: !!heard, talks, counted: !!heard && transportCc !== undefined && twccExtensionOf(audio) === transportCc };
	}
	// A DataChannel carries commands (each checked against the grant's rights by the handler).
	const application = camera.takesCommands ? offer.media.find((m) => m.kind === "application" && m.sctpPort !== undefined) : undefined;
	if (application) negotiated.channel = { port: application.sctpPort! };
	return negotiated;
}

/** The answer's media for what was agreed (writeAnswer's `accept`): the camera's video sent on
 * `ssrc`, its audio on `audioSsrc` — sent, received or both. */
export function answered(n: Negotiated, ssrc: number, audioSsrc: number): AnswerParams["accept"] {
	const { video, audio } = n;
	return {
		[video.mid]: { codec: video.codec, ssrc, direction: "sendonly", transportCc: video.transportCc },
		...(audio ? { [audio.mid]: { codec: audio.codec, ssrc: audioSsrc, direction: audio.hears && audio.talks ? "sendrecv" as const : audio.hears ? "sendonly" as const : "recvonly" as const, ...(audio.counted ? { transportCc: video.transportCc } : {}) } } : {}),
	};
}

/** What was agreed, as the log says it ("H264/102, hears PCMU/0 and talks in PCMU/0, …"). */
export function described({ video, audio, channel }: Negotiated): string {
	const g711 = audio && `${audio.codec.name}/${audio.codec.pt}`;
	return `${video.codec.name}/${video.codec.pt}${audio?.hears ? `, hears ${g711}` : ""}${audio?.talks ? ` and talks in ${g711}` : ""}${channel ? ", commands on a DataChannel" : ""}${video.transportCc !== undefined ? `, congestion control by its TWCC feedback${audio?.counted ? " (audio too)" : ""}` : ""}`;
}
