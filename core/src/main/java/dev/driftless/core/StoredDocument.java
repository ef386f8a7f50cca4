package dev.driftless.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What an index holds for one key: a version and either a document or a deleted marker (a
 * tombstone, for sinks that keep deleted documents' versions). Returned by the sinks' point reads
 * ({@code OpenSearchSink.get}, {@code ElasticsearchSink.get}), whose documents carry their row
 * {@linkplain Document#fingerprint() fingerprint} when one was written, and by the TCK's in-memory
 * sink.
 *
 * @param version the external version the index holds
 * @param document the document, or {@code null} exactly when {@code deleted}
 * @param deleted whether this is a deleted marker
 */
public record StoredDocument(Version version, @Nullable Document document, boolean deleted) {

  public StoredDocument {
    Objects.requireNonNull(version, "version");
    if (deleted != (document == null)) {
      throw new IllegalArgumentException(
          "a stored document has a document exactly when it is not deleted (deleted="
              + deleted
              + ", document="
              + document
              + ")");
    }
  }

  /** A live document of {@code version}. */
  public static StoredDocument live(Version version, Document document) {
    return new StoredDocument(version, Objects.requireNonNull(document, "document"), false);
  }

  /** A deleted marker of {@code version}. */
  public static StoredDocument deletedAt(Version version) {
    return new StoredDocument(version, null, true);
  }
}
