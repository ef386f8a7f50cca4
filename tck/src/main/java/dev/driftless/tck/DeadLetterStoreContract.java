package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Version;
import dev.driftless.core.spi.DeadLetterStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link DeadLetterStore} (rules D1.1–D1.12 of the TCK's {@code SPEC.md}). Extend
 * it and implement {@link #createStore()}; durable stores also implement {@link #reopen}.
 *
 * <p>Each test gets a new, empty store and closes it (and any reopened one) afterwards.
 */
public abstract class DeadLetterStoreContract {

  /** For subclasses that bind the suite to one implementation. */
  protected DeadLetterStoreContract() {}

  private static final Instant FIRST = Instant.parse("2024-05-01T10:15:30.123456789Z");
  private static final Instant LAST = Instant.parse("2024-05-01T10:16:00Z");

  private @Nullable DeadLetterStore store;

  /** A new, empty store, exclusively for one test. */
  protected abstract DeadLetterStore createStore() throws Exception;

  /**
   * For durable stores: closes {@code store} and opens a new store over the same storage (rule
   * D1.6). The default returns empty: the store is not durable and D1.6 is skipped.
   */
  protected Optional<DeadLetterStore> reopen(DeadLetterStore store) throws Exception {
    return Optional.empty();
  }

  @BeforeEach
  final void openStore() throws Exception {
    store = createStore();
  }

  @AfterEach
  final void closeStore() throws Exception {
    DeadLetterStore open = store;
    store = null;
    if (open != null) {
      open.close();
    }
  }

  @Test
  void rule_D1_1_putThenGetReturnsAnEqualLetter() throws Exception {
    DeadLetter letter = letter("a", "upsert");
    store().put(letter);
    assertThat(store().get("a")).contains(letter);
    assertThat(store().get("absent")).isEmpty();
  }

  @Test
  void rule_D1_2_listReturnsOldestFirstUpToMax() throws Exception {
    List<String> ids = List.of("z", "m", "a", "q", "b");
    for (String id : ids) {
      store().put(letter(id, "upsert"));
    }
    assertThat(store().list(100)).extracting(DeadLetter::id).containsExactlyElementsOf(ids);
    assertThat(store().list(2)).extracting(DeadLetter::id).containsExactly("z", "m");
    assertThat(store().list(0)).isEmpty();
  }

  @Test
  void rule_D1_3_removeReportsWhetherTheLetterWasThere() throws Exception {
    store().put(letter("a", "upsert"));
    store().put(letter("b", "delete"));
    assertThat(store().remove("a")).isTrue();
    assertThat(store().get("a")).isEmpty();
    assertThat(store().list(10)).extracting(DeadLetter::id).containsExactly("b");
    assertThat(store().count()).isEqualTo(1);

    assertThat(store().remove("a")).isFalse();
    assertThat(store().remove("never")).isFalse();
    assertThat(store().list(10)).extracting(DeadLetter::id).containsExactly("b");
    assertThat(store().count()).isEqualTo(1);
  }

  @Test
  void rule_D1_4_countIsTheNumberOfStoredIds() throws Exception {
    assertThat(store().count()).isZero();
    for (int i = 0; i < 7; i++) {
      store().put(letter("id" + i, "upsert"));
    }
    assertThat(store().count()).isEqualTo(7);
  }

  @Test
  void rule_D1_5_putOfAStoredIdReplacesItInPlace() throws Exception {
    store().put(letter("a", "upsert"));
    DeadLetter b = letter("b", "upsert");
    store().put(b);
    DeadLetter again = letter("a", "upsert").failedAgain("timeout", "second failure", LAST);
    store().put(again);

    assertThat(store().count()).isEqualTo(2);
    assertThat(store().get("a")).contains(again);
    assertThat(store().list(10)).containsExactly(again, b);
  }

  @Test
  void rule_D1_6_aReopenedDurableStoreHoldsTheSameLetters() throws Exception {
    DeadLetterStore first = store();
    DeadLetter a = letter("a", "upsert");
    DeadLetter b = letter("b", "delete");
    DeadLetter c = letter("c", "upsert");
    first.put(a);
    first.put(b);
    first.put(c);
    DeadLetter aAgain = a.failedAgain("mapper_parsing_exception", "again", LAST);
    first.put(aAgain);
    first.remove("b");

    Optional<DeadLetterStore> reopened = reopen(first);
    Assumptions.assumeTrue(reopened.isPresent(), "D1.6 applies only to durable stores");
    store = reopened.orElseThrow();
    assertThat(store().list(10)).containsExactly(aAgain, c);
    assertThat(store().count()).isEqualTo(2);
    assertThat(store().get("b")).isEmpty();
  }

  @Test
  void rule_D1_7_aDeleteLetterRoundTripsWithoutPayload() throws Exception {
    DeadLetter delete = letter("d", "delete");
    assertThat(delete.payload()).isNull();
    store().put(delete);
    DeadLetter read = store().get("d").orElseThrow();
    assertThat(read).isEqualTo(delete);
    assertThat(read.payload()).isNull();
    reopenIfDurable();
    assertThat(store().get("d")).contains(delete);
  }

  @Test
  void rule_D1_8_unicodeAndEscapesRoundTrip() throws Exception {
    String tricky = "日本語 ü \uD83D\uDE80 \"quoted\" back\\slash\nnew line\ttab ,;{}[]";
    Map<String, @Nullable Object> fields = new LinkedHashMap<>();
    fields.put("text", tricky);
    fields.put(tricky, 42L);
    fields.put("nothing", null);
    fields.put("list", List.of("a", 1L, true));
    DeadLetter letter =
        new DeadLetter(
            "id " + tricky,
            DocumentKey.of("coll " + tricky, "key " + tricky),
            Version.MAX,
            "position " + tricky,
            "upsert",
            Document.of(fields),
            "type " + tricky,
            "message " + tricky,
            3,
            FIRST,
            LAST);
    store().put(letter);
    assertThat(store().get(letter.id())).contains(letter);
    reopenIfDurable();
    assertThat(store().get(letter.id())).contains(letter);
    assertThat(store().list(1)).containsExactly(letter);
  }

  @Test
  void rule_D1_9_concurrentPutsAreAllStored() throws Exception {
    int threads = 4;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    store().put(letter("t" + thread + "-" + i, "upsert"));
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store().count()).isEqualTo((long) threads * perThread);
    assertThat(store().list(1000)).hasSize(threads * perThread);
  }

  /**
   * D1.12: keys of every shape a database accepts round-trip: an empty id, composites with empty
   * parts, and an id of 2,500 characters.
   */
  @Test
  void rule_D1_12_keysOfEveryShapeRoundTrip() throws Exception {
    List<DocumentKey> keys =
        List.of(
            DocumentKey.of("orders", ""),
            DocumentKey.composite("orders", List.of("", "")),
            DocumentKey.composite("orders", List.of("a", "")),
            DocumentKey.of("orders", "long " + "ü\\,".repeat(831) + ".."));
    List<DeadLetter> letters = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      DeadLetter letter =
          new DeadLetter(
              "shape-" + i,
              keys.get(i),
              Version.of(i),
              "position " + i,
              i % 2 == 0 ? "upsert" : "delete",
              i % 2 == 0 ? Document.of("i", (long) i) : null,
              "mapper_parsing_exception",
              "failed " + i,
              1,
              FIRST,
              LAST);
      store().put(letter);
      letters.add(letter);
    }
    assertThat(store().list(10)).containsExactlyElementsOf(letters);
    reopenIfDurable();
    assertThat(store().list(10)).containsExactlyElementsOf(letters);
    for (DeadLetter letter : letters) {
      assertThat(store().get(letter.id())).contains(letter);
    }
  }

  @Test
  void rule_D1_10_aNewerOrEqualLetterOfAStoredKeyReplacesItsLetter() throws Exception {
    DeadLetter first = letterOf("first", "k", 17, 2, FIRST, FIRST);
    DeadLetter other = letterOf("other", "o", 3, 1, FIRST, FIRST);
    store().put(first);
    store().put(other);
    DeadLetter equal = letterOf("equal", "k", 17, 1, LAST, LAST);
    store().put(equal);
    DeadLetter newer = letterOf("newer", "k", 18, 3, LAST.plusSeconds(5), LAST.plusSeconds(5));
    store().put(newer);

    DeadLetter live =
        new DeadLetter(
            "newer",
            newer.key(),
            newer.version(),
            newer.position(),
            newer.operation(),
            newer.payload(),
            newer.errorType(),
            newer.errorMessage(),
            6,
            FIRST,
            newer.lastFailedAt());
    assertThat(store().count()).isEqualTo(2);
    assertThat(store().get("first")).isEmpty();
    assertThat(store().get("equal")).isEmpty();
    assertThat(store().remove("first")).isFalse();
    assertThat(store().get("newer")).contains(live);
    assertThat(store().list(10)).containsExactly(live, other);
    reopenIfDurable();
    assertThat(store().list(10)).containsExactly(live, other);
  }

  @Test
  void rule_D1_11_anOlderLetterOfAStoredKeyIsNotStoredAndPutSucceeds() throws Exception {
    DeadLetter stored = letterOf("stored", "k", 18, 1, FIRST, FIRST);
    store().put(stored);
    store().put(letterOf("older", "k", 17, 4, LAST, LAST));

    assertThat(store().count()).isEqualTo(1);
    assertThat(store().get("older")).isEmpty();
    assertThat(store().list(10)).containsExactly(stored);
    reopenIfDurable();
    assertThat(store().list(10)).containsExactly(stored);
  }

  private static DeadLetter letterOf(
      String id, String key, long version, int attempts, Instant first, Instant last) {
    return new DeadLetter(
        id,
        DocumentKey.of("orders", key),
        Version.of(version),
        Long.toString(version * 10),
        "upsert",
        Document.of("id", key, "v", version),
        "mapper_parsing_exception",
        "failed to parse field [v] of " + id,
        attempts,
        first,
        last);
  }

  /** The running test's store. */
  protected final DeadLetterStore store() {
    DeadLetterStore open = store;
    if (open == null) {
      throw new IllegalStateException("no store: called outside a test");
    }
    return open;
  }

  private void reopenIfDurable() throws Exception {
    Optional<DeadLetterStore> reopened = reopen(store());
    if (reopened.isPresent()) {
      store = reopened.get();
    }
  }

  /** A letter for tests: an upsert carries a payload, a delete none. */
  protected static DeadLetter letter(String id, String operation) {
    boolean upsert = operation.equals("upsert");
    return new DeadLetter(
        id,
        DocumentKey.of("orders", "key-" + id),
        Version.of(17),
        "42",
        operation,
        upsert ? Document.of("id", id, "n", 7L, "ok", true) : null,
        "mapper_parsing_exception",
        "failed to parse field [n] of " + id,
        1,
        FIRST,
        FIRST);
  }
}
