package dev.driftless.chaos;

import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import java.time.Duration;

/** {@link ChaosChild} writing to OpenSearch. */
public final class OpenSearchChaosChild {

  private OpenSearchChaosChild() {}

  public static void main(String[] args) throws Exception {
    ChaosChild.run(
        args,
        url ->
            OpenSearchSink.builder()
                .hosts(url)
                .routing(IndexRouting.prefixed("chaos-"))
                .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
                // Short, so that a black-holed request is retried within the suite's time: a
                // user facing partitions sets them too.
                .connectTimeout(Duration.ofSeconds(2))
                .responseTimeout(Duration.ofSeconds(10))
                .build());
  }
}
