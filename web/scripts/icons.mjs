// Draws the app icons (a white speech bubble on indigo) into public/, with
// nothing but Node's built-in modules: shapes are rasterised with 4×4
// supersampling and written as PNG (zlib), the favicon as an ICO that wraps
// a PNG. Run `npm run icons` after changing the drawing; the files are
// committed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const INDIGO = [0x43, 0x38, 0xca, 255];
const WHITE = [255, 255, 255, 255];
const CLEAR = [0, 0, 0, 0];

/** Inside a rectangle with rounded corners (all in the 64-unit design grid). */
function inRoundedRect(x, y, left, top, right, bottom, radius) {
  if (x < left || x > right || y < top || y > bottom) return false;
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

function inTriangle(x, y, [ax, ay], [bx, by], [cx, cy]) {
  const side = (px, py, qx, qy, rx, ry) => (px - rx) * (qy - ry) - (qx - rx) * (py - ry);
  const d1 = side(x, y, ax, ay, bx, by);
  const d2 = side(x, y, bx, by, cx, cy);
  const d3 = side(x, y, cx, cy, ax, ay);
  const negative = d1 < 0 || d2 < 0 || d3 < 0;
  const positive = d1 > 0 || d2 > 0 || d3 > 0;
  return !(negative && positive);
}

/**
 * The colour at a point of the 64×64 design. `maskable` fills the whole
 * square and shrinks the bubble into the safe zone (the inner 80% circle).
 */
function colourAt(x, y, maskable) {
  const background = maskable || inRoundedRect(x, y, 0, 0, 64, 64, 14);
  if (!background) return CLEAR;
  // Bubble coordinates, scaled about the centre for the maskable icon.
  const scale = maskable ? 0.72 : 1;
  const u = 32 + (x - 32) / scale;
  const v = 34 + (y - 34) / scale;
  const dots = [23, 32, 41].some((cx) => (u - cx) ** 2 + (v - 31) ** 2 <= 3.2 ** 2);
  const bubble = inRoundedRect(u, v, 10, 18, 54, 44, 6) || inTriangle(u, v, [20, 43], [31, 43], [20, 52]);
  if (bubble && !dots) return WHITE;
  return INDIGO;
}

function render(size, maskable) {
  const samples = 4;
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const x = ((px + (sx + 0.5) / samples) / size) * 64;
          const y = ((py + (sy + 0.5) / samples) / size) * 64;
          const [cr, cg, cb, ca] = colourAt(x, y, maskable);
          r += cr * ca;
          g += cg * ca;
          b += cb * ca;
          a += ca;
        }
      }
      const at = (py * size + px) * 4;
      pixels[at] = a ? Math.round(r / a) : 0;
      pixels[at + 1] = a ? Math.round(g / a) : 0;
      pixels[at + 2] = a ? Math.round(b / a) : 0;
      pixels[at + 3] = Math.round(a / samples ** 2);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    rows[y * (size * 4 + 1)] = 0; // no filter
    pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An ICO file holding one PNG image. */
function ico(size, image) {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(1, 4); // one image
  header[6] = size;
  header[7] = size;
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(image.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, image]);
}

const publicDir = new URL('../public/', import.meta.url).pathname;
mkdirSync(`${publicDir}icons`, { recursive: true });
const outputs = {
  'icons/icon-192.png': png(192, render(192, false)),
  'icons/icon-512.png': png(512, render(512, false)),
  'icons/maskable-512.png': png(512, render(512, true)),
  'icons/apple-touch-icon.png': png(180, render(180, true)),
  'favicon.ico': ico(32, png(32, render(32, false))),
};
for (const [name, bytes] of Object.entries(outputs)) {
  writeFileSync(`${publicDir}${name}`, bytes);
  console.log(`${name}: ${bytes.length} bytes`);
}
