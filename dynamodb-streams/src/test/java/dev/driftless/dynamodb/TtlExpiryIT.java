package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Event metadata through the real SDK: every event carries its stream record's {@code eventID}, and
 * a delete made by TTL expiry (the emulator's TTL sweep, as the service) is marked {@code
 * dynamodb.ttl=true} while a user's delete is not.
 */
class TtlExpiryIT {
  private static final String TABLE = "items";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void aTtlDeleteIsMarkedAndEveryEventCarriesItsEventId() throws Exception {
    // One partition: one shard holds every record in write order, the TTL sweep's REMOVE last.
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder().partitions(1).noTimedRollover().build().start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      e.ddb.updateTimeToLive(
          b ->
              b.tableName(TABLE)
                  .timeToLiveSpecification(s -> s.enabled(true).attributeName("expires")));
      long past = e.emulator.now().getEpochSecond() - 10;
      e.ddb.putItem(
          b ->
              b.tableName(TABLE)
                  .item(
                      Map.of(
                          "id", AttributeValue.fromS("expiring"),
                          "value", AttributeValue.fromS("1"),
                          "expires", AttributeValue.fromN(Long.toString(past)))));
      e.put(TABLE, "removed", "2");
      e.put(TABLE, "kept", "3");
      e.delete(TABLE, "removed");
      assertThat(e.emulator.expireTtl()).isEqualTo(1);

      DynamoDbStreamsSource source = e.source(TABLE).build();
      List<ChangeEvent> events;
      try {
        source.start(Drive.context("ttl", new InMemoryCheckpointStore()));
        events =
            Drive.run(
                source,
                sink,
                true,
                TIMEOUT,
                () -> source.statusDetails().get("ttlDeletes").equals(1L));
      } finally {
        source.close();
      }

      assertThat(events).hasSize(5);
      Set<String> eventIds = new HashSet<>();
      for (ChangeEvent event : events) {
        String id = event.metadata().get(DynamoDbStreamsSource.METADATA_EVENT_ID);
        assertThat(id).as("eventID of %s", event).isNotBlank();
        eventIds.add(id);
      }
      assertThat(eventIds).as("distinct eventIDs").hasSize(events.size());

      List<ChangeEvent> deletes =
          events.stream().filter(ev -> ev instanceof ChangeEvent.Delete).toList();
      assertThat(deletes).hasSize(2);
      for (ChangeEvent delete : deletes) {
        String ttl = delete.metadata().get(DynamoDbStreamsSource.METADATA_TTL);
        if (delete.key().id().equals("expiring")) {
          assertThat(ttl).isEqualTo("true");
        } else {
          assertThat(ttl).as("a user's delete").isNull();
        }
      }
      assertThat(events.stream().filter(ev -> ev instanceof ChangeEvent.Upsert))
          .allSatisfy(
              ev ->
                  assertThat(ev.metadata()).doesNotContainKey(DynamoDbStreamsSource.METADATA_TTL));
      assertThat(Drive.values(sink, "value")).isEqualTo(Map.of("kept", "3"));
    }
  }
}
