import { terminalSafe } from '../core/text';
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
