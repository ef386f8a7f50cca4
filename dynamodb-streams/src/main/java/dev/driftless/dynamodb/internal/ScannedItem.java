package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One item a backfill scanned, converted on the scanning thread by {@link ItemReads} (the read
 * rule: the item's own version attribute, else the backfill's anchor), or, when it cannot be read
 * (a key or value it cannot decode, a missing or invalid version attribute), its reason for the
 * dead-letter store. The upsert's position is a placeholder until it is handed out.
 *
 * @param key the document key (a stand-in when the key itself is unreadable)
 * @param upsert the event, or {@code null} when unreadable
 * @param errorType the failure's class, when unreadable
 * @param error why it is unreadable
 */
record ScannedItem(
    DocumentKey key,
    ChangeEvent.@Nullable Upsert upsert,
    @Nullable String errorType,
    @Nullable String error) {
  /** Backfilled events say so: no commit time, so the pipeline measures no freshness for them. */
  private static final Map<String, String> BACKFILLED =
      Map.of(
          dev.driftless.core.ChangeEvent.READ_ORIGIN,
          "backfill",
          dev.driftless.dynamodb.DynamoDbStreamsSource.METADATA_READ,
          "backfill");

  private static final SourcePosition UNPLACED = () -> "backfill";

  boolean unreadable() {
    return upsert == null;
  }

  /** The event at its hand-out {@code position}. */
  ChangeEvent.Upsert at(SourcePosition position) {
    ChangeEvent.Upsert u = java.util.Objects.requireNonNull(upsert, "upsert");
    return new ChangeEvent.Upsert(
        u.key(), u.version(), position, u.document(), u.committedAt(), u.metadata());
  }

  Version version() {
    return upsert == null ? Version.of(0) : upsert.version();
  }

  static ScannedItem of(
      Map<String, AttributeValue> item, ItemReads reads, long anchor, Instant readAt) {
    DocumentKey key;
    try {
      key = reads.key(item);
    } catch (IllegalArgumentException e) {
      return new ScannedItem(
          DocumentKey.of(reads.table().collection(), "unreadable-key@" + item.hashCode()),
          null,
          e.getClass().getName(),
          String.valueOf(e.getMessage()));
    }
    try {
      return new ScannedItem(
          key, reads.upsert(item, anchor, UNPLACED, readAt, BACKFILLED), null, null);
    } catch (IllegalArgumentException e) {
      return new ScannedItem(key, null, e.getClass().getName(), String.valueOf(e.getMessage()));
    }
  }
}
