/**
 * The figures of the finding buffer (docs/ARCHITECTURE.md, "The finding buffer: a storm that never fails"), shared by the
 * stack (lib/infra: the queue, its DLQ and the event-source mapping) and the starter (lib/runtime/buffer). Pure data.
 *
 * Sized to EC2's request throttling ("Request throttling for the Amazon EC2 API", Amazon EC2 Developer Guide,
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, "Request token bucket sizes and refill
 * rates"): EC2 throttles each account per Region with a token bucket per API action, shared with everything else the
 * account runs. The page's table: ModifyNetworkInterfaceAttribute, CreateSnapshots, ModifySnapshotAttribute and
 * DisassociateIamInstanceProfile each 100 tokens refilled at 5 a second; CreateTags 100 at 10; AuthorizeSecurityGroupIngress
 * (a resource-intensive action) 50 at 5; every other mutating action (ModifyInstanceAttribute, DisassociateAddress,
 * CreateSecurityGroup, CopySnapshot…) one shared bucket of 50 refilled at 5; unfiltered DescribeInstances,
 * DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeSnapshots and DescribeVolumes 50 at 10, other non-mutating
 * actions 100 at 20. Raise a throttled account's buckets with a limit increase (the page's last section) rather than
 * these figures. An ec2-compromise incident calls its busiest mutating action (ModifyNetworkInterfaceAttribute: the
 * DryRun, the untrack move and the isolation move, per ENI) about 6 times for an instance with two ENIs, and the shared
 * mutating bucket about 4 times (ModifyInstanceAttribute ×3, DisassociateAddress), within its first seconds.
 */
export interface BufferLimits {
  /**
   * Playbook executions the buffer keeps in flight per member account. 8 × 6 = 48 ModifyNetworkInterfaceAttribute calls
   * at once, under half of its 100-token bucket, and 8 × 4 = 32 of the shared 50-token mutating bucket: the rest stays
   * for the account's own workloads and the SDK's retries.
   */
  readonly slotsPerAccount: number;
  /**
   * How long a slot counts its execution, in seconds. An execution's burst of mutating calls (Contain, the
   * snapshots' creation) is over well within it; what it does later (waiting for snapshots) is reads. At most 8 starts
   * per 60 s per account: 0.8 calls a second of the busiest mutating action, 16 % of its 5-token refill, and about 0.5 a
   * second of the shared mutating bucket, 11 % of its refill.
   */
  readonly slotLeaseSeconds: number;
  /** First delay of a message whose account is at its limit, and the delay of one waiting for another's execution to claim. */
  readonly retryBaseSeconds: number;
  /** Longest delay of a message whose account is at its limit. */
  readonly retryMaxSeconds: number;
}

/** The buffer's limits (see {@link BufferLimits} for why each figure). */
export const BUFFER_LIMITS: BufferLimits = {
  slotsPerAccount: 8,
  slotLeaseSeconds: 60,
  retryBaseSeconds: 2,
  retryMaxSeconds: 60,
};

/**
 * Receives of one message before SQS moves it to the buffer's DLQ (whose alarm tells the topic). With delays of up to
 * {@link BUFFER_LIMITS}.retryMaxSeconds, at least about 90 minutes of a storm an account cannot drain before a finding
 * is declared stuck, and told.
 */
export const BUFFER_MAX_RECEIVES = 100;

/**
 * Concurrent invocations of the starter by the queue's event-source mapping (`ScalingConfig.MaximumConcurrency`,
 * 2 to 1,000: "Configuring scaling behavior for SQS event source mappings", Lambda Developer Guide). Each batch of up to
 * 10 starts at most 10 executions; 5 batches at once start far fewer than Step Functions' StartExecution bucket (a
 * throttle of its own) and keep the starter from taking the Lambda concurrency the playbooks' steps need in a storm.
 */
export const BUFFER_MAX_CONCURRENCY = 5;

/** Messages per batch of the event-source mapping (SQS's ReceiveMessage maximum, so no batching window is needed). */
export const BUFFER_BATCH_SIZE = 10;

/** The starter's Lambda timeout, in seconds; the queue's visibility timeout is six times it (Lambda's advice for SQS). */
export const BUFFER_STARTER_TIMEOUT_SECONDS = 60;
