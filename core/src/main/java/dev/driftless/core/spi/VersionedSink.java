package dev.driftless.core.spi;

import dev.driftless.core.ChangeEvent;
import java.util.List;

/**
 * Writes events to an index so that a document is replaced only by a newer version.
 *
 * <h2>Threading</h2>
 *
 * <p>{@link #write} is called from the pipeline's worker threads, up to the pipeline's parallelism
 * at once, so implementations are thread-safe. Batches written concurrently never share a key, and
 * a batch holds at most one event per key. {@link #start} happens before any write and {@link
 * #close} after the last one returned.
 *
 * <h2>Contract</h2>
 *
 * <ol>
 *   <li>An {@link ChangeEvent.Upsert} or {@link ChangeEvent.Delete} is applied only if its version
 *       is at least the version the index holds for that key (the engine's {@code external_gte});
 *       otherwise the result is {@link WriteResult.Stale}.
 *   <li>A delete of a key the index does not hold is {@link WriteResult.Applied} or {@link
 *       WriteResult.Stale}, never rejected.
 *   <li>{@link #write} returns one result per event, in the batch's order, once every applied
 *       result is durable in the index's sense (acknowledged by the engine).
 *   <li>A failure of the whole request that may heal (connection refused, timeout, 5xx, 429) is
 *       thrown as a {@link dev.driftless.core.RetriableException} (with {@code throttled} set for
 *       429 and rejected execution); the pipeline retries the batch. Nothing else may be thrown for
 *       such failures, and a sink never reports them as {@link WriteResult.Rejected}.
 *   <li>Writing the same batch twice leaves the index as writing it once (idempotence).
 *   <li>A {@link ChangeEvent.Truncate} (always alone in its batch) removes every document of its
 *       collection whose version is at most the truncate's, and keeps newer ones. A sink that
 *       cannot do that answers {@link WriteResult.Rejected}.
 *   <li>An event the index can never accept as it is (poison: a mapping conflict, a document too
 *       large even alone) is reported as {@link WriteResult.Rejected} for that item, and only that
 *       way; the pipeline dead-letters it and the rest flows. A whole-request failure caused by one
 *       item (a 413 for the request) is narrowed by the sink itself to the item(s) that cause it.
 *       {@link #write} throws only {@link dev.driftless.core.RetriableException} (an outage) or
 *       {@link dev.driftless.core.ConfigurationException} (a setting no retry heals); anything else
 *       it throws ({@code IllegalStateException}, {@code NullPointerException}, an unclassified I/O
 *       error) is treated as a bug in the sink or an outage it failed to classify: the pipeline
 *       stops without dead-lettering and without committing past the batch, so that a sink bug
 *       never drains the stream into the dead-letter store one event at a time.
 * </ol>
 */
public interface VersionedSink extends AutoCloseable {

  /**
   * Prepares the sink (connects, checks or creates indices). May block.
   *
   * <p>If the index cannot be reached now (connection refused, timeout, 5xx), throw a {@link
   * dev.driftless.core.RetriableException}: the pipeline then starts anyway, reports the sink as in
   * an outage, and calls {@code start} again with its backoff (within its {@code outageDeadline})
   * until it returns; nothing is written before. So {@code start} must be safe to call again after
   * it threw. Anything else it throws (a {@link dev.driftless.core.ConfigurationException} for
   * refused credentials or an untrusted certificate) fails {@code Pipeline.start}, or stops the
   * pipeline if found on a later attempt.
   */
  default void start(SinkContext context) throws Exception {}

  /** Writes a batch; see the class documentation for what the results mean. May block. */
  List<WriteResult> write(List<ChangeEvent> batch) throws Exception;

  /** Releases the sink's resources. Idempotent. */
  @Override
  default void close() throws Exception {}
}
