package dev.driftless.chaos;

import dev.driftless.elasticsearch.ElasticsearchSink;
import dev.driftless.search.IndexRouting;
import java.time.Duration;

/** {@link ChaosChild} writing to Elasticsearch. */
public final class ElasticsearchChaosChild {

  private ElasticsearchChaosChild() {}

  public static void main(String[] args) throws Exception {
    ChaosChild.run(
        args,
        url ->
            ElasticsearchSink.builder()
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
