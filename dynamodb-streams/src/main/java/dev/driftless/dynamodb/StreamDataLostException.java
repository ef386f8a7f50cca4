package dev.driftless.dynamodb;

import dev.driftless.core.DriftlessException;

/**
 * The stream no longer holds changes the pipeline has not read: records were trimmed (older than 24
 * hours) before they were read, a shard disappeared unread, or the table's stream was disabled and
 * re-enabled (a new stream ARN; the changes in between were never recorded). The index may now miss
 * changes, deletions above all: it needs a full resync (a backfill and a reconciliation). The
 * source stops the pipeline with this exception; the message says what was lost.
 */
public class StreamDataLostException extends DriftlessException {
  private static final long serialVersionUID = 1L;

  private final String table;

  public StreamDataLostException(String table, String message) {
    super(
        "DynamoDB stream of table " + table + " lost changes, a full resync is needed: " + message);
    this.table = table;
  }

  /** The table whose changes were lost. */
  public String table() {
    return table;
  }
}
