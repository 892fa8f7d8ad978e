/** The far side of the channel benchmark: echoes every message back the way it came. */
import { RingReader, RingWriter, type RingBuffers } from "./sab-ring.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent) => {
  const setup = event.data as { port: MessagePort; toEcho: RingBuffers; fromEcho: RingBuffers };
  setup.port.onmessage = (m: { data: any }) => {
    const payload = m.data.payload as ArrayBuffer | undefined;
    setup.port.postMessage(m.data, payload ? [payload] : []);
  };
  const writer = new RingWriter(setup.fromEcho);
  void new RingReader(setup.toEcho).run((message) => {
    while (!writer.write(message)) {} // the bench never fills the ring; bounded by its size
  });
};
