import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { registerAssumeRole } from '../clients';

/**
 * Registers how the client factory builds member-account credentials ({@link registerAssumeRole}): the SDK's
 * temporary-credentials provider (STS AssumeRole). Import this module where `clients.member(...)` is called.
 */
registerAssumeRole((options) => fromTemporaryCredentials(options));
