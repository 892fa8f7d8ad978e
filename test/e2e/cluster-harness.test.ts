/**
 * The cluster harness itself (helpers/cluster.ts, helpers/netns.ts): nodes in their own network
 * namespaces, each ready; isolate and cut really cut links (checked with TCP connects from
 * inside the namespaces); pause freezes a node, resume brings it back; kill -9 and start keep the
 * data dir; nothing is left behind after dispose.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "bun";
import { existsSync } from "node:fs";
import { startCluster } from "../helpers/cluster.ts";
import { NETNS_PREFIX, netnsAvailable } from "../helpers/netns.ts";

setDefaultTimeout(90_000);

/** Can a TCP connection from `namespace` (null: the root namespace) to host:port be opened within 1 s? */
function canConnect(namespace: string | null, address: string): boolean {
  const [host, port] = address.split(":");
  const script = `exec 3<>/dev/tcp/${host}/${port}`;
  const prefix = namespace === null ? [] : ["ip", "netns", "exec", namespace];
  return spawnSync([...prefix, "timeout", "1", "bash", "-c", script], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/** canConnect, retried for up to 3 s (a link just brought up may take a moment to forward). */
async function connectsSoon(namespace: string | null, address: string): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (canConnect(namespace, address)) return true;
    await Bun.sleep(100);
  }
  return false;
}

async function readyStatus(adminUrl: string): Promise<number | string> {
  try {
    return (await fetch(`${adminUrl}/v1/status/ready`, { signal: AbortSignal.timeout(1000) })).status;
  } catch (error) {
    return String(error).includes("timed out") || String(error).includes("Timeout") ? "timeout" : "refused";
  }
}

function leftovers(): string[] {
  const ours = (text: string) => text.split("\n").filter((line) => line.includes(`${NETNS_PREFIX}${process.pid}`));
  return [...ours(spawnSync(["ip", "netns", "list"]).stdout.toString()), ...ours(spawnSync(["ip", "-o", "link"]).stdout.toString())];
}

describe("cluster harness", () => {
  test("network namespaces are available (root, ip netns)", () => {
    expect(netnsAvailable()).toEqual({ ok: true });
  });

  test("three nodes in namespaces: ready; isolate, cut, pause, kill -9 and start; nothing left after dispose", async () => {
    let dataParent = "";
    {
      await using cluster = await startCluster({ nodes: 3, network: "netns" });
      dataParent = cluster.dataParent;
      const [a, b, c] = cluster.nodes;
      for (const node of cluster.nodes) expect(await readyStatus(node.adminUrl)).toBe(200);
      const nsName = (node: typeof a) => spawnSync(["ip", "netns", "identify", String(node!.pid)]).stdout.toString().trim();
      expect(nsName(a)).toMatch(new RegExp(`^${NETNS_PREFIX}${process.pid}`));

      // isolate: clients (root namespace) and peers lose b
      cluster.isolate(b!.id);
      expect(canConnect(null, b!.kafkaAddress)).toBe(false);
      expect(canConnect(nsName(a), b!.rpcAddress)).toBe(false);
      expect(await connectsSoon(nsName(a), c!.rpcAddress)).toBe(true);
      cluster.reconnect(b!.id);
      expect(await connectsSoon(null, b!.kafkaAddress)).toBe(true);
      expect(await connectsSoon(nsName(a), b!.rpcAddress)).toBe(true);

      // cut: a and c cannot talk, each still talks to b and to clients
      cluster.cut(a!.id, c!.id);
      expect(canConnect(nsName(a), c!.rpcAddress)).toBe(false);
      expect(canConnect(nsName(c), a!.rpcAddress)).toBe(false);
      expect(await connectsSoon(nsName(a), b!.rpcAddress)).toBe(true);
      expect(await connectsSoon(null, c!.kafkaAddress)).toBe(true);
      cluster.healNetwork();
      expect(await connectsSoon(nsName(a), c!.rpcAddress)).toBe(true);

      // pause: the admin API stops answering; resume: it answers again
      cluster.pause(c!.id);
      expect(await readyStatus(c!.adminUrl)).toBe("timeout");
      cluster.resume(c!.id);
      expect(await readyStatus(c!.adminUrl)).toBe(200);

      // kill -9 and start on the same data dir and addresses
      const pidBefore = a!.pid;
      await cluster.kill9(a!.id);
      expect(a!.state).toBe("stopped");
      expect(canConnect(null, a!.kafkaAddress)).toBe(false);
      expect(existsSync(a!.dataDir)).toBe(true);
      await cluster.start(a!.id);
      expect(a!.pid).not.toBe(pidBefore);
      expect(await readyStatus(a!.adminUrl)).toBe(200);

      // a clean stop exits 0
      expect(await cluster.stop(b!.id)).toBe(0);
    }
    expect(leftovers()).toEqual([]);
    expect(existsSync(dataParent)).toBe(false);
  });
});
