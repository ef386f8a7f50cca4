package dev.driftless.search;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Chooses the index (or alias) a collection's documents are written to.
 *
 * <p>Each collection must route to its own index: the document id is the key id alone, so two
 * collections in one index would overwrite each other. {@link SearchSink} refuses a routing that
 * sends two collections to one index.
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
   */
  static IndexRouting prefixed(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    return collection -> prefix + collection.toLowerCase(Locale.ROOT);
  }

  /**
   * Explicit names for some collections; every other collection goes to {@code prefix} plus its
   * lower-cased name. Names in {@code indices} are used as given (not prefixed).
   */
  static IndexRouting of(Map<String, String> indices, String prefix) {
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(prefix, "prefix");
    Map<String, String> copy = Map.copyOf(indices);
    IndexRouting fallback = prefixed(prefix);
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
