/** A HeartbeatBatcher batch through the RPC schema and back; a batch whose light heartbeat columns disagree is refused. */
import { expect, test } from "bun:test";
import { PackedLight } from "../raft/heartbeat-batcher.ts";
import { decodeBody, encodeBody } from "../rpc/frame.ts";
import { RaftBatchRequest } from "../rpc/messages/index.ts";
import { decodeBatch, encodeBatch } from "./raft-codec.ts";

test("a batch's messages and packed light heartbeats survive the wire; mismatched columns are refused", () => {
  const light = new PackedLight();
  light.beat(7, 3, 41);
  light.beat(9, 2, 5_000_000_000); // commit indexes are int64
  light.reply(8, 3, false);
  const heartbeat = { kind: "heartbeat" as const, group: 5, from: 1, to: 2, term: 4, prevIndex: 10, prevTerm: 4, commitIndex: 10 };
  const request = encodeBatch({ kind: "batch", from: 1, to: 2, messages: [heartbeat], light });
  const decoded = decodeBatch(decodeBody(RaftBatchRequest, encodeBody(RaftBatchRequest, request)));
  if (typeof decoded === "string") throw new Error(decoded);
  expect(decoded.messages).toEqual([heartbeat]);
  expect(decoded.light).toEqual(light);
  expect(decodeBatch({ ...request, lightBeatTerms: [3] })).toContain("columns differ in length");
  expect(decodeBatch({ ...request, lightReplyAccepted: [] })).toContain("columns differ in length");
});
