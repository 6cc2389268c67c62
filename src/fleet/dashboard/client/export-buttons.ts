// "Export CSV / JSON" for any table: the same API query the table shows, without paging.
import { download } from './api.js';
import { button, h } from './dom.js';

export function exportButtons(apiPath: string, name: string, onError: (e: unknown) => void): HTMLElement {
  const u = new URL(apiPath, location.origin);
  u.searchParams.delete('offset');
  u.searchParams.delete('limit');
  const csv = new URL(u);
  csv.searchParams.set('format', 'csv');
  return h(
    'span',
    { class: 'export' },
    button(
      'Export CSV',
      () => void download(csv.pathname + csv.search, `ctrsafe-${name}.csv`).catch(onError),
      'small',
    ),
    button(
      'Export JSON',
      () => {
        const json = new URL(u);
        json.searchParams.set('format', 'json');
        download(json.pathname + json.search, `ctrsafe-${name}.json`).catch(onError);
      },
      'small',
    ),
  );
}
