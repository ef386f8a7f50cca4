package dev.driftless.opensearch.os3;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * What the sink's tests in this module run against: an OpenSearch 3.x node on its own Java 21+ JVM,
 * while the tests (and the sink) run on this JVM. Without it, the sink's ITs here would silently
 * test whatever {@code OpenSearchNode} the class path held.
 */
class OpenSearch3NodeIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(OpenSearchNode.shared().httpUrl() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void theSharedNodeIsOpenSearch3OnJava21OrLaterInAnotherProcess() throws Exception {
    JsonNode root = get("/");
    assertThat(root.path("version").path("distribution").asText()).isEqualTo("opensearch");
    assertThat(root.path("version").path("number").asText()).startsWith("3.");

    JsonNode node = get("/_nodes/_local/jvm,process").path("nodes").elements().next();
    String vmVersion = node.path("jvm").path("version").asText();
    assertThat(Runtime.Version.parse(vmVersion).feature()).isGreaterThanOrEqualTo(21);
    assertThat(node.path("process").path("id").asLong())
        .isNotEqualTo(ProcessHandle.current().pid());
  }
}
