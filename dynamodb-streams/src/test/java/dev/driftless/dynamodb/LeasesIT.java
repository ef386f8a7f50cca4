package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.internal.LeaseCoordinator;
import dev.driftless.dynamodb.internal.LeaseTable;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.ShardInfo;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Three instances of one pipeline share a stream through leases while a random workload runs with
 * rollovers and splits; one instance dies (its clients cut, then halted: its leases are never
 * released and must expire), and a fourth joins (and steals). Every change lands, each key's
 * accepted writes come in the order they were made, the index converges on the table (derived
 * versions, whose clocks travel in the leases), and no lease was ever checkpointed by an instance
 * that had lost it: every successful lease write is recorded through an SDK interceptor, and per
 * lease, ordered by its counter, each checkpoint is written by the owner of the last take before
 * it, with the sequence never going back.
 */
class LeasesIT {
  private static final String TABLE = "orders";
  private static final String LEASES = "driftless-leases";

  /**
   * One successful UpdateItem on the lease table, as the service answered it; {@code take}: the
   * owner changed (a take, or a release).
   */
  record LeaseWrite(String key, long counter, String owner, String checkpoint, boolean take) {}

  /** The index all instances write into; remembers what it accepted per key, in order. */
  static final class SharedIndex {
    final InMemoryVersionedSink index = InMemoryVersionedSink.create();
    final Map<DocumentKey, List<ChangeEvent>> accepted = new HashMap<>();
    final List<ChangeEvent> received = new ArrayList<>();

    VersionedSink instanceSink() {
      return batch -> {
        synchronized (this) {
          received.addAll(batch);
          List<WriteResult> results = index.write(batch);
          for (int i = 0; i < batch.size(); i++) {
            if (results.get(i) instanceof WriteResult.Applied) {
              ChangeEvent e = batch.get(i);
              accepted.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
            }
          }
          return results;
        }
      };
    }
  }

  private final List<LeaseWrite> leaseWrites = new CopyOnWriteArrayList<>();

  private final ExecutionInterceptor recorder =
      new ExecutionInterceptor() {
        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
          if (context.request() instanceof UpdateItemRequest request
              && request.tableName().equals(LEASES)
              && context.response() instanceof UpdateItemResponse response) {
            Map<String, AttributeValue> item = response.attributes();
            AttributeValue owner = item.get("leaseOwner");
            leaseWrites.add(
                new LeaseWrite(
                    item.get("leaseKey").s(),
                    Long.parseLong(item.get("leaseCounter").n()),
                    owner == null ? "" : owner.s(),
                    item.get("checkpoint").s(),
                    request.updateExpression().contains("#o = :o")
                        || request.updateExpression().contains("REMOVE #o")));
          }
        }
      };

  /** One application instance: its own clients (as in its own process) and pipeline. */
  private final class Instance {
    final DynamoDbClient ddb;
    final DynamoDbStreamsClient streams;
    final Pipeline pipeline;
    final SharedIndex shared;

    Instance(DynamoDbEmulator emulator, SharedIndex index, String worker) {
      this(emulator, index, worker, "leased", StartingPosition.TRIM_HORIZON);
    }

    Instance(
        DynamoDbEmulator emulator,
        SharedIndex index,
        String worker,
        String name,
        StartingPosition start) {
      this(emulator, index, worker, name, start, Duration.ofSeconds(2));
    }

    Instance(
        DynamoDbEmulator emulator,
        SharedIndex index,
        String worker,
        String name,
        StartingPosition start,
        Duration leaseDuration) {
      this.shared = index;
      var credentials =
          StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
      ddb =
          DynamoDbClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(credentials)
              .endpointOverride(emulator.endpoint())
              .httpClientBuilder(Apache5HttpClient.builder())
              .overrideConfiguration(o -> o.addExecutionInterceptor(recorder))
              .build();
      streams =
          DynamoDbStreamsClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(credentials)
              .endpointOverride(emulator.endpoint())
              .httpClientBuilder(Apache5HttpClient.builder())
              .build();
      pipeline =
          PipelineTestKit.fastPipeline(name)
              .source(
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(ddb)
                      .streamsClient(streams)
                      .table(TABLE)
                      .startingPosition(start)
                      .pollInterval(Duration.ofMillis(20))
                      .discoveryInterval(Duration.ofMillis(300))
                      .maxConcurrentReads(3)
                      .leases(
                          ShardLeases.settings()
                              .table(LEASES)
                              .workerId(worker)
                              .leaseDuration(leaseDuration)
                              .renewInterval(Duration.ofMillis(400))
                              .takeInterval(Duration.ofMillis(300)))
                      .build())
              .sink(index.instanceSink())
              .checkpointStore(new InMemoryCheckpointStore())
              .deadLetterStore(new InMemoryDeadLetterStore())
              .commitInterval(Duration.ofMillis(20))
              .build()
              .start();
    }

    /** Dies: its connections go first (so nothing is released), then every thread stops. */
    void kill() {
      ddb.close();
      streams.close();
      PipelineTestKit.halt(pipeline);
    }

    void close() {
      pipeline.close();
      ddb.close();
      streams.close();
    }

    Map<String, Object> status() {
      return pipeline.status().source();
    }

    /** The live values of the index this instance writes into. */
    Map<String, Object> values() {
      synchronized (shared) {
        return Drive.values(shared.index, "value");
      }
    }
  }

  @Test
  void instancesShareTheShardsTakeOverADeadOnesAndBalanceAJoiningOne() throws Exception {
    try (Emulated e =
        new Emulated(
            DynamoDbEmulator.builder().partitions(4).noTimedRollover().seed(11).build().start())) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      SharedIndex index = new SharedIndex();
      List<Instance> instances = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        instances.add(new Instance(e.emulator, index, "worker-" + i));
      }
      Map<String, String> expected = new ConcurrentHashMap<>();
      ExecutorService writer = Executors.newSingleThreadExecutor();
      Instance joined = null;
      try {
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "every instance holds leases: " + statuses(instances),
            () -> instances.stream().allMatch(in -> held(in) > 0));
        Random random = new Random(42);
        Future<?> work =
            writer.submit(
                () -> {
                  for (int i = 0; i < 600; i++) {
                    String id = "k" + random.nextInt(40);
                    if (random.nextInt(8) == 0) {
                      e.delete(TABLE, id);
                      expected.remove(id);
                    } else {
                      String value = String.format("%05d", i);
                      e.put(TABLE, id, value);
                      expected.put(id, value);
                    }
                    if (i % 25 == 24) {
                      List<Integer> partitions = e.emulator.partitions(TABLE);
                      int p = partitions.get(random.nextInt(partitions.size()));
                      if (random.nextBoolean() && partitions.size() < 10) {
                        e.emulator.split(TABLE, p);
                      } else {
                        e.emulator.rollover(TABLE, p);
                      }
                    }
                    if (i % 10 == 9) {
                      TimeUnit.MILLISECONDS.sleep(5); // spread the workload over the lease events
                    }
                  }
                  return null;
                });
        // Kill an instance while the workload runs, once it has committed something.
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "worker-0 checkpointed",
            () -> leaseWrites.stream().anyMatch(w -> w.owner().equals("worker-0") && !w.take()));
        instances.get(0).kill();
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "worker-0's leases taken over: " + statuses(instances.subList(1, 3)),
            () -> takenFrom("worker-0") > 0);
        joined = new Instance(e.emulator, index, "worker-3");
        work.get(120, TimeUnit.SECONDS);
        Instance added = joined;
        Eventually.until(
            Duration.ofSeconds(60),
            () ->
                "converged; statuses "
                    + statuses(List.of(instances.get(1), instances.get(2), added)),
            () -> {
              for (Instance in : List.of(instances.get(1), instances.get(2), added)) {
                assertThat(in.pipeline.failure()).isEmpty();
              }
              synchronized (index) {
                return Drive.values(index.index, "value").equals(expected);
              }
            });
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the joining instance holds leases: " + added.status(),
            () -> held(added) > 0);
        assertThat((Long) added.status().get("leasesTaken")).isPositive();
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "finished leases whose children finished are deleted: " + leaseRows(e),
            () -> {
              Map<String, String> rows = leaseRows(e);
              List<ShardInfo> all = e.emulator.shards(TABLE);
              // Every open shard has an unfinished lease, and some finished ones are gone.
              return all.stream()
                      .filter(ShardInfo::isOpen)
                      .allMatch(
                          s ->
                              rows.containsKey(TABLE + "/" + s.shardId())
                                  && !rows.get(TABLE + "/" + s.shardId()).equals("SHARD_END"))
                  && rows.size() < all.size();
            });
      } finally {
        writer.shutdownNow();
        for (Instance in : instances.subList(1, 3)) {
          in.close();
        }
        if (joined != null) {
          joined.close();
        }
      }
      List<ShardInfo> shards = e.emulator.shards(TABLE);
      assertThat(shards.stream().filter(s -> s.parentShardId() != null).count())
          .as("the workload rolled over and split shards")
          .isGreaterThan(10);
      assertThat(takenFrom("worker-0")).as("a dead instance's leases were taken over").isPositive();
      assertPerKeyOrder(index);
      assertNoCheckpointPastALoss();
    }
  }

  @Test
  void aRestartResumesFromTheLeasesCheckpointsAndLatestStartsAtTheFirstStart() throws Exception {
    try (Emulated e =
        new Emulated(
            DynamoDbEmulator.builder().partitions(2).noTimedRollover().seed(3).build().start())) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      for (int i = 0; i < 30; i++) {
        e.put(TABLE, "k" + i, "a" + i);
      }
      // LATEST delivers records of the start second itself: start in a later second.
      long lastWrite = e.emulator.now().getEpochSecond();
      Eventually.until(
          Duration.ofSeconds(5),
          () -> "a new second",
          () -> java.time.Instant.now().getEpochSecond() > lastWrite);
      SharedIndex first = new SharedIndex();
      Instance one = new Instance(e.emulator, first, "one");
      Instance latest =
          new Instance(e.emulator, new SharedIndex(), "late", "latest", StartingPosition.LATEST);
      try {
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the first run read everything: " + one.status(),
            () -> {
              synchronized (first) {
                return Drive.values(first.index, "value").size() == 30;
              }
            });
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the LATEST pipeline holds its leases: " + latest.status(),
            () -> held(latest) == 2);
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "everything committed: " + one.status(),
            () -> ((Number) one.status().get("recordsUnsettled")).intValue() == 0);
      } finally {
        one.close(); // releases its leases after its last commit
      }
      e.emulator.rollover(TABLE, e.emulator.partitions(TABLE).get(0));
      for (int i = 0; i < 10; i++) {
        e.put(TABLE, "k" + i, "b" + i);
      }
      SharedIndex second = new SharedIndex();
      Instance two = new Instance(e.emulator, second, "two");
      try {
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the second run read the new writes: " + two.status(),
            () -> {
              synchronized (second) {
                return second.received.size() >= 10;
              }
            });
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the LATEST pipeline read the new writes: " + latest.status(),
            () -> latest.values().equals(bValues()));
        synchronized (second) {
          assertThat(second.received)
              .as("released leases are taken at once and resume after their checkpoints")
              .extracting(ev -> String.valueOf(((ChangeEvent.Upsert) ev).document().get("value")))
              .allMatch(v -> v.startsWith("b"))
              .hasSize(10);
        }
        assertThat(latest.values().values())
            .as("a LATEST pipeline sees only what was written after its first start")
            .allMatch(v -> String.valueOf(v).startsWith("b"));
        assertThat(two.status()).containsEntry("leasesLost", 0L);
      } finally {
        two.close();
        latest.close();
      }
    }
  }

  /** The lease table's rows for the pipeline: shard key -> checkpoint. */
  private static Map<String, String> leaseRows(Emulated e) {
    Map<String, String> rows = new java.util.TreeMap<>();
    for (Map<String, AttributeValue> item : e.ddb.scan(b -> b.tableName(LEASES)).items()) {
      if (item.get("scope").s().equals("dynamodb-streams/leased")) {
        rows.put(item.get("leaseKey").s(), item.get("checkpoint").s());
      }
    }
    return rows;
  }

  @Test
  void aLostLeaseIsNeverCheckpointedByItsOldOwnerEvenForRecordsItHandedOut() throws Exception {
    try (Emulated e =
        new Emulated(
            DynamoDbEmulator.builder().partitions(2).noTimedRollover().seed(5).build().start())) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      SharedIndex index = new SharedIndex();
      index.index.outage(true); // records are handed out and stay unsettled
      Instance owner =
          new Instance(
              e.emulator,
              index,
              "owner",
              "leased",
              StartingPosition.TRIM_HORIZON,
              Duration.ofSeconds(60)); // it never takes the stolen lease back as expired
      LeaseCoordinator thief =
          new LeaseCoordinator(
              new LeaseTable(e.ddb, LEASES, "dynamodb-streams/leased"),
              new LeaseCoordinator.Timing(
                  "thief", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofSeconds(1)),
              System::nanoTime,
              () -> {});
      try {
        for (int i = 0; i < 20; i++) {
          e.put(TABLE, "k" + i, "v" + i);
        }
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "every record handed out: " + owner.status(),
            () -> ((Number) owner.status().get("recordsUnsettled")).intValue() == 20);
        // 2 leases, 2 workers: the thief steals one (a round whose take met a renewal of the
        // owner fails its condition and is tried again).
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the thief stole a lease: " + thief.status(),
            () -> {
              thief.takeRound();
              return thief.held().size() == 1;
            });
        String stolen = thief.held().keySet().iterator().next();
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the owner noticed: " + owner.status(),
            () -> {
              thief.renewRound(); // alive: the owner never sees the stolen lease expire
              return ((Number) owner.status().get("leasesLost")).intValue() == 1;
            });
        assertThat(String.valueOf(owner.status().get("shardsHeld"))).doesNotContain(stolen);
        index.index.outage(false);
        Eventually.until(
            Duration.ofSeconds(30),
            () -> "the owner's records settled and its own shard checkpointed: " + leaseRows(e),
            () ->
                thief.held().size() == 1 // renewed below, while the owner settles
                    && renewed(thief)
                    && ((Number) owner.status().get("recordsUnsettled")).intValue() == 0
                    && leaseRows(e).entrySet().stream()
                        .anyMatch(
                            r ->
                                !r.getKey().equals(stolen)
                                    && !r.getValue().equals("TRIM_HORIZON")));
        assertThat(
                e.emulator.shards(TABLE).stream()
                    .filter(sh -> stolen.equals(TABLE + "/" + sh.shardId()))
                    .findFirst()
                    .orElseThrow()
                    .records())
            .as("the stolen shard had records the old owner handed out")
            .isPositive();
        assertThat(leaseRows(e))
            .as("the stolen shard's lease was never written by its old owner")
            .containsEntry(stolen, "TRIM_HORIZON");
        assertThat(
                leaseWrites.stream()
                    .filter(w -> w.key().equals(stolen) && w.owner().equals("owner") && !w.take())
                    .map(LeaseWrite::checkpoint))
            .as("the old owner only renewed the stolen lease, before it was stolen")
            .allMatch("TRIM_HORIZON"::equals);
        assertThat(thief.held()).as("the thief kept the lease throughout").containsKey(stolen);
      } finally {
        owner.close();
        thief.close(false);
      }
    }
  }

  private static boolean renewed(LeaseCoordinator worker) {
    worker.renewRound();
    return true;
  }

  private static Map<String, Object> bValues() {
    Map<String, Object> values = new HashMap<>();
    for (int i = 0; i < 10; i++) {
      values.put("k" + i, "b" + i);
    }
    return values;
  }

  private static long held(Instance in) {
    Object n = in.status().get("leasesHeld");
    return n == null ? 0 : ((Number) n).longValue();
  }

  private static String statuses(List<Instance> instances) {
    StringBuilder b = new StringBuilder();
    for (Instance in : instances) {
      b.append(in.status()).append('\n');
    }
    return b.toString();
  }

  /** Takes of a lease whose previous write (one counter lower) was by {@code owner}. */
  private long takenFrom(String owner) {
    Map<String, Map<Long, LeaseWrite>> byKey = byKey();
    long n = 0;
    for (Map<Long, LeaseWrite> writes : byKey.values()) {
      for (LeaseWrite w : writes.values()) {
        LeaseWrite before = writes.get(w.counter() - 1);
        if (w.take()
            && before != null
            && before.owner().equals(owner)
            && !w.owner().equals(owner)) {
          n++;
        }
      }
    }
    return n;
  }

  private Map<String, Map<Long, LeaseWrite>> byKey() {
    Map<String, Map<Long, LeaseWrite>> byKey = new HashMap<>();
    for (LeaseWrite w : leaseWrites) {
      LeaseWrite previous =
          byKey.computeIfAbsent(w.key(), k -> new java.util.TreeMap<>()).put(w.counter(), w);
      assertThat(previous)
          .as("two successful writes of %s at counter %d", w.key(), w.counter())
          .isNull();
    }
    return byKey;
  }

  /** The index accepted each key's writes in the order they were made (values grow). */
  private static void assertPerKeyOrder(SharedIndex index) {
    synchronized (index) {
      for (Map.Entry<DocumentKey, List<ChangeEvent>> e : index.accepted.entrySet()) {
        String previous = "";
        long version = Long.MIN_VALUE;
        for (ChangeEvent event : e.getValue()) {
          assertThat(event.version().value()).isGreaterThanOrEqualTo(version);
          version = event.version().value();
          if (event instanceof ChangeEvent.Upsert u) {
            String value = String.valueOf(u.document().get("value"));
            assertThat(value)
                .as("accepted writes of %s in the order they were made", e.getKey())
                .isGreaterThanOrEqualTo(previous);
            previous = value;
          }
        }
      }
    }
  }

  /**
   * Per lease, in counter order: every checkpoint is written by the owner of the last take before
   * it (an instance that lost the lease never checkpoints it again), and sequences never go back.
   */
  private void assertNoCheckpointPastALoss() {
    int checkpoints = 0;
    for (Map.Entry<String, Map<Long, LeaseWrite>> e : byKey().entrySet()) {
      String owner = null;
      BigInteger sequence = BigInteger.ZERO;
      boolean ended = false;
      List<LeaseWrite> writes = new ArrayList<>(e.getValue().values());
      writes.sort(Comparator.comparingLong(LeaseWrite::counter));
      for (LeaseWrite w : writes) {
        if (w.take()) {
          owner = w.owner();
          continue;
        }
        assertThat(w.owner()).as("writer of %s at %d", e.getKey(), w.counter()).isEqualTo(owner);
        switch (w.checkpoint()) {
          case "TRIM_HORIZON" -> {}
          case "SHARD_END" -> ended = true;
          default -> {
            assertThat(ended).as("%s checkpointed after its end", e.getKey()).isFalse();
            BigInteger s = new BigInteger(w.checkpoint());
            assertThat(s)
                .as("checkpoint of %s at %d went back", e.getKey(), w.counter())
                .isGreaterThanOrEqualTo(sequence);
            sequence = s;
            checkpoints++;
          }
        }
      }
    }
    assertThat(checkpoints).as("checkpoints were written").isGreaterThan(10);
  }
}
