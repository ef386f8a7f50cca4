package dev.driftless.search;

import dev.driftless.search.internal.RoutingCheck;
import dev.driftless.search.internal.SearchSink;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Chooses the index (or alias) a collection's documents are written to.
 *
 * <p>Each collection must route to its own index: the document id is the key id alone, so two
 * collections in one index would overwrite each other. {@link SearchSinkSettings.Builder#build()}
 * refuses a routing that sends two of the collections it knows of ({@code collections}, {@code
 * mapping}) to one index or to an invalid name, and {@link SearchSink} refuses the same for any
 * other collection when it first sees it. The factories below check what they can at once: a prefix
 * that would make every name invalid (upper case, a leading {@code _}), explicit names that are
 * invalid or shared.
 *
 * <p>Implementations are pure and thread-safe.
 */
@FunctionalInterface
public interface IndexRouting {

  /** The index or alias name for {@code collection}. */
  String indexFor(String collection);

  /**
   * {@code prefix} followed by the collection name in lower case (index names must be lower case),
   * e.g. {@code prefixed("app-")} routes {@code "Orders"} to {@code "app-orders"}.
   *
   * @throws IllegalArgumentException if names starting with {@code prefix} are invalid index names
   *     (such as {@code "Shop-"}: index names are lower case)
   */
  static IndexRouting prefixed(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    try {
      validateName(prefix + "x");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "prefix '" + prefix + "' makes invalid index names: " + e.getMessage(), e);
    }
    return collection -> prefix + collection.toLowerCase(Locale.ROOT);
  }

  /**
   * Explicit names for some collections; every other collection goes to {@code prefix} plus its
   * lower-cased name. Names in {@code indices} are used as given (not prefixed).
   *
   * @throws IllegalArgumentException if a name in {@code indices} is not a valid index name, two
   *     collections share one, or {@code prefix} makes invalid names
   */
  static IndexRouting of(Map<String, String> indices, String prefix) {
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(prefix, "prefix");
    Map<String, String> copy = Map.copyOf(indices);
    IndexRouting fallback = prefixed(prefix);
    RoutingCheck.check(
        collection -> {
          String name = copy.get(collection);
          return name != null ? name : fallback.indexFor(collection);
        },
        copy.keySet(),
        IllegalArgumentException::new);
    return collection -> {
      String name = copy.get(collection);
      return name != null ? name : fallback.indexFor(collection);
    };
  }

  /** Routing by a function of the collection name. */
  static IndexRouting of(Function<String, String> function) {
    Objects.requireNonNull(function, "function");
    return function::apply;
  }

  /**
   * Checks that {@code name} is a valid index or alias name for both engines, naming what is wrong.
   *
   * @throws IllegalArgumentException when it is not
   */
  static String validateName(String name) {
    Objects.requireNonNull(name, "index name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("index name must not be empty");
    }
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("index name must be lower case: " + name);
    }
    if (name.startsWith("-") || name.startsWith("_") || name.startsWith("+")) {
      throw new IllegalArgumentException("index name must not start with -, _ or +: " + name);
    }
    if (name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("index name must not be . or ..");
    }
    for (char c : "\\/*?\"<>| ,#:".toCharArray()) {
      if (name.indexOf(c) >= 0) {
        throw new IllegalArgumentException("index name must not contain '" + c + "': " + name);
      }
    }
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException("index name longer than 255 bytes: " + name);
    }
    return name;
  }
}
