import { expect, test } from "bun:test";
import { AssertionError } from "./assert.ts";
import { endHold, giveBack, lend, startLoan } from "./lent-buffers.ts";

test("a buffer on loan comes back only once its hold ended and every lent view was given back", () => {
  const buffer = new ArrayBuffer(64);
  let freed = 0;
  startLoan(buffer, () => freed++);
  const a = new Uint8Array(buffer, 0, 16);
  const b = new Uint8Array(buffer, 16, 16);
  lend(a);
  lend(b);
  endHold(new Uint8Array(buffer));
  expect(freed).toBe(0);
  giveBack(a);
  expect(freed).toBe(0); // b is still out
  giveBack(b.subarray(4)); // any view of the same lending
  expect(freed).toBe(1);
  startLoan(buffer, () => freed++); // on loan again, after its return
  endHold(a);
  expect(freed).toBe(2);
});

test("views of buffers not on loan are ignored; a view given back that was never lent stops the thread", () => {
  const plain = new Uint8Array(8);
  lend(plain);
  giveBack(plain);
  endHold(plain);
  const buffer = new ArrayBuffer(8);
  startLoan(buffer, () => {});
  expect(() => giveBack(new Uint8Array(buffer))).toThrow(AssertionError);
});
