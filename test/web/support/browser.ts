import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import type { PageDocument, PageWindow } from './page-globals';

/** Debian's chromium (.ci/run installs it); the tests skip with a message when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '../../../test-output/web');

export function chromiumPresent(): boolean {
  return fs.existsSync(CHROMIUM);
}

/** A headless chromium with a fresh profile, nothing in the background reaching the network. */
export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    locale: 'sv-SE',
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page that records console errors, uncaught exceptions and failed requests. */
export interface WatchedPage {
  page: Page;
  problems: string[];
}

export async function watchedPage(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('requestfailed', (r) => {
    // a suggestion request still under way when the page navigates is cancelled: that is no fault
    if (r.resourceType() === 'fetch' && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  // the pages must not reach anything but this server (no CDN, no fonts, no analytics)
  await page.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : (problems.push(`outside request: ${route.request().url()}`), route.abort())));
  return { page, problems };
}

const AXE = require.resolve('axe-core/axe.min.js');

// the page's own globals, in the callback that runs in chromium (see page-globals.ts)
declare const document: PageDocument;
declare const window: PageWindow;

/** axe-core's WCAG 2.1 A/AA violations on the current page (rule id: the failing nodes). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // evaluated through the devtools protocol, not as a <script> the page's CSP (no inline script) would refuse
  await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v: any) => `${v.id} (${v.impact}): ${v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5).join(', ')}`);
  });
  return violations as string[];
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
