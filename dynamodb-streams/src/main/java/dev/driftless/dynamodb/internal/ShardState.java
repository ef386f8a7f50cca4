package dev.driftless.dynamodb.internal;

import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The reading state of one shard that has started. The {@link StreamReader}'s lock guards {@link
 * #buffer}, {@link #inFlight}, {@link #ended} and the scheduling fields; the rest belongs to the
 * one fetch in flight for the shard (at most one at a time), which hands it over through the lock.
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

  // Owned by the fetch in flight.
  final VersionClock clock;
  final ArrayDeque<Record> raw = new ArrayDeque<>();
  @Nullable String iterator;
  long iteratorNanos;
  @Nullable SequenceNumber lastRead;

  // Guarded by the reader's lock.
  final ArrayDeque<Fetched> buffer = new ArrayDeque<>();
  boolean inFlight;

  /** The service said the shard has no more records (no NextShardIterator). */
  boolean ended;

  boolean done;
  long nextFetchNanos;
  int failures;

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

  /** Where a new iterator starts: after the last record read, or the checkpoint, or the horizon. */
  @Nullable SequenceNumber resumeAfter() {
    return lastRead != null ? lastRead : startAfter;
  }

  /** Whether every record of the shard has been read and handed out. */
  boolean exhausted() {
    return ended && raw.isEmpty() && buffer.isEmpty() && !inFlight;
  }
}
