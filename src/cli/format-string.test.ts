import { describe, expect, test } from "bun:test";
import type { ConsumedRecord } from "../client/records.ts";
import { UsageError } from "./args.ts";
import { InputFormat, parseFormat, recordJson, renderRecord } from "./format-string.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const record: ConsumedRecord = {
  partition: 2, offset: 41, timestampMs: 1700000000000, leaderEpoch: 0, producerId: -1, producerEpoch: -1, attributes: 0,
  key: bytes("k"), value: bytes("hello"), headers: [{ key: "a", value: bytes("1") }, { key: "b", value: null }],
};

describe("consume formats", () => {
  test("verbs, escapes and encodings render as rpk's", () => {
    const render = (f: string) => renderRecord(parseFormat(f), record, { topic: "t", highWatermark: 42 });
    expect(render("%t %p %o %k %v\\n")).toBe("t 2 41 k hello\n");
    expect(render("%K %V %T %H %d %]")).toBe("1 5 1 2 1700000000000 42");
    expect(render("%v{hex} %k{base64}")).toBe("68656c6c6f aw==");
    expect(render("%h{%k=%v,}|%h")).toBe("a=1,b=,|a=1 b=");
    expect(render("100%% \\t\\x41")).toBe("100% \tA");
  });

  test("an unknown verb is a usage error naming it", () => {
    expect(() => parseFormat("%q")).toThrow(UsageError);
    expect(() => parseFormat("%q")).toThrow(/%q/);
  });

  test("JSON leaves out a null key or value and empty headers, as rpk does", () => {
    expect(recordJson("t", { ...record, key: null, headers: [] })).toEqual({ topic: "t", value: "hello", timestamp: 1700000000000, partition: 2, offset: 41 });
  });
});

describe("produce formats", () => {
  const all = (format: string, text: string) => {
    const f = new InputFormat(format);
    const out = [];
    for (let at = 0, next = f.next(text, at, true); next !== null; at = next.end, next = f.next(text, at, true)) out.push(next.record);
    return out;
  };

  test("'%k %v\\n' cuts keys and values; a last line without its newline counts", () => {
    expect(all("%k %v\\n", "a 1\nb 2 two\nc 3")).toEqual([
      { key: "a", value: "1", partition: null },
      { key: "b", value: "2 two", partition: null },
      { key: "c", value: "3", partition: null },
    ]);
  });

  test("before the end of input a record cut short waits for more", () => {
    const f = new InputFormat("%v\\n");
    expect(f.next("partial", 0, false)).toBeNull();
    expect(f.next("whole\nnext", 0, false)).toEqual({ record: { key: null, value: "whole", partition: null }, end: 6 });
  });

  test("%p names the partition; input that does not match the format is a usage error", () => {
    expect(all("%p:%v\\n", "1:x\n")).toEqual([{ key: null, value: "x", partition: 1 }]);
    expect(() => all("%p:%v\\n", "one:x\n")).toThrow(UsageError);
    expect(() => new InputFormat("%k\\n")).toThrow(/needs %v/);
    expect(() => new InputFormat("%k%v\\n")).toThrow(/delimiter/);
  });
});
