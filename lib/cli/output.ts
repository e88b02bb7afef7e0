/** Where the CLI writes: results to stdout, diagnostics to stderr (DESIGN.md §7, "Output"). */
export interface Output {
  /** One line of result (stdout). */
  out(line: string): void;
  /** One line of diagnostics or progress (stderr). */
  err(line: string): void;
  /** Whether results may use ANSI colour. @default false */
  readonly color?: boolean;
}

/**
 * The process's stdout and stderr. Colour only on a terminal, and never when `NO_COLOR` is set
 * (https://no-color.org) or `TERM=dumb`.
 */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  color: colorAllowed(process.stdout, process.env),
};

/**
 * Whether output to a stream may use ANSI colour: only on a terminal, never when `NO_COLOR` is set to
 * anything non-empty (https://no-color.org), never with `TERM=dumb`.
 */
export function colorAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
}

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

/**
 * An output whose every line goes through {@link terminalSafe}: what every command writes. JSON output
 * keeps its meaning: JSON.stringify already escapes C0 controls, and the `\uXXXX` written for the others
 * is the same character again inside a JSON string.
 */
export function safeOutput(output: Output): Output {
  return {
    out: (line) => output.out(terminalSafe(line, output.color)),
    err: (line) => output.err(terminalSafe(line, output.color)),
    color: output.color,
  };
}

/** Exit codes of every command (issue #2): a contract for scripts. */
export const ExitCode = {
  /** The pipeline did what it was designed to do: contained, no rule matched, already handled, dry run. */
  Ok: 0,
  /** A playbook failed, a read-back check failed, or a drill expectation failed. */
  Failed: 1,
  /** Invalid input: one line on stderr, no AWS call made. */
  InvalidInput: 2,
} as const;
