/** The SGR codes Firebreak's own styles write (lib/cli/render.ts `style`): green, red, bold, dim and their resets. */
// eslint-disable-next-line no-control-regex
const OWN_STYLES = /\u001b\[(?:1|2|22|31|32|39)m/g;
/**
 * Control characters a terminal acts on: C0 but tab and newline (carriage return included: it hides what
 * came before it on the line), DEL, C1, and the Unicode bidirectional controls (U+061C, U+200E–U+200F,
 * U+202A–U+202E, U+2066–U+2069) that reorder what a person reads.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text safe to print on a terminal: every control character but tab and newline is replaced by a
 * visible escape (`\u001b`, `\u000d`, `\u202e`), so text that came from a finding, a tag or the ledger
 * can neither move the cursor, clear the screen, recolour or hide text, nor reorder what follows
 * (CWE-150, "Improper Neutralization of Escape, Meta, or Control Sequences"; CVE-2021-42574, "Trojan
 * Source").
 * @param line - the text.
 * @param keepOwnStyles - keep the colour codes Firebreak's own styles write (only when colour is on).
 * @returns the line, printable.
 */
export function terminalSafe(line: string, keepOwnStyles = false): string {
  // `\uXXXX`: readable, and the same character again inside a JSON string (`--json` output stays valid JSON).
  const escape = (text: string) => text.replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  if (!keepOwnStyles) return escape(line);
  const parts = line.split(OWN_STYLES);
  const styles = line.match(OWN_STYLES) ?? [];
  return parts.map((p, i) => escape(p) + (styles[i] ?? '')).join('');
}
