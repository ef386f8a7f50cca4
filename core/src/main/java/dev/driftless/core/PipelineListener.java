package dev.driftless.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Told what a pipeline does, as it happens: lifecycle and outages, batches written, retries, dead
 * letters, commits, resyncs, backfill progress and reconciliation reports. Register one with {@link
 * Pipeline.Builder#listener} (or {@link Pipeline#addListener} on a running pipeline, and {@link
 * Reconciler.Builder#listener} for reports); the {@code driftless-micrometer} module is one.
 *
 * <p>Every method has a no-op default, so a listener implements only what it needs. Methods are
 * called on the pipeline's own threads, never under its lock, and must return quickly: hand slow
 * work to your own executor. A listener cannot break the pipeline: whatever it throws is logged
 * (the first time at WARN with the stack trace, then at DEBUG) and the pipeline goes on. Calls for
 * one pipeline may come from several threads at once (writer threads report their batches in
 * parallel), so implementations must be thread-safe.
 */
public interface PipelineListener {

  /** Which side of the pipeline an outage or retry is about. */
  enum Side {
    /** The database the pipeline follows. */
    SOURCE,
    /** The index the pipeline writes. */
    SINK
  }

  /** The pipeline started: its sink and source were started and its threads run. */
  default void started(String pipeline) {}

  /** The pipeline stopped after {@code close()} (drained) or a halt; not called after a failure. */
  default void stopped(String pipeline, PipelineStatus last) {}

  /** The pipeline failed and stopped; {@code cause} is what {@link Pipeline#failure()} returns. */
  default void failed(String pipeline, Throwable cause) {}

  /**
   * A side became unavailable and is being retried (or, for the source, reported an outage itself).
   * Called once per outage, when it starts.
   */
  default void outageStarted(String pipeline, Side side, Throwable cause) {}

  /** A side answered again after an outage that lasted {@code lasted}. */
  default void outageEnded(String pipeline, Side side, Duration lasted) {}

  /**
   * The sink asked the pipeline to slow down (HTTP 429 or a full queue): the adaptive limit now
   * allows {@code concurrencyLimit} concurrent batches.
   */
  default void throttled(String pipeline, int concurrencyLimit) {}

  /** A call to {@code side} failed with an outage and will be retried after a backoff. */
  default void retrying(String pipeline, Side side, Throwable cause) {}

  /** A batch was written: every event of it is settled (see {@link BatchWritten}). */
  default void batchWritten(String pipeline, BatchWritten batch) {}

  /** A change was stored in the dead-letter store (poison for the index, or unreadable). */
  default void deadLettered(String pipeline, DeadLetter letter) {}

  /** The source committed {@code position}: everything up to it is in the index. */
  default void committed(String pipeline, SourcePosition position) {}

  /**
   * The source lost its place in the change log and resynced from scratch (a backfill after an
   * invalidated replication slot or a trimmed stream): documents deleted meanwhile may remain in
   * the index until a reconciliation removes them (a {@link Reconciler} scheduled with this
   * pipeline runs one at once).
   */
  default void sourceResynced(String pipeline) {}

  /**
   * A source's backfill of one collection moved on (or finished: {@link BackfillProgress#done}).
   */
  default void backfillProgress(String pipeline, BackfillProgress progress) {}

  /** A reconciliation run ended (registered with {@link Reconciler.Builder#listener}). */
  default void reconciled(ReconciliationReport report) {}

  /**
   * Where a backfill stands. A source that backfills several collections one after another reports
   * the one it reads now and the counts of the whole backfill.
   *
   * @param collection the collection being read now (the last one read, once done)
   * @param itemsRead rows or items read so far
   * @param itemsEstimated the source's estimate of the total, or -1 if it has none
   * @param done whether the backfill finished
   */
  record BackfillProgress(String collection, long itemsRead, long itemsEstimated, boolean done) {
    public BackfillProgress {
      Objects.requireNonNull(collection, "collection");
    }
  }

  /** Receives a change's collection and freshness. */
  @FunctionalInterface
  interface FreshnessConsumer {
    void accept(String collection, long freshnessNanos);
  }

  /**
   * How the events of one collection in a batch ended.
   *
   * @param collection the collection
   * @param applied events the index applied
   * @param stale events the index already had a newer version of
   * @param deadLettered events the index rejected
   */
  record CollectionCounts(String collection, int applied, int stale, int deadLettered) {
    public CollectionCounts {
      Objects.requireNonNull(collection, "collection");
    }
  }

  /**
   * One written batch: how its events ended, how long the write took, and the <b>freshness</b> of
   * each change in it, the time from the change's commit in the database to the index's
   * acknowledgement. Freshness is known only for changes read from the change log; backfilled and
   * re-read events have no commit time ({@link ChangeEvent#READ_ORIGIN}) and are not counted.
   */
  final class BatchWritten {
    private final int events;
    private final int applied;
    private final int stale;
    private final int deadLettered;
    private final long bytes;
    private final Duration latency;
    private final long[] freshnessNanos;
    private final String[] freshnessCollections;
    private final List<CollectionCounts> collections;

    /**
     * @param events events written (the newest change of each key; coalesced ones not counted)
     * @param applied events the index applied
     * @param stale events the index already had a newer version of
     * @param deadLettered events the index rejected, now in the dead-letter store
     * @param bytes the events' estimated size
     * @param latency from the first attempt to the last answer, retries included
     * @param freshnessNanos the freshness of each change that has a commit time, in nanoseconds
     * @param freshnessCollections the collection of each change in {@code freshnessNanos}
     * @param collections the outcomes per collection
     */
    public BatchWritten(
        int events,
        int applied,
        int stale,
        int deadLettered,
        long bytes,
        Duration latency,
        long[] freshnessNanos,
        String[] freshnessCollections,
        List<CollectionCounts> collections) {
      if (freshnessNanos.length != freshnessCollections.length) {
        throw new IllegalArgumentException("one collection per freshness");
      }
      this.freshnessCollections = freshnessCollections.clone();
      this.collections = List.copyOf(collections);
      this.events = events;
      this.applied = applied;
      this.stale = stale;
      this.deadLettered = deadLettered;
      this.bytes = bytes;
      this.latency = Objects.requireNonNull(latency, "latency");
      this.freshnessNanos = freshnessNanos.clone();
    }

    public int events() {
      return events;
    }

    public int applied() {
      return applied;
    }

    public int stale() {
      return stale;
    }

    public int deadLettered() {
      return deadLettered;
    }

    public long bytes() {
      return bytes;
    }

    public Duration latency() {
      return latency;
    }

    /** How many of the events have a freshness (were read from the change log). */
    public int freshnessCount() {
      return freshnessNanos.length;
    }

    /** Gives each event's freshness, in nanoseconds, to {@code action}. */
    public void forEachFreshnessNanos(LongConsumer action) {
      for (long f : freshnessNanos) {
        action.accept(f);
      }
    }

    /** Gives each event's collection and freshness, in nanoseconds, to {@code action}. */
    public void forEachFreshness(FreshnessConsumer action) {
      for (int i = 0; i < freshnessNanos.length; i++) {
        action.accept(freshnessCollections[i], freshnessNanos[i]);
      }
    }

    /** How the batch's events ended, per collection (only collections with events). */
    public List<CollectionCounts> collections() {
      return collections;
    }

    /** The largest freshness in the batch, or {@link Duration#ZERO} if none has one. */
    public Duration maxFreshness() {
      return Duration.ofNanos(Arrays.stream(freshnessNanos).max().orElse(0));
    }

    @Override
    public String toString() {
      return "BatchWritten[events="
          + events
          + ", applied="
          + applied
          + ", stale="
          + stale
          + ", deadLettered="
          + deadLettered
          + ", bytes="
          + bytes
          + ", latency="
          + latency
          + ", maxFreshness="
          + maxFreshness()
          + "]";
    }
  }
}
