// The heatmap figure as PNG: the SVG of svg.ts rasterized by resvg at twice
// its size (sharp in a paper or on a slide). resvg draws text only with the
// fonts it is given: DejaVu Sans (Debian's fonts-dejavu-core) when present,
// else whatever the system has.

import { existsSync } from 'node:fs';

const DEJAVU = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  // Lazy: a native addon, loaded only when a PNG is asked for.
  const { Resvg } = await import('@resvg/resvg-js');
  const fontFiles = DEJAVU.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: {
      fontFiles,
      loadSystemFonts: fontFiles.length === 0,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}
