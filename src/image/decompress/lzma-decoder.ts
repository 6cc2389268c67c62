// The LZMA symbol decoder (range coder, literals, matches, repeats) shared by LZMA-alone and LZMA2.
// Written from Igor Pavlov's lzma-specification.txt (LZMA SDK, DOC/lzma-specification.txt), "The range
// decoder" and "The LZMA decoding" sections; constants are that document's.
import { ImageFormatError } from '../image-entry.js';
import type { LzWindow } from './lz-window.js';

const PROB_INIT = 1024; // half of 1 << 11: "kNumBitModelTotalBits = 11"
const STATES = 12;
const POS_STATES_MAX = 16;
const DIST_MODEL_END = 14;
const FULL_DISTANCES = 128;
const MATCH_MIN_LEN = 2;
/** Length coder layout in one array: choice, choice2, low[16][8], mid[16][8], high[256]. */
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + POS_STATES_MAX * 8;
const LEN_HIGH = LEN_MID + POS_STATES_MAX * 8;
const LEN_PROBS = LEN_HIGH + 256;
const SIGN = 0x80000000 | 0;
/** rep0 of the end-of-payload marker. */
export const END_MARKER = 0xffffffff;

export interface LzmaProps {
  lc: number;
  lp: number;
  pb: number;
}

/** Splits the properties byte (lc + lp*9 + pb*45). liblzma refuses lc + lp > 4 for LZMA1 as well. */
export function decodeProps(byte: number): LzmaProps {
  if (byte >= 9 * 5 * 5) throw new ImageFormatError(`lzma: invalid properties byte 0x${byte.toString(16)}`);
  const lc = byte % 9;
  const lp = Math.floor(byte / 9) % 5;
  const pb = Math.floor(byte / 45);
  if (lc + lp > 4) throw new ImageFormatError(`lzma: lc=${lc} lp=${lp} exceed lc+lp <= 4`);
  return { lc, lp, pb };
}

export class LzmaDecoder {
  // Range decoder over in[inPos, inEnd).
  private in: Uint8Array = new Uint8Array(0);
  inPos = 0;
  private inEnd = 0;
  // Both are uint32 values held as int32 (JS bit operators are signed 32-bit): unsigned comparisons flip the
  // sign bit first. This keeps V8 on integer registers, about a quarter faster than doubles.
  private range = 0;
  private code = 0;

  private lc = 0;
  private lpMask = 0;
  private pbMask = 0;
  private literal = new Uint16Array(0x300);
  private readonly isMatch = new Uint16Array(STATES * POS_STATES_MAX);
  private readonly isRep = new Uint16Array(STATES);
  private readonly isRepG0 = new Uint16Array(STATES);
  private readonly isRepG1 = new Uint16Array(STATES);
  private readonly isRepG2 = new Uint16Array(STATES);
  private readonly isRep0Long = new Uint16Array(STATES * POS_STATES_MAX);
  private readonly distSlot = new Uint16Array(4 * 64);
  private readonly distSpecial = new Uint16Array(FULL_DISTANCES - DIST_MODEL_END);
  private readonly align = new Uint16Array(16);
  private readonly lenProbs = new Uint16Array(LEN_PROBS);
  private readonly repLenProbs = new Uint16Array(LEN_PROBS);

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  /** Bytes of the current match still to copy when the output limit cut it short. */
  pendingLen = 0;

  setProps(p: LzmaProps): void {
    this.lc = p.lc;
    this.lpMask = (1 << p.lp) - 1;
    this.pbMask = (1 << p.pb) - 1;
    const n = 0x300 << (p.lc + p.lp);
    if (this.literal.length !== n) this.literal = new Uint16Array(n);
  }

  /** Probabilities to one half, state and repeat distances to zero (spec: "LzmaDec_InitState"). */
  resetState(): void {
    for (const a of [this.literal, this.isMatch, this.isRep, this.isRepG0, this.isRepG1, this.isRepG2]) {
      a.fill(PROB_INIT);
    }
    for (const a of [this.isRep0Long, this.distSlot, this.distSpecial, this.align, this.lenProbs]) {
      a.fill(PROB_INIT);
    }
    this.repLenProbs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.pendingLen = 0;
  }

  /** Starts the range decoder on in[pos, end): the first byte is always 0, then 4 bytes of code. */
  initRangeDecoder(input: Uint8Array, pos: number, end: number): void {
    if (end - pos < 5) throw new ImageFormatError('lzma: compressed data is truncated');
    if (input[pos] !== 0) throw new ImageFormatError('lzma: corrupt range coder start');
    this.in = input;
    this.inEnd = end;
    this.code = (input[pos + 1]! << 24) | (input[pos + 2]! << 16) | (input[pos + 3]! << 8) | input[pos + 4]!;
    this.inPos = pos + 5;
    this.range = -1;
    if (this.code === -1) throw new ImageFormatError('lzma: corrupt range coder start');
  }

  /**
   * True when the range coder ended as an encoder's flush leaves it: normalized (bytes are read lazily, before
   * each bit, so the last one may still be unread) with a code of 0. LZMA2 requires this at every chunk end, and
   * an end marker is only believed when it holds.
   */
  rangeDecoderFinished(): boolean {
    if (this.range >>> 0 < 0x1000000) {
      if (this.inPos >= this.inEnd) return false;
      this.range <<= 8;
      this.code = (this.code << 8) | this.in[this.inPos++]!;
    }
    return this.code === 0;
  }

  private bit(p: Uint16Array, i: number): number {
    if (this.range >>> 0 < 0x1000000) {
      if (this.inPos >= this.inEnd) throw new ImageFormatError('lzma: compressed data is truncated');
      this.range <<= 8;
      this.code = (this.code << 8) | this.in[this.inPos++]!;
    }
    const prob = p[i]!;
    const bound = Math.imul(this.range >>> 11, prob);
    if ((this.code ^ SIGN) < (bound ^ SIGN)) {
      this.range = bound;
      p[i] = prob + ((2048 - prob) >>> 5);
      return 0;
    }
    this.range = (this.range - bound) | 0;
    this.code = (this.code - bound) | 0;
    p[i] = prob - (prob >>> 5);
    return 1;
  }

  private direct(count: number): number {
    let r = 0;
    for (let i = 0; i < count; i++) {
      if (this.range >>> 0 < 0x1000000) {
        if (this.inPos >= this.inEnd) throw new ImageFormatError('lzma: compressed data is truncated');
        this.range <<= 8;
        this.code = (this.code << 8) | this.in[this.inPos++]!;
      }
      this.range = this.range >>> 1;
      let b = 0;
      if ((this.code ^ SIGN) >= (this.range ^ SIGN)) {
        this.code = (this.code - this.range) | 0;
        b = 1;
      }
      r = r * 2 + b;
    }
    return r;
  }

  private tree(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(p, base + m);
    return m - (1 << bits);
  }

  private reverseTree(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(p, base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  /**
   * One literal byte: 8 bits down the literal tree, steered by `matchByte` (the byte at rep0) after a match
   * until the first mismatch ("matched literal"), or -1 for a plain literal. The range decoder is inlined here
   * with locals: literals are most of the bits of typical data.
   */
  private literalByte(base: number, matchByte: number): number {
    const p = this.literal;
    const input = this.in;
    const inEnd = this.inEnd;
    let range = this.range;
    let code = this.code;
    let inPos = this.inPos;
    let sym = 1;
    let match = matchByte << 1;
    let offset = matchByte < 0 ? 0 : 0x100;
    while (sym < 0x100) {
      let i: number;
      let matchBit = 0;
      if (offset !== 0) {
        matchBit = match & offset;
        match <<= 1;
        i = base + offset + matchBit + sym;
      } else {
        i = base + sym;
      }
      if (range >>> 0 < 0x1000000) {
        if (inPos >= inEnd) throw new ImageFormatError('lzma: compressed data is truncated');
        range <<= 8;
        code = (code << 8) | input[inPos++]!;
      }
      const prob = p[i]!;
      const bound = Math.imul(range >>> 11, prob);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        p[i] = prob + ((2048 - prob) >>> 5);
        sym <<= 1;
        offset &= ~matchBit;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        p[i] = prob - (prob >>> 5);
        sym = (sym << 1) | 1;
        offset = matchBit;
      }
    }
    this.range = range;
    this.code = code;
    this.inPos = inPos;
    return sym;
  }

  /** Match length minus MATCH_MIN_LEN (0..271). */
  private length(p: Uint16Array, posState: number): number {
    if (this.bit(p, 0) === 0) return this.tree(p, LEN_LOW + posState * 8, 3);
    if (this.bit(p, 1) === 0) return 8 + this.tree(p, LEN_MID + posState * 8, 3);
    return 16 + this.tree(p, LEN_HIGH, 8);
  }

  /** Distance minus one; END_MARKER for the end-of-payload marker. */
  private distance(len: number): number {
    const slot = this.tree(this.distSlot, (len < 3 ? len : 3) * 64, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    // Up to 32 bits: plain arithmetic, since << would overflow into the sign bit.
    const base = (2 | (slot & 1)) * 2 ** direct;
    if (slot < DIST_MODEL_END) return base + this.reverseTree(this.distSpecial, base - slot - 1, direct);
    return base + this.direct(direct - 4) * 16 + this.reverseTree(this.align, 0, 4);
  }

  /**
   * Decodes into the window until its position reaches `limit` (<= win.buf.length). Returns true when an
   * end-of-payload marker was decoded instead (the caller decides whether one is allowed).
   */
  decode(win: LzWindow, limit: number): boolean {
    const buf = win.buf;
    const size = buf.length;
    const start = win.pos;
    let pos = start;
    const lc = this.lc;
    const lpMask = this.lpMask;
    const pbMask = this.pbMask;
    let state = this.state;
    let ended = false;
    if (this.pendingLen > 0) pos = this.copy(buf, pos, limit, this.pendingLen);
    while (pos < limit) {
      const tpos = win.total + (pos - start);
      const posState = tpos & pbMask;
      if (this.bit(this.isMatch, (state << 4) + posState) === 0) {
        const prev = pos > 0 ? buf[pos - 1]! : win.filled > 0 ? buf[size - 1]! : 0;
        const base = 0x300 * (((tpos & lpMask) << lc) + (prev >> (8 - lc)));
        const matchByte = state < 7 ? -1 : buf[(pos - this.rep0 - 1 + size) % size]!;
        const sym = this.literalByte(base, matchByte);
        buf[pos++] = sym & 0xff;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(this.isRep, state) === 0) {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.length(this.lenProbs, posState);
        state = state < 7 ? 7 : 10;
        this.rep0 = this.distance(len);
        if (this.rep0 === END_MARKER) {
          ended = true;
          break;
        }
      } else {
        if (this.bit(this.isRepG0, state) === 0) {
          if (this.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            // "Short rep": one byte from rep0.
            state = state < 7 ? 9 : 11;
            this.checkDistance(win, pos - start);
            let src = pos - this.rep0 - 1;
            if (src < 0) src += size;
            buf[pos++] = buf[src]!;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(this.isRepG1, state) === 0) {
            dist = this.rep1;
          } else {
            if (this.bit(this.isRepG2, state) === 0) {
              dist = this.rep2;
            } else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.length(this.repLenProbs, posState);
        state = state < 7 ? 8 : 11;
      }
      this.checkDistance(win, pos - start);
      pos = this.copy(buf, pos, limit, len + MATCH_MIN_LEN);
    }
    this.state = state;
    win.advance(pos - start);
    return ended;
  }

  private checkDistance(win: LzWindow, written: number): void {
    const avail = Math.min(win.filled + written, win.buf.length);
    if (this.rep0 >= avail) {
      throw new ImageFormatError(
        `lzma: match distance ${this.rep0 + 1} reaches before the start of the data`,
      );
    }
  }

  /** Copies up to `len` bytes from rep0 back, stopping at `limit`; the rest stays in pendingLen. */
  private copy(buf: Uint8Array, pos: number, limit: number, len: number): number {
    const size = buf.length;
    const dist = this.rep0 + 1;
    let src = pos - dist;
    if (src < 0) src += size;
    while (len > 0 && pos < limit) {
      // Runs of at most `dist` bytes never overlap their own source, so copyWithin is exact.
      const k = Math.min(len, limit - pos, size - src, dist);
      if (k < 8) {
        for (let i = 0; i < k; i++) buf[pos++] = buf[src++]!;
      } else {
        buf.copyWithin(pos, src, src + k);
        pos += k;
        src += k;
      }
      if (src === size) src = 0;
      len -= k;
    }
    this.pendingLen = len;
    return pos;
  }
}
