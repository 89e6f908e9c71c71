/** Decoder configuration of an AAC track, derived from ADTS headers. */
import { aacCodecString, audioSpecificConfig, type AdtsHeader } from "./aac.js";

export interface AudioConfig {
  objectType: number;
  sampleRateIndex: number;
  sampleRate: number;
  channels: number;
  /** AudioSpecificConfig (2 bytes). */
  asc: Uint8Array;
  codecString: string;
}

/** Returns `current` if the header matches it, else a new config. */
export function audioConfigFor(h: AdtsHeader, current: AudioConfig | undefined): AudioConfig {
  if (current && current.objectType === h.objectType && current.sampleRateIndex === h.sampleRateIndex &&
    current.channels === h.channelConfig) return current;
  return {
    objectType: h.objectType, sampleRateIndex: h.sampleRateIndex, sampleRate: h.sampleRate,
    channels: h.channelConfig === 7 ? 8 : h.channelConfig, asc: audioSpecificConfig(h), codecString: aacCodecString(h),
  };
}
