package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A change the source cannot turn into an event is isolated, not fatal (I5): it goes to the
 * dead-letter store with its table, key where known, the raw text of the columns concerned (never
 * the whole row) and the reason, and the stream moves on. Before the fix the first kind was indexed
 * as raw text under a type it does not have, and the second stopped the stream for good.
 */
class UnreadableChangeIT {

  @Test
  void aValueThatDoesNotDecodeIsDeadLetteredAndTheStreamMovesOn() throws Exception {
    String db = PgTesting.newDatabase("unreadable");
    exec(db, "CREATE TABLE docs (id int PRIMARY KEY, body jsonb, secret text)");
    Letters letters = new Letters();
    try (PostgresSource source =
        PgTesting.source(db, "unreadable_value", "unreadable_value")
            .tables(List.of("docs"))
            .dropSlotOnClose(true)
            .build()) {
      source.start(letters);
      // Nested deeper than the decoder's limit (docs/postgres-types.md): valid jsonb, not a value
      // a document can hold.
      exec(
          db,
          "INSERT INTO docs VALUES (1, (repeat('[', 1001) || repeat(']', 1001))::jsonb, 'pw1')",
          "INSERT INTO docs VALUES (2, '{\"a\": 1}', 'pw2')");
      PgTesting.Drain drain = new PgTesting.Drain(source).until(d -> d.hasKey("docs", "2"));

      assertThat(drain.hasKey("docs", "1")).as("no event for the unreadable row").isFalse();
      assertThat(letters.list).singleElement().satisfies(this::isTheDeepJsonLetter);
      // Replay re-reads the row, which is still unreadable: the letter stays, nothing is indexed.
      assertThatThrownBy(
              () ->
                  source
                      .repairReader()
                      .orElseThrow()
                      .readCurrent(List.of(DocumentKey.of("docs", "1"))))
          .hasMessageContaining("column body of public.docs");
    }
  }

  private void isTheDeepJsonLetter(DeadLetter letter) {
    assertThat(letter.key()).isEqualTo(DocumentKey.of("docs", "1"));
    assertThat(letter.operation()).isEqualTo("unreadable");
    assertThat(letter.errorType()).isEqualTo("unreadable:value");
    assertThat(letter.errorMessage()).contains("column body of docs", "jsonb", "1000 levels");
    assertThat(letter.payload()).isNotNull();
    // The raw text of the column concerned only: never the row's other columns.
    assertThat(letter.payload().fields()).containsOnlyKeys("body");
    assertThat((String) letter.payload().fields().get("body")).startsWith("[[[[");
  }

  @Test
  void aChangeWithoutItsKeyIsDeadLetteredAndTheStreamMovesOn() throws Exception {
    String db = PgTesting.newDatabase("unreadable");
    exec(
        db,
        "CREATE TABLE kl (a int NOT NULL, b int NOT NULL)",
        "ALTER TABLE kl REPLICA IDENTITY FULL",
        "CREATE TABLE other (id int PRIMARY KEY)");
    Letters letters = new Letters();
    try (PostgresSource source =
        PgTesting.source(db, "unreadable_key", "unreadable_key")
            .tables(List.of("kl", "other"))
            .allowReplicaIdentityFull(true)
            .dropSlotOnClose(true)
            .build()) {
      source.start(letters);
      exec(db, "INSERT INTO kl VALUES (1, 1)");
      PgTesting.Drain drain = new PgTesting.Drain(source).until(d -> d.hasKey("kl", "1,1"));
      // Mid-stream the keyless table changes so that its rows can no longer be keyed: a key column
      // goes and a nullable one comes. Refused at start, this is found now, by a change.
      exec(
          db,
          "ALTER TABLE kl DROP COLUMN b",
          "ALTER TABLE kl ADD COLUMN c int",
          "INSERT INTO kl VALUES (2, NULL)",
          "INSERT INTO other VALUES (7)");
      drain.until(d -> d.hasKey("other", "7"));

      assertThat(letters.list)
          .singleElement()
          .satisfies(
              letter -> {
                assertThat(letter.key().collection()).isEqualTo("kl");
                assertThat(letter.key().id()).startsWith("?unkeyed@");
                assertThat(letter.errorType()).isEqualTo("unreadable:key");
                assertThat(letter.errorMessage()).contains("public.kl", "[c] may be NULL");
              });
      assertThat(drain.events.stream().map(ChangeEvent::key).map(DocumentKey::collection))
          .containsOnly("kl", "other");
    }
  }

  /** A context whose dead-letter store is a list. */
  private static final class Letters implements SourceContext {
    final List<DeadLetter> list = new CopyOnWriteArrayList<>();
    private final CheckpointStore store = new InMemoryCheckpointStore();

    @Override
    public String pipelineName() {
      return "unreadable";
    }

    @Override
    public CheckpointStore checkpointStore() {
      return store;
    }

    @Override
    public void deadLetter(DeadLetter letter) {
      list.add(letter);
    }
  }
}
