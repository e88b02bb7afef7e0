import {
  CopySnapshotCommand,
  CreateSnapshotsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
  Snapshot,
  Volume,
  VolumeAttachment,
} from '@aws-sdk/client-ec2';
import { EvidenceCreateInProgress, EvidenceIncomplete, EvidenceProvenance, InvalidInput } from '../../core/errors';
import {
  EVIDENCE_VOLUMES_KEY,
  needsTransit,
  notBeforeOf,
  provenanceProblems,
  RecordedSnapshot,
  RejectedSnapshot,
  snapshotIntentKey,
  SnapshotStage,
} from '../evidence/provenance';
import { describeTargetInstance, PlannedAction, StepMode } from './instance';
import type { TimelineEntry, TimelineFold } from '../ledger/ledger';
import { TAG, tagSpec } from '../../core/tags';
import '../clients/ec2';

/** A batch of snapshots a Wait-loop polls. Times are ISO-8601 UTC. */
export interface SnapshotBatch {
  /** Snapshot IDs, in the order of `sourceVolumeIds`. */
  readonly snapshotIds: string[];
  /** The EBS volume each snapshot descends from. */
  readonly sourceVolumeIds: string[];
  /** The account that owns the snapshots. */
  readonly ownerAccount: string;
  /**
   * When the batch must be `completed` by: one absolute deadline for all the evidence of an execution
   * (the source snapshots, the member copies and the security account copies), set once by the first
   * stage and inherited by the copies, so the three waits together never exceed it.
   */
  readonly deadline: string;
  /**
   * The case's record of each snapshot of the batch, as the stage's step wrote or read it in the ledger (absent in a
   * plan). The poll checks the snapshots against these without reading the case: the state is written only by
   * Firebreak's own Lambdas in the security account, never by a member account, and each record holds the ID a
   * create call answered (issue 13; {@link checkSnapshotBatch}).
   */
  readonly recorded?: RecordedSnapshot[];
  /** The case's creation time (ISO-8601 UTC), with `recorded`: no snapshot that started before it is the case's. */
  readonly caseCreatedAt?: string;
  /**
   * CopySnapshots' timeline entry when it had nothing to copy and so wrote nothing (every source snapshot shareable as
   * it is, {@link needsTransit}): carried to ShareAndCopySnapshots, whose write records it (issue 13).
   */
  readonly timeline?: TimelineEntry;
}

/** Case identity carried onto every evidence resource as tags. */
export interface EvidenceLabels {
  readonly caseId: string;
  readonly findingId: string;
}

function labels(l: EvidenceLabels, extra: Record<string, string>): Record<string, string> {
  return { [TAG.caseId]: l.caseId, [TAG.findingId]: l.findingId, ...extra };
}

/**
 * The case's evidence as a stage's first write found it ({@link EvidenceLedger.open}): the records and the decisions
 * as they were just before that write, and what the write stored.
 */
export interface CaseEvidence {
  /** The case's creation time (ISO-8601 UTC): no snapshot that started before it is the case's. */
  readonly caseCreatedAt: string;
  /** Every snapshot the case has recorded, all stages, as read by the step's first write. */
  readonly recorded: readonly RecordedSnapshot[];
  /**
   * The case's decisions before the step's first write: the snapshot intents of earlier runs (never this run's own,
   * so an orphan is adopted only for a create call an earlier run intended, as before issue 13).
   */
  readonly decisions: Readonly<Record<string, unknown>>;
  /** Each decision that write recorded, as stored: the stage's intents and `extra`, an earlier run's where it was first. */
  readonly stored: Readonly<Record<string, unknown>>;
  /**
   * The intent that write recorded for this run: where it is the stored one (no earlier intent), this run holds the
   * lease on that volume's create call ({@link CREATE_WINDOW_MS}).
   */
  readonly intent: SnapshotIntent;
}

/**
 * The case's evidence records as the evidence functions read and write them: the ledger
 * ({@link CaseLedger}, `evidence["snapshot#…"]`, `evidence["rejected#…"]`, `decisions.snapshotIntent#…`).
 */
export interface EvidenceLedger {
  /** The execution recording (for the record). */
  readonly executionName?: string;
  /**
   * Whether an earlier execution opened the case (Claim's `RESUMED`): snapshots tagged with it may then be an earlier
   * run's, so a stage reads its candidates even where no earlier intent was recorded (to name decoys on the case).
   */
  readonly resumed: boolean;
  /**
   * The stage's first ledger write, before any create call: records the stage's intent for every volume given (once
   * per stage and volume, {@link SnapshotIntent}) and the `extra` decisions (once each), and reads the case back in
   * the same call (UpdateItem `ALL_OLD`: no GetItem). A second call for the same stage returns the first's answer.
   * @throws {InvalidInput} when the case does not exist.
   */
  open(stage: SnapshotStage, volumeIds: readonly string[], extra?: Readonly<Record<string, unknown>>): Promise<CaseEvidence>;
  /**
   * Takes over the leases on the stage's create calls of the volumes given, in one conditional write: each volume's
   * intent becomes this run's (now) only if every one still is the intent read (`undefined`: none), so of two runs
   * taking over at once one wins all of them ({@link CaseLedger.takeDecisions}).
   * @param expected - per volume, the intent this run read (an expired one, or an earlier attempt's of this execution).
   * @returns the intent now recorded for this run, or `undefined` when another run changed one first.
   */
  take(stage: SnapshotStage, expected: Readonly<Record<string, SnapshotIntent | undefined>>): Promise<SnapshotIntent | undefined>;
  /** {@link CaseLedger.recordSnapshot}. */
  record(snapshot: RecordedSnapshot): Promise<RecordedSnapshot>;
  /**
   * {@link CaseLedger.recordSnapshots}: a batch in one write, carrying the step's timeline entry when `fold` is
   * given; returns the stored record of each, in order.
   */
  recordAll(snapshots: readonly RecordedSnapshot[], fold?: TimelineFold): Promise<RecordedSnapshot[]>;
  /** {@link CaseLedger.replaceSnapshot}. */
  replace(previousSnapshotId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot>;
  /** {@link CaseLedger.rejectSnapshot}. */
  reject(rejected: RejectedSnapshot): Promise<void>;
}

/** `decisions.snapshotIntent#<stage>#<volumeId>`: who was about to create the stage's snapshot of a volume, and when (ISO-8601 UTC). */
export interface SnapshotIntent {
  readonly at: string;
  readonly executionName?: string;
}

/**
 * How long an intent to create a stage's snapshot of a volume is a lease on that create call: the snapshot steps'
 * Lambda timeout (120 s, STEP_ACCESS). The intent is written by the step's first write, after its invocation
 * started, so by `at` + this window that invocation has ended one way or the other (its create call answered and
 * recorded, or never to be): until then no other execution makes the call ({@link StageRun.takeLeases}).
 */
export const CREATE_WINDOW_MS = 120_000;

/**
 * At most this many snapshots found by tag are recorded as rejected candidates per stage and step run. A member
 * account can plant any number of snapshots tagged with the case ID, and each rejection is a write to the one case
 * item, which DynamoDB limits to 400 KB ("Item size", Amazon DynamoDB Developer Guide, service quotas): the first
 * ones show a person that decoys were planted; the rest are counted (`unrecordedRejections`, on the step's timeline entry), not written.
 */
export const MAX_CANDIDATE_REJECTIONS = 20;

/** What a stage's snapshot of a volume must be: the record Firebreak makes for it, without its ID. */
type Wanted = Omit<RecordedSnapshot, 'snapshotId' | 'how' | 'recordedAt' | 'executionName'>;

/** What a stage did about the case's evidence (for the step's timeline entry). */
export interface StageOutcome {
  /** Snapshot IDs by volume: the recorded ones (`''` in a plan for the ones still to create). */
  readonly byVolume: Map<string, string>;
  /** The case's record of each snapshot in `byVolume`, by volume (empty in a plan). */
  readonly records: Map<string, RecordedSnapshot>;
  readonly actions: PlannedAction[];
  /** Snapshots refused in this call, with why. */
  readonly rejected: RejectedSnapshot[];
  /** Snapshots adopted after a crash between their create call and the ledger write. */
  readonly recovered: string[];
  /** Candidates refused beyond {@link MAX_CANDIDATE_REJECTIONS}: counted, not written to the case. */
  readonly unrecordedRejections: number;
}

/** What {@link ensureVolumeSnapshots} and {@link ensureSnapshotCopies} return (the step's result and timeline details). */
export interface EvidenceStageResult {
  readonly batch: SnapshotBatch;
  readonly actions: PlannedAction[];
  readonly rejected: RejectedSnapshot[];
  readonly recovered: string[];
  readonly unrecordedRejections: number;
}

/** The step's timeline entry for an evidence stage's result, folded into the stage's recording write. */
export type EvidenceFold = (result: EvidenceStageResult) => TimelineFold | undefined;

/** How many member-account snapshots tagged with the case are read to name decoys: one DescribeSnapshots page. */
const MEMBER_CANDIDATE_PAGE = 100;

/** DescribeSnapshots, every page, or only the first `onePage` results. */
async function describeSnapshots(
  ec2: EC2Client,
  filters: { Name: string; Values: string[] }[],
  ownerSelf: boolean,
  onePage?: number,
): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let token: string | undefined;
  do {
    // Filters, not SnapshotIds: an ID EC2 does not know (deleted) is absent from the answer instead of failing
    // the whole call with InvalidSnapshot.NotFound (EC2 API reference, DescribeSnapshots).
    const page = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ownerSelf ? ['self'] : undefined, Filters: filters, NextToken: token, MaxResults: onePage }),
    );
    out.push(...(page.Snapshots ?? []));
    token = onePage === undefined ? page.NextToken : undefined;
  } while (token);
  return out;
}

/**
 * A tag's value, as a hint only: anyone with EC2 rights in the member account writes tags, so the value is cut
 * to 128 characters and stripped of everything but printable ASCII before it is compared, stored or printed.
 */
const tagOf = (s: Snapshot, key: string): string | undefined => {
  const v = s.Tags?.find((t) => t.Key === key)?.Value;
  return v === undefined ? undefined : v.replace(/[^\x20-\x7e]/g, '?').slice(0, 128);
};

/**
 * Converges one stage of the evidence chain on exactly one recorded, provenance-checked snapshot per volume
 * (issue 11). The ledger is the truth; tags only help recover a crash's orphan. The stage's first write
 * ({@link EvidenceLedger.open}, made by the caller) has already recorded the intent of every volume and read the case
 * back (`deps.evidence`), so nothing here reads the case:
 * 1. each snapshot recorded for the stage is read back by ID and checked ({@link provenanceProblems}); one that
 *    fails (deleted, or not what the record says) is recorded as rejected and replaced;
 * 2. each volume still without one must be this run's to create: its intent (the lease on its create call) is the
 *    one this run's first write recorded, or is taken over in one conditional write when it is an earlier attempt's
 *    of this execution, expired, or answered (the record being replaced is its call's); while another execution's
 *    lease is live, this run creates nothing and fails `EvidenceCreateInProgress`, which the state machine retries
 *    until the record appears or the lease expires ({@link StageRun.takeLeases});
 * 3. for a volume still without a valid record, when an earlier run can have left a snapshot ({@link StageRun.mayHoldOrphans}),
 *    the snapshots tagged with the case and stage are candidates: one that
 *    fails provenance, or that no unanswered create call can explain, is recorded as rejected (at most
 *    {@link MAX_CANDIDATE_REJECTIONS} per call; the rest counted). Nothing in the member account is adopted (a
 *    member principal can make a snapshot that passes every check). A security-account copy can be the orphan
 *    of Firebreak's call only for a volume whose create call an earlier run recorded as about to be made
 *    (`snapshotIntent`) and never recorded as answered (no record, now or replaced), started no earlier than
 *    that intent; exactly one such candidate is adopted (`how: recovered`); several are all refused and a new
 *    copy is made;
 * 4. for the volumes still without one, `create` is called, and the returned IDs are
 *    recorded together in one write as soon as every call answered (the first record of a stage and volume wins; a
 *    concurrent run's extra is recorded as a `duplicate` rejection, never evidence); that write carries the step's
 *    timeline entry when `deps.fold` gives one.
 * In a plan (no ledger) nothing is read or written but the list of what would be created.
 */
async function ensureStage(input: StageInput, deps: StageDeps, create: StageCreate): Promise<StageOutcome> {
  const { wanted } = input;
  if (!deps.ledger) {
    const byVolume = new Map(wanted.map((w) => [w.volumeId, '']));
    return {
      byVolume,
      records: new Map(),
      actions: [input.describeCreate(wanted.map((w) => w.volumeId))],
      rejected: [],
      recovered: [],
      unrecordedRejections: 0,
    };
  }
  if (!deps.evidence) throw new InvalidInput(`The ${input.stage} stage needs the case's evidence read by its first write`);
  const run = new StageRun(input, { ...deps, ledger: deps.ledger, evidence: deps.evidence });
  await run.checkRecorded();
  if (run.missing().length) await run.takeLeases();
  if (run.missing().length && run.mayHoldOrphans()) await run.recoverOrphans();
  if (run.missing().length) await run.createMissing(create);
  return run.outcome();
}

/** What {@link ensureStage} converges: a stage, the volumes it wants (with the source each copy must descend from). */
interface StageInput {
  readonly stage: SnapshotStage;
  readonly caseId: string;
  readonly wanted: Wanted[];
  readonly ownerAccount: string;
  readonly mode: StepMode;
  /** The execution's evidence deadline (ISO-8601 UTC): past it, a run that finds a create call leased fails for good. */
  readonly deadline: string;
  readonly describeCreate: (volumeIds: string[]) => PlannedAction;
}

/** What {@link ensureStage} acts with; without a ledger it only plans. */
interface StageDeps {
  readonly ec2: EC2Client;
  readonly ledger?: EvidenceLedger;
  /** What the stage's first write ({@link EvidenceLedger.open}) read: required with `ledger`. */
  readonly evidence?: CaseEvidence;
  readonly now: () => Date;
  /**
   * The step's timeline entry for the stage's outcome, to fold into the write that records the created snapshots
   * (the stage's last write when every record is its own); `undefined` to fold none.
   */
  readonly fold?: (outcome: StageOutcome) => TimelineFold | undefined;
}

/**
 * Creates the snapshots of the volumes given, telling `created` each returned ID as soon as its call answers; the IDs
 * are recorded together, in one write, once every call has answered (or failed).
 */
type StageCreate = (missing: Wanted[], created: (volumeId: string, snapshotId: string) => void) => Promise<void>;

/** One run of {@link ensureStage} with a ledger: what it accepted, refused and recovered so far, phase by phase. */
class StageRun {
  private readonly byVolume = new Map<string, string>();
  private readonly records = new Map<string, RecordedSnapshot>();
  private readonly rejected: RejectedSnapshot[] = [];
  private readonly recovered: string[] = [];
  private readonly actions: PlannedAction[] = [];
  /** Per volume: the recorded snapshot that failed its check and is being replaced. */
  private readonly previous = new Map<string, string>();
  private candidateRejections = 0;
  private unrecordedRejections = 0;

  constructor(
    private readonly input: StageInput,
    private readonly deps: StageDeps & { ledger: EvidenceLedger; evidence: CaseEvidence },
  ) {}

  /** Accepts a record for its volume: the snapshot the batch carries, and the record the poll checks it against. */
  private hold(record: RecordedSnapshot): string {
    this.byVolume.set(record.volumeId, record.snapshotId);
    this.records.set(record.volumeId, record);
    return record.snapshotId;
  }

  /**
   * Whether a snapshot tagged with the case can be an earlier run's (so candidates are read): the case was opened by
   * an earlier execution, or a volume still missing had its create call intended by an earlier run (a step retried
   * after a crash). Otherwise this run is the case's first at this stage, no create call of it was ever made, so no
   * candidate could be adopted (a security-account orphan needs an earlier intent) and none is read; decoys planted
   * meanwhile are never evidence, only not named on the case (issue 13: one DescribeSnapshots per stage less).
   */
  mayHoldOrphans(): boolean {
    const { decisions } = this.deps.evidence;
    return this.deps.ledger.resumed || this.missing().some((w) => snapshotIntentKey(this.input.stage, w.volumeId) in decisions);
  }

  /** The wanted volumes that have no accepted snapshot yet. */
  missing(): Wanted[] {
    return this.input.wanted.filter((w) => !this.byVolume.has(w.volumeId));
  }

  outcome(): StageOutcome {
    return {
      byVolume: this.byVolume,
      records: this.records,
      actions: this.actions,
      rejected: this.rejected,
      recovered: this.recovered,
      unrecordedRejections: this.unrecordedRejections,
    };
  }

  private at(): string {
    return this.deps.now().toISOString();
  }

  /** Records a refused snapshot on the case; candidates beyond {@link MAX_CANDIDATE_REJECTIONS} are only counted. */
  private async reject(r: Omit<RejectedSnapshot, 'at' | 'ownerAccount' | 'stage'>): Promise<void> {
    if (r.kind === 'candidate' && ++this.candidateRejections > MAX_CANDIDATE_REJECTIONS) {
      this.unrecordedRejections += 1;
      return;
    }
    const full: RejectedSnapshot = { ...r, stage: this.input.stage, ownerAccount: this.input.ownerAccount, at: this.at() };
    this.rejected.push(full);
    await this.deps.ledger.reject(full);
  }

  /** Records a snapshot for its volume (replacing a failed record); a concurrent run's first record wins and this one is refused as a duplicate. */
  private async accept(w: Wanted, snapshotId: string, how: RecordedSnapshot['how']): Promise<string> {
    const { ledger } = this.deps;
    const record: RecordedSnapshot = { ...w, snapshotId, how, recordedAt: this.at(), executionName: ledger.executionName };
    const old = this.previous.get(w.volumeId);
    const stored = old ? await ledger.replace(old, record) : await ledger.record(record);
    this.hold(stored);
    if (stored.snapshotId !== snapshotId) {
      await this.reject({
        snapshotId,
        volumeId: w.volumeId,
        kind: 'duplicate',
        reasons: [`the case recorded ${stored.snapshotId} for ${w.volumeId} first`],
      });
    }
    return stored.snapshotId;
  }

  /** 1. The recorded snapshots, read back by ID and checked; one that fails is refused and will be replaced. */
  async checkRecorded(): Promise<void> {
    const { stage, wanted } = this.input;
    const { evidence } = this.deps;
    const records = new Map(evidence.recorded.filter((r) => r.stage === stage).map((r) => [r.volumeId, r]));
    const recordedIds = wanted.map((w) => records.get(w.volumeId)?.snapshotId).filter((id): id is string => !!id);
    const found = recordedIds.length ? await describeSnapshots(this.deps.ec2, [{ Name: 'snapshot-id', Values: recordedIds }], false) : [];
    for (const w of wanted) {
      const r = records.get(w.volumeId);
      if (!r) continue;
      // Checked against what the record says Firebreak asked for at the time; a copy must also still descend from
      // the stage before's recorded snapshot (which may have been replaced since).
      const problems = provenanceProblems(
        found.find((s) => s.SnapshotId === r.snapshotId),
        r,
        evidence.caseCreatedAt,
      );
      if (stage !== 'source' && r.sourceSnapshotId !== w.sourceSnapshotId)
        problems.push(
          `a copy of ${r.sourceSnapshotId}, the case's ${w.sourceSnapshotId ? `recorded source is now ${w.sourceSnapshotId}` : 'source is not recorded'}`,
        );
      if (!problems.length) {
        this.hold(r);
        continue;
      }
      await this.reject({ snapshotId: r.snapshotId, volumeId: w.volumeId, kind: 'recorded', reasons: problems });
      this.previous.set(w.volumeId, r.snapshotId);
    }
  }

  /**
   * Why a candidate that passes provenance still cannot be the orphan of Firebreak's own create call (empty when
   * it can). Only the security account's copies are ever adopted: in the member account any principal with EC2
   * rights can make a snapshot that passes every check (a snapshot of the instance's own volume, taken after the
   * case opened; a copy under the transit key, whose source is only a tag: the Snapshot data type has no source
   * field, EC2 API reference, "Snapshot"), so the case records there only what a create call answered; an
   * orphan of a crash is refused and a new snapshot made. In the security account, only a create call the case
   * recorded as about to be made (its intent) and never recorded as answered can have left an orphan, and only
   * after the intent's time.
   */
  private adoptionProblems(c: Snapshot, w: Wanted): string[] {
    const { stage } = this.input;
    if (stage !== 'evidence') {
      return [
        `a ${stage} snapshot in the member account is never recovered by tag (anyone with EC2 rights there can make one that passes every check): a new one is made`,
      ];
    }
    const old = this.previous.get(w.volumeId);
    if (old) return [`the case recorded ${old} for ${w.volumeId}, so its create call was answered and left no orphan: a new one is made`];
    const intent = this.deps.evidence.decisions[snapshotIntentKey(stage, w.volumeId)] as SnapshotIntent | undefined;
    if (!intent) return [`no ${stage} snapshot of ${w.volumeId} was ever requested by the case: not Firebreak's`];
    if (c.StartTime && c.StartTime.getTime() < notBeforeOf(intent.at)) {
      return [`started ${c.StartTime.toISOString()}, before the case's create call was requested (${intent.at}): not made by it`];
    }
    return [];
  }

  /**
   * 3. Candidates by tag, for the volumes without a valid record: each is refused with why, unless it is the one
   * security-account orphan of the case's own create call for its volume (several passing are all refused).
   */
  async recoverOrphans(): Promise<void> {
    const { stage, wanted } = this.input;
    const known = new Set([...this.deps.evidence.recorded.map((r) => r.snapshotId), ...this.previous.values(), ...this.byVolume.values()]);
    // In the member account nothing is adopted: one page is read, to name the decoys on the case (a member
    // principal can tag any number of snapshots with the case ID; reading them all could outlast the step).
    const candidates = (
      await describeSnapshots(
        this.deps.ec2,
        [
          { Name: `tag:${TAG.caseId}`, Values: [this.input.caseId] },
          { Name: `tag:${TAG.stage}`, Values: [stage] },
        ],
        true,
        stage === 'evidence' ? undefined : MEMBER_CANDIDATE_PAGE,
      )
    ).filter((s) => !known.has(s.SnapshotId!));
    const passing = new Map<string, string[]>();
    for (const c of candidates) {
      const volumeId = await this.screenCandidate(c);
      if (volumeId) passing.set(volumeId, [...(passing.get(volumeId) ?? []), c.SnapshotId!]);
    }
    for (const [volumeId, ids] of passing) {
      const w = wanted.find((x) => x.volumeId === volumeId)!;
      if (ids.length === 1) {
        await this.accept(w, ids[0], 'recovered');
        this.recovered.push(ids[0]);
        continue;
      }
      for (const id of ids) {
        await this.reject({
          snapshotId: id,
          volumeId,
          kind: 'candidate',
          reasons: [
            `${ids.length} snapshots tagged for ${volumeId} pass provenance (${ids.join(', ')}): none can be told to be Firebreak's; a new one is made`,
          ],
        });
      }
    }
  }

  /** A candidate's volume when it passes provenance and may be the case's orphan; else it is refused (with why) and undefined returned. */
  private async screenCandidate(c: Snapshot): Promise<string | undefined> {
    const { stage, wanted } = this.input;
    // The volume it claims: its VolumeId for a member snapshot; for a copy (whose VolumeId means nothing) the source its tag names.
    const w =
      stage === 'source'
        ? wanted.find((x) => x.volumeId === c.VolumeId)
        : wanted.find((x) => x.sourceSnapshotId === tagOf(c, TAG.sourceSnapshotId));
    const claimed = w?.volumeId ?? (stage === 'source' ? c.VolumeId : tagOf(c, TAG.sourceVolumeId));
    if (!w) {
      await this.reject({
        snapshotId: c.SnapshotId!,
        volumeId: claimed,
        kind: 'candidate',
        reasons: [
          stage === 'source'
            ? `volume ${c.VolumeId ?? '?'} is not one of the instance's volumes recorded on the case`
            : `source ${tagOf(c, TAG.sourceSnapshotId) ?? '(none)'} is not a snapshot the case recorded`,
        ],
      });
      return undefined;
    }
    if (this.byVolume.has(w.volumeId)) {
      await this.reject({
        snapshotId: c.SnapshotId!,
        volumeId: w.volumeId,
        kind: 'candidate',
        reasons: [`the case recorded ${this.byVolume.get(w.volumeId)} for ${w.volumeId}`],
      });
      return undefined;
    }
    const problems = provenanceProblems(c, w, this.deps.evidence.caseCreatedAt);
    if (!problems.length) problems.push(...this.adoptionProblems(c, w));
    if (!problems.length) return w.volumeId;
    await this.reject({ snapshotId: c.SnapshotId!, volumeId: w.volumeId, kind: 'candidate', reasons: problems });
    return undefined;
  }

  /** 4. Create what is missing (in apply mode), under this run's lease, each returned ID recorded at once. */
  async createMissing(create: StageCreate): Promise<void> {
    const needed = this.missing();
    this.actions.push(this.input.describeCreate(needed.map((w) => w.volumeId)));
    if (this.input.mode !== 'apply') return;
    // Every intent (this run's lease) is recorded before any create call: by the stage's first write, or taken over
    // (takeLeases). The IDs are recorded together as soon as every call answered: a failed call fails the step after
    // the others are recorded.
    const creating = needed;
    const made: [Wanted, string][] = [];
    let failure: { error: unknown } | undefined;
    try {
      await create(creating, (volumeId, snapshotId) => {
        const w = creating.find((x) => x.volumeId === volumeId);
        if (w) made.push([w, snapshotId]);
      });
    } catch (error) {
      failure = { error };
    }
    await this.acceptAll(made, failure ? undefined : this.deps.fold);
    if (failure) throw failure.error;
  }

  /**
   * Records snapshots just created: the ones replacing a failed record one by one ({@link accept}), the others in one
   * write carrying the step's timeline entry (`fold`, with the outcome they make); a concurrent run's first record
   * wins and this run's snapshot is refused as a duplicate.
   */
  private async acceptAll(made: readonly [Wanted, string][], fold: StageDeps['fold']): Promise<void> {
    const { ledger } = this.deps;
    for (const [w, id] of made.filter(([x]) => this.previous.has(x.volumeId))) await this.accept(w, id, 'created');
    const fresh = made.filter(([x]) => !this.previous.has(x.volumeId));
    if (!fresh.length) return;
    const records = fresh.map(([w, snapshotId]): RecordedSnapshot => ({
      ...w,
      snapshotId,
      how: 'created',
      recordedAt: this.at(),
      executionName: ledger.executionName,
    }));
    const provisional = new Map([...this.byVolume, ...fresh.map(([w, id]): [string, string] => [w.volumeId, id])]);
    const provisionalRecords = new Map([...this.records, ...records.map((r): [string, RecordedSnapshot] => [r.volumeId, r])]);
    const stored = await ledger.recordAll(records, fold?.({ ...this.outcome(), byVolume: provisional, records: provisionalRecords }));
    for (const [i, [w, snapshotId]] of fresh.entries()) {
      this.hold(stored[i]);
      if (stored[i].snapshotId !== snapshotId)
        await this.reject({
          snapshotId,
          volumeId: w.volumeId,
          kind: 'duplicate',
          reasons: [`the case recorded ${stored[i].snapshotId} for ${w.volumeId} first`],
        });
    }
  }

  /**
   * 2. Makes sure this run holds the lease on the create call of every volume still missing, before reading candidates
   * (another run's snapshot, made and not yet recorded, is no decoy) and before creating (CreateSnapshots and
   * CopySnapshot take no ClientToken: "Ensuring idempotency in Amazon EC2 API requests", so two live runs that both
   * create leave a duplicate). A volume's lease is its intent (`decisions.snapshotIntent#…`, first writer wins):
   * - the one this run's first write recorded: held;
   * - another execution's, recorded less than {@link CREATE_WINDOW_MS} ago, whose call is not known to be answered:
   *   live, so this run creates nothing and fails `EvidenceCreateInProgress`, retried by the state machine until the
   *   stage's first write reads the record, or the lease expires; past the evidence deadline it fails
   *   `EvidenceIncomplete` instead;
   * - else (none; an earlier attempt's of this execution, which Step Functions retries only once that attempt failed;
   *   expired; or answered: the record being replaced was made by that intent's execution at or after it) taken over
   *   for all these volumes in one conditional write; when another run changed one first, `EvidenceCreateInProgress`.
   * @throws {EvidenceCreateInProgress} when another run holds a lease this run needs.
   * @throws {EvidenceIncomplete} when it does and the execution's evidence deadline has passed.
   */
  async takeLeases(): Promise<void> {
    const { ledger, evidence } = this.deps;
    const { stage } = this.input;
    const expired: Record<string, SnapshotIntent | undefined> = {};
    const busy: [string, SnapshotIntent][] = [];
    for (const w of this.missing()) {
      const key = snapshotIntentKey(stage, w.volumeId);
      const held = (key in evidence.stored ? evidence.stored[key] : evidence.decisions[key]) as SnapshotIntent | undefined;
      if (held && held.at === evidence.intent.at && held.executionName === evidence.intent.executionName) continue;
      if (held && this.leaseLive(held, w.volumeId)) busy.push([w.volumeId, held]);
      else expired[w.volumeId] = held;
    }
    if (busy.length) throw this.leased(busy);
    if (!Object.keys(expired).length) return;
    if (!(await ledger.take(stage, expired)))
      throw new EvidenceCreateInProgress(
        `Another run took over the ${stage} create call of ${Object.keys(expired).join(', ')} on case ${this.input.caseId} first`,
      );
  }

  /** Whether another execution's intent may still be a create call under way (see {@link takeLeases}). */
  private leaseLive(held: SnapshotIntent, volumeId: string): boolean {
    if (held.executionName === this.deps.ledger.executionName) return false;
    if (Date.parse(held.at) <= this.deps.now().getTime() - CREATE_WINDOW_MS) return false;
    const replaced = this.deps.evidence.recorded.find(
      (r) => r.stage === this.input.stage && r.volumeId === volumeId && r.snapshotId === this.previous.get(volumeId),
    );
    return !(replaced && replaced.executionName === held.executionName && Date.parse(replaced.recordedAt) >= Date.parse(held.at));
  }

  /** The error of a run that finds create calls leased by another execution: retried, or final past the deadline. */
  private leased(busy: readonly [string, SnapshotIntent][]): Error {
    const what = busy
      .map(([v, i]) => `${v} (${i.executionName ?? 'another run'}, until ${new Date(Date.parse(i.at) + CREATE_WINDOW_MS).toISOString()})`)
      .join(', ');
    const message = `Another execution is creating the ${this.input.stage} snapshot of ${what} for case ${this.input.caseId}`;
    if (this.at() > this.input.deadline)
      return new EvidenceIncomplete(`${message}, and the evidence deadline ${this.input.deadline} passed`);
    return new EvidenceCreateInProgress(message);
  }
}

/** Whether a volume attachment still holds the volume on the instance (not detaching or detached). */
const holds = (a: VolumeAttachment, instanceId: string) => a.InstanceId === instanceId && a.State !== 'detaching' && a.State !== 'detached';

/**
 * The EBS volumes attached to the instance now, with their encryption, key and size, in device-name order: one
 * DescribeVolumes filtered on `attachment.instance-id` (EC2 API reference, DescribeVolumes: "To describe volumes that
 * are attached to a specific instance"), every page (issue 13: no DescribeInstances before it). It is read after
 * Contain, so a volume detached since is not the instance's. With none attached, the instance is described
 * ({@link describeTargetInstance}): one that is gone is `ResourceGone` as before, one without EBS volumes has none.
 * @throws {ResourceGone} when no volume is attached and the instance is gone.
 */
async function attachedVolumes(ec2: EC2Client, instanceId: string, notFoundGraceSeconds?: number): Promise<Volume[]> {
  const out: Volume[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }], NextToken: token }),
    );
    out.push(...(page.Volumes ?? []));
    token = page.NextToken;
  } while (token);
  const device = (v: Volume) => v.Attachments?.find((a) => holds(a, instanceId))?.Device ?? '';
  const attached = out.filter((v) => v.VolumeId && device(v)).sort((a, b) => device(a).localeCompare(device(b)));
  if (!attached.length) await describeTargetInstance(ec2, instanceId, { notFoundGraceSeconds });
  return attached;
}

/**
 * The instance's root volume among `volumes` (the one attached at its `RootDeviceName`): one DescribeInstances, made
 * only when a CreateSnapshots must exclude some attached volumes (the root is excluded by `ExcludeBootVolume`, the
 * others by ID: EC2 API reference, CreateSnapshots, InstanceSpecification).
 */
async function rootVolumeOf(ec2: EC2Client, instanceId: string, volumes: readonly Volume[], notFoundGraceSeconds?: number) {
  const instance = await describeTargetInstance(ec2, instanceId, { notFoundGraceSeconds });
  return volumes.find((v) => v.Attachments?.some((a) => holds(a, instanceId) && a.Device === instance.RootDeviceName))?.VolumeId;
}

/**
 * Ensures there is one snapshot of every EBS volume of the instance, recorded on the case by the ID
 * CreateSnapshots returned (DESIGN.md §3, Evidence; issue 11). The volumes are the ones the case recorded at
 * its first SnapshotVolumes (a volume attached later is not the instance's evidence). `CreateSnapshots`
 * (multi-volume, crash-consistent) covers the volumes that have no valid snapshot yet; it offers no
 * `ClientToken` (EC2 API reference, CreateSnapshots; "Ensuring idempotency in Amazon EC2 API requests" lists
 * the actions that take one), so a re-run converges through the ledger ({@link ensureStage}). Each snapshot
 * must be of its volume, owned by the member account, encrypted as its volume is and under the same key
 * (EBS User Guide, "Amazon EBS encryption": a snapshot of an encrypted volume is encrypted with the volume's
 * key), of the volume's size, and started after the case opened.
 * @param input - instance, labels, `deadline` (ISO-8601 UTC: when every stage of the evidence must be
 *   completed by, see {@link SnapshotBatch.deadline}), `ownerAccount`, `mode`, `notFoundGraceSeconds`
 *   ({@link describeTargetInstance}).
 * @param deps - `ledger`: the case's records (required with `mode: apply`); `fold`: the step's timeline entry for
 *   the result, carried by the write that records the new snapshots ({@link ensureStage}).
 * @returns the batch to poll, carrying `deadline` (`mode: plan` returns the volumes with empty snapshot IDs),
 *   and the snapshots rejected or recovered on the way.
 * @throws {ResourceGone} when the instance is gone.
 * @throws {EvidenceIncomplete} when a recorded volume is no longer attached to the instance and has no valid snapshot.
 */
export async function ensureVolumeSnapshots(
  input: {
    instanceId: string;
    labels: EvidenceLabels;
    ownerAccount: string;
    deadline: string | ((stored: Readonly<Record<string, unknown>>) => string);
    mode: StepMode;
    notFoundGraceSeconds?: number;
    extra?: Readonly<Record<string, unknown>>;
  },
  deps: {
    ec2: EC2Client;
    ledger?: EvidenceLedger;
    now?: () => Date;
    fold?: EvidenceFold;
    /** Told the attached volumes as DescribeVolumes gave them (the dry-run plan says which need a transit copy). */
    volumes?: (attached: readonly Volume[]) => void;
  },
): Promise<EvidenceStageResult> {
  if (input.mode === 'apply' && !deps.ledger) throw new InvalidInput('ensureVolumeSnapshots needs the case ledger to apply');
  const volumes = await attachedVolumes(deps.ec2, input.instanceId, input.notFoundGraceSeconds);
  deps.volumes?.(volumes);
  const attached = volumes.map((v) => v.VolumeId!);
  // The stage's first write: the volumes (first seen wins), the intents and `extra` decisions, and the case read back.
  const evidence = deps.ledger && (await deps.ledger.open('source', attached, { ...input.extra, [EVIDENCE_VOLUMES_KEY]: attached }));
  const volumeIds = evidence ? (evidence.stored[EVIDENCE_VOLUMES_KEY] as string[]) : attached;
  // A volume the case recorded that is no longer attached has no description here: it is refused at create time.
  const wanted: Wanted[] = volumeIds.map((volumeId) => {
    const v = volumes.find((x) => x.VolumeId === volumeId);
    return {
      stage: 'source',
      volumeId,
      ownerAccount: input.ownerAccount,
      encrypted: !!v?.Encrypted,
      kmsKeyId: v?.Encrypted ? v.KmsKeyId : undefined,
      volumeSize: v?.Size,
    };
  });
  const deadline = typeof input.deadline === 'string' ? input.deadline : input.deadline(evidence?.stored ?? {});
  const resultOf = (o: StageOutcome) =>
    stageResult(o, { volumeIds, ownerAccount: input.ownerAccount, deadline, caseCreatedAt: evidence?.caseCreatedAt });
  const out = await ensureStage(
    {
      stage: 'source',
      caseId: input.labels.caseId,
      wanted,
      ownerAccount: input.ownerAccount,
      mode: input.mode,
      deadline,
      describeCreate: (ids) => ({ operation: 'EC2.CreateSnapshots', target: input.instanceId, change: `snapshot ${ids.join(', ')}` }),
    },
    {
      ec2: deps.ec2,
      ledger: deps.ledger,
      evidence,
      now: deps.now ?? (() => new Date()),
      fold: deps.fold && ((o) => deps.fold!(resultOf(o))),
    },
    createSourceSnapshots(deps.ec2, { ...input, attached: volumes }),
  );
  return resultOf(out);
}

/**
 * SnapshotVolumes' create call: one CreateSnapshots of the instance (multi-volume, crash-consistent) for the volumes
 * missing, the other attached volumes excluded.
 * @throws {EvidenceIncomplete} when a volume missing is no longer attached.
 * @throws {ResourceGone} when the call fails and the instance is gone.
 */
function createSourceSnapshots(
  ec2: EC2Client,
  input: { instanceId: string; labels: EvidenceLabels; notFoundGraceSeconds?: number; attached: readonly Volume[] },
): StageCreate {
  const attached = input.attached.map((v) => v.VolumeId!);
  const volumes = input.attached;
  return async (missing, created) => {
    const want = new Set(missing.map((w) => w.volumeId));
    const detached = [...want].filter((v) => !attached.includes(v));
    if (detached.length) {
      throw new EvidenceIncomplete(
        `Volume(s) ${detached.join(', ')} of ${input.instanceId}, recorded on case ${input.labels.caseId}, are no longer attached and have no valid snapshot`,
      );
    }
    // Only when some attached volume is not wanted (it has a valid snapshot) must the root be told from the others.
    const root = attached.every((v) => want.has(v))
      ? undefined
      : await rootVolumeOf(ec2, input.instanceId, volumes, input.notFoundGraceSeconds);
    const excluded = attached.filter((v) => v !== root && !want.has(v));
    const made = await ec2
      .send(
        new CreateSnapshotsCommand({
          InstanceSpecification: {
            InstanceId: input.instanceId,
            ExcludeBootVolume: !!root && !want.has(root),
            ExcludeDataVolumeIds: excluded.length ? excluded : undefined,
          },
          Description: `Firebreak evidence, case ${input.labels.caseId}`,
          CopyTagsFromSource: 'volume',
          TagSpecifications: [tagSpec('snapshot', labels(input.labels, { [TAG.stage]: 'source' }))],
        }),
      )
      .catch(async (err: unknown) => {
        // The instance gone since its volumes were read is ResourceGone, as a describe would have said; else the error.
        await describeTargetInstance(ec2, input.instanceId, { notFoundGraceSeconds: 0 });
        throw err;
      });
    for (const s of made.Snapshots ?? []) if (s.VolumeId && s.SnapshotId) created(s.VolumeId, s.SnapshotId);
  };
}

/** A stage's outcome as the step's result: the batch to poll (`''` for a volume still without a snapshot in a plan). */
function stageResult(
  out: StageOutcome,
  b: { volumeIds: string[]; ownerAccount: string; deadline: string; caseCreatedAt?: string },
): EvidenceStageResult {
  const recorded = b.volumeIds.map((v) => out.records.get(v)).filter((r): r is RecordedSnapshot => !!r);
  return {
    batch: {
      snapshotIds: b.volumeIds.map((v) => out.byVolume.get(v) ?? ''),
      sourceVolumeIds: b.volumeIds,
      ownerAccount: b.ownerAccount,
      deadline: b.deadline,
      ...(b.caseCreatedAt ? { recorded, caseCreatedAt: b.caseCreatedAt } : {}),
    },
    actions: out.actions,
    rejected: out.rejected,
    recovered: out.recovered,
    unrecordedRejections: out.unrecordedRejections,
  };
}

/**
 * The absolute evidence deadline of an execution: `deadlineSeconds` after `start`.
 * @param start - when evidence collection started (the first stage).
 * @param deadlineSeconds - the deployment's `evidenceDeadlineSeconds`.
 * @returns ISO-8601 UTC.
 */
export function evidenceDeadline(start: Date, deadlineSeconds: number): string {
  return new Date(start.getTime() + deadlineSeconds * 1000).toISOString();
}

/**
 * Polls a snapshot batch once (one step of a Wait-state loop; never sleeps), and checks each snapshot's
 * provenance against the case's record of it: a batch may only hold snapshots the case recorded.
 * @param input.recorded - the case's recorded snapshots (all stages); `caseCreatedAt` its creation time.
 * @returns `completed` when every snapshot is completed, else `pending`.
 * @throws {EvidenceIncomplete} when a snapshot is in the `error` state or missing, or the deadline
 *   passed while some are still pending.
 * @throws {EvidenceProvenance} when a snapshot of the batch is not one the case recorded, or does not match
 *   its record ({@link provenanceProblems}).
 */
export async function checkSnapshotBatch(
  input: { batch: SnapshotBatch; now: Date; recorded: readonly RecordedSnapshot[]; caseCreatedAt: string },
  deps: { ec2: EC2Client },
): Promise<{ status: 'pending' | 'completed'; progress: Record<string, string> }> {
  const { batch } = input;
  // An empty batch (no volume needed a transit copy) is complete: no call (an empty SnapshotIds would list every snapshot).
  if (!batch.snapshotIds.length) return { status: 'completed', progress: {} };
  const out = await deps.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: batch.snapshotIds }));
  const found = new Map((out.Snapshots ?? []).map((s) => [s.SnapshotId!, s]));
  const progress: Record<string, string> = {};
  for (const id of batch.snapshotIds) {
    const s = found.get(id);
    if (!s) throw new EvidenceIncomplete(`Snapshot ${id} not found in account ${batch.ownerAccount}`);
    if (s.State === 'error') throw new EvidenceIncomplete(`Snapshot ${id} failed: ${s.StateMessage ?? 'error state'}`);
    const record = input.recorded.find((r) => r.snapshotId === id);
    if (!record) throw new EvidenceProvenance(`Snapshot ${id} is not a snapshot the case recorded`);
    const problems = provenanceProblems(s, record, input.caseCreatedAt);
    if (problems.length)
      throw new EvidenceProvenance(
        `Snapshot ${id} (${record.stage} of ${record.volumeId}) is not what the case recorded: ${problems.join('; ')}`,
      );
    progress[id] = `${s.State} ${s.Progress ?? ''}`.trim();
  }
  const done = batch.snapshotIds.every((id) => found.get(id)?.State === 'completed');
  if (done) return { status: 'completed', progress };
  if (input.now.toISOString() > batch.deadline) {
    throw new EvidenceIncomplete(`Snapshots not completed by ${batch.deadline}: ${JSON.stringify(progress)}`);
  }
  return { status: 'pending', progress };
}

/**
 * Ensures a copy of every snapshot the case recorded for the stage before exists in the same account as
 * `ec2`, encrypted with `kmsKeyId`, recorded on the case by the ID CopySnapshot returned (issue 11; tagged with
 * the case and the source snapshot ID, as hints for recovery only). CopySnapshot takes no `ClientToken` (EC2 API
 * reference, CopySnapshot), so a re-run converges through the ledger ({@link ensureStage}). A copy must be
 * owned by `ownerAccount`, encrypted under `kmsKeyId` (a key ARN, as DescribeSnapshots reports it), of its
 * source's size, and started after the case opened; its source is the one the ledger recorded with it (the
 * Snapshot data type has no source field: EC2 API reference, "Snapshot").
 *
 * Used twice: in the member account, to re-encrypt under the transit key (snapshots on the default
 * `aws/ebs` key cannot be shared), and in the security account, to copy the shared snapshot under
 * the security account's own key ("Copy an Amazon EBS snapshot", "Share an Amazon EBS snapshot",
 * Amazon EBS User Guide).
 * @param input.source - the batch of the stage before (its deadline is kept); the snapshots copied are the
 *   ones the ledger recorded for its volumes, whatever the batch says.
 * @param deps.ledger - the case's records (required with `mode: apply`).
 * @param deps.fold - the step's timeline entry for the result, carried by the write that records the copies.
 * @returns the copies as a new batch owned by `ownerAccount`, with the source batch's deadline (one
 *   deadline for every stage: a copy gets no time of its own).
 * @throws {EvidenceIncomplete} when the stage before has no recorded snapshot of a volume.
 */
export async function ensureSnapshotCopies(
  input: {
    source: SnapshotBatch;
    labels: EvidenceLabels;
    stage: 'transit' | 'evidence';
    kmsKeyId: string;
    region: string;
    ownerAccount: string;
    mode: StepMode;
  },
  deps: { ec2: EC2Client; ledger?: EvidenceLedger; now?: () => Date; fold?: EvidenceFold },
): Promise<EvidenceStageResult> {
  if (input.mode === 'apply' && !deps.ledger) throw new InvalidInput('ensureSnapshotCopies needs the case ledger to apply');
  const volumeIds = input.source.sourceVolumeIds;
  // The stage's first write: the intents, and the case read back (the copies' sources are its records, not the batch's).
  const evidence = deps.ledger && (await deps.ledger.open(input.stage, volumeIds));
  const wanted: Wanted[] = volumeIds.map((volumeId, i) => {
    const src = evidence && copySourceOf(evidence.recorded, input.stage, volumeId, input.labels.caseId);
    return {
      stage: input.stage,
      volumeId,
      sourceSnapshotId: src?.snapshotId ?? input.source.snapshotIds[i],
      ownerAccount: input.ownerAccount,
      encrypted: true,
      kmsKeyId: input.kmsKeyId,
      volumeSize: src?.volumeSize,
    };
  });
  const resultOf = (o: StageOutcome) =>
    stageResult(o, {
      volumeIds,
      ownerAccount: input.ownerAccount,
      deadline: input.source.deadline,
      caseCreatedAt: evidence?.caseCreatedAt,
    });
  const out = await ensureStage(
    {
      stage: input.stage,
      caseId: input.labels.caseId,
      wanted,
      ownerAccount: input.ownerAccount,
      mode: input.mode,
      deadline: input.source.deadline,
      describeCreate: (ids) => ({
        operation: 'EC2.CopySnapshot',
        target: ids.map((v) => wanted.find((w) => w.volumeId === v)!.sourceSnapshotId).join(', '),
        change: `copy into ${input.ownerAccount} under ${input.kmsKeyId}`,
      }),
    },
    {
      ec2: deps.ec2,
      ledger: deps.ledger,
      evidence,
      now: deps.now ?? (() => new Date()),
      fold: deps.fold && ((o) => deps.fold!(resultOf(o))),
    },
    async (missing, created) => {
      // Every copy is requested, and all recorded once every call answered; a failed one fails the step after the others are recorded.
      const settled = await Promise.allSettled(
        missing.map(async (w) => {
          const sourceId = w.sourceSnapshotId!;
          const copied = await deps.ec2.send(
            new CopySnapshotCommand({
              SourceSnapshotId: sourceId,
              SourceRegion: input.region,
              Encrypted: true,
              KmsKeyId: input.kmsKeyId,
              Description: `Firebreak ${input.stage} copy of ${sourceId}, case ${input.labels.caseId}`,
              TagSpecifications: [
                tagSpec(
                  'snapshot',
                  labels(input.labels, {
                    [TAG.stage]: input.stage,
                    [TAG.sourceSnapshotId]: sourceId,
                    [TAG.sourceVolumeId]: w.volumeId,
                  }),
                ),
              ],
            }),
          );
          created(w.volumeId, copied.SnapshotId!);
        }),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  );
  return resultOf(out);
}

/**
 * The snapshot the case recorded that a stage's copy of a volume must descend from: the source snapshot for a
 * transit copy; for the security account's copy, the transit copy, or the source snapshot itself when it is
 * unencrypted and the case recorded no transit copy of it ({@link needsTransit}: shared as it is). An encrypted source
 * without a recorded transit copy has none: nothing else may be shared.
 * @throws {EvidenceIncomplete} when the case recorded no snapshot the copy may descend from.
 */
export function copySourceOf(
  recorded: readonly RecordedSnapshot[],
  stage: 'transit' | 'evidence',
  volumeId: string,
  caseId: string,
): RecordedSnapshot {
  const of = (st: SnapshotStage) => recorded.find((r) => r.stage === st && r.volumeId === volumeId);
  const source = of('source');
  const src = stage === 'transit' ? source : (of('transit') ?? (source && !needsTransit(source) ? source : undefined));
  if (!src) {
    const what = stage === 'transit' ? 'source snapshot' : source ? 'transit copy of its encrypted source snapshot' : 'snapshot';
    throw new EvidenceIncomplete(`Case ${caseId} recorded no ${what} of ${volumeId}`);
  }
  return src;
}

/**
 * Ensures every snapshot of a batch is shared with `accountId` (`createVolumePermission`), with one
 * ModifySnapshotAttribute `add` per snapshot and no read first: the call adds the account IDs to the snapshot's list
 * of create-volume permissions (EC2 API reference, ModifySnapshotAttribute), a list that holds an account once, so
 * adding an account already on it leaves the list as it was and a repeat converges ("Share an Amazon EBS snapshot",
 * Amazon EBS User Guide). In `plan` mode nothing is sent and every snapshot is listed.
 * @returns one planned action per snapshot (none when `accountId` owns the batch).
 */
export async function ensureSnapshotsShared(
  input: { batch: SnapshotBatch; accountId: string; mode: StepMode },
  deps: { ec2: EC2Client },
): Promise<PlannedAction[]> {
  if (input.accountId === input.batch.ownerAccount) return [];
  const actions = input.batch.snapshotIds.map((id): PlannedAction => ({
    operation: 'EC2.ModifySnapshotAttribute',
    target: id,
    change: `share with ${input.accountId}`,
  }));
  if (input.mode !== 'apply') return actions;
  await Promise.all(
    input.batch.snapshotIds.map((id) =>
      deps.ec2.send(
        new ModifySnapshotAttributeCommand({
          SnapshotId: id,
          Attribute: 'createVolumePermission',
          OperationType: 'add',
          UserIds: [input.accountId],
        }),
      ),
    ),
  );
  return actions;
}
