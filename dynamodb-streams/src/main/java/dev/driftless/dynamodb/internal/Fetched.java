package dev.driftless.dynamodb.internal;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One stream record, converted and waiting to be handed out: an upsert ({@code document} set), a
 * delete, or an unreadable record for the dead-letter store ({@code error} set).
 *
 * @param shard the shard it was read from
 * @param sequence its sequence number
 * @param key its document key
 * @param version its version
 * @param document the item, for an upsert
 * @param committedAt its approximate creation time
 * @param keyId the key's id for the version clock
 * @param clockSecond the version clock's effective second used, or -1
 * @param clockCount the key's count before it in that second
 * @param ttlExpiry whether a REMOVE came from TTL expiry
 * @param eventId the record's {@code eventID}, if it has one
 * @param errorType for an unreadable record, the failure's class
 * @param error for an unreadable record, why
 */
public record Fetched(
    String shard,
    SequenceNumber sequence,
    DocumentKey key,
    long version,
    @Nullable Document document,
    Instant committedAt,
    String keyId,
    long clockSecond,
    int clockCount,
    boolean ttlExpiry,
    @Nullable String eventId,
    @Nullable String errorType,
    @Nullable String error) {

  public boolean unreadable() {
    return error != null;
  }

  /** The event's metadata: the record's id, and the TTL mark of a TTL delete. */
  public Map<String, String> metadata() {
    if (eventId == null) {
      return ttlExpiry ? Map.of(DynamoDbStreamsSource.METADATA_TTL, "true") : Map.of();
    }
    return ttlExpiry
        ? Map.of(
            DynamoDbStreamsSource.METADATA_EVENT_ID,
            eventId,
            DynamoDbStreamsSource.METADATA_TTL,
            "true")
        : Map.of(DynamoDbStreamsSource.METADATA_EVENT_ID, eventId);
  }
}
