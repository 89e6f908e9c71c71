/**
 * MSB-first bit reader for RBSP data (emulation prevention already removed) and the
 * emulation-prevention remover. Used only on small NAL units (SPS, VPS, slice header bytes),
 * never on slice payloads.
 */
import { BitstreamError, TruncatedError } from "./errors.js";

export class BitReader {
  private readonly data: Uint8Array;
  private pos = 0; // bit position
  private readonly end: number; // bit length

  constructor(data: Uint8Array, byteOffset = 0) {
    this.data = data;
    this.pos = byteOffset * 8;
    this.end = data.length * 8;
  }

  get bitsLeft(): number {
    return this.end - this.pos;
  }

  get bitPosition(): number {
    return this.pos;
  }

  /** Reads one bit. */
  bit(): number {
    if (this.pos >= this.end) throw new TruncatedError("bitstream ends early");
    const p = this.pos++;
    return (this.data[p >> 3] >> (7 - (p & 7))) & 1;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  /** Reads n bits (0..32) as an unsigned number. */
  u(n: number): number {
    if (n > this.end - this.pos) throw new TruncatedError("bitstream ends early");
    let v = 0;
    while (n > 0) {
      const p = this.pos;
      const shift = 7 - (p & 7);
      const take = n < shift + 1 ? n : shift + 1;
      const bits = (this.data[p >> 3] >> (shift + 1 - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      this.pos += take;
      n -= take;
    }
    return v;
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw new TruncatedError("bitstream ends early");
    this.pos += n;
  }

  /** Exp-Golomb unsigned (ue(v)); values above 2^31-2 are rejected as corrupt. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      zeros++;
      if (zeros > 31) throw new BitstreamError("exp-Golomb code too long");
    }
    if (zeros === 0) return 0;
    return (2 ** zeros - 1) + this.u(zeros);
  }

  /** Exp-Golomb signed (se(v)). */
  se(): number {
    const k = this.ue();
    return (k & 1) === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** se(v) that must lie in [min, max], else BitstreamError naming the field. */
  seRange(min: number, max: number, field: string): number {
    const v = this.se();
    if (v < min || v > max) throw new BitstreamError(`${field} out of range: ${v}`);
    return v;
  }

  /** u(n) that must be <= max, else BitstreamError naming the field. */
  uMax(n: number, max: number, field: string): number {
    const v = this.u(n);
    if (v > max) throw new BitstreamError(`${field} out of range: ${v}`);
    return v;
  }

  /** ue(v) that must be <= max, else BitstreamError naming the field. */
  ueMax(max: number, field: string): number {
    const v = this.ue();
    if (v > max) throw new BitstreamError(`${field} out of range: ${v}`);
    return v;
  }
}

/**
 * Returns the RBSP of a NAL unit: the bytes with every emulation_prevention_three_byte
 * (00 00 03) removed. Returns the input itself when there is nothing to remove.
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  // Fast path: find the first 00 00 03 with the native indexOf.
  let i = nal.indexOf(3, 2);
  let first = -1;
  while (i !== -1) {
    if (nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
    i = nal.indexOf(3, i + 1);
  }
  if (first === -1) return nal;
  const out = new Uint8Array(nal.length);
  out.set(nal.subarray(0, first), 0);
  let o = first;
  let zeros = 0;
  for (let j = first + 1; j < nal.length; j++) {
    const b = nal[j];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
