import { caseCard, CardEvent, CaseEvent, ChatbotCard } from '../../core/chat-card';
import type { Incident } from '../../core/incident/incident';
import type { CaseEventInput } from '../../core/case-event';

/**
 * The chat card of a case event from a playbook's state (lib/core/chat-card.ts): the case, the incident's account,
 * region, resource and finding; Firebreak's own `note`.
 */
export function cardOf(event: CardEvent, state: { incident: Incident; case: { caseId: string } }, note?: string): ChatbotCard {
  const i = state.incident;
  return caseCard({
    event,
    caseId: state.case.caseId,
    playbook: i.playbook,
    account: i.account,
    region: i.region,
    resourceId: i.resource.id,
    findingType: i.finding.type,
    severity: i.finding.severity,
    note,
  });
}

/** The `Firebreak Case` event's input (lib/core/case-event.ts) from a playbook's state: the case, the finding, the resource. */
export function caseEventOf(event: CaseEvent, state: { incident: Incident; case: { caseId: string } }, outcome: string): CaseEventInput {
  const i = state.incident;
  return {
    event,
    caseId: state.case.caseId,
    outcome,
    playbook: i.playbook,
    account: i.account,
    region: i.region,
    finding: { id: i.finding.id, type: i.finding.type },
    resource: { type: i.resource.type, id: i.resource.id },
  };
}
