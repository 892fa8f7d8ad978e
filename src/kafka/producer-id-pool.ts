/**
 * The producer ids one shard may hand out without asking the controller: one block at a time,
 * refilled with one controller call when it runs out (concurrent takers share the refill). The
 * shard creates one pool when it starts and keeps it as long as it runs, so the controller's
 * durable counter is written once per block, not once per InitProducerId.
 */
export type AllocateBlock = () => Promise<{ firstId: number; count: number } | { error: string }>;

export class ProducerIdPool {
  private nextId = 0;
  private endId = 0;
  private refill: Promise<void> | null = null;
  /** Blocks taken from the controller so far. */
  blocksAllocated = 0;

  constructor(private readonly allocateBlock: AllocateBlock) {}

  /** A producer id never handed out before, or why none could be had. */
  async take(): Promise<number | { error: string }> {
    while (this.nextId >= this.endId) {
      this.refill ??= this.fetchBlock().finally(() => (this.refill = null));
      const problem = await this.refill.then(() => null, (error: unknown) => String(error));
      if (problem !== null) return { error: problem };
    }
    return this.nextId++;
  }

  private async fetchBlock(): Promise<void> {
    const block = await this.allocateBlock();
    if ("error" in block) throw new Error(block.error);
    this.blocksAllocated++;
    this.nextId = block.firstId;
    this.endId = block.firstId + block.count;
  }
}
