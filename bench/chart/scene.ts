/**
 * What a chart is made of: filled rectangles and text. Layout produces a scene once; the PNG
 * rasteriser and the SVG writer each draw the same scene, so the two files always agree.
 */
export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | {
      kind: 'text';
      /** x of the anchor; y of the top of the capital letters. */
      x: number;
      y: number;
      text: string;
      /** Font pixels are `size` × `size` image pixels: a capital letter is 7 × size px tall. */
      size: number;
      fill: string;
      anchor: 'start' | 'middle' | 'end';
      bold?: boolean;
    };

export interface Scene {
  width: number;
  height: number;
  background: string;
  shapes: Shape[];
}

/** Width of `text` in image pixels at `size` (fixed-width font: 6 font pixels per character). */
export function textWidth(text: string, size: number): number {
  return [...text].length * 6 * size;
}
