package dev.driftless.tck;

import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;

/** Core's in-memory dead-letter store passes the store contract (D1.1–D1.9; D1.6 is skipped). */
class InMemoryDeadLetterStoreTest extends DeadLetterStoreContract {

  @Override
  protected DeadLetterStore createStore() {
    return new InMemoryDeadLetterStore();
  }
}
