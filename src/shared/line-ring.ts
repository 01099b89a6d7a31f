/**
 * A fixed-size ring of the most recent text lines (a provider's stderr). It outlives the process
 * that wrote the lines, so a start failure can still show what the provider said before dying.
 */
export class LineRing {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(readonly capacity = 200) {}

  push(line: string): void {
    if (this.lines.length < this.capacity) {
      this.lines.push(line);
      return;
    }
    this.lines[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): string[] {
    return this.lines.length < this.capacity
      ? [...this.lines]
      : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }

  tail(count: number): string[] {
    const all = this.toArray();
    return all.slice(Math.max(0, all.length - count));
  }

  get size(): number {
    return this.lines.length;
  }
}
