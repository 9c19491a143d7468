/**
 * The `lethe` command line. A thin shell: parses flags, resolves the runtime once, calls
 * a command, maps errors to exit codes (0 ok, 1 runtime failure, 2 usage or configuration).
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, LetheError, StoreError, exitCodeFor, safeErrorMessage } from '../errors.js';
import { openRuntime, printWarnings, refuseFutureNow, type GlobalOptions, type OpenOptions, type Runtime } from './context.js';
import { auditCommand, auditVerifyCommand } from './commands/audit.js';
import { approveCommand } from './commands/approve.js';
import { checkCommand } from './commands/check.js';
import { dbMigrateCommand, dbSeedCommand } from './commands/db.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { holdAddCommand, holdListCommand, holdReleaseCommand } from './commands/hold.js';
import { instructCommand, instructionsCommand, type InstructFlags } from './commands/instruct.js';
import { reportCommand } from './commands/report.js';
import { requestAddCommand, requestListCommand, type RequestAddFlags } from './commands/request.js';
import { startCommand } from './commands/start.js';
import { planCommand, runCommand } from './commands/run.js';
import { VERSION } from '../version.js';

const env = process.env;

type RuntimeOptions = OpenOptions & { quietWarnings?: boolean };

/** A reading command: read-only on SQLite, and no policy file needed when --db names the store. */
const READING_NO_POLICY: RuntimeOptions = { check: false, readonly: true, policy: 'optional' };

/**
 * Runs `fn` with a runtime opened from the global flags, closing the store afterwards;
 * `opts` may depend on the command's arguments (plan --save writes, plan alone reads).
 */
function withRuntime<A extends unknown[]>(program: Command, fn: (rt: Runtime, ...args: A) => Promise<number>, opts?: RuntimeOptions | ((...args: A) => RuntimeOptions)) {
  return async (...args: A) => {
    const o = typeof opts === 'function' ? opts(...args) : opts;
    const rt = await openRuntime(program.opts<GlobalOptions>(), env, o);
    if (!o?.quietWarnings && !program.opts<GlobalOptions>().quiet) printWarnings(rt.warnings);
    try {
      process.exitCode = await fn(rt, ...args);
    } catch (err) {
      // A driver's message can quote row values: only its code, constraint and table go out.
      if (err instanceof LetheError || err instanceof CommanderError) throw err;
      throw new StoreError(safeErrorMessage(rt.adapter, err), { cause: err });
    } finally {
      await rt.adapter.close();
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('lethe')
    .description('Retention enforcement for telecom data: policies.yaml in, audited purges out.')
    .version(VERSION)
    .option('--config <file>', 'policy file (env LETHE_CONFIG)', undefined)
    .option('--db <url>', 'store URL: sqlite:path, postgres://…, mysql://… (env LETHE_DATABASE_URL)')
    .option('--media-root <dir>', 'folder media paths are relative to (env LETHE_MEDIA_ROOT)')
    .option('--now <iso>', 'pretend it is this instant (env LETHE_NOW); for tests and what-if plans')
    .option('--json', 'machine-readable output')
    .option('--quiet', 'do not print policy warnings (errors are always printed)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('the daemon: schedules, hot reload, health and metrics, graceful stop')
    .option('--run-now', 'run every provider once at start, then on schedule')
    .option('--port <port>', 'HTTP port for /healthz, /readyz, /metrics (env LETHE_HTTP_PORT, default 9464)')
    .option('--host <host>', 'HTTP listen address (env LETHE_HTTP_HOST, default 0.0.0.0)')
    .action(async (o: { runNow?: boolean; port?: string; host?: string }) => {
      const code = await startCommand(program.opts<GlobalOptions>(), env, o);
      // Stopped: exit here, with the stop signals still handled. Left to end by itself, Node
      // restores their default action while it tears down, and a copy arriving then (npm
      // forwards its own Ctrl-C, late on a busy machine) killed the process (exit by SIGINT).
      // The logs are written synchronously, so nothing is lost.
      process.exit(code);
    });

  program
    .command('run')
    .description('one enforcement pass now')
    .option('--provider <id>', 'only this provider')
    .option('--rule <id>', 'only this rule')
    .option('--dry-run', 'do everything inside a transaction that is rolled back; counts exactly, changes nothing')
    .option('--force', 'override the mass-deletion guard for this run (recorded in the audit chain; prefer plan --save and approve)')
    .option('--by <who>', 'who runs it, recorded with --force (default: the OS user)')
    .option('--reason <text>', 'why, recorded with --force')
    .action(
      withRuntime(program, async (rt, o: { provider?: string; rule?: string; dryRun?: boolean; force?: boolean; by?: string; reason?: string }) => {
        if (!o.dryRun) await refuseFutureNow(rt, program.opts<GlobalOptions>(), 'run');
        return runCommand(rt, o);
      }, { enforces: true }),
    );

  program
    .command('plan')
    .description('what is due now, per provider and rule (changes nothing)')
    .option('--provider <id>', 'only this provider')
    .option('--rule <id>', 'only this rule')
    .option('--detailed-exitcode', 'exit 0 when a run would change nothing, 2 when it would change rows (due, neither held nor referenced), 1 on any error (as terraform plan)')
    .option('--save', 'record this plan (policy sha256, now, due rows per stage) for lethe approve; prints its id')
    .option('--by <who>', 'who saves it (default: the OS user)')
    .action(withRuntime(program, (rt, o: { provider?: string; rule?: string; detailedExitcode?: boolean; save?: boolean; by?: string }) => planCommand(rt, o), (o) => ({ readonly: !o.save })));

  program
    .command('approve')
    .description('approve a saved plan: the guard lets its stages run, up to the rows it counted, under the same policy')
    .argument('<plan_id>', 'the id lethe plan --save printed')
    .option('--by <who>', 'who approves (default: the OS user)')
    .requiredOption('--reason <text>', 'why these changes may go past the guard (ticket, decision)')
    .option('--expires <when>', 'an ISO instant or a period from now ("48 hours"); default 24 hours')
    .action(withRuntime(program, (rt, id: string, o: { by?: string; reason?: string; expires?: string }) => approveCommand(rt, id, o)));

  program
    .command('check')
    .description('validate policies.yaml against the live schema and the clock values stored')
    .action(async () => {
      try {
        await withRuntime(program, (rt) => checkCommand(rt), { quietWarnings: true, readonly: true })();
      } catch (err) {
        // With --json a failed check is still one JSON document on stdout, for CI.
        if (!(program.opts<GlobalOptions>().json && err instanceof ConfigError)) throw err;
        const problems = err.problems.map(({ file, line, col, path, message, hint, severity }) => ({ file, line, col, path, message, hint: hint ?? null, severity }));
        process.stdout.write(JSON.stringify({ ok: false, problems: problems.length ? problems : [{ message: err.message, severity: 'error' }] }, null, 2) + '\n');
        process.exitCode = 2;
      }
    });

  program
    .command('version')
    .description('the version of lethe and of Node.js it runs on')
    .action(() => {
      const v = { version: VERSION, node: process.version };
      process.stdout.write(program.opts<GlobalOptions>().json ? JSON.stringify(v) + '\n' : `lethe ${v.version} (Node.js ${v.node})\n`);
    });

  program
    .command('explain')
    .description('why a row is kept or due')
    .argument('<table>')
    .argument('<id>', 'the row: its key, or a JSON array for a composite key')
    .action(withRuntime(program, (rt, table: string, id: string) => explainCommand(rt, table, id), { readonly: true }));

  const audit = program
    .command('audit')
    .description('read the audit log')
    .option('--provider <id>')
    .option('--rule <id>')
    .option('--since <iso>', 'entries at or after this instant')
    .option('--until <iso>', 'entries before this instant')
    .option('--run <id>', 'entries of one run')
    .option('--table <table>', "entries about this table's rows")
    .option('--key <key>', 'with --table: entries that changed (or held) this row; a JSON array for a composite key')
    .option('--subject <table:key>', 'the erasure record of a row (accounts:42): its entries and those of every row that referenced it')
    .addOption(new Option('--format <format>', 'output format (html: a printable document, with --subject)').choices(['table', 'json', 'csv', 'html']))
    .action(withRuntime(program, (rt, o: Record<string, string>) => auditCommand(rt, o), READING_NO_POLICY));
  audit
    .command('verify')
    .description('recompute the hash chain (and check it against signed checkpoints); exit 1 and say what is wrong')
    .option('--checkpoints <dir>', 'folder of signed checkpoints (LETHE_CHECKPOINT_DIR, or a copy of it)')
    .option('--public-key <file>', 'the Ed25519 public key (PEM) the checkpoints must be signed with')
    .action(withRuntime(program, (rt, o: { checkpoints?: string; publicKey?: string }) => auditVerifyCommand(rt, o), READING_NO_POLICY));

  const hold = program.command('hold').description('legal holds');
  hold
    .command('add')
    .description('hold a row (and every row that references it) against every change')
    .argument('<table>')
    .argument('<id>', 'the row: its key, or a JSON array for a composite key')
    .requiredOption('--reason <text>', 'why the row is held (case, ticket, requester)')
    .option('--until <iso>', 'the hold lapses at this instant')
    .option('--by <who>', 'who places it (default: the OS user)')
    .action(withRuntime(program, (rt, table: string, id: string, o: { reason?: string; until?: string; by?: string }) => holdAddCommand(rt, table, id, o), { check: false }));
  hold
    .command('release')
    .description('release a hold; its rows are enforced again from the next run')
    .argument('<id>', 'hold id')
    .option('--reason <text>', 'why the hold ends')
    .option('--by <who>', 'who releases it (default: the OS user)')
    .action(withRuntime(program, (rt, id: string, o: { reason?: string; by?: string }) => holdReleaseCommand(rt, id, o), { check: false }));
  hold
    .command('list')
    .description('the active holds (with --all, released and expired ones too)')
    .option('--all', 'include released and expired holds')
    .action(withRuntime(program, (rt, o: { all?: boolean }) => holdListCommand(rt, o), READING_NO_POLICY));

  program
    .command('instruct')
    .description("a customer's instruction: move the schedule of a row and every row that references it, under the provider's rules that take instructions")
    .argument('<table>', 'table of the row the customer instructs about (e.g. accounts)')
    .argument('<key>', 'its key')
    .requiredOption('--rule <id>', 'the rule the instruction is given under (it must take instructions): `rule` or `provider/rule`')
    .option('--provider <id>', 'the provider, when the rule id is not unique')
    .option('--after <period>', "the rules' outcome comes this long after their clock (e.g. \"24 months\")")
    .option('--keep-until <iso>', 'nothing changes the rows before this instant')
    .option('--erase-now', "the rules' outcome is due at the next run, whatever the clock says")
    .option('--withdraw', 'withdraw the instruction in force on the row')
    .option('--reason <text>', 'what the customer asked, and where it is recorded')
    .option('--by <who>', 'who records it (default: the OS user)')
    .action(withRuntime(program, (rt, table: string, key: string, o: InstructFlags) => instructCommand(rt, table, key, o), { check: false }));
  program
    .command('instructions')
    .description('customer instructions in force (with --all, replaced, withdrawn and lapsed ones too)')
    .option('--all', 'include instructions no longer in force')
    .action(withRuntime(program, (rt, o: { all?: boolean }) => instructionsCommand(rt, o), READING_NO_POLICY));

  program
    .command('export')
    .description("write one customer's rows (the row and every row that references it) and media to a zip under store.export_root; audited with its sha256")
    .argument('<table>')
    .argument('<id>', 'the row: its key, or a JSON array for a composite key')
    .option('--by <who>', 'who exports (default: the OS user)')
    .option('--reason <text>', 'why (the request, ticket)')
    .action(withRuntime(program, (rt, table: string, id: string, o: { by?: string; reason?: string }) => exportCommand(rt, table, id, o), { check: false }));

  const request = program.command('request').description('data-subject requests (erasure, access) with the provider\'s deadline; the next run carries them out');
  request
    .command('add')
    .description('record a request about a row (and every row that references it); prints its id and deadline')
    .argument('<kind>', 'erasure or access')
    .argument('<table>')
    .argument('<key>', 'the row: its key, or a JSON array for a composite key')
    .requiredOption('--received <iso>', 'when the data subject made the request (not in the future)')
    .option('--by <who>', 'who records it (default: the OS user)')
    .option('--reason <text>', 'where the request came from (ticket, letter)')
    .option('--provider <id>', "the provider (default: the one whose tenant the row carries)")
    .action(withRuntime(program, (rt, kind: string, table: string, key: string, o: RequestAddFlags) => requestAddCommand(rt, kind, table, key, o), { check: false }));
  request
    .command('list')
    .description('open and conflicting requests with their deadlines (with --all, done ones too)')
    .option('--all', 'include requests that are done')
    .action(withRuntime(program, (rt, o: { all?: boolean }) => requestListCommand(rt, o), READING_NO_POLICY));

  program
    .command('report')
    .description('compliance posture per provider and rule')
    .option('--provider <id>', 'only this provider')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']))
    .action(withRuntime(program, (rt, o: { provider?: string; format?: string }) => reportCommand(rt, o), { readonly: true }));

  const db = program.command('db').description('reference schema and synthetic data');
  db.command('migrate')
    .description('create the reference telecom schema and lethe tables')
    .action(async () => {
      process.exitCode = await dbMigrateCommand(program.opts<GlobalOptions>(), env);
    });
  db.command('seed')
    .description('write deterministic synthetic telecom data')
    .option('--accounts <n>', 'accounts to create, spread over the five providers', '100')
    .option('--seed <s>', 'random seed', '1')
    .option('--no-media', 'do not write media files')
    .action(async (o: { accounts?: string; seed?: string; media?: boolean }) => {
      process.exitCode = await dbSeedCommand(program.opts<GlobalOptions>(), env, o);
    });

  return program;
}

/** Entry point: never throws; sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`lethe audit --format json | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is usage.
      process.exitCode = err.exitCode === 0 ? 0 : argv.includes('--detailed-exitcode') ? 1 : 2;
      return;
    }
    if (err instanceof ConfigError) process.stderr.write(`lethe: configuration error: ${err.message}\n`);
    else if (err instanceof LetheError) process.stderr.write(`lethe: ${err.message}\n`);
    // An error lethe did not expect: its name only (a message might hold data), the stack with LETHE_DEBUG=1.
    else process.stderr.write(`lethe: internal error (${(err as Error)?.name ?? 'unknown'})${process.env.LETHE_DEBUG === '1' ? `\n${(err as Error)?.stack ?? String(err)}` : '; run with LETHE_DEBUG=1 for details'}\n`);
    // With --detailed-exitcode, 2 means "rows are due"; every error is 1.
    process.exitCode = argv.includes('--detailed-exitcode') ? 1 : exitCodeFor(err);
  }
}
