package dev.driftless.dynamodb.internal;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * Turns one stream record into a {@link Fetched}: key, version, document. A stream without new
 * images (KEYS_ONLY, OLD_IMAGE) has the item re-read with a consistent {@code GetItem}; an item
 * gone by then is a delete at the record's version (its own REMOVE follows). A record that cannot
 * be read (a value of unknown type, a missing or invalid version attribute) becomes an unreadable
 * {@code Fetched} for the dead-letter store; a document carries its item's {@link ItemFingerprint}
 * (the same an item read from the table gets, see {@link ItemReads}); a record without a sequence
 * number is a protocol failure and throws. Thread-confined per shard: it advances the shard's
 * {@link VersionClock}.
 */
public final class RecordConverter {
  private static final String TTL_PRINCIPAL = "dynamodb.amazonaws.com";

  private final TableInfo table;
  private final @Nullable String versionAttribute;
  private final DynamoDbClient dynamoDb;
  private final ItemFingerprint fingerprint;

  /**
   * What the converter needs of a table.
   *
   * @param name the table
   * @param collection the collection its documents belong to
   * @param partitionKey the partition key attribute
   * @param sortKey the sort key attribute, if any
   * @param newImages whether stream records carry the new image
   */
  public record TableInfo(
      String name,
      String collection,
      String partitionKey,
      @Nullable String sortKey,
      boolean newImages) {}

  /** What the documents' fingerprints cover. */
  ItemFingerprint fingerprint() {
    return fingerprint;
  }

  /** A converter whose documents carry the fingerprint of every attribute. */
  public RecordConverter(
      TableInfo table, @Nullable String versionAttribute, DynamoDbClient dynamoDb) {
    this(table, versionAttribute, dynamoDb, ItemFingerprint.allAttributes());
  }

  /** A converter whose documents carry {@code fingerprint} of the item. */
  public RecordConverter(
      TableInfo table,
      @Nullable String versionAttribute,
      DynamoDbClient dynamoDb,
      ItemFingerprint fingerprint) {
    this.table = table;
    this.versionAttribute = versionAttribute;
    this.dynamoDb = dynamoDb;
    this.fingerprint = fingerprint;
  }

  /** The table this converter reads records of. */
  public TableInfo table() {
    return table;
  }

  /**
   * Converts {@code record} of {@code shard}, or returns {@code null} for a record created before
   * {@code notBeforeSecond} (a pipeline that started at LATEST). A failing re-read ({@code
   * GetItem}) throws before the clock moves, so the record can be converted again.
   */
  public @Nullable Fetched convert(
      String shard, Record record, VersionClock clock, long notBeforeSecond) {
    StreamRecord data = record.dynamodb();
    if (data == null || data.sequenceNumber() == null) {
      throw new IllegalStateException(
          "a stream record of shard " + shard + " has no sequence number");
    }
    SequenceNumber sequence = SequenceNumber.of(data.sequenceNumber());
    Instant created = data.approximateCreationDateTime();
    long second = created == null ? -1 : created.getEpochSecond();
    if (second >= 0 && second < notBeforeSecond) {
      return null;
    }
    Instant committedAt = created == null ? Instant.EPOCH : created;
    DocumentKey key;
    try {
      key =
          AttributeValues.key(
              table.collection(), table.partitionKey(), table.sortKey(), data.keys());
    } catch (IllegalArgumentException e) {
      DocumentKey unreadable = DocumentKey.of(table.collection(), "unreadable-key@" + sequence);
      return unreadable(shard, sequence, unreadable, 0, committedAt, -1, 0, record.eventID(), e);
    }
    if (second < 0) {
      return unreadable(
          shard,
          sequence,
          key,
          0,
          committedAt,
          -1,
          0,
          record.eventID(),
          new IllegalArgumentException("the record has no ApproximateCreationDateTime"));
    }
    String event = record.eventNameAsString();
    boolean remove = "REMOVE".equals(event);
    if (!remove && !"INSERT".equals(event) && !"MODIFY".equals(event)) {
      return unreadable(
          shard,
          sequence,
          key,
          0,
          committedAt,
          -1,
          0,
          record.eventID(),
          new IllegalArgumentException("unknown eventName '" + event + "'"));
    }
    @Nullable Map<String, AttributeValue> item = null;
    if (!remove) {
      item = table.newImages() && data.hasNewImage() ? data.newImage() : reRead(data.keys());
    }
    long clockSecond = -1;
    int clockCount = 0;
    long version = 0;
    if (versionAttribute == null) {
      version = clock.next(key.id(), second);
      // next() moves the second on when a key's count overflows; what it used is in the version.
      clockSecond = version / VersionClock.PER_SECOND;
      clockCount = (int) (version % VersionClock.PER_SECOND);
    }
    boolean ttl = remove && isTtl(record.userIdentity());
    try {
      if (versionAttribute != null) {
        version =
            remove
                ? versionOf(data.hasOldImage() ? data.oldImage() : null, "old image") + 1
                : item == null ? -1 : versionOf(item, "item");
        if (version < 0) {
          // A re-read found the item gone: its REMOVE, with its version, comes later.
          return null;
        }
      }
      if (remove || item == null) {
        return new Fetched(
            shard,
            sequence,
            key,
            version,
            null,
            committedAt,
            key.id(),
            clockSecond,
            clockCount,
            ttl,
            record.eventID(),
            null,
            null);
      }
      Document document = AttributeValues.document(item).withFingerprint(fingerprint.of(item));
      return new Fetched(
          shard,
          sequence,
          key,
          version,
          document,
          committedAt,
          key.id(),
          clockSecond,
          clockCount,
          false,
          record.eventID(),
          null,
          null);
    } catch (IllegalArgumentException e) {
      return unreadable(
          shard,
          sequence,
          key,
          Math.max(0, version),
          committedAt,
          clockSecond,
          clockCount,
          record.eventID(),
          e);
    }
  }

  private @Nullable Map<String, AttributeValue> reRead(Map<String, AttributeValue> keys) {
    GetItemResponse response =
        dynamoDb.getItem(b -> b.tableName(table.name()).key(keys).consistentRead(true));
    return response.hasItem() && !response.item().isEmpty() ? response.item() : null;
  }

  private long versionOf(@Nullable Map<String, AttributeValue> image, String what) {
    return ItemReads.versionOf(image, java.util.Objects.requireNonNull(versionAttribute), what);
  }

  private static boolean isTtl(@Nullable Identity identity) {
    return identity != null
        && "Service".equals(identity.type())
        && TTL_PRINCIPAL.equals(identity.principalId());
  }

  private static Fetched unreadable(
      String shard,
      SequenceNumber sequence,
      DocumentKey key,
      long version,
      Instant committedAt,
      long clockSecond,
      int clockCount,
      @Nullable String eventId,
      Exception e) {
    return new Fetched(
        shard,
        sequence,
        key,
        version,
        null,
        committedAt,
        key.id(),
        clockSecond,
        clockCount,
        false,
        eventId,
        e.getClass().getName(),
        String.valueOf(e.getMessage()));
  }
}
