// Runs many `lethe` invocations in ONE Node process: it does what bin/lethe does
// (`await main(process.argv)` from dist/) once per invocation, capturing what the command
// writes to stdout and stderr and the exit code it sets. Node start-up and module loading
// (~0.5 s of CPU per bin/lethe process) are paid once instead of once per invocation.
//
// Usage: node cli-batch.mjs <spec.json> <results.json>
//   spec: { root, calls: [{ id, cwd, args, timeoutMs? }] }
//   results: [{ id, code, stdout, stderr }]   (code -1: main() did not settle in time)
//
// Only for commands that do not log through pino (which writes to fd 1 directly): the
// hostile-policy and usage paths, which fail before any run starts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [specFile, outFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const { main } = await import(pathToFileURL(join(spec.root, 'dist', 'src', 'cli', 'main.js')).href);
const bin = join(spec.root, 'bin', 'lethe');

const realOut = process.stdout.write;
const realErr = process.stderr.write;
const capture = (sink) =>
  function write(chunk, encoding, cb) {
    sink.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') done();
    return true;
  };

const results = [];
for (const call of spec.calls) {
  const out = { text: '' };
  const err = { text: '' };
  process.chdir(call.cwd);
  process.exitCode = undefined;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code;
  let timer;
  try {
    const settled = await Promise.race([
      main([process.execPath, bin, ...call.args]).then(() => true),
      new Promise((resolve) => (timer = setTimeout(() => resolve(false), call.timeoutMs ?? 20_000))),
    ]);
    code = settled ? Number(process.exitCode ?? 0) : -1;
  } catch (e) {
    // main() never throws; if it does, that is itself a finding.
    err.text += `cli-batch: main() threw: ${e?.stack ?? e}\n`;
    code = -2;
  } finally {
    clearTimeout(timer);
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push({ id: call.id, code, stdout: out.text, stderr: err.text });
}
process.exitCode = 0;
writeFileSync(outFile, JSON.stringify(results));
// Anything main() left behind (an unsettled run) must not keep the batch alive.
process.exit(0);
