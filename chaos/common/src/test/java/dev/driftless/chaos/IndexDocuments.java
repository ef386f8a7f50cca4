package dev.driftless.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The index side of the suites' independent comparison, by plain HTTP ({@code java.net.http}, no
 * Driftless reader, no engine client): {@code _refresh}, then a {@code _search} scroll in index
 * order with {@code version: true}. Shared by the PostgreSQL and the DynamoDB suites.
 */
final class IndexDocuments {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String indexUrl;
  private final String index;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  IndexDocuments(String indexUrl, String index) {
    this.indexUrl = indexUrl;
    this.index = index;
  }

  /** Every live document by {@code _id} (tombstones left out): the search hit. */
  Map<String, JsonNode> documents() throws Exception {
    Map<String, JsonNode> out = new HashMap<>();
    HttpResponse<String> exists = send("HEAD", "/" + index, null);
    if (exists.statusCode() == 404) {
      return out;
    }
    expectOk("POST", "/" + index + "/_refresh", null);
    // A scroll in index order: independent of the sink's own fields (documents carry no copy of
    // their key unless their _id is encoded), and paging cannot skip or repeat a document.
    ObjectNode query = JSON.createObjectNode();
    query.put("size", 1000);
    query.put("version", true);
    query.putObject("query").putObject("match_all");
    query.putArray("sort").add("_doc");
    JsonNode page =
        JSON.readTree(
            expectOk("POST", "/" + index + "/_search?scroll=1m", JSON.writeValueAsString(query)));
    String scrollId = page.get("_scroll_id").asText();
    try {
      while (true) {
        ArrayNode hits = (ArrayNode) page.get("hits").get("hits");
        if (hits.isEmpty()) {
          return out;
        }
        for (JsonNode hit : hits) {
          JsonNode tombstone = hit.get("_source").get("driftless_tombstone");
          if (tombstone == null || !tombstone.asBoolean()) {
            out.put(hit.get("_id").asText(), hit);
          }
        }
        ObjectNode next = JSON.createObjectNode();
        next.put("scroll", "1m");
        next.put("scroll_id", scrollId);
        page = JSON.readTree(expectOk("POST", "/_search/scroll", JSON.writeValueAsString(next)));
        scrollId = page.get("_scroll_id").asText();
      }
    } finally {
      ObjectNode clear = JSON.createObjectNode();
      clear.putArray("scroll_id").add(scrollId);
      send("DELETE", "/_search/scroll", JSON.writeValueAsString(clear));
    }
  }

  private String expectOk(String method, String path, String body) throws Exception {
    HttpResponse<String> r = send(method, path, body);
    if (r.statusCode() / 100 != 2) {
      throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(indexUrl + path)).timeout(Duration.ofSeconds(30));
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
