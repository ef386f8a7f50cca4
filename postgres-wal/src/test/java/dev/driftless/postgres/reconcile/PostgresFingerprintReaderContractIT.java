package dev.driftless.postgres.reconcile;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.tck.FingerprintReaderContract;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL reader passes the TCK's reader contract (F1–F6): a composite key with text parts
 * that need escaping, read through a session set up to render text differently (I8).
 */
class PostgresFingerprintReaderContractIT extends FingerprintReaderContract {

  private static @Nullable PostgresFingerprintReader reader;

  private static synchronized PostgresFingerprintReader shared() throws Exception {
    PostgresFingerprintReader r = reader;
    if (r == null) {
      ReconcileDatabase.exec(
          "DROP TABLE IF EXISTS contract_rows",
          "CREATE TABLE contract_rows (tenant text, id int, v text, ts timestamptz,"
              + " PRIMARY KEY (tenant, id))",
          // Tenants with commas, backslashes, spaces and non-ASCII text; 240 rows, 40 deleted.
          "INSERT INTO contract_rows SELECT (ARRAY['plain', 'a,b', 'back\\slash', 'with space',"
              + " '日本語'])[1 + g % 5], g, 'value ' || g, timestamptz '2026-01-01 00:00:00+00'"
              + " + g * interval '1 hour' FROM generate_series(1, 240) g",
          "DELETE FROM contract_rows WHERE id % 6 = 0",
          // Keys at the edges (F7): an empty tenant, and a tenant of 2,500 characters.
          "INSERT INTO contract_rows VALUES ('', 1000, 'empty tenant', NULL),"
              + " ('"
              + LONG_TENANT
              + "', 1001, 'long tenant', NULL)");
      r = ReconcileDatabase.reader().table("public", "contract_rows").build();
      reader = r;
    }
    return r;
  }

  @Override
  protected FingerprintReader reader() throws Exception {
    return shared();
  }

  @Override
  protected String collection() {
    return "contract_rows";
  }

  /** 2,500 characters with commas and backslashes, which the composite id escapes. */
  private static final String LONG_TENANT = "日本語,\\".repeat(500);

  @Override
  protected List<String> edgeIds() {
    return List.of(
        DocumentKey.composite("x", List.of("", "1000")).id(),
        DocumentKey.composite("x", List.of(LONG_TENANT, "1001")).id());
  }

  @Override
  protected List<String> absentIds() {
    return List.of(
        DocumentKey.composite("x", List.of("plain", "30")).id(), // deleted
        DocumentKey.composite("x", List.of("nobody", "1")).id(),
        DocumentKey.composite("x", List.of("", "1001")).id(),
        DocumentKey.composite("x", List.of("plain", "not a number")).id(), // cannot be a key
        "no comma at all"); // not a composite id
  }
}
