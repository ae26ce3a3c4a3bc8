/**
 * Text for an XML 1.0 document, escaped for element content and attribute values. Characters XML
 * 1.0 does not allow at all (most C0 controls, U+FFFE, U+FFFF, lone surrogates) cannot be escaped
 * either, and one of them makes the whole document unreadable to a strict parser: each becomes
 * U+FFFD, the replacement character. Titles and descriptions are written by anyone with the
 * author role, and the feeds carrying them are read by other vendors' software.
 */
export function xmlText(s: string): string {
  return s
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
