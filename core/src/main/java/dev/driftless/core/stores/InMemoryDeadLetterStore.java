package dev.driftless.core.stores;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.DeadLetterStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A dead-letter store in memory: for tests and for pipelines that can afford to lose dead letters
 * on a crash (the pipeline commits past an event once the store holds it, so a crash loses the
 * letter but not the stream). Keeps one live letter per key as {@link DeadLetterStore} describes.
 * Thread-safe.
 */
public final class InMemoryDeadLetterStore implements DeadLetterStore {
  /** The live letter of each key, in the order each key was first put. */
  private final Map<DocumentKey, DeadLetter> byKey = new LinkedHashMap<>();

  private final Map<String, DocumentKey> keyById = new HashMap<>();

  /** An empty store. */
  public InMemoryDeadLetterStore() {}

  @Override
  public synchronized void put(DeadLetter letter) {
    Objects.requireNonNull(letter, "letter");
    DeadLetter stored = resolve(letter);
    if (stored == null) {
      return;
    }
    DocumentKey previousKeyOfId = keyById.get(stored.id());
    if (previousKeyOfId != null && !previousKeyOfId.equals(stored.key())) {
      byKey.remove(previousKeyOfId); // an id reused for another key: its old letter goes
    }
    DeadLetter replaced = byKey.put(stored.key(), stored); // a replaced key keeps its place
    if (replaced != null && !replaced.id().equals(stored.id())) {
      keyById.remove(replaced.id());
    }
    keyById.put(stored.id(), stored.key());
  }

  /**
   * What {@link #put} of {@code letter} would store: the letter itself, the letter merged with the
   * key's older letter, or {@code null} when the key holds a newer letter under another id.
   */
  synchronized @Nullable DeadLetter resolve(DeadLetter letter) {
    DeadLetter current = byKey.get(letter.key());
    if (current == null || current.id().equals(letter.id())) {
      return letter;
    }
    if (letter.version().compareTo(current.version()) < 0) {
      return null;
    }
    return supersede(current, letter);
  }

  /** {@code newer} in place of {@code older}: the first failure time kept, the attempts added. */
  static DeadLetter supersede(DeadLetter older, DeadLetter newer) {
    long attempts = (long) older.attempts() + newer.attempts();
    return new DeadLetter(
        newer.id(),
        newer.key(),
        newer.version(),
        newer.position(),
        newer.operation(),
        newer.payload(),
        newer.errorType(),
        newer.errorMessage(),
        (int) Math.min(Integer.MAX_VALUE, attempts),
        older.firstFailedAt().isBefore(newer.firstFailedAt())
            ? older.firstFailedAt()
            : newer.firstFailedAt(),
        older.lastFailedAt().isAfter(newer.lastFailedAt())
            ? older.lastFailedAt()
            : newer.lastFailedAt());
  }

  @Override
  public synchronized List<DeadLetter> list(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    List<DeadLetter> out = new ArrayList<>(Math.min(max, byKey.size()));
    for (DeadLetter letter : byKey.values()) {
      if (out.size() >= max) {
        break;
      }
      out.add(letter);
    }
    return out;
  }

  @Override
  public synchronized Optional<DeadLetter> get(String id) {
    DocumentKey key = keyById.get(Objects.requireNonNull(id, "id"));
    return key == null ? Optional.empty() : Optional.ofNullable(byKey.get(key));
  }

  @Override
  public synchronized boolean remove(String id) {
    DocumentKey key = keyById.remove(Objects.requireNonNull(id, "id"));
    if (key == null) {
      return false;
    }
    byKey.remove(key);
    return true;
  }

  @Override
  public synchronized long count() {
    return byKey.size();
  }
}
