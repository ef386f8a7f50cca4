package dev.driftless.tck;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.ChangeSource;

/** The reference source passes the source contract (C1.1–C1.8). */
class InMemoryChangeSourceTest extends ChangeSourceContract {

  @Override
  protected ChangeSourceFixture createFixture() {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    return new ChangeSourceFixture() {
      @Override
      public String collection() {
        return "items";
      }

      @Override
      public ChangeSource createSource(String pipelineName) {
        return new InMemoryChangeSource(log);
      }

      @Override
      public void insert(String id, String value) {
        log.upsert(DocumentKey.of("items", id), Document.of("id", id, "value", value));
      }

      @Override
      public void update(String id, String value) {
        insert(id, value);
      }

      @Override
      public void delete(String id) {
        log.delete(DocumentKey.of("items", id));
      }
    };
  }
}
