import { InvalidInput } from '../core/errors';

/**
 * GETs a path of an endpoint the user named (`--endpoint`), before any AWS call.
 * @param hint - what should answer there, an example URL, and the command that starts one.
 * @returns the response, whatever its status.
 * @throws {InvalidInput} when the URL is malformed or not http(s), or nothing answers within 15 s.
 */
export async function probeEndpoint(
  endpoint: string,
  pathname: string,
  hint: { what: string; example: string; start: string },
): Promise<Response> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InvalidInput(`--endpoint ${endpoint} is not a URL (expected e.g. ${hint.example})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInput(`--endpoint ${endpoint} must be an http(s) URL`);
  try {
    return await fetch(new URL(pathname, url), { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new InvalidInput(
      `no ${hint.what} answers at ${endpoint} (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}); start one with: ${hint.start}`,
      { cause: err },
    );
  }
}
