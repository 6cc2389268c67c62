// Talks to the fleet API with the admin token kept for this browser tab only (sessionStorage, never a cookie).
const KEY = 'ctrsafe.admin-token';

export class SignedOut extends Error {}

export const adminToken = () => sessionStorage.getItem(KEY);
export const signIn = (t: string) => sessionStorage.setItem(KEY, t);
export const signOut = () => sessionStorage.removeItem(KEY);

async function call(path: string): Promise<Response> {
  const t = adminToken();
  if (!t) throw new SignedOut();
  const r = await fetch(path, { headers: { authorization: `Bearer ${t}` } });
  if (r.status === 401) {
    signOut();
    throw new SignedOut();
  }
  if (!r.ok) {
    const body = (await r.json().catch(() => ({}))) as { error?: string };
    throw new Error(`${path}: ${r.status} ${body.error ?? r.statusText}`);
  }
  return r;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await call(path)).json() as Promise<T>;
}

/** Saves an export (CSV or JSON) through a temporary object URL: the token never appears in a URL. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await call(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
