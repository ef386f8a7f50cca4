package dev.driftless.testinfra.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The launcher starts a real node, keeps its data and port across a restart, and applies settings.
 */
class ElasticsearchNodeIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static ElasticsearchNode node;

  @BeforeAll
  static void startNode() {
    node = ElasticsearchNode.builder().writeThreadPool(1, 3).build();
    node.start();
  }

  @AfterAll
  static void closeNode() {
    node.close();
  }

  @Test
  void servesElasticsearch7OnLoopback() throws Exception {
    HttpResponse<String> root = send("GET", "/", null);
    assertThat(root.statusCode()).isEqualTo(200);
    assertThat(root.body()).contains("\"number\" : \"7.10.2\"");
    assertThat(node.url()).startsWith("http://127.0.0.1:");
  }

  @Test
  void appliesThreadPoolSettings() throws Exception {
    HttpResponse<String> pools = send("GET", "/_cat/thread_pool/write?h=size,queue_size", null);
    assertThat(pools.body().trim()).isEqualTo("1 3");
  }

  @Test
  void servesDeleteByQueryFromTheReindexModule() throws Exception {
    send("PUT", "/dbq-check/_doc/1?refresh=true", "{\"drop\":true}");
    send("PUT", "/dbq-check/_doc/2?refresh=true", "{\"drop\":false}");
    HttpResponse<String> deleted =
        send(
            "POST",
            "/dbq-check/_delete_by_query?refresh=true",
            "{\"query\":{\"term\":{\"drop\":true}}}");
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(deleted.body()).contains("\"deleted\":1");
  }

  @Test
  void keepsDocumentsAndPortAcrossRestart() throws Exception {
    HttpResponse<String> put = send("PUT", "/restart-check/_doc/1?refresh=true", "{\"answer\":42}");
    assertThat(put.statusCode()).isEqualTo(201);

    node.stop();
    assertThat(node.isRunning()).isFalse();
    assertThatThrownBy(() -> send("GET", "/", null)).isInstanceOf(IOException.class);

    node.start();
    HttpResponse<String> get = send("GET", "/restart-check/_doc/1", null);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).contains("\"answer\":42");
  }

  private static HttpResponse<String> send(String method, String path, @Nullable String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
