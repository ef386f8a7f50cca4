package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.search.IndexRouting;
import dev.driftless.search.SearchSinkSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A routing that cannot work is refused when it is built, not at the first write. */
class RoutingCheckTest {

  @Test
  void aPrefixThatMakesInvalidNamesIsRefusedAtOnce() {
    // Used to route "x" to "Shop-x", refused by the engine at the first write.
    assertThatThrownBy(() -> IndexRouting.prefixed("Shop-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix 'Shop-'")
        .hasMessageContaining("lower case");
    assertThatThrownBy(() -> IndexRouting.prefixed("_x")).hasMessageContaining("must not start");
    assertThat(IndexRouting.prefixed("shop-").indexFor("Orders")).isEqualTo("shop-orders");
  }

  @Test
  void explicitNamesMustBeValidAndDistinct() {
    assertThatThrownBy(() -> IndexRouting.of(Map.of("orders", "Orders"), ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("collection 'orders' goes to an invalid index");
    assertThatThrownBy(() -> IndexRouting.of(Map.of("a", "same", "b", "same"), ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("go to the same index [same]");
  }

  @Test
  void knownCollectionsMustGetValidIndicesOfTheirOwnAtBuild() {
    SearchSinkSettings.Builder twoInOne =
        SearchSinkSettings.builder()
            .routing(IndexRouting.of(collection -> "shared"))
            .collections(List.of("orders", "customers"));
    assertThatThrownBy(twoInOne::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("routing: collections 'orders' and 'customers' go to the same index");
    SearchSinkSettings.Builder caseCollision =
        SearchSinkSettings.builder()
            .routing(IndexRouting.prefixed("app-"))
            .collections(List.of("Orders"))
            .mapping("orders", "{}");
    assertThatThrownBy(caseCollision::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("same index [app-orders]");
    SearchSinkSettings.Builder invalid =
        SearchSinkSettings.builder()
            .routing(IndexRouting.of(collection -> collection))
            .collections(List.of("Orders"));
    assertThatThrownBy(invalid::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("routing: collection 'Orders' goes to an invalid index");
  }

  @Test
  void toBuilderKeepsEverySetting() {
    SearchSinkSettings settings =
        SearchSinkSettings.builder()
            .routing(IndexRouting.prefixed("p-"))
            .collections(List.of("a"))
            .mapping("a", "{}")
            .tombstones(true)
            .maxRequestItems(7)
            .build();
    assertThat(settings.toBuilder().build()).isEqualTo(settings);
  }
}
