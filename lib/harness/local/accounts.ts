/** The default accounts and region of the local emulator (issue #2, DESIGN.md §5). */
export const LOCAL_MEMBER_ACCOUNT = '111111111111';
export const LOCAL_SECURITY_ACCOUNT = '222222222222';
export const LOCAL_REGION = 'us-east-1';
/**
 * The local world's second region (issue 16, "Regions"): its member account has a transit key there, as a member stack of
 * that region would create, and a replayed finding from it is built and contained there. A finding from any other region is
 * remapped onto {@link LOCAL_REGION}.
 */
export const LOCAL_SECOND_REGION = 'eu-west-1';
/** Every region of the local world, home first. */
export const LOCAL_REGIONS: readonly string[] = [LOCAL_REGION, LOCAL_SECOND_REGION];

/** Credentials moto accepts (it does not check them unless IAM enforcement is on). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIAFIREBREAKLOCAL00', secretAccessKey: 'firebreak-local-secret' } as const;
