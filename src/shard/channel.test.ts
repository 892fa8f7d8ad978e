import { expect, test } from "bun:test";
import { sharedBigBuffer } from "../base/big-buffers.ts";
import { Channel } from "./channel.ts";

export type MarkCalls = {
  mark: { request: { shared: Uint8Array; own: Uint8Array }; response: { sharedWasShared: boolean; ownLength: number; answer: Uint8Array } };
};

test("a view of shared memory reaches the other thread as the same bytes; any other view as a copy of exactly its bytes", async () => {
  const worker = new Worker(new URL("./channel-peer.fixture.ts", import.meta.url).href);
  const { port1, port2 } = new MessageChannel();
  worker.postMessage(port2, [port2]);
  const channel = new Channel<MarkCalls, Record<never, never>>(port1, {}, "peer");
  try {
    const frame = sharedBigBuffer(1024);
    const ownBuffer = new Uint8Array(1024);
    const reply = await channel.call("mark", { shared: frame.subarray(100, 200), own: ownBuffer.subarray(100, 200) });
    expect(reply.sharedWasShared).toBe(true);
    expect(frame[100]).toBe(0xaa); // the peer wrote into this thread's memory: no copy was made
    expect(reply.ownLength).toBe(100); // a copy of the view's bytes, not its whole 1 KiB buffer
    expect(ownBuffer[100]).toBe(0); // and the copy is the peer's own
    expect(reply.answer[0]).toBe(0xcc);
    expect(reply.answer.buffer instanceof SharedArrayBuffer).toBe(true);
  } finally {
    channel.close();
    worker.terminate();
  }
});
