import { describe, expect, test } from "bun:test";
import { ProtocolError } from "./errors.ts";
import { Reader } from "./reader.ts";
import { utf8ByteLength, Writer } from "./writer.ts";

function written(fill: (w: Writer) => void): Uint8Array {
  const w = new Writer(1); // start tiny so every test also exercises growth
  fill(w);
  return w.finish();
}
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("Writer / Reader primitives", () => {
  test("fixed-width integers are big-endian and round-trip at their edges", () => {
    const b = written((w) => {
      w.int8(-128); w.int16(-32768); w.uint16(65535); w.int32(-2147483648); w.uint32(4294967295);
    });
    expect(hex(b)).toBe("80" + "8000" + "ffff" + "80000000" + "ffffffff");
    const r = new Reader(b);
    expect([r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32()]).toEqual([-128, -32768, 65535, -2147483648, 4294967295]);
  });

  test("int64 as number, exact to ±2^53", () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 1_700_000_000_000];
    const b = written((w) => values.forEach((v) => w.int64(v)));
    expect(hex(b.subarray(24, 32))).toBe("0000000100000000");
    expect(hex(b.subarray(16, 24))).toBe("ffffffffffffffff");
    const r = new Reader(b);
    expect(values.map(() => r.int64())).toEqual(values);
  });

  test("float64 and bool", () => {
    const r = new Reader(written((w) => { w.float64(-1.5); w.bool(true); w.bool(false); }));
    expect([r.float64(), r.bool(), r.bool()]).toEqual([-1.5, true, false]);
  });

  test("uvarint edge values and their byte lengths", () => {
    const cases: Array<[number, string]> = [
      [0, "00"], [1, "01"], [127, "7f"], [128, "8001"], [16383, "ff7f"], [16384, "808001"],
      [2 ** 31 - 1, "ffffffff07"], [2 ** 32 - 1, "ffffffff0f"],
    ];
    for (const [v, bytes] of cases) {
      const b = written((w) => w.uvarint(v));
      expect(hex(b)).toBe(bytes);
      expect(new Reader(b).uvarint()).toBe(v);
    }
  });

  test("varint zigzag edge values", () => {
    const cases: Array<[number, string]> = [[0, "00"], [-1, "01"], [1, "02"], [-64, "7f"], [64, "8001"]];
    for (const [v, bytes] of cases) expect(hex(written((w) => w.varint(v)))).toBe(bytes);
    for (const v of [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 300, -300]) {
      expect(new Reader(written((w) => w.varint(v))).varint()).toBe(v);
    }
  });

  test("varlong round-trips large timestamps and negatives", () => {
    for (const v of [0, -1, 1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 51]) {
      expect(new Reader(written((w) => w.varlong(v))).varlong()).toBe(v);
    }
    expect(hex(written((w) => w.varlong(-1)))).toBe("01");
  });

  test("a varint longer than 5 bytes throws", () => {
    expect(() => new Reader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).uvarint()).toThrow(ProtocolError);
  });

  test("uuid: lowercase with dashes, zero uuid", () => {
    const id = "0123abcd-4567-89ef-fedc-ba9876543210";
    const b = written((w) => w.uuid(id));
    expect(hex(b)).toBe(id.replaceAll("-", ""));
    expect(new Reader(b).uuid()).toBe(id);
    expect(new Reader(new Uint8Array(16)).uuid()).toBe("00000000-0000-0000-0000-000000000000");
  });

  test("strings: int16 and compact lengths, null, utf-8", () => {
    const b = written((w) => {
      w.string("abc"); w.nullableString(null); w.compactString("héllo ✓ 😀"); w.compactNullableString(null);
      w.compactString("x".repeat(200));
    });
    expect(hex(b.subarray(0, 7))).toBe("0003616263ffff");
    const r = new Reader(b);
    expect([r.string(), r.nullableString(), r.compactString(), r.compactNullableString(), r.compactString()])
      .toEqual(["abc", null, "héllo ✓ 😀", null, "x".repeat(200)]);
  });

  test("utf8ByteLength matches TextEncoder, lone surrogates included", () => {
    for (const s of ["", "abc", "é", "✓", "😀", "\ud800", "a\udc00b", "é".repeat(100)]) {
      expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  test("null where the field is not nullable throws", () => {
    expect(() => new Reader(written((w) => w.int16(-1))).string()).toThrow(ProtocolError);
    expect(() => new Reader(written((w) => w.uvarint(0))).compactString()).toThrow(ProtocolError);
    expect(() => new Reader(written((w) => w.int32(-1))).bytesField()).toThrow(ProtocolError);
  });

  test("bytes are views into the input, compact and not", () => {
    const b = written((w) => { w.bytesField(new Uint8Array([1, 2])); w.compactNullableBytes(new Uint8Array([3])); w.nullableBytes(null); });
    const r = new Reader(b);
    const first = r.bytesField();
    expect(first.buffer).toBe(b.buffer);
    expect([...first, ...r.compactNullableBytes()!]).toEqual([1, 2, 3]);
    expect(r.nullableBytes()).toBeNull();
  });

  test("lengths and counts past the end throw before reading", () => {
    expect(() => new Reader(written((w) => { w.int16(10); w.raw(new Uint8Array(3)); })).string()).toThrow(ProtocolError);
    expect(() => new Reader(written((w) => w.int32(5))).bytesField()).toThrow(ProtocolError);
    expect(() => new Reader(written((w) => w.int32(100))).arrayCount(false)).toThrow(ProtocolError);
    expect(() => new Reader(written((w) => w.int32(-2))).arrayCount(true)).toThrow(ProtocolError);
    expect(new Reader(written((w) => w.int32(-1))).arrayCount(true)).toBe(-1);
    expect(() => new Reader(new Uint8Array(3)).int32()).toThrow(ProtocolError);
  });

  test("reserveSize / patchSize frame what follows", () => {
    const w = new Writer(2);
    const at = w.reserveSize();
    w.string("hello");
    w.patchSize(at);
    const b = w.finish();
    expect(new Reader(b).int32()).toBe(b.length - 4);
  });
});
