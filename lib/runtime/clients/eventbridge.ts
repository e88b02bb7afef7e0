import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { registerClient } from '../clients';

/** Registers the EventBridge client with the client factory ({@link registerClient}): import this module where EventBridge commands are sent (the `Firebreak Case` event). */
registerClient('events', { service: 'EventBridge', create: (config, instrument) => instrument(new EventBridgeClient(config)) });
