import { expect, test } from "bun:test";
import { chooseBackend, probeUring } from "./backend.ts";

test("io_uring works on this machine (the CI and bench machine)", () => {
  expect(probeUring()).toBeNull();
  expect(chooseBackend("auto")).toEqual({ backend: "uring", fallbackReason: null });
});

test("without the shim: auto falls back to posix with a reason, forced uring throws", () => {
  const missing = "/nonexistent/libskua_uring.so";
  const choice = chooseBackend("auto", missing);
  expect(choice.backend).toBe("posix");
  expect(choice.fallbackReason).toContain("no io_uring shim");
  expect(() => chooseBackend("uring", missing)).toThrow("--io uring");
  expect(chooseBackend("posix", missing)).toEqual({ backend: "posix", fallbackReason: null });
});
