// Types for the two pure-JS codec packages, which ship none (only what compression.ts calls).
declare module "lz4js" {
  /** One LZ4 frame (4 MiB linked blocks, no checksums besides the header's). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
declare module "snappyjs" {
  /** One raw snappy block. */
  export function compress(src: Uint8Array): Uint8Array;
  /** Throws "… is too big …" when the block's declared length exceeds maxLength. */
  export function uncompress(src: Uint8Array, maxLength?: number): Uint8Array;
}
