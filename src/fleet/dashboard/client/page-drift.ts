// Drift: what changed on which node and when, newest first, across the fleet, as a diff per node and report.
import { getJson } from './api.js';
import { button, h, route } from './dom.js';
import { driftView } from './drift-view.js';
import { exportButtons } from './export-buttons.js';
import type { DriftRow } from './types.js';

const PAGE = 100;

export async function renderDrift(
  main: HTMLElement,
  params: URLSearchParams,
  onError: (e: unknown) => void,
): Promise<void> {
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const since = params.get('since') ?? '';
  const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if (since) q.set('since', since);
  const d = await getJson<{ rows: DriftRow[]; has_more: boolean }>(`/api/v1/drift?${q}`);
  const sinceInput = h('input', { type: 'date', name: 'since', value: since });
  const form = h(
    'form',
    { class: 'filters' },
    h('label', {}, 'Since', sinceInput),
    h('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = route('/drift', { since: sinceInput.value || undefined });
  });
  main.replaceChildren(
    h('h1', {}, 'Drift'),
    form,
    h(
      'div',
      { class: 'pager' },
      button(
        '← Newer',
        () =>
          (location.hash = route('/drift', {
            since: since || undefined,
            offset: Math.max(0, offset - PAGE) || undefined,
          })),
        offset > 0 ? '' : 'hidden',
      ),
      button(
        'Older →',
        () => (location.hash = route('/drift', { since: since || undefined, offset: offset + PAGE })),
        d.has_more ? '' : 'hidden',
      ),
      exportButtons(`/api/v1/drift?${q}`, 'drift', onError),
    ),
    driftView(d.rows, true),
  );
}
