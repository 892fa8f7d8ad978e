// Types for the two pure-JS codec packages, which ship none (only what compression.ts calls).
declare module "lz4js" {
  /** Compresses src[sIndex, sIndex+sLength) as one LZ4 block into dst; 0 when nothing matched. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  /** Largest block compressBlock may write for n input bytes. */
  export function compressBound(n: number): number;
}
declare module "lz4js/xxh32.js" {
  /** xxHash32 of src[index, index+len). */
  export function hash(seed: number, src: Uint8Array, index: number, len: number): number;
}
declare module "snappyjs" {
  /** One raw snappy block. */
  export function compress(src: Uint8Array): Uint8Array;
  /** Throws "… is too big …" when the block's declared length exceeds maxLength. */
  export function uncompress(src: Uint8Array, maxLength?: number): Uint8Array;
}
