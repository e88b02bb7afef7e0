/**
 * What a page is (`kind`) and which case it is about (`caseId`), in the page's body: the one place a subscriber can rely
 * on. Pure, no SDK (it is in the bundles of the paging steps).
 *
 * Why the body: "Message attributes are sent only when the message structure is String, not JSON" ("Amazon SNS message
 * attributes", Amazon SNS Developer Guide, https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html), and
 * a page that carries a chat card is published with `MessageStructure: json` (`withCard`, lib/core/chat-card.ts), so on
 * AWS its `caseId` and `kind` attributes reach no subscriber. The body (SNS's `default` message, which every protocol but
 * Chatbot's `https` receives) says both:
 * - a JSON page: top-level `kind` and, when there is a case, `caseId`;
 * - a plain-text page (the approval request, the breaker trip; text so that e-mail stays readable): its last line is
 *   {@link pageLine}, `Firebreak page: {"kind":"approval-request","caseId":"fb-..."}`.
 *
 * The attributes are still set on every Publish: SNS delivers them whenever the publish is a String one (a page without
 * a card, or one whose card did not fit), and a subscriber's attribute filter policy matches those.
 */

/** The prefix of a plain-text page's last line, which carries its kind and case as JSON. */
export const PAGE_LINE_PREFIX = 'Firebreak page: ';

/** A page's kind and case, as its body says them (each absent when the body does not say it). */
export interface PageIdentity {
  /** `contained`, `notify-only`, `approval-request`, `breaker-tripped`, `failed`, `resource-gone`, `released`, ... */
  readonly kind?: string;
  /** The case (`fb-<yyyymmdd>-<10 hex>`); absent on a page about no case (a game-day refusal, a failure before a case). */
  readonly caseId?: string;
}

/**
 * The last line of a plain-text page: {@link PAGE_LINE_PREFIX} and `{"kind":...,"caseId":...}` (`caseId` only when given).
 * @param kind - Firebreak's own kind of the page (never a member-shaped string).
 * @param caseId - the case, when there is one.
 */
export function pageLine(kind: string, caseId?: string): string {
  return `${PAGE_LINE_PREFIX}${JSON.stringify(caseId ? { kind, caseId } : { kind })}`;
}

/** `kind` and `caseId` of a parsed value, when it is an object that has them as strings. */
function identityOf(value: unknown): PageIdentity | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { kind, caseId } = value as { kind?: unknown; caseId?: unknown };
  if (typeof kind !== 'string') return undefined;
  return typeof caseId === 'string' ? { kind, caseId } : { kind };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A page's kind and case from its body, as a subscriber receives it: a JSON page's top-level `kind` and `caseId`, or a
 * plain-text page's last line ({@link pageLine}). An SNS envelope (SQS without raw delivery, `email-json`, HTTP(S):
 * `Type: Notification` with the page as `Message`) is opened first. Never throws.
 * @param body - the message body.
 * @returns `{}` when the body is not a Firebreak page.
 */
export function pageIdentity(body: string): PageIdentity {
  const parsed = parse(body);
  const envelope = parsed as { Type?: unknown; Message?: unknown } | undefined;
  if (envelope && envelope.Type === 'Notification' && typeof envelope.Message === 'string') return pageIdentity(envelope.Message);
  const json = identityOf(parsed);
  if (json) return json;
  const last = body.trimEnd().split('\n').pop() ?? '';
  return last.startsWith(PAGE_LINE_PREFIX) ? (identityOf(parse(last.slice(PAGE_LINE_PREFIX.length))) ?? {}) : {};
}
