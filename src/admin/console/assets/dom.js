// Small DOM helpers: element building, the JSON API, the confirmation dialog, notices.

/** h("td", { class: "num" }, "42") — attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Calls the admin server; a non-2xx answer throws its message. */
export async function api(method, path, body) {
  // Changes are taken only as JSON, body or not (so other sites cannot send them).
  const init = { method, headers: method === "GET" ? {} : { "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message ?? `${method} ${path}: HTTP ${response.status}`);
  return data;
}

/** Opens the confirmation dialog; resolves true on Confirm. `body` may hold inputs the caller reads afterwards. */
export function confirmAction(title, body, confirmLabel = "Confirm") {
  const dialog = document.getElementById("confirm");
  fill(document.getElementById("confirm-title"), title);
  fill(document.getElementById("confirm-body"), body);
  document.getElementById("confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

let toastTimer = null;
export function notify(message, bad = false) {
  const toast = document.getElementById("toast");
  toast.textContent = message;
  toast.className = bad ? "show bad" : "show";
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.className = ""), 4000);
}

/** Runs an action, reporting its outcome as a notice. */
export async function attempt(what, action) {
  try {
    const result = await action();
    notify(`${what}: done`);
    return result;
  } catch (error) {
    notify(`${what}: ${error.message}`, true);
    return undefined;
  }
}
