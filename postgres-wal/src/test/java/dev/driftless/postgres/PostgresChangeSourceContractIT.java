package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;

import dev.driftless.core.spi.ChangeSource;
import dev.driftless.tck.ChangeSourceContract;
import dev.driftless.tck.ChangeSourceFixture;
import dev.driftless.tck.Eventually;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/** The TCK's ChangeSource rules (C1.1 to C1.8) against a real server. */
class PostgresChangeSourceContractIT extends ChangeSourceContract {

  private static String db = "";

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("contract");
    exec(db, "CREATE TABLE contract (id text PRIMARY KEY, value text)");
  }

  @Override
  protected ChangeSourceFixture createFixture() {
    return new ChangeSourceFixture() {
      @Override
      public String collection() {
        return "contract";
      }

      @Override
      public ChangeSource createSource(String pipelineName) {
        return PgTesting.source(db, pipelineName, "contract_pub")
            .tables(List.of("contract"))
            .build();
      }

      @Override
      public void insert(String id, String value) throws Exception {
        run("INSERT INTO contract VALUES (?, ?)", id, value);
      }

      @Override
      public void update(String id, String value) throws Exception {
        run("UPDATE contract SET value = ? WHERE id = ?", value, id);
      }

      @Override
      public void delete(String id) throws Exception {
        run("DELETE FROM contract WHERE id = ?", id);
      }

      @Override
      public void dropPipeline(String pipelineName) throws Exception {
        Eventually.until(
            java.time.Duration.ofSeconds(10),
            "slot " + pipelineName + " to be released",
            () -> {
              try {
                run(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = ?",
                    pipelineName);
                return true;
              } catch (java.sql.SQLException e) {
                return false; // still held by the walsender that is exiting
              }
            });
      }
    };
  }

  private static void run(String sql, String... params) throws Exception {
    try (Connection c = PgTesting.server().connect(db);
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      ps.execute();
    }
  }
}
