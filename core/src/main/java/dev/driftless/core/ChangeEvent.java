package dev.driftless.core;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One committed change of one key, as a source reports it. Events are values: immutable, validated
 * when built, and compared by their fields.
 *
 * <p>An event may arrive late, twice or out of order; its {@link #version()} lets the index keep
 * the newest state whatever the arrival order.
 *
 * <p><b>Metadata.</b> An event may carry {@link #metadata()}: string facts about the change that
 * the source knows and the document does not, for mappers, listeners and sinks that want them. Keys
 * are namespaced by the source that sets them, {@code <source>.<name>}; for example the DynamoDB
 * Streams source sets {@code dynamodb.eventID} (the stream record's id) on every event and {@code
 * dynamodb.ttl} = {@code true} on a delete made by TTL expiry. Metadata never affects versions,
 * ordering or settling, and the pipeline neither indexes it nor keeps it beyond the event's life:
 *
 * <ul>
 *   <li>mapping keeps it (a mapped upsert, or the delete an empty mapping becomes, carries the raw
 *       event's metadata);
 *   <li>coalescing keeps the metadata of the event that is written (the newest of a key), and the
 *       superseded events' metadata goes with them;
 *   <li>a {@link DeadLetter} does not store it, and a replay re-reads the key's current state from
 *       the source, which sets the metadata of the state it reads.
 * </ul>
 *
 * <p>One key belongs to Driftless itself: {@link #READ_ORIGIN} marks an event that is a read of the
 * current state (a backfill) rather than a change from the log.
 */
public sealed interface ChangeEvent
    permits ChangeEvent.Upsert, ChangeEvent.Delete, ChangeEvent.Truncate {

  DocumentKey key();

  Version version();

  /** Where in the source's log this change is; what gets committed once it is settled. */
  SourcePosition position();

  /**
   * When the source committed the change (used for lag by time and freshness); for an event read
   * from the current state ({@link #READ_ORIGIN}) the time it was read.
   */
  Instant committedAt();

  /**
   * The metadata key a source sets on an event that it read from the current state instead of the
   * change log, such as a backfilled row; the value says how ({@code "backfill"}). Such an event's
   * {@link #committedAt()} is its read time, so no freshness is measured for it.
   */
  String READ_ORIGIN = "driftless.read";

  /**
   * Whether this is a change from the change log, with the source's commit time: false for an event
   * marked with {@link #READ_ORIGIN}.
   */
  default boolean fromChangeLog() {
    return !metadata().containsKey(READ_ORIGIN);
  }

  /** A cheap estimate of the event's size in bytes, counted against the pipeline's byte bounds. */
  long estimatedSizeBytes();

  /**
   * Facts about the change that the source adds, keys namespaced by source (see the class
   * documentation); immutable, empty unless the source sets some.
   */
  default Map<String, String> metadata() {
    return Map.of();
  }

  /** The key's current state is {@code document}. */
  static Upsert upsert(
      DocumentKey key,
      Version version,
      SourcePosition position,
      Document document,
      Instant committedAt) {
    return new Upsert(key, version, position, document, committedAt);
  }

  /** The key's current state is {@code document}; the event carries {@code metadata}. */
  static Upsert upsert(
      DocumentKey key,
      Version version,
      SourcePosition position,
      Document document,
      Instant committedAt,
      Map<String, String> metadata) {
    return new Upsert(key, version, position, document, committedAt, metadata);
  }

  /** The key no longer exists. */
  static Delete delete(
      DocumentKey key, Version version, SourcePosition position, Instant committedAt) {
    return new Delete(key, version, position, committedAt);
  }

  /** The key no longer exists; the event carries {@code metadata}. */
  static Delete delete(
      DocumentKey key,
      Version version,
      SourcePosition position,
      Instant committedAt,
      Map<String, String> metadata) {
    return new Delete(key, version, position, committedAt, metadata);
  }

  /** Every row of {@code collection} was removed (SQL {@code TRUNCATE}). */
  static Truncate truncate(
      String collection, Version version, SourcePosition position, Instant committedAt) {
    return new Truncate(collection, version, position, committedAt);
  }

  /**
   * The key now holds {@code document}.
   *
   * @param key the document's key
   * @param version the source's version of this state
   * @param position the source position of the change
   * @param document the new state
   * @param committedAt the source's commit time
   * @param metadata facts the source adds (copied; see {@link ChangeEvent#metadata()})
   */
  record Upsert(
      DocumentKey key,
      Version version,
      SourcePosition position,
      Document document,
      Instant committedAt,
      Map<String, String> metadata)
      implements ChangeEvent {
    public Upsert {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(position, "position");
      Objects.requireNonNull(document, "document");
      Objects.requireNonNull(committedAt, "committedAt");
      metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    /** An upsert without metadata (the form before metadata existed). */
    public Upsert(
        DocumentKey key,
        Version version,
        SourcePosition position,
        Document document,
        Instant committedAt) {
      this(key, version, position, document, committedAt, Map.of());
    }

    /** The same change carrying another document (what a mapper produces); metadata is kept. */
    public Upsert withDocument(Document newDocument) {
      return new Upsert(key, version, position, newDocument, committedAt, metadata);
    }

    @Override
    public long estimatedSizeBytes() {
      return 64L
          + key.collection().length()
          + key.id().length()
          + document.estimatedSizeBytes()
          + metadataSizeBytes(metadata);
    }
  }

  /**
   * The key was deleted.
   *
   * @param key the deleted document's key
   * @param version the source's version of the deletion
   * @param position the source position of the change
   * @param committedAt the source's commit time
   * @param metadata facts the source adds (copied; see {@link ChangeEvent#metadata()})
   */
  record Delete(
      DocumentKey key,
      Version version,
      SourcePosition position,
      Instant committedAt,
      Map<String, String> metadata)
      implements ChangeEvent {
    public Delete {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(position, "position");
      Objects.requireNonNull(committedAt, "committedAt");
      metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    /** A delete without metadata (the form before metadata existed). */
    public Delete(DocumentKey key, Version version, SourcePosition position, Instant committedAt) {
      this(key, version, position, committedAt, Map.of());
    }

    @Override
    public long estimatedSizeBytes() {
      return 64L + key.collection().length() + key.id().length() + metadataSizeBytes(metadata);
    }
  }

  private static long metadataSizeBytes(Map<String, String> metadata) {
    long bytes = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      bytes += 16L + e.getKey().length() + e.getValue().length();
    }
    return bytes;
  }

  /**
   * Every row of a collection was removed at once (SQL {@code TRUNCATE}). A sink removes every
   * document of the collection whose version is at most this event's, and keeps newer ones. "At
   * most": changes made earlier in the same transaction share the truncation's version and are
   * removed too, while the same transaction's later changes are written after it.
   *
   * <p>The pipeline treats it as a barrier: every event received before it is settled before it is
   * written, and no later event is written until it is settled. Its {@link #key()} is the
   * collection's reserved key {@code (collection, "*")}, which routing maps like any other key.
   *
   * @param collection the truncated collection
   * @param version the source's version of the truncation
   * @param position the source position of the truncation
   * @param committedAt the source's commit time
   */
  record Truncate(String collection, Version version, SourcePosition position, Instant committedAt)
      implements ChangeEvent {

    /** The id of the reserved key that stands for a whole collection. */
    public static final String ALL_KEYS = "*";

    public Truncate {
      Objects.requireNonNull(collection, "collection");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(position, "position");
      Objects.requireNonNull(committedAt, "committedAt");
      if (collection.isBlank()) {
        throw new IllegalArgumentException("collection must not be blank");
      }
    }

    @Override
    public DocumentKey key() {
      return DocumentKey.of(collection, ALL_KEYS);
    }

    @Override
    public long estimatedSizeBytes() {
      return 64L + collection.length();
    }
  }
}
