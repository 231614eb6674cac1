// Reference decoder: trace text -> events. Each format's grammar is written as
// a regular expression so it can be read side by side with the grammar in
// docs/formats.md and checked by eye; speed is not a goal here.

import type { DecodeOptions } from '../model.js';

export type Op = 'R' | 'W' | 'X';

export interface AccessEvent {
  kind: 'access';
  op: Op;
  /** Virtual address, or guest-physical when `physical` is set. */
  va: bigint;
  size: number;
  /** Execlog system mode: the address is guest-physical and never translated. */
  physical?: boolean;
  /** A physical access to a region other than RAM (a device). */
  mmio?: boolean;
  /**
   * The guest-physical address the trace gives for a translated access
   * (`PA=` of the mem dialect, a non-zero memcsv `mem_hwaddr`): counted in
   * the trace-frame histogram, but it does not choose frames.
   */
  pa?: bigint;
  /** The CPU the line names (`vcpu=`, execlog's first column); absent for CPU 0. */
  cpu?: number;
}

/** `cpu`: the CPU a `, vcpu=N` suffix names; absent for CPU 0. */
export type ControlEvent =
  | { kind: 'cr3'; value: bigint; cpu?: number }
  | { kind: 'invlpg'; va: bigint; cpu?: number }
  | { kind: 'flush'; cpu?: number }
  /** `reason`: as counted in faults.observedByReason (`unknown` when absent or empty). */
  | { kind: 'pageFault'; va: bigint; reason: string };

export type TraceEvent = AccessEvent | ControlEvent;

/** What one line of a trace is. */
export type LineResult =
  | { kind: 'skip' } // blank line, lackey banner, memcsv header, pin `#` line
  | { kind: 'ignored' } // Dinero label other than 0, 1, 2
  | { kind: 'bad'; reason: string }
  | { kind: 'record'; accesses: AccessEvent[] }
  | { kind: 'control'; event: ControlEvent };

export interface BadLine {
  /** 1-based line number. */
  line: number;
  reason: string;
  text: string;
}

export interface DecodedTrace {
  events: TraceEvent[];
  /** The index in `events` of every record's first access, ascending. */
  recordStarts: number[];
  records: number;
  badLines: number;
  ignoredLines: number;
  /** Every bad line, in order (the CLI reports only the first few). */
  bad: BadLine[];
}

const HEX = '[0-9A-Fa-f]{1,16}';
const DEC = '[0-9]{1,10}';
const MAX_SIZE = 4096;
const MAX_SHIFT = 12;
/** CPU numbers (vcpu=, execlog's first column) are 16-bit. */
const MAX_CPU = 0xffff;

const MEM_RE = new RegExp(
  `^\\[MEM\\] VA=0x(${HEX}), size=(${DEC}), type=(READ|WRITE|FETCH)((?:, [^,=]+=[^,]+)*)$`,
);
const MEM_FIELD_RE = /, ([^,=]+)=([^,]+)/g;
// Control lines may end in the CPU they happen on: `, vcpu=N` (`[TLB_FLUSH] vcpu=N`).
const CR3_RE = new RegExp(`^\\[CR3\\] 0x(${HEX})(?:, vcpu=(${DEC}))?$`);
const INVLPG_RE = new RegExp(`^\\[INVLPG\\] VA=0x(${HEX})(?:, vcpu=(${DEC}))?$`);
const FLUSH_RE = new RegExp(`^\\[TLB_FLUSH\\](?: vcpu=(${DEC}))?$`);
// "followed by anything": the lookahead keeps a 17th hex digit from being
// silently taken as part of the free text after a valid 16-digit address.
const PAGE_FAULT_RE = new RegExp(`^\\[PAGE_FAULT\\] VA=0x(${HEX})(?![0-9A-Fa-f])`, 's');
const REASON_SEPARATOR = ' | Reason: ';
/** docs/formats.md: a reason is its first 60 bytes (one latin1 char = one byte). */
const MAX_REASON_BYTES = 60;
const PA_RE = new RegExp(`^0x(${HEX})$`);
const VCPU_RE = new RegExp(`^${DEC}$`);

const LACKEY_RE = new RegExp(`^ *([ILSM]) +(${HEX}),(${DEC})$`);

// The greedy `(.*)"` makes the closing quote the LAST `"` on the line, since
// disassembly may itself contain quotes and commas.
const EXECLOG_RE = new RegExp(`^(${DEC}), 0x(${HEX}), 0x(${HEX}), "(.*)"(.*)$`, 's');
const EXECLOG_ADDR_RE = new RegExp(`^0x(${HEX})$`);

const MEMCSV_HEADER = 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value';
// The symbol (`.*`, greedy, any character) may hold commas; the last five
// fields hold none, so they are the last five comma-separated fields.
const MEMCSV_RE = new RegExp(`^0x(${HEX}),(.*),0x(${HEX}),0x(${HEX}),(${DEC}),(load|store),([^,]*)$`, 's');
/** memcsv access_size is in bits: a positive multiple of 8, at most 4096 bytes. */
const MAX_BITS = 8 * MAX_SIZE;

// Label, blanks, address (optional lowercase `0x`), then optionally a blank
// and anything (further fields, ignored).
const DIN_RE = new RegExp(`^(${DEC})[ \\t]+(?:0x)?(${HEX})(?:[ \\t].*)?$`, 's');

const PIN_RE = new RegExp(`^0x(${HEX}): ([RW]) 0x(${HEX})(?: (${DEC}))?$`);

const hex = (digits: string): bigint => BigInt('0x' + digits);

/** Strips what the grammar says to ignore at the end of a line. */
export function trimLineEnd(line: string): string {
  return line.replace(/[\r \t]+$/, '');
}

export function decodeLine(rawLine: string, options: DecodeOptions): LineResult {
  const line = trimLineEnd(rawLine);
  if (line === '') return { kind: 'skip' };
  switch (options.format) {
    case 'mem':
      return decodeMem(line, options.sizeShift);
    case 'lackey':
      return decodeLackey(line);
    case 'execlog':
      return decodeExeclog(line);
    case 'memcsv':
      return decodeMemcsv(line);
    case 'din':
      return decodeDin(line);
    case 'pin':
      return decodePin(line);
    case 'tlbt':
      throw new Error('the reference model decodes text formats only (tlbt is binary)');
  }
}

function checkSize(size: number): string | null {
  return size <= MAX_SIZE ? null : `size ${size} above ${MAX_SIZE} bytes`;
}

function decodeMem(line: string, sizeShift: boolean): LineResult {
  const mem = MEM_RE.exec(line);
  if (mem) {
    const [, vaHex, sizeText, type, fields] = mem;
    const op: Op = type === 'READ' ? 'R' : type === 'WRITE' ? 'W' : 'X';
    let size = Number(sizeText);
    // The seed plugin prints log2 sizes for data only; FETCH sizes are
    // instruction lengths in bytes either way.
    if (sizeShift && op !== 'X') {
      if (size > MAX_SHIFT) return { kind: 'bad', reason: `size shift ${size} above ${MAX_SHIFT}` };
      size = 1 << size;
    }
    const sizeError = checkSize(size);
    if (sizeError) return { kind: 'bad', reason: sizeError };
    const access: AccessEvent = { kind: 'access', op, va: hex(vaHex), size };
    for (const [, key, value] of fields.matchAll(MEM_FIELD_RE)) {
      if (key === 'PA') {
        const pa = PA_RE.exec(value);
        if (!pa) return { kind: 'bad', reason: `bad PA ${value}` };
        access.pa = hex(pa[1]);
      } else if (key === 'vcpu') {
        if (!VCPU_RE.test(value) || Number(value) > MAX_CPU) return { kind: 'bad', reason: `bad vcpu ${value}` };
        // The last vcpu= of the line names its CPU.
        if (Number(value) === 0) delete access.cpu;
        else access.cpu = Number(value);
      }
    }
    return { kind: 'record', accesses: [access] };
  }
  const cr3 = CR3_RE.exec(line);
  if (cr3) return control({ kind: 'cr3', value: hex(cr3[1]) }, cr3[2]);
  const invlpg = INVLPG_RE.exec(line);
  if (invlpg) return control({ kind: 'invlpg', va: hex(invlpg[1]) }, invlpg[2]);
  const flush = FLUSH_RE.exec(line);
  if (flush) return control({ kind: 'flush' }, flush[1]);
  const fault = PAGE_FAULT_RE.exec(line);
  if (fault) return { kind: 'control', event: { kind: 'pageFault', va: hex(fault[1]), reason: faultReason(line) } };
  return { kind: 'bad', reason: 'not a [MEM], [CR3], [INVLPG], [TLB_FLUSH] or [PAGE_FAULT] line' };
}

/** A control line with its optional `vcpu=` (decimal digits, at most 65535). */
function control(event: Extract<ControlEvent, { cpu?: number }>, vcpu: string | undefined): LineResult {
  if (vcpu !== undefined && Number(vcpu) > MAX_CPU) return { kind: 'bad', reason: `bad vcpu ${vcpu}` };
  if (vcpu !== undefined && Number(vcpu) !== 0) event.cpu = Number(vcpu);
  return { kind: 'control', event };
}

/**
 * Everything after the first ` | Reason: ` of the (end-trimmed) line, cut to
 * its first 60 bytes; `unknown` when the separator is absent or nothing
 * follows it.
 */
function faultReason(line: string): string {
  const at = line.indexOf(REASON_SEPARATOR);
  const reason = at < 0 ? '' : line.slice(at + REASON_SEPARATOR.length);
  return reason === '' ? 'unknown' : reason.slice(0, MAX_REASON_BYTES);
}

function decodeLackey(line: string): LineResult {
  if (line.startsWith('==')) return { kind: 'skip' };
  const m = LACKEY_RE.exec(line);
  if (!m) return { kind: 'bad', reason: 'not a lackey I/L/S/M line' };
  const [, type, addrHex, sizeText] = m;
  const size = Number(sizeText);
  const sizeError = checkSize(size);
  if (sizeError) return { kind: 'bad', reason: sizeError };
  const va = hex(addrHex);
  const at = (op: Op): AccessEvent => ({ kind: 'access', op, va, size });
  switch (type) {
    case 'I':
      return { kind: 'record', accesses: [at('X')] };
    case 'L':
      return { kind: 'record', accesses: [at('R')] };
    case 'S':
      return { kind: 'record', accesses: [at('W')] };
    default: // 'M': a read-modify-write is one record, a read then a write
      return { kind: 'record', accesses: [at('R'), at('W')] };
  }
}

function decodeExeclog(line: string): LineResult {
  const m = EXECLOG_RE.exec(line);
  if (!m) return { kind: 'bad', reason: 'not an execlog line' };
  const [, cpu, pcHex, , , tail] = m;
  if (Number(cpu) > MAX_CPU) return { kind: 'bad', reason: `bad cpu ${cpu}` };
  const onCpu = Number(cpu) === 0 ? {} : { cpu: Number(cpu) };
  const accesses: AccessEvent[] = [{ kind: 'access', op: 'X', va: hex(pcHex), size: 1, ...onCpu }];
  if (tail === '') return { kind: 'record', accesses };
  if (!tail.startsWith(', ')) return { kind: 'bad', reason: 'text after the disassembly' };
  // Regions have no commas, so ", " separates every token of the tail.
  const tokens = tail.slice(2).split(', ');
  let i = 0;
  while (i < tokens.length) {
    const word = tokens[i++];
    if (word !== 'load' && word !== 'store') return { kind: 'bad', reason: `expected load or store, got ${word}` };
    const addr = i < tokens.length ? EXECLOG_ADDR_RE.exec(tokens[i++]) : null;
    if (!addr) return { kind: 'bad', reason: `bad ${word} address` };
    const access: AccessEvent = { kind: 'access', op: word === 'load' ? 'R' : 'W', va: hex(addr[1]), size: 1, ...onCpu };
    const next = tokens[i];
    if (next !== undefined && next !== 'load' && next !== 'store') {
      // A region name after the address means QEMU system mode printed a
      // guest-physical address.
      if (next === '' || next.includes(',')) return { kind: 'bad', reason: 'bad memory region' };
      access.physical = true;
      access.mmio = next !== 'RAM';
      i++;
    }
    accesses.push(access);
  }
  return { kind: 'record', accesses };
}

function decodeMemcsv(line: string): LineResult {
  if (line === MEMCSV_HEADER) return { kind: 'skip' };
  const m = MEMCSV_RE.exec(line);
  if (!m) return { kind: 'bad', reason: 'not a memcsv header or access line' };
  const [, , , vaHex, hwHex, bitsText, type] = m;
  const bits = Number(bitsText);
  if (bits === 0 || bits % 8 !== 0) return { kind: 'bad', reason: `access_size ${bits} is not a positive multiple of 8 bits` };
  if (bits > MAX_BITS) return { kind: 'bad', reason: `access_size ${bits} above ${MAX_BITS} bits` };
  const access: AccessEvent = { kind: 'access', op: type === 'load' ? 'R' : 'W', va: hex(vaHex), size: bits / 8 };
  // mem_hwaddr is 0 in user mode: no physical address.
  const hw = hex(hwHex);
  if (hw !== 0n) access.pa = hw;
  return { kind: 'record', accesses: [access] };
}

function decodeDin(line: string): LineResult {
  const m = DIN_RE.exec(line);
  if (!m) return { kind: 'bad', reason: 'not a Dinero label and address line' };
  const [, label, addrHex] = m;
  // Labels are read as numbers ("00" is 0). Dinero's others (3 unknown
  // access, 4 cache flush, ...) carry nothing to simulate.
  const n = Number(label);
  if (n > 2) return { kind: 'ignored' };
  const op: Op = n === 0 ? 'R' : n === 1 ? 'W' : 'X';
  return { kind: 'record', accesses: [{ kind: 'access', op, va: hex(addrHex), size: 1 }] };
}

function decodePin(line: string): LineResult {
  if (line.startsWith('#')) return { kind: 'skip' };
  const m = PIN_RE.exec(line);
  if (!m) return { kind: 'bad', reason: 'not a pinatrace line' };
  const [, , type, addrHex, sizeText] = m;
  const size = sizeText === undefined ? 1 : Number(sizeText);
  const sizeError = checkSize(size);
  if (sizeError) return { kind: 'bad', reason: sizeError };
  return { kind: 'record', accesses: [{ kind: 'access', op: type === 'R' ? 'R' : 'W', va: hex(addrHex), size }] };
}

export function decodeTrace(text: string, options: DecodeOptions): DecodedTrace {
  const out: DecodedTrace = { events: [], recordStarts: [], records: 0, badLines: 0, ignoredLines: 0, bad: [] };
  const lines = text.split('\n');
  // The empty string after a final '\n' is not a line.
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((text, index) => {
    const result = decodeLine(text, options);
    switch (result.kind) {
      case 'skip':
        break;
      case 'ignored':
        out.ignoredLines++;
        break;
      case 'bad':
        out.badLines++;
        out.bad.push({ line: index + 1, reason: result.reason, text });
        break;
      case 'record':
        out.records++;
        out.recordStarts.push(out.events.length);
        out.events.push(...result.accesses);
        break;
      case 'control':
        out.events.push(result.event);
        break;
    }
  });
  return out;
}

