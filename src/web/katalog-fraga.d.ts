/** Types of public/katalog-fraga.js (shared by browser and server). */
import type lunr from 'lunr';
export function words(q: string): string[];
export function search(l: typeof lunr, index: lunr.Index, q: string): lunr.Index.Result[];
