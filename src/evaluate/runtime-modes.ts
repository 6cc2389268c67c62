// Works out the mode each runtime really runs in (setuid or unprivileged) from its helpers and configuration (pure).
import type { Facts } from '../facts/fact.js';
import { RUNTIMES, RUNTIME_IDS, type RuntimeId } from '../runtimes/locations.js';
import type { Mode } from '../runtimes/requirements.js';

export interface RuntimeMode {
  id: RuntimeId;
  installed: boolean;
  /** The installed mode; null when not installed or when it cannot be told. */
  mode: Mode | null;
  /** The mode readiness is judged in: the installed one, or the default install's when not installed. */
  judgedMode: Mode | null;
  /** True when the runtime is installed but cannot start containers for users in any mode. */
  broken: boolean;
  notes: string[];
}

export function resolveRuntimeModes(facts: Facts): RuntimeMode[] {
  return RUNTIME_IDS.map((id) => resolveOne(id, facts));
}

function resolveOne(id: RuntimeId, facts: Facts): RuntimeMode {
  const loc = RUNTIMES[id];
  const installed = facts.get(`runtime.${id}.installed`)?.value === true;
  if (!installed)
    return {
      id,
      installed,
      mode: null,
      judgedMode: loc.defaultMode,
      broken: false,
      notes: [
        `not installed; judged as a default install (${loc.defaultMode} mode: ${loc.defaultModeSource})`,
      ],
    };
  const notes: string[] = [];
  const helpers = loc.setuidHelpers.filter((k) => facts.has(`helper.${k}.path`));
  const setuid = helpers.filter((k) => facts.get(`helper.${k}.setuid_root`)?.value === true);
  const unknown = helpers.filter((k) => !facts.has(`helper.${k}.setuid_root`));
  const onNosuid = setuid.filter((k) => facts.get(`helper.${k}.on_nosuid_mount`)?.value === true);
  const allow = String(facts.get(`runtime.${id}.conf.allow setuid`)?.value ?? 'yes').toLowerCase();

  if (loc.defaultMode === 'unprivileged' && loc.setuidHelpers.length === 0)
    return { id, installed, mode: 'unprivileged', judgedMode: 'unprivileged', broken: false, notes };

  const alwaysSetuid = id === 'shifter' || id === 'sarus';
  if (setuid.length > 0 && onNosuid.length > 0) {
    notes.push(
      `${onNosuid.map((k) => facts.get(`helper.${k}.path`)?.value).join(', ')} is setuid root but sits on a nosuid mount, so the setuid bit has no effect`,
    );
    if (alwaysSetuid) return { id, installed, mode: 'setuid', judgedMode: 'setuid', broken: true, notes };
    return { id, installed, mode: 'unprivileged', judgedMode: 'unprivileged', broken: false, notes };
  }
  if (setuid.length > 0) {
    if (!alwaysSetuid && allow === 'no') {
      notes.push(
        `${facts.get(`helper.${setuid[0]}.path`)?.value} is setuid root but "allow setuid = no" turns setuid mode off`,
      );
      return { id, installed, mode: 'unprivileged', judgedMode: 'unprivileged', broken: false, notes };
    }
    notes.push(
      `${setuid.map((k) => facts.get(`helper.${k}.path`)?.value).join(', ')} is setuid root${alwaysSetuid ? '' : ` and "allow setuid = ${allow}"`}`,
    );
    return { id, installed, mode: 'setuid', judgedMode: 'setuid', broken: false, notes };
  }
  if (unknown.length > 0) {
    notes.push(
      `the mode of ${unknown.map((k) => facts.get(`helper.${k}.path`)?.value).join(', ')} is not recorded, so setuid mode cannot be told`,
    );
    return { id, installed, mode: null, judgedMode: null, broken: false, notes };
  }
  if (alwaysSetuid) {
    const bin = facts.get(`runtime.${id}.binary`)?.value;
    notes.push(`${bin ?? loc.name} is not setuid root, so it cannot set up containers for ordinary users`);
    return { id, installed, mode: null, judgedMode: 'setuid', broken: true, notes };
  }
  notes.push(
    helpers.length > 0
      ? 'the starter is present but not setuid root: unprivileged mode'
      : 'no setuid starter is installed: unprivileged mode',
  );
  return { id, installed, mode: 'unprivileged', judgedMode: 'unprivileged', broken: false, notes };
}
