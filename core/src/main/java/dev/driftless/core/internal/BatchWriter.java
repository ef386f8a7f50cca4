package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one batch until every item is settled: outages ({@link RetriableException}, items answered
 * {@link WriteResult.Retry}) are retried with backoff and never dead-lettered; items answered
 * {@link WriteResult.Rejected} are dead-lettered; a write that ends because the pipeline is
 * stopping leaves its items unsettled; anything else the sink throws is a sink bug and stops the
 * pipeline (VersionedSink contract rule S1.15).
 *
 * <p>Holds no state between batches: a writer thread calls {@link #write} with its batch, and the
 * runner hears of each settled item, each retry and whether it is stopping through {@link
 * Callbacks}.
 */
final class BatchWriter {

  /** What the writer needs from the runner. */
  interface Callbacks {
    /** Whether the pipeline is stopping (halted, failed, or past its drain). */
    boolean stopping();

    /** An attempt failed with an outage and will be retried after a backoff. */
    void retrying(Throwable cause);

    /** The item's write ended with {@code outcome}: settle it and the events it superseded. */
    void finished(KeyScheduler.Item item, Outcome outcome);
  }

  private final VersionedSink sink;
  private final OutagePolicy policy;
  private final DeadLetterer deadLetterer;
  private final Callbacks callbacks;

  BatchWriter(
      VersionedSink sink, OutagePolicy policy, DeadLetterer deadLetterer, Callbacks callbacks) {
    this.sink = sink;
    this.policy = policy;
    this.deadLetterer = deadLetterer;
    this.callbacks = callbacks;
  }

  /**
   * Writes the batch until every item is settled, or the pipeline stops; returns whether the sink
   * throttled.
   *
   * @throws DriftlessException if the outage outlasted the outage deadline, or the sink broke its
   *     contract
   */
  boolean write(List<KeyScheduler.Item> batch) throws Exception {
    List<KeyScheduler.Item> remaining = new ArrayList<>(batch);
    boolean[] throttled = {false};
    try {
      policy.call(
          "sink outage",
          callbacks::stopping,
          (attempt, cause, delay) -> {
            throttled[0] |= cause.throttled();
            callbacks.retrying(cause);
          },
          () -> {
            if (callbacks.stopping()) {
              throw new InterruptedException("pipeline stopping");
            }
            writeOnce(remaining);
            return Boolean.TRUE;
          });
    } catch (InterruptedException e) {
      if (!callbacks.stopping()) {
        // Unsettled items keep their keys in flight: returning now would stall those keys (and,
        // once the in-flight bound is reached, the whole pipeline) while it claims to run.
        throw new DriftlessException(
            "a write was interrupted while the pipeline runs (" + e + "): stopping", e);
      }
      return throttled[0]; // the pipeline is stopping: what is left stays unsettled
    } catch (RetriableException e) {
      if (!callbacks.stopping()) {
        throw e; // not retried: cannot happen, but never swallow an outage
      }
    }
    return throttled[0];
  }

  /**
   * One attempt: writes {@code remaining}, settles what succeeded or is poison, leaves in {@code
   * remaining} what must be retried and then throws {@link RetriableException}.
   */
  void writeOnce(List<KeyScheduler.Item> remaining) throws Exception {
    List<ChangeEvent> events = new ArrayList<>(remaining.size());
    for (KeyScheduler.Item item : remaining) {
      item.newest().attempts++;
      events.add(item.newest().event);
    }
    List<WriteResult> results;
    try {
      results = sink.write(events);
    } catch (Exception e) {
      switch (Failures.classify(e, callbacks.stopping())) {
        case OUTAGE, CONFIGURATION -> throw e; // retried, or the end: no single event is to blame
        case STOPPING ->
            // The events were not refused: they stay unsettled and uncommitted, to be written
            // again after a restart.
            throw e instanceof InterruptedException
                ? e
                : new InterruptedException("pipeline stopping; the write ended with " + e);
        default ->
            // Poison is reported per item as WriteResult.Rejected; a thrown exception is not about
            // one event. Dead-lettering on it would drain the whole stream into the store, one
            // event at a time, if the sink has a bug: stop instead (VersionedSink rule S1.15).
            throw new DriftlessException(
                "sink "
                    + sink.getClass().getName()
                    + " threw "
                    + e
                    + " for a batch of "
                    + events.size()
                    + " event(s); a sink reports a poison event as WriteResult.Rejected and an"
                    + " outage as RetriableException, so anything else is a sink bug: stopping"
                    + " without dead-lettering (VersionedSink contract rule S1.15)",
                e);
      }
    }
    if (results.size() != events.size()) {
      throw new DriftlessException(
          "sink returned "
              + results.size()
              + " results for "
              + events.size()
              + " events (VersionedSink contract rule: one result per event)");
    }
    List<KeyScheduler.Item> again = new ArrayList<>();
    String retryReason = null;
    boolean throttled = false;
    for (int i = 0; i < results.size(); i++) {
      WriteResult result = results.get(i);
      if (result instanceof WriteResult.Retry retry) {
        again.add(remaining.get(i));
        retryReason = retry.reason();
        throttled |= retry.throttled();
      } else {
        finish(remaining.get(i), result);
      }
    }
    remaining.clear();
    remaining.addAll(again);
    if (!again.isEmpty()) {
      throw new RetriableException(
          again.size() + " item(s) to retry: " + retryReason, null, throttled);
    }
  }

  /** Settles one written item (and the older changes it superseded). */
  private void finish(KeyScheduler.Item item, WriteResult result) {
    Outcome outcome;
    if (result instanceof WriteResult.Rejected rejected) {
      // The mapped document is what the index would hold: the letter may keep it.
      outcome =
          deadLetterer.deadLetter(item.newest(), rejected.errorType(), rejected.reason(), true);
      if (outcome == null) {
        return; // the pipeline failed: the entry stays unsettled, never committed past
      }
    } else if (result instanceof WriteResult.Stale) {
      outcome = Outcome.STALE;
    } else {
      outcome = Outcome.APPLIED;
    }
    callbacks.finished(item, outcome);
  }
}
