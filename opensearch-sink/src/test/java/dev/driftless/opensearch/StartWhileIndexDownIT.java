package dev.driftless.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.net.URI;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application starts while the index cannot be reached (a rolling restart of the search
 * cluster): {@link FaultProxy} refuses every connection to the real OpenSearch 2.19 node. {@code
 * Pipeline.start} returns, the status reports the sink's outage, nothing is written or committed,
 * and once the proxy accepts again the sink starts (creating its index) and every change arrives.
 */
class StartWhileIndexDownIT {

  private static OpenSearchNode node;

  @BeforeAll
  static void startNode() {
    node = OpenSearchNode.shared();
  }

  private static OpenSearchSink sink(FaultProxy proxy, String prefix) {
    return OpenSearchSink.builder()
        .hosts(proxy.httpUrl())
        .routing(IndexRouting.prefixed(prefix))
        .collections("orders")
        .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
        .connectTimeout(Duration.ofSeconds(2))
        .build();
  }

  private static FaultProxy proxy() {
    URI uri = URI.create(node.httpUrl());
    return FaultProxy.start(uri.getHost(), uri.getPort());
  }

  @Test
  void startsWhileTheIndexRefusesConnectionsAndStreamsOnceItAccepts() throws Exception {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int i = 0; i < 50; i++) {
      log.upsert(DocumentKey.of("orders", "o" + i), Document.of("n", (long) i));
    }
    try (FaultProxy proxy = proxy();
        OpenSearchSink sink = sink(proxy, "down-at-start-")) {
      proxy.refuse(true);
      InMemoryChangeSource source = InMemoryChangeSource.withWaitCap(log, Duration.ofMillis(20));
      try (Pipeline pipeline =
          Pipeline.builder()
              .name("down-at-start")
              .source(source)
              .sink(sink)
              .deadLetterStore(new InMemoryDeadLetterStore())
              .retry(new RetrySettings(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.2))
              .build()
              .start()) {
        await(
            Duration.ofSeconds(30),
            () -> pipeline.status().sinkOutage() != null && pipeline.status().eventsReceived() > 0,
            "the outage reported and events received",
            () -> pipeline.status().summary());
        PipelineStatus down = pipeline.status();
        assertThat(down.state()).isEqualTo(PipelineStatus.State.RUNNING);
        assertThat(down.sinkOutage()).contains("RetriableException");
        assertThat(down.eventsApplied()).isZero();
        assertThat(down.committedPosition()).isNull();
        assertThat(log.committedOffset("down-at-start")).isEqualTo(-1);

        proxy.accept();
        assertThat(pipeline.awaitIdle(Duration.ofSeconds(60))).isTrue();
        PipelineStatus up = pipeline.status();
        assertThat(up.failure()).isNull();
        assertThat(up.sinkOutage()).isNull();
        assertThat(up.eventsApplied()).isEqualTo(50);
        for (int i = 0; i < 50; i++) {
          assertThat(sink.get(DocumentKey.of("orders", "o" + i)))
              .hasValueSatisfying(d -> assertThat(d.document().get("n")).isNotNull());
        }
        log.upsert(DocumentKey.of("orders", "after"), Document.of("n", 99L));
        await(
            Duration.ofSeconds(30),
            () -> sink.get(DocumentKey.of("orders", "after")).isPresent(),
            "a change made after the outage arrives",
            () -> pipeline.status().summary());
      }
    }
  }

  @Test
  void anIndexDownLongerThanTheOutageDeadlineStopsThePipeline() throws Exception {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    log.upsert(DocumentKey.of("orders", "o1"), Document.of("n", 1L));
    try (FaultProxy proxy = proxy();
        OpenSearchSink sink = sink(proxy, "down-too-long-")) {
      proxy.refuse(true);
      Pipeline pipeline =
          Pipeline.builder()
              .name("down-too-long")
              .source(InMemoryChangeSource.withWaitCap(log, Duration.ofMillis(20)))
              .sink(sink)
              .deadLetterStore(new InMemoryDeadLetterStore())
              .retry(new RetrySettings(Duration.ofMillis(50), Duration.ofMillis(200), 2.0, 0.0))
              .outageDeadline(Duration.ofSeconds(2))
              .build()
              .start();
      try {
        assertThat(pipeline.awaitTermination(Duration.ofSeconds(60))).isTrue();
        assertThat(pipeline.status().state()).isEqualTo(PipelineStatus.State.FAILED);
        assertThat(pipeline.failure()).get().asString().contains("outageDeadline");
        assertThat(log.committedOffset("down-too-long")).isEqualTo(-1);
      } finally {
        pipeline.close();
      }
    }
  }

  private static void await(
      Duration timeout, BooleanSupplier condition, String what, Supplier<String> state) {
    Eventually.until(timeout, () -> what + "; " + state.get(), condition::getAsBoolean);
  }
}
