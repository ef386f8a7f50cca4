package dev.driftless.examples;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads every document of a small index over the REST API (one refresh, one search of at most
 * 10,000 hits), for the demos' final comparisons. Exact numbers: JSON decimals are read as {@code
 * BigDecimal}.
 */
public final class IndexContents {
  private static final int MAX_DOCUMENTS = 10_000;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private final HttpClient http = HttpClient.newHttpClient();
  private final String baseUrl;

  public IndexContents(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  /**
   * Each document's {@code _source} by {@code _id}, after a refresh; empty if the index does not
   * exist yet.
   */
  public Map<String, JsonNode> read(String index) throws IOException, InterruptedException {
    HttpResponse<String> refresh = send("POST", "/" + index + "/_refresh", null);
    if (refresh.statusCode() == 404) {
      return Map.of();
    }
    String body = "{\"size\": " + MAX_DOCUMENTS + ", \"track_total_hits\": true}";
    HttpResponse<String> response = send("POST", "/" + index + "/_search", body);
    if (response.statusCode() != 200) {
      throw new IOException(
          "search of " + index + ": " + response.statusCode() + " " + response.body());
    }
    JsonNode hits = JSON.readTree(response.body()).path("hits");
    long total = hits.path("total").path("value").asLong();
    if (total > MAX_DOCUMENTS) {
      throw new IllegalStateException(
          index + " holds " + total + " documents, more than this reader reads");
    }
    Map<String, JsonNode> out = new HashMap<>();
    for (Iterator<JsonNode> it = hits.path("hits").elements(); it.hasNext(); ) {
      JsonNode hit = it.next();
      out.put(hit.path("_id").asText(), hit.path("_source"));
    }
    return out;
  }

  private HttpResponse<String> send(String method, String path, @Nullable String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("Content-Type", "application/json");
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
