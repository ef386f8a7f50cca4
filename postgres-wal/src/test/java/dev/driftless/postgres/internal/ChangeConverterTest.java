package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Version;
import dev.driftless.postgres.LsnPosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Row changes as pgoutput sends them, turned into events without a server: keys of every kind of
 * change, documents, the re-read of an unchanged out-of-line value, and the isolation of changes
 * that cannot be read (I5).
 */
class ChangeConverterTest {

  private static final int INT4 = 23;
  private static final int TEXT = 25;
  private static final PgOutputMessage.Relation RELATION =
      new PgOutputMessage.Relation(
          -1,
          16384,
          "public",
          "t",
          'd',
          List.of(
              new PgOutputMessage.Column(true, "id", TEXT, -1),
              new PgOutputMessage.Column(false, "big", TEXT, -1),
              new PgOutputMessage.Column(false, "n", INT4, -1)));
  private static final TableShape SHAPE = new TableShape("public", "t", List.of("id"), 'd');
  private static final ReplicatedRelation ENTRY = entry(null);

  private final List<ChangeEvent> events = new ArrayList<>();
  private final List<String> letters = new ArrayList<>();
  private final List<Long> rereadXids = new ArrayList<>();
  private @Nullable Document reread = Document.of("id", "k", "big", "re-read", "n", "5");
  private final DecodedTransaction tx = new DecodedTransaction(800, Instant.EPOCH, 77);

  private final ChangeConverter converter =
      new ChangeConverter(
          (oid, typmod, text) -> {
            if (text != null && text.equals("poison")) {
              throw new IllegalArgumentException("not a value");
            }
            return text;
          },
          (shape, columns, key, xid) -> {
            assertThat(columns)
                .extracting(RowDocument.Column::name)
                .containsExactly("id", "big", "n");
            rereadXids.add(xid);
            return Optional.ofNullable(reread);
          },
          new ChangeConverter.Output() {
            private long sequence;

            @Override
            public @Nullable LsnPosition nextPosition(DecodedTransaction t) {
              return new LsnPosition(t.commitLsn, sequence++);
            }

            @Override
            public void emit(ChangeEvent event, DecodedTransaction t) {
              events.add(event);
            }

            @Override
            public void unreadable(
                DocumentKey key,
                Version version,
                LsnPosition position,
                DecodedTransaction t,
                UnreadableChange failure) {
              letters.add(key.id() + " " + failure.errorType() + " " + failure.columns().keySet());
            }
          });

  private static ReplicatedRelation entry(@Nullable String unkeyable) {
    return new ReplicatedRelation(
        RELATION,
        0,
        SHAPE,
        new int[] {0},
        "t",
        unkeyable,
        List.of(
            new RowDocument.Column("id", TEXT, -1),
            new RowDocument.Column("big", TEXT, -1),
            new RowDocument.Column("n", INT4, -1)));
  }

  private static PgOutputMessage.TupleData row(char[] kinds, @Nullable String... values) {
    return new PgOutputMessage.TupleData(kinds, values);
  }

  @Test
  void anUnchangedOutOfLineKeyComesFromTheOldKey() throws Exception {
    // UPDATE t SET n = 2: the long key is "unchanged" in the new row, the server logs the old key.
    converter.convert(
        ENTRY,
        new PgOutputMessage.Update(
            -1,
            16384,
            'K',
            row(new char[] {'t', 'n', 'n'}, "long-key", null, null),
            row(new char[] {'u', 't', 't'}, null, "small", "2")),
        tx);
    assertThat(events)
        .singleElement()
        .satisfies(e -> assertThat(e.key().id()).isEqualTo("long-key"));
    assertThat(letters).isEmpty();
  }

  @Test
  void aChangeWithoutItsKeyIsDeadLetteredUnderAnUnknownKey() throws Exception {
    converter.convert(
        ENTRY,
        new PgOutputMessage.Update(
            -1, 16384, (char) 0, null, row(new char[] {'u', 't', 't'}, null, "small", "2")),
        tx);
    assertThat(events).isEmpty();
    assertThat(letters)
        .singleElement()
        .asString()
        .startsWith("?unkeyed@")
        .contains("unreadable:key");
  }

  @Test
  void aValueThatDoesNotDecodeIsDeadLetteredWithThatColumnOnly() throws Exception {
    converter.convert(
        ENTRY,
        new PgOutputMessage.Insert(
            -1, 16384, row(new char[] {'t', 't', 't'}, "k", "secret", "poison")),
        tx);
    assertThat(events).isEmpty();
    assertThat(letters).containsExactly("k unreadable:value [n]");
  }

  @Test
  void anUnchangedOutOfLineValueIsReReadSeeingTheTransaction() throws Exception {
    converter.convert(
        ENTRY,
        new PgOutputMessage.Update(
            -1, 16384, (char) 0, null, row(new char[] {'t', 'u', 't'}, "k", null, "5")),
        tx);
    assertThat(rereadXids).containsExactly(77L);
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.version()).isEqualTo(Version.of(800));
              assertThat(((ChangeEvent.Upsert) e).document().get("big")).isEqualTo("re-read");
            });
    assertThat(converter.rereads()).isEqualTo(1);
  }

  @Test
  void aRowDeletedBeforeItsReReadEmitsNothing() throws Exception {
    reread = null;
    converter.convert(
        ENTRY,
        new PgOutputMessage.Update(
            -1, 16384, (char) 0, null, row(new char[] {'t', 'u', 't'}, "k", null, "5")),
        tx);
    assertThat(events).isEmpty();
    assertThat(letters).isEmpty();
  }

  @Test
  void aKeyChangeDeletesTheOldKeyAndUpsertsTheNew() throws Exception {
    converter.convert(
        ENTRY,
        new PgOutputMessage.Update(
            -1,
            16384,
            'K',
            row(new char[] {'t', 'n', 'n'}, "old", null, null),
            row(new char[] {'t', 't', 't'}, "new", "b", "1")),
        tx);
    assertThat(events)
        .extracting(e -> e.getClass().getSimpleName() + " " + e.key().id())
        .containsExactly("Delete old", "Upsert new");
  }

  @Test
  void everyChangeOfAnUnkeyableTableIsDeadLettered() throws Exception {
    converter.convert(
        entry("the key columns [id] of public.t are not replicated"),
        new PgOutputMessage.Insert(-1, 16384, row(new char[] {'t', 't', 't'}, "k", "b", "1")),
        tx);
    assertThat(events).isEmpty();
    assertThat(letters).singleElement().asString().contains("unreadable:key");
  }
}
