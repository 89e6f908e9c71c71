/**
 * Errors of the media layer. Every failure the parsers and muxers report is a `MediaError`
 * subclass with a stable `code`; nothing else is thrown for malformed input. After a muxer
 * throws, the offending frame has been rejected and nothing was written for it: the muxer
 * state and the output emitted so far stay valid, and the next good frame continues.
 *
 * | class                   | code                      | when                                           |
 * |-------------------------|---------------------------|------------------------------------------------|
 * | TruncatedError          | MEDIA_TRUNCATED           | data ends inside a structure (NAL header, SPS, |
 * |                         |                           | VPS, ADTS header, ADTS frame_length > input)   |
 * | BitstreamError          | MEDIA_BITSTREAM           | bytes before the first start code, a NAL with  |
 * |                         |                           | forbidden_zero_bit set, an empty NAL between   |
 * |                         |                           | start codes, out-of-range SPS/VPS fields, an   |
 * |                         |                           | access unit without a slice                    |
 * | EmptyFrameError         | MEDIA_EMPTY_FRAME         | a zero-length frame / ADTS frame with no data  |
 * | MissingParameterSetError| MEDIA_NO_PARAMETER_SETS   | a key frame and no SPS/PPS(/VPS) known yet     |
 * | NoKeyFrameError         | MEDIA_NO_KEY_FRAME        | a video track starting with a non-key frame    |
 * | TimestampError          | MEDIA_TIMESTAMP           | non-finite, before the stream origin, backwards|
 * |                         |                           | (or equal, for video DTS), PTS < DTS, or a jump|
 * |                         |                           | larger than `maxJumpMs` (unless the muxer is   |
 * |                         |                           | told to treat jumps as discontinuities)        |
 * | AdtsError               | MEDIA_ADTS                | ADTS bad syncword/layer, reserved sample rate, |
 * |                         |                           | frame_length too small or not matching input   |
 * | UnsupportedError        | MEDIA_UNSUPPORTED         | valid but unsupported (ADTS with several raw   |
 * |                         |                           | data blocks or channel config 0, codec kinds)  |
 * | MuxerStateError         | MEDIA_STATE               | writing after `end()`, or to a track the muxer |
 * |                         |                           | was not configured with                        |
 */

export type MediaErrorCode =
  | "MEDIA_TRUNCATED"
  | "MEDIA_BITSTREAM"
  | "MEDIA_EMPTY_FRAME"
  | "MEDIA_NO_PARAMETER_SETS"
  | "MEDIA_NO_KEY_FRAME"
  | "MEDIA_TIMESTAMP"
  | "MEDIA_ADTS"
  | "MEDIA_UNSUPPORTED"
  | "MEDIA_STATE";

export class MediaError extends Error {
  readonly code: MediaErrorCode;
  override name = "MediaError";
  constructor(code: MediaErrorCode, message: string, cause?: unknown) {
    super(message);
    this.code = code;
    if (cause !== undefined) this.cause = cause;
  }
}

export class TruncatedError extends MediaError {
  override name = "TruncatedError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_TRUNCATED", message, cause);
  }
}

export class BitstreamError extends MediaError {
  override name = "BitstreamError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_BITSTREAM", message, cause);
  }
}

export class EmptyFrameError extends MediaError {
  override name = "EmptyFrameError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_EMPTY_FRAME", message, cause);
  }
}

export class MissingParameterSetError extends MediaError {
  override name = "MissingParameterSetError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_NO_PARAMETER_SETS", message, cause);
  }
}

export class NoKeyFrameError extends MediaError {
  override name = "NoKeyFrameError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_NO_KEY_FRAME", message, cause);
  }
}

export class TimestampError extends MediaError {
  override name = "TimestampError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_TIMESTAMP", message, cause);
  }
}

export class AdtsError extends MediaError {
  override name = "AdtsError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_ADTS", message, cause);
  }
}

export class UnsupportedError extends MediaError {
  override name = "UnsupportedError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_UNSUPPORTED", message, cause);
  }
}

export class MuxerStateError extends MediaError {
  override name = "MuxerStateError";
  constructor(message: string, cause?: unknown) {
    super("MEDIA_STATE", message, cause);
  }
}
