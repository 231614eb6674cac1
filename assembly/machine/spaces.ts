// Address spaces named by CR3 values (docs/metrics.md, Address spaces): dense
// ids from 0, the space the trace starts in. A [CR3] line before the first
// access only names that start space. The machine and the sweep both keep
// their spaces so.

export class SpaceNames {
  /** Ids by the CR3 value that names them. */
  ids: Map<u64, u32> = new Map<u64, u32>();
  private count: u32 = 1;
  private started: bool = false;
  private startName: u64 = 0;
  private startNamed: bool = false;

  /**
   * The id of the space a [CR3] selects (a new one the first time the value
   * is seen, which must stay below `limit`), or -1 before the first access,
   * when it only names the start space.
   */
  select(cr3: u64, limit: u64): i64 {
    if (!this.started) {
      this.startName = cr3;
      this.startNamed = true;
      return -1;
    }
    if (this.ids.has(cr3)) return <i64>this.ids.get(cr3);
    let id = this.count++;
    if (<u64>id >= limit) abort("too many address spaces for a TLB tag");
    this.ids.set(cr3, id);
    return <i64>id;
  }

  /** The first access: the start space takes the name a [CR3] gave it, if any. */
  start(): void {
    this.started = true;
    if (this.startNamed) this.ids.set(this.startName, 0);
  }

  /** The CR3 value naming the start space, or 0 (how --maps names an unnamed one). */
  get startCr3(): u64 {
    return this.startNamed ? this.startName : 0;
  }
}
