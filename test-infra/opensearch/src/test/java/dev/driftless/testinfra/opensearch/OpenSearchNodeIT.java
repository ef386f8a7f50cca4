package dev.driftless.testinfra.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class OpenSearchNodeIT {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(String method, String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesOpenSearch219AndKeepsDataAcrossARestartOnTheSamePort() throws Exception {
    try (OpenSearchNode node = OpenSearchNode.builder().start()) {
      HttpResponse<String> root = send("GET", node.httpUrl() + "/", "");
      assertThat(root.statusCode()).isEqualTo(200);
      assertThat(root.body()).contains("\"distribution\" : \"opensearch\"").contains("2.19");

      // action.auto_create_index is off: a sink must create its indices with their mapping.
      assertThat(send("PUT", node.httpUrl() + "/kept", "{}").statusCode()).isEqualTo(200);
      assertThat(
              send("PUT", node.httpUrl() + "/kept/_doc/1?refresh=true", "{\"a\":1}").statusCode())
          .isEqualTo(201);
      node.stop();
      assertThatThrownBy(() -> send("GET", node.httpUrl() + "/", ""))
          .isInstanceOfAny(ConnectException.class, IOException.class);

      node.start();
      HttpResponse<String> kept = send("GET", node.httpUrl() + "/kept/_doc/1", "");
      assertThat(kept.statusCode()).isEqualTo(200);
      assertThat(kept.body()).contains("\"a\":1");
    }
  }
}
