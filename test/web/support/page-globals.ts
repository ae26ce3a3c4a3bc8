/**
 * The browser globals the page.evaluate and waitForFunction callbacks use, typed for the type
 * check. Those callbacks run in chromium, where `document` and `window` are the page's. The tests
 * are type-checked with Node's libraries only: TypeScript's DOM library would also replace Node's
 * fetch types in every test file (its Response.json() answers any). So a file whose callbacks use
 * them declares them itself, which emits nothing (the callbacks still name the page's globals):
 *
 *   declare const document: PageDocument;
 *
 * These are the parts of the DOM the callbacks use, nothing more.
 */

export interface PageNode {
  cloneNode(deep?: boolean): PageNode;
}

export interface PageElement extends PageNode {
  readonly id: string;
  readonly textContent: string | null;
  readonly innerText: string;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
  querySelectorAll(selectors: string): PageElementList;
  remove(): void;
}

export interface PageElementList extends Iterable<PageElement> {
  readonly length: number;
  forEach(fn: (element: PageElement) => void): void;
}

export interface PageDocument {
  readonly activeElement: PageElement | null;
  readonly body: PageElement;
  querySelectorAll(selectors: string): PageElementList;
}

export interface PageWindow {
  readonly innerHeight: number;
}
