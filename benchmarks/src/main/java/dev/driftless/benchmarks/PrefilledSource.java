package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.SourceContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link ChangeSource} over a list of events generated beforehand, so that a pipeline benchmark
 * measures the pipeline and the sink, not a database. Once every event was handed out, {@link
 * #poll} returns empty lists (after a short wait, as the contract allows).
 *
 * <p>Called from the pipeline's poll thread only, as {@link ChangeSource} promises.
 */
final class PrefilledSource implements ChangeSource {

  private final List<ChangeEvent> events;
  private int next;

  PrefilledSource(List<ChangeEvent> events) {
    this.events = List.copyOf(events);
  }

  @Override
  public void start(SourceContext context) {}

  @Override
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) {
    if (next >= events.size()) {
      long wait = Math.min(maxWait.toNanos(), TimeUnit.MILLISECONDS.toNanos(5));
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      return List.of();
    }
    int end = Math.min(events.size(), next + maxEvents);
    List<ChangeEvent> out = new ArrayList<>(events.subList(next, end));
    next = end;
    return out;
  }

  @Override
  public void commit(SourcePosition position) {}

  @Override
  public void close() {}
}
