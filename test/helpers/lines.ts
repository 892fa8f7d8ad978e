/** A child process's output as lines: each complete line as it arrives (a line split across chunks waits for its end; an unterminated last one is dropped). */
export async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = parts.pop()!;
    yield* parts;
  }
}
