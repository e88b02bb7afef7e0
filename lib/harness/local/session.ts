import { InvalidInput } from '../../core/errors';
import { encodeEnvironment } from '../../core/contracts/environment';
import { startEmulator, Emulator } from './emulator';
import { seedLocalAccounts, LocalEnvironment } from './seed';
import { LocalRunner, LocalRunnerOptions, preloadHandlers } from './runner';
import { LOCAL_REGION } from './accounts';
import { EmulatorRouter } from './router';
import { loadSecurityTemplate } from './template-cache';
import type { CfnTemplate } from './template';
import { LocalStepFunctions } from './sfn-service';
import { probeEndpoint } from '../../operator/probe';

/** A ready local world: emulator (started or reused), seeded accounts, runner and router. */
export interface LocalSession {
  readonly env: LocalEnvironment;
  readonly runner: LocalRunner;
  readonly router: EmulatorRouter;
  /**
   * The local Step Functions service: what the handlers (chaining) and the CLI talk to for Step
   * Functions. The handlers find it through `FIREBREAK_SFN_ENDPOINT`.
   */
  readonly sfn: LocalStepFunctions;
  /**
   * Ends the session: the local Step Functions service closed, and the emulator this session started killed (a
   * throwaway: nothing is read from it afterwards, and moto keeps its state in memory only, so nothing is lost that a
   * graceful stop would keep); an emulator given by `endpoint` is left running.
   */
  close(): Promise<void>;
}

/** Options of {@link openLocalSession}. */
export interface LocalSessionOptions extends Omit<LocalRunnerOptions, 'template'> {
  /** Use an emulator that is already running (its state is left there for inspection). */
  readonly endpoint?: string;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
  /** Port of the local Step Functions service (the local stack's endpoint). @default a free port */
  readonly port?: number;
}

/**
 * Opens a local session: starts the embedded emulator (or uses `endpoint`), seeds the two
 * accounts, loads the synthesized template into a runner and a router, and starts the local Step
 * Functions service over the runner. The template and the handler modules are loaded while the
 * emulator boots (a process of its own).
 * @throws {EmulatorUnavailable} when the emulator cannot be installed or started.
 */
export async function openLocalSession(options: LocalSessionOptions = {}): Promise<LocalSession> {
  if (options.endpoint) await assertEmulatorAnswers(options.endpoint);
  const { emulator, template } = await startWhileLoading(options);
  const endpoint = options.endpoint ?? emulator!.endpoint;
  try {
    if (options.endpoint) options.log?.(`using the emulator at ${endpoint}`);
    const env = await seedLocalAccounts(endpoint);
    const runner = LocalRunner.create(env, { ...options, template });
    const router = new EmulatorRouter(env.security, runner.rules);
    // Step Functions sends an execution's end to the default bus; the rules that match it (the execution-ended
    // rule) invoke their functions, as EventBridge would, before the runner reports the execution.
    runner.deliverStatusChanges(async (event) => {
      const routed = await router.route(event, 'default');
      const invoked = [];
      for (const logicalId of routed.functions) {
        try {
          invoked.push({ logicalId, result: await runner.invokeFunction(logicalId, event) });
        } catch (err) {
          invoked.push({ logicalId, error: `${(err as Error).name}: ${(err as Error).message}` });
        }
      }
      return { matched: routed.matched, invoked };
    });
    const sfn = await LocalStepFunctions.start(runner, {
      port: options.port,
      proxyTo: endpoint,
      router,
      descriptor: {
        securityAccount: env.securityAccount,
        memberAccount: env.memberAccount,
        region: env.region,
        ledgerTable: env.ledgerTable,
        operatorCredentials: env.operatorCredentials,
      },
    });
    Object.assign(process.env, encodeEnvironment({ FIREBREAK_SFN_ENDPOINT: sfn.endpoint }));
    return {
      env,
      runner,
      router,
      sfn,
      close: async () => {
        await sfn.close();
        await emulator?.kill();
      },
    };
  } catch (err) {
    await emulator?.kill();
    throw err;
  }
}

/**
 * Starts the emulator (unless the options give an endpoint) and, once its process is spawned and while it boots,
 * loads the security template and every handler module (about a second of this process's CPU either way).
 * @returns the started emulator (undefined for a given endpoint) and the template.
 * @throws {EmulatorUnavailable} when the emulator cannot be started; whatever loading throws (the emulator killed).
 */
async function startWhileLoading(options: LocalSessionOptions): Promise<{ emulator?: Emulator; template: CfnTemplate }> {
  let spawned: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (spawned = resolve));
  const starting = options.endpoint ? undefined : startEmulator({ log: options.log, onSpawn: () => spawned() });
  if (!starting) spawned();
  // A start that fails before spawning: go on to loading, and report the failure when it is awaited below.
  starting?.catch(() => spawned());
  await ready;
  let template: CfnTemplate;
  try {
    template = loadSecurityTemplate();
    preloadHandlers(template, LOCAL_REGION, options.projectRoot);
  } catch (err) {
    await starting?.then(
      (e) => e.kill(),
      () => undefined,
    );
    throw err;
  }
  return { emulator: await starting, template };
}

/**
 * Checks that an emulator answers at a URL given by the user (`--endpoint`), before any AWS call.
 * @throws {InvalidInput} when the URL is malformed, nothing answers, or what answers is not moto.
 */
export async function assertEmulatorAnswers(endpoint: string): Promise<void> {
  // The dashboard page, as the harness probes it: cheap (data.json would serialize the emulator's whole state).
  const res = await probeEndpoint(endpoint, '/moto-api/', {
    what: 'emulator',
    example: 'http://127.0.0.1:5000',
    start: '.firebreak/venv/bin/python emulator/server.py --port PORT',
  });
  await res.body?.cancel();
  if (!res.ok) throw new InvalidInput(`${endpoint} answered HTTP ${res.status} to /moto-api/: it is not the Firebreak emulator (moto)`);
}
