import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';

/**
 * Makes every CloudTrail LookupEvents call fail as AWS answers one the caller may not make (`AccessDeniedException`,
 * unsent), until the returned function is called: the evidence step's failure, injected at the SDK boundary.
 * @returns the function that removes the fault.
 */
export function denyLookupEvents(): () => void {
  const denied = Object.assign(new Error('not authorized to perform: cloudtrail:LookupEvents'), { name: 'AccessDeniedException' });
  return registerSdkInterceptor({
    before: (call) => {
      if (call.operation === 'CloudTrail.LookupEvents') throw denied;
    },
  });
}
