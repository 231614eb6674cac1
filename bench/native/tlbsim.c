/*
 * tlbsim: native C baseline for tlbscope's benchmark.
 *
 * Replays a trace in tlbscope's `mem` dialect through tlbscope's DEFAULT
 * machine, with exactly the semantics of docs/metrics.md:
 *   L1 dTLB 64:4, L1 iTLB 128:8, unified L2 1536:12, LRU, no PCID
 *   (a context switch flushes every TLB), x86-64 4-level radix page tables,
 *   frames handed out sequentially from PFN 256, non-canonical pages counted
 *   and not translated.
 *
 * It is meant to be a fair, well-optimised baseline: chunked read(2) of 4 MiB
 * with the partial last line carried over, hand-written parsing, struct-of-
 * arrays set-associative TLBs with u64 LRU stamps, radix tables of 512-entry
 * nodes. It measures its own time (CLOCK_MONOTONIC, from open to the last
 * counter) and prints one JSON object shaped like `tlbscope replay --json`.
 *
 *   cc -O2 -Wall -Wextra -o bench/native/tlbsim bench/native/tlbsim.c
 *   bench/native/tlbsim FILE        (FILE `-` reads stdin)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (4u << 20)
#define FIRST_PFN 256u
#define MAX_SIZE 4096u
#define MAX_REPORTED_BAD 5
#define PAD 64
#define TLBT_HEADER 64u
#define TLBT_EVENT 24u
#define FLAG_HAS_PA 1u
#define FLAG_RECORD_START 8u
#define NO_TAG UINT64_MAX /* vpn = va >> 12 < 2^52: never a real tag */

/* ------------------------------------------------------------------ TLBs */

typedef struct {
  uint32_t sets, ways;
  uint64_t mask; /* sets - 1 when sets is a power of two */
  int pow2;
  uint64_t *tag;   /* [sets * ways] vpn, NO_TAG when invalid */
  uint64_t *stamp; /* [sets * ways] LRU stamp, 0 when invalid */
  uint32_t *pfn;   /* [sets * ways] the frame the entry maps */
  uint64_t *count; /* [sets * ways] L1 only: translations not yet added to pfn_count */
  int counting;
  size_t slot;     /* the entry the last access hit or filled */
  /* Per set (one row when sets are not a power of two): the tag and slot of
   * its most recently used entry, or NO_TAG. A hit on it skips the set scan
   * and changes no LRU order, exactly as in tlbscope's core (tlb.ts, rows). */
  uint64_t row_mask;
  uint64_t *row_tag;
  size_t *row_slot;
  uint64_t clock;
  uint64_t hits, misses;
} tlb_t;

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fprintf(stderr, "tlbsim: out of memory\n");
    exit(1);
  }
  return p;
}

/* Translations per data frame, as tlbscope keeps for its PFN heatmaps. */
static uint64_t *pfn_count;
static uint64_t pfn_cap;

static inline void count_pfn(uint32_t pfn, uint64_t n) {
  if (pfn >= pfn_cap) {
    uint64_t cap = pfn_cap ? pfn_cap : 4096;
    while (cap <= pfn) cap *= 2;
    pfn_count = realloc(pfn_count, cap * sizeof *pfn_count);
    if (!pfn_count) {
      fprintf(stderr, "tlbsim: out of memory\n");
      exit(1);
    }
    memset(pfn_count + pfn_cap, 0, (cap - pfn_cap) * sizeof *pfn_count);
    pfn_cap = cap;
  }
  pfn_count[pfn] += n;
}

/* Like tlbscope's core, an L1 counts translations per entry and adds them to
 * pfn_count when the entry leaves or at the end: the same algorithm, so the
 * benchmark compares languages, not algorithms. */
static inline void hand_over(tlb_t *t, size_t i) {
  if (t->count[i]) {
    count_pfn(t->pfn[i], t->count[i]);
    t->count[i] = 0;
  }
}

static void tlb_flush(tlb_t *t) {
  size_t n = (size_t)t->sets * t->ways;
  for (size_t r = 0; r <= t->row_mask; r++) t->row_tag[r] = NO_TAG;
  for (size_t i = 0; i < n; i++) {
    if (t->counting) hand_over(t, i);
    t->tag[i] = NO_TAG;
    t->stamp[i] = 0;
  }
}

static void tlb_init(tlb_t *t, uint32_t entries, uint32_t ways) {
  memset(t, 0, sizeof *t);
  t->ways = ways;
  t->sets = entries / ways;
  t->pow2 = (t->sets & (t->sets - 1)) == 0;
  t->mask = t->sets - 1;
  t->tag = xcalloc((size_t)entries, sizeof(uint64_t));
  t->stamp = xcalloc((size_t)entries, sizeof(uint64_t));
  t->pfn = xcalloc((size_t)entries, sizeof(uint32_t));
  t->count = xcalloc((size_t)entries, sizeof(uint64_t));
  t->row_mask = t->pow2 ? t->mask : 0;
  t->row_tag = xcalloc((size_t)t->row_mask + 1, sizeof(uint64_t));
  t->row_slot = xcalloc((size_t)t->row_mask + 1, sizeof(size_t));
  tlb_flush(t);
}

static inline size_t tlb_set(const tlb_t *t, uint64_t vpn) {
  return (size_t)(t->pow2 ? (vpn & t->mask) : (vpn % t->sets)) * t->ways;
}

/* Looks vpn up. A hit refreshes the entry's stamp (a hit on its set's row
 * needs no refresh) and returns 1. A miss fills
 * the entry (first invalid way, else the least recently used: invalid ways
 * have stamp 0, so the smallest stamp finds them first) and returns 0.
 * Filling an L1 before its L2 is looked up changes no count: the two
 * structures are independent and each has its own clock. */
static inline int tlb_access(tlb_t *t, uint64_t vpn) {
  size_t row = (size_t)(vpn & t->row_mask);
  if (t->row_tag[row] == vpn) {
    t->hits++;
    t->slot = t->row_slot[row];
    if (t->counting) t->count[t->slot]++;
    return 1;
  }
  size_t base = tlb_set(t, vpn);
  uint64_t *tag = t->tag + base, *stamp = t->stamp + base;
  uint64_t now = ++t->clock, oldest = UINT64_MAX;
  uint32_t victim = 0;
  for (uint32_t w = 0; w < t->ways; w++) {
    if (tag[w] == vpn) {
      stamp[w] = now;
      t->hits++;
      t->slot = base + w;
      t->row_tag[row] = vpn;
      t->row_slot[row] = t->slot;
      if (t->counting) t->count[base + w]++;
      return 1;
    }
    if (stamp[w] < oldest) {
      oldest = stamp[w];
      victim = w;
    }
  }
  t->misses++;
  t->slot = base + victim;
  t->row_tag[row] = vpn;
  t->row_slot[row] = t->slot;
  if (t->counting) {
    hand_over(t, base + victim);
    t->count[base + victim] = 1;
  }
  tag[victim] = vpn;
  stamp[victim] = now;
  return 0;
}

static void tlb_invlpg(tlb_t *t, uint64_t vpn) {
  size_t base = tlb_set(t, vpn);
  t->row_tag[vpn & t->row_mask] = NO_TAG;
  for (uint32_t w = 0; w < t->ways; w++) {
    if (t->tag[base + w] == vpn) {
      if (t->counting) hand_over(t, base + w);
      t->tag[base + w] = NO_TAG;
      t->stamp[base + w] = 0;
    }
  }
}

/* ------------------------------------------------- page tables and frames */

/* Nodes are 512 u32 entries in one pool; node 0 is the null node. Upper levels
 * hold a child node index, the last level the data frame's PFN (>= 256). */
static uint32_t *pool;
static uint32_t pool_nodes, pool_cap;

static uint32_t node_alloc(void) {
  if (pool_nodes == pool_cap) {
    pool_cap = pool_cap ? pool_cap * 2 : 1024;
    pool = realloc(pool, (size_t)pool_cap * 512 * sizeof(uint32_t));
    if (!pool) {
      fprintf(stderr, "tlbsim: out of memory\n");
      exit(1);
    }
  }
  memset(pool + (size_t)pool_nodes * 512, 0, 512 * sizeof(uint32_t));
  return pool_nodes++;
}

typedef struct {
  uint64_t name; /* CR3 value */
  int named;     /* 0 only for the implicit start space never named */
  int accessed;
  uint32_t root; /* 0 until the space's first translation */
} space_t;

static space_t *spaces;
static uint32_t nspaces, spaces_cap, cur;

/* --------------------------------------------------------------- counters */

static tlb_t l1d, l1i, l2;
static uint64_t records, n_read, n_write, n_fetch, crossings;
static uint64_t walks, minor, noncanon, observed;
static uint64_t next_pfn = FIRST_PFN, pt_frames;
static uint64_t switches, n_invlpg, n_flush, bad_lines;
static int started;    /* an access has been seen */
static int size_shift; /* --size-shift: READ/WRITE size= is log2 of bytes */

static uint32_t walk(uint64_t vpn) {
  space_t *s = &spaces[cur];
  walks++;
  if (!s->root) {
    s->root = node_alloc();
    next_pfn++;
    pt_frames++;
  }
  uint32_t node = s->root;
  for (int shift = 27; shift > 0; shift -= 9) { /* PML4, PDPT, PD */
    size_t e = (size_t)node * 512 + ((vpn >> shift) & 511);
    if (!pool[e]) {
      uint32_t child = node_alloc(); /* may move pool: index again */
      pool[e] = child;
      next_pfn++;
      pt_frames++;
    }
    node = pool[e];
  }
  size_t pte = (size_t)node * 512 + (vpn & 511);
  if (!pool[pte]) { /* first touch in this space: a minor fault */
    pool[pte] = (uint32_t)next_pfn++;
    minor++;
  }
  return pool[pte];
}

/* Canonical for 48-bit VAs: bits 63..47 of va (51..35 of vpn) all equal. */
static inline int canonical(uint64_t vpn) {
  uint64_t top = vpn >> 35;
  return top == 0 || top == 0x1ffff;
}

static inline void translate(uint64_t vpn, tlb_t *l1) {
  if (!canonical(vpn)) {
    noncanon++;
    return;
  }
  uint32_t pfn;
  if (tlb_access(l1, vpn)) {
    pfn = l1->pfn[l1->slot];
  } else if (tlb_access(&l2, vpn)) {
    pfn = l1->pfn[l1->slot] = l2.pfn[l2.slot];
  } else {
    pfn = l1->pfn[l1->slot] = l2.pfn[l2.slot] = walk(vpn);
  }
  (void)pfn;
}

static void flush_all(void) {
  tlb_flush(&l1d);
  tlb_flush(&l1i);
  tlb_flush(&l2);
}

static void set_cr3(uint64_t v) {
  if (!started) { /* names the start space; never a switch */
    spaces[0].name = v;
    spaces[0].named = 1;
    return;
  }
  if (spaces[cur].named && spaces[cur].name == v) return;
  uint32_t i = 0; /* switches are rare: a linear search is plenty */
  while (i < nspaces && !(spaces[i].named && spaces[i].name == v)) i++;
  if (i == nspaces) {
    if (nspaces == spaces_cap) {
      spaces_cap *= 2;
      spaces = realloc(spaces, spaces_cap * sizeof *spaces);
      if (!spaces) {
        fprintf(stderr, "tlbsim: out of memory\n");
        exit(1);
      }
    }
    memset(&spaces[i], 0, sizeof spaces[i]);
    spaces[i].name = v;
    spaces[i].named = 1;
    nspaces++;
  }
  cur = i;
  switches++;
  flush_all();
}

enum { OP_READ, OP_WRITE, OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, OP_PAGE_FAULT };

static inline void apply_access(int op, uint64_t va, uint64_t size) {
  started = 1;
  spaces[cur].accessed = 1;
  tlb_t *l1;
  if (op == OP_FETCH) {
    n_fetch++;
    l1 = &l1i;
  } else {
    l1 = &l1d;
    if (op == OP_READ) n_read++;
    else n_write++;
  }
  uint64_t first = va >> 12;
  uint64_t last = (va + (size ? size : 1) - 1) >> 12;
  translate(first, l1);
  if (last != first) {
    crossings++;
    translate(last, l1);
  }
}

static void invlpg(uint64_t va) {
  n_invlpg++;
  tlb_invlpg(&l1d, va >> 12);
  tlb_invlpg(&l1i, va >> 12);
  tlb_invlpg(&l2, va >> 12);
}

/* ---------------------------------------------------------------- parsing */

static uint8_t hexval[256]; /* 0..15, or 0xff */
static const char *path;
static uint64_t lineno;

static void init_tables(void) {
  memset(hexval, 0xff, sizeof hexval);
  for (int c = '0'; c <= '9'; c++) hexval[c] = (uint8_t)(c - '0');
  for (int c = 'a'; c <= 'f'; c++) hexval[c] = (uint8_t)(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; c++) hexval[c] = (uint8_t)(c - 'A' + 10);
}

/* Every parser below runs inside a region that ends with '\n', which no
 * token accepts, so none needs a bounds check. */

static inline const uint8_t *skip_ws(const uint8_t *p) {
  while (*p == ' ' || *p == '\t' || *p == '\r') p++;
  return p;
}

/* "0x" then 1..16 hex digits. NULL if malformed. */
static inline const uint8_t *parse_hex(const uint8_t *p, uint64_t *out) {
  if (p[0] != '0' || p[1] != 'x') return NULL;
  p += 2;
  const uint8_t *start = p;
  uint64_t v = 0;
  uint8_t d;
  while ((d = hexval[*p]) < 16) {
    v = v << 4 | d;
    p++;
  }
  if (p == start || p - start > 16) return NULL;
  *out = v;
  return p;
}

/* 1..10 decimal digits. NULL if malformed. */
static inline const uint8_t *parse_dec(const uint8_t *p, uint64_t *out) {
  const uint8_t *start = p;
  uint64_t v = 0;
  while ((unsigned)(*p - '0') < 10) {
    v = v * 10 + (uint64_t)(*p - '0');
    p++;
  }
  if (p == start || p - start > 10) return NULL;
  *out = v;
  return p;
}

static inline int lit(const uint8_t *p, const char *s, size_t n) {
  return memcmp(p, s, n) == 0;
}

#define LIT(p, s) lit((p), (s), sizeof(s) - 1)

/* The rest of a line must be optional whitespace: returns its '\n' or NULL. */
static inline const uint8_t *at_end(const uint8_t *p) {
  p = skip_ws(p);
  return *p == '\n' ? p : NULL;
}

static const char *why; /* reason of the last parse failure */

static inline const uint8_t *fail(const char *reason) {
  why = reason;
  return NULL;
}

static void bad(const uint8_t *line, const uint8_t *nl) {
  if (++bad_lines <= MAX_REPORTED_BAD) {
    int len = (int)(nl - line);
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len > 120) len = 120;
    fprintf(stderr, "%s:%" PRIu64 ": %s: %.*s\n", path, lineno, why, len,
            (const char *)line);
  }
}

/* `[MEM] VA=0x<hex>, size=<dec>, type=READ|WRITE|FETCH` then any number of
 * `, KEY=VALUE` (KEY without ',' or '=', VALUE not empty and without ',';
 * PA=0x<hex> and vcpu=<dec> are checked, other keys ignored). Separators are
 * exactly as printed (", "); trailing whitespace is allowed. This is the
 * grammar of src/reference/decode.ts. p is just past "[MEM] ". Returns the
 * line's '\n', or NULL if the line is bad. */
static const uint8_t *parse_mem(const uint8_t *p) {
  uint64_t va, size, v;
  int op;
  if (!LIT(p, "VA=")) return fail("expected VA=");
  if (!(p = parse_hex(p + 3, &va))) return fail("bad VA");
  if (!LIT(p, ", size=")) return fail("expected ', size='");
  if (!(p = parse_dec(p + 7, &size)) || size > MAX_SIZE) return fail("bad size");
  if (!LIT(p, ", type=")) return fail("expected ', type='");
  p += 7;
  if (LIT(p, "READ")) op = OP_READ, p += 4;
  else if (LIT(p, "WRITE")) op = OP_WRITE, p += 5;
  else if (LIT(p, "FETCH")) op = OP_FETCH, p += 5;
  else return fail("bad type");
  for (;;) {
    const uint8_t *nl = at_end(p);
    if (nl) {
      p = nl;
      break;
    }
    if (!LIT(p, ", ")) return fail("expected ', KEY=VALUE'");
    const uint8_t *key = p += 2;
    while (*p != '=' && *p != ',' && *p != '\n') p++;
    if (p == key || *p != '=') return fail("bad field");
    size_t klen = (size_t)(p - key);
    const uint8_t *val = ++p;
    if (klen == 2 && lit(key, "PA", 2)) {
      if (!(p = parse_hex(p, &v)) || (*p != ',' && !at_end(p))) return fail("bad PA");
    } else if (klen == 4 && lit(key, "vcpu", 4)) {
      if (!(p = parse_dec(p, &v)) || (*p != ',' && !at_end(p))) return fail("bad vcpu");
    } else {
      int ink = 0; /* the last field's value must not be only whitespace */
      for (; *p != ',' && *p != '\n'; p++) ink |= *p != ' ' && *p != '\t' && *p != '\r';
      if (p == val || (*p == '\n' && !ink)) return fail("bad field");
    }
  }

  if (size_shift && op != OP_FETCH) {
    if (size > 12) return fail("bad size");
    size = 1u << size;
  }

  /* The line is valid: apply it. */
  records++;
  apply_access(op, va, size);
  return p;
}

/* `[CR3] 0x<hex>`, `[INVLPG] VA=0x<hex>`, `[TLB_FLUSH]`,
 * `[PAGE_FAULT] VA=0x<hex>` then free text. Returns the line's '\n', or NULL. */
static const uint8_t *parse_control(const uint8_t *p) {
  uint64_t v;
  if (LIT(p, "[CR3] ")) {
    if (!(p = parse_hex(p + 6, &v)) || !(p = at_end(p))) return fail("bad [CR3]");
    set_cr3(v);
  } else if (LIT(p, "[INVLPG] VA=")) {
    if (!(p = parse_hex(p + 12, &v)) || !(p = at_end(p))) return fail("bad [INVLPG]");
    invlpg(v);
  } else if (LIT(p, "[TLB_FLUSH]")) {
    if (!(p = at_end(p + 11))) return fail("bad [TLB_FLUSH]");
    n_flush++;
    flush_all();
  } else if (LIT(p, "[PAGE_FAULT] VA=")) {
    if (!(p = parse_hex(p + 16, &v))) return fail("bad [PAGE_FAULT]");
    observed++;
    while (*p != '\n') p++; /* the reason is free text */
  } else {
    return fail("not a [MEM], [CR3], [INVLPG], [TLB_FLUSH] or [PAGE_FAULT] line");
  }
  return p;
}

/* Parses the complete lines of [p, end); end[-1] is '\n'. */
static void process(const uint8_t *p, const uint8_t *end) {
  while (p < end) {
    const uint8_t *nl;
    lineno++;
    if (LIT(p, "[MEM] ")) nl = parse_mem(p + 6);
    else if (*p == '[') nl = parse_control(p);
    else if (!(nl = at_end(p))) fail("not a [MEM], [CR3], [INVLPG], [TLB_FLUSH] or [PAGE_FAULT] line"); /* blank lines are skipped */
    if (!nl) {
      nl = memchr(p, '\n', (size_t)(end - p));
      bad(p, nl);
    }
    p = nl + 1;
  }
}

/* ------------------------------------------------------------------- main */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* read(2), retried on EINTR; exits on an error. */
static ssize_t read_some(int fd, uint8_t *into, size_t n) {
  for (;;) {
    ssize_t got = read(fd, into, n);
    if (got >= 0) return got;
    if (errno != EINTR) {
      fprintf(stderr, "tlbsim: %s: %s\n", path, strerror(errno));
      exit(1);
    }
  }
}

/* Text: whole lines of each chunk, the partial last one carried over. */
static void replay_text(int fd, uint8_t *buf, size_t have, size_t cap) {
  for (;;) {
    ssize_t n = read_some(fd, buf + have, cap - have);
    if (n == 0) { /* EOF: a last line without '\n' still counts */
      if (have) {
        buf[have++] = '\n';
        process(buf, buf + have);
      }
      return;
    }
    have += (size_t)n;
    const uint8_t *nl = memrchr(buf, '\n', have);
    if (!nl) {
      if (have == cap) { /* one line longer than the buffer: grow */
        cap *= 2;
        buf = realloc(buf, cap + PAD);
        if (!buf) exit(1);
      }
      continue;
    }
    process(buf, nl + 1);
    have = (size_t)(buf + have - (nl + 1));
    memmove(buf, nl + 1, have);
  }
}

static inline uint64_t le64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8); /* little-endian hosts only, like tlbscope's core */
  return v;
}

static inline uint32_t le32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* The events of [p, p + n * 24), the layout of docs/formats.md. */
static void apply_events(const uint8_t *p, size_t n) {
  for (const uint8_t *e = p, *end = p + n * TLBT_EVENT; e < end; e += TLBT_EVENT) {
    unsigned op = e[20], flags = e[21];
    uint64_t va = le64(e);
    if (flags & ~(unsigned)(FLAG_HAS_PA | FLAG_RECORD_START)) {
      fprintf(stderr, "tlbsim: %s: event %zu: physical or MMIO accesses and unknown flags are not modelled\n",
              path, (size_t)(e - p) / TLBT_EVENT);
      exit(1);
    }
    if (flags & FLAG_RECORD_START) records++;
    if (op <= OP_FETCH) apply_access((int)op, va, le32(e + 16));
    else if (op == OP_CR3) set_cr3(va);
    else if (op == OP_INVLPG) invlpg(va);
    else if (op == OP_FLUSH) n_flush++, flush_all();
    else if (op == OP_PAGE_FAULT) observed++;
    else {
      fprintf(stderr, "tlbsim: %s: bad event op %u\n", path, op);
      exit(1);
    }
  }
}

/* tlbscope's binary format: a 64-byte header, then 24-byte events (the
 * reason table after them only names observed faults, which are counted
 * here without their reasons). */
static void replay_tlbt(int fd, uint8_t *buf, size_t have) {
  int counts_valid = le32(buf + 12) & 1;
  uint64_t left = counts_valid ? le64(buf + 24) : UINT64_MAX;
  if (counts_valid) bad_lines = le64(buf + 32);
  memmove(buf, buf + TLBT_HEADER, have -= TLBT_HEADER);
  for (;;) {
    size_t whole = have / TLBT_EVENT;
    if (whole > left) whole = (size_t)left;
    apply_events(buf, whole);
    left -= whole;
    have -= whole * TLBT_EVENT;
    memmove(buf, buf + whole * TLBT_EVENT, have);
    if (left == 0) return;
    ssize_t n = read_some(fd, buf + have, CHUNK - have);
    if (n == 0) return;
    have += (size_t)n;
  }
}

static void print_level(const char *name, const tlb_t *t, const char *sep) {
  printf("\"%s\":{\"lookups\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 "}%s",
         name, t->hits + t->misses, t->hits, t->misses, sep);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--size-shift") == 0) {
    size_shift = 1;
    argv++, argc--;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: tlbsim [--size-shift] FILE   (mem dialect or .tlbt, default machine; - for stdin)\n");
    return 2;
  }
  path = argv[1];
  init_tables();
  tlb_init(&l1d, 64, 4);
  tlb_init(&l1i, 128, 8);
  tlb_init(&l2, 1536, 12);
  l1d.counting = l1i.counting = 1;
  spaces_cap = 16;
  spaces = xcalloc(spaces_cap, sizeof *spaces);
  nspaces = 1;
  node_alloc(); /* node 0: the null node */

  double t0 = now_s();
  int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "tlbsim: %s: %s\n", path, strerror(errno));
    return 1;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  size_t cap = CHUNK, have = 0; /* have: bytes carried over + read */
  uint8_t *buf = malloc(cap + PAD); /* PAD: room for the final '\n' and for
                                        literal compares just past a line */
  if (!buf) return 1;
  /* The first bytes tell a .tlbt file from text. */
  ssize_t n;
  while (have < TLBT_HEADER && (n = read_some(fd, buf + have, TLBT_HEADER - have)) > 0) have += (size_t)n;
  if (have >= TLBT_HEADER && memcmp(buf, "TLBTRACE", 8) == 0) replay_tlbt(fd, buf, have);
  else replay_text(fd, buf, have, cap);
  if (fd) close(fd);
  double seconds = now_s() - t0;

  uint32_t contexts = 0;
  for (uint32_t i = 0; i < nspaces; i++) contexts += (uint32_t)spaces[i].accessed;

  printf("{\"records\":%" PRIu64 ",", records);
  printf("\"accesses\":{\"read\":%" PRIu64 ",\"write\":%" PRIu64 ",\"fetch\":%" PRIu64
         ",\"physical\":0,\"mmio\":0},",
         n_read, n_write, n_fetch);
  printf("\"crossings\":%" PRIu64 ",\"tlb\":{", crossings);
  print_level("l1d", &l1d, ",");
  print_level("l1i", &l1i, ",");
  print_level("l2", &l2, "},");
  printf("\"walks\":{\"count\":%" PRIu64 ",\"refs\":%" PRIu64 "},", walks, walks * 4);
  printf("\"faults\":{\"minor\":%" PRIu64 ",\"major\":0,\"nonCanonical\":%" PRIu64
         ",\"observed\":%" PRIu64 "},",
         minor, noncanon, observed);
  printf("\"frames\":{\"used\":%" PRIu64 ",\"pageTable\":%" PRIu64 "},",
         next_pfn - FIRST_PFN, pt_frames);
  for (size_t i = 0; i < (size_t)l1d.sets * l1d.ways; i++) hand_over(&l1d, i);
  for (size_t i = 0; i < (size_t)l1i.sets * l1i.ways; i++) hand_over(&l1i, i);
  uint64_t checksum = 0; /* keeps the per-PFN counts observable */
  for (uint64_t p = 0; p < pfn_cap; p++) checksum += p * pfn_count[p];
  printf("\"pfnChecksum\":%" PRIu64 ",", checksum);
  printf("\"contexts\":%" PRIu32 ",\"contextSwitches\":%" PRIu64 ",\"invlpg\":%" PRIu64
         ",\"flushes\":%" PRIu64 ",\"badLines\":%" PRIu64 ",\"seconds\":%.6f}\n",
         contexts, switches, n_invlpg, n_flush, bad_lines, seconds);
  return 0;
}
