/**
 * Event selectors, basic and advanced, in one form so that a trail's selectors before and after a change can be compared
 * (judge.ts). Pure: no AWS call.
 *
 * CloudTrail semantics relied on ("PutEventSelectors", CloudTrail API Reference,
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html; "Logging data events" and
 * "Logging management events", CloudTrail User Guide):
 * - a trail logs an event if it matches ANY of its selectors; the field selectors of an advanced selector must ALL match;
 * - a trail uses either basic (`EventSelectors`) or advanced (`AdvancedEventSelectors`) selectors, never both, and a
 *   PutEventSelectors call replaces the whole set ("If you apply AdvancedEventSelectors to a trail, any existing
 *   EventSelectors are overwritten");
 * - "By default, trails created without specific event selectors are configured to log all read and write management
 *   events, and no data events": a trail with no selector at all is read as that default;
 * - a basic selector's `ReadWriteType` defaults to `All` and `IncludeManagementEvents` to true; a data resource with no
 *   values selects nothing; a value with no resource part (`arn:aws:s3`, `arn:aws:s3:::`, `arn:aws:lambda`) selects every
 *   resource of the type, any other value is an ARN prefix (S3) or an ARN (other types; read here as a prefix too);
 * - `ExcludeManagementEventSources` lists the event sources (e.g. `kms.amazonaws.com`) whose management events are
 *   not logged.
 * A basic selector is written as the advanced selectors that log the same events (the form the CloudTrail console
 * shows when it converts them): `eventCategory = Management` / `Data`, `resources.type`, `resources.ARN` starts with,
 * `readOnly`, `eventSource` not equal to.
 */

/** One field selector of an advanced selector, one operator each (the operators of one field selector are all required). */
export interface FieldCondition {
  readonly field: string;
  readonly op: 'equals' | 'startsWith' | 'endsWith' | 'notEquals' | 'notStartsWith' | 'notEndsWith';
  readonly values: readonly string[];
}

/** A selector in advanced form: it logs the events that satisfy every condition. */
export interface Selector {
  /** Where it came from: a basic selector (and which part of it) or an advanced selector's name. */
  readonly origin: 'basic' | 'advanced';
  readonly name?: string;
  readonly conditions: readonly FieldCondition[];
}

const OPS: readonly FieldCondition['op'][] = ['equals', 'startsWith', 'endsWith', 'notEquals', 'notStartsWith', 'notEndsWith'];

/** The documented default of a trail without selectors: every management event, read and write. */
export const DEFAULT_SELECTORS: readonly Selector[] = [
  { origin: 'basic', name: 'management events', conditions: [{ field: 'eventCategory', op: 'equals', values: ['Management'] }] },
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
/** A key read in either case: CloudTrail records camelCase (`eventSelectors`), the SDK returns PascalCase (`EventSelectors`). */
export function prop(o: Record<string, unknown>, key: string): unknown {
  return o[key] ?? o[key[0].toUpperCase() + key.slice(1)];
}
const boolOf = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);

/** A data resource value that selects every resource of its type (no resource part). */
export function selectsAllOfType(value: string): boolean {
  return /^arn:[\w-]+:[\w-]+(:::?)?$/.test(value);
}

function readOnlyConditions(readWriteType: unknown): FieldCondition[] {
  if (readWriteType === 'ReadOnly') return [{ field: 'readOnly', op: 'equals', values: ['true'] }];
  if (readWriteType === 'WriteOnly') return [{ field: 'readOnly', op: 'equals', values: ['false'] }];
  return [];
}

/**
 * A basic selector as the advanced selectors that log the same events.
 * @returns `undefined` when the selector is malformed.
 */
function fromBasic(raw: unknown): Selector[] | undefined {
  if (!isRecord(raw)) return undefined;
  const ro = readOnlyConditions(prop(raw, 'readWriteType') ?? 'All');
  const out: Selector[] = [];
  const management = boolOf(prop(raw, 'includeManagementEvents')) ?? true;
  const excluded = strings(prop(raw, 'excludeManagementEventSources') ?? []) ?? [];
  if (management)
    out.push({
      origin: 'basic',
      name: 'management events',
      conditions: [
        { field: 'eventCategory', op: 'equals', values: ['Management'] },
        ...ro,
        ...(excluded.length ? [{ field: 'eventSource', op: 'notEquals' as const, values: excluded }] : []),
      ],
    });
  const resources = prop(raw, 'dataResources') ?? [];
  if (!Array.isArray(resources)) return undefined;
  for (const r of resources) {
    const type = isRecord(r) ? prop(r, 'type') : undefined;
    const values = isRecord(r) ? strings(prop(r, 'values') ?? []) : undefined;
    if (typeof type !== 'string' || !values) return undefined;
    for (const v of values)
      out.push({
        origin: 'basic',
        name: `${type} data events`,
        conditions: [
          { field: 'eventCategory', op: 'equals', values: ['Data'] },
          { field: 'resources.type', op: 'equals', values: [type] },
          ...(selectsAllOfType(v) ? [] : [{ field: 'resources.ARN', op: 'startsWith' as const, values: [v] }]),
          ...ro,
        ],
      });
  }
  return out;
}

/** An advanced selector, one condition per operator; `undefined` when malformed. */
function fromAdvanced(raw: unknown): Selector | undefined {
  if (!isRecord(raw)) return undefined;
  const fields = prop(raw, 'fieldSelectors');
  if (!Array.isArray(fields) || !fields.length) return undefined;
  const conditions: FieldCondition[] = [];
  for (const f of fields) {
    const field = isRecord(f) ? prop(f, 'field') : undefined;
    if (!isRecord(f) || typeof field !== 'string') return undefined;
    for (const op of OPS) {
      const values = prop(f, op);
      if (values === undefined || values === null) continue;
      const list = strings(values);
      if (!list || !list.length) return undefined;
      conditions.push({ field, op, values: list });
    }
  }
  const name = prop(raw, 'name');
  return { origin: 'advanced', name: typeof name === 'string' ? name : undefined, conditions };
}

/**
 * The selectors a trail logs with, in advanced form, from a PutEventSelectors call's `requestParameters` (camelCase) or a
 * GetEventSelectors response (PascalCase).
 * @returns the selectors ({@link DEFAULT_SELECTORS} when there are none of either kind), or `undefined` when they cannot
 *   be read (malformed).
 */
export function parseSelectors(source: Record<string, unknown>): readonly Selector[] | undefined {
  const advanced = prop(source, 'advancedEventSelectors');
  const basic = prop(source, 'eventSelectors');
  if (Array.isArray(advanced) && advanced.length) {
    const out = advanced.map(fromAdvanced);
    return out.every((s): s is Selector => s !== undefined) ? out : undefined;
  }
  if (Array.isArray(basic) && basic.length) {
    const out = basic.map(fromBasic);
    return out.every((s): s is Selector[] => s !== undefined) ? out.flat() : undefined;
  }
  if ((advanced !== undefined && !Array.isArray(advanced)) || (basic !== undefined && !Array.isArray(basic))) return undefined;
  return DEFAULT_SELECTORS;
}

const startsWithAny = (v: string, prefixes: readonly string[]) => prefixes.some((p) => v.startsWith(p));
const endsWithAny = (v: string, suffixes: readonly string[]) => suffixes.some((s) => v.endsWith(s));

/** Whether every value that satisfies `b` satisfies `a` (both on the same field): sound, not complete. */
function implies(b: FieldCondition, a: FieldCondition): boolean {
  switch (a.op) {
    case 'equals':
      return b.op === 'equals' && b.values.every((v) => a.values.includes(v));
    case 'startsWith':
      return (b.op === 'equals' || b.op === 'startsWith') && b.values.every((v) => startsWithAny(v, a.values));
    case 'endsWith':
      return (b.op === 'equals' || b.op === 'endsWith') && b.values.every((v) => endsWithAny(v, a.values));
    case 'notEquals':
      return (
        (b.op === 'equals' && b.values.every((v) => !a.values.includes(v))) ||
        (b.op === 'notEquals' && a.values.every((v) => b.values.includes(v))) ||
        (b.op === 'notStartsWith' && a.values.every((v) => startsWithAny(v, b.values))) ||
        (b.op === 'notEndsWith' && a.values.every((v) => endsWithAny(v, b.values)))
      );
    case 'notStartsWith':
      return (
        (b.op === 'equals' && b.values.every((v) => !startsWithAny(v, a.values))) ||
        (b.op === 'notStartsWith' && a.values.every((v) => startsWithAny(v, b.values)))
      );
    case 'notEndsWith':
      return (
        (b.op === 'equals' && b.values.every((v) => !endsWithAny(v, a.values))) ||
        (b.op === 'notEndsWith' && a.values.every((v) => endsWithAny(v, b.values)))
      );
  }
}

/**
 * Whether selector `a` logs every event selector `b` logs: each condition of `a` follows from one of `b`'s on the same
 * field (sound: a `true` is certain; a `false` may miss a coverage that only several conditions together give).
 */
export function covers(a: Selector, b: Selector): boolean {
  return a.conditions.every((ca) => b.conditions.some((cb) => cb.field === ca.field && implies(cb, ca)));
}

/** A selector in words, for the case and the notification (what the member account wrote, as data: never interpreted). */
export function describeSelector(s: Selector): string {
  const conditions = s.conditions.map((c) => `${c.field} ${c.op} [${c.values.join(', ')}]`).join(' and ');
  return `${s.origin === 'advanced' ? `advanced selector${s.name ? ` "${s.name}"` : ''}` : (s.name ?? 'basic selector')}: ${conditions}`;
}

/** The category a selector logs (`Management`, `Data`, ...), when it names exactly one. */
export function categoryOf(s: Selector): string | undefined {
  const c = s.conditions.find((x) => x.field === 'eventCategory' && x.op === 'equals' && x.values.length === 1);
  return c?.values[0];
}
