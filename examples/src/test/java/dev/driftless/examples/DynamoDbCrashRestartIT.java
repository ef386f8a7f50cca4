package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.PipelineTestKit;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * DynamoDB (the emulator, through the real SDK) to OpenSearch, crashed at a random point and
 * restarted from its file checkpoint: the index converges on the table (I1, I2) and no key's
 * version ever moves backwards (I3). A jqwik property with 4 tries (one shared OpenSearch node, a
 * fresh emulator and index per try).
 *
 * <p>The emulator's clock stands still, so every record is created in the same second and the
 * derived versions ({@code VersionStrategy.derived()}, no version attribute) rest on the per-key
 * counts alone: a restart between two records of one key must resume that key's count, or the
 * second record looks older than the first and the index refuses it. Few keys make such restarts
 * likely. Each try: a random workload of puts, updates and deletes with rollovers and splits on the
 * way, a pipeline ({@code DynamoDbStreamsSource} to {@code OpenSearchSink}, {@code
 * FileCheckpointStore}) halted ({@link PipelineTestKit#halt}: no drain, no commit) once the sink
 * has been handed a random number of events — either just after that write returned, or while the
 * write that reached it is held after the index applied it and before the pipeline could settle it
 * — or once it caught up if the crash point is never reached; more writes (to half of the keys
 * only, so that the other half ends in its state from before the crash and a record the restart
 * skipped cannot hide behind a later write) while it is down; a new pipeline (new source, new
 * checkpoint store over the same directory); more writes of that kind; then the index must hold
 * exactly the table: every item's document with every attribute, no document for a deleted key,
 * each document at exactly the version derived for its key's last record ({@code s × 1,000,000 +
 * n}, docs/dynamodb.md), and every version seen at any read (before the crash, while converging, at
 * the end) at least the one seen before it.
 */
class DynamoDbCrashRestartIT {
  static {
    // See dynamodb-streams' Emulated: without TCP_NODELAY every emulator call waits out the
    // client's delayed ACK. Read when the first emulator starts in this JVM.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbCrashRestartIT.class);
  private static final String TABLE = "items";
  private static final Instant FROZEN = Instant.parse("2026-06-01T12:00:00Z");
  private static final int KEYS = 6;
  private static final Duration CONVERGENCE = Duration.ofSeconds(60);
  private static final AtomicInteger TRIES = new AtomicInteger();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  enum Kind {
    PUT,
    UPDATE,
    DELETE,
    ROLLOVER,
    SPLIT
  }

  /** One step of a workload: a write to key {@code key}, or a shard change ({@code pick}). */
  record Step(Kind kind, int key, int pick) {}

  @Provide
  Arbitrary<List<Step>> beforeCrash() {
    return steps(KEYS).list().ofMinSize(10).ofMaxSize(30);
  }

  @Provide
  Arbitrary<List<Step>> afterCrash() {
    // Only the first half of the keys: the others end with their state from before the crash, so a
    // record the restart skipped cannot hide behind a later write.
    return steps(KEYS / 2).list().ofMinSize(1).ofMaxSize(20);
  }

  private static Arbitrary<Step> steps(int keys) {
    Arbitrary<Kind> kind =
        Arbitraries.frequency(
            Tuple.of(4, Kind.PUT),
            Tuple.of(4, Kind.UPDATE),
            Tuple.of(2, Kind.DELETE),
            Tuple.of(1, Kind.ROLLOVER),
            Tuple.of(1, Kind.SPLIT));
    return Combinators.combine(
            kind, Arbitraries.integers().between(0, keys - 1), Arbitraries.integers().between(0, 7))
        .as(Step::new);
  }

  @Property(tries = 4, edgeCases = EdgeCasesMode.NONE, shrinking = ShrinkingMode.OFF)
  void crashAnywhereThenRestartConverges(
      @ForAll("beforeCrash") List<Step> beforeCrash,
      @ForAll @IntRange(min = 1, max = 12) int crashAfterEvents,
      @ForAll boolean crashInsideWrite,
      @ForAll @IntRange(min = 1, max = 4) int batchSize,
      @ForAll("afterCrash") List<Step> afterCrash,
      @ForAll @IntRange(min = 0, max = 30) int writtenWhileDown)
      throws Exception {
    int tryNumber = TRIES.incrementAndGet();
    String name = "ddb-crash-" + tryNumber;
    Path checkpoints = Files.createTempDirectory("driftless-" + name);
    try (DynamoDbEmulator emulator =
            DynamoDbEmulator.builder()
                .partitions(2)
                .clock(Clock.fixed(FROZEN, ZoneOffset.UTC))
                .noTimedRollover()
                .build()
                .start();
        EmulatorClients clients = EmulatorClients.of(emulator)) {
      EmulatorClients.createTable(clients.dynamoDb(), TABLE, StreamViewType.NEW_IMAGE);
      Workload table = new Workload(clients.dynamoDb(), emulator);
      VersionHistory history = new VersionHistory();
      String index = name + "-" + TABLE;

      CrashPoint crash = new CrashPoint(sink(name), crashAfterEvents, crashInsideWrite);
      Pipeline first = pipeline(name, clients, checkpoints, crash, batchSize).start();
      try {
        table.apply(beforeCrash);
        long records = table.records();
        Eventually.until(
            CONVERGENCE,
            () -> "the crash point or catching up: " + first.status().summary(),
            () -> {
              assertThat(first.failure()).as("the first pipeline's failure").isEmpty();
              return crash.reached()
                  || (first.status().eventsReceived() >= records
                      && first.awaitIdle(Duration.ofMillis(20)));
            });
        LOG.info(
            "{}: {} records, crash point {} ({}) {}; halting at {}",
            name,
            records,
            crashAfterEvents,
            crashInsideWrite ? "inside the write" : "after the write",
            crash.reached() ? "reached" : "not reached, caught up",
            first.status().summary());
      } finally {
        PipelineTestKit.halt(first); // the crash: no drain, nothing more committed
      }
      history.observe("after the crash", readIndex(index));

      int down = Math.min(writtenWhileDown, afterCrash.size());
      table.apply(afterCrash.subList(0, down));
      Pipeline second = pipeline(name, clients, checkpoints, sink(name), batchSize).start();
      try {
        table.apply(afterCrash.subList(down, afterCrash.size()));
        Eventually.await(
            CONVERGENCE,
            () -> {
              assertThat(second.failure()).as("the restarted pipeline's failure").isEmpty();
              Map<String, JsonNode> docs = readIndex(index);
              history.observe("while converging", docs);
              assertIndexHoldsTable(docs, table);
            });
        assertThat(second.status().eventsDeadLettered()).as("dead letters").isZero();
      } finally {
        second.close();
      }
      history.observe("at the end", readIndex(index));
      assertThat(history.regressions).as("I3: versions that moved backwards").isEmpty();
    } finally {
      deleteIndex(name + "-" + TABLE);
      deleteRecursively(checkpoints);
    }
  }

  private static Pipeline pipeline(
      String name, EmulatorClients clients, Path checkpoints, VersionedSink sink, int batchSize)
      throws IOException {
    DynamoDbStreamsSource source =
        DynamoDbStreamsSource.builder()
            .dynamoDbClient(clients.dynamoDb())
            .streamsClient(clients.streams())
            .table(TABLE)
            .pollInterval(Duration.ofMillis(20))
            .discoveryInterval(Duration.ofMillis(200))
            .build();
    return PipelineTestKit.fastPipeline(name)
        .source(source)
        .sink(sink)
        // A new store over the same directory: what a restarted process would open.
        .checkpointStore(FileCheckpointStore.in(checkpoints))
        .deadLetterStore(new InMemoryDeadLetterStore())
        .batchSize(batchSize)
        .maxInFlightEvents(8) // small polls: more positions to commit, more points to crash at
        .parallelism(2)
        .build();
  }

  private static OpenSearchSink sink(String name) {
    return OpenSearchSink.builder()
        .urls(OpenSearchNode.shared().httpUrl())
        .routing(IndexRouting.prefixed(name + "-"))
        .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
        .build();
  }

  /**
   * I1: the index holds exactly the table's items, each with every attribute (and only the sink's
   * metadata besides), at exactly the version derived for its key's last record.
   */
  private static void assertIndexHoldsTable(Map<String, JsonNode> docs, Workload table) {
    Map<String, Map<String, AttributeValue>> items = table.scan();
    assertThat(new TreeSet<>(docs.keySet())).as("I1: ids in the index").isEqualTo(items.keySet());
    for (Map.Entry<String, Map<String, AttributeValue>> item : items.entrySet()) {
      String id = item.getKey();
      JsonNode doc = docs.get(id).path("_source");
      Set<String> fields = new TreeSet<>();
      doc.fieldNames().forEachRemaining(f -> fields.add(f));
      fields.removeIf(f -> f.startsWith("driftless_"));
      assertThat(fields).as("I1: fields of %s", id).isEqualTo(item.getValue().keySet());
      assertThat(doc.path("id").asText()).as("I1: id of %s", id).isEqualTo(id);
      assertThat(doc.path("value").asText())
          .as("I1: value of %s", id)
          .isEqualTo(item.getValue().get("value").s());
      assertThat(doc.path("count").decimalValue())
          .as("I1: count of %s", id)
          .isEqualByComparingTo(new BigDecimal(item.getValue().get("count").n()));
      long expected = FROZEN.getEpochSecond() * 1_000_000L + table.recordsOf(id) - 1;
      assertThat(docs.get(id).path("_version").asLong())
          .as(
              "the version of %s's last record (its %d records in one second)",
              id, table.recordsOf(id))
          .isEqualTo(expected);
    }
  }

  /** Each hit ({@code _id}, {@code _version}, {@code _source}) by id; empty if no index yet. */
  private static Map<String, JsonNode> readIndex(String index) throws Exception {
    HttpResponse<String> refresh = http("POST", "/" + index + "/_refresh", "");
    if (refresh.statusCode() == 404) {
      return Map.of();
    }
    HttpResponse<String> r =
        http(
            "POST",
            "/" + index + "/_search",
            "{\"size\": 1000, \"version\": true, \"query\": {\"match_all\": {}}}");
    if (r.statusCode() != 200) {
      throw new IOException("search of " + index + ": " + r.statusCode() + " " + r.body());
    }
    Map<String, JsonNode> out = new HashMap<>();
    for (Iterator<JsonNode> it = JSON.readTree(r.body()).path("hits").path("hits").elements();
        it.hasNext(); ) {
      JsonNode hit = it.next();
      out.put(hit.path("_id").asText(), hit);
    }
    return out;
  }

  private static void deleteIndex(String index) throws Exception {
    http("DELETE", "/" + index, ""); // 404 when the try never wrote: fine
  }

  private static HttpResponse<String> http(String method, String path, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(OpenSearchNode.shared().httpUrl() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The newest version seen per key at any read of the index, and every read that went below. */
  static final class VersionHistory {
    private final Map<String, Long> newest = new HashMap<>();
    final List<String> regressions = new ArrayList<>();

    void observe(String when, Map<String, JsonNode> docs) {
      for (Map.Entry<String, JsonNode> doc : docs.entrySet()) {
        long version = doc.getValue().path("_version").asLong();
        Long before = newest.get(doc.getKey());
        if (before != null && version < before) {
          regressions.add(doc.getKey() + " " + when + ": " + version + " after " + before);
        }
        newest.merge(doc.getKey(), version, Math::max);
      }
    }
  }

  /**
   * The table and the emulator's shards, driven through the SDK, counting the stream records each
   * key gets (every put and update changes the item; a delete makes a record only if the item
   * exists).
   */
  static final class Workload {
    private final DynamoDbClient dynamoDb;
    private final DynamoDbEmulator emulator;
    private final Map<String, Integer> records = new HashMap<>();
    private final Set<String> live = new HashSet<>();
    private int writes;

    Workload(DynamoDbClient dynamoDb, DynamoDbEmulator emulator) {
      this.dynamoDb = dynamoDb;
      this.emulator = emulator;
    }

    void apply(List<Step> steps) {
      for (Step step : steps) {
        String id = "k" + step.key();
        switch (step.kind()) {
          case PUT -> {
            dynamoDb.putItem(
                b ->
                    b.tableName(TABLE)
                        .item(
                            Map.of(
                                "id", AttributeValue.fromS(id),
                                "value", AttributeValue.fromS("put " + writes),
                                "count", AttributeValue.fromN("0"))));
            written(id);
          }
          case UPDATE -> {
            dynamoDb.updateItem(
                b ->
                    b.tableName(TABLE)
                        .key(Map.of("id", AttributeValue.fromS(id)))
                        .updateExpression("SET #v = :v, #c = if_not_exists(#c, :zero) + :one")
                        .expressionAttributeNames(Map.of("#v", "value", "#c", "count"))
                        .expressionAttributeValues(
                            Map.of(
                                ":v", AttributeValue.fromS("update " + writes),
                                ":zero", AttributeValue.fromN("0"),
                                ":one", AttributeValue.fromN("1"))));
            written(id);
          }
          case DELETE -> {
            dynamoDb.deleteItem(
                b -> b.tableName(TABLE).key(Map.of("id", AttributeValue.fromS(id))));
            if (live.remove(id)) {
              records.merge(id, 1, Integer::sum);
            }
          }
          case ROLLOVER -> {
            if (step.pick() % 2 == 0) {
              emulator.rollover(TABLE);
            } else {
              List<Integer> partitions = emulator.partitions(TABLE);
              emulator.rollover(TABLE, partitions.get(step.pick() % partitions.size()));
            }
          }
          case SPLIT -> {
            List<Integer> partitions = emulator.partitions(TABLE);
            emulator.split(TABLE, partitions.get(step.pick() % partitions.size()));
          }
        }
      }
    }

    private void written(String id) {
      writes++;
      live.add(id);
      records.merge(id, 1, Integer::sum);
    }

    /** Stream records so far, all keys. */
    long records() {
      return records.values().stream().mapToLong(Integer::longValue).sum();
    }

    int recordsOf(String id) {
      return records.getOrDefault(id, 0);
    }

    /** Every item, by id, from a consistent scan. */
    Map<String, Map<String, AttributeValue>> scan() {
      Map<String, Map<String, AttributeValue>> out = new java.util.TreeMap<>();
      dynamoDb
          .scanPaginator(b -> b.tableName(TABLE).consistentRead(true))
          .items()
          .forEach(item -> out.put(item.get("id").s(), item));
      return out;
    }
  }

  /**
   * Passes writes to the real sink and marks the crash point: once the events handed to it reach
   * {@code after}, {@link #reached} holds; with {@code hold}, the write that reached it does not
   * return (its events are in the index, unsettled) until the halt interrupts it.
   */
  static final class CrashPoint implements VersionedSink {
    private final VersionedSink delegate;
    private final int after;
    private final boolean hold;
    private final AtomicInteger events = new AtomicInteger();
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    CrashPoint(VersionedSink delegate, int after, boolean hold) {
      this.delegate = delegate;
      this.after = after;
      this.hold = hold;
    }

    boolean reached() {
      return reached.getCount() == 0;
    }

    @Override
    public void start(SinkContext context) throws Exception {
      delegate.start(context);
    }

    @Override
    public List<WriteResult> write(List<ChangeEvent> batch) throws Exception {
      List<WriteResult> results = delegate.write(batch);
      if (events.addAndGet(batch.size()) >= after && !reached()) {
        reached.countDown();
        if (hold) {
          closed.await(); // until the halt interrupts this writer or closes the sink
        }
      }
      return results;
    }

    @Override
    public void close() throws Exception {
      closed.countDown();
      delegate.close();
    }
  }
}
