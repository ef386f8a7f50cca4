package dev.driftless.dynamodb;

import java.util.Objects;
import java.util.Optional;

/**
 * How the source gives each change its {@link dev.driftless.core.Version} (the reasoning is in
 * {@code docs/dynamodb.md}).
 *
 * <ul>
 *   <li>{@link #attribute(String)}: a numeric attribute the application increases with every write
 *       (optimistic locking). Exact, whatever the timing; the preferred mode. A delete's version is
 *       its old image's value plus one, so the stream must carry old images ({@code
 *       NEW_AND_OLD_IMAGES} or {@code OLD_IMAGE}), and a re-created item must go on counting from
 *       there.
 *   <li>{@link #derived()}: from the stream itself, for tables without such an attribute: {@code
 *       ApproximateCreationDateTime} in seconds times 1,000,000 plus a per-key count within the
 *       second, continued from parent to child shard and across restarts.
 * </ul>
 */
public final class VersionStrategy {
  private final @org.jspecify.annotations.Nullable String attribute;

  private VersionStrategy(@org.jspecify.annotations.Nullable String attribute) {
    this.attribute = attribute;
  }

  /** Versions from the numeric item attribute {@code name} (a non-negative integer). */
  public static VersionStrategy attribute(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("the version attribute's name must not be blank");
    }
    return new VersionStrategy(name);
  }

  /** Versions derived from the stream's creation times and order. */
  public static VersionStrategy derived() {
    return new VersionStrategy(null);
  }

  /** The version attribute, if this strategy uses one. */
  public Optional<String> versionAttribute() {
    return Optional.ofNullable(attribute);
  }

  @Override
  public String toString() {
    return attribute == null ? "derived" : "attribute(" + attribute + ")";
  }
}
