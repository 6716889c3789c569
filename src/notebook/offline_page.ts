/**
 * A headless Chromium page that can reach nothing but what the caller allows, for the tests that
 * check the reports and figures render on their own: every request the page makes goes through
 * request interception, and any URL not allowed is refused and recorded. The browser gets a fresh
 * profile folder and is closed, and the folder removed, however the callback ends.
 *
 * Not exported from the notebook index: notebooks never load puppeteer through it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Page } from "puppeteer-core";
import { findChromium } from "./export";

/** The flags of a throw-away headless browser that stays off the network and the user's profile. */
export const TEST_CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface OfflinePage {
  page: Page;
  /** URLs the page asked for and was refused, in order. */
  refused: string[];
}

/**
 * Runs `fn` with a fresh page whose requests are refused unless `allow(url)` (URLs of data:
 * and blob: are inside the page already and always pass). Throws when no Chromium is installed.
 */
export async function withOfflinePage<T>(
  allow: (url: string) => boolean,
  fn: (p: OfflinePage) => Promise<T>,
): Promise<T> {
  const chromium = findChromium();
  if (!chromium) throw new Error("no Chromium found (set CHROMIUM_PATH, or install Debian's chromium package)");
  const puppeteer = (await import("puppeteer-core")).default;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "padam-offline-page-"));
  try {
    const browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      pipe: true,
      userDataDir: profile,
      args: [...TEST_CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    });
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      await page.setRequestInterception(true);
      page.on("request", (req) => {
        const url = req.url();
        if (/^(data|blob):/.test(url) || allow(url)) void req.continue();
        else {
          refused.push(url);
          void req.abort("blockedbyclient");
        }
      });
      return await fn({ page, refused });
    } finally {
      await browser.close();
    }
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
