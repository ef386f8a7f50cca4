package dev.driftless.tck;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A reference {@link ChangeSource} reading an {@link InMemoryChangeLog}. On {@link #start} it
 * resumes after the offset its pipeline last committed to the log, so a new source over the same
 * log behaves like the same source restarted after a crash.
 *
 * <p>Positions are {@link SourcePosition.OffsetPosition}s. {@link #poll} blocks on the log's
 * appends (no busy loop). The {@link #repairReader()} returns each key's newest change: an upsert
 * with its latest version, or a delete (with the key's delete version, or version 0 for a key the
 * log never held).
 *
 * <p>Threading as {@link ChangeSource} requires: one poll thread; {@link #close} and the repair
 * reader from any thread.
 */
public final class InMemoryChangeSource implements ChangeSource {

  private final InMemoryChangeLog log;
  private final Duration waitCap;
  private final AtomicLong nextOffset = new AtomicLong(-1);
  private final AtomicLong keepAlives = new AtomicLong();
  private volatile @Nullable String pipelineName;
  private volatile boolean closed;

  /** A source over {@code log}; it starts reading at {@link #start}. */
  public InMemoryChangeSource(InMemoryChangeLog log) {
    this(log, Duration.ofDays(1));
  }

  private InMemoryChangeSource(InMemoryChangeLog log, Duration waitCap) {
    this.log = Objects.requireNonNull(log, "log");
    this.waitCap = waitCap;
  }

  /**
   * A source whose {@link #poll} waits at most {@code waitCap}, whatever {@code maxWait} it is
   * given (returning sooner is allowed): makes a runner's idle poll loop turn faster in tests, so
   * that it commits and notices a close sooner.
   */
  public static InMemoryChangeSource withWaitCap(InMemoryChangeLog log, Duration waitCap) {
    Objects.requireNonNull(waitCap, "waitCap");
    if (waitCap.isNegative()) {
      throw new IllegalArgumentException("waitCap must not be negative, was " + waitCap);
    }
    return new InMemoryChangeSource(log, waitCap);
  }

  @Override
  public void start(SourceContext context) {
    Objects.requireNonNull(context, "context");
    if (pipelineName != null) {
      throw new IllegalStateException("source already started");
    }
    pipelineName = context.pipelineName();
    nextOffset.set(log.committedOffset(context.pipelineName()) + 1);
  }

  @Override
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws InterruptedException {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, was " + maxEvents);
    }
    Objects.requireNonNull(maxWait, "maxWait");
    running();
    List<ChangeEvent> events = log.read(nextOffset.get(), maxEvents, min(maxWait, waitCap));
    nextOffset.addAndGet(events.size());
    return events;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void commit(SourcePosition position) {
    Objects.requireNonNull(position, "position");
    String name = running();
    if (!(position instanceof SourcePosition.OffsetPosition offset)) {
      throw new IllegalArgumentException(
          "not a position of an in-memory change log: " + position.asString());
    }
    log.commit(name, offset.offset());
  }

  @Override
  public void keepAlive() {
    keepAlives.incrementAndGet();
  }

  /** How many times {@link #keepAlive} was called. */
  public long keepAliveCount() {
    return keepAlives.get();
  }

  @Override
  public Optional<RepairReader> repairReader() {
    return Optional.of(
        keys -> {
          List<ChangeEvent> current = new ArrayList<>(keys.size());
          for (var key : keys) {
            Optional<ChangeEvent> newest = log.latest(key);
            if (newest.isPresent()) {
              current.add(newest.get());
            } else {
              // Absent: a delete at the log's current horizon, newer than every change the log
              // has seen, like a database read's snapshot version.
              current.add(
                  ChangeEvent.delete(
                      key,
                      Version.of(log.size()),
                      SourcePosition.ofOffset(0),
                      java.time.Instant.EPOCH));
            }
          }
          return current;
        });
  }

  @Override
  public Map<String, Object> statusDetails() {
    return Map.of("logSize", (long) log.size(), "nextOffset", nextOffset.get());
  }

  private String running() {
    String name = pipelineName;
    if (name == null) {
      throw new IllegalStateException("source not started");
    }
    if (closed) {
      throw new IllegalStateException("source closed");
    }
    return name;
  }

  @Override
  public void close() {
    closed = true;
  }
}
