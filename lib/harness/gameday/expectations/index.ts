/**
 * Every expectation a drill judges an injection on, in the order their verdicts and checks appear on the
 * scorecard. Those of phase `runs` are judged first (their checks join the report); those of phase `report`
 * after, on the report with every check made. A new expectation is a module here and a line below.
 */
import { approvalExpectation } from './approval';
import { checksExpectation } from './checks';
import type { Expectation } from './expectation';
import { failLoudlyExpectation } from './fail-loudly';
import { faultsInjectedExpectation } from './faults-injected';
import { mutatingCallsExpectation } from './mutating-calls';
import { eniPlacementExpectation, networkNotWiderExpectation, squattersExpectation } from './network';
import { recoverExpectation } from './recover';
import { repeatExpectation } from './repeat';
import { sameCaseExpectation } from './same-case';
import { statusExpectation } from './status';
import { stepBudgetsExpectation, timeToContainExpectation } from './time-budgets';

export const EXPECTATIONS: readonly Expectation[] = [
  statusExpectation,
  repeatExpectation,
  networkNotWiderExpectation,
  squattersExpectation,
  eniPlacementExpectation,
  sameCaseExpectation,
  approvalExpectation,
  failLoudlyExpectation,
  recoverExpectation,
  checksExpectation,
  mutatingCallsExpectation,
  timeToContainExpectation,
  stepBudgetsExpectation,
  faultsInjectedExpectation,
];
