package dev.driftless.dynamodb.internal;

import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The reading state of one shard that has started. Two tasks may run for a shard at once, at most
 * one of each kind: a <em>fetch</em> (GetRecords; owns the iterator and {@link #lastFetched}) and a
 * <em>conversion</em> of the page fetched before (owns {@link #clock} and {@link #lastRead}), so
 * the next page is fetched while the previous one is converted. The {@link StreamReader}'s lock
 * guards {@link #raw} (fetched pages waiting for conversion, at most one page ahead), {@link
 * #buffer}, the task flags, {@link #ended} and the scheduling fields; the tasks hand their results
 * over through the lock.
 */
final class ShardState {
  final TableStream table;
  final String id;

  /** Records created before this epoch second are skipped (a pipeline started at LATEST). */
  final long notBeforeSecond;

  /** Resume after this sequence number when no record was read yet in this run. */
  final @Nullable SequenceNumber startAfter;

  /** A root shard of a new pipeline: nothing of it was read or owed, so trimming loses nothing. */
  final boolean trimTolerant;

  // Owned by the conversion in flight.
  final VersionClock clock;
  @Nullable SequenceNumber lastRead;

  // Owned by the fetch in flight (volatile: a vanished shard's message reads it).
  @Nullable String iterator;
  long iteratorNanos;
  volatile @Nullable SequenceNumber lastFetched;

  // Guarded by the reader's lock.
  final ArrayDeque<Record> raw = new ArrayDeque<>();
  final ArrayDeque<Fetched> buffer = new ArrayDeque<>();
  boolean fetching;
  boolean converting;
  long nextConversionNanos;

  /**
   * When the newest fetch that came back empty from the open shard started ({@link
   * System#nanoTime}): every record written before then had been fetched. For {@code
   * awaitCaughtUp}.
   */
  long quietSinceNanos;

  boolean quiet;

  /** The service said the shard has no more records (no NextShardIterator). */
  boolean ended;

  boolean done;

  long nextFetchNanos;
  int failures;

  /** The generation of the lease this reading started under; -1 without leases. */
  long generation = -1;

  /**
   * The lease was lost, or the table is resynced: the shard's reading stopped, and its tasks'
   * results are discarded.
   */
  boolean lost;

  /** With leases: the shard's end is written into its lease. */
  boolean endSaved;

  /** When the last page came back full: the shard has more to read right away. */
  long lagSecond = -1;

  ShardState(
      TableStream table,
      String id,
      long notBeforeSecond,
      @Nullable SequenceNumber startAfter,
      boolean trimTolerant,
      VersionClock clock) {
    this.table = table;
    this.id = id;
    this.notBeforeSecond = notBeforeSecond;
    this.startAfter = startAfter;
    this.trimTolerant = trimTolerant;
    this.clock = clock;
  }

  /**
   * Where a new iterator starts: after the last record fetched, or the checkpoint, or the horizon.
   */
  @Nullable SequenceNumber resumeAfter() {
    SequenceNumber fetched = lastFetched;
    return fetched != null ? fetched : startAfter;
  }

  /** Whether a task of this shard is running. */
  boolean inFlight() {
    return fetching || converting;
  }

  /** Whether every record of the shard has been read and handed out. */
  boolean exhausted() {
    return ended && raw.isEmpty() && buffer.isEmpty() && !inFlight();
  }
}
