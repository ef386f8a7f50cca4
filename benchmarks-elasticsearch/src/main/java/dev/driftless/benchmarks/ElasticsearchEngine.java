package dev.driftless.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.elasticsearch.ElasticsearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.SearchSinkBuilder;
import dev.driftless.testinfra.elasticsearch.ElasticsearchNode;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.http.HttpEntityEnclosingRequest;
import org.apache.http.HttpHost;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RestClient;

/**
 * The sink benchmark on Elasticsearch: test-infra's {@link ElasticsearchNode} (7.10.2, in this JVM)
 * and {@link ElasticsearchSink}, with the same corpus, index settings, bulk size and concurrency as
 * on OpenSearch.
 */
final class ElasticsearchEngine implements SinkEngine {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "Elasticsearch";
  }

  @Override
  public String reportSuffix() {
    return "-elasticsearch";
  }

  @Override
  public String sinkClass() {
    return "ElasticsearchSink";
  }

  @Override
  public String nodePlacement() {
    return "in this JVM, elasticsearch-cluster-runner";
  }

  @Override
  public String nodeNote() {
    return "The Elasticsearch node runs inside the benchmark JVM (test-infra's ElasticsearchNode,"
        + " elasticsearch-cluster-runner), so client and server share the same cores: every"
        + " contender pays for the server's indexing work in the same way.";
  }

  @Override
  public Node start() {
    ElasticsearchNode node = ElasticsearchNode.builder().build();
    // The node's logging takes over System.out and System.err while it starts: keep the console
    // for the benchmark's progress lines.
    PrintStream out = System.out;
    PrintStream err = System.err;
    try {
      node.start();
    } catch (RuntimeException e) {
      node.close();
      throw e;
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new Node() {
      @Override
      public String url() {
        return node.url();
      }

      @Override
      public void close() {
        node.close();
      }
    };
  }

  @Override
  public BuiltSink sink(String url, Consumer<SearchSinkBuilder<?>> settings) {
    ElasticsearchSink.Builder builder = ElasticsearchSink.builder().hosts(url);
    settings.accept(builder);
    ElasticsearchSink sink = builder.build();
    return new BuiltSink(sink, sink::indexFor, sink::fingerprintReader);
  }

  /**
   * Writes {@code sample} through an {@link ElasticsearchSink} whose client records every {@code
   * _bulk} request body as it is sent, and compares each document's source line with the
   * stored-form loader's.
   */
  @Override
  public Optional<String> checkWireForm(String url, List<ChangeEvent> sample) throws Exception {
    List<byte[]> bodies = new ArrayList<>();
    URI uri = URI.create(url);
    String prefix = "bench-wire-";
    try (RestClient client =
        RestClient.builder(new HttpHost(uri.getHost(), uri.getPort(), uri.getScheme()))
            .setHttpClientConfigCallback(
                http ->
                    http.addInterceptorLast(
                        (org.apache.http.HttpRequest request,
                            org.apache.http.protocol.HttpContext context) -> {
                          if (request.getRequestLine().getUri().contains("_bulk")
                              && request instanceof HttpEntityEnclosingRequest enclosing
                              && enclosing.getEntity() != null) {
                            byte[] body = EntityUtils.toByteArray(enclosing.getEntity());
                            synchronized (bodies) {
                              bodies.add(body);
                            }
                          }
                        }))
            .build()) {
      try (ElasticsearchSink sink =
          ElasticsearchSink.builder()
              .client(client)
              .routing(IndexRouting.prefixed(prefix))
              .mapping(Corpus.COLLECTION, Corpus.MAPPING)
              .indexSettings(Corpus.INDEX_SETTINGS)
              .maxRequestItems(sample.size())
              .build()) {
        sink.start(context(sample.size()));
        String index = sink.indexFor(Corpus.COLLECTION);
        for (WriteResult r : sink.write(sample)) {
          if (!(r instanceof WriteResult.Applied)) {
            throw new IllegalStateException("the wire-form check's write was not applied: " + r);
          }
        }
        client.performRequest(new Request("DELETE", "/" + index));
      }
    }
    Map<String, String> sent = new HashMap<>();
    synchronized (bodies) {
      for (byte[] body : bodies) {
        String[] lines = new String(body, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
          String id = JSON.readTree(lines[i]).path("index").path("_id").asText();
          sent.put(id, lines[i + 1]);
        }
      }
    }
    for (ChangeEvent e : sample) {
      ChangeEvent.Upsert u = (ChangeEvent.Upsert) e;
      StringBuilder raw = new StringBuilder();
      RawBulkLoader.source(raw, u, true);
      String wire = sent.get(u.key().id());
      if (!raw.toString().equals(wire)) {
        throw new IllegalStateException(
            "the stored-form loader's source differs from what ElasticsearchSink sent for "
                + u.key()
                + ":\n"
                + raw
                + "\n"
                + wire);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "[sink] stored-form source lines equal ElasticsearchSink's requests (%d documents)%n",
        sample.size());
    return Optional.of(
        String.format(
            Locale.ROOT,
            "Before the runs, %,d documents were written through an `ElasticsearchSink` whose"
                + " client recorded its `_bulk` request bodies as sent; each document's source line"
                + " equals the `raw-bulk-stored-form` loader's byte for byte (checked, or the"
                + " benchmark fails).",
            sample.size()));
  }

  private static SinkContext context(int batch) {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "bench-wire";
      }

      @Override
      public int maxBatchEvents() {
        return batch;
      }

      @Override
      public long maxBatchBytes() {
        return 5L * 1024 * 1024;
      }
    };
  }
}
