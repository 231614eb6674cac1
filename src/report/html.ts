// --html FILE: one self-contained page (inline CSS, JS and data; no network
// access) with the summary, the interactive PFN heatmap (hover: the frame,
// its counts, and the virtual pages that map to it), the interval series and
// the configuration. The heatmap uses heatmap-data.ts's layout and the same
// colours as the figures. test/html.test.ts opens it in Chromium.

import type { MachineConfig, Stats } from '../model.js';
import type { ReplayResult } from '../replay.js';
import { EMPTY_RGB, hex, logTicks, shortCount, viridis } from './colormap.js';
import { configFields, machineLine } from './describe.js';
import { COUNT_NAMES, rowLabel, type HeatmapGrid } from './heatmap-data.js';
import { intervalCharts } from './intervals-svg.js';
import { cellPixels, heatmapTitle } from './svg.js';
import { intervalWindows } from './windows.js';

/** Virtual pages listed per frame on hover; the rest are counted. */
const PAGES_SHOWN = 8;

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const int = (n: number) => n.toLocaleString('en-US');
const pct = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(3)}%`);

function table(head: string[], rows: Array<Array<string | number>>, numeric: boolean[]): string {
  const cell = (v: string | number, i: number, tag: string) => `<${tag}${numeric[i] ? ' class="num"' : ''}>${esc(String(v))}</${tag}>`;
  return (
    `<table><thead><tr>${head.map((h, i) => cell(h, i, 'th')).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v, i) => cell(v, i, 'td')).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

/** Per frame: [translations, reads, writes, fetches], and the pages mapping to it. */
function frameData(stats: Stats, grid: HeatmapGrid) {
  const frames: Record<number, number[]> = {};
  if (grid.count === 'trace') {
    for (const [pfn, n] of stats.physicalPfn) frames[pfn] = [n];
  } else {
    for (const f of stats.pfn) frames[f.pfn] = [f.translations, f.reads, f.writes, f.fetches];
  }
  const pages: Record<number, { list: Array<[string, number]>; more: number }> = {};
  if (stats.vpn && grid.count !== 'trace') {
    const multi = stats.vpn.spaces.length > 1;
    // Most translated first.
    for (const p of [...stats.vpn.pages].sort((a, b) => b.translations - a.translations)) {
      const entry = (pages[p.pfn] ??= { list: [], more: 0 });
      const va = `${multi ? `s${p.space} ` : ''}0x${(BigInt(p.vpn) << 12n).toString(16)}`;
      if (entry.list.length < PAGES_SHOWN) entry.list.push([va, p.translations]);
      else entry.more++;
    }
  }
  return { frames, pages };
}

const CSS = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:2px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:3px;margin-top:28px}
.sub{color:#555;margin:2px 0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}th{background:#f6f6f6}
.num{text-align:right;font-variant-numeric:tabular-nums}
#figure{display:flex;align-items:flex-start;gap:6px;position:relative}
#rowlabels{position:relative;font-size:10px;font-family:"DejaVu Sans Mono",monospace;text-align:right;min-width:90px}
#rowlabels div{position:absolute;right:0;white-space:nowrap}
#heatmap-canvas{image-rendering:pixelated;border:1px solid #888;cursor:crosshair}
#legend{font-size:11px;margin-left:14px}
#legend canvas{border:1px solid #888;display:block}
#tip{position:absolute;pointer-events:none;background:#fffffe;border:1px solid #444;border-radius:3px;padding:6px 8px;font-size:12px;box-shadow:2px 2px 6px rgba(0,0,0,.25);max-width:360px;z-index:10}
#tip .k{color:#666}
.note{color:#666;font-size:12px}
`;

// Runs in the browser: draws the grid, the legend, and answers hovers.
const SCRIPT = `
(function(){
var D=JSON.parse(document.getElementById('tlbscope-data').textContent);
var g=D.grid,cv=document.getElementById('heatmap-canvas');
if(!g||!cv)return;
var px=g.cellPixels,rows=g.rows.length;
cv.width=g.width*px;cv.height=Math.max(1,rows)*px;
var ctx=cv.getContext('2d');
function color(v){
  if(v<0)return '#ffffff';
  if(v===0)return D.empty;
  var t=(v<=1||g.max<=1)?(g.max<=1?1:0):Math.log(v)/Math.log(g.max);
  return D.palette[Math.round(255*t)];
}
for(var r=0;r<rows;r++)for(var c=0;c<g.width;c++){
  ctx.fillStyle=color(g.values[r*g.width+c]);ctx.fillRect(c*px,r*px,px,px);
}
var lg=document.getElementById('legend-bar'),lc=lg.getContext('2d');
for(var i=0;i<lg.height;i++){lc.fillStyle=D.palette[Math.round(255*(1-i/(lg.height-1)))];lc.fillRect(0,i,lg.width,1);}
var tip=document.getElementById('tip'),fig=document.getElementById('figure');
function n(x){return x.toLocaleString('en-US');}
function h(x){return '0x'+x.toString(16);}
cv.addEventListener('mousemove',function(e){
  var b=cv.getBoundingClientRect();
  var c=Math.floor((e.clientX-b.left-1)/px),r=Math.floor((e.clientY-b.top-1)/px);
  if(c<0||r<0||c>=g.width||r>=rows){tip.hidden=true;return;}
  var v=g.values[r*g.width+c];
  if(v<0){tip.hidden=true;return;}
  var first=g.rows[r].start+c*g.perCell,last=first+g.perCell-1,html='';
  var key=g.kind==='pfn'?'PFN':'VPN';
  html+='<b>'+key+' '+h(first)+(g.perCell>1?' to '+h(last):' ('+first+')')+'</b><br>';
  var f=g.perCell===1?D.frames[first]:null;
  if(D.count==='trace'){html+='<span class="k">accesses</span> <span data-field="accesses">'+n(v)+'</span>';}
  else if(f){
    html+='<span class="k">translations</span> <span data-field="translations">'+n(f[0])+'</span><br>'+
      '<span class="k">reads</span> <span data-field="reads">'+n(f[1])+'</span> &middot; <span class="k">writes</span> <span data-field="writes">'+n(f[2])+
      '</span> &middot; <span class="k">fetches</span> <span data-field="fetches">'+n(f[3])+'</span>';
    var p=D.pages[first];
    if(p){html+='<br><span class="k">virtual pages</span><br>'+p.list.map(function(x){return '<span data-field="page">'+x[0]+'</span> ('+n(x[1])+')';}).join('<br>')+(p.more?'<br>and '+n(p.more)+' more':'');}
  } else html+='<span class="k">'+D.countName+'</span> <span data-field="'+D.count+'">'+n(v)+'</span>';
  tip.innerHTML=html;tip.hidden=false;
  var fb=fig.getBoundingClientRect();
  tip.style.left=(e.clientX-fb.left+14)+'px';tip.style.top=(e.clientY-fb.top+14)+'px';
});
cv.addEventListener('mouseleave',function(){tip.hidden=true;});
document.body.setAttribute('data-rendered','true');
})();
`;

export interface HtmlInput {
  result: ReplayResult;
  machine: MachineConfig;
  sizeShift: boolean;
  /** The PFN heatmap's grid (heatmap-data.ts pfnGrid). */
  grid: HeatmapGrid;
  version: string;
}

export function htmlReport({ result, machine, sizeShift, grid, version }: HtmlInput): string {
  const s = result.stats;
  const trace = result.traces.join(' + ');
  const fetches = s.accesses.fetch;
  const levels = ([['L1d', s.tlb.l1d], ['L1i', s.tlb.l1i], ['L2', s.tlb.l2]] as const).filter(([, l]) => l);
  const summary = table(
    ['level', 'lookups', 'hits', 'misses', 'miss rate', ...(fetches > 0 ? ['MPKI'] : [])],
    levels.map(([name, l]) => [name, int(l!.lookups), int(l!.hits), int(l!.misses), pct(l!.misses, l!.lookups), ...(fetches > 0 ? [((1000 * l!.misses) / fetches).toFixed(3)] : [])]),
    [false, true, true, true, true, true],
  );
  const f = s.faults;
  const faults = table(
    ['kind', 'count'],
    [['minor', int(f.minor)], ['major', int(f.major)], ['non-canonical', int(f.nonCanonical)],
      ['invalid', int(f.invalid)], ['protection: read', int(f.protection.read)], ['protection: write', int(f.protection.write)],
      ['protection: exec', int(f.protection.exec)], ['protection: user', int(f.protection.user)],
      ...(s.memory ? [['evictions', int(s.memory.evictions)], ['writebacks', int(s.memory.writebacks)], ['shootdowns', int(s.memory.shootdowns)]] : []),
      ['observed in the trace', int(f.observed)],
      ...Object.entries(f.observedByReason).map(([reason, n]) => [`  observed: ${reason}`, int(n)])],
    [false, true],
  );
  const other = table(
    ['measure', 'value'],
    [
      ['records', int(s.records)],
      ['accesses', `${int(s.accesses.read)} reads, ${int(s.accesses.write)} writes, ${int(fetches)} fetches`],
      ['page crossings', int(s.crossings)],
      ['page walks', `${int(s.walks.count)} (${int(s.walks.refs)} entries read)`],
      ['frames', `${int(s.frames.used)} (${int(s.frames.pageTable)} page-table)`],
      ['address spaces', `${int(s.contexts)}, ${int(s.contextSwitches)} switches`],
      ['bad lines', int(s.badLines)],
    ],
    [false, false],
  );
  const config = configFields(machine, sizeShift);
  const configTable = table(
    ['field', 'value'],
    [['trace', trace], ['format', [...new Set(result.formats)].join('+')], ...Object.entries(config).map(([k, v]) => [k, String(v)])],
    [false, false],
  );
  const cell = cellPixels(grid);
  const labelStep = Math.max(1, 2 ** Math.ceil(Math.log2(Math.max(1, 14 / cell))));
  const labels = grid.rows
    .map((row, r) => (r % labelStep === 0 || row.breakBefore ? `<div style="top:${r * cell}px">${esc(rowLabel(grid, row))}</div>` : ''))
    .join('');
  const { frames, pages } = frameData(s, grid);
  const max = Math.max(grid.max, 1);
  // Powers of ten, and the maximum; a power of ten too close under it makes way.
  const legendTicks = [...logTicks(max).filter((t) => t === max || Math.log(max / t) / Math.log(Math.max(max, 2)) > 0.08), ...(logTicks(max).at(-1) === max ? [] : [max])];
  const data = {
    count: grid.count,
    countName: COUNT_NAMES[grid.count],
    palette: viridis().map(hex),
    empty: hex(EMPTY_RGB),
    grid: { kind: grid.kind, width: grid.width, perCell: grid.perCell, cellPixels: cell, max: grid.max, rows: grid.rows, values: Array.from(grid.values) },
    frames,
    pages,
  };
  const windows = s.intervals ? intervalWindows(s.intervals.snapshots) : [];
  const intervals = s.intervals
    ? `<p class="sub">${int(windows.length)} windows of ${int(s.intervals.every)} records.</p>${intervalCharts(windows, !!machine.l2)}`
    : `<p class="note">No interval series: replay with <code>--interval N</code> to record one every N records.</p>`;
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tlbscope ${esc(version)}">
<title>tlbscope: ${esc(trace)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>tlbscope report</h1>
<p class="sub">${esc(trace)}</p>
<p class="sub">${esc(machineLine(machine))}</p>
<section id="summary">
<h2>Summary</h2>
${summary}
${fetches > 0 ? '<p class="note">MPKI: misses per 1,000 instructions (fetches).</p>' : ''}
${other}
<h3>Faults</h3>
${faults}
</section>
<section id="heatmap">
<h2>${esc(heatmapTitle(grid))}</h2>
<p class="note">One cell per ${grid.kind === 'pfn' ? 'frame' : 'page'}${grid.perCell > 1 ? ` group of ${grid.perCell}` : ''}, ${int(grid.width * grid.perCell)} a row, in PFN order; grey: no count. Hover a cell for its counts${grid.count === 'trace' ? '' : ' and the virtual pages that map to it'}. Definitions: docs/figures.md.</p>
<div id="figure">
<div id="rowlabels" style="height:${Math.max(1, grid.rows.length) * cell}px">${labels}</div>
<canvas id="heatmap-canvas" width="${grid.width * cell}" height="${Math.max(1, grid.rows.length) * cell}"></canvas>
<div id="legend"><div style="margin-bottom:8px">${esc(COUNT_NAMES[grid.count])}</div>
<div style="display:flex;gap:4px"><canvas id="legend-bar" width="14" height="160"></canvas>
<div style="position:relative;height:160px;width:70px">${legendTicks
    .map((v) => `<div style="position:absolute;top:${(160 * (1 - (max <= 1 ? 1 : Math.log(v) / Math.log(max))) - 6).toFixed(0)}px">${shortCount(v)}</div>`)
    .join('')}</div></div>
<div style="margin-top:8px"><span style="display:inline-block;width:12px;height:10px;background:${hex(EMPTY_RGB)};border:1px solid #888"></span> 0</div>
<div>${int(grid.hot)} ${grid.kind === 'pfn' ? 'frames' : 'pages'} counted</div></div>
<div id="tip" role="tooltip" hidden></div>
</div>
</section>
<section id="intervals">
<h2>Intervals</h2>
${intervals}
</section>
<section id="config">
<h2>Configuration</h2>
${configTable}
<p class="note">Generated by tlbscope ${esc(version)}. Every number is defined in docs/metrics.md.</p>
</section>
<script type="application/json" id="tlbscope-data">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
