// A peer thread for channel.test.ts: serves `mark`, which writes a byte into each view it was sent.
import { Channel } from "./channel.ts";
import type { MarkCalls } from "./channel.test.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<MessagePort>) => {
  const port = event.data;
  new Channel<Record<never, never>, MarkCalls>(port, {
    mark: async ({ shared, own }) => {
      shared[0] = 0xaa;
      own[0] = 0xbb;
      const answer = new Uint8Array(new SharedArrayBuffer(8));
      answer[0] = 0xcc;
      return { sharedWasShared: shared.buffer instanceof SharedArrayBuffer, ownLength: own.buffer.byteLength, answer };
    },
  }, "test");
};
