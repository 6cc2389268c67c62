// The dashboard's entry: sign-in with the admin token, navigation, and hash routes to each page.
import { SignedOut, adminToken, getJson, signIn, signOut } from './api.js';
import { button, h } from './dom.js';
import { renderDrift } from './page-drift.js';
import { renderGrid } from './page-grid.js';
import { renderMatrix } from './page-matrix.js';
import { renderNode } from './page-node.js';
import { renderNodes } from './page-nodes.js';
import { renderOverview } from './page-overview.js';
import { renderPlan } from './page-plan.js';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;

function showError(e: unknown): void {
  if (e instanceof SignedOut) return renderSignIn();
  main.prepend(h('p', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e)));
}

function renderSignIn(message = ''): void {
  nav.replaceChildren();
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    size: '40',
    required: '',
  });
  const form = h(
    'form',
    { class: 'signin' },
    h('h1', {}, 'Sign in'),
    h(
      'p',
      { class: 'muted' },
      'The admin token of this fleet server (CTRSAFE_ADMIN_TOKEN). It stays in this tab only.',
    ),
    message ? h('p', { class: 'error' }, message) : null,
    h('label', {}, 'Admin token', input),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    signIn(input.value.trim());
    getJson('/api/v1/summary/readiness')
      .then(() => void show())
      .catch((err) => renderSignIn(err instanceof SignedOut ? 'That token was refused.' : String(err)));
  });
  main.replaceChildren(form);
  input.focus();
}

function renderNav(active: string): void {
  const link = (href: string, label: string, key: string) =>
    h('a', { href, class: active === key ? 'active' : undefined }, label);
  nav.replaceChildren(
    link('#/', 'Overview', ''),
    link('#/plan', 'Patch plan', 'plan'),
    link('#/nodes', 'Nodes', 'nodes'),
    link('#/matrix', 'Matrix', 'matrix'),
    link('#/grid', 'Partitions', 'grid'),
    link('#/drift', 'Drift', 'drift'),
    button(
      'Sign out',
      () => {
        signOut();
        renderSignIn();
      },
      'small',
    ),
  );
}

async function show(): Promise<void> {
  if (!adminToken()) return renderSignIn();
  const [path = '/', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const [, page = '', ...rest] = path.split('/');
  renderNav(page);
  main.setAttribute('aria-busy', 'true');
  try {
    if (page === 'nodes') await renderNodes(main, params, showError);
    else if (page === 'node') await renderNode(main, decodeURIComponent(rest.join('/')), showError);
    else if (page === 'matrix') await renderMatrix(main, params);
    else if (page === 'grid') await renderGrid(main, params);
    else if (page === 'plan') await renderPlan(main, params, showError);
    else if (page === 'drift') await renderDrift(main, params, showError);
    else await renderOverview(main, params, showError);
  } catch (e) {
    main.replaceChildren();
    showError(e);
  } finally {
    main.removeAttribute('aria-busy');
  }
}

window.addEventListener('hashchange', () => void show());
void show();
