package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Items read from the table (by {@code Scan}, {@code GetItem} or {@code BatchGetItem}) as change
 * events, versioned by the <em>read rule</em> so that a read never beats a stream change it did not
 * see (the reasoning is in {@code docs/dynamodb.md}, "Versions"):
 *
 * <ul>
 *   <li>with a version attribute, an item's version is the attribute's value, exactly as the stream
 *       gives it: the read and the stream agree, whatever the timing;
 *   <li>derived, every item of a read that started at {@code T} gets the {@linkplain #anchor
 *       anchor} {@code (second(T) - margin) * 1,000,000 - 1}: every stream change made after the
 *       read started has a creation second of at least {@code second(T) - margin} (the margin
 *       covers {@code ApproximateCreationDateTime}'s truncation to the second and clock skew) and
 *       so a version of at least {@code (second(T) - margin) * 1,000,000}, strictly above the
 *       anchor.
 * </ul>
 *
 * <p>An upsert carries the document, its {@link ItemFingerprint} and the given metadata; a key the
 * read did not find is a {@linkplain #missing delete}. Stateless apart from its settings;
 * thread-safe.
 */
public final class ItemReads {
  /** The default margin of the derived anchor below the read's start. */
  public static final Duration DEFAULT_MARGIN = Duration.ofMinutes(1);

  private final RecordConverter.TableInfo table;
  private final @Nullable String versionAttribute;
  private final ItemFingerprint fingerprint;

  /**
   * @param table the table read
   * @param versionAttribute the version attribute, or {@code null} for derived versions
   * @param fingerprint what the documents' fingerprints cover (the stream source's setting)
   */
  public ItemReads(
      RecordConverter.TableInfo table,
      @Nullable String versionAttribute,
      ItemFingerprint fingerprint) {
    this.table = Objects.requireNonNull(table, "table");
    this.versionAttribute = versionAttribute;
    this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
  }

  /** The table read. */
  public RecordConverter.TableInfo table() {
    return table;
  }

  /** The fingerprint definition used. */
  public ItemFingerprint fingerprint() {
    return fingerprint;
  }

  /** Whether versions come from an attribute (otherwise: the derived anchor). */
  public boolean attributeVersions() {
    return versionAttribute != null;
  }

  /**
   * The derived version of every item of a read that started at {@code readStart}: {@code
   * (readStart's second - margin, rounded up to whole seconds) * 1,000,000 - 1}, at least 0.
   */
  public static long anchor(Instant readStart, Duration margin) {
    Objects.requireNonNull(readStart, "readStart");
    if (margin.isNegative()) {
      throw new IllegalArgumentException("margin must not be negative: " + margin);
    }
    long marginSeconds = margin.getSeconds() + (margin.getNano() > 0 ? 1 : 0);
    long second = readStart.getEpochSecond() - marginSeconds;
    if (second <= 0) {
      return 0;
    }
    return Math.multiplyExact(Math.min(second, VersionClock.MAX_SECOND), VersionClock.PER_SECOND)
        - 1;
  }

  /**
   * The document key of an item read from the table (its key attributes).
   *
   * @throws IllegalArgumentException if a key attribute is missing or of a wrong type
   */
  public DocumentKey key(Map<String, AttributeValue> item) {
    return AttributeValues.key(table.collection(), table.partitionKey(), table.sortKey(), item);
  }

  /**
   * The upsert of an item the read found.
   *
   * @param item the item as read (all its attributes, or at least the fingerprinted ones)
   * @param anchor the read's {@link #anchor} (ignored with a version attribute)
   * @param position the event's position
   * @param committedAt the event's commit time (the read's time)
   * @param metadata the event's metadata
   * @throws IllegalArgumentException for an item that cannot be read (a key attribute missing or of
   *     a wrong type, a value of an unknown type, a missing or invalid version attribute): the
   *     caller dead-letters it with this reason
   */
  public ChangeEvent.Upsert upsert(
      Map<String, AttributeValue> item,
      long anchor,
      SourcePosition position,
      Instant committedAt,
      Map<String, String> metadata) {
    DocumentKey key = key(item);
    long version = versionAttribute == null ? anchor : versionOf(item, versionAttribute, "item");
    Document document = AttributeValues.document(item).withFingerprint(fingerprint.of(item));
    return ChangeEvent.upsert(key, Version.of(version), position, document, committedAt, metadata);
  }

  /**
   * The delete of a key the read did not find.
   *
   * <p>Derived, its version is the read's anchor: below every later stream change (a re-insert
   * after the read wins), above every change older than the margin (a phantom left by a lost delete
   * goes).
   *
   * <p>With a version attribute the read cannot know the item's last version. The delete then takes
   * the version the index holds for the key, {@code indexVersion}: with the sinks' {@code
   * external_gte} versioning that removes exactly the phantom, and a later re-insert, which counts
   * on past the item's last version (see {@code VersionStrategy}), is not blocked by it. Without
   * {@code indexVersion} (the index holds nothing, or was not asked) the delete has version 0: it
   * removes nothing the index holds at a version above 0 and blocks nothing.
   *
   * @param key the key not found
   * @param anchor the read's {@link #anchor} (ignored with a version attribute)
   * @param indexVersion the version the index holds for the key, if known
   * @param position the event's position
   * @param committedAt the event's commit time (the read's time)
   * @param metadata the event's metadata
   */
  public ChangeEvent.Delete missing(
      DocumentKey key,
      long anchor,
      OptionalLong indexVersion,
      SourcePosition position,
      Instant committedAt,
      Map<String, String> metadata) {
    long version = versionAttribute == null ? anchor : indexVersion.orElse(0);
    return ChangeEvent.delete(key, Version.of(version), position, committedAt, metadata);
  }

  /**
   * The value of the numeric version attribute {@code name} in {@code image}.
   *
   * @throws IllegalArgumentException if it is missing, not an integer, or outside [0, 2^63-2]
   */
  static long versionOf(@Nullable Map<String, AttributeValue> image, String name, String what) {
    AttributeValue value = image == null ? null : image.get(name);
    if (value == null || value.n() == null) {
      throw new IllegalArgumentException(
          "the " + what + " has no numeric version attribute '" + name + "'");
    }
    try {
      long v = Long.parseLong(value.n());
      if (v < 0 || v == Long.MAX_VALUE) {
        throw new IllegalArgumentException(
            "version attribute '" + name + "' out of range [0, 2^63-2]: " + value.n());
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "version attribute '" + name + "' is not an integer that fits a long: " + value.n(), e);
    }
  }
}
