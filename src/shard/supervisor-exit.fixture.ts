/**
 * Run by supervisor-exit.test.ts in a process of its own: the real controller, controller
 * service and Supervisor on the data dir in argv[2], with one shard whose Worker fails an
 * assertion (planted-assertion-worker.fixture.ts). The supervisor must stop the process.
 */
import { SharedCounts } from "../base/shared-counts.ts";
import { configureLog } from "../base/log.ts";
import { Controller } from "../cluster/controller.ts";
import { ControllerService } from "../cluster/controller-calls.ts";
import { singleNodeServers } from "./controller-router.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { Supervisor } from "./supervisor.ts";

configureLog({ format: "json" });
const dataDir = process.argv[2]!;
const props = defaultProperties();
const disk = new PosixDisk();
const supervisor = new Supervisor(1);
const controller = await Controller.open({ disk, dataDir, props, shardCount: 1, shards: supervisor, warn: () => {} });
const settings = { kafkaListeners: [{ name: "", address: { host: "127.0.0.1", port: 0 }, advertised: { host: "127.0.0.1", port: 0 }, authentication: "none" as const, tls: null }], advertised: { host: "127.0.0.1", port: 0 }, clusterId: "test", dataDir, props, logFormat: "json" as const, io: "posix" as const, nodeId: 0, rack: null, rpc: null, joinNodes: [], softwareVersion: "test", connectionCounts: SharedCounts.create(0) };
await supervisor.start(settings, controller, singleNodeServers(new ControllerService(controller, disk, dataDir, props).servers), new URL("./planted-assertion-worker.fixture.ts", import.meta.url));
