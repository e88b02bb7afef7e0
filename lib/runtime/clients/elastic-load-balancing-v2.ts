import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { registerClient } from '../clients';

/** Registers the ElasticLoadBalancingV2 client with the client factory ({@link registerClient}): import this module where ElasticLoadBalancingV2 commands are sent. */
registerClient('elbv2', {
  service: 'ElasticLoadBalancingV2',
  create: (config, instrument) => instrument(new ElasticLoadBalancingV2Client(config)),
});
