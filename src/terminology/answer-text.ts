import crypto from 'node:crypto';

/** An engine answer as JSON text with an entity tag of its content. */
export interface AnswerText {
  json: string;
  /** weak entity tag of the content alone: an expansion's identifier and timestamp, new on every call, left out */
  tag: string;
}

/**
 * Serialises an engine answer once and tags it from the same text (where it was made: in a worker
 * thread, so the HTTP thread neither serialises nor hashes). An expansion's identifier and
 * timestamp are written first in `expansion` and cut out of the text that is hashed, so equal
 * content has an equal tag.
 */
export function answerText(value: unknown): AnswerText {
  const vs = value as { resourceType?: string; expansion?: { identifier?: string; timestamp?: string } } | null;
  if (vs?.resourceType !== 'ValueSet' || !vs.expansion || (vs.expansion.identifier === undefined && vs.expansion.timestamp === undefined)) {
    const json = JSON.stringify(value);
    return { json, tag: tagOf(json) };
  }
  const { identifier, timestamp, ...rest } = vs.expansion;
  const head: Record<string, string> = {};
  if (identifier !== undefined) head.identifier = identifier;
  if (timestamp !== undefined) head.timestamp = timestamp;
  const json = JSON.stringify({ ...vs, expansion: { ...head, ...rest } });
  // the expansion's own first members, as written: unique (the identifier is a fresh UUID)
  const volatile = JSON.stringify(head).slice(1, -1);
  const at = json.indexOf(`"expansion":{${volatile}`) + '"expansion":{'.length;
  const stable = json.slice(0, at) + json.slice(at + volatile.length + (Object.keys(rest).length ? 1 : 0));
  return { json, tag: tagOf(stable) };
}

function tagOf(text: string): string {
  // one-shot hash: no Hash object per answer
  return `W/"${crypto.hash('sha256', text, 'base64url').slice(0, 32)}"`;
}
