package dev.driftless.core.spi;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pull-based stream of committed changes: a database's change log.
 *
 * <h2>Threading</h2>
 *
 * <p>The pipeline calls {@link #start}, {@link #poll}, {@link #keepAlive} and {@link #commit} from
 * one thread, the pipeline's poll thread, never concurrently; {@link #close} may come from another
 * thread once that thread has stopped. The {@link RepairReader} may be called from any thread, also
 * while {@link #poll} runs.
 *
 * <h2>Guarantees a source gives</h2>
 *
 * <ol>
 *   <li>Events of one key are returned in the source's commit order, and their versions do not
 *       decrease.
 *   <li>After {@code commit(p)}, a restarted source (same configuration, same pipeline name)
 *       returns every event after {@code p}; it may return events at or before {@code p} again
 *       (at-least-once), never skip one.
 *   <li>{@link #poll} returns at most {@code maxEvents} events, and returns an empty list rather
 *       than block longer than about {@code maxWait}.
 * </ol>
 *
 * <h2>Failures</h2>
 *
 * <p>A transient failure (connection lost) is the source's to recover from, in one of two ways,
 * never as a silent run of empty polls: it throws a {@link dev.driftless.core.RetriableException}
 * from {@link #poll}, which the pipeline retries; or it reconnects inside {@link #poll}, with the
 * backoff of {@link SourceContext#outagePolicy()}, returns an empty list meanwhile, and reports the
 * outage with {@link SourceContext#outageStarted} and {@link SourceContext#outageEnded}. Either way
 * the pipeline shows the outage in its status and stops once it outlasts the {@code
 * outageDeadline}. Any other exception stops the pipeline.
 */
public interface ChangeSource extends AutoCloseable {

  /** Connects and positions the source after its last committed position. May block. */
  void start(SourceContext context) throws Exception;

  /**
   * The next changes, in log order: at most {@code maxEvents}, waiting at most about {@code
   * maxWait} for the first one.
   */
  List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception;

  /**
   * Every event at or before {@code position} is settled (applied, stale or durably dead-lettered):
   * the source may forget it. Called with non-decreasing positions previously returned by {@link
   * #poll}. Need not be durable at once, but must not block for long.
   */
  void commit(SourcePosition position) throws Exception;

  /**
   * Called about once a second while the pipeline is not polling (it is full and waits for the
   * sink), so that the source can keep its connection alive (for PostgreSQL: send status updates
   * within {@code wal_sender_timeout}) without buffering more events. The default does nothing.
   */
  default void keepAlive() throws Exception {}

  /** The capability to re-read the current state of given keys, if the source has it. */
  default Optional<RepairReader> repairReader() {
    return Optional.empty();
  }

  /**
   * The position of the newest change committed upstream so far (a PostgreSQL source: the server's
   * current WAL position), for {@link dev.driftless.core.Pipeline#awaitCaughtUp}; empty if the
   * source cannot tell (the default). May make a round trip to the database; called on the caller's
   * thread.
   *
   * @throws Exception if the upstream cannot be asked
   */
  default Optional<SourcePosition> head() throws Exception {
    return Optional.empty();
  }

  /**
   * Whether every change up to {@code head} (a position {@link #head()} returned) has been handed
   * to the pipeline and committed back ({@link #commit}): then the index holds it. Any thread; must
   * not block. The default says no.
   */
  default boolean reached(SourcePosition head) {
    return false;
  }

  /**
   * Source-specific status for the pipeline status (for example replication lag in bytes, WAL
   * retained). Keys are stable names; values are JDK values. Called from any thread; must not
   * block.
   */
  default Map<String, Object> statusDetails() {
    return Map.of();
  }

  /** Releases the source's connections. Idempotent. */
  @Override
  void close() throws Exception;
}
