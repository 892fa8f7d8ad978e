/** `import p from "./x.so" with { type: "file" }` gives the file's path (embedded by `bun build --compile`). */
declare module "*.so" {
  const path: string;
  export default path;
}
