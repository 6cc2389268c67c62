// Drift shown as a diff: per node and report, what changed from what to what, better or worse in words and symbol.
import { groupDrift, type ChangeSet, type Transition } from '../../drift-diff.js';
import { fmtTime, h, route } from './dom.js';

const DIRECTION = { worse: '▲ worse', better: '▼ better', changed: '• changed' } as const;

function changeSet(s: ChangeSet, withHost: boolean): HTMLElement {
  return h(
    'section',
    { class: 'diff' },
    h(
      'h3',
      {},
      withHost
        ? h('a', { class: 'nowrap', href: route(`/node/${encodeURIComponent(s.hostname)}`) }, s.hostname)
        : null,
      withHost ? ' ' : null,
      h('time', { datetime: new Date(s.at).toISOString() }, fmtTime(s.at)),
      h('span', { class: 'muted' }, ` ${s.changes.length} change${s.changes.length === 1 ? '' : 's'}`),
    ),
    h(
      'ul',
      {},
      ...s.changes.map((c) =>
        h(
          'li',
          { class: `d-${c.direction}` },
          h('span', { class: 'dir' }, DIRECTION[c.direction]),
          h('span', { class: 'what' }, c.what),
          c.id ? h('code', {}, c.id) : null,
          h('del', {}, c.from),
          h('span', { 'aria-hidden': 'true' }, '→'),
          h('span', { class: 'sr-only' }, 'to'),
          h('ins', {}, c.to),
        ),
      ),
    ),
  );
}

export function driftView(rows: Transition[], withHost: boolean): HTMLElement {
  const sets = groupDrift(rows);
  return h(
    'div',
    { class: 'diffs' },
    sets.length
      ? sets.map((s) => changeSet(s, withHost))
      : h('p', { class: 'muted' }, 'No changes recorded.'),
  );
}
