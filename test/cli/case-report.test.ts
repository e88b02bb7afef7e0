import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { terminalSafe } from '../../lib/core/text';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { buildTwinWorld } from '../../lib/harness/local/twin';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * `firebreak cases show <caseId> --html FILE` (issue 16, item 5): the HTML case report of one case, held for approval,
 * approved, contained, noted and released on the local stack, with hostile strings in the finding (title, description,
 * tags) and in what people typed (approval reason, note, release reason). Rendered in headless Chromium as the game-day
 * scorecard is (test/scorecard/scorecard.test.ts); the ledger is read back directly, not through the CLI.
 */

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const HEADLESS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'];
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';
/** Closes a script block, opens one, injects an element with a handler, opens a comment, and drives a terminal. */
const HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> </script><!-- \u001b[2J\u001b]0;pwned\u0007 \u202e';

/** Waits until a case on `resourceId` has a pending approval request; its case ID. */
async function pendingApproval(session: LocalSession, resourceId: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const scan = new ScanCommand({
      TableName: session.env.ledgerTable,
      FilterExpression: 'sk = :c AND resourceId = :r AND attribute_exists(approval)',
      ExpressionAttributeValues: { ':c': 'CASE', ':r': resourceId },
    });
    const found = ((await session.env.security.ddb.send(scan)).Items ?? []).find((c) => !c.approval.answer);
    if (found) return found.caseId as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no approval request appeared for ${resourceId}`);
}

/** The DOM after the page's scripts ran. */
async function dumpDom(file: string): Promise<string> {
  const { stdout } = await run(CHROMIUM, [...HEADLESS, '--virtual-time-budget=5000', '--dump-dom', `file://${file}`], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return stdout;
}

/** How Chromium serializes a text node: `&`, `<`, `>` (and no-break space) escaped, quotes as they are. */
const asDomText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('firebreak cases show --html: the case report', () => {
  const local = useLocalSession({ taskTokenTimeoutMs: 60_000 });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-case-report-'));
  const html = path.join(out, 'case.html');
  let caseId: string;
  let instanceId: string;
  let dom: string;

  beforeAll(async () => {
    const endpoint = local.session.sfn.endpoint;
    const e = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json')));
    e.detail.id = `report-${Math.random().toString(16).slice(2)}`;
    e.detail.title = `title ${HOSTILE}`;
    e.detail.description = `description ${HOSTILE}`;
    e.detail.resource.instanceDetails.tags = [
      { key: 'Name', value: `name ${HOSTILE}` },
      { key: 'env', value: HOSTILE },
    ];
    const twin = await buildTwinWorld(e, local.session.env.member);
    instanceId = twin.instanceId;
    // Protected: the case waits for a person's approval, so the report has an approver.
    const protect = { Key: 'firebreak:protect', Value: `db ${HOSTILE}` };
    await local.session.env.member.ec2.send(new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [protect] }));
    const running = replayEvent(local.session, e, { twin });
    caseId = await pendingApproval(local.session, twin.instanceId);
    expect((await cli(['approve', caseId, '--reason', `approved ${HOSTILE}`, '--endpoint', endpoint])).code).toBe(0);
    expect((await running).report.executions[0]).toMatchObject({ outcome: 'CONTAINED', caseId });
    expect((await cli(['cases', 'note', caseId, `noted ${HOSTILE}`, '--endpoint', endpoint])).code).toBe(0);
    const released = await cli(['release', caseId, '--reason', `released ${HOSTILE}`, '--wait', '--endpoint', endpoint]);
    expect(released.code).toBe(0);
    const show = await cli(['cases', 'show', caseId, '--html', html, '--endpoint', endpoint]);
    expect([show.code, show.stderr]).toEqual([0, [`Wrote the case report of ${caseId} to ${html}`]]);
    expect(show.stdout[0]).toBe(`case ${caseId}  RELEASED`);
    dom = await dumpDom(html);
  }, 300_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('is self-contained: no external script, style, font or URL, and no raw control character', () => {
    const page = fs.readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg')/i);
    // eslint-disable-next-line no-control-regex
    expect([...page].filter((ch) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(ch))).toEqual([]);
  });

  it('renders in headless Chromium with no script error, the chart and the table showing every ledger entry in order', async () => {
    expect(dom).toMatch(/<body[^>]*data-rendered="true"/);
    expect(dom).toMatch(/<pre id="script-errors"><\/pre>/);
    const { timeline } = await readCase(local.session.env, caseId);
    const ledger = timeline.map((t) => [t.at as string, t.step as string]);
    expect(ledger.length).toBeGreaterThan(15);
    expect((dom.match(/<g class="entry" data-index="\d+">/g) ?? []).length).toBe(ledger.length);
    const rows = [...dom.matchAll(/<tr class="entry" data-index="\d+"><td class="time">([^<]+)<\/td><td>([^<]+)<\/td>/g)];
    expect(rows.map((m) => [m[1], m[2]])).toEqual(ledger);
    for (const [at] of ledger) expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(dom).toContain('<svg class="timeline"');
  });

  it('shows the case, every change with its prior state, the evidence, and who approved, noted and released', async () => {
    const { item } = await readCase(local.session.env, caseId);
    expect(dom).toContain(`<tr><th>Finding type</th><td>${item!.incident.finding.type}</td></tr>`);
    expect(dom).toContain(`<tr><th>Outcome</th><td>CONTAINED → RELEASED</td></tr>`);
    for (const role of ['approved', 'noted', 'asked for release', 'released'])
      expect(dom).toMatch(new RegExp(`<tr class="actor"><td class="time">[^<]+</td><td>${role}</td><td>${OPERATOR}</td>`));
    expect(dom).toContain('<td>EC2.ModifyNetworkInterfaceAttribute</td>');
    expect(dom).toContain('<dt>securityGroupsByEni</dt>');
    const manifest = item!.evidence.manifest as { sha256: string; versionId: string };
    expect(dom).toContain(manifest.sha256);
    expect(dom).toContain(manifest.versionId);
    const kms = Object.values(item!.evidence as Record<string, { kmsKeyId?: string }>).find((v) => v.kmsKeyId)!.kmsKeyId!;
    expect(dom).toContain(`<dt>kmsKeyId</dt><dd><span class="value">${kms}</span></dd>`);
    expect(dom).toContain('<dt>ownerAccount</dt><dd><span class="value">222222222222</span></dd>');
  });

  it('shows hostile strings only as text: no injected element, the recorded text escaped', async () => {
    expect(dom).not.toMatch(/<img/i);
    expect(dom.match(/<script/g)).toHaveLength(2);
    expect(dom).not.toMatch(/onerror=alert\(2\)>/);
    const { item } = await readCase(local.session.env, caseId);
    const title = item!.incident.finding.title as string;
    expect(title).toContain('<script>');
    expect(dom).toContain(`<tr><th>Title</th><td>${asDomText(terminalSafe(title))}</td></tr>`);
    for (const said of [`approved ${HOSTILE}`, `noted ${HOSTILE}`, `released ${HOSTILE}`])
      expect(dom).toContain(`<td>${asDomText(terminalSafe(said))}</td>`);
    expect(dom).toContain('\\u001b[2J\\u001b]0;pwned\\u0007 \\u202e');
  });

  it('catches and shows a script error, so the check above can fail', async () => {
    const broken = path.join(out, 'broken.html');
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('var entries = data.timeline;');
    fs.writeFileSync(broken, page.replace('var entries = data.timeline;', 'var entries = data.timeline; entries = null;'));
    const dom = await dumpDom(broken);
    expect(dom).not.toMatch(/data-rendered="true"/);
    expect(dom).toMatch(/<pre id="script-errors">[^<]+<\/pre>/);
  }, 120_000);

  it('cases list --resource finds the case by its resource (the runbooks\' "only have an instance ID?")', async () => {
    const endpoint = local.session.sfn.endpoint;
    const listed = JSON.parse((await cli(['cases', 'list', '--resource', instanceId, '--json', '--endpoint', endpoint])).stdout.join('\n'));
    expect(listed.map((c: { caseId: string; resourceId: string }) => [c.caseId, c.resourceId])).toEqual([[caseId, instanceId]]);
    const none = await cli(['cases', 'list', '--resource', 'i-00000000000000000', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(none.stdout.join('\n'))).toEqual([]);
    const empty = await cli(['cases', 'list', '--resource', '', '--endpoint', 'http://127.0.0.1:1']);
    expect([empty.code, empty.stderr]).toEqual([2, ['firebreak: error: --resource needs a resource ID']]);
  });

  it('refuses an empty --html before any AWS call', async () => {
    const r = await cli(['cases', 'show', caseId, '--html', ' ', '--endpoint', 'http://127.0.0.1:1']);
    expect([r.code, r.stderr]).toEqual([2, ['firebreak: error: --html needs a file name']]);
  });
});
