/* A hash-table-like walk over two 4 MiB arrays: one on hugetlbfs 2 MiB pages
 * (MAP_HUGETLB), one on ordinary 4 KiB pages; then it copies its own
 * /proc/self/smaps to stdout, so the regions and the trace come from one run. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BYTES (4u << 20)
#define STEPS 10000

static unsigned long walk(volatile unsigned long *a, unsigned n) {
  unsigned long sum = 0, x = 12345;
  for (unsigned i = 0; i < STEPS; i++) {
    x = x * 6364136223846793005ul + 1442695040888963407ul;
    unsigned k = (unsigned)(x >> 33) % n;
    a[k] += i;
    sum += a[k];
  }
  return sum;
}

int main(void) {
  unsigned n = BYTES / sizeof(unsigned long);
  unsigned long *huge = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  if (huge == MAP_FAILED) { perror("mmap MAP_HUGETLB"); return 1; }
  unsigned long *small = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (small == MAP_FAILED) { perror("mmap"); return 1; }
  madvise(small, BYTES, MADV_NOHUGEPAGE);
  unsigned long s = walk(huge, n) + walk(small, n);
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) { perror("smaps"); return 1; }
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, stdout);
  fclose(f);
  fprintf(stderr, "huge %p small %p sum %lu\n", (void *)huge, (void *)small, s);
  return 0;
}
