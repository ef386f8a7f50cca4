package dev.driftless.tck;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.RetriableException;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A reference {@link VersionedSink} that keeps documents in memory with the engines' {@code
 * external_gte} semantics, plus knobs and instruments that tests of the pipeline need: poison
 * documents, throttling, latency, an outage switch, and a record of how writes arrived.
 *
 * <p>Deletes leave a versioned deleted marker for ever (unlike the engines, which forget a deleted
 * document's version after {@code index.gc_deletes}), so an older upsert after a newer delete is
 * always stale.
 *
 * <p>Thread-safe: writes of different keys run in parallel; a key's state changes atomically.
 * Instrumentation is updated before a write returns, so a caller that saw {@link #write} return
 * also sees its effect on {@link #writeLog}, {@link #writeCount} and the stored state.
 */
public final class InMemoryVersionedSink implements VersionedSink {

  /** The error type of a poison document's {@link WriteResult.Rejected}. */
  public static final String POISON_ERROR_TYPE = "poison_document";

  private final Predicate<Document> poison;
  private final int throttleEveryNthWrite;
  private final int retryEveryNthItem;
  private final Duration latency;

  private final ConcurrentMap<DocumentKey, StoredDocument> documents = new ConcurrentHashMap<>();
  private final ConcurrentMap<DocumentKey, Boolean> inFlightKeys = new ConcurrentHashMap<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final Map<DocumentKey, List<ChangeEvent>> arrivals = new HashMap<>();
  private final AtomicLong writeCalls = new AtomicLong();
  private final AtomicLong itemsSeen = new AtomicLong();
  private final AtomicLong throttledCalls = new AtomicLong();
  private final AtomicInteger concurrentWrites = new AtomicInteger();
  private final AtomicInteger peakConcurrentWrites = new AtomicInteger();
  private final AtomicBoolean outage = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private InMemoryVersionedSink(Builder builder) {
    this.poison = builder.poison;
    this.throttleEveryNthWrite = builder.throttleEveryNthWrite;
    this.retryEveryNthItem = builder.retryEveryNthItem;
    this.latency = builder.latency;
  }

  /** A sink without poison, throttling, latency or outage. */
  public static InMemoryVersionedSink create() {
    return builder().build();
  }

  /** A builder for a sink with test knobs. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<WriteResult> write(List<ChangeEvent> batch) throws InterruptedException {
    Objects.requireNonNull(batch, "batch");
    long call = writeCalls.incrementAndGet();
    int concurrent = concurrentWrites.incrementAndGet();
    peakConcurrentWrites.accumulateAndGet(concurrent, Math::max);
    List<DocumentKey> claimed = new ArrayList<>(batch.size());
    try {
      for (ChangeEvent event : batch) {
        if (inFlightKeys.putIfAbsent(event.key(), Boolean.TRUE) != null) {
          violations.add("two writes of " + event.key() + " in flight at once (call " + call + ")");
        } else {
          claimed.add(event.key());
        }
        synchronized (arrivals) {
          arrivals.computeIfAbsent(event.key(), k -> new ArrayList<>()).add(event);
        }
      }
      if (!latency.isZero()) {
        // Latency of a real engine's round trip; widens the window in which overlaps would show.
        Thread.sleep(latency.toMillis(), latency.toNanosPart() % 1_000_000);
      }
      if (outage.get()) {
        throw new RetriableException("in-memory sink: outage switched on", null, false);
      }
      if (throttleEveryNthWrite > 0 && call % throttleEveryNthWrite == 0) {
        throttledCalls.incrementAndGet();
        throw new RetriableException(
            "in-memory sink: throttled write call " + call + " (429)", null, true);
      }
      List<WriteResult> results = new ArrayList<>(batch.size());
      for (ChangeEvent event : batch) {
        long item = itemsSeen.incrementAndGet();
        if (retryEveryNthItem > 0 && item % retryEveryNthItem == 0) {
          results.add(WriteResult.retry("in-memory sink: throttled item " + item, true));
        } else {
          results.add(apply(event));
        }
      }
      return results;
    } finally {
      for (DocumentKey key : claimed) {
        inFlightKeys.remove(key);
      }
      concurrentWrites.decrementAndGet();
    }
  }

  private WriteResult apply(ChangeEvent event) {
    if (event instanceof ChangeEvent.Truncate truncate) {
      documents
          .entrySet()
          .removeIf(
              e ->
                  e.getKey().collection().equals(truncate.collection())
                      && e.getValue().version().compareTo(truncate.version()) <= 0);
      return WriteResult.applied();
    }
    if (event instanceof ChangeEvent.Upsert upsert && poison.test(upsert.document())) {
      return WriteResult.rejected(
          POISON_ERROR_TYPE, "document of " + event.key() + " is marked as poison");
    }
    StoredDocument next =
        event instanceof ChangeEvent.Upsert upsert
            ? StoredDocument.live(event.version(), upsert.document())
            : StoredDocument.deletedAt(event.version());
    boolean[] applied = {false};
    documents.compute(
        event.key(),
        (key, held) -> {
          if (held == null || event.version().compareTo(held.version()) >= 0) {
            applied[0] = true;
            return next;
          }
          return held;
        });
    return applied[0] ? WriteResult.applied() : WriteResult.stale();
  }

  /**
   * Overwrites what the sink holds for {@code key}, bypassing versions: corrupts the "index" behind
   * the pipeline's back, for reconciliation tests.
   */
  public void corrupt(DocumentKey key, StoredDocument stored) {
    documents.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(stored, "stored"));
  }

  /**
   * Forgets {@code key} entirely, bypassing versions (a lost document, for reconciliation tests).
   */
  public void forget(DocumentKey key) {
    documents.remove(Objects.requireNonNull(key, "key"));
  }

  /** What the sink holds for {@code key}: a document, a deleted marker, or nothing. */
  public Optional<StoredDocument> get(DocumentKey key) {
    return Optional.ofNullable(documents.get(Objects.requireNonNull(key, "key")));
  }

  /** A copy of everything the sink holds, deleted markers included. */
  public Map<DocumentKey, StoredDocument> snapshot() {
    return Map.copyOf(documents);
  }

  /** The live documents (deleted markers left out). */
  public Map<DocumentKey, Document> liveDocuments() {
    Map<DocumentKey, Document> live = new HashMap<>();
    documents.forEach(
        (key, stored) -> {
          Document document = stored.document();
          if (document != null) {
            live.put(key, document);
          }
        });
    return live;
  }

  /** Removes everything the sink holds (for example to simulate a lost index); keeps the log. */
  public void clear() {
    documents.clear();
  }

  /** While on, every write throws a (not throttled) {@link RetriableException}. */
  public void outage(boolean on) {
    outage.set(on);
  }

  /**
   * Every event of {@code key} that reached {@link #write}, in arrival order, including those whose
   * write then failed (throttled, outage) and retries.
   */
  public List<ChangeEvent> writeLog(DocumentKey key) {
    synchronized (arrivals) {
      return List.copyOf(arrivals.getOrDefault(key, List.of()));
    }
  }

  /** Every key that reached {@link #write}. */
  public List<DocumentKey> keysWritten() {
    synchronized (arrivals) {
      return List.copyOf(arrivals.keySet());
    }
  }

  /**
   * Problems seen so far: two writes of one key in flight at once (which the pipeline must never
   * do).
   */
  public List<String> violations() {
    return List.copyOf(violations);
  }

  /** How many times {@link #write} was called. */
  public long writeCount() {
    return writeCalls.get();
  }

  /** How many write calls were throttled by {@link Builder#throttleEveryNthWrite}. */
  public long throttledWriteCount() {
    return throttledCalls.get();
  }

  /** The most {@link #write} calls that ran at once. */
  public int peakConcurrentWrites() {
    return peakConcurrentWrites.get();
  }

  /** Whether {@link #close} was called. */
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    closed.set(true);
  }

  /** Configures an {@link InMemoryVersionedSink}'s test knobs. By default they are all off. */
  public static final class Builder {
    private Predicate<Document> poison = document -> false;
    private int throttleEveryNthWrite;
    private int retryEveryNthItem;
    private Duration latency = Duration.ZERO;

    private Builder() {}

    /** Upserts of documents matching {@code poison} are {@link WriteResult.Rejected}. */
    public Builder poison(Predicate<Document> poison) {
      this.poison = Objects.requireNonNull(poison, "poison");
      return this;
    }

    /**
     * Every {@code n}th call of {@link #write} throws a throttled {@link RetriableException} (as an
     * engine's 429 would) before applying anything. 0 turns it off.
     */
    public Builder throttleEveryNthWrite(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("throttleEveryNthWrite must not be negative, was " + n);
      }
      this.throttleEveryNthWrite = n;
      return this;
    }

    /**
     * Every {@code n}th event written gets a throttled {@link WriteResult.Retry} instead of being
     * applied (as an engine's per-item 429 would). 0 turns it off.
     */
    public Builder retryEveryNthItem(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("retryEveryNthItem must not be negative, was " + n);
      }
      this.retryEveryNthItem = n;
      return this;
    }

    /** How long each {@link #write} call takes, at least; 0 to 10 s. */
    public Builder latency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative() || latency.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("latency must be in [0, 10s], was " + latency);
      }
      this.latency = latency;
      return this;
    }

    /** The configured sink. */
    public InMemoryVersionedSink build() {
      return new InMemoryVersionedSink(this);
    }
  }
}
