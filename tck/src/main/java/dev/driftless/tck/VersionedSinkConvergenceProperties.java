package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import org.jspecify.annotations.Nullable;

/**
 * Rule S1.12 of the sink contract as a jqwik property: whatever the order, duplication and replay
 * of a history of upserts and deletes, a sink ends with the newest version of every key (I1), and
 * never lets an older version replace a newer one on the way (I3).
 *
 * <p>Extend it beside {@link VersionedSinkContract}, with the same two hooks. jqwik does not run
 * JUnit lifecycle methods or extensions: {@link #createSink()} must work without them (start a
 * shared server lazily, once per JVM). The suite creates one sink on the first try, reuses it for
 * every try (each try writes keys with its own unique prefix) and closes it after the property.
 * Each try writes a handful of small batches and reads each of its (at most four) keys once through
 * {@link #readAll}, so 1,000 tries stay cheap even against a real engine.
 */
public abstract class VersionedSinkConvergenceProperties {

  /** For subclasses that bind the suite to one implementation. */
  protected VersionedSinkConvergenceProperties() {}

  private static final AtomicLong TRIES = new AtomicLong();
  private static final int MAX_KEYS = 4;

  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private @Nullable VersionedSink sink;

  /**
   * A new sink writing to the index that {@link #read} reads; see {@link VersionedSinkContract}.
   */
  protected abstract VersionedSink createSink() throws Exception;

  /** What the index holds for {@code key}; see {@link VersionedSinkContract#read}. */
  protected abstract Optional<StoredDocument> read(DocumentKey key) throws Exception;

  /**
   * What the index holds for each of {@code keys} (absent keys left out), once acknowledged writes
   * are visible. Override with one multi-get after one refresh where that is cheaper; the default
   * calls {@link #read} per key.
   */
  protected Map<DocumentKey, StoredDocument> readAll(List<DocumentKey> keys) throws Exception {
    Map<DocumentKey, StoredDocument> held = new HashMap<>();
    for (DocumentKey key : keys) {
      read(key).ifPresent(stored -> held.put(key, stored));
    }
    return held;
  }

  /** The collection the property writes to. Default {@code tck}. */
  protected String collection() {
    return "tck";
  }

  /** How long writes may take to become visible, and transient failures are retried. 10 s. */
  protected Duration visibilityTimeout() {
    return Duration.ofSeconds(10);
  }

  /** The context the property starts its sink with. */
  protected SinkContext sinkContext() {
    return SinkCalls.defaultSinkContext();
  }

  /**
   * S1.12 (I1, I3): a history (≤ 4 keys, ≤ 16 changes, versions increasing per key) delivered
   * shuffled, with duplicates and replays, in sequential batches of at most one event per key,
   * converges to the newest version of every key; and each write's result is {@code Stale} when an
   * older version than one already written, {@code Applied} when newer.
   */
  @Property(tries = 1000)
  void rule_S1_12_anyShuffleDuplicationAndReplayConverges(@ForAll("deliveries") Delivery delivery)
      throws Exception {
    VersionedSink target = openSink();
    String prefix = "conv-" + runId + "-" + TRIES.incrementAndGet() + "-";
    List<DocumentKey> keys = new ArrayList<>();
    for (int k = 0; k < MAX_KEYS; k++) {
      keys.add(DocumentKey.of(collection(), prefix + k));
    }
    List<ChangeEvent> history = new ArrayList<>();
    for (int i = 0; i < delivery.history().size(); i++) {
      Change change = delivery.history().get(i);
      DocumentKey key = keys.get(change.key());
      // Versions grow with the history index, so they grow per key; gaps are allowed.
      Version version = Version.of(1 + 3L * i);
      history.add(
          change.delete()
              ? ChangeEvent.delete(key, version, SourcePosition.ofOffset(i), Instant.EPOCH)
              : ChangeEvent.upsert(
                  key,
                  version,
                  SourcePosition.ofOffset(i),
                  Document.of("key", (long) change.key(), "v", version.value()),
                  Instant.EPOCH));
    }

    Map<DocumentKey, Long> newestWritten = new HashMap<>();
    for (List<ChangeEvent> batch : batches(history, delivery.order(), delivery.batchSize())) {
      List<WriteResult> results = SinkCalls.settle(target, batch, visibilityTimeout());
      for (int i = 0; i < batch.size(); i++) {
        ChangeEvent event = batch.get(i);
        long version = event.version().value();
        long newest = newestWritten.getOrDefault(event.key(), -1L);
        WriteResult result = results.get(i);
        if (version < newest) {
          assertThat(result)
              .as("I3: result of older %s after %d", event, newest)
              .isEqualTo(WriteResult.stale());
        } else if (version > newest) {
          assertThat(result)
              .as("result of newer %s after %d", event, newest)
              .isEqualTo(WriteResult.applied());
        } else {
          assertThat(result)
              .as("result of a repeated %s", event)
              .isIn(WriteResult.applied(), WriteResult.stale());
        }
        newestWritten.merge(event.key(), version, Math::max);
      }
    }

    Map<DocumentKey, ChangeEvent> latest = new LinkedHashMap<>();
    for (ChangeEvent event : history) {
      latest.put(event.key(), event);
    }
    List<DocumentKey> touched = new ArrayList<>(latest.keySet());
    Eventually.await(
        visibilityTimeout(),
        () -> {
          Map<DocumentKey, StoredDocument> held = readAll(touched);
          for (ChangeEvent event : latest.values()) {
            Optional<StoredDocument> live =
                SinkCalls.absentOrLive(Optional.ofNullable(held.get(event.key())));
            if (event instanceof ChangeEvent.Upsert upsert) {
              assertThat(live).as("I1: %s holds its newest version", event.key()).isPresent();
              StoredDocument stored = live.orElseThrow();
              assertThat(stored.version())
                  .as("I1: version of %s", event.key())
                  .isEqualTo(event.version());
              assertThat(java.util.Objects.requireNonNull(stored.document()).fields())
                  .as("I1: document of %s", event.key())
                  .isEqualTo(upsert.document().fields());
            } else {
              assertThat(live).as("I1: %s was deleted last", event.key()).isEmpty();
            }
          }
        });
  }

  /** Cuts the delivery order into batches of at most {@code maxSize} events and one per key. */
  private static List<List<ChangeEvent>> batches(
      List<ChangeEvent> history, List<Integer> order, int maxSize) {
    List<List<ChangeEvent>> batches = new ArrayList<>();
    List<ChangeEvent> current = new ArrayList<>();
    Set<DocumentKey> keysInBatch = new HashSet<>();
    for (int index : order) {
      ChangeEvent event = history.get(index);
      if (current.size() == maxSize || keysInBatch.contains(event.key())) {
        batches.add(current);
        current = new ArrayList<>();
        keysInBatch.clear();
      }
      current.add(event);
      keysInBatch.add(event.key());
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  @Provide
  Arbitrary<Delivery> deliveries() {
    Arbitrary<Change> change =
        Combinators.combine(
                Arbitraries.integers().between(0, MAX_KEYS - 1), Arbitraries.of(false, true))
            .as(Change::new);
    return change
        .list()
        .ofMinSize(1)
        .ofMaxSize(16)
        .flatMap(
            history ->
                Arbitraries.integers()
                    .between(0, history.size() - 1)
                    .list()
                    .ofMaxSize(history.size() * 2)
                    .flatMap(
                        replays -> {
                          List<Integer> all = new ArrayList<>();
                          for (int i = 0; i < history.size(); i++) {
                            all.add(i);
                          }
                          all.addAll(replays);
                          return Combinators.combine(
                                  Arbitraries.shuffle(all), Arbitraries.integers().between(1, 6))
                              .as((order, size) -> new Delivery(history, order, size));
                        }));
  }

  private VersionedSink openSink() throws Exception {
    VersionedSink open = sink;
    if (open == null) {
      open = createSink();
      open.start(sinkContext());
      sink = open;
    }
    return open;
  }

  @AfterProperty
  void closeSink() throws Exception {
    VersionedSink open = sink;
    sink = null;
    if (open != null) {
      open.close();
    }
  }

  /**
   * One change of a generated history.
   *
   * @param key which of the try's keys
   * @param delete whether it deletes the key (otherwise upserts it)
   */
  record Change(int key, boolean delete) {}

  /**
   * A history and the order it reaches the sink in.
   *
   * @param history the source's changes, in commit order
   * @param order indices into {@code history}: every change at least once, some again, shuffled
   * @param batchSize most events per batch
   */
  record Delivery(List<Change> history, List<Integer> order, int batchSize) {}
}
