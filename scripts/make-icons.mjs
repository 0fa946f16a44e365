// Writes the app and extension icons as real PNGs with nothing but node:zlib, so the icons are
// reproducible from source and no image tool is needed. Run once after changing the design, commit the
// output (pwa/public/icons/*.png): `node scripts/make-icons.mjs`.
//
// The design: two interlocking white rings (two devices riding in tandem) on a deep teal field.
// "any" icons get rounded corners with transparent outside; "maskable" icons are full-bleed and keep the
// rings inside the central 80 % safe zone, because the launcher crops them to its own shape.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../pwa/public/icons');
const FIELD = [0x1f, 0x6f, 0x78]; // must match theme_color in app.webmanifest
const RING = [0xff, 0xff, 0xff];
const SUPERSAMPLE = 4; // 4x4 samples per pixel: smooth edges without an AA rasteriser

/** Coverage of the unit-square design at (x, y) in [0, 1]: which colour, if any, is there. */
function sample(x, y, maskable) {
  const inField = maskable || insideRoundedSquare(x, y, 0.22);
  if (!inField) return null;
  // Ring radius and thickness chosen so the outer edge stays within 0.32 of the centre (< 0.4 safe zone).
  const r = 0.17;
  const half = 0.03;
  for (const cx of [0.385, 0.615]) {
    const d = Math.hypot(x - cx, y - 0.5);
    if (Math.abs(d - r) <= half) return RING;
  }
  return FIELD;
}

function insideRoundedSquare(x, y, radius) {
  const dx = Math.max(radius - x, 0, x - (1 - radius));
  const dy = Math.max(radius - y, 0, y - (1 - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function render(size, maskable) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const c = sample((px + (sx + 0.5) / SUPERSAMPLE) / size, (py + (sy + 0.5) / SUPERSAMPLE) / size, maskable);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; a += 1;
        }
      }
      const o = (py * size + px) * 4;
      // Colour is averaged over the covered samples only (straight, not premultiplied, alpha).
      rgba[o] = a ? Math.round(r / a) : 0;
      rgba[o + 1] = a ? Math.round(g / a) : 0;
      rgba[o + 2] = a ? Math.round(b / a) : 0;
      rgba[o + 3] = Math.round((a / n) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  // bytes 10-12: compression, filter method, interlace: all 0
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None per scanline; deflate does the work
    rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
// 16-128: extension toolbar and store sizes; 192/512: the web app manifest (installability needs >= 144).
for (const size of [16, 32, 48, 128, 192, 512]) writeFileSync(join(OUT, `icon-${size}.png`), render(size, false));
for (const size of [192, 512]) writeFileSync(join(OUT, `maskable-${size}.png`), render(size, true));
console.log(`icons written to ${OUT}`);
