// A Worker for shared-counts.test.ts: opens and closes one key against a shared limit.
import { SharedCounts } from "./shared-counts.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ buffer: SharedArrayBuffer; rounds: number; limit: number }>) => {
  const counts = new SharedCounts(event.data.buffer);
  let opened = 0;
  let maxSeen = 0;
  const held: number[] = [];
  for (let round = 0; round < event.data.rounds; round++) {
    if (held.length > 0 && (round & 1) === 1) {
      held.pop();
      counts.closeKey("192.0.2.1");
      counts.closeTotal();
      continue;
    }
    if (!counts.openTotal(-1)) continue;
    if (counts.openKey("192.0.2.1", event.data.limit) !== "ok") {
      counts.closeTotal();
      continue;
    }
    opened++;
    held.push(round);
    maxSeen = Math.max(maxSeen, counts.count("192.0.2.1"));
  }
  for (const _ of held) {
    counts.closeKey("192.0.2.1");
    counts.closeTotal();
  }
  self.postMessage({ opened, maxSeen });
};
