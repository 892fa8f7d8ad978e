/**
 * Headless Chromium for the console tests: Debian's /usr/bin/chromium (installed by
 * `scripts/setup.sh --test`) driven by playwright-core. Screenshots go to test/artifacts/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "./broker.ts";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS_DIR = join(REPO_ROOT, "test/artifacts");

export interface OpenBrowser extends AsyncDisposable {
  browser: Browser;
  page: Page;
  /** Saves a full-page screenshot as test/artifacts/NAME.png and returns its path. */
  screenshot(name: string): Promise<string>;
}

export async function openBrowser(): Promise<OpenBrowser> {
  // --no-sandbox: the suite may run as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return {
    browser,
    page,
    async screenshot(name) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  };
}
