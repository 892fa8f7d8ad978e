/**
 * Imports point one way. Each folder's README says which folders it may import, in one line
 * `imports: a, b` (or `imports: none`), and may add a line `test-imports: c` for what its tests
 * (and test fixtures) may use besides; this test reads every import in src/**\/*.ts and fails on
 * one that reaches a folder its README does not list. It also checks that the lists agree with
 * the table in src/README.md: a folder names only folders below it.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = import.meta.dir;
const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

function folders(): string[] {
  return readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
}

/** The folders named on the README's `imports:` line, or on its optional `test-imports:` line (more that tests may use). */
function allowedImports(folder: string, label: "imports" | "test-imports" = "imports"): string[] {
  const readme = readFileSync(join(SRC, folder, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith(`${label}:`));
  if (!line && label === "test-imports") return [];
  if (!line) throw new Error(`src/${folder}/README.md has no "imports:" line`);
  const list = line.slice(label.length + 1).trim();
  return list === "none" ? [] : list.split(",").map((name) => name.trim());
}

const isTestFile = (file: string) => /\.(test|fixture)\.ts$/.test(file);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The folder under src/ an import resolves into; null for packages, node: and bun: modules, or files outside src. */
function targetFolder(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const path = relative(SRC, resolve(dirname(file), specifier));
  if (path.startsWith("..") || !path.includes("/")) return null;
  return path.split("/")[0];
}

/** Folder order in src/README.md's table, top first. */
function tableOrder(): string[] {
  const readme = readFileSync(join(SRC, "README.md"), "utf8");
  return [...readme.matchAll(/^\| `([a-z]+)\/` \|/gm)].map((m) => m[1]);
}

test("every folder imports only the folders its README lists", () => {
  const problems: string[] = [];
  for (const folder of folders()) {
    const allowed = new Set([folder, ...allowedImports(folder)]);
    const allowedInTests = new Set([...allowed, ...allowedImports(folder, "test-imports")]);
    for (const file of sourceFiles(join(SRC, folder))) {
      const allowedHere = isTestFile(file) ? allowedInTests : allowed;
      for (const [, specifier] of readFileSync(file, "utf8").matchAll(IMPORT_PATTERN)) {
        const target = targetFolder(file, specifier);
        if (target !== null && !allowedHere.has(target)) problems.push(`${relative(SRC, file)} imports ${specifier} (${target}/ is not in ${folder}'s README "imports:" line)`);
      }
    }
  }
  expect(problems).toEqual([]);
});

test("each folder's list names only folders below it in src/README.md", () => {
  const order = tableOrder();
  expect([...order].sort()).toEqual(folders().sort());
  const rank = new Map(order.map((folder, i) => [folder, i]));
  const upward = folders().flatMap((folder) => [...allowedImports(folder), ...allowedImports(folder, "test-imports")].filter((target) => !(rank.get(target)! > rank.get(folder)!)).map((target) => `${folder} -> ${target}`));
  expect(upward).toEqual([]);
});
