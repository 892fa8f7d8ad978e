/**
 * Test certificates made with `openssl` into a temp dir: a CA, a server certificate for
 * localhost / 127.0.0.1, and client certificates with the subjects a test asks for.
 */
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Certs extends AsyncDisposable {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Makes `<name>.crt` / `<name>.key` signed by the CA with `subject` (openssl form, `/CN=alice/OU=eng`). */
  client(name: string, subject: string): Promise<{ cert: string; key: string }>;
  /** A new server certificate and key (another serial, subject `/CN=<cn>`) written over the old files. */
  replaceServer(cn: string): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const proc = Bun.spawn(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`openssl ${args.join(" ")} exited ${code}: ${stderr}`);
}

/** Key and certificate are made beside the old ones and renamed over them: a reader never sees a half-written file. */
async function signed(dir: string, name: string, subject: string, extensions: string | null): Promise<void> {
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key.new`, "-out", `${name}.csr`, "-subj", subject], dir);
  const ext = extensions === null ? [] : ["-extfile", await writeExt(dir, name, extensions)];
  await openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt.new`, "-days", "2", ...ext], dir);
  await rename(join(dir, `${name}.key.new`), join(dir, `${name}.key`));
  await rename(join(dir, `${name}.crt.new`), join(dir, `${name}.crt`));
}

async function writeExt(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, `${name}.ext`);
  await Bun.write(path, text);
  return path;
}

export async function makeCerts(): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), "skua-certs-"));
  await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=skua-test-ca"], dir);
  const serverExt = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  await signed(dir, "server", "/CN=localhost", serverExt);
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    async client(name, subject) {
      await signed(dir, name, subject, null);
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
    async replaceServer(cn) {
      await signed(dir, "server", `/CN=${cn}`, serverExt);
    },
    async [Symbol.asyncDispose]() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
