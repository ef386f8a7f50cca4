package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.DocumentMapper;
import java.util.Optional;

/** Applies the pipeline's {@link DocumentMapper} to a received event. Stateless. */
final class EventMapping {
  private EventMapping() {}

  /**
   * The event as the index should see it: routed to its index key; an upsert's row mapped to a
   * document (an empty mapping becomes a delete; a source fingerprint the mapper did not set is
   * kept). The raw event's metadata is kept.
   */
  static ChangeEvent map(DocumentMapper mapper, ChangeEvent raw) throws Exception {
    DocumentKey routed = mapper.route(raw.key());
    if (raw instanceof ChangeEvent.Upsert upsert) {
      Optional<Document> document = mapper.map(raw.key(), upsert.document());
      if (document.isEmpty()) {
        return ChangeEvent.delete(
            routed, raw.version(), raw.position(), raw.committedAt(), raw.metadata());
      }
      Document mapped = document.get();
      if (mapped.fingerprint().isEmpty() && upsert.document().fingerprint().isPresent()) {
        mapped = mapped.withFingerprint(upsert.document().fingerprint().getAsLong());
      }
      return ChangeEvent.upsert(
          routed, raw.version(), raw.position(), mapped, raw.committedAt(), raw.metadata());
    }
    if (routed.equals(raw.key())) {
      return raw;
    }
    return raw instanceof ChangeEvent.Truncate
        ? ChangeEvent.truncate(
            routed.collection(), raw.version(), raw.position(), raw.committedAt())
        : ChangeEvent.delete(
            routed, raw.version(), raw.position(), raw.committedAt(), raw.metadata());
  }
}
