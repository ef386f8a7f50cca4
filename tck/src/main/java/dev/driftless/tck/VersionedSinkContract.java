package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The contract of {@link VersionedSink} (rules S1.1–S1.11, S1.13 and S1.14 of the TCK's {@code
 * SPEC.md}). Extend it in a test of your sink and implement the two hooks; every sink in this
 * repository does.
 *
 * <pre>{@code
 * class MySinkIT extends VersionedSinkContract {
 *   protected VersionedSink createSink() { return new MySink(SharedServer.client(), "tck"); }
 *   protected Optional<StoredDocument> read(DocumentKey key) { ...refresh, then get... }
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 *
 * <p>Each test creates one sink with {@link #createSink()}, starts it with {@link #sinkContext()},
 * and closes it afterwards. Tests share the index: every test writes only keys with its own unique
 * id prefix in {@link #collection()}, so one index (and one server per test JVM) serves the whole
 * suite, and tests may run in any order.
 *
 * <h2>Transient failures</h2>
 *
 * <p>A real engine may throttle under load. The suite's writes retry a {@link RetriableException}
 * and items answered {@link WriteResult.Retry} (only those items, like the pipeline does) until
 * {@link #visibilityTimeout()} has passed; the rules are checked on the settled results.
 *
 * <p>Rule S1.12 (convergence under shuffles, duplicates and replays) is a jqwik property in {@link
 * VersionedSinkConvergenceProperties}: a sink's test suite extends that class too, with the same
 * hooks.
 */
public abstract class VersionedSinkContract {

  /** For subclasses that bind the suite to one implementation. */
  protected VersionedSinkContract() {}

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private @Nullable VersionedSink sink;
  private String prefix = "";

  /**
   * A new sink that writes to the index the suite reads with {@link #read}. Called once per test
   * and closed after it; it may share a client or server with other tests (start the server once
   * per JVM, not here). The suite calls {@link VersionedSink#start} itself.
   */
  protected abstract VersionedSink createSink() throws Exception;

  /**
   * What the index holds for {@code key} once all acknowledged writes are visible (refresh the
   * index first if it has a refresh interval): the live document with its version, a deleted marker
   * (for sinks that keep tombstones), or empty when the index holds nothing for the key. The
   * document must be the one written, without any metadata fields the sink adds, and with numbers
   * as {@link dev.driftless.core.DocumentJson} reads them back (the suite only writes strings,
   * longs, booleans, nulls, maps and lists). A fingerprint need not be restored.
   */
  protected abstract Optional<StoredDocument> read(DocumentKey key) throws Exception;

  /** The collection the suite writes to. Default {@code tck}. */
  protected String collection() {
    return "tck";
  }

  /**
   * How long a write may take to become visible to {@link #read}, and how long the suite retries
   * transient write failures. Default 10 s.
   */
  protected Duration visibilityTimeout() {
    return Duration.ofSeconds(10);
  }

  /**
   * A document the index can never accept (for example a field whose value conflicts with the
   * index's mapping), if the sink's index can be set up to have one; enables rule S1.9. Default
   * empty: the rule is skipped.
   */
  protected Optional<Document> poisonDocument() {
    return Optional.empty();
  }

  /**
   * Key ids this sink stores in a way of its own, which rule S1.14 writes beside the empty id and
   * ids of 2,500 characters: for example ids that look like the sink's encoding of other ids. They
   * may be fixed strings (the rule's versions come from the clock, so a key several tests or runs
   * share is fine). Default none.
   */
  protected List<String> specialIds() {
    return List.of();
  }

  /** The context the suite starts each sink with. */
  protected SinkContext sinkContext() {
    return SinkCalls.defaultSinkContext();
  }

  @BeforeEach
  final void openSink(TestInfo info) throws Exception {
    String method = info.getTestMethod().map(m -> m.getName()).orElse("test");
    prefix =
        method.replaceAll("[^A-Za-z0-9]", "")
            + "-"
            + SEQUENCE.incrementAndGet()
            + "-"
            + UUID.randomUUID().toString().substring(0, 8)
            + "-";
    VersionedSink created = createSink();
    created.start(sinkContext());
    sink = created;
  }

  @AfterEach
  final void closeSink() throws Exception {
    VersionedSink open = sink;
    sink = null;
    if (open != null) {
      open.close();
    }
  }

  @Test
  void rule_S1_1_newerVersionIsApplied() throws Exception {
    DocumentKey key = key("k");
    Document first = doc("name", "first", "n", 1L);
    Document second = doc("name", "second", "n", 2L);

    assertThat(writeOne(upsert(key, 1, first))).isEqualTo(WriteResult.applied());
    awaitHolds(key, 1, first);

    assertThat(writeOne(upsert(key, 5, second))).isEqualTo(WriteResult.applied());
    awaitHolds(key, 5, second);

    assertThat(writeOne(delete(key, 9))).isEqualTo(WriteResult.applied());
    awaitAbsent(key);
  }

  @Test
  void rule_S1_2_staleWriteIsNoOp() throws Exception {
    DocumentKey key = key("k");
    Document current = doc("name", "current");
    writeOne(upsert(key, 10, current));
    awaitHolds(key, 10, current);

    assertThat(writeOne(upsert(key, 5, doc("name", "older")))).isEqualTo(WriteResult.stale());
    assertThat(writeOne(upsert(key, 0, doc("name", "oldest")))).isEqualTo(WriteResult.stale());
    assertThat(writeOne(delete(key, 9))).isEqualTo(WriteResult.stale());
    awaitHolds(key, 10, current);
  }

  @Test
  void rule_S1_3_equalVersionLeavesTheSameState() throws Exception {
    DocumentKey key = key("k");
    Document current = doc("name", "same");
    writeOne(upsert(key, 7, current));
    awaitHolds(key, 7, current);

    assertThat(writeOne(upsert(key, 7, current))).isIn(WriteResult.applied(), WriteResult.stale());
    awaitHolds(key, 7, current);
  }

  @Test
  void rule_S1_4_deleteIsVersioned() throws Exception {
    DocumentKey key = key("k");
    writeOne(upsert(key, 1, doc("name", "v1")));
    assertThat(writeOne(delete(key, 5))).isEqualTo(WriteResult.applied());
    awaitAbsent(key);

    assertThat(writeOne(upsert(key, 3, doc("name", "v3")))).isEqualTo(WriteResult.stale());
    awaitAbsent(key);

    Document v6 = doc("name", "v6");
    assertThat(writeOne(upsert(key, 6, v6))).isEqualTo(WriteResult.applied());
    awaitHolds(key, 6, v6);
  }

  @Test
  void rule_S1_5_deleteOfAbsentKeyIsNotRejected() throws Exception {
    DocumentKey key = key("never-written");
    assertThat(writeOne(delete(key, 3))).isIn(WriteResult.applied(), WriteResult.stale());
    awaitAbsent(key);
  }

  @Test
  void rule_S1_6_oneResultPerEventInOrder() throws Exception {
    DocumentKey fresh = key("fresh");
    DocumentKey staleUpsert = key("stale-upsert");
    DocumentKey absentDelete = key("absent-delete");
    DocumentKey fresh2 = key("fresh2");
    DocumentKey staleDelete = key("stale-delete");
    DocumentKey newerDelete = key("newer-delete");
    Document held = doc("name", "held");
    writeAll(
        List.of(
            upsert(staleUpsert, 10, held),
            upsert(staleDelete, 10, held),
            upsert(newerDelete, 10, held)));
    awaitHolds(staleDelete, 10, held);

    List<ChangeEvent> batch =
        List.of(
            upsert(fresh, 1, doc("name", "fresh")),
            upsert(staleUpsert, 5, doc("name", "older")),
            delete(absentDelete, 1),
            upsert(fresh2, 2, doc("name", "fresh2")),
            delete(staleDelete, 3),
            delete(newerDelete, 11));
    List<WriteResult> results = writeAll(batch);

    assertThat(results).hasSize(batch.size());
    assertThat(results.get(0)).isEqualTo(WriteResult.applied());
    assertThat(results.get(1)).isEqualTo(WriteResult.stale());
    assertThat(results.get(2)).isIn(WriteResult.applied(), WriteResult.stale());
    assertThat(results.get(3)).isEqualTo(WriteResult.applied());
    assertThat(results.get(4)).isEqualTo(WriteResult.stale());
    assertThat(results.get(5)).isEqualTo(WriteResult.applied());
    awaitHolds(fresh, 1, doc("name", "fresh"));
    awaitHolds(staleUpsert, 10, held);
    awaitHolds(fresh2, 2, doc("name", "fresh2"));
    awaitHolds(staleDelete, 10, held);
    awaitAbsent(newerDelete);
  }

  @Test
  void rule_S1_7_rewritingABatchIsIdempotent() throws Exception {
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      DocumentKey key = key("k" + i);
      batch.add(i % 3 == 2 ? delete(key, 100 + i) : upsert(key, 100 + i, doc("i", (long) i)));
    }
    List<WriteResult> first = writeAll(batch);
    assertThat(first).doesNotHaveAnyElementsOfTypes(WriteResult.Rejected.class);
    Map<DocumentKey, Optional<StoredDocument>> afterFirst = awaitStates(batch);

    List<WriteResult> second = writeAll(batch);
    assertThat(second)
        .hasSize(batch.size())
        .allSatisfy(r -> assertThat(r).isIn(WriteResult.applied(), WriteResult.stale()));
    Eventually.await(
        visibilityTimeout(),
        () -> {
          for (ChangeEvent event : batch) {
            assertThat(SinkCalls.absentOrLive(read(event.key())))
                .as("state of %s after the rewrite", event.key())
                .isEqualTo(
                    SinkCalls.absentOrLive(afterFirst.getOrDefault(event.key(), Optional.empty())));
          }
        });
  }

  @Test
  void rule_S1_8_keysRoundTrip() throws Exception {
    List<String> ids =
        List.of(
            "plain",
            "with space",
            "slash/inside",
            "back\\slash",
            "question?mark",
            "hash#tag",
            "percent%20encoded",
            "plus+sign",
            "quote\"double",
            "quote'single",
            "ümlaut-ß-日本語",
            "emoji-\uD83D\uDE80-astral",
            "dots..",
            "  leading and trailing  ");
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      batch.add(upsert(key(ids.get(i)), i + 1, doc("id", ids.get(i))));
    }
    DocumentKey composite =
        DocumentKey.composite(collection(), List.of(prefix + "a,b", "c\\d", "日本"));
    batch.add(upsert(composite, 99, doc("id", composite.id())));
    assertThat(writeAll(batch)).containsOnly(WriteResult.applied());
    for (ChangeEvent event : batch) {
      awaitHolds(event.key(), event.version().value(), ((ChangeEvent.Upsert) event).document());
    }
  }

  @Test
  void rule_S1_8_documentsRoundTrip() throws Exception {
    Map<String, @Nullable Object> nested = new LinkedHashMap<>();
    nested.put("inner", "value");
    nested.put("nothing", null);
    nested.put("list", List.of(1L, "two", false));
    Map<String, @Nullable Object> fields = new LinkedHashMap<>();
    fields.put("text", "日本語 \uD83D\uDE80 \"quoted\" back\\slash\nnew line\ttab");
    fields.put("max", Long.MAX_VALUE);
    fields.put("min", Long.MIN_VALUE);
    fields.put("zero", 0L);
    fields.put("yes", true);
    fields.put("no", false);
    fields.put("nothing", null);
    fields.put("empty", "");
    fields.put("nested", nested);
    fields.put("strings", List.of("a", "b"));
    fields.put("emptyList", List.of());
    Document document = Document.of(fields);
    DocumentKey key = key("doc");
    assertThat(writeOne(upsert(key, 1, document))).isEqualTo(WriteResult.applied());
    awaitHolds(key, 1, document);
  }

  @Test
  void rule_S1_9_poisonDocumentIsRejectedAndTheRestApplies() throws Exception {
    Optional<Document> poison = poisonDocument();
    Assumptions.assumeTrue(
        poison.isPresent(), "S1.9 is optional: this suite's poisonDocument() is empty");
    DocumentKey before = key("before");
    DocumentKey poisoned = key("poison");
    DocumentKey after = key("after");
    List<WriteResult> results =
        writeAll(
            List.of(
                upsert(before, 1, doc("name", "before")),
                upsert(poisoned, 1, poison.orElseThrow()),
                upsert(after, 1, doc("name", "after"))));

    assertThat(results).hasSize(3);
    assertThat(results.get(0)).isEqualTo(WriteResult.applied());
    assertThat(results.get(1))
        .isInstanceOfSatisfying(
            WriteResult.Rejected.class,
            r -> {
              assertThat(r.errorType()).isNotBlank();
              assertThat(r.reason()).isNotBlank();
            });
    assertThat(results.get(2)).isEqualTo(WriteResult.applied());
    awaitHolds(before, 1, doc("name", "before"));
    awaitHolds(after, 1, doc("name", "after"));
    awaitAbsent(poisoned);
  }

  /** S1.13: a truncation removes the collection's documents up to its version, keeps newer ones. */
  @Test
  void rule_S1_13_truncateRemovesDocumentsUpToItsVersionAndKeepsNewerOnes() throws Exception {
    DocumentKey older = key("older");
    DocumentKey sameVersion = key("same-version");
    DocumentKey newer = key("newer");
    writeOne(upsert(older, 10, doc("n", 1L)));
    writeOne(upsert(sameVersion, 2_000_000_000L, doc("n", 2L)));
    Document kept = doc("n", 3L);
    writeOne(upsert(newer, 4_000_000_000L, kept));
    awaitHolds(newer, 4_000_000_000L, kept);
    ChangeEvent truncate =
        ChangeEvent.truncate(
            collection(),
            Version.of(2_000_000_000L),
            SourcePosition.ofOffset(0),
            java.time.Instant.EPOCH);
    assertThat(writeOne(truncate)).isEqualTo(WriteResult.applied());
    awaitAbsent(older);
    awaitAbsent(sameVersion);
    awaitHolds(newer, 4_000_000_000L, kept);
  }

  /**
   * S1.14: every id a database accepts round-trips: the empty id, composite ids of empty parts, ids
   * of 2,500 characters (over the search engines' 512-byte {@code _id} limit, and two that differ
   * only in their last character), and the sink's {@link #specialIds()}. Each is written, read back
   * as its own document, refuses older versions and is deleted.
   */
  @Test
  void rule_S1_14_everyIdADatabaseAcceptsRoundTrips() throws Exception {
    String longText = "long-" + "0123456789".repeat(249);
    List<DocumentKey> keys = new ArrayList<>();
    // The empty id and "," cannot carry the test's prefix: other tests and runs may have left
    // them at any version, so this rule takes its versions from the clock.
    keys.add(DocumentKey.of(collection(), ""));
    keys.add(DocumentKey.composite(collection(), List.of("", "")));
    keys.add(DocumentKey.composite(collection(), List.of(prefix, "")));
    keys.add(key(longText + "a"));
    keys.add(key(longText + "b"));
    keys.add(key("日本語\uD83D\uDE80".repeat(500)));
    for (String id : specialIds()) {
      keys.add(DocumentKey.of(collection(), id));
    }
    assertThat(keys).as("the rule's keys and specialIds()").doesNotHaveDuplicates();
    long base = Math.multiplyExact(System.currentTimeMillis(), 1_000L) + SEQUENCE.incrementAndGet();
    List<ChangeEvent> upserts = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      upserts.add(upsert(keys.get(i), base + 2, doc("i", (long) i, "id", keys.get(i).id())));
    }
    assertThat(writeAll(upserts)).as("first writes").containsOnly(WriteResult.applied());
    for (ChangeEvent event : upserts) {
      awaitHolds(event.key(), base + 2, ((ChangeEvent.Upsert) event).document());
    }

    List<ChangeEvent> older = new ArrayList<>();
    for (DocumentKey key : keys) {
      older.add(upsert(key, base + 1, doc("name", "older")));
    }
    assertThat(writeAll(older)).as("older upserts").containsOnly(WriteResult.stale());
    List<ChangeEvent> olderDeletes = new ArrayList<>();
    for (DocumentKey key : keys) {
      olderDeletes.add(delete(key, base + 1));
    }
    assertThat(writeAll(olderDeletes)).as("older deletes").containsOnly(WriteResult.stale());
    for (ChangeEvent event : upserts) {
      awaitHolds(event.key(), base + 2, ((ChangeEvent.Upsert) event).document());
    }

    List<ChangeEvent> deletes = new ArrayList<>();
    for (DocumentKey key : keys) {
      deletes.add(delete(key, base + 3));
    }
    assertThat(writeAll(deletes)).as("deletes").containsOnly(WriteResult.applied());
    for (DocumentKey key : keys) {
      awaitAbsent(key);
    }
    assertThat(writeAll(upserts))
        .as("upserts older than the deletes")
        .containsOnly(WriteResult.stale());
    for (DocumentKey key : keys) {
      awaitAbsent(key);
    }
  }

  @Test
  void rule_S1_10_emptyBatchReturnsNoResults() throws Exception {
    assertThat(sink().write(List.of())).isEmpty();
  }

  @Test
  void rule_S1_11_closeIsIdempotent() throws Exception {
    VersionedSink another = createSink();
    another.start(sinkContext());
    another.close();
    another.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Tools for subclasses that add their own sink-specific tests.

  /** The sink of the running test, started. */
  protected final VersionedSink sink() {
    VersionedSink open = sink;
    if (open == null) {
      throw new IllegalStateException("no sink: called outside a test");
    }
    return open;
  }

  /** A key in {@link #collection()} with this test's unique prefix. */
  protected final DocumentKey key(String suffix) {
    return DocumentKey.of(collection(), prefix + suffix);
  }

  /**
   * Writes {@code batch}, retrying transient failures until {@link #visibilityTimeout()}: a thrown
   * {@link RetriableException} retries the batch, {@link WriteResult.Retry} items are written again
   * on their own. Returns one settled result per event, in order.
   */
  protected final List<WriteResult> writeAll(List<ChangeEvent> batch) throws Exception {
    return SinkCalls.settle(sink(), batch, visibilityTimeout());
  }

  /** Writes one event (see {@link #writeAll}) and returns its settled result. */
  protected final WriteResult writeOne(ChangeEvent event) throws Exception {
    return writeAll(List.of(event)).get(0);
  }

  /** Waits until the index holds {@code document} at {@code version} for {@code key}. */
  protected final void awaitHolds(DocumentKey key, long version, Document document)
      throws Exception {
    Eventually.await(
        visibilityTimeout(),
        () -> {
          Optional<StoredDocument> stored = read(key);
          assertThat(stored).as("what the index holds for %s", key).isPresent();
          StoredDocument held = stored.orElseThrow();
          assertThat(held.deleted()).as("%s is deleted", key).isFalse();
          assertThat(held.version()).as("version of %s", key).isEqualTo(Version.of(version));
          assertThat(java.util.Objects.requireNonNull(held.document()).fields())
              .as("document of %s", key)
              .isEqualTo(document.fields());
        });
  }

  /** Waits until the index holds nothing live for {@code key} (absent or a deleted marker). */
  protected final void awaitAbsent(DocumentKey key) throws Exception {
    Eventually.await(
        visibilityTimeout(),
        () ->
            assertThat(SinkCalls.absentOrLive(read(key)))
                .as("live document of %s", key)
                .isEqualTo(Optional.empty()));
  }

  private Map<DocumentKey, Optional<StoredDocument>> awaitStates(List<ChangeEvent> events)
      throws Exception {
    Map<DocumentKey, Optional<StoredDocument>> states = new LinkedHashMap<>();
    for (ChangeEvent event : events) {
      if (event instanceof ChangeEvent.Upsert upsert) {
        awaitHolds(event.key(), event.version().value(), upsert.document());
      } else {
        awaitAbsent(event.key());
      }
      states.put(event.key(), read(event.key()));
    }
    return states;
  }

  static Document doc(Object... namesAndValues) {
    return Document.of(namesAndValues);
  }

  static ChangeEvent.Upsert upsert(DocumentKey key, long version, Document document) {
    return ChangeEvent.upsert(
        key, Version.of(version), SourcePosition.ofOffset(version), document, Instant.EPOCH);
  }

  static ChangeEvent.Delete delete(DocumentKey key, long version) {
    return ChangeEvent.delete(
        key, Version.of(version), SourcePosition.ofOffset(version), Instant.EPOCH);
  }
}
