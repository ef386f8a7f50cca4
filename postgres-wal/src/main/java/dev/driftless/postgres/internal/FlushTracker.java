package dev.driftless.postgres.internal;

import dev.driftless.postgres.LsnPosition;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * Which WAL position the source may confirm to the server as flushed: only settled work. A
 * transaction's end LSN is confirmed once the pipeline has committed its last event (a transaction
 * without events, once everything before it is committed); inside a transaction, its commit LSN,
 * which makes the server send the whole transaction again after a restart. Confined to the source's
 * poll thread, except {@link #flushed()}, which any thread may read.
 */
final class FlushTracker {

  /** A transaction's end LSN, confirmable once the position {@code key} is committed. */
  private record Boundary(LsnPosition key, long endLsn) {}

  private final ArrayDeque<Boundary> boundaries = new ArrayDeque<>();
  private @Nullable LsnPosition lastCommitted;
  private long lastEndSeen;
  private volatile long flushed;

  /** The LSN confirmed so far (0 before anything was). */
  long flushed() {
    return flushed;
  }

  /**
   * Moves the confirmed LSN to {@code lsn} if that is further; returns whether it moved (then the
   * caller tells the server).
   */
  boolean advance(long lsn) {
    if (lsn <= flushed) {
      return false;
    }
    flushed = lsn;
    return true;
  }

  /**
   * The pipeline committed {@code position}: returns the LSN that may now be confirmed (at least
   * the position's commit LSN, or the end of every transaction whose last event it covers), or -1
   * when the position is not past the last one committed.
   */
  long committed(LsnPosition position) {
    LsnPosition committed = lastCommitted;
    if (committed != null && position.compareTo(committed) <= 0) {
      return -1;
    }
    lastCommitted = position;
    long confirm = position.commitLsn();
    while (!boundaries.isEmpty() && boundaries.peek().key().compareTo(position) <= 0) {
      confirm = Math.max(confirm, boundaries.poll().endLsn());
    }
    return confirm;
  }

  /**
   * A transaction ended at {@code endLsn}; {@code lastOfTx} is its last event, or null if it had
   * none, and {@code lastDecoded} the stream's last position. Returns the end LSN when it may be
   * confirmed at once (everything up to it is committed), else -1 (it waits for its key).
   */
  long transactionEnd(
      @Nullable LsnPosition lastOfTx, @Nullable LsnPosition lastDecoded, long endLsn) {
    if (endLsn <= lastEndSeen) {
      return -1; // received again after a reconnect
    }
    lastEndSeen = endLsn;
    LsnPosition key = lastOfTx != null ? lastOfTx : lastDecoded;
    if (boundaries.isEmpty()
        && (key == null || (lastCommitted != null && lastCommitted.compareTo(key) >= 0))) {
      return endLsn;
    }
    if (key != null) {
      boundaries.add(new Boundary(key, endLsn));
    }
    return -1;
  }

  /** Whether every position up to {@code lastDecoded} is committed and no transaction waits. */
  boolean everythingSettled(@Nullable LsnPosition lastDecoded) {
    LsnPosition committed = lastCommitted;
    return boundaries.isEmpty()
        && (lastDecoded == null || (committed != null && committed.compareTo(lastDecoded) >= 0));
  }

  /** Starts over on a new slot (after a slot loss): nothing of the old one is confirmable. */
  void reset() {
    flushed = 0;
    lastEndSeen = 0;
    boundaries.clear();
  }
}
