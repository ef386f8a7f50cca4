package dev.driftless.dynamodb;

/** Where a pipeline that has no checkpoint yet starts reading a table's stream. */
public enum StartingPosition {
  /** At the oldest record the stream still holds (up to 24 hours back). */
  TRIM_HORIZON,
  /**
   * With the changes made from the pipeline's first start on: shards closed by then are skipped,
   * and of the open ones, records created (by {@code ApproximateCreationDateTime}, a whole second)
   * before the second of the first start. The choice is saved at once, so a restart before the
   * first commit starts from the same point, not from a later "latest".
   */
  LATEST
}
