// A page on this site to send the browser back to, from a value the request carries (the language
// toggle's `tillbaka`). Checking the text for a leading '/' is not enough: browsers read '/\host',
// '/\t/host' and the like as '//host', another site (an open redirect). So the value is resolved
// with the WHATWG URL parser, as a browser does, and kept only if it stays on this origin.

const HERE = 'http://kodverk.invalid';

/** The path, query and fragment of `value` if it names a page on this site, otherwise '/'. */
export function returnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(value, HERE + '/');
  } catch {
    return '/';
  }
  if (url.origin !== HERE) return '/';
  const local = url.pathname + url.search + url.hash;
  // what the parser made of it must itself be read as a path on this site
  return local.startsWith('/') && !local.startsWith('//') ? local : '/';
}
