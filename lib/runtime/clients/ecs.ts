import { ECSClient } from '@aws-sdk/client-ecs';
import { registerClient } from '../clients';

/** Registers the ECS client with the client factory ({@link registerClient}): import this module where ECS commands are sent. */
registerClient('ecs', { service: 'ECS', create: (config, instrument) => instrument(new ECSClient(config)) });
