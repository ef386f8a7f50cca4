package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import org.jspecify.annotations.Nullable;

/** One event the runner holds from the moment it is received until it is settled. */
final class Entry {
  final long seq;
  final ChangeEvent event;
  final long bytes;

  /** Whether the event came from the source's stream (and so holds back the commit position). */
  final boolean commitBearing;

  /** For events injected by a dead-letter replay: where the outcome goes. */
  final @Nullable ReplayTicket ticket;

  int attempts;
  boolean settled;

  /** How it settled, once it has. */
  @Nullable Outcome outcome;

  /**
   * Commit to acknowledgement, for a change from the log that the index applied or had (set when it
   * settles); -1 otherwise.
   */
  long freshnessNanos = -1;

  Entry(long seq, ChangeEvent event, boolean commitBearing, @Nullable ReplayTicket ticket) {
    this.seq = seq;
    this.event = event;
    this.bytes = event.estimatedSizeBytes();
    this.commitBearing = commitBearing;
    this.ticket = ticket;
  }
}
