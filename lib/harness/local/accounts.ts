/** The default accounts and region of the local emulator (issue #2, DESIGN.md §5). */
export const LOCAL_MEMBER_ACCOUNT = '111111111111';
export const LOCAL_SECURITY_ACCOUNT = '222222222222';
export const LOCAL_REGION = 'us-east-1';

/** Credentials moto accepts (it does not check them unless IAM enforcement is on). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIAFIREBREAKLOCAL00', secretAccessKey: 'firebreak-local-secret' } as const;
