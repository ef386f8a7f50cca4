package dev.driftless.testinfra.dynamodb;

/** What an injected fault does to the call it hits. */
public enum FaultKind {
  /** 400 {@code com.amazon.coral.availability#ThrottlingException} (the SDK retries it). */
  THROTTLING,
  /** 400 {@code LimitExceededException} (the SDK does not retry it). */
  LIMIT_EXCEEDED,
  /** 400 {@code ProvisionedThroughputExceededException} (the SDK retries it). */
  PROVISIONED_THROUGHPUT_EXCEEDED,
  /** 500 {@code InternalServerError} (the SDK retries it). */
  INTERNAL_SERVER_ERROR,
  /** The response is cut off after its headers: the client sees a dropped connection. */
  CONNECTION_RESET,
  /**
   * The call runs (a write is applied), but the answer carries a wrong {@code x-amz-crc32}: the SDK
   * rejects it as corrupt and retries, so writes must be idempotent.
   */
  CORRUPT_CRC32,
  /** Only the fault's delay; the call then runs normally. */
  DELAY_ONLY,
  /** 400 {@code ExpiredIteratorException}, whatever the iterator's age. */
  EXPIRED_ITERATOR,
  /** 400 {@code TrimmedDataAccessException}. */
  TRIMMED_DATA_ACCESS,
  /**
   * {@code BatchGetItem} only: the call reads the first half (rounded down) of each table's keys
   * and returns the rest under {@code UnprocessedKeys}, as DynamoDB does when a batch exceeds the
   * table's capacity or 16 MB. On other operations: no effect.
   */
  UNPROCESSED_KEYS
}
