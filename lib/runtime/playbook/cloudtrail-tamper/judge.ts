import { categoryOf, covers, describeSelector, parseSelectors, prop, Selector } from './selectors';

/**
 * The judgement of a change to a trail (issue 14, "Tamper response judges the change"): does the call reduce what is
 * logged, increase it, leave it as it was, or can that not be told? Pure: no AWS call, no clock.
 *
 * The change is the call's `requestParameters` as CloudTrail recorded it (the parameters of the API request, "CloudTrail
 * record contents", CloudTrail User Guide), compared with the trail's configuration before the call
 * ({@link TrailBaseline}: what Firebreak itself last read of the trail, baseline.ts). API semantics relied on
 * (CloudTrail API Reference):
 * - StopLogging ("Suspends the recording of AWS API calls and log file delivery") and DeleteTrail always reduce;
 * - PutEventSelectors replaces the trail's whole selector set (selectors.ts), so its request is the "after" set whole;
 * - UpdateTrail changes only the parameters it is given ("UpdateTrail": each parameter is optional; an empty
 *   `S3KeyPrefix`, `SnsTopicName`, `CloudWatchLogsLogGroupArn`/`CloudWatchLogsRoleArn` or `KmsKeyId` removes the
 *   setting), so each given parameter is compared with the same setting before;
 * - GuardDuty DeleteDetector and DisassociateFromAdministratorAccount / DisassociateFromMasterAccount (and UpdateDetector
 *   with `enable: false`) stop or detach detection: always reductions.
 */

/** What the judgement found: `reduces` wins over `unknown`, which wins over `increases`, over `unchanged`. */
export type Verdict = 'reduces' | 'increases' | 'unchanged' | 'unknown';

/** One change found, named in the field's terms (`kind`) and described for a person (`detail`). */
export interface TrailChange {
  readonly kind: string;
  readonly detail: string;
}

/** The judgement of one call: the verdict and every reduction, increase and undecidable change found. */
export interface Judgement {
  readonly verdict: Verdict;
  readonly reductions: TrailChange[];
  readonly increases: TrailChange[];
  /** What could not be judged, and why (the trail's prior configuration unknown, a KMS key named by alias, ...). */
  readonly unknowns: TrailChange[];
}

/** The trail settings UpdateTrail changes, as GetTrail returns them (absent string = not set, absent boolean = false). */
export interface TrailSettings {
  readonly s3BucketName?: string;
  readonly s3KeyPrefix?: string;
  readonly snsTopicName?: string;
  readonly includeGlobalServiceEvents?: boolean;
  readonly isMultiRegionTrail?: boolean;
  readonly logFileValidationEnabled?: boolean;
  readonly cloudWatchLogsLogGroupArn?: string;
  readonly cloudWatchLogsRoleArn?: string;
  readonly kmsKeyId?: string;
  readonly isOrganizationTrail?: boolean;
}

/** A trail's configuration before a call: its settings and its selectors (advanced form, selectors.ts). */
export interface TrailBaseline {
  readonly settings: TrailSettings;
  readonly selectors: readonly Selector[];
}

/** The call judged: from the incident's `ApiCall` resource. */
export interface TrailCall {
  readonly eventSource: string;
  readonly eventName: string;
  readonly requestParameters?: Record<string, unknown> | null;
}

/** The boolean settings: UpdateTrail's parameter, GetTrail's field, the name of the change. */
const BOOLEANS: readonly [string, keyof TrailSettings, string, string][] = [
  ['includeGlobalServiceEvents', 'includeGlobalServiceEvents', 'global-service-events', 'global service events'],
  ['isMultiRegionTrail', 'isMultiRegionTrail', 'multi-region', 'multi-region logging'],
  ['enableLogFileValidation', 'logFileValidationEnabled', 'log-file-validation', 'log file validation'],
  ['isOrganizationTrail', 'isOrganizationTrail', 'organization-trail', 'organization trail'],
];

/** The string settings: parameter (= GetTrail field), name of the change, words, and whether adding one logs more. */
const STRINGS: readonly [keyof TrailSettings, string, string][] = [
  ['s3BucketName', 'destination', 'destination bucket'],
  ['s3KeyPrefix', 'destination', 'destination prefix'],
  ['snsTopicName', 'sns-notifications', 'log delivery notifications (SNS topic)'],
  ['cloudWatchLogsLogGroupArn', 'cloudwatch-logs', 'CloudWatch Logs delivery (log group)'],
  ['cloudWatchLogsRoleArn', 'cloudwatch-logs-role', 'CloudWatch Logs delivery role'],
  ['kmsKeyId', 'kms-key', 'SSE-KMS encryption of the log files (KMS key)'],
];

const ALWAYS_REDUCES: Readonly<Record<string, TrailChange>> = {
  'cloudtrail.amazonaws.com:StopLogging': { kind: 'logging-stopped', detail: 'the trail stopped logging (StopLogging)' },
  'cloudtrail.amazonaws.com:DeleteTrail': { kind: 'trail-deleted', detail: 'the trail was deleted (DeleteTrail)' },
  'guardduty.amazonaws.com:DeleteDetector': { kind: 'guardduty-detector-deleted', detail: 'the GuardDuty detector was deleted' },
  'guardduty.amazonaws.com:DisassociateFromAdministratorAccount': {
    kind: 'guardduty-disassociated',
    detail: 'the account left its GuardDuty administrator (findings no longer reach the administrator)',
  },
  'guardduty.amazonaws.com:DisassociateFromMasterAccount': {
    kind: 'guardduty-disassociated',
    detail: 'the account left its GuardDuty administrator (findings no longer reach the administrator)',
  },
};

const boolOf = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);

/** The verdict of lists of changes found. */
export function verdictOf(j: Omit<Judgement, 'verdict'>): Verdict {
  return j.reductions.length ? 'reduces' : j.unknowns.length ? 'unknown' : j.increases.length ? 'increases' : 'unchanged';
}

/**
 * The most changes listed per kind of list: a trail may have 250 data resources (and advanced selectors up to 500 values),
 * and the judgement travels in the state, the case item and the notification. The verdict counts them all.
 */
export const MAX_CHANGES_LISTED = 50;

function capped(changes: TrailChange[]): TrailChange[] {
  if (changes.length <= MAX_CHANGES_LISTED) return changes;
  const more = changes.length - MAX_CHANGES_LISTED + 1;
  return [...changes.slice(0, MAX_CHANGES_LISTED - 1), { kind: 'more', detail: `${more} more change(s) of this kind, not listed` }];
}

function judged(reductions: TrailChange[], increases: TrailChange[], unknowns: TrailChange[]): Judgement {
  const verdict = verdictOf({ reductions, increases, unknowns });
  return { verdict, reductions: capped(reductions), increases: capped(increases), unknowns: capped(unknowns) };
}

const PRIOR_UNKNOWN = 'the trail configuration before the call is unknown (Firebreak has not read this trail before)';

/**
 * Judges one call against the trail's configuration before it.
 * @param call - the call (event source, name, request parameters).
 * @param before - the trail's configuration before the call, or `undefined` when it is not known.
 * @returns the judgement; never throws (a malformed or unrecognised call is `unknown`).
 */
export function judgeTrailChange(call: TrailCall, before: TrailBaseline | undefined): Judgement {
  const always = ALWAYS_REDUCES[`${call.eventSource}:${call.eventName}`];
  if (always) return judged([always], [], []);
  const params = call.requestParameters ?? {};
  // CloudTrail leaves `requestParameters` out (null) when it cannot record them: the change is then not in the event.
  if (call.eventSource === 'cloudtrail.amazonaws.com' && !call.requestParameters)
    return judged([], [], [{ kind: 'request-not-recorded', detail: `the ${call.eventName} event carries no request parameters` }]);
  if (call.eventSource === 'guardduty.amazonaws.com' && call.eventName === 'UpdateDetector')
    return boolOf(prop(params, 'enable')) === false
      ? judged([{ kind: 'guardduty-detector-disabled', detail: 'the GuardDuty detector was disabled' }], [], [])
      : judged([], [], []);
  if (call.eventSource === 'cloudtrail.amazonaws.com' && call.eventName === 'PutEventSelectors') return judgeSelectors(params, before);
  if (call.eventSource === 'cloudtrail.amazonaws.com' && call.eventName === 'UpdateTrail') return judgeSettings(params, before);
  return judged([], [], [{ kind: 'unrecognised-call', detail: `${call.eventSource} ${call.eventName} is not a call Firebreak judges` }]);
}

function changeOf(s: Selector, verb: 'narrowed' | 'added'): TrailChange {
  const category = categoryOf(s);
  const what = s.origin === 'advanced' ? 'advanced-selectors' : category === 'Management' ? 'management-events' : 'data-events';
  const words = verb === 'narrowed' ? 'no longer logged in full' : 'now logged';
  return { kind: `${what}-${verb}`, detail: `${describeSelector(s)}: ${words}` };
}

/** PutEventSelectors: every selector before must be covered by one after (else a reduction); new coverage is an increase. */
function judgeSelectors(params: Record<string, unknown>, before: TrailBaseline | undefined): Judgement {
  const given = [prop(params, 'eventSelectors'), prop(params, 'advancedEventSelectors')];
  // A call sets one non-empty list or the other (API Reference); a record without either does not say what was set.
  const after = given.some((l) => Array.isArray(l) && l.length) ? parseSelectors(params) : undefined;
  if (!after) return judged([], [], [{ kind: 'selectors-unreadable', detail: 'the call carries selectors Firebreak cannot read' }]);
  if (!before)
    return judged(
      [],
      [],
      [{ kind: 'prior-configuration-unknown', detail: `${PRIOR_UNKNOWN}: the selectors it replaced cannot be compared` }],
    );
  const reductions = before.selectors.filter((b) => !after.some((a) => covers(a, b))).map((b) => changeOf(b, 'narrowed'));
  const increases = after.filter((a) => !before.selectors.some((b) => covers(b, a))).map((a) => changeOf(a, 'added'));
  return judged(reductions, increases, []);
}

/** Two KMS key identifiers name the same key: equal, or a key ARN and its key ID; an alias cannot be told without KMS. */
function sameKey(a: string, b: string): boolean | undefined {
  if (a === b) return true;
  const id = (k: string) => (k.includes(':key/') ? k.split(':key/')[1] : /^[0-9a-f-]{36}$|^mrk-[0-9a-f]{32}$/.test(k) ? k : undefined);
  const [ia, ib] = [id(a), id(b)];
  return ia && ib ? ia === ib : undefined;
}

/** An SNS topic named by name or ARN. */
const sameTopic = (a: string, b: string) => a === b || a.endsWith(`:${b}`) || b.endsWith(`:${a}`);

function judgeString(key: keyof TrailSettings, kind: string, words: string, after: string, before: string | undefined): Judgement {
  if (before === undefined)
    return judged([], [], [{ kind: 'prior-configuration-unknown', detail: `${PRIOR_UNKNOWN}: ${words} set to "${after}"` }]);
  const same =
    key === 'kmsKeyId' && before && after ? sameKey(before, after) : key === 'snsTopicName' ? sameTopic(before, after) : before === after;
  if (same === true || (!before && !after)) return judged([], [], []);
  if (same === undefined)
    return judged(
      [],
      [],
      [{ kind: `${kind}-unverifiable`, detail: `${words} "${before}" → "${after}": one is an alias, which only KMS can resolve` }],
    );
  if (!after) return judged([{ kind: `${kind}-removed`, detail: `${words} removed (was "${before}")` }], [], []);
  if (!before && key !== 's3KeyPrefix') return judged([], [{ kind: `${kind}-added`, detail: `${words} added: "${after}"` }], []);
  // A new role may not be able to write to the log group: only delivery itself would tell.
  if (key === 'cloudWatchLogsRoleArn')
    return judged(
      [],
      [],
      [{ kind: `${kind}-changed`, detail: `${words} "${before}" → "${after}": whether logs are still delivered cannot be told` }],
    );
  return judged([{ kind: `${kind}-changed`, detail: `${words} "${before}" → "${after}"` }], [], []);
}

/** UpdateTrail: each parameter given, compared with the same setting before. */
function judgeSettings(params: Record<string, unknown>, before: TrailBaseline | undefined): Judgement {
  const parts: Judgement[] = [];
  for (const [param, key, kind, words] of BOOLEANS) {
    const after = boolOf(params[param]);
    if (after === undefined) continue;
    const was = before ? ((before.settings[key] as boolean | undefined) ?? false) : undefined;
    if (was === after) continue;
    if (after)
      parts.push(
        judged(
          [],
          [{ kind: `${kind}-enabled`, detail: `${words} turned on${was === undefined ? ' (on is never less logging)' : ''}` }],
          [],
        ),
      );
    else if (was === undefined)
      parts.push(judged([], [], [{ kind: 'prior-configuration-unknown', detail: `${PRIOR_UNKNOWN}: ${words} turned off` }]));
    else parts.push(judged([{ kind: `${kind}-disabled`, detail: `${words} turned off` }], [], []));
  }
  for (const [key, kind, words] of STRINGS) {
    const after = params[key];
    if (typeof after !== 'string') continue;
    const was = before ? ((before.settings[key] as string | undefined) ?? '') : undefined;
    parts.push(judgeString(key, kind, words, after, was));
  }
  return judged(
    parts.flatMap((p) => p.reductions),
    parts.flatMap((p) => p.increases),
    parts.flatMap((p) => p.unknowns),
  );
}
