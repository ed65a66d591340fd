import type { BundleLink } from '@medplum/fhirtypes';

/** Bundle `link`s with absolute URLs under the sandbox's FHIR base (FHIR R4 http.html#paging). */
export function pageLinks(base: string, query: URLSearchParams, count: number, offset: number, total: number): BundleLink[] {
  const at = (o: number) => {
    const q = new URLSearchParams(query);
    q.set('_count', String(count));
    q.set('_offset', String(o));
    return `${base}?${q}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: at(offset) }];
  if (offset + count < total) links.push({ relation: 'next', url: at(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: at(Math.max(0, offset - count)) });
  return links;
}
