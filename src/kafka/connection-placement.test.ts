import { expect, test } from "bun:test";
import { ConnectionPlacement, NO_SHARD, SEVERAL_SHARDS } from "./connection-placement.ts";

const PRODUCE = 0;
const FETCH = 1;
const METADATA = 3;

test("a connection moves after enough produce requests in a row to one other shard, and only once", () => {
  const placement = new ConnectionPlacement(0, 3);
  expect(placement.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
  expect(placement.routed(METADATA, NO_SHARD, false)).toBe(NO_SHARD); // neither counts nor breaks the run
  expect(placement.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
  expect(placement.routed(PRODUCE, 1, false)).toBe(1);
  for (let i = 0; i < 5; i++) expect(placement.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
});

test("a produce request to this shard, to several, or to another one starts the count again", () => {
  const placement = new ConnectionPlacement(0, 2);
  for (const breaker of [0, SEVERAL_SHARDS, 2]) {
    expect(placement.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
    expect(placement.routed(PRODUCE, breaker, false)).toBe(NO_SHARD);
  }
  expect(placement.routed(PRODUCE, 2, false)).toBe(2); // after the run 2, 2
});

test("fetches without a session count as produce requests do; a connection that opened a fetch session never moves", () => {
  const consumer = new ConnectionPlacement(0, 2);
  expect(consumer.routed(FETCH, 1, false)).toBe(NO_SHARD);
  expect(consumer.routed(FETCH, 1, false)).toBe(1);
  const sessions = new ConnectionPlacement(0, 1);
  expect(sessions.routed(FETCH, 1, true)).toBe(NO_SHARD);
  expect(sessions.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
});

test("a connection that produces to one shard and fetches from another stays", () => {
  const placement = new ConnectionPlacement(0, 2);
  for (let i = 0; i < 10; i++) {
    expect(placement.routed(PRODUCE, 1, false)).toBe(NO_SHARD);
    expect(placement.routed(FETCH, 2, false)).toBe(NO_SHARD);
  }
});

test("a move that did not happen may be tried again, a few times", () => {
  const placement = new ConnectionPlacement(0, 1);
  let tries = 0;
  for (let i = 0; i < 10; i++) {
    if (placement.routed(PRODUCE, 1, false) === 1) {
      tries++;
      placement.moveFailed();
    }
  }
  expect(tries).toBe(3);
});
