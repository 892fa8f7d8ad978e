/** The browser modules and style sheet, imported `with { type: "text" }` (see ../assets.ts). */
declare module "*.js" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
