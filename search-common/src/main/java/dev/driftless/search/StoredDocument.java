package dev.driftless.search;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Version;
import java.util.Objects;

/**
 * What the index holds for one key, read back in real time (no refresh needed).
 *
 * @param key the key
 * @param version the external version the engine holds
 * @param document the document without Driftless metadata fields, carrying its row fingerprint when
 *     one was written; empty for a tombstone
 * @param tombstone whether this is a tombstone (tombstone mode: the key is deleted)
 */
public record StoredDocument(
    DocumentKey key, Version version, Document document, boolean tombstone) {
  public StoredDocument {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(document, "document");
  }
}
