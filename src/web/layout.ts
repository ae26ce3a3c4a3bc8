import type { Request } from 'express';
import { Fragment, Html, html, query } from './html';
import { Lang, TextKey, langOf, num, tr, word } from './i18n';

/** What every page renderer gets: the language, its texts and the request path. */
export class PageContext {
  readonly lang: Lang;
  constructor(readonly req: Request) {
    this.lang = langOf(req);
  }

  t(key: TextKey, ...args: (string | number)[]): string {
    return tr(this.lang, key, ...args);
  }

  /** A text with markup in its {0}, {1}, ... places (links inside a sentence). */
  tf(key: TextKey, ...parts: Fragment[]): Html {
    const pieces = tr(this.lang, key).split(/(\{\d+\})/);
    return html`${pieces.map((p) => {
      const m = /^\{(\d+)\}$/.exec(p);
      return m ? parts[Number(m[1])] : p;
    })}`;
  }

  n(value: number): string {
    return num(this.lang, value);
  }

  /** A status/strength/lifecycle code in words. */
  w(code: string | undefined): string {
    return word(this.lang, code);
  }

  /** A query parameter as a single string ('' when absent). */
  q(name: string): string {
    const v = this.req.query[name];
    return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
  }
}

export interface Crumb {
  label: string;
  href?: string;
}

export interface PageSpec {
  title: string;
  /** the trail above the heading; Start is added in front */
  crumbs?: Crumb[];
  /** API calls returning the same data as the page: FHIR calls relative to /fhir/, others from / */
  fhir?: string[];
  body: Fragment;
  /** extra scripts of /resurser/ this page needs */
  scripts?: string[];
  /** a heading other than the title (e.g. with a code in it) */
  heading?: Fragment;
}

const NAV: [TextKey, string][] = [
  ['navStart', '/'],
  ['navSearch', '/sok'],
  ['navCatalogue', '/katalog'],
  ['navNim', '/informationsmangder'],
  ['navDiff', '/jamfor'],
];

/** The page shell: skip link, banner with menu and language toggle, main, FHIR links, footer. */
export function layout(ctx: PageContext, spec: PageSpec): Html {
  const path = ctx.req.originalUrl;
  const here = ctx.req.path;
  const current = (href: string) => (href === '/' ? here === '/' : here === href || here.startsWith(href + '/'));
  const crumbs: Crumb[] = spec.crumbs ? [{ label: ctx.t('navStart'), href: '/' }, ...spec.crumbs] : [];
  const other = ctx.t('otherLangCode');
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${spec.title === ctx.t('siteName') ? spec.title : `${spec.title} – ${ctx.t('siteName')}`}</title>
<link rel="icon" href="/resurser/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/resurser/kodverk.css">
<script defer src="/resurser/kodverk.js"></script>
${(spec.scripts ?? []).map((s) => html`<script defer src="/resurser/${s}"></script>\n`)}
</head>
<body>
<a class="skip" href="#innehall">${ctx.t('skip')}</a>
<header class="banner">
  <div class="wrap banner-row">
    <a class="brand" href="/">${ctx.t('siteName')}</a>
    <nav aria-label="${ctx.t('mainMenu')}">
      <ul class="menu">
        ${NAV.map(([k, href]) => html`<li><a href="${href}"${current(href) ? html` aria-current="page"` : ''}>${ctx.t(k)}</a></li>`)}
      </ul>
    </nav>
    <a class="lang" href="/sprak${query({ till: other, tillbaka: path })}" lang="${other}" hreflang="${other}">${ctx.t('otherLang')}</a>
  </div>
</header>
<main id="innehall" tabindex="-1" class="wrap">
${crumbs.length ? breadcrumbs(ctx, crumbs, spec.title) : ''}
<h1>${spec.heading ?? spec.title}</h1>
${spec.body}
${spec.fhir?.length ? fhirLinks(ctx, spec.fhir) : ''}
</main>
<footer class="site-footer"><div class="wrap"><p>${ctx.t('footer')} <a href="/fhir/metadata">/fhir/metadata</a></p></div></footer>
</body>
</html>`;
}

function breadcrumbs(ctx: PageContext, crumbs: Crumb[], title: string): Html {
  return html`<nav aria-label="${ctx.t('breadcrumbs')}" class="crumbs"><ol>
${crumbs.map((c) => html`<li>${c.href ? html`<a href="${c.href}">${c.label}</a>` : c.label}</li>`)}
<li><span aria-current="page">${title}</span></li>
</ol></nav>`;
}

function fhirLinks(ctx: PageContext, calls: string[]): Html {
  return html`<aside class="fhir" aria-labelledby="fhir-rubrik">
<h2 id="fhir-rubrik">${ctx.t('fhirSame')}</h2>
<ul>${calls.map((c) => {
  const href = c.startsWith('/') ? c : `/fhir/${c}`;
  return html`<li><a href="${href}"><code>GET ${decodeForDisplay(href)}</code></a></li>`;
})}</ul>
</aside>`;
}

/** A FHIR call as people read it (| and : unescaped). */
function decodeForDisplay(call: string): string {
  try {
    return decodeURIComponent(call);
  } catch {
    return call;
  }
}

/** A definition list of label/value rows; rows without a value are left out. */
export function facts(rows: [string, Fragment][]): Html {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
  return html`<dl class="facts">${shown.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

/** Previous/next links for a paged list (page numbers from 1). */
export function pager(ctx: PageContext, pageNo: number, pages: number, hrefFor: (p: number) => string): Html {
  if (pages <= 1) return html``;
  return html`<nav class="pager" aria-label="${ctx.t('pagination')}">
${pageNo > 1 ? html`<a rel="prev" href="${hrefFor(pageNo - 1)}">← ${ctx.t('previous')}</a>` : ''}
<span>${ctx.t('page', ctx.n(pageNo), ctx.n(pages))}</span>
${pageNo < pages ? html`<a rel="next" href="${hrefFor(pageNo + 1)}">${ctx.t('next')} →</a>` : ''}
</nav>`;
}

/** A status badge (text, not colour alone, carries the meaning). */
export function badge(ctx: PageContext, status: string | undefined): Html {
  if (!status) return html``;
  return html`<span class="badge badge-${status}">${ctx.w(status)}</span>`;
}
