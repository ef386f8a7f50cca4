package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.DocumentMapper;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link ChangeEvent#metadata()}: values, and what mapping and dead-lettering do with it. */
class EventMetadataTest {
  private static final DocumentKey KEY = DocumentKey.of("t", "1");
  private static final SourcePosition POS = SourcePosition.ofOffset(7);
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private static final Map<String, String> TTL = Map.of("dynamodb.ttl", "true");

  @Test
  void eventsWithoutMetadataHaveAnEmptyMapAndTheOldConstructorsStillWork() {
    ChangeEvent.Upsert upsert =
        new ChangeEvent.Upsert(KEY, Version.of(1), POS, Document.of("a", 1), AT);
    ChangeEvent.Delete delete = new ChangeEvent.Delete(KEY, Version.of(2), POS, AT);
    ChangeEvent truncate = ChangeEvent.truncate("t", Version.of(3), POS, AT);
    assertThat(upsert.metadata()).isEmpty();
    assertThat(delete.metadata()).isEmpty();
    assertThat(truncate.metadata()).isEmpty();
    assertThat(upsert)
        .isEqualTo(ChangeEvent.upsert(KEY, Version.of(1), POS, upsert.document(), AT));
    assertThat(delete).isEqualTo(ChangeEvent.delete(KEY, Version.of(2), POS, AT, Map.of()));
  }

  @Test
  void metadataIsCopiedImmutableNonNullAndPartOfEquality() {
    Map<String, String> given = new HashMap<>(TTL);
    ChangeEvent.Delete delete = ChangeEvent.delete(KEY, Version.of(2), POS, AT, given);
    given.put("dynamodb.eventID", "x");
    assertThat(delete.metadata()).isEqualTo(TTL);
    assertThatThrownBy(() -> delete.metadata().put("a", "b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(delete).isNotEqualTo(ChangeEvent.delete(KEY, Version.of(2), POS, AT));
    assertThat(delete.estimatedSizeBytes())
        .isGreaterThan(ChangeEvent.delete(KEY, Version.of(2), POS, AT).estimatedSizeBytes());
    assertThatThrownBy(() -> ChangeEvent.delete(KEY, Version.of(2), POS, AT, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("metadata");
    assertThatThrownBy(
            () -> ChangeEvent.upsert(KEY, Version.of(1), POS, Document.of("a", 1), AT, null))
        .hasMessageContaining("metadata");
  }

  @Test
  void mappingKeepsMetadataForUpsertsRoutedDeletesAndEmptyMappings() throws Exception {
    ChangeEvent.Upsert upsert =
        ChangeEvent.upsert(KEY, Version.of(1), POS, Document.of("a", 1), AT, TTL);
    assertThat(upsert.withDocument(Document.of("b", 2)).metadata()).isEqualTo(TTL);

    DocumentMapper routing =
        new DocumentMapper() {
          @Override
          public Optional<Document> map(DocumentKey key, Document row) {
            return Optional.of(Document.of("mapped", true));
          }

          @Override
          public DocumentKey route(DocumentKey sourceKey) {
            return DocumentKey.of("routed", sourceKey.id());
          }
        };
    ChangeEvent mapped = EventMapping.map(routing, upsert);
    assertThat(mapped).isInstanceOf(ChangeEvent.Upsert.class);
    assertThat(mapped.key().collection()).isEqualTo("routed");
    assertThat(mapped.metadata()).isEqualTo(TTL);

    ChangeEvent routedDelete =
        EventMapping.map(routing, ChangeEvent.delete(KEY, Version.of(2), POS, AT, TTL));
    assertThat(routedDelete.key().collection()).isEqualTo("routed");
    assertThat(routedDelete.metadata()).isEqualTo(TTL);

    ChangeEvent emptied = EventMapping.map((key, row) -> Optional.empty(), upsert);
    assertThat(emptied).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(emptied.metadata()).isEqualTo(TTL);
  }

  @Test
  void deadLettersDoNotKeepMetadataAndStillDescribeTheEvent() {
    DeadLetter letter =
        DeadLetter.of(
            "id", ChangeEvent.delete(KEY, Version.of(2), POS, AT, TTL), "bad", "why", 1, AT);
    assertThat(letter.operation()).isEqualTo("delete");
    assertThat(letter.key()).isEqualTo(KEY);
    assertThat(letter.payload()).isNull();
  }
}
