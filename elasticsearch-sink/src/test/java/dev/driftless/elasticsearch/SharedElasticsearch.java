package dev.driftless.elasticsearch;

import dev.driftless.search.IndexRouting;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.testinfra.elasticsearch.ElasticsearchNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;
import org.jspecify.annotations.Nullable;

/**
 * The one Elasticsearch 7.10.2 node of this test JVM, started on first use (jqwik properties get no
 * JUnit lifecycle, so this is lazy rather than an extension) and closed when the JVM exits.
 *
 * <p>Its {@code write} thread pool is shrunk to {@value #WRITE_THREADS} thread and {@value
 * #WRITE_QUEUE} queued shard-level bulk tasks: tests writing one index at a time never fill it, and
 * {@link ThrottledClusterIT} fills it on purpose so that the node itself answers 429.
 */
final class SharedElasticsearch {

  static final int WRITE_THREADS = 1;
  static final int WRITE_QUEUE = 10;

  /** One shard, no replica: a single node holds every index green, and a bulk is one task. */
  static final String INDEX_SETTINGS = "{\"number_of_shards\":1,\"number_of_replicas\":0}";

  private static @Nullable ElasticsearchNode node;
  private static @Nullable RestClient client;

  private SharedElasticsearch() {}

  static synchronized ElasticsearchNode node() {
    ElasticsearchNode started = node;
    if (started == null) {
      started = ElasticsearchNode.builder().writeThreadPool(WRITE_THREADS, WRITE_QUEUE).build();
      started.start();
      ElasticsearchNode toClose = started;
      Runtime.getRuntime()
          .addShutdownHook(new Thread(toClose::close, "close-elasticsearch-test-node"));
      node = started;
    }
    return started;
  }

  /** A client the tests own, as a user would hand one in; never closed by a sink. */
  static synchronized RestClient client() {
    RestClient existing = client;
    if (existing == null) {
      existing = RestClient.builder(HttpHost.create(node().url())).build();
      RestClient toClose = existing;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      toClose.close();
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  },
                  "close-elasticsearch-test-client"));
      client = existing;
    }
    return existing;
  }

  /** Settings every test starts from: indices named {@code es-it-<collection>}. */
  static SearchSinkSettings.Builder settings() {
    return SearchSinkSettings.builder()
        .routing(IndexRouting.prefixed("es-it-"))
        .indexSettings(INDEX_SETTINGS);
  }

  /** A sink building its own client from the node's URL. */
  static ElasticsearchSink sink(SearchSinkSettings settings) {
    return ElasticsearchSink.builder().hosts(node().url()).settings(settings).build();
  }
}
