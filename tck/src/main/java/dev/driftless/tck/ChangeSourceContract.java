package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link ChangeSource} (rules C1.1–C1.8 of the TCK's {@code SPEC.md}). Extend it in
 * a test of your source and implement {@link #createFixture()}.
 *
 * <p>Each test uses a fresh pipeline name and fresh row ids, creates sources through the fixture,
 * starts them with a {@link SourceContext} whose {@link CheckpointStore} is shared by the test (so
 * sources that keep their position there resume too), makes changes only after the source started,
 * and looks only at events of its own ids. After the test it closes its sources and calls {@link
 * ChangeSourceFixture#dropPipeline} and {@link ChangeSourceFixture#close}.
 */
public abstract class ChangeSourceContract {

  /** For subclasses that bind the suite to one implementation. */
  protected ChangeSourceContract() {}

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private @Nullable ChangeSourceFixture fixture;
  private final List<ChangeSource> opened = new ArrayList<>();
  private final CheckpointStore checkpoints = new InMemoryCheckpointStore();
  private String pipeline = "";
  private String prefix = "";

  /** The fixture for one test; see {@link ChangeSourceFixture}. */
  protected abstract ChangeSourceFixture createFixture() throws Exception;

  /** How long a change may take to come out of the source. Default 30 s. */
  protected Duration eventTimeout() {
    return Duration.ofSeconds(30);
  }

  /**
   * Whether the source's repair reads may carry a version below a stream change they saw (default
   * false). A source that cannot order a read against the stream exactly, and so anchors reads
   * below every change of a recent window (DynamoDB with derived versions), returns true: C1.7 then
   * checks the state a repair read returns and leaves its version to the source's own tests.
   */
  protected boolean repairVersionsMayLagTheStream() {
    return false;
  }

  /** How much longer than {@code maxWait} an idle {@link ChangeSource#poll} may take. 2 s. */
  protected Duration pollSlack() {
    return Duration.ofSeconds(2);
  }

  @BeforeEach
  final void openFixture() throws Exception {
    long n = SEQUENCE.incrementAndGet();
    String run = UUID.randomUUID().toString().substring(0, 8);
    pipeline = "tck_" + run + "_" + n;
    prefix = "c" + run + "-" + n + "-";
    fixture = createFixture();
  }

  @AfterEach
  final void closeFixture() throws Exception {
    for (ChangeSource source : opened) {
      source.close();
    }
    opened.clear();
    ChangeSourceFixture open = fixture;
    fixture = null;
    if (open != null) {
      try {
        open.dropPipeline(pipeline);
      } finally {
        open.close();
      }
    }
  }

  @Test
  void rule_C1_1_perKeyCommitOrderWithGrowingVersions() throws Exception {
    ChangeSource source = started();
    fixture().insert(id("a"), "a1");
    fixture().insert(id("b"), "b1");
    fixture().update(id("a"), "a2");
    fixture().update(id("b"), "b2");
    fixture().update(id("a"), "a3");
    fixture().delete(id("a"));
    fixture().insert(id("a"), "a4");

    List<ChangeEvent> events = collect(source, 7);
    List<ChangeEvent> ofA = ofKey(events, id("a"));
    assertThat(ofA).extracting(this::valueOrDeleted).containsExactly("a1", "a2", "a3", null, "a4");
    assertThat(ofKey(events, id("b"))).extracting(this::valueOrDeleted).containsExactly("b1", "b2");
    for (List<ChangeEvent> ofKey : List.of(ofA, ofKey(events, id("b")))) {
      for (int i = 1; i < ofKey.size(); i++) {
        assertThat(ofKey.get(i).version())
            .as("version of a later transaction of %s", ofKey.get(i).key())
            .isGreaterThan(ofKey.get(i - 1).version());
      }
    }
  }

  @Test
  void rule_C1_2_everyChangeIsReturnedAsUpsertOrDelete() throws Exception {
    ChangeSource source = started();
    fixture().insert(id("x"), "inserted ü \uD83D\uDE80");
    fixture().update(id("x"), "updated");
    fixture().delete(id("x"));

    List<ChangeEvent> events = collect(source, 3);
    DocumentKey key = DocumentKey.of(fixture().collection(), id("x"));
    assertThat(events).allSatisfy(e -> assertThat(e.key()).isEqualTo(key));
    assertThat(events.get(0)).isInstanceOf(ChangeEvent.Upsert.class);
    assertThat(valueOrDeleted(events.get(0))).isEqualTo("inserted ü \uD83D\uDE80");
    assertThat(events.get(1)).isInstanceOf(ChangeEvent.Upsert.class);
    assertThat(valueOrDeleted(events.get(1))).isEqualTo("updated");
    assertThat(events.get(2)).isInstanceOf(ChangeEvent.Delete.class);
  }

  @Test
  void rule_C1_3_pollReturnsAtMostMaxEvents() throws Exception {
    ChangeSource source = started();
    for (int i = 0; i < 10; i++) {
      fixture().insert(id("k" + i), "v" + i);
    }
    List<ChangeEvent> mine = new ArrayList<>();
    long deadline = System.nanoTime() + eventTimeout().toNanos();
    while (mine.size() < 10 && System.nanoTime() - deadline < 0) {
      List<ChangeEvent> polled = source.poll(3, Duration.ofMillis(200));
      assertThat(polled).as("C1.3: poll(3, ...)").hasSizeLessThanOrEqualTo(3);
      mine.addAll(ours(polled));
    }
    assertThat(mine).hasSize(10);
  }

  @Test
  void rule_C1_4_idlePollReturnsAfterAboutMaxWaitAndWakesUpOnChanges() throws Exception {
    ChangeSource source = started();
    // Drain whatever the source has to say at first (e.g. other tests' leftovers).
    drainIdle(source);

    Duration maxWait = Duration.ofMillis(300);
    long started = System.nanoTime();
    List<ChangeEvent> polled = source.poll(100, maxWait);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(ours(polled)).isEmpty();
    assertThat(took).as("C1.4: idle poll duration").isLessThan(maxWait.plus(pollSlack()));

    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    try {
      java.util.concurrent.ScheduledFuture<?> insert =
          writer.schedule(
              () -> {
                fixture().insert(id("late"), "late");
                return null;
              },
              200,
              TimeUnit.MILLISECONDS);
      Duration longWait = eventTimeout();
      long before = System.nanoTime();
      List<ChangeEvent> seen = new ArrayList<>();
      while (seen.isEmpty() && System.nanoTime() - before < longWait.toNanos()) {
        seen.addAll(ours(source.poll(100, longWait)));
      }
      insert.get(eventTimeout().toMillis(), TimeUnit.MILLISECONDS);
      assertThat(seen).as("C1.4: the change made while polling").hasSize(1);
      assertThat(Duration.ofNanos(System.nanoTime() - before))
          .as("C1.4: poll returned before maxWait once a change arrived")
          .isLessThan(longWait);
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void rule_C1_5_restartedSourceResumesAfterTheCommittedPosition() throws Exception {
    ChangeSource first = started();
    for (int i = 1; i <= 6; i++) {
      fixture().insert(id("r" + i), "v" + i);
    }
    List<ChangeEvent> firstRun = collect(first, 6);
    first.commit(firstRun.get(2).position());
    first.close();

    ChangeSource second = started();
    fixture().insert(id("r7"), "v7");
    fixture().update(id("r1"), "v8");
    List<ChangeEvent> afterRestart = collectUntil(second, e -> "v8".equals(valueOrDeleted(e)));

    List<@Nullable String> values = new ArrayList<>();
    for (ChangeEvent e : afterRestart) {
      values.add(valueOrDeleted(e));
    }
    // Everything after the committed third change, in order; the first three may come again.
    List<@Nullable String> expectedTail = List.of("v4", "v5", "v6", "v7", "v8");
    assertThat(values)
        .as("C1.5: events after restart")
        .endsWith(expectedTail.toArray(String[]::new));
    assertThat(values.subList(0, values.size() - expectedTail.size()))
        .as("C1.5: replayed events are at or before the committed position")
        .isSubsetOf("v1", "v2", "v3");
  }

  @Test
  void rule_C1_6_everyReturnedPositionCanBeCommitted() throws Exception {
    ChangeSource source = started();
    fixture().insert(id("p1"), "1");
    fixture().update(id("p1"), "2");
    fixture().delete(id("p1"));
    List<ChangeEvent> events = collect(source, 3);
    for (ChangeEvent event : events) {
      assertThat(event.position().asString()).isNotBlank();
      assertThatCode(() -> source.commit(event.position())).doesNotThrowAnyException();
    }
  }

  @Test
  void rule_C1_7_repairReaderReturnsCurrentStateIncludingDeletes() throws Exception {
    ChangeSource source = started();
    Optional<RepairReader> reader = source.repairReader();
    Assumptions.assumeTrue(reader.isPresent(), "C1.7 applies only to sources with repair reads");
    fixture().insert(id("live"), "old");
    fixture().insert(id("gone"), "soon deleted");
    fixture().update(id("live"), "current");
    fixture().delete(id("gone"));
    List<ChangeEvent> streamed = collect(source, 4);

    DocumentKey live = DocumentKey.of(fixture().collection(), id("live"));
    DocumentKey gone = DocumentKey.of(fixture().collection(), id("gone"));
    DocumentKey never = DocumentKey.of(fixture().collection(), id("never"));
    List<ChangeEvent> current = reader.orElseThrow().readCurrent(List.of(live, gone, never));

    Map<DocumentKey, ChangeEvent> byKey = new LinkedHashMap<>();
    current.forEach(e -> byKey.put(e.key(), e));
    assertThat(current).hasSize(3);
    assertThat(byKey).containsOnlyKeys(live, gone, never);
    assertThat(byKey.get(live)).isInstanceOf(ChangeEvent.Upsert.class);
    assertThat(valueOrDeleted(java.util.Objects.requireNonNull(byKey.get(live))))
        .isEqualTo("current");
    if (!repairVersionsMayLagTheStream()) {
      assertThat(java.util.Objects.requireNonNull(byKey.get(live)).version())
          .as("C1.7: a repair read is at least as new as what the stream returned")
          .isGreaterThanOrEqualTo(ofKey(streamed, id("live")).get(1).version());
    }
    assertThat(byKey.get(gone)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(byKey.get(never)).isInstanceOf(ChangeEvent.Delete.class);
  }

  @Test
  void rule_C1_8_closeIsIdempotent() throws Exception {
    ChangeSource source = started();
    source.close();
    source.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** The running test's fixture. */
  protected final ChangeSourceFixture fixture() {
    ChangeSourceFixture open = fixture;
    if (open == null) {
      throw new IllegalStateException("no fixture: called outside a test");
    }
    return open;
  }

  /** A row id unique to this test. */
  protected final String id(String suffix) {
    return prefix + suffix;
  }

  /** A new source for this test's pipeline, started; closed after the test. */
  protected final ChangeSource started() throws Exception {
    ChangeSource source = fixture().createSource(pipeline);
    opened.add(source);
    String name = pipeline;
    source.start(
        new SourceContext() {
          @Override
          public String pipelineName() {
            return name;
          }

          @Override
          public CheckpointStore checkpointStore() {
            return checkpoints;
          }
        });
    return source;
  }

  /** Polls until {@code count} events of this test's ids came, and returns them in order. */
  protected final List<ChangeEvent> collect(ChangeSource source, int count) throws Exception {
    List<ChangeEvent> mine = new ArrayList<>();
    long deadline = System.nanoTime() + eventTimeout().toNanos();
    while (mine.size() < count) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            "only "
                + mine.size()
                + " of "
                + count
                + " events within "
                + eventTimeout()
                + ": "
                + mine);
      }
      mine.addAll(ours(source.poll(100, Duration.ofMillis(200))));
    }
    return mine;
  }

  private List<ChangeEvent> collectUntil(ChangeSource source, Predicate<ChangeEvent> last)
      throws Exception {
    List<ChangeEvent> mine = new ArrayList<>();
    long deadline = System.nanoTime() + eventTimeout().toNanos();
    while (mine.isEmpty() || !last.test(mine.get(mine.size() - 1))) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("the awaited event did not come: " + mine);
      }
      mine.addAll(ours(source.poll(100, Duration.ofMillis(200))));
    }
    return mine;
  }

  private void drainIdle(ChangeSource source) throws Exception {
    long deadline = System.nanoTime() + eventTimeout().toNanos();
    while (!source.poll(1000, Duration.ofMillis(100)).isEmpty()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("the source never went idle");
      }
    }
  }

  private List<ChangeEvent> ours(List<ChangeEvent> events) {
    List<ChangeEvent> mine = new ArrayList<>();
    for (ChangeEvent e : events) {
      if (e.key().collection().equals(fixture().collection()) && e.key().id().startsWith(prefix)) {
        mine.add(e);
      }
    }
    return mine;
  }

  private static List<ChangeEvent> ofKey(List<ChangeEvent> events, String id) {
    List<ChangeEvent> ofKey = new ArrayList<>();
    for (ChangeEvent e : events) {
      if (e.key().id().equals(id)) {
        ofKey.add(e);
      }
    }
    return ofKey;
  }

  /** The event's value field as text, or {@code null} for a delete. */
  private @Nullable String valueOrDeleted(ChangeEvent event) {
    if (event instanceof ChangeEvent.Upsert upsert) {
      Object value = upsert.document().get(fixture().valueField());
      return String.valueOf(value);
    }
    return null;
  }
}
