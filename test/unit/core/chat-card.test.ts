import fc from 'fast-check';
import { caseCard, CARD_LIMITS, CardEvent, CaseEvent, inert, SNS_MESSAGE_MAX_BYTES, withCard } from '../../../lib/core/chat-card';
import { ChatbotNotificationSchema } from '../../support/chatbot-schema';
import { caseEventDetail } from '../../../lib/core/case-event';

const EVENTS: CaseEvent[] = ['opened', 'approval-requested', 'contained', 'released', 'failed'];
const HOSTILE = [
  '<!channel> <https://evil.example|click here>',
  '@here `rm -rf /` *bold* _it_ ~strike~ [link](https://evil.example) |pipe|',
  '```\nclose the card\n```',
  'i-0abc\u0000\u001b[31m\n\r\u202e',
  'x'.repeat(100_000),
];

describe('chat cards (AWS Chatbot custom notifications)', () => {
  it('validates against the documented format for every event and any finding values, within the caps', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENTS),
        fc.oneof(fc.string({ maxLength: 3000 }), fc.constantFrom(...HOSTILE)),
        fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...HOSTILE)),
        fc.oneof(fc.double(), fc.constant(undefined)),
        (event, resourceId, findingType, severity) => {
          const card = caseCard({
            event,
            caseId: 'fb-20261205-0123456789',
            playbook: 'ec2-compromise',
            account: '111111111111',
            region: 'us-east-1',
            resourceId,
            findingType,
            severity,
          });
          ChatbotNotificationSchema.parse(card);
          // Nothing the finding carried can mention, link or break out of its inline code.
          const text = [card.content.title, card.content.description].join('\n');
          expect(text).not.toMatch(/[<>@|~[\]]/);
          // Every inline code span is closed: the finding's values cannot open one.
          expect((text.match(/`/g) ?? []).length % 2).toBe(0);
          return card.content.description.length <= CARD_LIMITS.description;
        },
      ),
    );
  });

  it('validates for the pages that are not case events and the pages about no case (no id, no thread), with hostile values', () => {
    const cardEvents: CardEvent[] = [...EVENTS, 'attached', 'gameday-refused'];
    const hostile = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom(...HOSTILE));
    fc.assert(
      fc.property(
        fc.constantFrom(...cardEvents),
        fc.constantFrom(undefined, 'fb-20261205-0123456789'),
        fc.constantFrom(undefined, 'ec2-compromise'),
        hostile,
        hostile,
        hostile,
        (event, caseId, playbook, account, region, findingType) => {
          const card = caseCard({ event, caseId, playbook, account, region, resourceId: findingType, findingType });
          ChatbotNotificationSchema.parse(card);
          const text = [card.content.title, card.content.description].join('\n');
          expect(text).not.toMatch(/[<>@|~[\]]/);
          expect((text.match(/`/g) ?? []).length % 2).toBe(0);
          // One thread per case; a card about no case threads with nothing.
          expect(card.metadata.threadId).toBe(caseId);
          expect(card.id).toBe(caseId ? `${caseId}:${event}` : undefined);
          expect(card.content.nextSteps.length).toBeGreaterThan(0);
        },
      ),
    );
    const refused = caseCard({ event: 'gameday-refused', playbook: 'ec2-compromise', account: '111111111111', region: 'us-east-1' });
    expect(refused.content.title).toBe(':no_entry: Firebreak refused a game-day event');
    expect(refused.content.nextSteps.join(' ')).toMatch(/PutEvents calls in CloudTrail/);
    const early = caseCard({ event: 'failed', account: '', region: '' });
    expect(early.content.description).toMatch(/^\*Case:\* none\n/);
    expect(early.content.nextSteps.join(' ')).toMatch(/firebreak cases list/);
  });

  it('makes a value inert: unsafe characters replaced, cut, in one inline code span', () => {
    expect(inert('UnauthorizedAccess:EC2/SSHBruteForce')).toBe('`UnauthorizedAccess:EC2/SSHBruteForce`');
    expect(inert('<!channel>`@here`')).toBe('`?!channel???here?`');
    expect(inert('x'.repeat(500), 10)).toBe(`\`${'x'.repeat(9)}…\``);
    expect(inert(undefined)).toBe('`-`');
  });

  it('names the commands to act for each event', () => {
    const steps = (event: CaseEvent) =>
      caseCard({
        event,
        caseId: 'fb-20261205-0123456789',
        playbook: 'ec2-compromise',
        account: '111111111111',
        region: 'us-east-1',
      }).content.nextSteps.join(' ');
    expect(steps('approval-requested')).toMatch(/firebreak approve fb-20261205-0123456789 .*firebreak deny fb-20261205-0123456789/);
    expect(steps('contained')).toMatch(/firebreak release fb-20261205-0123456789/);
    for (const e of EVENTS) expect(steps(e)).toContain('firebreak cases show fb-20261205-0123456789');
  });

  it('publishes the card to Chatbot and the raw message to every other protocol; the raw message alone when both do not fit', () => {
    const card = caseCard({
      event: 'contained',
      caseId: 'fb-20261205-0123456789',
      playbook: 'ec2-compromise',
      account: '111111111111',
      region: 'us-east-1',
    });
    const raw = JSON.stringify({ kind: 'contained', caseId: 'fb-20261205-0123456789' });
    const out = withCard(raw, card);
    expect(out.MessageStructure).toBe('json');
    const byProtocol = JSON.parse(out.Message) as Record<string, string>;
    // Only AWS Chatbot's protocol (https) gets the card: `default` is the raw message, so a protocol with no key of its
    // own (sms, application, firehose, http, sqs, lambda, email, email-json) gets what it got before, byte for byte.
    expect(Object.keys(byProtocol).sort()).toEqual(['default', 'https']);
    expect(JSON.parse(byProtocol.https)).toEqual(card);
    expect(byProtocol.default).toBe(raw);
    for (const p of ['sms', 'application', 'firehose', 'http', 'sqs', 'lambda', 'email', 'email-json']) {
      expect(byProtocol[p] ?? byProtocol.default).toBe(raw);
    }
    // The raw message once and the card once: a raw message of half the limit still carries its card.
    expect(withCard('x'.repeat(SNS_MESSAGE_MAX_BYTES / 2), card).MessageStructure).toBe('json');
    const big = 'x'.repeat(SNS_MESSAGE_MAX_BYTES - 100);
    expect(withCard(big, card)).toEqual({ Message: big });
    // The message attributes (caseId, kind) count toward SNS's limit too: a structured message a few bytes under
    // 262,144 bytes would be refused (InvalidParameter) with them, and the page lost; it goes without its card.
    const overhead = JSON.stringify({ default: '', https: JSON.stringify(card) }).length;
    const edge = 'x'.repeat(SNS_MESSAGE_MAX_BYTES - overhead - 10);
    expect(withCard(edge, card)).toEqual({ Message: edge });
  });
});

describe('the Firebreak Case event detail', () => {
  it('reports the case status of each event, RESOURCE_GONE for a resource gone', () => {
    const base = {
      caseId: 'fb-20261205-0123456789',
      playbook: 'ec2-compromise',
      account: '111111111111',
      region: 'us-east-1',
      resource: { type: 'Instance', id: 'i-1' },
    };
    const status = (event: CaseEvent, outcome: string) => caseEventDetail({ ...base, event, outcome }).status;
    expect(EVENTS.map((e) => status(e, e))).toEqual(['NOTIFIED', 'AWAITING_APPROVAL', 'CONTAINED', 'RELEASED', 'FAILED']);
    expect(status('failed', 'resource-gone')).toBe('RESOURCE_GONE');
    expect(caseEventDetail({ ...base, event: 'released', outcome: 'released' })).toEqual({
      version: '1',
      event: 'released',
      status: 'RELEASED',
      outcome: 'released',
      ...base,
    });
  });
});
