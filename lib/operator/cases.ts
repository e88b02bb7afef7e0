import { DescribeExecutionCommand, DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { InvalidInput } from '../core/errors';
import { CASE_ID_PATTERN } from '../core/names';
import type { Incident } from '../core/incident/incident';
import type { SequenceSummary } from '../core/incident/sequence-summary';
import type { CaseRecord, TimelineEntry } from '../runtime/ledger/ledger';
import { Connection, executionArn } from './connection';

/** A case as `firebreak cases list` shows it. */
export interface CaseSummary {
  readonly caseId: string;
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  readonly resourceId: string;
  readonly status: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly trigger?: string;
  readonly findingType?: string;
  readonly severity?: number;
}

/** Summarizes a case record. */
export function summarizeCase(c: CaseRecord): CaseSummary {
  return {
    caseId: c.caseId,
    playbook: c.playbook,
    account: c.account,
    region: c.region,
    resourceId: c.resourceId,
    status: c.status,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    trigger: c.incident?.trigger,
    findingType: c.incident?.finding?.type,
    severity: c.incident?.finding?.severity,
  };
}

/** What `firebreak cases list` filters on. */
export interface CaseListFilter {
  /** Only open cases (in progress, contained, notified, failed). */
  readonly open?: boolean;
  /** Only this member account's. */
  readonly account?: string;
  /** Only shadow-mode cases (`SHADOW`: the plan of what would have been done, recorded; issue 14). */
  readonly shadow?: boolean;
  /** Only suppressed cases (`SUPPRESSED`: a suppression rule matched; issue 14). */
  readonly suppressed?: boolean;
  /**
   * Only the cases of this resource: its resource ID exactly (an instance ID, an access key ID, `bucket/<name>`, ...),
   * or the IDs under it (`role/web-app` finds `role/web-app/finding/<findingId>`).
   */
  readonly resource?: string;
}

/**
 * The ledger's cases, newest first (`firebreak cases list`). Without `shadow` or `suppressed`, every case, shadow and
 * suppressed ones included (their status says what they are); with either or both, only those; with `resource`, only
 * that resource's.
 */
export async function listCases(conn: Pick<Connection, 'ledger'>, filter: CaseListFilter = {}): Promise<CaseSummary[]> {
  const statuses = [...(filter.shadow ? ['SHADOW'] : []), ...(filter.suppressed ? ['SUPPRESSED'] : [])];
  const cases = await conn.ledger.listCases({ open: filter.open, account: filter.account });
  const r = filter.resource;
  return cases
    .filter((c) => !statuses.length || statuses.includes(c.status))
    .filter((c) => r === undefined || c.resourceId === r || c.resourceId.startsWith(`${r}/`))
    .map(summarizeCase);
}

/** A case with its timeline (`firebreak cases show`). */
export interface CaseDetail {
  readonly case: CaseSummary & {
    readonly findingIds: string[];
    /** The finding's title as the finding gave it (GuardDuty `detail.title`), when it has one. */
    readonly title?: string;
    /** What the case acts on, as Normalize recorded it (the instance, the key and its user, the bucket, ...; lib/core/incident/incident.ts). */
    readonly resource?: Incident['resource'];
    readonly priorState: Record<string, unknown>;
    readonly evidence: Record<string, unknown>;
    readonly decisions: Record<string, unknown>;
    readonly notifications: Record<string, string>;
    readonly operator?: string;
    readonly reason?: string;
    /** The case whose playbook started this one (credential-compromise's or attack-sequence's chaining). */
    readonly chainedFrom?: string;
    /** An attack sequence's case: the sequence as Normalize recorded it (uid, signals, each resource and what was done with it). */
    readonly sequence?: SequenceSummary;
    /** The runs this case's playbook started (`decisions.chain`, `decisions["chain#…"]`): `firebreak status <executionArn>` names each one's case. */
    readonly chained: ChainedRun[];
  };
  /** Oldest first: each step, when, by which execution and trigger, its API calls, details and error. */
  readonly timeline: TimelineEntry[];
}

/**
 * Reads one case and its timeline from the ledger.
 * @throws {InvalidInput} when there is no such case (`fb-<yyyymmdd>-<10 hex>`).
 */
export async function showCase(conn: Pick<Connection, 'ledger'> & Partial<Pick<Connection, 'sfn'>>, caseId: string): Promise<CaseDetail> {
  assertCaseId(caseId);
  const c = await conn.ledger.getCase(caseId);
  if (!c) throw new InvalidInput(`no case ${caseId} in the ledger`);
  const chained = chainedRuns(c.decisions ?? {});
  return {
    case: {
      ...summarizeCase(c),
      findingIds: [...(c.findingIds ?? [])].sort(),
      title: c.incident?.finding?.title,
      resource: c.incident?.resource,
      priorState: c.priorState ?? {},
      evidence: c.evidence ?? {},
      decisions: c.decisions ?? {},
      notifications: c.notifications ?? {},
      operator: c.incident?.operator,
      reason: c.incident?.reason,
      chainedFrom: c.incident?.chainedFrom,
      sequence: c.incident?.sequence,
      chained: conn.sfn && chained.length ? await withChainedCases({ sfn: conn.sfn }, chained) : chained,
    },
    timeline: await conn.ledger.timeline(caseId),
  };
}

/** A run a case's playbook started: the chained playbook, the resource it acts on, its execution, and its case and status when read. */
export interface ChainedRun {
  readonly playbook: string;
  readonly resource: string;
  readonly executionArn: string;
  /** The chained run's case (its execution's output), when Step Functions was asked and the run has one. */
  readonly caseId?: string;
  /** The execution's status (RUNNING, SUCCEEDED, ...), when Step Functions was asked. */
  readonly status?: string;
}

/**
 * Each chained run with its case and status, from Step Functions (DescribeExecution); a run it cannot describe keeps
 * what the ledger recorded.
 */
async function withChainedCases(conn: Pick<Connection, 'sfn'>, runs: readonly ChainedRun[]): Promise<ChainedRun[]> {
  return Promise.all(
    runs.map((r) =>
      conn.sfn.send(new DescribeExecutionCommand({ executionArn: r.executionArn })).then(
        (d) => ({ ...r, caseId: caseIdOf(d), status: d.status }),
        () => r,
      ),
    ),
  );
}

/**
 * The chained runs a case records: credential-compromise's `decisions.chain` (`{ playbook, instanceId, executionArn }`) and
 * attack-sequence's `decisions["chain#<playbook>#<account>#<resource>"]` (`{ playbook, resource, account, executionArn }`).
 */
export function chainedRuns(decisions: Record<string, unknown>): ChainedRun[] {
  return Object.entries(decisions)
    .filter(([k]) => k === 'chain' || k.startsWith('chain#'))
    .map(([, v]) => v as { playbook?: string; resource?: string; instanceId?: string; executionArn?: string })
    .filter((v) => typeof v?.executionArn === 'string')
    .map((v) => ({
      playbook: String(v.playbook ?? '-'),
      resource: String(v.resource ?? v.instanceId ?? '-'),
      executionArn: v.executionArn!,
    }))
    .sort((a, b) => a.executionArn.localeCompare(b.executionArn));
}

/** Whether `ref` is a case ID (`fb-<yyyymmdd>-<10 hex digits>`), as the ledger keys cases; a dry run's reference is not. */
export function isCaseId(ref: string): boolean {
  return CASE_ID_PATTERN.test(ref);
}

/** @throws {InvalidInput} when `caseId` is not a case ID. */
export function assertCaseId(caseId: string): void {
  if (!isCaseId(caseId)) throw new InvalidInput(`${caseId} is not a case ID (expected fb-<yyyymmdd>-<10 hex digits>)`);
}

/** The longest note a case takes, in characters (a DynamoDB item holds 400 KB; a note is a person's few lines). */
export const MAX_NOTE_LENGTH = 4000;

/** What {@link addCaseNote} recorded. */
export interface CaseNote {
  readonly caseId: string;
  /** The note as recorded (trimmed). */
  readonly note: string;
  /** The caller's ARN (STS GetCallerIdentity). */
  readonly by: string;
  /** ISO-8601 UTC. */
  readonly at: string;
}

/**
 * `firebreak cases note <caseId> TEXT`: puts a person's note on the case timeline (step `Note`, status `INFO`, trigger
 * `manual`, `operator` the caller's ARN from STS GetCallerIdentity, `details.note` the text), so what was seen and
 * decided during triage stays with the case for the post-incident review. Nothing else on the case changes; any status
 * takes a note (a released case too). The text is stored as given (trimmed); every reader escapes it for the terminal.
 * @param now - the note's time. @default the clock
 * @returns what was recorded.
 * @throws {InvalidInput} for a malformed case ID, an empty note or one over {@link MAX_NOTE_LENGTH} characters (before
 *   any AWS call), or a case the ledger does not have.
 */
export async function addCaseNote(
  conn: Pick<Connection, 'ledger' | 'sts'>,
  caseId: string,
  text: string,
  now: Date = new Date(),
): Promise<CaseNote> {
  assertCaseId(caseId);
  const note = text.trim();
  if (!note) throw new InvalidInput('a note needs text: firebreak cases note <caseId> TEXT');
  if (note.length > MAX_NOTE_LENGTH)
    throw new InvalidInput(
      `a note is at most ${MAX_NOTE_LENGTH} characters (this one has ${note.length}); put longer material in the evidence store`,
    );
  if (!(await conn.ledger.getCase(caseId))) throw new InvalidInput(`no case ${caseId} in the ledger`);
  const by = (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  const at = now.toISOString();
  await conn.ledger.appendTimeline(caseId, { at, step: 'Note', status: 'INFO', trigger: 'manual', operator: by, details: { note } });
  return { caseId, note, by, at };
}

/** What `firebreak status` shows. */
export interface StatusView {
  readonly case?: CaseSummary;
  /** The case's latest execution (or the one named), as Step Functions describes it. */
  readonly execution?: {
    readonly executionArn: string;
    readonly status?: string;
    readonly startDate?: string;
    readonly stopDate?: string;
    readonly error?: string;
    readonly cause?: string;
  };
  /** The last timeline entry. */
  readonly lastStep?: TimelineEntry;
}

/**
 * The status of a case (ledger, plus its latest execution) or of an execution (Step Functions,
 * plus its case when the output names one).
 * @param ref - a case ID or an execution ARN.
 * @throws {InvalidInput} when `ref` is neither, or names no case.
 */
export async function caseStatus(conn: Connection, ref: string): Promise<StatusView> {
  if (ref.startsWith('arn:')) {
    if (!/^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[\w-]+:[\w-]+$/.test(ref))
      throw new InvalidInput(`${ref} is not a Step Functions execution ARN`);
    const d = await conn.sfn.send(new DescribeExecutionCommand({ executionArn: ref }));
    const caseId = caseIdOf(d);
    const record = caseId ? await conn.ledger.getCase(caseId) : undefined;
    const timeline = record ? await conn.ledger.timeline(record.caseId) : [];
    return { case: record ? summarizeCase(record) : undefined, execution: view(d), lastStep: timeline.at(-1) };
  }
  assertCaseId(ref);
  const record = await conn.ledger.getCase(ref);
  if (!record) throw new InvalidInput(`no case ${ref} in the ledger`);
  const timeline = await conn.ledger.timeline(ref);
  const last = [...timeline].reverse().find((t) => t.executionName);
  let execution: StatusView['execution'];
  if (last?.executionName) {
    // Release executions are named release-<caseId>-... (lib/operator/release.ts); every other entry is the case's own playbook.
    const playbook = last.executionName.startsWith('release-') ? 'release' : record.playbook;
    const arn = executionArn(conn, playbook, last.executionName);
    execution = await conn.sfn.send(new DescribeExecutionCommand({ executionArn: arn })).then(view, () => ({ executionArn: arn }));
  }
  return { case: summarizeCase(record), execution, lastStep: timeline.at(-1) };
}

function caseIdOf(d: DescribeExecutionCommandOutput): string | undefined {
  try {
    const out = d.output ? (JSON.parse(d.output) as { case?: { caseId?: string } }) : undefined;
    if (out?.case?.caseId) return out.case.caseId;
    const input = d.input ? (JSON.parse(d.input) as { release?: { caseId?: string } }) : undefined;
    return input?.release?.caseId;
  } catch {
    return undefined;
  }
}

function view(d: DescribeExecutionCommandOutput): NonNullable<StatusView['execution']> {
  return {
    executionArn: d.executionArn!,
    status: d.status,
    startDate: d.startDate?.toISOString(),
    stopDate: d.stopDate?.toISOString(),
    error: d.error,
    cause: d.cause,
  };
}
