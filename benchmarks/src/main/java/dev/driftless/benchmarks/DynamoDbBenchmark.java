package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * DynamoDB Streams read throughput against the in-process emulator (through the real SDK), with 1
 * and with 64 shards: {@code DynamoDbStreamsSource.poll} against a plain SDK loop that reads the
 * same shards with GetShardIterator/GetRecords and does nothing with the records (the ceiling on
 * this machine), with as many threads as the source's readers. Then the delay from a write to the
 * source handing out its change, at a steady write rate.
 */
final class DynamoDbBenchmark {
  private static final String TABLE = "bench";
  private static final int READERS = 8;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  private final BenchSettings settings;

  DynamoDbBenchmark(BenchSettings settings) {
    this.settings = settings;
  }

  Report run() throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    int records = Math.min(settings.rows(), 20_000);
    Report report =
        new Report(
            "dynamodb",
            "DynamoDB Streams read throughput: DynamoDbStreamsSource vs a plain SDK GetRecords loop",
            "records");
    report.parameter("records", records);
    report.parameter("readers", READERS);
    report.parameter("pollInterval", POLL_INTERVAL.toString());
    for (int shards : new int[] {1, 64}) {
      String sdk = "sdk-getrecords-" + shards;
      String source = "driftless-poll-" + shards;
      report.contender(
          sdk,
          "GetShardIterator(TRIM_HORIZON) and GetRecords(Limit 1000) until each of the "
              + shards
              + " shard(s) is read, on "
              + Math.min(READERS, shards)
              + " thread(s); records are counted, not converted");
      report.contender(
          source,
          "DynamoDbStreamsSource (derived versions, "
              + READERS
              + " readers) polled with poll(1000, 100 ms) and every event committed, until all"
              + " records were handed out");
      try (Emulated e = new Emulated(shards)) {
        e.fill(records);
        for (int round = 1; round <= settings.rounds(); round++) {
          report.run(e.plainLoop(sdk, round, records));
          report.run(e.sourceLoop(source, round, records));
        }
      }
      report.ratio(source, sdk, 0.80);
    }
    try (Emulated e = new Emulated(4)) {
      List<Long> delays = e.delays(Duration.ofSeconds(10), 100);
      Collections.sort(delays);
      report.note(
          String.format(
              java.util.Locale.ROOT,
              "write-to-poll delay at 100 writes/s for 10 s, 4 shards, pollInterval %d ms: p50 %.1f"
                  + " ms, p99 %.1f ms, max %.1f ms (%d changes; the emulator is in-process, so this"
                  + " is the source's own delay: polling interval plus scheduling)",
              POLL_INTERVAL.toMillis(),
              percentile(delays, 0.50) / 1e6,
              percentile(delays, 0.99) / 1e6,
              delays.get(delays.size() - 1) / 1e6,
              delays.size()));
    }
    report.note(
        "Both contenders talk to the same in-process emulator over loopback HTTP through the real"
            + " SDK (UrlConnectionHttpClient, TCP_NODELAY on the JDK server), so the emulator's"
            + " cost per call bounds both; the ratio shows what the source adds on top of a bare"
            + " read loop, not DynamoDB's own speed.");
    return report;
  }

  private static double percentile(List<Long> sorted, double p) {
    int i = (int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1)));
    return sorted.get(i);
  }

  /** An emulator with a filled table and the SDK clients. */
  private static final class Emulated implements AutoCloseable {
    final DynamoDbEmulator emulator;
    final DynamoDbClient ddb;
    final DynamoDbStreamsClient streams;
    final int shards;

    Emulated(int shards) {
      this.shards = shards;
      emulator = DynamoDbEmulator.builder().partitions(shards).noTimedRollover().build().start();
      var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench"));
      ddb =
          DynamoDbClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(creds)
              .endpointOverride(emulator.endpoint())
              .httpClient(UrlConnectionHttpClient.create())
              .build();
      streams =
          DynamoDbStreamsClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(creds)
              .endpointOverride(emulator.endpoint())
              .httpClient(UrlConnectionHttpClient.create())
              .build();
      ddb.createTable(
          b ->
              b.tableName(TABLE)
                  .keySchema(
                      KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                  .attributeDefinitions(
                      AttributeDefinition.builder()
                          .attributeName("id")
                          .attributeType(ScalarAttributeType.S)
                          .build())
                  .billingMode(BillingMode.PAY_PER_REQUEST)
                  .streamSpecification(
                      s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_IMAGE)));
    }

    void fill(int records) {
      List<WriteRequest> batch = new ArrayList<>();
      for (int i = 0; i < records; i++) {
        batch.add(
            WriteRequest.builder()
                .putRequest(
                    PutRequest.builder()
                        .item(
                            Map.of(
                                "id", AttributeValue.fromS("item-" + i),
                                "name", AttributeValue.fromS("product " + i),
                                "qty", AttributeValue.fromN(Integer.toString(i % 1000)),
                                "price", AttributeValue.fromN((i % 10_000) + ".99")))
                        .build())
                .build());
        if (batch.size() == 25 || i == records - 1) {
          List<WriteRequest> items = List.copyOf(batch);
          ddb.batchWriteItem(b -> b.requestItems(Map.of(TABLE, items)));
          batch.clear();
        }
      }
    }

    Run plainLoop(String contender, int round, int records) throws Exception {
      String arn = ddb.describeTable(b -> b.tableName(TABLE)).table().latestStreamArn();
      List<Shard> all =
          streams.describeStream(b -> b.streamArn(arn).limit(100)).streamDescription().shards();
      AtomicLong read = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(Math.min(READERS, shards));
      long start = System.nanoTime();
      try {
        List<Future<?>> done = new ArrayList<>();
        for (Shard shard : all) {
          done.add(
              pool.submit(
                  () -> {
                    String it =
                        streams
                            .getShardIterator(
                                b ->
                                    b.streamArn(arn)
                                        .shardId(shard.shardId())
                                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                            .shardIterator();
                    while (it != null && read.get() < records) {
                      String current = it;
                      GetRecordsResponse page =
                          streams.getRecords(b -> b.shardIterator(current).limit(1000));
                      read.addAndGet(page.records().size());
                      if (page.records().isEmpty()) {
                        break; // an open shard read to its current end
                      }
                      it = page.nextShardIterator();
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get(10, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      long nanos = System.nanoTime() - start;
      if (read.get() != records) {
        throw new IllegalStateException("plain loop read " + read.get() + " of " + records);
      }
      return new Run(contender, round, records, nanos, 0, Map.of());
    }

    Run sourceLoop(String contender, int round, int records) throws Exception {
      DynamoDbStreamsSource source = build();
      long start = System.nanoTime();
      long first = 0;
      long got = 0;
      try {
        source.start(context(contender + "-" + round));
        while (got < records) {
          List<ChangeEvent> events = source.poll(1000, Duration.ofMillis(100));
          if (!events.isEmpty()) {
            if (first == 0) {
              first = System.nanoTime();
            }
            got += events.size();
            source.commit(events.get(events.size() - 1).position());
          }
          if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
            throw new IllegalStateException("source read " + got + " of " + records);
          }
        }
      } finally {
        source.close();
      }
      long end = System.nanoTime();
      return new Run(contender, round, records, end - start, end - first, Map.of());
    }

    /** Write-to-poll delays at a steady rate. */
    List<Long> delays(Duration duration, int perSecond) throws Exception {
      DynamoDbStreamsSource source = build();
      List<Long> delays = new ArrayList<>();
      ExecutorService writer = Executors.newSingleThreadExecutor();
      try {
        source.start(context("latency"));
        long start = System.nanoTime();
        int total = (int) (duration.toSeconds() * perSecond);
        Future<?> writes =
            writer.submit(
                () -> {
                  for (int i = 0; i < total; i++) {
                    long due = start + i * (1_000_000_000L / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                      TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    String at = Long.toString(System.nanoTime());
                    String id = "late-" + (i % 50);
                    ddb.putItem(
                        b ->
                            b.tableName(TABLE)
                                .item(
                                    Map.of(
                                        "id", AttributeValue.fromS(id),
                                        "writtenAt", AttributeValue.fromN(at))));
                  }
                  return null;
                });
        while (delays.size() < total) {
          for (ChangeEvent event : source.poll(1000, Duration.ofMillis(100))) {
            long now = System.nanoTime();
            if (event instanceof ChangeEvent.Upsert u
                && u.document().get("writtenAt") instanceof Long at) {
              delays.add(now - at);
            }
            source.commit(event.position());
          }
          if (System.nanoTime() - start > duration.toNanos() + TimeUnit.MINUTES.toNanos(2)) {
            throw new IllegalStateException("only " + delays.size() + " of " + total + " changes");
          }
        }
        writes.get(1, TimeUnit.MINUTES);
      } finally {
        writer.shutdownNow();
        source.close();
      }
      return delays;
    }

    private DynamoDbStreamsSource build() {
      return DynamoDbStreamsSource.builder()
          .dynamoDbClient(ddb)
          .streamsClient(streams)
          .table(TABLE)
          .maxConcurrentReads(READERS)
          .pollInterval(POLL_INTERVAL)
          .build();
    }

    private static SourceContext context(String pipeline) {
      CheckpointStore store = new InMemoryCheckpointStore();
      return new SourceContext() {
        @Override
        public String pipelineName() {
          return pipeline;
        }

        @Override
        public CheckpointStore checkpointStore() {
          return store;
        }
      };
    }

    @Override
    public void close() {
      ddb.close();
      streams.close();
      emulator.close();
    }
  }
}
