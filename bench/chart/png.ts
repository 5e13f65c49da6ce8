import { deflateSync } from 'node:zlib';
import { ADVANCE, glyph } from './font.js';
import { textWidth, type Scene } from './scene.js';

/** Rasterises a scene into an 8-bit RGB PNG, with nothing but node:zlib. */
export function renderPng(scene: Scene): Buffer {
  const { width, height } = scene;
  const pixels = Buffer.alloc(width * height * 3);
  const fillRect = (x0: number, y0: number, w: number, h: number, color: [number, number, number]): void => {
    const xa = Math.max(0, Math.round(x0));
    const ya = Math.max(0, Math.round(y0));
    const xb = Math.min(width, Math.round(x0 + w));
    const yb = Math.min(height, Math.round(y0 + h));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        const i = (y * width + x) * 3;
        pixels[i] = color[0];
        pixels[i + 1] = color[1];
        pixels[i + 2] = color[2];
      }
    }
  };
  fillRect(0, 0, width, height, rgb(scene.background));
  for (const shape of scene.shapes) {
    if (shape.kind === 'rect') {
      fillRect(shape.x, shape.y, shape.w, shape.h, rgb(shape.fill));
      continue;
    }
    const color = rgb(shape.fill);
    const w = textWidth(shape.text, shape.size);
    let x = shape.anchor === 'start' ? shape.x : shape.anchor === 'end' ? shape.x - w : shape.x - w / 2;
    x = Math.round(x);
    const s = shape.size;
    for (const char of shape.text) {
      const rows = glyph(char);
      rows.forEach((row, ry) =>
        row.forEach((ink, rx) => {
          if (!ink) return;
          fillRect(x + rx * s, shape.y + ry * s, s, s, color);
          if (shape.bold) fillRect(x + rx * s + 1, shape.y + ry * s, s, s, color);
        }),
      );
      x += ADVANCE * s;
    }
  }
  return encodePng(width, height, pixels);
}

function rgb(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

function encodePng(width: number, height: number, pixels: Buffer): Buffer {
  // Each scanline is prefixed with filter type 0 (none); deflate does the compressing.
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    pixels.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
