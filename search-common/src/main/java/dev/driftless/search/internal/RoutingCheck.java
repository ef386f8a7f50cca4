package dev.driftless.search.internal;

import dev.driftless.search.IndexRouting;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks a routing against the collections known before the first write: each must route to a valid
 * index name of its own. Collections first seen while writing are checked by {@link
 * IndexAdministration} with the same rules.
 */
public final class RoutingCheck {

  private RoutingCheck() {}

  /**
   * @throws IllegalStateException naming the collection and the rule it breaks
   */
  public static void check(IndexRouting routing, Collection<String> collections) {
    check(routing, collections, IllegalStateException::new);
  }

  public static void check(
      IndexRouting routing,
      Collection<String> collections,
      Function<String, ? extends RuntimeException> failure) {
    Map<String, String> ownerByIndex = new HashMap<>();
    for (String collection : collections) {
      String index = routing.indexFor(collection);
      try {
        IndexRouting.validateName(index);
      } catch (IllegalArgumentException e) {
        throw failure.apply(
            "routing: collection '" + collection + "' goes to an invalid index: " + e.getMessage());
      }
      String owner = ownerByIndex.putIfAbsent(index, collection);
      if (owner != null) {
        throw failure.apply(
            "routing: collections '"
                + owner
                + "' and '"
                + collection
                + "' go to the same index ["
                + index
                + "]; each collection needs its own index");
      }
    }
  }
}
