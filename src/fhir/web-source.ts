import type { Request } from 'express';
import { rootUrl } from '../http/fhir-answers';
import { withWebSource } from '../terminology/web-source';

/** Page path prefixes by resource type (the id follows), given by the composition root. */
export type WebViews = Readonly<Record<string, string>>;

/** The absolute prefixes of the pages as this request's client reaches them. */
export function webViewsFor(req: Request, views: WebViews | undefined, publicBaseUrl: string | undefined): Record<string, string> | undefined {
  if (!views) return undefined;
  const root = rootUrl(req, publicBaseUrl);
  return Object.fromEntries(Object.entries(views).map(([type, path]) => [type, root + path]));
}

/**
 * A stored resource as the API returns it: with web-source naming its page (the terminology
 * ecosystem IG: "populated when the CodeSystem and ValueSet are read").
 */
export function withPage<T extends { resourceType?: string; id?: string; extension?: { url?: string }[] }>(resource: T, views: Record<string, string> | undefined): T {
  const prefix = resource.resourceType ? views?.[resource.resourceType] : undefined;
  return prefix && resource.id ? withWebSource(resource, prefix + encodeURIComponent(resource.id)) : resource;
}
