import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { pageIdentity, type PageIdentity } from '../../lib/core/page';
import { ChatbotNotificationSchema } from './chatbot-schema';
import type * as z from 'zod';

/** A Publish to the topic as a step sent it (its input). */
export interface Published {
  readonly Message: string;
  readonly MessageStructure?: string;
}

/** One page as the steps published it: its chat card (schema-checked), the `default` message, and what the body says. */
export interface PublishedPage extends PageIdentity {
  readonly card?: z.infer<typeof ChatbotNotificationSchema>;
  readonly body: string;
}

/**
 * Records every SNS Publish (the steps run in this process) while `run` runs.
 * @returns `run`'s result and the pages, each with its card parsed against the documented Chatbot format (throws when a
 *   card does not validate) and the kind and case its body says (lib/core/page.ts).
 */
export async function capturePages<T>(run: () => Promise<T>): Promise<{ result: T; pages: PublishedPage[] }> {
  const published: Published[] = [];
  const remove = registerSdkInterceptor({
    before: (call) => {
      if (call.operation === 'SNS.Publish') published.push(call.input as unknown as Published);
    },
  });
  const result = await run().finally(remove);
  const pages = published.map((p): PublishedPage => {
    if (p.MessageStructure !== 'json') return { body: p.Message, ...pageIdentity(p.Message) };
    const byProtocol = JSON.parse(p.Message) as { default: string; https: string };
    return {
      card: ChatbotNotificationSchema.parse(JSON.parse(byProtocol.https)),
      body: byProtocol.default,
      ...pageIdentity(byProtocol.default),
    };
  });
  return { result, pages };
}
