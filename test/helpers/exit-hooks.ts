/**
 * Synchronous clean-up that must run however a test process ends: normal exit, an uncaught
 * error, or SIGINT/SIGTERM/SIGHUP (Ctrl-C on a chaos run). Hooks run last-registered first
 * (child processes are killed before the namespaces they live in are removed), each at most once.
 */
const hooks: Array<{ run: () => void; done: boolean }> = [];
let installed = false;

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

function runAll(): void {
  for (const hook of [...hooks].reverse()) {
    if (hook.done) continue;
    hook.done = true;
    try {
      hook.run();
    } catch (error) {
      console.error(`exit hook failed: ${String(error)}`);
    }
  }
}

/** Registers `run`; returns a function that unregisters it (call it after cleaning up normally). */
export function onExit(run: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", runAll);
    for (const [signal, number] of Object.entries(SIGNAL_NUMBERS)) {
      process.on(signal, () => {
        runAll();
        process.exit(128 + number);
      });
    }
  }
  const hook = { run, done: false };
  hooks.push(hook);
  return () => {
    hook.done = true;
    const at = hooks.indexOf(hook);
    if (at >= 0) hooks.splice(at, 1);
  };
}
