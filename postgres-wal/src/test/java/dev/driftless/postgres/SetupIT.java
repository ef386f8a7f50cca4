package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DriftlessException;
import dev.driftless.tck.Eventually;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Start-time checks fail with messages that say what to do; slots and publications are managed. */
class SetupIT {

  private static String db = "";

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("setup");
    exec(
        db,
        "CREATE TABLE keyed (id int PRIMARY KEY, v text)",
        "CREATE TABLE unkeyed (a int, b text)",
        "CREATE TABLE fullrow (a int NOT NULL, b text NOT NULL)",
        "CREATE TABLE fullgen (a int NOT NULL, g int GENERATED ALWAYS AS (a * 2) STORED)",
        "ALTER TABLE fullgen REPLICA IDENTITY FULL",
        "ALTER TABLE fullrow ALTER COLUMN b SET STORAGE PLAIN",
        "ALTER TABLE fullrow REPLICA IDENTITY FULL",
        "CREATE TABLE fullnullable (a int, b text NOT NULL)",
        "ALTER TABLE fullnullable REPLICA IDENTITY FULL",
        "CREATE TABLE fulltoast (a int NOT NULL, b text NOT NULL)",
        "ALTER TABLE fulltoast REPLICA IDENTITY FULL",
        "CREATE TABLE other (id int PRIMARY KEY)",
        "CREATE PUBLICATION only_keyed FOR TABLE keyed",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'norepl') THEN"
            + " CREATE ROLE norepl LOGIN; END IF;"
            + " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'noselect') THEN"
            + " CREATE ROLE noselect LOGIN REPLICATION; END IF; END $$",
        "GRANT SELECT ON keyed TO norepl");
  }

  private static void assertStartFails(PostgresSource source, String... messageParts)
      throws Exception {
    try {
      assertThatThrownBy(() -> source.start(PgTesting.context("setup")))
          .isInstanceOf(DriftlessException.class)
          .message()
          .contains(messageParts);
    } finally {
      source.close();
    }
  }

  @Test
  void aTableWithoutKeyIsRefusedWithWhatToDo() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_unkeyed", "pub_unkeyed").tables(List.of("unkeyed")).build(),
        "public.unkeyed",
        "primary key",
        "REPLICA IDENTITY");
  }

  @Test
  void replicaIdentityFullNeedsTheOptIn() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_full", "pub_full").tables(List.of("fullrow")).build(),
        "allowReplicaIdentityFull");

    PostgresSource allowed =
        PgTesting.source(db, "setup_full", "pub_full")
            .tables(List.of("fullrow"))
            .allowReplicaIdentityFull(true)
            .dropSlotOnClose(true)
            .build();
    allowed.start(PgTesting.context("setup"));
    exec(db, "INSERT INTO fullrow VALUES (1, 'x')", "UPDATE fullrow SET b = 'y'");
    PgTesting.Drain drain = new PgTesting.Drain(allowed).until(d -> d.events.size() >= 3);
    allowed.close();
    // Keyed by all columns: the update moves the document to a new key.
    assertThat(drain.events.get(1)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(drain.events.get(1).key().id()).isEqualTo("1,x");
    assertThat(drain.events.get(2).key().id()).isEqualTo("1,y");
  }

  /**
   * A keyless table whose rows could come without a key value mid-stream (a NULL, or an out-of-line
   * value an update of another column does not send) is refused at start, naming the columns,
   * instead of stopping the stream at the first such change (issue: "key column b has no value").
   */
  /**
   * A keyless table's generated column is not replicated, so it is no part of the key (it is a
   * function of the other columns): an insert streams (it stopped the stream with "the key columns
   * [a, g] are not replicated"). PostgreSQL 18 itself refuses updates of such a table.
   */
  @Test
  void aKeylessTableIsKeyedByItsReplicatedColumns() throws Exception {
    PostgresSource source =
        PgTesting.source(db, "setup_fullgen", "pub_fullgen")
            .tables(List.of("fullgen"))
            .allowReplicaIdentityFull(true)
            .dropSlotOnClose(true)
            .build();
    try {
      source.start(PgTesting.context("setup"));
      exec(db, "INSERT INTO fullgen VALUES (3)");
      PgTesting.Drain drain = new PgTesting.Drain(source).until(d -> d.hasKey("fullgen", "3"));
      assertThat(((ChangeEvent.Upsert) drain.last("fullgen", "3")).document().fields())
          .containsOnlyKeys("a");
    } finally {
      source.close();
    }
  }

  @Test
  void aKeylessTableWhoseKeyCouldGoMissingIsRefusedAtStart() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_fullnull", "pub_fullnull")
            .tables(List.of("fullnullable"))
            .allowReplicaIdentityFull(true)
            .build(),
        "public.fullnullable",
        "[a] may be NULL");
    assertStartFails(
        PgTesting.source(db, "setup_fulltoast", "pub_fulltoast")
            .tables(List.of("fulltoast"))
            .allowReplicaIdentityFull(true)
            .build(),
        "public.fulltoast",
        "[b] may be stored out of line",
        "SET STORAGE PLAIN");
  }

  @Test
  void aSlotOfAnotherPluginIsRefused() throws Exception {
    exec(db, "SELECT pg_create_logical_replication_slot('setup_testdecoding', 'test_decoding')");
    try {
      assertStartFails(
          PgTesting.source(db, "setup_testdecoding", "only_keyed").build(),
          "test_decoding",
          "pgoutput");
    } finally {
      exec(db, "SELECT pg_drop_replication_slot('setup_testdecoding')");
    }
  }

  @Test
  void aPublicationLackingAConfiguredTableIsRefused() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_pub", "only_keyed").tables(List.of("keyed", "other")).build(),
        "does not publish table public.other",
        "ALTER PUBLICATION");
  }

  @Test
  void aRoleWithoutReplicationIsRefused() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_role", "only_keyed")
            .database(PgTesting.database(db, "norepl"))
            .build(),
        "REPLICATION");
  }

  @Test
  void aRoleThatCannotReadTheTableIsRefused() throws Exception {
    assertStartFails(
        PgTesting.source(db, "setup_select", "only_keyed")
            .database(PgTesting.database(db, "noselect"))
            .build(),
        "GRANT SELECT");
  }

  @Test
  void temporarySlotsVanishAndPersistentOnesAreDroppedOnRequest() throws Exception {
    PostgresSource temp =
        PgTesting.source(db, "setup_temp", "only_keyed").temporarySlot(true).build();
    temp.start(PgTesting.context("setup"));
    assertThat(
            PgTesting.query(
                db, "SELECT temporary FROM pg_replication_slots WHERE slot_name = 'setup_temp'"))
        .isEqualTo("t");
    temp.close();
    Eventually.until(
        java.time.Duration.ofSeconds(10),
        "the temporary slot to go",
        () ->
            PgTesting.query(
                    db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'setup_temp'")
                .equals("0"));

    PostgresSource dropping =
        PgTesting.source(db, "setup_drop", "only_keyed").dropSlotOnClose(true).build();
    dropping.start(PgTesting.context("setup"));
    assertThat(
            PgTesting.query(
                db, "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'setup_drop'"))
        .isEqualTo("pgoutput");
    dropping.close();
    assertThat(
            PgTesting.query(
                db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'setup_drop'"))
        .isEqualTo("0");
  }

  @Test
  void aMissingPublicationIsCreatedForTheConfiguredTables() throws Exception {
    PostgresSource s =
        PgTesting.source(db, "setup_create", "created_pub")
            .tables(List.of("keyed"))
            .dropSlotOnClose(true)
            .build();
    s.start(PgTesting.context("setup"));
    s.close();
    assertThat(
            PgTesting.query(
                db, "SELECT tablename FROM pg_publication_tables WHERE pubname = 'created_pub'"))
        .isEqualTo("keyed");
  }
}
