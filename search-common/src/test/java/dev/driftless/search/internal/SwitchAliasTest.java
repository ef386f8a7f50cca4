package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.DriftlessException;
import dev.driftless.search.SearchSinkSettings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SearchSink#switchAlias} sends one {@code _aliases} request that removes the alias from
 * every other holder and adds it to the target, over a fake of our own {@link SearchTransport}.
 */
class SwitchAliasTest {

  private final List<String> requests = new ArrayList<>();
  private final List<JsonNode> bodies = new ArrayList<>();
  private String aliasHolders = "{\"products_v1\": {\"aliases\": {\"products\": {}}}}";
  private int aliasesStatus = 200;

  private SearchSink sink() {
    SearchTransport engine =
        (method, path, params, body) -> {
          requests.add(method + " " + path);
          if (path.startsWith("/_alias/")) {
            return aliasHolders.isEmpty()
                ? new TransportResponse(404, "{}".getBytes(StandardCharsets.UTF_8))
                : new TransportResponse(200, aliasHolders.getBytes(StandardCharsets.UTF_8));
          }
          if (body != null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
              body.writeTo(out);
              bodies.add(EngineJson.MAPPER.readTree(out.toByteArray()));
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          }
          String answer =
              aliasesStatus == 200
                  ? "{\"acknowledged\": true}"
                  : "{\"error\": {\"type\": \"index_not_found_exception\", \"reason\": \"no such"
                      + " index [products_v3]\"}, \"status\": 404}";
          return new TransportResponse(aliasesStatus, answer.getBytes(StandardCharsets.UTF_8));
        };
    return new SearchSink(engine, SearchSinkSettings.builder().build());
  }

  @Test
  void removesFromEveryOtherHolderAndAddsInOneRequest() {
    aliasHolders =
        "{\"products_v0\": {\"aliases\": {\"products\": {}}}, \"products_v1\": {\"aliases\":"
            + " {\"products\": {}}}}";
    sink().switchAlias("products", "products_v2");
    assertThat(requests).containsExactly("GET /_alias/products", "POST /_aliases");
    JsonNode actions = bodies.get(0).get("actions");
    assertThat(actions.toString())
        .isEqualTo(
            "[{\"remove\":{\"index\":\"products_v0\",\"alias\":\"products\"}},"
                + "{\"remove\":{\"index\":\"products_v1\",\"alias\":\"products\"}},"
                + "{\"add\":{\"index\":\"products_v2\",\"alias\":\"products\"}}]");
  }

  @Test
  void aNewAliasIsOnlyAddedAndSwitchingAgainIsHarmless() {
    aliasHolders = "";
    sink().switchAlias("products", "products_v1");
    assertThat(bodies.get(0).get("actions").toString())
        .isEqualTo("[{\"add\":{\"index\":\"products_v1\",\"alias\":\"products\"}}]");

    aliasHolders = "{\"products_v1\": {\"aliases\": {\"products\": {}}}}";
    sink().switchAlias("products", "products_v1");
    assertThat(bodies.get(1).get("actions").toString())
        .isEqualTo("[{\"add\":{\"index\":\"products_v1\",\"alias\":\"products\"}}]");
  }

  @Test
  void refusalsAndBadNamesAreReported() {
    aliasesStatus = 404;
    assertThatThrownBy(() -> sink().switchAlias("products", "products_v3"))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("products_v3");
    assertThatThrownBy(() -> sink().switchAlias("Products", "products_v1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lower case");
    assertThatThrownBy(() -> sink().switchAlias("products", null))
        .isInstanceOf(NullPointerException.class);
  }
}
