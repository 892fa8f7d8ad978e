// Numbers and payloads as people read them.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function bytes(n) {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

export function count(n) {
  return Math.round(n).toLocaleString("en-US");
}

export function perSec(n) {
  return n >= 100 ? `${count(n)}/s` : `${n.toFixed(1)}/s`;
}

export function time(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function decodeBase64(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** A key or value (base64 from the server, null for null) shown as "text", "json" or "hex". */
export function payload(b64, mode) {
  if (b64 === null) return "null";
  const raw = decodeBase64(b64);
  if (mode === "hex") return [...raw].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const text = utf8.decode(raw);
  if (mode !== "json") return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return `(not JSON) ${text}`;
  }
}
