/**
 * What a video file or stream is, from its first parameter sets: size, frame rate (VUI timing,
 * when the encoder wrote it) and codec string. Reads only the head it is given, so a caller can
 * probe a long recording from its first few hundred KB.
 */
import { scanNalUnits, nalType, type VideoCodec } from "./annexb.js";
import { BitstreamError, MissingParameterSetError, TruncatedError } from "./errors.js";
import { avcCodecString, H264_NAL, parseH264Sps } from "./h264.js";
import { H265_NAL, hevcCodecString, parseH265Sps } from "./h265.js";

export interface VideoProbe {
  codec: VideoCodec;
  width: number;
  height: number;
  /** Frames per second, when the SPS carries VUI timing. */
  frameRate?: number;
  codecString: string;
}

/**
 * Probes the head of an Annex-B stream. Throws MissingParameterSetError when it holds no SPS —
 * and, when the stream goes on past `head` (`more`), none that ends before the head does (one
 * the cut may have shortened): read a longer head then.
 */
export function probeVideo(head: Uint8Array, codec: VideoCodec, more = false): VideoProbe {
  let spans: number[];
  try {
    spans = scanNalUnits(head);
  }
  catch (error) {
    // a head cut inside a start code: drop its last bytes once and scan again
    if (!(error instanceof TruncatedError) || head.length < 8) throw error;
    spans = scanNalUnits(head.subarray(0, head.length - 4));
  }
  const spsType = codec === "h264" ? H264_NAL.SPS : H265_NAL.SPS;
  for (let i = 0; i < spans.length; i += 3) {
    const nal = head.subarray(spans[i + 1], spans[i + 2]);
    if (nalType(codec, nal) !== spsType || (more && spans[i + 2] === head.length)) continue;
    if (codec === "h264") {
      const sps = parseH264Sps(nal);
      return { codec, width: sps.width, height: sps.height, frameRate: sps.frameRate, codecString: avcCodecString(sps) };
    }
    const sps = parseH265Sps(nal);
    return { codec, width: sps.width, height: sps.height, frameRate: sps.frameRate, codecString: hevcCodecString(sps) };
  }
  if (spans.length === 0) throw new BitstreamError("no NAL units");
  throw new MissingParameterSetError(`no ${codec === "h264" ? "H.264" : "H.265"} SPS in the first ${head.length} bytes`);
}
