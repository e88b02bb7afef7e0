import * as z from 'zod';

/**
 * AWS Chatbot's (Amazon Q Developer in chat applications) custom notification, as its documentation gives it ("Custom
 * notifications", Event schema and Parameter details, https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html):
 * `version` must be `1.0` and `source` `custom` (required); `id` optional; `content.textType` only `client-markdown`;
 * `title`, `description` strings; `nextSteps`, `keywords` lists of strings; `metadata` with `threadId`, `summary`,
 * `eventType`, `relatedResources` (strings) and `additionalContext` (string values). Strict: a field the format does not
 * have fails. The lengths are Firebreak's own caps (lib/core/chat-card.ts CARD_LIMITS).
 */
export const ChatbotNotificationSchema = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  id: z.string().min(1).optional(),
  content: z.strictObject({
    textType: z.literal('client-markdown').optional(),
    title: z.string().min(1).max(250).optional(),
    description: z.string().min(1).max(4000),
    nextSteps: z.array(z.string().min(1).max(300)).max(6).optional(),
    keywords: z.array(z.string().min(1).max(64)).max(6).optional(),
  }),
  metadata: z
    .strictObject({
      threadId: z.string().min(1).optional(),
      summary: z.string().optional(),
      eventType: z.string().optional(),
      relatedResources: z.array(z.string()).optional(),
      additionalContext: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
