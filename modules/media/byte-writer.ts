/** Growable big-endian byte writer with ISO BMFF box helpers (sizes back-patched). */

// Called with the string, not read as its property: on XS each property read of a primitive
// string makes a wrapper object, and every box of every fragment has a four-character code.
const charCodeAt = String.prototype.charCodeAt;

export class ByteWriter {
  buf: Uint8Array;
  private dv: DataView;
  pos = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.dv.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos] = (v >>> 16) & 0xff;
    this.buf[this.pos + 1] = (v >>> 8) & 0xff;
    this.buf[this.pos + 2] = v & 0xff;
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.dv.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.dv.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** Unsigned 64-bit from a non-negative integer Number (< 2^53). */
  u64(v: number): this {
    const hi = Math.floor(v / 4294967296);
    this.u32(hi);
    this.u32(v - hi * 4294967296);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** ASCII four-character code. */
  fourcc(s: string): this {
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.pos + i] = charCodeAt.call(s, i);
    this.pos += 4;
    return this;
  }

  /** Starts a box; returns its offset for `end`. */
  begin(type: string): number {
    const start = this.pos;
    this.u32(0);
    this.fourcc(type);
    return start;
  }

  /** Starts a full box (version + 24-bit flags). */
  beginFull(type: string, version: number, flags: number): number {
    const start = this.begin(type);
    this.u8(version);
    this.u24(flags);
    return start;
  }

  end(start: number): this {
    this.dv.setUint32(start, this.pos - start);
    return this;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
