import { expect, test } from "bun:test";
import { ConnectionPlacement, NO_SHARD, SEVERAL_SHARDS } from "./connection-placement.ts";

const PRODUCE = 0;
const FETCH = 1;
const METADATA = 3;

test("a connection moves after enough produce requests in a row to one other shard, and only once", () => {
  const placement = new ConnectionPlacement(0, 3);
  expect(placement.routed(PRODUCE, 1)).toBe(NO_SHARD);
  expect(placement.routed(METADATA, NO_SHARD)).toBe(NO_SHARD); // neither counts nor breaks the run
  expect(placement.routed(PRODUCE, 1)).toBe(NO_SHARD);
  expect(placement.routed(PRODUCE, 1)).toBe(1);
  for (let i = 0; i < 5; i++) expect(placement.routed(PRODUCE, 1)).toBe(NO_SHARD);
});

test("a produce request to this shard, to several, or to another one starts the count again", () => {
  const placement = new ConnectionPlacement(0, 2);
  for (const breaker of [0, SEVERAL_SHARDS, 2]) {
    expect(placement.routed(PRODUCE, 1)).toBe(NO_SHARD);
    expect(placement.routed(PRODUCE, breaker)).toBe(NO_SHARD);
  }
  expect(placement.routed(PRODUCE, 2)).toBe(2); // after the run 2, 2
});

test("a connection that fetched never moves", () => {
  const placement = new ConnectionPlacement(0, 1);
  expect(placement.routed(FETCH, 1)).toBe(NO_SHARD);
  expect(placement.routed(PRODUCE, 1)).toBe(NO_SHARD);
});

test("a move that did not happen may be tried again, a few times", () => {
  const placement = new ConnectionPlacement(0, 1);
  let tries = 0;
  for (let i = 0; i < 10; i++) {
    if (placement.routed(PRODUCE, 1) === 1) {
      tries++;
      placement.moveFailed();
    }
  }
  expect(tries).toBe(3);
});
