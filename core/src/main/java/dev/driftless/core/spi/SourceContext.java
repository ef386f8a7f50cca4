package dev.driftless.core.spi;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import java.time.Clock;

/**
 * What the pipeline hands a {@link ChangeSource} when it starts. An interface so that it can grow
 * without breaking sources.
 */
public interface SourceContext {

  /** The pipeline's name; sources use it to name their checkpoints, slots or leases. */
  String pipelineName();

  /** Where a source that does not keep its own position stores it. */
  CheckpointStore checkpointStore();

  /**
   * Whether the user configured {@link #checkpointStore()} ({@code true}) or it is the pipeline's
   * in-memory default ({@code false}), which forgets everything on restart. A source that can keep
   * progress durable by itself (a PostgreSQL source, in its database) does so when this is {@code
   * false}, so that a restart does not repeat work; when it is {@code true} it uses the store. The
   * default answers {@code true}: a context that does not say is taken at its word.
   */
  default boolean checkpointStoreConfigured() {
    return true;
  }

  /** The pipeline's clock. */
  default Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * Tells the pipeline that the source lost its place in the change log and has re-read every row
   * from scratch (a full resync, such as a backfill after an invalidated replication slot), so
   * changes in the gap — deletions above all — may be missing from the index. The pipeline tells
   * its {@linkplain dev.driftless.core.PipelineListener#sourceResynced listeners}, which start a
   * reconciliation run. Call it once the resync's rows are all emitted; it does not block.
   */
  default void resynced() {}

  /**
   * Stores a change the source could not turn into an event (an unreadable change: a value it
   * cannot decode, a key it cannot derive) in the pipeline's dead-letter store, so that the stream
   * moves on without losing it. A source calls it from {@link ChangeSource#poll}, before it returns
   * any event that follows the change, and must not call it for a structural failure (a protocol
   * error), which stops the pipeline instead.
   *
   * <p>Blocks until the letter is durable. If it throws, the letter is not stored: the source must
   * let the exception out of {@code poll} (the pipeline then stops without committing past the
   * change). The default throws: a context without a dead-letter store cannot isolate a change.
   */
  default void deadLetter(DeadLetter letter) throws Exception {
    throw new dev.driftless.core.DriftlessException(
        "no dead-letter store to isolate an unreadable change of "
            + letter.key()
            + ": "
            + letter.errorMessage());
  }

  /**
   * The pipeline's outage policy (its {@code retry} and {@code outageDeadline}), for a source's own
   * retry loops (a reconnect), so that one setting governs every outage. The default retries with
   * {@link RetrySettings#DEFAULT} without a deadline.
   */
  default OutagePolicy outagePolicy() {
    return OutagePolicy.of(RetrySettings.DEFAULT, null);
  }

  /**
   * Tells the pipeline that the source lost its upstream (the database is unreachable, a connection
   * was lost and reconnecting fails) while it keeps polling, so that the outage is not a silent run
   * of empty polls: the pipeline shows it in {@link
   * dev.driftless.core.PipelineStatus#sourceOutage()} and, when it outlasts the pipeline's {@code
   * outageDeadline}, stops with a {@link dev.driftless.core.DriftlessException} naming {@code
   * cause}. Calling it again during the same outage updates the cause and keeps the start. A source
   * that throws {@link dev.driftless.core.RetriableException} from {@code poll} instead needs not
   * call it.
   *
   * <p>May be called from any thread; does not block. The default does nothing.
   */
  default void outageStarted(Throwable cause) {}

  /**
   * Tells the pipeline that the source regained its upstream after {@link #outageStarted}. Does
   * nothing when no outage is open. May be called from any thread; does not block.
   */
  default void outageEnded() {}

  /**
   * Reports how a backfill of one collection is going, for the pipeline's {@linkplain
   * dev.driftless.core.PipelineListener#backfillProgress listeners}: call it every few thousand
   * rows or seconds, and once with {@code done} at the end. Any thread; must not block.
   */
  default void backfillProgress(dev.driftless.core.PipelineListener.BackfillProgress progress) {}
}
