import { DescribeInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import { instanceIsolatedCheck } from '../local/checks';
import { ListAccessKeysCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { isAwsDenyAllPolicyArn } from '../../runtime/iam/policies';
import { newRunId } from '../gameday/scorecard';
import {
  canaryInterfaces,
  Canaries,
  cleanupGameDay,
  CLEANUP_DIR,
  createCanaries,
  gameDayFinding,
  injectGameDayEvent,
  Leftovers,
  SandboxClients,
  waitForCase,
} from './gameday';

/** One read-back check of a sandbox game day. */
export interface SandboxCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly details: string;
}

/** The result of {@link runSandboxGameDay}. */
export interface SandboxResult {
  readonly runId: string;
  readonly passed: boolean;
  readonly canaries?: Canaries;
  /** Per injected event: the case, its status, and the time from injection to the case's end. */
  readonly cases: {
    readonly kind: 'instance' | 'access-key';
    readonly caseId?: string;
    readonly status?: string;
    readonly timeToContainMs?: number;
  }[];
  readonly checks: SandboxCheck[];
  readonly leftovers?: Leftovers;
  readonly wallTimeMs: number;
}

/** Options of {@link runSandboxGameDay}. */
export interface SandboxOptions {
  /** Which canaries to contain: the instance (ec2-compromise), the key (credential-compromise), or both. @default both */
  readonly kinds?: readonly ('instance' | 'access-key')[];
  /** How long to wait for each case, in seconds. @default 300 */
  readonly timeoutSeconds?: number;
  /** Where cleanup ledgers go. @default .firebreak/gameday */
  readonly cleanupDir?: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Milliseconds between polls. @default 500 */
  readonly pollMs?: number;
  /** Called once the canaries exist (e.g. to register the Ctrl-C handler with the run ID). */
  readonly onCanaries?: (runId: string) => void;
  /** @default a new run ID */
  readonly runId?: string;
  /** Aborts the game day (Ctrl-C): it stops waiting, and cleans up before it returns. */
  readonly signal?: AbortSignal;
}

/**
 * A game day against a deployed stack (`firebreak gameday --target aws`): creates tagged canaries,
 * injects a game-day event per canary on the `firebreak` bus, waits for the deployed automation to
 * handle each (the ledger), reads the end state back, and always cleans up (`finally`), checking that
 * nothing is left over.
 * @returns the result; `passed` only when every check passed, cleanup included.
 */
export async function runSandboxGameDay(c: SandboxClients, options: SandboxOptions = {}): Promise<SandboxResult> {
  const started = Date.now();
  const runId = options.runId ?? newRunId();
  const log = options.log ?? (() => undefined);
  const kinds = options.kinds ?? ['instance', 'access-key'];
  const checks: SandboxCheck[] = [];
  const cases: SandboxResult['cases'][number][] = [];
  let canaries: Canaries | undefined;
  let leftovers: Leftovers | undefined;
  try {
    log(`game day ${runId}: creating canaries in ${c.account}/${c.region} (tag firebreak:gameday=${runId})`);
    canaries = (await createCanaries(c, runId, options.cleanupDir ?? CLEANUP_DIR)).canaries;
    options.onCanaries?.(runId);
    for (const kind of kinds) {
      const injectedAt = Date.now();
      await injectGameDayEvent(
        c,
        gameDayFinding(c, runId, canaries, kind, kind === 'instance' ? await canaryInterfaces(c, canaries.instanceId) : []),
      );
      log(`  injected a ${kind === 'instance' ? 'Backdoor:EC2' : 'IAMUser credential'} game-day event on the firebreak bus`);
      const playbook = kind === 'instance' ? 'ec2-compromise' : 'credential-compromise';
      const resourceId = kind === 'instance' ? canaries.instanceId : canaries.accessKeyId;
      options.signal?.throwIfAborted();
      const done = await waitForCase(
        c,
        { playbook, account: c.account, region: c.region, resource: { id: resourceId } },
        options.timeoutSeconds ?? 300,
        options.pollMs,
        options.signal,
      );
      const status = done.claim?.status;
      cases.push({
        kind,
        caseId: done.claim?.caseId,
        status,
        timeToContainMs: status === 'CONTAINED' ? Date.now() - injectedAt : undefined,
      });
      checks.push({
        name: `${playbook}-contained`,
        passed: status === 'CONTAINED',
        details: done.claim
          ? `case ${done.claim.caseId} ${status} after ${done.waitedMs} ms`
          : `no case ended within ${options.timeoutSeconds ?? 300} s`,
      });
    }
    checks.push(...(await readBack(c, canaries, kinds)));
  } catch (err) {
    checks.push({ name: 'game-day-ran', passed: false, details: `${(err as Error).name}: ${(err as Error).message}` });
  } finally {
    log(`  cleaning up game day ${runId}`);
    try {
      leftovers = await cleanupGameDay(
        c,
        runId,
        cases.map((x) => x.caseId).filter((x): x is string => !!x),
        options.cleanupDir ?? CLEANUP_DIR,
        options.pollMs,
      );
      const left = Object.entries(leftovers).filter(([, n]) => n > 0);
      checks.push({
        name: 'zero-leftovers',
        passed: left.length === 0,
        details: left.length ? left.map(([k, n]) => `${n} ${k}`).join(', ') : 'nothing left',
      });
    } catch (err) {
      checks.push({
        name: 'zero-leftovers',
        passed: false,
        details: `cleanup failed: ${(err as Error).message}; finish it with: firebreak gameday cleanup --run-id ${runId}`,
      });
    }
  }
  return { runId, passed: checks.every((x) => x.passed), canaries, cases, checks, leftovers, wallTimeMs: Date.now() - started };
}

/** Reads the canaries back: every ENI on the isolation group only and termination protection on; the key Inactive and the deny-all policy on the user. */
async function readBack(c: SandboxClients, canaries: Canaries, kinds: readonly string[]): Promise<SandboxCheck[]> {
  const checks: SandboxCheck[] = [];
  if (kinds.includes('instance')) {
    checks.push(await instanceIsolatedCheck(c.ec2, canaries.instanceId, 'canary-isolated'));
    const term = await c.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: canaries.instanceId, Attribute: 'disableApiTermination' }),
    );
    checks.push({
      name: 'canary-termination-protected',
      passed: term.DisableApiTermination?.Value === true,
      details: `DisableApiTermination=${term.DisableApiTermination?.Value}`,
    });
  }
  if (kinds.includes('access-key')) {
    const keys = (await c.iam.send(new ListAccessKeysCommand({ UserName: canaries.userName }))).AccessKeyMetadata ?? [];
    const key = keys.find((k) => k.AccessKeyId === canaries.accessKeyId);
    checks.push({
      name: 'canary-key-inactive',
      passed: key?.Status === 'Inactive',
      details: `${canaries.accessKeyId}: ${key?.Status ?? 'missing'}`,
    });
    const attached = ((await c.iam.send(new ListAttachedUserPoliciesCommand({ UserName: canaries.userName }))).AttachedPolicies ?? []).map(
      (p) => p.PolicyArn!,
    );
    const denied = attached.some(isAwsDenyAllPolicyArn);
    checks.push({
      name: 'canary-user-denied',
      passed: denied,
      details: denied ? 'AWSDenyAll attached to the user' : `AWSDenyAll not attached (attached: ${attached.join(', ') || 'none'})`,
    });
  }
  return checks;
}
