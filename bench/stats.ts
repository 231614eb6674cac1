// The two summaries every bench figure is made of (bench/README.md).

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median over reps of base[i] / engine[i]: each rep's two times were taken one after the other. */
export function pairedRatio(base: number[], engine: number[]): number {
  if (base.length !== engine.length) throw new Error(`paired ratio of ${base.length} and ${engine.length} samples`);
  return median(base.map((b, i) => b / engine[i]));
}
