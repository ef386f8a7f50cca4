package dev.driftless.core.stores;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.spi.DeadLetterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A dead-letter store in memory: for tests and for pipelines that can afford to lose dead letters
 * on a crash (the pipeline commits past an event once the store holds it, so a crash loses the
 * letter but not the stream). Thread-safe.
 */
public final class InMemoryDeadLetterStore implements DeadLetterStore {
  private final Map<String, DeadLetter> letters = new LinkedHashMap<>();

  @Override
  public synchronized void put(DeadLetter letter) {
    Objects.requireNonNull(letter, "letter");
    letters.put(letter.id(), letter);
  }

  @Override
  public synchronized List<DeadLetter> list(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    List<DeadLetter> out = new ArrayList<>(Math.min(max, letters.size()));
    for (DeadLetter letter : letters.values()) {
      if (out.size() >= max) {
        break;
      }
      out.add(letter);
    }
    return out;
  }

  @Override
  public synchronized Optional<DeadLetter> get(String id) {
    return Optional.ofNullable(letters.get(Objects.requireNonNull(id, "id")));
  }

  @Override
  public synchronized boolean remove(String id) {
    return letters.remove(Objects.requireNonNull(id, "id")) != null;
  }

  @Override
  public synchronized long count() {
    return letters.size();
  }
}
