/**
 * The figures of the finding buffer (docs/ARCHITECTURE.md, "The finding buffer: a storm that never fails"), shared by the
 * stack (lib/infra: the queue, its DLQ and the event-source mapping) and the starter (lib/runtime/buffer). Pure data.
 *
 * Sized to EC2's request throttling ("Request throttling for the Amazon EC2 API", Amazon EC2 Developer Guide,
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): EC2 throttles each account per Region with
 * a token bucket per API action, shared with everything else the account runs. The page's example confirms a
 * non-mutating action's bucket (DescribeHosts: 100 tokens, refill 20 per second); the mutating figures used here (200
 * tokens, refill 5 per second) were not confirmed from the page's table when this was written: check them there before
 * changing a limit, and raise a throttled account's bucket with a limit increase rather than these figures. An ec2-compromise incident calls its
 * busiest mutating action (ModifyNetworkInterfaceAttribute: the untrack move and the isolation move, and the DryRun before
 * them, per ENI) about 6 times for an instance with two ENIs, within its first seconds.
 */
export interface BufferLimits {
  /**
   * Playbook executions the buffer keeps in flight per member account. 8 × 6 = 48 calls of one mutating action at once,
   * a quarter of its 200-token bucket: the rest stays for the account's own workloads and the SDK's retries.
   */
  readonly slotsPerAccount: number;
  /**
   * How long a slot counts its execution, in seconds. An execution's burst of mutating calls (Contain, the
   * snapshots' creation) is over well within it; what it does later (waiting for snapshots) is reads. At most 8 starts
   * per 60 s per account: 0.8 calls a second of the busiest mutating action, 16 % of its 5-token refill.
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
