/**
 * The one rule for the `Subject` of every SNS notification Firebreak publishes. Subjects carry text a
 * member account chose (resource IDs, finding types, names), and SNS refuses or garbles what it does not
 * allow: "Subjects must be UTF-8 text with no line breaks or control characters, and less than 100
 * characters long" ("Publish", Amazon SNS API Reference,
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Email clients show the subject as it is,
 * so nothing that can move the cursor, recolour or reorder it may reach one either.
 */

/** The longest subject: SNS wants fewer than 100 characters. */
export const SNS_SUBJECT_MAX_CHARS = 99;

/** Said instead of a subject that has nothing printable left. */
const EMPTY_SUBJECT = '[Firebreak] notification';

/**
 * Makes any text a safe SNS subject: ANSI escape sequences (CSI, OSC) removed whole; line breaks and tabs
 * become spaces; every other control, format (bidirectional, zero-width) or unpaired surrogate character
 * removed; every other character outside printable ASCII (U+0020 to U+007E) becomes `?`; runs of spaces
 * become one; trimmed; cut to {@link SNS_SUBJECT_MAX_CHARS} characters. Put what must survive the cut (the
 * case ID) first.
 * @param text - the subject as composed, any string.
 * @returns 1 to 99 characters of printable ASCII, neither starting nor ending with a space.
 */
export function snsSubject(text: string): string {
  const ascii = text
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g, '')
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '')
    .replace(/[^\x20-\x7e]/gu, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  const cut = ascii.slice(0, SNS_SUBJECT_MAX_CHARS).trimEnd();
  return cut.length ? cut : EMPTY_SUBJECT;
}
