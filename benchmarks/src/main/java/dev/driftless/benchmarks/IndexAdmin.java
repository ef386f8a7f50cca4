package dev.driftless.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The few index operations the sink benchmark needs around its runs (create, count, delete,
 * version), over plain HTTP. Thread-safe.
 */
final class IndexAdmin {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String baseUrl;

  IndexAdmin(HttpClient http, String baseUrl) {
    this.http = http;
    this.baseUrl = baseUrl;
  }

  String baseUrl() {
    return baseUrl;
  }

  /** The server's {@code version.distribution version.number}. */
  String serverVersion() throws IOException, InterruptedException {
    JsonNode root = JSON.readTree(send("GET", "/", null));
    JsonNode v = root.path("version");
    String distribution = v.path("distribution").asText("elasticsearch");
    return distribution + " " + v.path("number").asText("?");
  }

  void create(String index, byte[] body) throws IOException, InterruptedException {
    send("PUT", "/" + index, body);
  }

  /** Refreshes {@code index} and returns how many documents it holds. */
  long refreshAndCount(String index) throws IOException, InterruptedException {
    send("POST", "/" + index + "/_refresh", null);
    return JSON.readTree(send("GET", "/" + index + "/_count", null)).path("count").asLong(-1);
  }

  /** Deletes {@code index}, so the next run starts on an empty node. */
  void delete(String index) throws IOException, InterruptedException {
    send("DELETE", "/" + index, null);
  }

  /** The total store size of {@code index}, for the report. */
  long storeBytes(String index) throws IOException, InterruptedException {
    JsonNode stats = JSON.readTree(send("GET", "/" + index + "/_stats/store", null));
    return stats.path("_all").path("primaries").path("store").path("size_in_bytes").asLong(-1);
  }

  private String send(String method, String path, byte @Nullable [] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(2));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }
}
