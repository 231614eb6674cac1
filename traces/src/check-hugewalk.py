# Independent check of tlbscope on valgrind-lackey-hugewalk (traces/README.md): the data pages a
# replay with --maps valgrind-lackey-hugewalk.smaps must fault in (minor
# faults) and the 4 KiB frames they take, from the trace and smaps alone.
import gzip, re, sys
regions = []
for line in open(sys.argv[2]):
    m = re.match(r'([0-9a-f]+)-([0-9a-f]+) (....)', line)
    if m:
        regions.append([int(m[1], 16), int(m[2], 16), m[3], 12])
    elif line.startswith('KernelPageSize:') and line.split()[1] == '2048':
        regions[-1][3] = 21
def region(a):
    for r in regions:
        if r[0] <= a < r[1]: return r
    return None
pages = set(); lookups = {'d': 0, 'i': 0}; invalid = prot = 0
def access(kind, a, size):
    global invalid, prot
    end = a + max(size, 1) - 1
    r1, r2 = region(a), region(end)
    s1 = r1[3] if r1 else 12
    s2 = r2[3] if r2 else 12
    touched = [(s1, a >> s1, a)]
    if (s2, end >> s2) != (s1, a >> s1): touched.append((s2, end >> s2, (end >> s2) << s2))
    for shift, page, first in touched:
        r = region(first)
        if r is None: invalid += 1; continue
        need = {'R': 0, 'W': 1, 'X': 2}[kind]
        if r[2][need] == '-': prot += 1; continue
        pages.add((shift, page)); lookups['i' if kind == 'X' else 'd'] += 1
for line in gzip.open(sys.argv[1], 'rt'):
    m = re.match(r'^(I| L| S| M) +([0-9a-f]+),(\d+)', line)
    if not m: continue
    a, size = int(m[2], 16), int(m[3])
    t = m[1].strip()
    if t == 'I': access('X', a, size)
    elif t == 'L': access('R', a, size)
    elif t == 'S': access('W', a, size)
    else: access('R', a, size); access('W', a, size)
huge = sum(1 for s, p in pages if s == 21)
print(f'minor faults {len(pages)} ({huge} 2M pages), data frames {len(pages) - huge + 512 * huge}, '
      f'L1d lookups {lookups["d"]}, L1i lookups {lookups["i"]}, invalid {invalid}, protection {prot}')
