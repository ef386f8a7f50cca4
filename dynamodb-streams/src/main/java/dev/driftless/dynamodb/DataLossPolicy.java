package dev.driftless.dynamodb;

/**
 * What the source does when a table's stream lost changes it had not read: records trimmed (older
 * than the 24-hour retention) before they were read, a shard gone unread, or the stream disabled
 * and enabled again (a new stream ARN). See {@code docs/dynamodb.md}, "What happens on trimming".
 */
public enum DataLossPolicy {
  /**
   * Resync the table: follow its stream again from the horizon of the shards open now, backfill the
   * whole table (with the {@link DynamoDbStreamsSourceBuilder#backfill backfill settings}, or their
   * defaults) under a new anchor, and call {@code SourceContext.resynced()} when the backfill has
   * settled, so the pipeline's listeners reconcile away what the gap deleted. A stream that is
   * disabled (no stream at all) cannot be resynced and stops the pipeline.
   */
  RESYNC,
  /** Stop the pipeline with a {@link StreamDataLostException} naming what was lost. */
  FAIL
}
