/** `lethe check`: validate policies.yaml, then against the live schema and the clock values stored. Exit 2 on any error. */
import { checkClocks } from '../../clock/check-clocks.js';
import { ConfigError, formatProblem } from '../../errors.js';
import { sortProblems } from '../../policy/load.js';
import type { Runtime } from '../context.js';

export async function checkCommand(rt: Runtime): Promise<number> {
  const clocks = await checkClocks(rt.adapter, rt.policy, rt.schema, rt.now ?? (await rt.adapter.dbNow()));
  const errors = clocks.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError(`${rt.policy.file}: ${errors.length} problem(s) with the clock values stored`, sortProblems(errors));
  const warnings = sortProblems([...rt.warnings, ...clocks]);
  const rules = rt.policy.providers.flatMap((p) => p.rules);
  const summary = {
    file: rt.policy.file,
    sha256: rt.policy.sha256,
    providers: rt.policy.providers.length,
    rules: rules.length,
    enforced: rules.filter((r) => r.kind === 'enforce').length,
    retain: rules.filter((r) => r.kind === 'retain').length,
    unspecified: rules.filter((r) => r.kind === 'unspecified').length,
    warnings: warnings.map(formatProblem),
  };
  if (rt.json) process.stdout.write(JSON.stringify({ ok: true, ...summary }, null, 2) + '\n');
  else {
    for (const w of summary.warnings) process.stdout.write(w + '\n');
    process.stdout.write(
      `ok: ${summary.file} (sha256 ${summary.sha256.slice(0, 12)}): ${summary.providers} providers, ${summary.rules} rules — ${summary.enforced} enforced, ${summary.retain} retain, ${summary.unspecified} unspecified (reported as gaps); ${summary.warnings.length} warning(s)\n`,
    );
  }
  return 0;
}
