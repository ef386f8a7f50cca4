package dev.driftless.search.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.Document;
import dev.driftless.core.Fingerprints;
import dev.driftless.search.EngineIds;
import dev.driftless.search.MetadataFields;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class BulkEncoderTest {

  private static List<JsonNode> lines(byte[] ndjson) throws Exception {
    String text = new String(ndjson, StandardCharsets.UTF_8);
    assertThat(text).endsWith("\n");
    return text.lines()
        .map(
            l -> {
              try {
                return EngineJson.MAPPER.readTree(l);
              } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
              }
            })
        .toList();
  }

  @Test
  void indexEntryCarriesTheExternalVersionAndMetadataAndEscapesTheId() throws Exception {
    String id = "quote\" new\nline /slash \\ 日本 \uD83D\uDE80";
    byte[] bytes =
        BulkEncoder.index(
            "orders", id, 42, Document.of("name", "x\ny", "n", 1L).withFingerprint(7));
    List<JsonNode> lines = lines(bytes);
    assertThat(lines).hasSize(2); // raw newlines inside values are escaped

    JsonNode action = lines.get(0).get("index");
    assertThat(action.get("_index").asText()).isEqualTo("orders");
    assertThat(action.get("_id").asText()).isEqualTo(id);
    assertThat(action.get("version").asLong()).isEqualTo(42);
    assertThat(action.get("version_type").asText()).isEqualTo("external_gte");

    JsonNode source = lines.get(1);
    assertThat(source.get("name").asText()).isEqualTo("x\ny");
    // An ordinary key is its _id: the document carries no copy of it (issue 17).
    assertThat(source.has(MetadataFields.KEY)).isFalse();
    // Nor of its version: the action's external version is the engine's _version (issue 17).
    assertThat(source.has(MetadataFields.VERSION)).isFalse();
    assertThat(source.get(MetadataFields.BUCKET).asLong()).isEqualTo(Fingerprints.bucket(id));
    long f = Fingerprints.perKey(id, 7);
    assertThat(source.get(MetadataFields.FP_LOW).asLong()).isEqualTo(Fingerprints.low(f));
    assertThat(source.get(MetadataFields.FP_MID).asLong()).isEqualTo(Fingerprints.mid(f));
    assertThat(source.get(MetadataFields.FP_HIGH).asLong()).isEqualTo(Fingerprints.high(f));
    assertThat(source.has(MetadataFields.TOMBSTONE)).isFalse();
  }

  @Test
  void keysTheEnginesCannotTakeAsIdAreWrittenUnderTheirEngineIdWithTheFullKeyInTheDocument()
      throws Exception {
    for (String id : List.of("", "ü".repeat(2_500), EngineIds.ENCODED_PREFIX + "x")) {
      List<JsonNode> index = lines(BulkEncoder.index(null, id, 5, Document.of("a", 1L)));
      assertThat(index.get(0).get("index").get("_id").asText())
          .as("_id of %s", id)
          .isEqualTo(EngineIds.of(id))
          .isNotEqualTo(id);
      JsonNode source = index.get(1);
      assertThat(source.get(MetadataFields.KEY).asText()).isEqualTo(id);
      assertThat(source.get(MetadataFields.BUCKET).asLong()).isEqualTo(Fingerprints.bucket(id));

      List<JsonNode> tomb = lines(BulkEncoder.tombstone(null, id, 6, 1234));
      assertThat(tomb.get(0).get("index").get("_id").asText()).isEqualTo(EngineIds.of(id));
      assertThat(tomb.get(1).get(MetadataFields.KEY).asText()).isEqualTo(id);
      assertThat(lines(BulkEncoder.delete(null, id, 7)).get(0).get("delete").get("_id").asText())
          .isEqualTo(EngineIds.of(id));
    }
  }

  @Test
  void aKeyWithALoneSurrogateKeepsItsKeyFieldSinceTheEngineCannotGiveItBackFromId()
      throws Exception {
    for (String id : List.of("a\uD800b", "\uDC00", "x\uD83D")) {
      assertThat(BulkEncoder.needsKeyField(id)).as(id).isTrue();
      JsonNode source = lines(BulkEncoder.index(null, id, 5, Document.of("a", 1L))).get(1);
      assertThat(source.get(MetadataFields.KEY).asText()).isEqualTo(id);
    }
    assertThat(BulkEncoder.needsKeyField("\uD83D\uDE80 ok")).isFalse();
    assertThat(BulkEncoder.needsKeyField("plain")).isFalse();
  }

  @Test
  void documentsWithoutAFingerprintCarryNoFingerprintParts() throws Exception {
    JsonNode source = lines(BulkEncoder.index("i", "k", 1, Document.of("a", 1L))).get(1);
    assertThat(source.has(MetadataFields.FP_LOW)).isFalse();
  }

  @Test
  void deleteIsOneVersionedActionLineAndTombstoneIsAVersionedDocument() throws Exception {
    List<JsonNode> delete = lines(BulkEncoder.delete("i", "k", 9));
    assertThat(delete).hasSize(1);
    assertThat(delete.get(0).get("delete").get("version").asLong()).isEqualTo(9);
    assertThat(delete.get(0).get("delete").get("version_type").asText()).isEqualTo("external_gte");

    List<JsonNode> tomb = lines(BulkEncoder.tombstone("i", "k", 9, 1234));
    assertThat(tomb.get(0).get("index").get("version").asLong()).isEqualTo(9);
    assertThat(tomb.get(1).get(MetadataFields.TOMBSTONE).asBoolean()).isTrue();
    assertThat(tomb.get(1).get(MetadataFields.DELETED_AT).asLong()).isEqualTo(1234);
    assertThat(tomb.get(1).has(MetadataFields.VERSION)).isFalse();
  }

  @Test
  void bodyConcatenatesEntriesAndKnowsItsLength() throws Exception {
    byte[] a = BulkEncoder.delete("i", "a", 1);
    byte[] b = BulkEncoder.delete("i", "b", 2);
    BodyWriter body = BulkEncoder.body(List.of(a, b));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    body.writeTo(out);
    assertThat(out.size()).isEqualTo(a.length + b.length).isEqualTo((int) body.contentLength());
    assertThat(body.contentType()).isEqualTo(BodyWriter.NDJSON);
    assertThat(lines(out.toByteArray())).hasSize(2);
  }

  /**
   * The action line as a Jackson generator writes it: what the encoder wrote before it was
   * hand-written.
   */
  private static String generatorAction(
      String action, @Nullable String index, String id, long version) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (com.fasterxml.jackson.core.JsonGenerator gen =
        new com.fasterxml.jackson.core.JsonFactory().createGenerator(out)) {
      gen.writeStartObject();
      gen.writeObjectFieldStart(action);
      if (index != null) {
        gen.writeStringField("_index", index);
      }
      gen.writeStringField("_id", id);
      gen.writeNumberField("version", version);
      gen.writeStringField("version_type", "external_gte");
      gen.writeEndObject();
      gen.writeEndObject();
    }
    return out.toString(StandardCharsets.UTF_8) + "\n";
  }

  @Test
  void actionLinesAreByteForByteWhatAJsonGeneratorWrites() throws Exception {
    List<String> ids =
        List.of(
            "plain-42",
            "",
            "quote\" back\\slash",
            "tab\tnew\nline\u0001\u007f",
            "日本 \uD83D\uDE80",
            "lone \uD800 high",
            "lone low \uDC00",
            "</script>/?&=#%");
    for (String id : ids) {
      String engineId = EngineIds.of(id);
      byte[] delete = BulkEncoder.delete("idx-1", id, Long.MAX_VALUE);
      assertThat(new String(delete, StandardCharsets.UTF_8))
          .as("delete of %s", id)
          .isEqualTo(generatorAction("delete", "idx-1", engineId, Long.MAX_VALUE));
      String index = new String(BulkEncoder.index("i\u00e9", id, 0, Document.of("a", 1L)), UTF_8);
      assertThat(index.substring(0, index.indexOf('\n') + 1))
          .as("index of %s", id)
          .isEqualTo(generatorAction("index", "i\u00e9", engineId, 0));
      assertThat(new String(BulkEncoder.delete(null, id, 3), UTF_8))
          .as("delete of %s without _index", id)
          .isEqualTo(generatorAction("delete", null, engineId, 3));
    }
  }

  @Test
  void aMixedIndexBodyPutsEachItemsIndexBackIntoItsActionLine() throws Exception {
    Document doc = Document.of("a", 1L);
    byte[] upsert = BulkEncoder.index(null, "k1", 5, doc);
    byte[] delete = BulkEncoder.delete(null, "k2", 6);
    byte[] tomb = BulkEncoder.tombstone(null, "k3", 7, 99);
    BodyWriter body =
        BulkEncoder.body(
            List.of(upsert, delete, tomb),
            List.of(
                BulkEncoder.indexField("one"),
                BulkEncoder.indexField("tw\"o"),
                BulkEncoder.indexField("three")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    body.writeTo(out);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(BulkEncoder.index("one", "k1", 5, doc));
    expected.write(BulkEncoder.delete("tw\"o", "k2", 6));
    expected.write(BulkEncoder.tombstone("three", "k3", 7, 99));
    assertThat(out.toString(UTF_8)).isEqualTo(expected.toString(UTF_8));
    assertThat(body.contentLength()).isEqualTo(out.size());
  }
}
