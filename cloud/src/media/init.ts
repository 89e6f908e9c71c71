// Validation of a fragmented-MP4 init segment (ftyp + moov) as a camera
// uploads it (PROTOCOL.md §3): at most one video track (avc1/avc3/hvc1/hev1)
// and one audio track (mp4a), each with its timescale and sample entry, and
// an mvex with the fragment defaults (trex). What a viewer needs is read out:
// the RFC 6381 codecs string and the picture size. Every flaw is an Mp4Error.
import { child, readBoxes, Mp4Error, type Box } from "./boxes.js";

export interface TrackInfo {
	id: number;
	kind: "video" | "audio";
	timescale: number;
	/** Sample entry type: avc1, avc3, hvc1, hev1, mp4a. */
	format: string;
	/** RFC 6381 codec string, e.g. avc1.4d401e, hvc1.1.6.L93.B0, mp4a.40.2. */
	codec: string;
	width?: number;
	height?: number;
	sampleRate?: number;
	channels?: number;
	/** The decoder configuration: the avcC / hvcC record, or AAC's AudioSpecificConfig (what FLV's sequence headers carry). */
	config: Uint8Array;
	/** trex defaults, used when a fragment's tfhd/trun leave a field out. */
	defaultDuration: number;
	defaultSize: number;
	defaultFlags: number;
}

export interface InitInfo {
	tracks: Map<number, TrackInfo>;
	video?: TrackInfo;
	audio?: TrackInfo;
	/** Video first: "avc1.4d401e,mp4a.40.2". */
	codecs: string;
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

export class Reader {
	readonly view: DataView;
	constructor(readonly buf: Uint8Array) {
		this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
	}

	/** Throws unless `n` bytes at `at` lie inside `box` (a field that does not fit). */
	need(box: Box, at: number, n: number, what: string): void {
		if (at < box.body || at + n > box.end) throw new Mp4Error(`'${box.type}' at byte ${box.start} is too short for its ${what}`);
	}

	u8(box: Box, at: number, what: string): number {
		this.need(box, at, 1, what);
		return this.buf[at];
	}

	u16(box: Box, at: number, what: string): number {
		this.need(box, at, 2, what);
		return this.view.getUint16(at);
	}

	u32(box: Box, at: number, what: string): number {
		this.need(box, at, 4, what);
		return this.view.getUint32(at);
	}

	u64(box: Box, at: number, what: string): number {
		this.need(box, at, 8, what);
		const value = this.view.getBigUint64(at);
		if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4Error(`'${box.type}' at byte ${box.start}: ${what} beyond 2^53`);
		return Number(value);
	}

	/** A full box's version (its flags are `flags`). */
	version(box: Box): number {
		return this.u8(box, box.body, "version");
	}

	flags(box: Box): number {
		return this.u32(box, box.body, "version and flags") & 0xffffff;
	}

	/** The one child `type` of `box`, or an Mp4Error naming what is missing. */
	must(box: Box, type: string, skip = 0): Box {
		const found = child(this.buf, box, type, skip);
		if (!found) throw new Mp4Error(`'${box.type}' at byte ${box.start} has no '${type}'`);
		return found;
	}
}

export function parseInit(buf: Uint8Array): InitInfo {
	const r = new Reader(buf);
	const top = readBoxes(buf);
	if (top[0]?.type !== "ftyp") throw new Mp4Error("init segment must start with 'ftyp'");
	const moov = top.find((b) => b.type === "moov");
	if (!moov) throw new Mp4Error("init segment has no 'moov'");
	for (const box of top) if (box.type === "moof" || box.type === "mdat") throw new Mp4Error(`init segment must not contain '${box.type}' (send fragments as segments)`);
	const mvex = r.must(moov, "mvex");
	const trex = new Map<number, Box>();
	for (const box of readBoxes(buf, mvex.body, mvex.end)) if (box.type === "trex") trex.set(r.u32(box, box.body + 4, "track_ID"), box);
	const tracks = new Map<number, TrackInfo>();
	let video: TrackInfo | undefined, audio: TrackInfo | undefined;
	for (const trak of readBoxes(buf, moov.body, moov.end).filter((b) => b.type === "trak")) {
		const track = parseTrak(r, trak, trex);
		if (track.kind === "video") {
			if (video) throw new Mp4Error("more than one video track");
			video = track;
		}
		else {
			if (audio) throw new Mp4Error("more than one audio track");
			audio = track;
		}
		if (tracks.has(track.id)) throw new Mp4Error(`two tracks have id ${track.id}`);
		tracks.set(track.id, track);
	}
	if (!tracks.size) throw new Mp4Error("init segment has no track");
	return { tracks, video, audio, codecs: [video, audio].filter((t) => t).map((t) => t!.codec).join(",") };
}

function parseTrak(r: Reader, trak: Box, trex: Map<number, Box>): TrackInfo {
	const tkhd = r.must(trak, "tkhd");
	const id = r.u32(tkhd, tkhd.body + (r.version(tkhd) === 1 ? 20 : 12), "track_ID");
	if (id === 0) throw new Mp4Error("track_ID 0 is not allowed");
	const mdia = r.must(trak, "mdia");
	const mdhd = r.must(mdia, "mdhd");
	const timescale = r.u32(mdhd, mdhd.body + (r.version(mdhd) === 1 ? 20 : 12), "timescale");
	if (timescale === 0) throw new Mp4Error(`track ${id}: timescale 0`);
	const hdlr = r.must(mdia, "hdlr");
	r.need(hdlr, hdlr.body + 8, 4, "handler_type");
	const handler = String.fromCharCode(...r.buf.subarray(hdlr.body + 8, hdlr.body + 12));
	if (handler !== "vide" && handler !== "soun") throw new Mp4Error(`track ${id}: handler '${handler}' (only 'vide' and 'soun' tracks)`);
	const stsd = r.must(r.must(r.must(mdia, "minf"), "stbl"), "stsd");
	if (r.u32(stsd, stsd.body + 4, "entry_count") !== 1) throw new Mp4Error(`track ${id}: stsd must have exactly one sample entry`);
	const [entry] = readBoxes(r.buf, stsd.body + 8, stsd.end);
	if (!entry) throw new Mp4Error(`track ${id}: stsd has no sample entry`);
	const t = trex.get(id);
	if (!t) throw new Mp4Error(`track ${id} has no 'trex' in 'mvex'`);
	const defaults = {
		defaultDuration: r.u32(t, t.body + 12, "default_sample_duration"),
		defaultSize: r.u32(t, t.body + 16, "default_sample_size"),
		defaultFlags: r.u32(t, t.body + 20, "default_sample_flags"),
	};
	if (handler === "vide") {
		// VisualSampleEntry: 8 (SampleEntry) + 16 pre_defined/reserved, then width and height; children after 78 bytes.
		const width = r.u16(entry, entry.body + 24, "width"), height = r.u16(entry, entry.body + 26, "height");
		if (!width || !height) throw new Mp4Error(`track ${id}: video sample entry without a picture size`);
		r.need(entry, entry.body, 78, "visual sample entry");
		let codec: string, record: Box;
		if (entry.type === "avc1" || entry.type === "avc3") codec = avcCodec(r, record = r.must(entry, "avcC", 78), entry.type);
		else if (entry.type === "hvc1" || entry.type === "hev1") codec = hevcCodec(r, record = r.must(entry, "hvcC", 78), entry.type);
		else throw new Mp4Error(`track ${id}: video format '${entry.type}' (only avc1, avc3, hvc1, hev1)`);
		return { id, kind: "video", timescale, format: entry.type, codec, config: r.buf.subarray(record.body, record.end), width, height, ...defaults };
	}
	if (entry.type !== "mp4a") throw new Mp4Error(`track ${id}: audio format '${entry.type}' (only mp4a)`);
	// AudioSampleEntry: 8 + 8 reserved, channelcount, samplesize, 4 reserved, samplerate 16.16; children after 28 bytes.
	const channels = r.u16(entry, entry.body + 16, "channelcount");
	const sampleRate = r.u32(entry, entry.body + 24, "samplerate") >>> 16;
	r.need(entry, entry.body, 28, "audio sample entry");
	const { codec, config } = aacCodec(r, r.must(entry, "esds", 28));
	return { id, kind: "audio", timescale, format: "mp4a", codec, config, sampleRate, channels, ...defaults };
}

function avcCodec(r: Reader, avcC: Box, format: string): string {
	if (r.u8(avcC, avcC.body, "configurationVersion") !== 1) throw new Mp4Error("avcC configurationVersion is not 1");
	r.need(avcC, avcC.body, 4, "profile and level");
	const b = r.buf;
	return `${format}.${hex2(b[avcC.body + 1])}${hex2(b[avcC.body + 2])}${hex2(b[avcC.body + 3])}`;
}

// ISO/IEC 14496-15 Annex E: hvc1.[A-C]?<profile>.<compatibility, bit-reversed, hex>.<L|H><level>[.<constraint bytes>]
function hevcCodec(r: Reader, hvcC: Box, format: string): string {
	if (r.u8(hvcC, hvcC.body, "configurationVersion") !== 1) throw new Mp4Error("hvcC configurationVersion is not 1");
	r.need(hvcC, hvcC.body, 13, "profile, tier and level");
	const b = r.buf, at = hvcC.body;
	const space = b[at + 1] >> 6, tier = (b[at + 1] >> 5) & 1, profile = b[at + 1] & 0x1f;
	let compat = r.view.getUint32(at + 2), reversed = 0;
	for (let i = 0; i < 32; i++, compat >>>= 1) reversed = (reversed << 1) | (compat & 1);
	const constraints = [...b.subarray(at + 6, at + 12)];
	while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop();
	const parts = [format, `${["", "A", "B", "C"][space]}${profile}`, (reversed >>> 0).toString(16), `${tier ? "H" : "L"}${b[at + 12]}`];
	for (const c of constraints) parts.push(c.toString(16).toUpperCase());
	return parts.join(".");
}

// esds: ES_Descriptor (3) → DecoderConfigDescriptor (4) → DecoderSpecificInfo (5, the AudioSpecificConfig).
function aacCodec(r: Reader, esds: Box): { codec: string; config: Uint8Array } {
	let at = esds.body + 4;
	const descriptor = (tag: number, what: string) => {
		if (r.u8(esds, at, what) !== tag) throw new Mp4Error(`esds: expected ${what} (tag ${tag})`);
		at++;
		let length = 0;
		for (let i = 0; i < 4; i++) {
			const byte = r.u8(esds, at++, `${what} length`);
			length = (length << 7) | (byte & 0x7f);
			if (!(byte & 0x80)) break;
		}
		r.need(esds, at, length, what);
		return at + length;
	};
	descriptor(3, "ES_Descriptor");
	const esFlags = r.u8(esds, at + 2, "ES flags");
	at += 3;
	if (esFlags & 0x80) at += 2; // dependsOn_ES_ID
	if (esFlags & 0x40) at += 1 + r.u8(esds, at, "URL length");
	if (esFlags & 0x20) at += 2; // OCR_ES_Id
	descriptor(4, "DecoderConfigDescriptor");
	const objectType = r.u8(esds, at, "objectTypeIndication");
	if (objectType !== 0x40) throw new Mp4Error(`mp4a objectTypeIndication 0x${hex2(objectType)} (only 0x40, MPEG-4 audio)`);
	at += 13;
	const end = descriptor(5, "DecoderSpecificInfo");
	const first = r.u8(esds, at, "AudioSpecificConfig");
	let aot = first >> 3;
	if (aot === 31) aot = 32 + (((first & 7) << 3) | (r.u8(esds, at + 1, "AudioSpecificConfig") >> 5));
	if (aot === 0) throw new Mp4Error("AudioSpecificConfig with audio object type 0");
	return { codec: `mp4a.40.${aot}`, config: r.buf.subarray(at, end) };
}
