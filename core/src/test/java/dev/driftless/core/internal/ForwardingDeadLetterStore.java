package dev.driftless.core.internal;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.spi.DeadLetterStore;
import java.util.List;
import java.util.Optional;

/** A dead-letter store that forwards every call to another; tests override what they interleave. */
class ForwardingDeadLetterStore implements DeadLetterStore {
  private final DeadLetterStore delegate;

  ForwardingDeadLetterStore(DeadLetterStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public void put(DeadLetter letter) throws Exception {
    delegate.put(letter);
  }

  @Override
  public List<DeadLetter> list(int max) throws Exception {
    return delegate.list(max);
  }

  @Override
  public Optional<DeadLetter> get(String id) throws Exception {
    return delegate.get(id);
  }

  @Override
  public boolean remove(String id) throws Exception {
    return delegate.remove(id);
  }

  @Override
  public long count() throws Exception {
    return delegate.count();
  }
}
