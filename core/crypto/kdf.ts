// The symmetric ratchet's two KDFs [E2E3], computed with a small allocation-light SHA-256 core instead of
// generic HMAC objects: they run for every message (and MAX_JUMP times for a far-ahead one), and for 1-byte
// and 32-byte inputs the setup of a general-purpose hash object costs more than the compression itself.
//
//   kdfChain(ck)       = HMAC-SHA-256(ck, 0x01) (message key), HMAC-SHA-256(ck, 0x02) (next chain key)
//                        6 compressions: the key's inner/outer pad states are computed once for both.
//   kdfMessageKeys(mk) = HKDF-SHA-256(ikm = mk, salt = 0*32, info = "tandem/v1/message-keys", 44)
//                        8 compressions: the zero salt's pad states are public and computed once.
//   kdfChainMessageKeys(ck) = kdfChain(ck).next and kdfMessageKeys(kdfChain(ck).mk), mk never leaving scratch
//                        (the next message of a chain, sent or received: 14 compressions, 3 of them on
//                        constant blocks whose message schedules are expanded once at load time).
//
// Both are plain RFC 2104 / RFC 5869 and give exactly what @noble/hashes gives (kdf.test.ts checks RFC 4231
// and 5869 vectors and random inputs against it). SHA-256 has no secret-dependent branches or table
// lookups, so this code is constant-time like any straightforward SHA-256. Scratch buffers are module-level:
// every function here is synchronous, so nothing can interleave.
//
// Speed (B4 receive): the 64 rounds and the 48 schedule steps are unrolled, with the round constants inline
// (generated code: the round body rotates the roles of a..h instead of moving values, so its eight variable
// names cycle with period 8); for 32-byte keys the KDFs build their blocks directly as words, never as bytes.
import { CONTEXT_BYTES } from './contexts.ts';

const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const W = new Int32Array(64);
const BLOCK = new Uint8Array(64);
const INNER = new Uint8Array(32);

/** Expands W[0..16] into the rest of the message schedule (unrolled). */
function expand(w: Int32Array): void {
  let x: number;
  let y: number;
  x = w[1]!;
  y = w[14]!;
  w[16] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[9]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[0]!) | 0;
  x = w[2]!;
  y = w[15]!;
  w[17] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[10]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[1]!) | 0;
  x = w[3]!;
  y = w[16]!;
  w[18] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[11]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[2]!) | 0;
  x = w[4]!;
  y = w[17]!;
  w[19] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[12]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[3]!) | 0;
  x = w[5]!;
  y = w[18]!;
  w[20] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[13]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[4]!) | 0;
  x = w[6]!;
  y = w[19]!;
  w[21] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[14]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[5]!) | 0;
  x = w[7]!;
  y = w[20]!;
  w[22] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[15]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[6]!) | 0;
  x = w[8]!;
  y = w[21]!;
  w[23] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[16]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[7]!) | 0;
  x = w[9]!;
  y = w[22]!;
  w[24] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[17]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[8]!) | 0;
  x = w[10]!;
  y = w[23]!;
  w[25] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[18]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[9]!) | 0;
  x = w[11]!;
  y = w[24]!;
  w[26] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[19]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[10]!) | 0;
  x = w[12]!;
  y = w[25]!;
  w[27] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[20]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[11]!) | 0;
  x = w[13]!;
  y = w[26]!;
  w[28] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[21]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[12]!) | 0;
  x = w[14]!;
  y = w[27]!;
  w[29] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[22]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[13]!) | 0;
  x = w[15]!;
  y = w[28]!;
  w[30] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[23]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[14]!) | 0;
  x = w[16]!;
  y = w[29]!;
  w[31] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[24]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[15]!) | 0;
  x = w[17]!;
  y = w[30]!;
  w[32] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[25]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[16]!) | 0;
  x = w[18]!;
  y = w[31]!;
  w[33] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[26]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[17]!) | 0;
  x = w[19]!;
  y = w[32]!;
  w[34] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[27]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[18]!) | 0;
  x = w[20]!;
  y = w[33]!;
  w[35] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[28]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[19]!) | 0;
  x = w[21]!;
  y = w[34]!;
  w[36] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[29]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[20]!) | 0;
  x = w[22]!;
  y = w[35]!;
  w[37] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[30]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[21]!) | 0;
  x = w[23]!;
  y = w[36]!;
  w[38] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[31]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[22]!) | 0;
  x = w[24]!;
  y = w[37]!;
  w[39] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[32]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[23]!) | 0;
  x = w[25]!;
  y = w[38]!;
  w[40] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[33]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[24]!) | 0;
  x = w[26]!;
  y = w[39]!;
  w[41] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[34]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[25]!) | 0;
  x = w[27]!;
  y = w[40]!;
  w[42] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[35]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[26]!) | 0;
  x = w[28]!;
  y = w[41]!;
  w[43] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[36]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[27]!) | 0;
  x = w[29]!;
  y = w[42]!;
  w[44] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[37]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[28]!) | 0;
  x = w[30]!;
  y = w[43]!;
  w[45] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[38]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[29]!) | 0;
  x = w[31]!;
  y = w[44]!;
  w[46] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[39]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[30]!) | 0;
  x = w[32]!;
  y = w[45]!;
  w[47] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[40]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[31]!) | 0;
  x = w[33]!;
  y = w[46]!;
  w[48] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[41]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[32]!) | 0;
  x = w[34]!;
  y = w[47]!;
  w[49] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[42]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[33]!) | 0;
  x = w[35]!;
  y = w[48]!;
  w[50] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[43]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[34]!) | 0;
  x = w[36]!;
  y = w[49]!;
  w[51] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[44]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[35]!) | 0;
  x = w[37]!;
  y = w[50]!;
  w[52] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[45]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[36]!) | 0;
  x = w[38]!;
  y = w[51]!;
  w[53] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[46]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[37]!) | 0;
  x = w[39]!;
  y = w[52]!;
  w[54] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[47]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[38]!) | 0;
  x = w[40]!;
  y = w[53]!;
  w[55] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[48]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[39]!) | 0;
  x = w[41]!;
  y = w[54]!;
  w[56] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[49]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[40]!) | 0;
  x = w[42]!;
  y = w[55]!;
  w[57] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[50]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[41]!) | 0;
  x = w[43]!;
  y = w[56]!;
  w[58] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[51]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[42]!) | 0;
  x = w[44]!;
  y = w[57]!;
  w[59] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[52]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[43]!) | 0;
  x = w[45]!;
  y = w[58]!;
  w[60] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[53]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[44]!) | 0;
  x = w[46]!;
  y = w[59]!;
  w[61] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[54]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[45]!) | 0;
  x = w[47]!;
  y = w[60]!;
  w[62] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[55]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[46]!) | 0;
  x = w[48]!;
  y = w[61]!;
  w[63] = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[56]! + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + w[47]!) | 0;
}

/** The 64 rounds with the full schedule `w`, added into `st[so..so+8]` (unrolled: generated, see above). */
function rounds(st: Int32Array, so: number, w: Int32Array): void {
  let a = st[so]!;
  let b = st[so + 1]!;
  let c = st[so + 2]!;
  let d = st[so + 3]!;
  let e = st[so + 4]!;
  let f = st[so + 5]!;
  let g = st[so + 6]!;
  let h = st[so + 7]!;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + 1116352408 + w[0]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + 1899447441 + w[1]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + -1245643825 + w[2]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + -373957723 + w[3]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + 961987163 + w[4]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + 1508970993 + w[5]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + -1841331548 + w[6]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + -1424204075 + w[7]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + -670586216 + w[8]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + 310598401 + w[9]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + 607225278 + w[10]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + 1426881987 + w[11]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + 1925078388 + w[12]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + -2132889090 + w[13]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + -1680079193 + w[14]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + -1046744716 + w[15]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + -459576895 + w[16]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + -272742522 + w[17]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + 264347078 + w[18]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + 604807628 + w[19]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + 770255983 + w[20]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + 1249150122 + w[21]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + 1555081692 + w[22]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + 1996064986 + w[23]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + -1740746414 + w[24]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + -1473132947 + w[25]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + -1341970488 + w[26]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + -1084653625 + w[27]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + -958395405 + w[28]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + -710438585 + w[29]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + 113926993 + w[30]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + 338241895 + w[31]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + 666307205 + w[32]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + 773529912 + w[33]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + 1294757372 + w[34]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + 1396182291 + w[35]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + 1695183700 + w[36]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + 1986661051 + w[37]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + -2117940946 + w[38]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + -1838011259 + w[39]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + -1564481375 + w[40]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + -1474664885 + w[41]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + -1035236496 + w[42]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + -949202525 + w[43]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + -778901479 + w[44]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + -694614492 + w[45]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + -200395387 + w[46]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + 275423344 + w[47]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + 430227734 + w[48]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + 506948616 + w[49]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + 659060556 + w[50]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + 883997877 + w[51]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + 958139571 + w[52]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + 1322822218 + w[53]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + 1537002063 + w[54]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + 1747873779 + w[55]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + 1955562222 + w[56]!) | 0;
  d = (d + h) | 0;
  h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
  g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + ((d & e) ^ (~d & f)) + 2024104815 + w[57]!) | 0;
  c = (c + g) | 0;
  g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (h & b) ^ (a & b))) | 0;
  f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + ((c & d) ^ (~c & e)) + -2067236844 + w[58]!) | 0;
  b = (b + f) | 0;
  f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (g & a) ^ (h & a))) | 0;
  e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + ((b & c) ^ (~b & d)) + -1933114872 + w[59]!) | 0;
  a = (a + e) | 0;
  e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & h) ^ (g & h))) | 0;
  d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + ((a & b) ^ (~a & c)) + -1866530822 + w[60]!) | 0;
  h = (h + d) | 0;
  d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
  c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + ((h & a) ^ (~h & b)) + -1538233109 + w[61]!) | 0;
  g = (g + c) | 0;
  c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
  b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + ((g & h) ^ (~g & a)) + -1090935817 + w[62]!) | 0;
  f = (f + b) | 0;
  b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
  a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + ((f & g) ^ (~f & h)) + -965641998 + w[63]!) | 0;
  e = (e + a) | 0;
  a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
  st[so] = (st[so]! + a) | 0;
  st[so + 1] = (st[so + 1]! + b) | 0;
  st[so + 2] = (st[so + 2]! + c) | 0;
  st[so + 3] = (st[so + 3]! + d) | 0;
  st[so + 4] = (st[so + 4]! + e) | 0;
  st[so + 5] = (st[so + 5]! + f) | 0;
  st[so + 6] = (st[so + 6]! + g) | 0;
  st[so + 7] = (st[so + 7]! + h) | 0;
}

/** One SHA-256 compression of the 64 bytes at `bytes[off..off+64]` into `st[so..so+8]`. */
function compress(st: Int32Array, so: number, bytes: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W[i] = (bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
  }
  expand(W);
  rounds(st, so, W);
}

/**
 * Hashes the concatenation of `parts` into the state `st` (which has already absorbed `done` bytes, a
 * multiple of 64), pads, and writes the 32-byte digest to `out[oo..]`.
 */
function finish(st: Int32Array, done: number, parts: readonly Uint8Array[], out: Uint8Array, oo: number): void {
  let fill = 0;
  let total = done;
  for (const part of parts) {
    total += part.length;
    let i = 0;
    if (fill === 0) {
      for (; i + 64 <= part.length; i += 64) compress(st, 0, part, i);
    }
    while (i < part.length) {
      const n = Math.min(64 - fill, part.length - i);
      for (let j = 0; j < n; j++) BLOCK[fill + j] = part[i + j]!; // cheaper than set(subarray) for a few bytes
      fill += n;
      i += n;
      if (fill === 64) {
        compress(st, 0, BLOCK, 0);
        fill = 0;
        for (; i + 64 <= part.length; i += 64) compress(st, 0, part, i);
      }
    }
  }
  BLOCK[fill++] = 0x80;
  if (fill > 56) {
    BLOCK.fill(0, fill);
    compress(st, 0, BLOCK, 0);
    fill = 0;
  }
  for (let j = fill; j < 56; j++) BLOCK[j] = 0;
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  BLOCK[56] = hi >>> 24;
  BLOCK[57] = hi >>> 16;
  BLOCK[58] = hi >>> 8;
  BLOCK[59] = hi;
  BLOCK[60] = lo >>> 24;
  BLOCK[61] = lo >>> 16;
  BLOCK[62] = lo >>> 8;
  BLOCK[63] = lo;
  compress(st, 0, BLOCK, 0);
  writeDigest(st, 0, out, oo);
}

function writeDigest(st: Int32Array, so: number, out: Uint8Array, oo: number): void {
  for (let i = 0; i < 8; i++) {
    const v = st[so + i]!;
    out[oo + 4 * i] = v >>> 24;
    out[oo + 4 * i + 1] = v >>> 16;
    out[oo + 4 * i + 2] = v >>> 8;
    out[oo + 4 * i + 3] = v;
  }
}

const WORK = new Int32Array(8);

/** Clears the scratch buffers: after a call they would otherwise hold key material (as noble clears its own). */
function wipe(): void {
  W.fill(0);
  BLOCK.fill(0);
  INNER.fill(0);
  WORK.fill(0);
}

/** SHA-256 (used for HMAC keys longer than a block). */
export function sha256(data: Uint8Array): Uint8Array {
  WORK.set(IV);
  const out = new Uint8Array(32);
  finish(WORK, 0, [data], out, 0);
  wipe();
  return out;
}

/** The inner and outer pad states of an HMAC key: 16 words, [inner 8 | outer 8]. */
export type HmacPads = Int32Array;

export function hmacPads(key: Uint8Array): HmacPads {
  if (key.length > 64) key = sha256(key);
  const pads = new Int32Array(16);
  pads.set(IV, 0);
  pads.set(IV, 8);
  BLOCK.fill(0x36);
  for (let i = 0; i < key.length; i++) BLOCK[i]! ^= key[i]!;
  compress(pads, 0, BLOCK, 0);
  BLOCK.fill(0x5c);
  for (let i = 0; i < key.length; i++) BLOCK[i]! ^= key[i]!;
  compress(pads, 8, BLOCK, 0);
  return pads;
}

/** HMAC-SHA-256 with precomputed pads, over the concatenation of `parts`, into out[oo..oo+32]. */
export function hmacWithPads(pads: HmacPads, parts: readonly Uint8Array[], out: Uint8Array, oo = 0): Uint8Array {
  WORK.set(pads.subarray(0, 8));
  finish(WORK, 64, parts, INNER, 0);
  WORK.set(pads.subarray(8, 16));
  finish(WORK, 64, [INNER], out, oo);
  return out;
}

/** RFC 2104 HMAC-SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = hmacWithPads(hmacPads(key), [data], new Uint8Array(32));
  wipe();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Word-level fast paths for the per-message KDFs. Their inputs are 32-byte keys and fixed short messages,
// so every block is built directly as 16 big-endian words in W (no byte buffer, no padding loop), the
// 32-byte intermediate values (inner digests, PRK, T(1)) stay as state words, and the schedules of the
// constant blocks (HMAC of 0x01 / 0x02, HKDF's first `info || 0x01`) are expanded once at load time.

const IPAD = 0x36363636;
const OPAD = 0x5c5c5c5c;
/** pad states of the current key: [inner 8 | outer 8] */
const PADS = new Int32Array(16);
/** a scratch chaining state */
const ST = new Int32Array(8);
/** the inner digest, as words */
const MID = new Int32Array(8);

/** The full schedule of a constant one-block message `msg` (< 56 bytes) that follows a 64-byte key block. */
function constantSchedule(msg: Uint8Array): Int32Array {
  const block = new Uint8Array(64);
  block.set(msg);
  block[msg.length] = 0x80;
  const bits = (64 + msg.length) * 8;
  block[62] = bits >>> 8;
  block[63] = bits;
  const w = new Int32Array(64);
  for (let i = 0; i < 16; i++) w[i] = (block[4 * i]! << 24) | (block[4 * i + 1]! << 16) | (block[4 * i + 2]! << 8) | block[4 * i + 3]!;
  expand(w);
  return w;
}

/** Big-endian words of the 32 bytes at key[0..32] into W[0..8]. */
function loadKeyWords(key: Uint8Array, ko: number): void {
  for (let i = 0; i < 8; i++, ko += 4) W[i] = (key[ko]! << 24) | (key[ko + 1]! << 16) | (key[ko + 2]! << 8) | key[ko + 3]!;
}

/** PADS <- the pad states of the 32-byte key whose words are in W[0..8]. */
function padsFromW(): void {
  for (let i = 0; i < 8; i++) W[i]! ^= IPAD;
  for (let i = 8; i < 16; i++) W[i] = IPAD;
  PADS.set(IV, 0);
  PADS.set(IV, 8);
  expand(W);
  rounds(PADS, 0, W);
  // expand() leaves W[0..16] as they were: switch them from the inner to the outer pad
  for (let i = 0; i < 16; i++) W[i]! ^= IPAD ^ OPAD;
  expand(W);
  rounds(PADS, 8, W);
}

/** MID <- inner hash (PADS inner state, then the block whose schedule is `sched`). */
function innerConstant(sched: Int32Array): void {
  MID[0] = PADS[0]!;
  MID[1] = PADS[1]!;
  MID[2] = PADS[2]!;
  MID[3] = PADS[3]!;
  MID[4] = PADS[4]!;
  MID[5] = PADS[5]!;
  MID[6] = PADS[6]!;
  MID[7] = PADS[7]!;
  rounds(MID, 0, sched);
}

/** ST <- outer hash of the 32-byte inner digest in MID (PADS outer state). */
function outer(): void {
  for (let i = 0; i < 8; i++) {
    W[i] = MID[i]!;
    ST[i] = PADS[8 + i]!;
  }
  W[8] = 0x80000000 | 0;
  W[9] = 0;
  W[10] = 0;
  W[11] = 0;
  W[12] = 0;
  W[13] = 0;
  W[14] = 0;
  W[15] = (64 + 32) * 8;
  expand(W);
  rounds(ST, 0, W);
}

function wipeFast(): void {
  W.fill(0);
  PADS.fill(0);
  ST.fill(0);
  MID.fill(0);
}

const ONE = Uint8Array.of(0x01);
const TWO = Uint8Array.of(0x02);
const SCHED_ONE = constantSchedule(ONE);
const SCHED_TWO = constantSchedule(TWO);

function digestOf(st: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  writeDigest(st, 0, out, 0);
  return out;
}

/** KDF_CK: the message key and the next chain key. */
export function kdfChain(ck: Uint8Array): { mk: Uint8Array; next: Uint8Array } {
  if (ck.length !== 32) {
    const pads = hmacPads(ck);
    const out = { mk: hmacWithPads(pads, [ONE], new Uint8Array(32)), next: hmacWithPads(pads, [TWO], new Uint8Array(32)) };
    pads.fill(0);
    wipe();
    return out;
  }
  loadKeyWords(ck, 0);
  padsFromW();
  innerConstant(SCHED_ONE);
  outer();
  const mk = digestOf(ST);
  innerConstant(SCHED_TWO);
  outer();
  const next = digestOf(ST);
  wipeFast();
  return { mk, next };
}

/** The next chain key alone (for skipped indices whose message key would be evicted at once). */
export function kdfChainNext(ck: Uint8Array): Uint8Array {
  if (ck.length !== 32) {
    const pads = hmacPads(ck);
    const out = hmacWithPads(pads, [TWO], new Uint8Array(32));
    pads.fill(0);
    wipe();
    return out;
  }
  loadKeyWords(ck, 0);
  padsFromW();
  innerConstant(SCHED_TWO);
  outer();
  const next = digestOf(ST);
  wipeFast();
  return next;
}

const ZERO_SALT_PADS = hmacPads(new Uint8Array(32));
const T1 = new Uint8Array(32);
const MK_INFO = CONTEXT_BYTES.messageKeys;
/** HKDF's first block, info || 0x01, is constant */
const SCHED_INFO_ONE = constantSchedule(Uint8Array.from([...MK_INFO, 0x01]));
/** the words 8..16 of HKDF's second block, T(1) || info || 0x02 || padding (T(1) is words 0..8) */
const INFO_TWO_TAIL = constantSchedule(Uint8Array.from([...new Uint8Array(32), ...MK_INFO, 0x02])).slice(8, 16);
// T(1) || info || 0x02 must fit one block with its padding for the word-level path
const MK_FAST = MK_INFO.length + 33 <= 55;

/** RFC 5869 HKDF-SHA-256 with a 32-byte zero salt, for the message keys: AES-256 key || 96-bit nonce. */
export function kdfMessageKeys(mk: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  if (mk.length !== 32 || !MK_FAST) return kdfMessageKeysGeneric(mk);
  loadKeyWords(mk, 0);
  const out = messageKeysFromW();
  wipeFast();
  return out;
}

/**
 * kdfChain(ck).next and kdfMessageKeys(kdfChain(ck).mk) in one, for a message decrypted or encrypted at
 * once: the message key stays in scratch words and is never materialised.
 */
export function kdfChainMessageKeys(ck: Uint8Array): { next: Uint8Array; key: Uint8Array; nonce: Uint8Array } {
  if (ck.length !== 32 || !MK_FAST) {
    const { mk, next } = kdfChain(ck);
    const out = { next, ...kdfMessageKeys(mk) };
    mk.fill(0);
    return out;
  }
  loadKeyWords(ck, 0);
  padsFromW();
  innerConstant(SCHED_TWO);
  outer();
  const next = digestOf(ST);
  innerConstant(SCHED_ONE);
  outer();
  for (let i = 0; i < 8; i++) W[i] = ST[i]!;
  const { key, nonce } = messageKeysFromW();
  wipeFast();
  return { next, key, nonce };
}

/** The message keys of the message key whose words are in W[0..8]. */
function messageKeysFromW(): { key: Uint8Array; nonce: Uint8Array } {
  const out = new Uint8Array(64);
  // PRK = HMAC(zero salt, mk)
  PADS.set(ZERO_SALT_PADS);
  for (let i = 0; i < 8; i++) MID[i] = PADS[i]!;
  W[8] = 0x80000000 | 0;
  W[9] = 0;
  W[10] = 0;
  W[11] = 0;
  W[12] = 0;
  W[13] = 0;
  W[14] = 0;
  W[15] = (64 + 32) * 8;
  expand(W);
  rounds(MID, 0, W);
  outer();
  // pads of PRK (its words are in ST)
  for (let i = 0; i < 8; i++) W[i] = ST[i]!;
  padsFromW();
  // T(1) = HMAC(PRK, info || 0x01)
  innerConstant(SCHED_INFO_ONE);
  outer();
  writeDigest(ST, 0, out, 0);
  // T(2) = HMAC(PRK, T(1) || info || 0x02)
  for (let i = 0; i < 8; i++) {
    W[i] = ST[i]!;
    W[8 + i] = INFO_TWO_TAIL[i]!;
    MID[i] = PADS[i]!;
  }
  expand(W);
  rounds(MID, 0, W);
  outer();
  writeDigest(ST, 0, out, 32);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

function kdfMessageKeysGeneric(mk: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const prk = hmacWithPads(ZERO_SALT_PADS, [mk], new Uint8Array(32));
  const pads = hmacPads(prk);
  const info = MK_INFO;
  hmacWithPads(pads, [info, ONE], T1, 0);
  const out = new Uint8Array(64);
  out.set(T1, 0);
  hmacWithPads(pads, [T1, info, TWO], out, 32);
  prk.fill(0);
  T1.fill(0);
  pads.fill(0);
  wipe();
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** KDF_RK: HKDF-SHA-256(ikm = dh, salt = rk, info = "tandem/v1/ratchet-root", 64) -> new root key, chain key. */
export function kdfRoot(rk: Uint8Array, dh: Uint8Array): { rk: Uint8Array; ck: Uint8Array } {
  const saltPads = hmacPads(rk);
  const prk = hmacWithPads(saltPads, [dh], new Uint8Array(32));
  saltPads.fill(0);
  const pads = hmacPads(prk);
  const info = CONTEXT_BYTES.ratchetRoot;
  const rkOut = hmacWithPads(pads, [info, ONE], new Uint8Array(32));
  const ck = hmacWithPads(pads, [rkOut, info, TWO], new Uint8Array(32));
  prk.fill(0);
  pads.fill(0);
  wipe();
  return { rk: rkOut, ck };
}
