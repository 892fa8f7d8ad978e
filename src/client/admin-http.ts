/** The broker's admin HTTP API (`--admin-url`): JSON in, JSON out, non-2xx answers become errors carrying the broker's message. */
import { TransportError } from "./errors.ts";

const ADMIN_TIMEOUT_MS = 15_000;

export class AdminHttpError extends Error {
  override name = "AdminHttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class AdminHttp {
  private readonly authorization: string | null;

  /** `login`: sent as HTTP Basic auth (the broker's admin_api_require_auth). */
  constructor(
    readonly baseUrl: string,
    login: { user: string; password: string } | null = null,
  ) {
    this.authorization = login ? `Basic ${Buffer.from(`${login.user}:${login.password}`, "utf8").toString("base64")}` : null;
  }

  get<T = any>(path: string): Promise<T> {
    return this.send<T>("GET", path, undefined);
  }

  post<T = any>(path: string, body: unknown = undefined): Promise<T> {
    return this.send<T>("POST", path, body);
  }

  /** GET that returns the status instead of throwing on a non-2xx answer. */
  async status(path: string): Promise<{ status: number; body: any }> {
    const response = await this.fetch("GET", path, undefined);
    return { status: response.status, body: await response.json().catch(() => null) };
  }

  private async send<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    const parsed: any = await response.json().catch(() => null);
    if (!response.ok) throw new AdminHttpError(response.status, `${method} ${path}: HTTP ${response.status}${parsed?.message ? `: ${parsed.message}` : ""}`);
    return parsed as T;
  }

  private async fetch(method: string, path: string, body: unknown): Promise<Response> {
    const url = `${this.baseUrl.replace(/\/+$/, "")}${path}`;
    try {
      return await fetch(url, {
        method,
        // The admin API takes changes only as JSON (a web page cannot send those cross-site), body or not.
        headers: { ...(method === "GET" ? {} : { "content-type": "application/json" }), ...(this.authorization && { authorization: this.authorization }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TransportError(`cannot reach the admin API at ${url}: ${(error as Error).message}`);
    }
  }
}
