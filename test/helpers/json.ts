import type { ResolvedValueSet } from '../../src/nim/binding-resolver';
import type { ReleaseSummary } from '../../src/nim/nim-releases';
import type { FeedEntry } from '../../src/nim/release-feed';
import type { ReadinessCheck } from '../../src/http/health';
import type { FollowerStatus } from '../../src/syndication/follower';

/**
 * A response's JSON body as the type the test reads it as. Node's fetch types `json()` as
 * `Promise<unknown>`; the type named here is the test's statement of what the server answers,
 * which the test's expectations then check (nothing is checked here at run time).
 */
export async function jsonOf<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** What /readyz answers (healthRoutes in src/http/health.ts). */
export interface Readiness {
  status: 'ready' | 'not ready';
  /** the failing checks, `name: detail` (503 only) */
  reasons?: string[];
  checks: Record<string, Pick<ReadinessCheck, 'ok' | 'detail'>>;
}

/** What /syndication/status answers on a follower (src/fhir/syndication/routes.ts). */
export type FollowerStatusAnswer = FollowerStatus & { role: 'follower' };

/** A NIM release's manifest, /releases/{version} (NimReleases.manifest and the routes' links). */
export type ReleaseManifest = ReleaseSummary & {
  date: string;
  valueSets: Omit<ResolvedValueSet, 'codes' | 'definition'>[];
  codeSystems: { url: string; version?: string }[];
  comments: number;
  links: Record<string, string>;
};

/** The JSON feed of NIM release events, /releases/feed.json (jsonFeed in src/nim/release-feed.ts). */
export interface ReleaseJsonFeed {
  version: string;
  title: string;
  items: {
    id: string;
    url: string;
    title: string;
    content_text: string;
    date_published: string;
    tags: string[];
    _kodverk: Pick<FeedEntry, 'version' | 'status' | 'changeClass' | 'effectiveFrom' | 'effectiveTo' | 'contentHash' | 'valueSets'>;
  }[];
}
