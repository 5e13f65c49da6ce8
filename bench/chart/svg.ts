import type { Scene } from './scene.js';

/** Writes a scene as SVG. Text is monospace sized to the bitmap font's 6-pixel advance. */
export function renderSvg(scene: Scene): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">`,
    `<rect width="100%" height="100%" fill="${scene.background}"/>`,
  ];
  for (const s of scene.shapes) {
    if (s.kind === 'rect') {
      out.push(`<rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" fill="${s.fill}"/>`);
    } else {
      // A monospace font advances ~0.6 em per character: 10 px per size unit matches 6 px.
      const fontSize = 10 * s.size;
      out.push(
        `<text x="${s.x}" y="${s.y + 7 * s.size}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${fontSize}"` +
          ` text-anchor="${s.anchor}" fill="${s.fill}"${s.bold ? ' font-weight="bold"' : ''}>${escape(s.text)}</text>`,
      );
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
