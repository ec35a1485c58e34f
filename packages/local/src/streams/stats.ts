/** Live counters of one consumer, for tests, the dev CLI and debugging. */
export interface StreamConsumerStats {
  /** Records returned by GetRecords. */
  recordsRead: number;
  /** Records dropped by the consumer's filters (they count as processed). */
  recordsFiltered: number;
  /** Records in batches the function accepted. */
  recordsDelivered: number;
  /** Records sent to the on-failure destination. */
  recordsDiscarded: number;
  /** Function invocations, retries included. */
  invocations: number;
  /** Invocations that threw or reported failed items. */
  failedInvocations: number;
  bisections: number;
  /** Iterators re-acquired after ExpiredIterator/TrimmedDataAccess. */
  iteratorRecoveries: number;
  /** Failed DescribeStream/GetShardIterator/GetRecords calls (retried). */
  readErrors: number;
  shardsStarted: number;
  shardsFinished: number;
}

export const emptyStats = (): StreamConsumerStats => ({
  recordsRead: 0,
  recordsFiltered: 0,
  recordsDelivered: 0,
  recordsDiscarded: 0,
  invocations: 0,
  failedInvocations: 0,
  bisections: 0,
  iteratorRecoveries: 0,
  readErrors: 0,
  shardsStarted: 0,
  shardsFinished: 0,
});
