package dev.driftless.core.spi;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import java.util.Optional;

/**
 * Turns a source row into the document to index, and chooses the collection it goes to.
 *
 * <p>Called from the pipeline's poll thread, one row at a time; must not block for long. An
 * exception makes that one event poison: it is dead-lettered with the exception's message and the
 * stream moves on. Returning {@link Optional#empty()} drops the row from the index: the pipeline
 * writes a versioned delete instead, so a row that stops matching a filter also leaves the index.
 */
@FunctionalInterface
public interface DocumentMapper {

  /** The document for {@code row}, or empty to keep the key out of the index. */
  Optional<Document> map(DocumentKey key, Document row) throws Exception;

  /**
   * The key in the index: by default the source key. Override to route a table to another
   * collection. Must be a pure function of the key.
   */
  default DocumentKey route(DocumentKey sourceKey) {
    return sourceKey;
  }

  /** Indexes each row as it is. */
  static DocumentMapper identity() {
    return (key, row) -> Optional.of(row);
  }
}
