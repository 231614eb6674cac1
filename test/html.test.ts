// The HTML report, end to end in a real browser: the built CLI writes it from
// a real trace, headless Chromium (Debian's, driven by playwright-core) opens
// it offline, and the test checks that the figures render and that hovering
// a frame shows its counts and virtual pages as the JSON report of the same
// run gives them. A screenshot goes to test/artifacts/html-report.png.
// Without /usr/bin/chromium (`apt-get install chromium`; .ci/run installs
// it) the test is skipped, and its name says so.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';

const CHROMIUM = process.env.TLBSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
const TRACE = new URL('../traces/qemu72-user-execlog-true.log.gz', import.meta.url).pathname;
const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const SCREENSHOT = join(ARTIFACTS, 'html-report.png');

interface Frame {
  pfn: number;
  translations: number;
  reads: number;
  writes: number;
  fetches: number;
}
interface Page {
  space: number;
  vpn: number;
  pfn: number;
  translations: number;
}

if (!HAVE_BROWSER) {
  process.stderr.write(`html.test: SKIPPED: no browser at ${CHROMIUM} (apt-get install chromium, or set TLBSCOPE_CHROMIUM)\n`);
}

describe.skipIf(!HAVE_BROWSER)(`the HTML report in headless Chromium${HAVE_BROWSER ? '' : ` (SKIPPED: no browser at ${CHROMIUM})`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tlbscope-html-'));
  const html = join(dir, 'report.html');
  const json = join(dir, 'report.json');
  let browser: Browser;
  let report: { pfn: Frame[]; vpn: Page[]; intervals: { windows: unknown[] } };

  beforeAll(async () => {
    const r = spawnSync(process.execPath, [CLI, 'replay', TRACE, '--html', html, '--interval', '10000', '--json', json, '--json-pages'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    report = JSON.parse(readFileSync(json, 'utf8'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders offline, the heatmap and interval series drawn, and hover shows the hottest frame as the JSON gives it', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, offline: true });
    const page = await context.newPage();
    // Self-contained: the page asks for nothing but itself.
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url !== pathToFileURL(html).href) requests.push(url);
      return url.startsWith('file:') ? route.continue() : route.abort();
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-rendered="true"]');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    // The heatmap canvas holds the viridis cells: many colours, none of them missing.
    const pixels = await page.evaluate(() => {
      const canvas = document.getElementById('heatmap-canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return { width: canvas.width, height: canvas.height, colours: colours.size };
    });
    expect(pixels.width).toBeGreaterThan(100);
    expect(pixels.colours).toBeGreaterThan(20);

    // One point per window in the miss-rate series.
    const windows = report.intervals.windows.length;
    expect(windows).toBe(9);
    const points = (chart: string) =>
      page.$$eval(`#${chart} polyline.series`, (lines) => lines.map((l) => l.getAttribute('points')!.trim().split(/\s+/).length));
    expect(await points('interval-l1-miss-rates')).toEqual([windows, windows]);
    expect(await points('interval-l2-miss-rate')).toEqual([windows]);
    expect(await points('interval-walks')).toEqual([windows, windows]);

    // Hover the hottest frame's cell.
    const hottest = report.pfn.reduce((a, b) => (b.translations > a.translations ? b : a));
    const grid = await page.evaluate(() => JSON.parse(document.getElementById('tlbscope-data')!.textContent!).grid);
    const row = grid.rows.findIndex((r: { start: number }) => r.start <= hottest.pfn && hottest.pfn < r.start + grid.width * grid.perCell);
    const col = Math.floor((hottest.pfn - grid.rows[row].start) / grid.perCell);
    const box = (await page.locator('#heatmap-canvas').boundingBox())!;
    const px = grid.cellPixels;
    await page.mouse.move(box.x + 1 + (col + 0.5) * px, box.y + 1 + (row + 0.5) * px);
    const tip = page.locator('#tip');
    await tip.waitFor({ state: 'visible' });
    const field = async (name: string) => Number((await tip.locator(`[data-field="${name}"]`).first().textContent())!.replace(/,/g, ''));
    expect(await tip.textContent()).toContain(`PFN 0x${hottest.pfn.toString(16)} (${hottest.pfn})`);
    expect(await field('translations')).toBe(hottest.translations);
    expect(await field('reads')).toBe(hottest.reads);
    expect(await field('writes')).toBe(hottest.writes);
    expect(await field('fetches')).toBe(hottest.fetches);
    // Listed most translated first (ties in VPN order).
    const mapped = report.vpn
      .filter((p) => p.pfn === hottest.pfn)
      .sort((a, b) => b.translations - a.translations)
      .map((p) => `0x${(BigInt(p.vpn) << 12n).toString(16)}`);
    expect(mapped.length).toBeGreaterThan(0);
    expect(await tip.locator('[data-field="page"]').allTextContents()).toEqual(mapped.slice(0, 8));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await context.close();
  });
});
