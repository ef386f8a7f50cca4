package dev.driftless.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The suite's verdict, computed without any Driftless reader: the table by plain JDBC, the index by
 * plain HTTP ({@code java.net.http}: {@code _refresh}, then a {@code _search} scroll in index order
 * with {@code version: true}), the dead-letter store by reading its JSON-lines file.
 *
 * <p>Expected: every valid row (name not poison) has a document whose every column equals the
 * row's, whose engine {@code _version} is at least the row's {@code wlsn} (a lower bound of the
 * commit LSN of the row's last write); no other document (no phantom, no poison row); and the
 * dead-letter file's live letters are exactly the poison rows, one per key, each at a version at
 * least the row's {@code wlsn} (the latest version of the key).
 */
final class IndependentComparison {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> COLUMNS =
      List.of("id", "name", "qty", "note", "body", "rev", "wlsn");

  private final PostgresServer server;
  private final String database;
  private final IndexDocuments indexDocuments;
  private final Path deadLetters;

  IndependentComparison(
      PostgresServer server, String database, String indexUrl, String index, Path deadLetters) {
    this.server = server;
    this.database = database;
    this.indexDocuments = new IndexDocuments(indexUrl, index);
    this.deadLetters = deadLetters;
  }

  /** What one comparison found. */
  record Result(
      int rows,
      int poisonRows,
      int documents,
      List<String> missing,
      List<String> stale,
      List<String> phantom,
      int letters,
      List<String> letterProblems) {

    boolean clean() {
      return missing.isEmpty() && stale.isEmpty() && phantom.isEmpty() && letterProblems.isEmpty();
    }

    String summary() {
      return "rows="
          + rows
          + " (poison "
          + poisonRows
          + "), documents="
          + documents
          + ", letters="
          + letters
          + "; missing="
          + missing.size()
          + " "
          + first(missing)
          + ", stale="
          + stale.size()
          + " "
          + first(stale)
          + ", phantom="
          + phantom.size()
          + " "
          + first(phantom)
          + ", dead-letter problems="
          + letterProblems.size()
          + " "
          + first(letterProblems);
    }

    private static List<String> first(List<String> list) {
      return list.subList(0, Math.min(10, list.size()));
    }
  }

  Result compare() throws Exception {
    Map<String, Map<String, String>> rows = rows();
    Map<String, JsonNode> docs = documents();
    Map<String, Long> letters = liveLetters();
    List<String> missing = new ArrayList<>();
    List<String> stale = new ArrayList<>();
    List<String> phantom = new ArrayList<>();
    List<String> letterProblems = new ArrayList<>();
    int poison = 0;
    for (Map.Entry<String, Map<String, String>> e : rows.entrySet()) {
      String id = e.getKey();
      Map<String, String> row = e.getValue();
      long wlsn = Long.parseLong(row.get("wlsn"));
      boolean isPoison = row.get("name").startsWith(Workload.POISON_PREFIX);
      if (isPoison) {
        poison++;
        Long letter = letters.get(id);
        if (letter == null) {
          letterProblems.add(id + ": poison row without a dead letter");
        } else if (letter < wlsn) {
          letterProblems.add(
              id + ": letter at version " + letter + " older than the row's write at " + wlsn);
        }
        if (docs.containsKey(id)) {
          phantom.add(id + " (a poison row indexed)");
        }
        continue;
      }
      if (letters.containsKey(id)) {
        letterProblems.add(id + ": a valid row has a dead letter");
      }
      JsonNode hit = docs.get(id);
      if (hit == null) {
        missing.add(id);
        continue;
      }
      JsonNode source = hit.get("_source");
      List<String> differences = new ArrayList<>();
      for (String column : COLUMNS) {
        String expected = row.get(column);
        JsonNode actual = source.get(column);
        String actualText = actual == null || actual.isNull() ? null : actual.asText();
        if (!Objects.equals(expected, actualText)) {
          differences.add(
              column + " " + abbreviate(actualText) + " instead of " + abbreviate(expected));
        }
      }
      long version = hit.get("_version").asLong();
      if (version < wlsn) {
        differences.add("version " + version + " below the row's write at " + wlsn);
      }
      if (!differences.isEmpty()) {
        stale.add(id + " " + differences);
      }
    }
    for (String id : docs.keySet()) {
      if (!rows.containsKey(id)) {
        phantom.add(id);
      }
    }
    for (String id : letters.keySet()) {
      if (!rows.containsKey(id)) {
        letterProblems.add(id + ": a letter for a key the table does not hold");
      }
    }
    return new Result(
        rows.size(), poison, docs.size(), missing, stale, phantom, letters.size(), letterProblems);
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "null";
    }
    return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 20) + "…'(" + s.length() + ")";
  }

  /** Every row, by id, each column as text (as JSON would render numbers), null as null. */
  Map<String, Map<String, String>> rows() throws Exception {
    Map<String, Map<String, String>> out = new TreeMap<>();
    try (Connection c = server.connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + String.join(", ", COLUMNS) + " FROM items")) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnLabel(i), rs.getString(i));
        }
        out.put(row.get("id"), row);
      }
    }
    return out;
  }

  /** Every live document by {@code _id} (tombstones left out): the search hit. */
  Map<String, JsonNode> documents() throws Exception {
    return indexDocuments.documents();
  }

  /** The live letters of the suite's dead-letter file (see {@link #liveLetters(Path)}). */
  Map<String, Long> liveLetters() throws IOException {
    return liveLetters(deadLetters);
  }

  /**
   * The live letters of the dead-letter file by key id: the version of each. Follows the file's
   * rules: a put replaces the key's letter unless the stored one is newer; a remove drops the
   * letter with that id; a torn last line is ignored.
   */
  static Map<String, Long> liveLetters(Path deadLetters) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : liveLetterLines(deadLetters).entrySet()) {
      out.put(e.getKey(), e.getValue().get("version").asLong());
    }
    return out;
  }

  /**
   * The live letters of the dead-letter file by key id (a letter of another collection than {@code
   * items} by {@code collection/key}, version -1): each one's last JSON line.
   */
  static Map<String, JsonNode> liveLetterLines(Path deadLetters) throws IOException {
    Map<String, JsonNode> byKey = new LinkedHashMap<>();
    if (!Files.exists(deadLetters)) {
      return Map.of();
    }
    List<String> lines = Files.readAllLines(deadLetters, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line;
      try {
        line = JSON.readTree(lines.get(i));
      } catch (IOException e) {
        if (i == lines.size() - 1) {
          break; // torn by a kill
        }
        throw new AssertionError("dead-letter file line " + (i + 1) + " unreadable", e);
      }
      if (line == null || line.isMissingNode()) {
        continue;
      }
      String op = line.path("op").asText();
      if (op.equals("put")) {
        String key = line.get("collection").asText() + "/" + line.get("key").asText();
        JsonNode old = byKey.get(key);
        if (old == null || old.get("version").asLong() <= line.get("version").asLong()) {
          byKey.put(key, line);
        }
      } else if (op.equals("remove")) {
        String id = line.get("id").asText();
        for (Iterator<JsonNode> it = byKey.values().iterator(); it.hasNext(); ) {
          if (it.next().get("id").asText().equals(id)) {
            it.remove();
          }
        }
      }
    }
    Map<String, JsonNode> out = new TreeMap<>();
    for (JsonNode letter : byKey.values()) {
      if (!letter.get("collection").asText().equals("items")) {
        ObjectNode foreign = letter.deepCopy();
        foreign.put("version", -1L);
        out.put(letter.get("collection").asText() + "/" + letter.get("key").asText(), foreign);
      } else {
        out.put(letter.get("key").asText(), letter);
      }
    }
    return out;
  }
}
