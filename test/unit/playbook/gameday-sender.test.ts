import { gameDaySenderRefusal } from '../../../lib/runtime/playbook/shared/guard-gameday';

describe('gameDaySenderRefusal: game-day events only from the security account (issue 11)', () => {
  const SECURITY = '222222222222';

  it("accepts the security account's game-day event and anything that is not a game-day event", () => {
    expect(gameDaySenderRefusal({ trigger: 'gameday', gameDaySender: SECURITY }, SECURITY)).toBeUndefined();
    expect(gameDaySenderRefusal({ trigger: 'auto', gameDaySender: undefined }, SECURITY)).toBeUndefined();
    expect(gameDaySenderRefusal({ trigger: 'manual', gameDaySender: undefined }, SECURITY)).toBeUndefined();
  });

  it('refuses a game-day event from another account, or naming no sender', () => {
    expect(gameDaySenderRefusal({ trigger: 'gameday', gameDaySender: '111111111111' }, SECURITY)).toMatch(
      /sent by account 111111111111, not by the security account 222222222222/,
    );
    expect(gameDaySenderRefusal({ trigger: 'gameday', gameDaySender: undefined }, SECURITY)).toMatch(/names no sender/);
  });
});
