/** `lethe start`: runs the daemon until SIGTERM/SIGINT; SIGHUP reloads policies.yaml. */
import { UsageError } from '../../errors.js';
import { Daemon } from '../../daemon/daemon.js';
import { prepareQuickstart } from '../../daemon/quickstart.js';
import { createLogger } from '../../log.js';
import { loadPolicyFile } from '../../policy/load.js';
import { configPath, injectedNow, type GlobalOptions } from '../context.js';

/** How long a stop may take before the process exits anyway (the contract is 10 s). */
const STOP_DEADLINE_MS = 9_000;

/**
 * The same signal again this soon after the first is the same Ctrl-C: a terminal signals the
 * whole process group, and a parent such as npm forwards its own copy too. A signal after this
 * window (a deliberate second Ctrl-C), or a different one (SIGTERM then SIGINT), forces the exit.
 */
const SAME_SIGNAL_MS = 1_000;

export async function startCommand(g: GlobalOptions, env: NodeJS.ProcessEnv, o: { runNow?: boolean; port?: string; host?: string }): Promise<number> {
  const port = Number(o.port ?? env.LETHE_HTTP_PORT ?? 9464);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${o.port ?? env.LETHE_HTTP_PORT}" is not a port number`);
  const log = createLogger({ fd: 1 });
  // The quickstart only ever creates the default store; a named store must already exist.
  await prepareQuickstart(g, env, loadPolicyFile(configPath(g, env)).policy, log, injectedNow(g, env));

  const daemon = new Daemon({ global: g, env, log, runNow: o.runNow ?? false, port, host: o.host ?? env.LETHE_HTTP_HOST ?? '0.0.0.0' });
  let first: { signal: NodeJS.Signals; at: number } | null = null;
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const onStop = (signal: NodeJS.Signals) => {
    if (first !== null) {
      if (signal === first.signal && performance.now() - first.at < SAME_SIGNAL_MS) {
        log.debug({ event: 'stop:repeat', signal }, 'the same stop signal again (a terminal and its parent process both send it): still stopping gracefully');
        return;
      }
      log.warn({ event: 'stop:forced', signal }, 'second signal: exiting now without waiting for the batch');
      process.exit(1);
    }
    first = { signal, at: performance.now() };
    const deadline = setTimeout(() => {
      log.error({ event: 'stop:deadline' }, 'the current batch did not finish in time; exiting (its transaction is rolled back, the run is marked interrupted on the next start)');
      process.exit(0);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    daemon.stop(signal).then(
      () => done(0),
      (err: Error) => {
        log.error({ event: 'stop:error', error: err.message }, 'error while stopping');
        done(1);
      },
    );
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => void daemon.reload('sighup'));

  try {
    await daemon.start();
  } catch (err) {
    await daemon.stop('start failed').catch(() => undefined);
    throw err;
  }
  return finished;
}
