package dev.driftless.tck;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An append-only, in-memory change log: the "database" behind {@link InMemoryChangeSource}. It
 * outlives the sources reading it, and keeps each pipeline's committed offset, so that a new source
 * over the same log behaves like a source restarted after a crash.
 *
 * <p>Each appended change gets the position {@code SourcePosition.ofOffset(index)} and the version
 * {@code index + 1}, so versions increase strictly along the log (one change per transaction).
 *
 * <p>Thread-safe. Readers waiting for new changes are woken by appends; nobody busy-waits.
 */
public final class InMemoryChangeLog {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition appended = lock.newCondition();
  private final List<ChangeEvent> events = new ArrayList<>();
  private final Map<DocumentKey, ChangeEvent> latest = new HashMap<>();
  private final Map<String, Long> committed = new HashMap<>();
  private final Clock clock;

  private InMemoryChangeLog(Clock clock) {
    this.clock = clock;
  }

  /** An empty log stamping changes with the UTC system clock. */
  public static InMemoryChangeLog create() {
    return new InMemoryChangeLog(Clock.systemUTC());
  }

  /** An empty log stamping changes with {@code clock}. */
  public static InMemoryChangeLog create(Clock clock) {
    return new InMemoryChangeLog(Objects.requireNonNull(clock, "clock"));
  }

  /** Appends "the key now holds {@code document}" and returns the change. */
  public ChangeEvent.Upsert upsert(DocumentKey key, Document document) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(document, "document");
    lock.lock();
    try {
      long offset = events.size();
      ChangeEvent.Upsert event =
          ChangeEvent.upsert(
              key,
              Version.of(offset + 1),
              SourcePosition.ofOffset(offset),
              document,
              clock.instant());
      append(event);
      return event;
    } finally {
      lock.unlock();
    }
  }

  /** Appends "the key was deleted" and returns the change. */
  public ChangeEvent.Delete delete(DocumentKey key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      long offset = events.size();
      ChangeEvent.Delete event =
          ChangeEvent.delete(
              key, Version.of(offset + 1), SourcePosition.ofOffset(offset), clock.instant());
      append(event);
      return event;
    } finally {
      lock.unlock();
    }
  }

  private void append(ChangeEvent event) {
    events.add(event);
    latest.put(event.key(), event);
    appended.signalAll();
  }

  /** How many changes the log holds. */
  public int size() {
    lock.lock();
    try {
      return events.size();
    } finally {
      lock.unlock();
    }
  }

  /** A copy of every change, in log order. */
  public List<ChangeEvent> events() {
    lock.lock();
    try {
      return List.copyOf(events);
    } finally {
      lock.unlock();
    }
  }

  /** The newest change of {@code key}, if the log has one. */
  public Optional<ChangeEvent> latest(DocumentKey key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      return Optional.ofNullable(latest.get(key));
    } finally {
      lock.unlock();
    }
  }

  /** The newest change of every key the log has seen (deleted keys map to their delete). */
  public Map<DocumentKey, ChangeEvent> latestByKey() {
    lock.lock();
    try {
      return new LinkedHashMap<>(latest);
    } finally {
      lock.unlock();
    }
  }

  /** The current state: every key whose newest change is an upsert, with its document. */
  public Map<DocumentKey, Document> currentState() {
    lock.lock();
    try {
      Map<DocumentKey, Document> state = new HashMap<>();
      latest.forEach(
          (key, event) -> {
            if (event instanceof ChangeEvent.Upsert upsert) {
              state.put(key, upsert.document());
            }
          });
      return state;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Up to {@code max} changes starting at {@code offset}, waiting up to {@code maxWait} for the
   * first one to be appended.
   */
  List<ChangeEvent> read(long offset, int max, Duration maxWait) throws InterruptedException {
    long remaining = maxWait.toNanos();
    lock.lock();
    try {
      while (events.size() <= offset && remaining > 0) {
        remaining = appended.awaitNanos(remaining);
      }
      int from = (int) Math.min(offset, events.size());
      int to = (int) Math.min((long) events.size(), offset + max);
      return List.copyOf(events.subList(from, to));
    } finally {
      lock.unlock();
    }
  }

  /** Records that {@code pipelineName} settled everything up to {@code offset}; never goes back. */
  void commit(String pipelineName, long offset) {
    lock.lock();
    try {
      committed.merge(pipelineName, offset, Math::max);
    } finally {
      lock.unlock();
    }
  }

  /** The last offset {@code pipelineName} committed, or -1 when it committed none. */
  public long committedOffset(String pipelineName) {
    Objects.requireNonNull(pipelineName, "pipelineName");
    lock.lock();
    try {
      return committed.getOrDefault(pipelineName, -1L);
    } finally {
      lock.unlock();
    }
  }
}
