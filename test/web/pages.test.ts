import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ValueSet } from 'fhir/r4';
import type { BrowserContext, Page } from 'playwright-core';
import { WatchedPage, accessibilityViolations, chromiumPresent, launch, screenshot, watchedPage } from './support/browser';
import type { PageDocument, PageElement, PageWindow } from './support/page-globals';
import { PageServer, startPageServer, whyNoKsiIcf } from './support/server';
import { ReleaseJsonFeed, ReleaseManifest, jsonOf } from '../helpers/json';
import { SAKOMRÅDEN } from '../../src/importers/ksi';

// the page's own globals, in the callbacks that run in chromium (see support/page-globals.ts)
declare const document: PageDocument;
declare const window: PageWindow;

/**
 * The pages in a real headless browser (Debian chromium through playwright-core): a person
 * searches, opens codes, walks the hierarchy with the keyboard, expands a value set, opens a NIM
 * and compares releases. Every page visited must have no console errors, reach nothing but this
 * server, and pass axe-core's WCAG 2.1 A/AA rules; screenshots go to test-output/web/.
 */
const describeWithBrowser = chromiumPresent() ? describe : describe.skip;
if (!chromiumPresent()) console.warn('Page tests skipped: /usr/bin/chromium is missing (.ci/run installs Debian chromium)');

describeWithBrowser('pages in a browser', () => {
  let kodverk: PageServer;
  let browser: Awaited<ReturnType<typeof launch>>;
  let context: BrowserContext;
  let origin: string;

  beforeAll(async () => {
    kodverk = await startPageServer();
    origin = kodverk.server.url;
    browser = await launch();
    context = browser.context;
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await kodverk?.close();
  });

  /** Opens a path, then checks console, network and accessibility; saves a screenshot when named. */
  async function visit(path: string, shot?: string): Promise<WatchedPage> {
    const w = await watchedPage(context, origin);
    await w.page.goto(origin + path, { waitUntil: 'networkidle' });
    await checked(w, shot);
    return w;
  }

  async function checked(w: WatchedPage, shot?: string): Promise<void> {
    await w.page.waitForLoadState('networkidle');
    expect(w.problems).toEqual([]);
    expect(await accessibilityViolations(w.page)).toEqual([]);
    if (shot) await screenshot(w.page, shot);
  }

  const main = (p: Page) => p.locator('main');

  test('every item of the main menu opens its page, marked as the current one there', async () => {
    const { page } = await visit('/');
    const items = await page.locator('header nav a').evaluateAll((as) => as.map((a) => ({ label: a.textContent ?? '', href: a.getAttribute('href') ?? '' })));
    expect(items.map((i) => i.label)).toEqual(['Start', 'Sök', 'Katalog', 'Informationsmängder', 'Jämför']);
    for (const { label, href } of items) {
      const w = await watchedPage(context, origin);
      const answer = await w.page.goto(origin + href, { waitUntil: 'networkidle' });
      expect([label, answer?.status(), answer?.headers()['content-type']]).toEqual([label, 200, 'text/html; charset=utf-8']);
      await expect(w.page.locator(`header nav a[aria-current=page]`).textContent()).resolves.toBe(label);
      await checked(w);
      await w.page.close();
    }
  });

  test('the start page leads with the national content, keeps the FHIR core apart, and has a labelled search box', async () => {
    const { page } = await visit('/', 'start');
    await expect(page.locator('h1').textContent()).resolves.toBe('Kodverk');
    await expect(page.getByRole('combobox', { name: /Sök bland kodverk/ }).count()).resolves.toBe(1);
    const headings = await page.locator('main h2').allInnerTexts();
    expect(headings.slice(0, 4)).toEqual(['Socialstyrelsens kodverk', 'Informationsmängder och utgåvor', 'Nationella listor', 'Värdemängder, urval och mappningar']);
    expect(headings).toContain('FHIR-kärnterminologi (infrastruktur)');
    const cards = await page.locator('ul.cards > li h3').allInnerTexts();
    expect(cards.map((c) => c.split(' – ')[0])).toEqual(['KSI', 'ICF', 'KVÅ', 'Snomed CT']);
    // the first screen (1280×900) is national content: the classifications and the NIMs, no FHIR core
    const firstScreen = await page.evaluate(() =>
      [...document.querySelectorAll('main h2')].filter((h) => h.getBoundingClientRect().top < window.innerHeight).map((h) => h.textContent),
    );
    expect(firstScreen).toContain('Socialstyrelsens kodverk');
    expect(firstScreen).not.toContain('FHIR-kärnterminologi (infrastruktur)');
    await expect(page.locator('section[aria-labelledby=nim-start-rubrik]').innerText()).resolves.toMatch(/Utgåva[\s\S]*1\.1\.0[\s\S]*på påseende/);
    const core = await page.locator('section.infrastructure .stats').innerText();
    expect(core).toMatch(/Kodverk/);
    expect(core).toMatch(/Värdemängder/);
    // the favicon is there: no 404 in any browser's console
    const icon = await fetch(`${origin}/favicon.ico`, { redirect: 'follow' });
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    // the skip link is the first stop of the keyboard and takes focus to main
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Hoppa till innehållet');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('innehall');
    await page.close();
  });

  test('typing in the search box suggests codes; Enter on a suggestion opens it', async () => {
    const w = await visit('/');
    const box = w.page.getByRole('combobox');
    await box.fill('hemtj');
    const options = w.page.getByRole('option');
    await options.first().waitFor();
    expect(await options.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/Hemtjänst/)]));
    await box.press('ArrowDown');
    await expect(box.getAttribute('aria-activedescendant')).resolves.toBe('q-forslag-0');
    await Promise.all([w.page.waitForURL(/\/kod\//), box.press('Enter')]);
    await checked(w);
    await w.page.close();
  });

  test('search ranks an exact code first and offers facets', async () => {
    const w = await visit('/sok?q=female');
    const first = main(w.page).locator('ol.concepts li').first();
    await expect(first.innerText()).resolves.toMatch(/^female/);
    await expect(w.page.getByRole('navigation', { name: 'Avgränsa' }).innerText()).resolves.toMatch(/Kodverk/);
    await w.page.close();
  });

  test('the English toggle keeps the address and changes the texts', async () => {
    const w = await visit('/informationsmangder');
    await Promise.all([w.page.waitForURL(/\/informationsmangder$/), w.page.getByRole('link', { name: 'English' }).click()]);
    await expect(w.page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(w.page.locator('h1').textContent()).resolves.toBe('National information models');
    await checked(w, 'nim-lista-en');
    await Promise.all([w.page.waitForURL(/\/informationsmangder$/), w.page.getByRole('link', { name: 'Svenska' }).click()]);
    await expect(w.page.locator('html').getAttribute('lang')).resolves.toBe('sv');
    await w.page.close();
  });

  test('the catalogue filters as you type, in the browser, with Swedish stemming', async () => {
    const w = await visit('/katalog?typ=CodeSystem', 'katalog');
    const rows = w.page.locator('#katalog tbody tr:not([hidden])');
    const all = await rows.count();
    await w.page.getByLabel('Text eller kod').fill('verkställighet');
    await w.page.waitForFunction((n) => document.querySelectorAll('#katalog tbody tr:not([hidden])').length < n, all);
    await expect(rows.allInnerTexts()).resolves.toEqual([expect.stringMatching(/Verkställighet/i)]);
    await w.page.close();
  });

  test('a code system page has a keyboard-operable tree that loads children lazily', async () => {
    const w = await visit('/kodsystem/insatskategori', 'kodsystem-insatskategori');
    const tree = w.page.getByRole('tree');
    const first = tree.getByRole('treeitem').first();
    await first.focus();
    await expect(first.getAttribute('tabindex')).resolves.toBe('0');
    const code = await tree.locator('[role=treeitem][aria-expanded=false]').first().getAttribute('data-code');
    const expandable = tree.locator(`[role=treeitem][data-code="${code}"]`);
    await expandable.focus();
    await w.page.keyboard.press('ArrowRight');
    // the children are fetched when the node opens
    await w.page.waitForSelector(`[role=treeitem][data-code="${code}"][aria-expanded=true] [role=group] [role=treeitem]`);
    await w.page.keyboard.press('ArrowRight');
    const focused = await w.page.evaluate(() => document.activeElement?.getAttribute('aria-level'));
    expect(focused).toBe('2');
    await w.page.keyboard.press('ArrowLeft');
    await expect(w.page.evaluate(() => document.activeElement?.getAttribute('aria-level'))).resolves.toBe('1');
    await checked(w);
    await w.page.close();
  });

  test('code systems download as CSV (semicolons, BOM) and XLSX', async () => {
    const csv = await fetch(`${origin}/kodsystem/lagrum/koder.csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toMatch(/^kod;benämning;beskrivning;överordnad;status/);
    const xlsx = await fetch(`${origin}/kodsystem/lagrum/koder.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as any);
    expect(wb.worksheets[0].rowCount).toBeGreaterThan(2);
  });

  test('a concept map and the concepts it maps link to each other', async () => {
    const w = await visit('/mappning/lagrum-sol2001-till-sol2025', 'mappning-lagrum');
    const link = main(w.page).locator('table a').first();
    await Promise.all([w.page.waitForURL(/\/kod\//), link.click()]);
    await checked(w);
    await expect(w.page.locator('#mappning-ut-rubrik, #mappning-in-rubrik').count()).resolves.toBe(2);
    await expect(main(w.page).innerText()).resolves.toMatch(/Lagrum: SoL 2001:453 → SoL 2025:400|SoL/);
    await w.page.close();
  });

  test('a value set shows its definition in words and pages and filters its expansion', async () => {
    const w = await visit('/vardemangd/insatskategori', 'vardemangd-insatskategori');
    await expect(w.page.locator('#definition-rubrik').textContent()).resolves.toBe('Definition');
    const heading = await w.page.locator('#koder-rubrik').innerText();
    const total = Number(/\((\d+)\)/.exec(heading)?.[1]);
    expect(total).toBeGreaterThan(5);
    await w.page.getByLabel('Filtrera').fill('hemtjänst');
    await Promise.all([w.page.waitForURL(/filter=/), w.page.getByRole('button', { name: 'Filtrera' }).click()]);
    await checked(w);
    const rows = await w.page.locator('table[aria-labelledby=koder-rubrik] tbody tr').allInnerTexts();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(total);
    for (const r of rows) expect(r).toMatch(/hemtjänst/i);
    await w.page.close();
  });

  test('a value set that cannot be expanded says why and offers its definition, not code lists that would fail', async () => {
    // FHIR core's account-type takes its codes from v3-ActCode, which the core package does not hold
    const w = await visit('/vardemangd/account-type');
    await expect(main(w.page).locator('p.error[role=alert]').innerText()).resolves.toMatch(/^Värdemängden kan inte expanderas: .*v3-ActCode/);
    const downloads = main(w.page).locator('p.downloads a');
    await expect(downloads.allInnerTexts()).resolves.toEqual(['FHIR JSON']);
    const definition = await fetch(origin + (await downloads.first().getAttribute('href')));
    expect(definition.status).toBe(200);
    // an expandable one offers the code lists, and they answer
    const ok = await visit('/vardemangd/insatskategori');
    const hrefs = await main(ok.page).locator('p.downloads a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.map((h) => h.split('/').pop())).toEqual(['koder.csv', 'koder.xlsx', 'insatskategori']);
    for (const h of hrefs) expect((await fetch(origin + h)).status).toBe(200);
    await w.page.close();
    await ok.page.close();
  });

  test('a code is linked only to a concept page that is there: not to codes of a code system held only by name', async () => {
    // FHIR core's animal-breeds lists Snomed CT codes; Snomed CT is held here only as core's stub
    const w = await visit('/vardemangd/animal-breeds');
    const text = await main(w.page).innerText();
    expect(text).toMatch(/\d{6,}/);
    await expect(main(w.page).locator('a[href*="/kod/"]').count()).resolves.toBe(0);
    // a code system with its concepts: every code links, and every link answers
    const ok = await visit('/vardemangd/kontaktsatt');
    const hrefs = await main(ok.page).locator('a[href*="/kod/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(hrefs.length).toBeGreaterThan(3);
    for (const h of hrefs) expect([h, (await fetch(origin + h)).status]).toEqual([h, 200]);
    await w.page.close();
    await ok.page.close();
  });

  test('a NIM shows its attributes with datatype, cardinality and bindings, linked to the value sets', async () => {
    const w = await visit('/informationsmangder', 'nim-lista');
    await Promise.all([w.page.waitForURL(/informationsmangder\/myndighetsbeslut/), w.page.getByRole('link', { name: /Myndighetsbeslut/ }).first().click()]);
    await checked(w, 'nim-myndighetsbeslut');
    const table = main(w.page).locator('table.attributes');
    await expect(table.locator('th[scope=col]').allInnerTexts()).resolves.toEqual(['Attribut', 'Beskrivning', 'Datatyp', 'Kardinalitet', 'Terminologibindning']);
    const text = await table.innerText();
    expect(text).toMatch(/Utfall/);
    expect(text).toMatch(/\d\.\.[\d*]/);
    expect(text).toMatch(/obligatorisk|utökningsbar|rekommenderad|exempel/);
    const vsLink = table.locator('a[href^="/vardemangd/"]').first();
    await Promise.all([w.page.waitForURL(/\/vardemangd\//), vsLink.click()]);
    await checked(w);
    await w.page.close();
  });

  test('two releases compare with a summary count and a shareable address', async () => {
    const w = await visit('/jamfor');
    await w.page.getByLabel('Vilket').selectOption('release');
    await w.page.getByLabel('Från').selectOption('1.0.0');
    await w.page.getByLabel('Till').selectOption('1.1.0');
    await Promise.all([w.page.waitForURL(/vad=release&fran=1\.0\.0&till=1\.1\.0/), w.page.getByRole('button', { name: 'Visa skillnader' }).click()]);
    await checked(w, 'jamfor-releaser');
    const summary = await w.page.locator('#summering + table').innerText();
    expect(summary).toMatch(/Informationsmängder/);
    const added = Number((await w.page.locator('#summering + table tbody tr').first().locator('td').first().innerText()).replace(/\s/g, ''));
    expect(added).toBeGreaterThan(0);
    await w.page.close();
  });

  test('unknown pages are a 404 page in the same layout', async () => {
    const res = await fetch(`${origin}/kodsystem/finns-inte`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/Sidan finns inte/);
  });

  describe("with Socialstyrelsen's KSI and ICF imported", () => {
    const why = whyNoKsiIcf();
    const maybe = why ? test.skip : test;
    if (why) console.warn(`KSI/ICF page tests skipped: ${why}`);

    maybe('"bedömning lärande" finds SA1.AA.ZZ, which shows its three axes and its ICF mapping', async () => {
      const w = await visit('/');
      await w.page.getByRole('combobox').fill('bedömning lärande');
      await Promise.all([w.page.waitForURL(/\/sok\?q=/), w.page.getByRole('combobox').press('Enter')]);
      await checked(w, 'sok-bedomning-larande');
      const hits = await main(w.page).locator('ol.concepts li').allInnerTexts();
      expect(hits.slice(0, 3).some((h) => h.startsWith('SA1.AA.ZZ'))).toBe(true);
      await Promise.all([w.page.waitForURL(/SA1\.AA\.ZZ/), main(w.page).locator('ol.concepts a', { hasText: 'SA1.AA.ZZ' }).first().click()]);
      await checked(w, 'begrepp-ksi-SA1.AA.ZZ');
      const axes = await w.page.locator('section[aria-labelledby=axlar-rubrik]').innerText();
      expect(axes).toMatch(/Inriktning\s+SA1/);
      expect(axes).toMatch(/Agerande\s+AA/);
      expect(axes).toMatch(/Metod\s+ZZ/);
      await expect(w.page.locator('section[aria-labelledby=urval-rubrik]').innerText()).resolves.toMatch(/ÄOH – äldreomsorg, handläggare/);
      await expect(w.page.locator('section[aria-labelledby=egenskaper-rubrik]').innerText()).resolves.toMatch(/Relaterad ICF-kod icf\s+d110-d199/);
      const out = w.page.locator('section[aria-labelledby=mappning-ut-rubrik]');
      // a range of ICF codes: folded, opened from the keyboard
      await out.locator('summary').focus();
      await w.page.keyboard.press('Enter');
      await expect(out.innerText()).resolves.toMatch(/ICF/);
      await expect(out.locator('a[href*="/kodsystem/icf"]').count()).resolves.toBeGreaterThan(0);
      await w.page.close();
    });

    maybe('the ÄOH selection lists KSI activities for äldreomsorg', async () => {
      const w = await visit('/vardemangd/ksi-aoh-2025', 'vardemangd-ksi-aoh');
      const heading = await w.page.locator('#koder-rubrik').innerText();
      expect(Number(/\(([\d\s\u00a0]+)\)/.exec(heading)?.[1].replace(/\D/g, ''))).toBeGreaterThan(50);
      const codes = await w.page.locator('table[aria-labelledby=koder-rubrik] tbody tr td:first-child').allInnerTexts();
      expect(codes.length).toBe(50);
      for (const c of codes) expect(c).toMatch(/^[A-Z0-9]{3}\.[A-Z0-9]{2}\.[A-Z0-9]{2}$/);
      // in code order (documented: KSI, ICF and KVÅ are stored and expanded in code order)
      expect(codes).toEqual([...codes].sort());
      expect(codes[0]).toBe('SA1.AA.ZZ');
      // the definition in words, the codes behind it
      await expect(w.page.locator('section[aria-labelledby=definition-rubrik]').innerText()).resolves.toMatch(/Urval ÄOH – äldreomsorg, handläggare är ja/);
      await w.page.close();
    });

    maybe('KSI filters by agerande, and ICF by component', async () => {
      const w = await visit('/kodsystem/ksi-2025');
      await w.page.getByLabel('Agerande', { exact: true }).selectOption('PH');
      await Promise.all([w.page.waitForURL(/p\.agerande=PH/), w.page.getByRole('button', { name: 'Avgränsa' }).click()]);
      await checked(w, 'kodsystem-ksi-agerande-PH');
      const codes = await w.page.locator('table[aria-labelledby=filter-traffar] tbody td:first-child').allInnerTexts();
      expect(codes.length).toBeGreaterThan(10);
      for (const c of codes) expect(c).toMatch(/^[A-Z0-9]{3}\.PH\.[A-Z0-9]{2}$/);
      await w.page.goto(`${origin}/kodsystem/icf-2025?under=d`);
      const icf = await w.page.locator('table[aria-labelledby=filter-traffar] tbody td:first-child').allInnerTexts();
      expect(icf.length).toBeGreaterThan(10);
      for (const c of icf) expect(c).toMatch(/^d/);
      await w.page.close();
    });

    maybe('ICF d4500 shows its parents and children', async () => {
      const w = await visit('/kodsystem/icf-2025/kod/d4500', 'begrepp-icf-d4500');
      const parents = await w.page.locator('section[aria-labelledby=overordnade-rubrik]').innerText();
      expect(parents).toMatch(/d450/);
      // properties by their Swedish names, the code as secondary text
      const props = w.page.locator('section[aria-labelledby=egenskaper-rubrik] th[scope=row]');
      await expect(props.allInnerTexts()).resolves.toContain('Kodnivå kodniva');
      await expect(props.locator('span', { hasText: /^kodniva$/ }).count()).resolves.toBe(0);
      await w.page.close();
    });

    maybe('the search facets include the KSI sakområde and narrow the result', async () => {
      const w = await visit('/sok?q=bed%C3%B6mning');
      const facet = w.page.locator('h3#facet-sakomrade + ul a', { hasText: 'ÄOH' });
      await Promise.all([w.page.waitForURL(/sakomrade=/), facet.click()]);
      await checked(w);
      await expect(w.page.locator('h3#facet-sakomrade + ul a[aria-current]').innerText()).resolves.toMatch(/ÄOH/);
      await w.page.close();
    });

    maybe('release 1.1.0 followed the KSI import: ksi-aoh 2025 with its 890 codes, the refresh an event with the diff', async () => {
      const manifest = await jsonOf<ReleaseManifest>(await fetch(`${origin}/releases/1.1.0`));
      const aoh = manifest.valueSets.find((v: any) => v.url === 'https://kodverk.se/fhir/ValueSet/ksi-aoh');
      expect(aoh).toMatchObject({ version: '2025', state: 'expanded', total: 890 });
      for (const v of manifest.valueSets.filter((x: any) => /\/(ksi|icf)/.test(x.url))) expect(v.state).not.toBe('no-codes-yet');
      const w = await visit('/utgavor/1.1.0', 'utgava-1.1.0');
      const sets = await main(w.page).locator('section[aria-labelledby=vs-rubrik]').innerText();
      expect(sets).toMatch(/KSI – urval ÄOH \(äldreomsorg, handläggare\)\s+2025[^\n]*\s+890/);
      expect(sets).not.toMatch(/CodeSystem\/(ksi|icf)\b[^\n]*(not imported|inte importerat)/);
      const refresh = main(w.page).locator('section[aria-labelledby=handelser-rubrik] li.refresh', { hasText: 'ksi-2025.xlsx' });
      await expect(refresh.count()).resolves.toBe(1);
      const line = refresh.locator('li', { hasText: 'KSI – urval ÄOH' });
      await expect(line.innerText()).resolves.toMatch(/KSI – urval ÄOH \(äldreomsorg, handläggare\): 0\.1\.0 → 2025, 890 tillagda/);
      // the codes it added, behind a disclosure opened from the keyboard
      await line.locator('summary').focus();
      await w.page.keyboard.press('Enter');
      await expect(line.locator('details ul li').first().innerText()).resolves.toMatch(/^[A-Z0-9]{3}\.[A-Z0-9]{2}\.[A-Z0-9]{2}\b/);
      await checked(w);
      const feed = await jsonOf<ReleaseJsonFeed>(await fetch(`${origin}/releases/feed.json`));
      expect(feed.items.some((i: any) => i._kodverk.status === 'uppdaterad' && /ksi-2025\.xlsx/.test(i.content_text))).toBe(true);
      await w.page.close();
    });

    maybe("a vendor's repeated $expand of ksi-aoh is answered 304", async () => {
      const url = `${origin}/fhir/ValueSet/$expand?url=${encodeURIComponent('https://kodverk.se/fhir/ValueSet/ksi-aoh')}`;
      const first = await fetch(url);
      expect((await jsonOf<ValueSet>(first)).expansion!.total).toBe(890);
      const again = await fetch(url, { headers: { 'If-None-Match': first.headers.get('etag')! } });
      expect(again.status).toBe(304);
      expect((await fetch(url, { headers: { Accept: 'application/fhir+xml' } })).status).toBe(406);
    });

    maybe('a value set is listed once, with its versions behind it, and names the releases binding it', async () => {
      const w = await visit('/kodsystem/ksi-2025/kod/SA1.AA.ZZ');
      const listed = await w.page.locator('section[aria-labelledby=vardemangder-rubrik] ul.value-sets > li').allInnerTexts();
      const titles = listed.map((t) => t.replace(/\s+versions?er?\s.*$/, ''));
      expect(new Set(titles).size).toBe(titles.length);
      expect(listed.filter((t) => /ÄOH/.test(t))).toEqual([expect.stringMatching(/^KSI – urval ÄOH \(äldreomsorg, handläggare\)/)]);
      const catalogue = await visit('/katalog?typ=ValueSet&filter=%C3%84OH');
      await expect(catalogue.page.locator('#katalog tbody tr', { hasText: 'urval ÄOH' }).count()).resolves.toBe(1);
      await catalogue.page.close();
      const vs = await visit('/vardemangd/ksi-aoh-2025');
      const pins = await vs.page.locator('section[aria-labelledby=pins-rubrik]').innerText();
      expect(pins).toMatch(/Utgåvor som binder värdemängden/);
      expect(pins).toMatch(/1\.1\.0[^\n]*\s+2025 flytande/);
      await vs.page.close();
      await w.page.close();
    });

    maybe("the import's quality report: SA1.AA.ZZ carries a notice about its inclusions, KSI's page the whole report", async () => {
      const w = await visit('/kodsystem/ksi-2025/kod/SA1.AA.ZZ', 'begrepp-ksi-SA1.AA.ZZ-anmarkning');
      const notice = w.page.getByRole('complementary', { name: 'Anmärkningar från importen' });
      const text = await notice.innerText();
      expect(text).toMatch(/Källfilen anger under Innefattar SFA\.AA\.ZZ, SFB\.AA\.ZZ, SFD\.AA\.ZZ, SFJ\.AA\.ZZ, SFK\.AA\.ZZ, som hör till en annan inriktning \(SFA, SFB, SFD, SFJ, SFK\) än koden själv \(SA1\)/);
      expect(text).toMatch(/ksi-2025\.xlsx/);
      // the inclusions themselves are shown as published
      await expect(w.page.locator('section[aria-labelledby=innefattar-rubrik]').innerText()).resolves.toMatch(/SFA\.AA\.ZZ/);
      await Promise.all([w.page.waitForURL(/\/kod\/SFA\.AA\.ZZ$/), notice.getByRole('link', { name: 'SFA.AA.ZZ' }).click()]);
      await checked(w);
      const cs = await visit('/kodsystem/ksi-2025');
      const report = cs.page.locator('section[aria-labelledby=kvalitet-rubrik]');
      await expect(report.locator('summary').allInnerTexts()).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/^Innefattar koder i en annan inriktning eller ett annat kapitel \(1\)$/), expect.stringMatching(/^Hänvisningar till koder som inte finns \(\d+\)$/)]));
      await cs.page.close();
      await w.page.close();
    });

    maybe('two KSI versions compare code by code', async () => {
      const w = await visit('/jamfor?vad=CodeSystem%7Chttps%3A%2F%2Fkodverk.se%2Ffhir%2FCodeSystem%2Fksi&fran=2024&till=2025', 'jamfor-ksi');
      const summary = await w.page.locator('#summering + table').innerText();
      expect(summary).toMatch(/Koder/);
      await w.page.close();
    });
  });
  /**
   * Made-up content imported into the running server, as `kodverk import fhir` does (no
   * Socialstyrelsen data needed): a new version of the national list Kontaktsätt (one title
   * changed, a code added whose title repeats another's) with a new version of its value set, and
   * a new version of the Juridiskt kön value set that the fastställd release 1.0.0 binds too.
   * Runs last: it changes release 1.1.0.
   */
  describe('after a made-up import', () => {
    const KONTAKTSATT = 'https://kodverk.se/fhir/CodeSystem/kontaktsatt';
    let adoptedBefore: unknown;

    beforeAll(async () => {
      const { runImport } = require('../../src/importers/run-import');
      const { importerFor } = require('../../src/importers');
      const { openNim, releaseImportHooks } = require('../../src/nim');
      const { db, store } = kodverk.server;
      const [cs] = store.byUrl('CodeSystem', KONTAKTSATT);
      const [vs] = store.byUrl('ValueSet', 'https://kodverk.se/fhir/ValueSet/kontaktsatt');
      const [kon] = store.byUrl('ValueSet', 'https://kodverk.se/fhir/ValueSet/juridiskt-kon');
      const concept = [
        ...cs.resource.concept.map((c: any) => (c.code === 'vard' ? { ...c, display: 'Hälso- och sjukvård' } : c)),
        { code: 'fritidshem', display: 'Skola' },
      ];
      const resources = [
        { ...cs.resource, id: 'kontaktsatt-2026.2', version: '2026.2', count: concept.length, concept },
        { ...vs.resource, id: 'kontaktsatt-2026.2', version: '2026.2', compose: { include: [{ system: KONTAKTSATT, concept: concept.map((c: any) => ({ code: c.code })) }] } },
        { ...kon.resource, id: 'juridiskt-kon-2026.2', version: '2026.2' },
      ];
      adoptedBefore = await (await fetch(`${origin}/releases/1.0.0`)).json();
      const file = path.join(kodverk.server.dir, 'kontaktsatt-2026.2.json');
      fs.writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) }));
      await runImport(db, store, importerFor('fhir'), file, {}, undefined, releaseImportHooks(openNim(db, store)));
    }, 120_000);

    test('release 1.1.0 followed the import: the refresh is an event on the release page, with what changed; the fastställd 1.0.0 did not change', async () => {
      const manifest = await jsonOf<ReleaseManifest>(await fetch(`${origin}/releases/1.1.0`));
      expect(manifest.valueSets.find((v: any) => v.url === 'https://kodverk.se/fhir/ValueSet/kontaktsatt')).toMatchObject({ version: '2026.2', state: 'expanded', total: 5 });
      expect(await (await fetch(`${origin}/releases/1.0.0`)).json()).toEqual(adoptedBefore);
      const w = await visit('/utgavor/1.1.0', 'utgava-1.1.0-uppdaterad');
      const refresh = main(w.page).locator('section[aria-labelledby=handelser-rubrik] li.refresh', { hasText: 'kontaktsatt-2026.2.json' });
      await expect(refresh.count()).resolves.toBe(1);
      await expect(refresh.innerText()).resolves.toMatch(/uppdaterad/i);
      await expect(refresh.locator('li', { hasText: 'Kontaktsätt' }).first().innerText()).resolves.toMatch(/Kontaktsätt vid aktualisering[^\n]*: 2026\.1 → 2026\.2, 1 tillagd/);
      await expect(refresh.locator('li', { hasText: 'Juridiskt kön' }).first().innerText()).resolves.toMatch(/2026\.1 → 2026\.2/);
      await w.page.close();
    });

    test('a value set with two versions is listed once, its versions behind it', async () => {
      const w = await visit('/kodsystem/kontaktsatt-2026.2/kod/polis');
      const listed = await w.page.locator('section[aria-labelledby=vardemangder-rubrik] ul.value-sets > li').allInnerTexts();
      expect(listed).toEqual([expect.stringMatching(/^Kontaktsätt vid aktualisering \(alla koder\) versioner 2026\.1, 2026\.2$/)]);
      const catalogue = await visit('/katalog?typ=ValueSet&filter=Kontakts%C3%A4tt');
      await expect(catalogue.page.locator('#katalog tbody tr', { hasText: 'Kontaktsätt vid aktualisering' }).count()).resolves.toBe(1);
      await catalogue.page.close();
      await w.page.close();
    });

    test("the import's quality report shows on the concepts it is about", async () => {
      const w = await visit('/kodsystem/kontaktsatt-2026.2/kod/vard', 'begrepp-kontaktsatt-anmarkning');
      const notice = w.page.getByRole('complementary', { name: 'Anmärkningar från importen' });
      await expect(notice.innerText()).resolves.toMatch(/Benämning: ändrad sedan version 2026\.1\.[\s\S]*kontaktsatt-2026\.2\.json/);
      await notice.locator('summary').focus();
      await w.page.keyboard.press('Enter');
      await expect(notice.locator('details').innerText()).resolves.toMatch(/Vård[\s\S]*Hälso- och sjukvård/);
      const duplicate = await visit('/kodsystem/kontaktsatt-2026.2/kod/fritidshem');
      await expect(duplicate.page.getByRole('complementary', { name: 'Anmärkningar från importen' }).innerText()).resolves.toMatch(/Källfilen ger också skola benämningen "Skola"/i);
      await duplicate.page.close();
      // the code system page has the whole report
      const cs = await visit('/kodsystem/kontaktsatt-2026.2');
      await expect(cs.page.locator('section[aria-labelledby=kvalitet-rubrik] summary').allInnerTexts()).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/\(2\)$/), expect.stringMatching(/\(1\)$/)]));
      await cs.page.close();
      await w.page.close();
    });
  });

  test("every page speaks Socialstyrelsen's Swedish: utgåva (never release), properties by name, sakområden written out; no console errors", async () => {
    const pages = ['/', '/katalog', '/katalog?typ=ValueSet', '/sok?q=kontakt', '/informationsmangder', '/informationsmangder/insats', '/utgavor', '/utgavor/1.1.0', '/utgavor/1.0.0', '/jamfor', '/jamfor?vad=release&fran=1.0.0&till=1.1.0', '/kodsystem/sakomrade', '/kodsystem/sakomrade/kod/aldreomsorg', '/kodsystem/kontaktsatt', '/kodsystem/kontaktsatt/kod/polis', '/vardemangd/kontaktsatt', '/vardemangd/sakomrade'];
    if (kodverk.withKsiIcf) pages.push('/kodsystem/ksi-2025', '/kodsystem/ksi-2025/kod/SA1.AA.ZZ', '/vardemangd/ksi-aoh-2025', '/kodsystem/icf-2025/kod/d4500');
    const meaning = new Map(SAKOMRÅDEN.map((s) => [s.flagga, s.betydelse.split(',')[0]]));
    const flags = new RegExp(`(?<![\\p{L}\\p{N}])(${[...meaning.keys()].join('|')})(?![\\p{L}\\p{N}])`, 'gu');
    for (const path of pages) {
      const w = await visit(path);
      // the visible text, without code shown as code (API addresses such as GET /releases/1.1.0)
      const text = await w.page.evaluate(() => {
        const body = document.body.cloneNode(true) as PageElement;
        body.querySelectorAll('code, pre, kbd, samp, script, style').forEach((e) => e.remove());
        return (body as PageElement).innerText;
      });
      expect([path, text.match(/\breleas\w*/gi)]).toEqual([path, null]);
      // each flag with its meaning beside it (ÄOH – äldreomsorg, handläggare; … i kolumnen ÄOH)
      for (const m of text.matchAll(flags)) expect([path, m[0], text.slice(Math.max(0, m.index! - 120), m.index! + 120).includes(meaning.get(m[1])!)]).toEqual([path, m[0], true]);
      // a property is named in words; its code, where shown, is secondary text beside the name
      const properties = w.page.locator('section[aria-labelledby=egenskaper-rubrik] th[scope=row]');
      const unnamed = await properties.filter({ hasNot: w.page.locator('code.secondary') }).allInnerTexts();
      expect([path, unnamed]).toEqual([path, []]);
      await w.page.close();
    }
  }, 240_000);
});
