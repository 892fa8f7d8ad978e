/**
 * A single-producer, single-consumer message ring in a SharedArrayBuffer, woken with
 * Atomics.notify / Atomics.waitAsync: the contender to MessagePort.postMessage for
 * cross-shard traffic. Messages are length-prefixed bytes; the reader drains all that is there.
 */
const HEAD = 0; // next byte to read (consumer-owned)
const TAIL = 1; // next byte to write (producer-owned)
const SIGNAL = 2; // bumped on every publish; the reader waits on it
const HEADER_INTS = 4;

export interface RingBuffers {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function createRing(capacityBytes: number): RingBuffers {
  return { control: new SharedArrayBuffer(HEADER_INTS * 4), data: new SharedArrayBuffer(capacityBytes) };
}

export class RingWriter {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  constructor(buffers: RingBuffers) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
  }

  /** False when the ring has no room (the caller backs off: bounded, like the channel). */
  write(message: Uint8Array): boolean {
    const capacity = this.data.length;
    const head = Atomics.load(this.control, HEAD);
    const tail = Atomics.load(this.control, TAIL);
    const used = (tail - head + capacity) % capacity;
    const needed = 4 + message.length;
    if (used + needed >= capacity) return false;
    let at = tail;
    const length = message.length;
    for (let i = 0; i < 4; i++) {
      this.data[at] = (length >>> (24 - 8 * i)) & 0xff;
      at = (at + 1) % capacity;
    }
    const first = Math.min(message.length, capacity - at);
    this.data.set(message.subarray(0, first), at);
    this.data.set(message.subarray(first), 0);
    Atomics.store(this.control, TAIL, (at + message.length) % capacity);
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
    return true;
  }
}

export class RingReader {
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private stopped = false;
  constructor(buffers: RingBuffers) {
    this.control = new Int32Array(buffers.control);
    this.data = new Uint8Array(buffers.data);
  }

  /** Calls onMessage for every message, waking on notify without spinning. */
  async run(onMessage: (message: Uint8Array) => void): Promise<void> {
    while (!this.stopped) {
      const seen = Atomics.load(this.control, SIGNAL);
      this.drain(onMessage);
      const wait = Atomics.waitAsync(this.control, SIGNAL, seen);
      if (wait.async) await wait.value;
    }
  }

  stop(): void {
    this.stopped = true;
    Atomics.add(this.control, SIGNAL, 1);
    Atomics.notify(this.control, SIGNAL);
  }

  private drain(onMessage: (message: Uint8Array) => void): void {
    const capacity = this.data.length;
    let head = Atomics.load(this.control, HEAD);
    const tail = Atomics.load(this.control, TAIL);
    while (head !== tail) {
      let length = 0;
      for (let i = 0; i < 4; i++) {
        length = length * 256 + this.data[head];
        head = (head + 1) % capacity;
      }
      const message = new Uint8Array(length);
      const first = Math.min(length, capacity - head);
      message.set(this.data.subarray(head, head + first));
      message.set(this.data.subarray(0, length - first), first);
      head = (head + length) % capacity;
      Atomics.store(this.control, HEAD, head);
      onMessage(message);
    }
  }
}
