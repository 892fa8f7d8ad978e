/** What the command line and the config file fail with: `main.ts` prints the message and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface HostPort {
  host: string;
  port: number;
}
