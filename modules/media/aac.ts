/**
 * AAC in ADTS (ISO/IEC 13818-7 / 14496-3 1.A.2): header parsing, frame splitting and the
 * AudioSpecificConfig (14496-3 1.6.2.1) used by MP4 `esds` and the FLV AAC sequence header.
 *
 * Rejected (AdtsError): syncword != 0xFFF, layer != 0, sampling_frequency_index >= 13,
 * frame_length smaller than the header or not matching the given frame. TruncatedError when
 * fewer than 7 (or 9 with CRC) bytes. UnsupportedError for channel_configuration 0 (PCE) or more
 * than one raw data block per frame. EmptyFrameError for zero-length input or no payload.
 */
import { AdtsError, EmptyFrameError, TruncatedError, UnsupportedError } from "./errors.js";

// frozen: preloaded on ESP32 (the XS linker warns otherwise: talkback's ADTS check reaches it)
export const AAC_SAMPLE_RATES: readonly number[] = Object.freeze([
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
]);

export interface AdtsHeader {
  /** MPEG-4 Audio Object Type (profile + 1): 2 = AAC-LC. */
  objectType: number;
  sampleRateIndex: number;
  sampleRate: number;
  channelConfig: number;
  /** Header size: 7, or 9 with CRC. */
  headerLength: number;
  /** Whole frame including header. */
  frameLength: number;
  /** PCM samples per frame (1024). */
  samplesPerFrame: number;
}

/** The ADTS header's length from its byte 1 (protection_absent: no CRC). */
export const adtsHeaderLength = (b1: number): number => ((b1 & 1) !== 0 ? 7 : 9);
/** The 13-bit frame_length of the ADTS header at `offset` (header included). */
export const adtsFrameLength = (data: Uint8Array, offset = 0): number =>
  ((data[offset + 3] & 3) << 11) | (data[offset + 4] << 3) | (data[offset + 5] >> 5);

/** Parses the ADTS header at `offset`. Does not check that frameLength fits in `data`. */
export function parseAdtsHeader(data: Uint8Array, offset = 0): AdtsHeader {
  const n = data.length - offset;
  if (n <= 0) throw new EmptyFrameError("empty ADTS frame");
  if (n < 7) throw new TruncatedError("ADTS header truncated");
  const b1 = data[offset + 1];
  if (data[offset] !== 0xff || (b1 & 0xf0) !== 0xf0) throw new AdtsError("ADTS bad syncword");
  if ((b1 & 0x06) !== 0) throw new AdtsError("ADTS layer is not 0");
  const b2 = data[offset + 2];
  const b3 = data[offset + 3];
  const objectType = (b2 >> 6) + 1;
  const sampleRateIndex = (b2 >> 2) & 0x0f;
  if (sampleRateIndex >= 13) throw new AdtsError("ADTS reserved sampling_frequency_index");
  const channelConfig = ((b2 & 1) << 2) | (b3 >> 6);
  const frameLength = adtsFrameLength(data, offset);
  const blocks = (data[offset + 6] & 3) + 1;
  const headerLength = adtsHeaderLength(b1);
  if (n < headerLength) throw new TruncatedError("ADTS header truncated");
  if (frameLength < headerLength) throw new AdtsError("ADTS frame_length smaller than header");
  if (channelConfig === 0) throw new UnsupportedError("ADTS channel_configuration 0 (PCE) not supported");
  if (blocks !== 1) throw new UnsupportedError("ADTS with several raw data blocks not supported");
  return {
    objectType, sampleRateIndex, sampleRate: AAC_SAMPLE_RATES[sampleRateIndex], channelConfig,
    headerLength, frameLength, samplesPerFrame: 1024,
  };
}

/**
 * Validates one complete ADTS frame and returns its header and raw AAC payload (a subarray,
 * header and CRC stripped).
 */
export function parseAdtsFrame(frame: Uint8Array): { header: AdtsHeader; payload: Uint8Array } {
  const header = parseAdtsHeader(frame, 0);
  if (header.frameLength > frame.length) throw new TruncatedError("ADTS frame shorter than frame_length");
  if (header.frameLength < frame.length) throw new AdtsError("ADTS frame_length does not match frame size");
  if (header.frameLength === header.headerLength) throw new EmptyFrameError("ADTS frame without payload");
  return { header, payload: frame.subarray(header.headerLength, header.frameLength) };
}

/** Splits concatenated ADTS frames into frames (subarrays). Throws on the first bad frame. */
export function splitAdtsFrames(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  if (data.length === 0) throw new EmptyFrameError("empty ADTS buffer");
  while (o < data.length) {
    const h = parseAdtsHeader(data, o);
    if (o + h.frameLength > data.length) throw new TruncatedError("ADTS frame shorter than frame_length");
    out.push(data.subarray(o, o + h.frameLength));
    o += h.frameLength;
  }
  return out;
}

/** 2-byte AudioSpecificConfig for the ADTS header. */
export function audioSpecificConfig(h: AdtsHeader): Uint8Array {
  return new Uint8Array([
    (h.objectType << 3) | (h.sampleRateIndex >> 1),
    ((h.sampleRateIndex & 1) << 7) | (h.channelConfig << 3),
  ]);
}

/** RFC 6381 codec string, e.g. "mp4a.40.2". */
export function aacCodecString(h: AdtsHeader): string {
  return "mp4a.40." + h.objectType;
}
