/**
 * The chat card of a case event (issue 16): an AWS Chatbot (Amazon Q Developer in chat applications) custom notification,
 * published on the notification topic beside the existing messages. Pure, no SDK and no zod (it is in the bundles of
 * the paging steps).
 *
 * The format ("Custom notifications using Amazon Q Developer in chat applications", Event schema and Parameter details,
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html): `version` must be `1.0`, `source` must be
 * `custom`; `id` optional; `content` with `textType` (only `client-markdown` is supported), `title` and `description`
 * (markdown), `nextSteps` and `keywords` (lists of strings); `metadata` with `threadId` (notifications with one thread
 * together in the channel), `summary`, `eventType`, `relatedResources` and `additionalContext` (string values). A message
 * in another shape is not shown in the channel.
 *
 * How the topic carries both (SNS `MessageStructure: json`, "Publish", Amazon SNS API Reference,
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: a JSON object with a `default` string and optional
 * per-protocol strings; a protocol with no key of its own gets `default`): `https` (AWS Chatbot's subscription) gets the
 * card; `default` is the message each step always published (its JSON or text, byte for byte), so every other protocol
 * (sqs, lambda, email, email-json, http, sms, application, firehose) gets what it got before the cards: the existing
 * consumers (the game day's and the tests' SQS subscription, email, a Lambda, a Firehose archive) read what they read
 * before, and the raw message is carried once.
 *
 * Nothing a member account shaped goes into the card as markdown: each such value (resource ID, finding type, account,
 * region) is made inert ({@link inert}: only letters, digits and `. _ : / = + , ! ( ) -`, cut, in inline code), so a
 * hostile name cannot mention `@channel`, add a link or break the card's markdown. Lengths are Firebreak's own caps
 * ({@link CARD_LIMITS}), well within what a chat message shows, so a card never grows with the finding.
 */

/** The case events that send a card. */
export type CaseEvent = 'opened' | 'approval-requested' | 'contained' | 'released' | 'failed';
/**
 * What a card can be about: a case event, a finding attached to an open case (the attached notice), or a game-day event
 * refused before any claim. The last two are pages, not case events (no `Firebreak Case` event is put for them).
 */
export type CardEvent = CaseEvent | 'attached' | 'gameday-refused';

/** Firebreak's caps on a card's fields (characters; lists: items). */
export const CARD_LIMITS = { title: 250, description: 4000, nextSteps: 6, nextStep: 300, keywords: 6, keyword: 64, value: 160 } as const;

/** An AWS Chatbot custom notification (the documented event schema). */
export interface ChatbotCard {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: string[];
    readonly keywords: string[];
  };
  readonly metadata: {
    readonly threadId?: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: string[];
    readonly additionalContext: Record<string, string>;
  };
}

/** What a card says: Firebreak's own words (`caseId`, `playbook`, `outcome`, `note`) and the finding's values (made inert). */
export interface CaseCardInput {
  readonly event: CardEvent;
  /** The case; absent on a page about no case (a failure before a case was opened, a game-day refusal): no thread. */
  readonly caseId?: string;
  /** The playbook; absent when not known (an event Normalize refused). */
  readonly playbook?: string;
  readonly account: string;
  readonly region: string;
  readonly resourceId?: string;
  readonly findingType?: string;
  readonly severity?: number;
  /** Firebreak's own one-line account of the event (never a member-shaped string). */
  readonly note?: string;
}

const SAFE = /[^A-Za-z0-9._:/=+,!()\- ]/g;

/** A value a member account shaped, as inert inline code: unsafe characters replaced by `?`, cut to `max`. */
export function inert(value: string | undefined, max: number = CARD_LIMITS.value): string {
  const text = (value ?? '').replace(SAFE, '?').trim();
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut ? `\`${cut}\`` : '`-`';
}

const cap = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

const HEADLINE: Record<CardEvent, string> = {
  opened: ':warning: Firebreak case opened (notify-only)',
  'approval-requested': ':raised_hand: Firebreak case waits for approval',
  contained: ':lock: Firebreak contained',
  released: ':unlock: Firebreak released',
  failed: ':x: Firebreak playbook failed',
  attached: ':link: Firebreak: a finding attached to an open case',
  'gameday-refused': ':no_entry: Firebreak refused a game-day event',
};

/** The next steps of a card about no case: a failure before a case was opened, a game-day refusal. */
function caselessSteps(event: CardEvent, runbook: string[]): string[] {
  if (event === 'gameday-refused')
    return [
      'Nothing was claimed or contained.',
      "If no game day of yours was running: look for the sender's PutEvents calls in CloudTrail.",
      ...runbook,
    ];
  return ['No case was opened: `firebreak cases list` shows the open ones; the execution is in the playbook state machine.', ...runbook];
}

/** The `firebreak` commands to act on the case (or, without one, what to look at), for each event. */
function nextStepsOf(event: CardEvent, caseId: string | undefined, playbook: string | undefined): string[] {
  const runbook = playbook ? [`Runbook: runbooks/${playbook}/runbook.md`] : [];
  if (!caseId) return caselessSteps(event, runbook).map((s) => cap(s, CARD_LIMITS.nextStep));
  const show = `\`firebreak cases show ${caseId}\``;
  const steps: Record<CardEvent, string[]> = {
    opened: [`Triage: ${show}`, `Contain by hand if needed: \`firebreak run ${playbook} ...\` (runbooks/${playbook}/runbook.md)`],
    'approval-requested': [
      `Review: ${show}`,
      `Approve: \`firebreak approve ${caseId} --reason "..."\``,
      `Deny: \`firebreak deny ${caseId} --reason "..."\``,
    ],
    contained: [`Investigate: ${show}`, `Release when cleared: \`firebreak release ${caseId} --reason "..."\``],
    released: [`Timeline: ${show}`],
    failed: [`What failed: ${show}`, ...runbook],
    attached: [`Triage it with the case: ${show}`, ...runbook],
    'gameday-refused': [show, ...runbook],
  };
  return steps[event].map((s) => cap(s, CARD_LIMITS.nextStep)).slice(0, CARD_LIMITS.nextSteps);
}

/**
 * The card of one case event (or attached notice, or game-day refusal). The case ID and the playbook are Firebreak's (a
 * case ID is `fb-<date>-<hex>`), every other value is made inert; one thread per case (`threadId` the case ID), so a
 * case's cards stay together. A card about no case has no `id` and no thread.
 */
export function caseCard(input: CaseCardInput): ChatbotCard {
  const caseId = input.caseId?.replace(SAFE, '?').slice(0, 64);
  const playbook = input.playbook?.replace(SAFE, '?').slice(0, 64);
  const severity = input.severity === undefined || !Number.isFinite(input.severity) ? undefined : String(input.severity);
  const lines = [
    caseId ? `*Case:* \`${caseId}\`${playbook ? ` (${playbook})` : ''}` : `*Case:* none${playbook ? ` (${playbook})` : ''}`,
    `*Resource:* ${inert(input.resourceId)} in ${inert(input.account, 12)} / ${inert(input.region, 32)}`,
    ...(input.findingType ? [`*Finding:* ${inert(input.findingType, 100)}${severity ? `, severity ${inert(severity, 8)}` : ''}`] : []),
    ...(input.note ? [cap(input.note.replace(/[`<>@*_~|[\]]/g, ''), 1000)] : []),
  ];
  const thread = caseId ? { threadId: caseId } : {};
  return {
    version: '1.0',
    source: 'custom',
    ...(caseId ? { id: `${caseId}:${input.event}` } : {}),
    content: {
      textType: 'client-markdown',
      title: cap(caseId ? `${HEADLINE[input.event]}: ${caseId}` : HEADLINE[input.event], CARD_LIMITS.title),
      description: cap(lines.join('\n'), CARD_LIMITS.description),
      nextSteps: nextStepsOf(input.event, caseId, playbook).slice(0, CARD_LIMITS.nextSteps),
      keywords: ['firebreak', input.event, ...(playbook ? [playbook] : [])]
        .map((k) => cap(k, CARD_LIMITS.keyword))
        .slice(0, CARD_LIMITS.keywords),
    },
    metadata: {
      ...thread,
      summary: cap(`Firebreak ${input.event}: ${caseId ?? 'no case'}`, CARD_LIMITS.title),
      eventType: input.event,
      relatedResources: [],
      additionalContext: { ...(caseId ? { caseId } : {}), ...(playbook ? { playbook } : {}), event: input.event },
    },
  };
}

/** SNS's largest message, in bytes ("Publish": "up to 256 KB of text data"). */
export const SNS_MESSAGE_MAX_BYTES = 262_144;
/**
 * Bytes kept free for the Publish's message attributes (`caseId`, `kind`: under 200 bytes), which count toward the same
 * limit ("All parts of the message attribute, including name, type, and value, are included in the message size
 * restriction", MessageAttributeValue, Amazon SNS API Reference,
 * https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html).
 */
export const SNS_ATTRIBUTES_RESERVE_BYTES = 1_024;

/**
 * The Publish `Message` and `MessageStructure` that carry the card to Chatbot (`https`) and the unchanged `raw` message
 * to every other subscriber (`default`). Without a card (a page about no case yet), or when both would not fit in one
 * SNS message, `raw` alone (the message as before: no card, never a lost page).
 */
export function withCard(raw: string, card: ChatbotCard | undefined): { Message: string; MessageStructure?: 'json' } {
  if (!card) return { Message: raw };
  const message = JSON.stringify({ default: raw, https: JSON.stringify(card) });
  return new TextEncoder().encode(message).length <= SNS_MESSAGE_MAX_BYTES - SNS_ATTRIBUTES_RESERVE_BYTES
    ? { Message: message, MessageStructure: 'json' }
    : { Message: raw };
}
