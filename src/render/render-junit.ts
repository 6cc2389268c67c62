// JUnit XML for CI systems (Jenkins, GitLab, GitHub Actions test reports): one test case per rule, vulnerability or
// image finding; a failure is a failed case, what ctrsafe could not judge is a skipped case with the reason.
export interface JunitCase {
  classname: string;
  name: string;
  failure?: { message: string; body: string };
  skipped?: string;
}

export interface JunitSuite {
  name: string;
  cases: JunitCase[];
}

/** XML 1.0 text: the five entities escaped and characters XML cannot carry (C0 controls but tab/newline) dropped. */
function xml(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex -- naming the control characters XML allows is the point
      .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

export function renderJunit(suites: readonly JunitSuite[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const count = (f: (c: JunitCase) => boolean) => suites.reduce((n, s) => n + s.cases.filter(f).length, 0);
  out.push(
    `<testsuites name="ctrsafe" tests="${count(() => true)}" failures="${count((c) => !!c.failure)}" skipped="${count((c) => c.skipped !== undefined)}">`,
  );
  for (const s of suites) {
    const failures = s.cases.filter((c) => c.failure).length;
    const skipped = s.cases.filter((c) => c.skipped !== undefined).length;
    out.push(
      `  <testsuite name="${xml(s.name)}" tests="${s.cases.length}" failures="${failures}" skipped="${skipped}">`,
    );
    for (const c of s.cases) {
      const head = `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}"`;
      if (c.failure)
        out.push(
          `${head}>`,
          `      <failure message="${xml(c.failure.message)}">${xml(c.failure.body)}</failure>`,
          '    </testcase>',
        );
      else if (c.skipped !== undefined)
        out.push(`${head}>`, `      <skipped message="${xml(c.skipped)}"/>`, '    </testcase>');
      else out.push(`${head}/>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
