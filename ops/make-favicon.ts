/**
 * Draws the favicon bitmaps from the same shapes as src/web/static/img/favicon.svg (a brand-
 * blue rounded square with a white pulse line) and writes favicon.png (32×32 RGBA) and
 * favicon.ico (the same PNG in an ICO container, which every current browser reads) beside
 * it. No image library: 4×4 supersampling for anti-aliased edges, PNG written by hand.
 *
 * Run after changing the design: `node --import tsx ops/make-favicon.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 32;
const SAMPLES = 4;
const BRAND: readonly [number, number, number] = [0x1f, 0x5f, 0xae];
const CORNER_RADIUS = 6;
const PULSE: readonly (readonly [number, number])[] = [
  [5, 17],
  [11, 17],
  [14, 9],
  [18, 24],
  [21, 14],
  [23, 17],
  [27, 17],
];
const STROKE_HALF_WIDTH = 1.25;

function insideRoundedSquare(x: number, y: number): boolean {
  const cx = Math.min(Math.max(x, CORNER_RADIUS), SIZE - CORNER_RADIUS);
  const cy = Math.min(Math.max(y, CORNER_RADIUS), SIZE - CORNER_RADIUS);
  return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER_RADIUS ** 2;
}

/** Round caps and joins: within half the stroke width of any segment. */
function onPulseLine(x: number, y: number): boolean {
  for (let i = 1; i < PULSE.length; i++) {
    const [ax, ay] = PULSE[i - 1]!;
    const [bx, by] = PULSE[i]!;
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    if ((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= STROKE_HALF_WIDTH ** 2) return true;
  }
  return false;
}

export function renderFavicon(): Buffer {
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      let square = 0;
      let line = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = px + (sx + 0.5) / SAMPLES;
          const y = py + (sy + 0.5) / SAMPLES;
          if (!insideRoundedSquare(x, y)) continue;
          square++;
          if (onPulseLine(x, y)) line++;
        }
      }
      const white = square === 0 ? 0 : line / square;
      const offset = (py * SIZE + px) * 4;
      for (let c = 0; c < 3; c++) rgba[offset + c] = Math.round(BRAND[c]! + (255 - BRAND[c]!) * white);
      rgba[offset + 3] = Math.round((255 * square) / (SAMPLES * SAMPLES));
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function encodePng(rgba: Buffer, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(6, 9); // colour type RGBA
  // Each scanline starts with filter type 0 (none).
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++)
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** ICONDIR + one ICONDIRENTRY pointing at an embedded PNG (allowed since Windows Vista). */
export function wrapIco(png: Buffer, size: number): Buffer {
  const directory = Buffer.alloc(6 + 16);
  directory.writeUInt16LE(0, 0);
  directory.writeUInt16LE(1, 2); // type: icon
  directory.writeUInt16LE(1, 4); // one image
  directory.writeUInt8(size, 6);
  directory.writeUInt8(size, 7);
  directory.writeUInt8(0, 8); // no palette
  directory.writeUInt8(0, 9);
  directory.writeUInt16LE(1, 10); // colour planes
  directory.writeUInt16LE(32, 12); // bits per pixel
  directory.writeUInt32LE(png.length, 14);
  directory.writeUInt32LE(directory.length, 18);
  return Buffer.concat([directory, png]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'web', 'static', 'img');
  const png = encodePng(renderFavicon(), SIZE, SIZE);
  writeFileSync(path.join(dir, 'favicon.png'), png);
  writeFileSync(path.join(dir, 'favicon.ico'), wrapIco(png, SIZE));
  console.log(`favicon.png (${png.length} bytes) and favicon.ico written to ${dir}`);
}
