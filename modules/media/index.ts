/** ivxs media layer: Annex-B/ADTS parsing, fragmented MP4 and FLV muxers. */
export * from "./errors.js";
export { BitReader, removeEmulationPrevention } from "./bit-reader.js";
export {
  accessUnitInfo, accessUnitSpans, AU_INFO, findStartCode, isKeyNal, isVcl, nalType, scanNalUnits, scanNalUnitsJs,
  splitAccessUnits, splitNalUnits, useNativeAnnexB, type NativeAnnexB, type NativeNalScanner, type VideoCodec,
} from "./annexb.js";
export { avcCodecString, buildAvcDecoderConfig, H264_NAL, parseH264Sps, type H264Sps } from "./h264.js";
export { buildHevcDecoderConfig, H265_NAL, hevcCodecString, parseH265Sps, type H265Sps } from "./h265.js";
export {
  AAC_SAMPLE_RATES, aacCodecString, audioSpecificConfig, parseAdtsFrame, parseAdtsHeader, splitAdtsFrames, type AdtsHeader,
} from "./aac.js";
export { audioConfigFor, type AudioConfig } from "./audio.js";
export { analyzeAccessUnit, bytesEqual, configForKeyFrame, type VideoConfig, type VideoFrame } from "./video.js";
export { checkTimestamps, checkTimelineOptions, MAX_DURATION_MS, MAX_TIMESTAMP_MS, type TimelineOptions } from "./timeline.js";
export { AudioTrack, VideoTrack, type AudioTrackOptions, type AudioUnit, type VideoTrackOptions, type VideoUnit } from "./track.js";
export { Fmp4Muxer, type Fmp4MuxerOptions, type Fmp4Sink, type FragmentInfo, type InitInfo } from "./fmp4-muxer.js";
export { FlvMuxer, type FlvInfo, type FlvMuxerOptions, type FlvSink } from "./flv-muxer.js";
export { probeVideo, type VideoProbe } from "./probe.js";
