package dev.driftless.search.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.internal.JsonCodec;
import dev.driftless.search.EngineIds;
import dev.driftless.search.MetadataFields;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Encodes change events as {@code _bulk} NDJSON lines (JSON written as Jackson's streaming
 * generator writes it): an action line carrying the key's {@link EngineIds engine id}, {@code
 * version} and {@code version_type=external_gte}, and for an index action the document followed by
 * the {@linkplain MetadataFields metadata fields} (the key id itself only where the engine id is an
 * encoded one).
 *
 * <p>The {@code id} parameters are key ids ({@link dev.driftless.core.DocumentKey#id()}); the
 * encoder maps them to {@code _id} itself.
 *
 * <p>Each event is encoded once into its own byte array, so that a request can be sized by bytes
 * before it is sent and a too-large request can be split without encoding again.
 *
 * <p>Thread-safe.
 */
public final class BulkEncoder {

  private static final JsonFactory FACTORY = JsonFactory.builder().build();
  private static final byte[] INDEX_ACTION_START = ascii("{\"index\":{");
  private static final byte[] DELETE_ACTION_START = ascii("{\"delete\":{");
  private static final byte[] INDEX_FIELD = ascii("\"_index\":");
  private static final byte[] ID_FIELD = ascii("\"_id\":");
  private static final byte[] VERSION_FIELD = ascii(",\"version\":");
  private static final byte[] ACTION_END = ascii(",\"version_type\":\"external_gte\"}}\n");

  // Metadata field names, quoted and encoded once.
  private static final SerializedString KEY_NAME = new SerializedString(MetadataFields.KEY);
  private static final SerializedString BUCKET_NAME = new SerializedString(MetadataFields.BUCKET);
  private static final SerializedString FP_LOW_NAME = new SerializedString(MetadataFields.FP_LOW);
  private static final SerializedString FP_MID_NAME = new SerializedString(MetadataFields.FP_MID);
  private static final SerializedString FP_HIGH_NAME = new SerializedString(MetadataFields.FP_HIGH);
  private static final SerializedString TOMBSTONE_NAME =
      new SerializedString(MetadataFields.TOMBSTONE);
  private static final SerializedString DELETED_AT_NAME =
      new SerializedString(MetadataFields.DELETED_AT);

  private BulkEncoder() {}

  /**
   * The NDJSON lines (each ending in {@code \n}) that index {@code document} at a version.
   *
   * @param index the index named in the action line, or {@code null} to leave {@code _index} out
   *     (the request's path then names it: {@code POST /<index>/_bulk})
   */
  public static byte[] index(@Nullable String index, String id, long version, Document document) {
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(
            256 + (int) Math.min(Integer.MAX_VALUE / 2, document.estimatedSizeBytes()));
    try {
      writeAction(out, "index", index, id, version);
      try (JsonGenerator gen = JsonCodec.generator(out)) {
        gen.writeStartObject();
        JsonCodec.writeFields(gen, document);
        // One MD5 per document: the bucket and the per-key fingerprint share the key hash.
        long keyHash = Fingerprints.keyHash(id);
        writeKeyAndBucket(gen, id, Fingerprints.bucketOf(keyHash));
        if (document.fingerprint().isPresent()) {
          long f = Fingerprints.perKeyOf(keyHash, document.fingerprint().getAsLong());
          gen.writeFieldName(FP_LOW_NAME);
          gen.writeNumber(Fingerprints.low(f));
          gen.writeFieldName(FP_MID_NAME);
          gen.writeNumber(Fingerprints.mid(f));
          gen.writeFieldName(FP_HIGH_NAME);
          gen.writeNumber(Fingerprints.high(f));
        }
        gen.writeEndObject();
      }
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeKeyAndBucket(JsonGenerator gen, String id, long bucket)
      throws IOException {
    if (needsKeyField(id)) {
      // Only where _id is a hash of the key (empty, long or prefix-spelling keys) does the index
      // need the key itself; an ordinary key is its _id, which listings read instead. A keyword
      // with doc values on every document was the layout's largest indexing cost (issue 17).
      gen.writeFieldName(KEY_NAME);
      gen.writeString(id);
    }
    // No copy of the version: the engine's external _version is it, and truncation reads that
    // (issue 17: 14 MB per million documents for a field only truncation searched).
    gen.writeFieldName(BUCKET_NAME);
    gen.writeNumber(bucket);
  }

  /**
   * Whether a document of this key carries {@value MetadataFields#KEY}: where its {@code _id} is an
   * encoded one, or where the engine would not give the key back from {@code _id} (a lone surrogate
   * becomes U+FFFD in the engine's UTF-8).
   */
  public static boolean needsKeyField(String id) {
    if (!EngineIds.isOrdinary(id)) {
      return true;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < id.length()
          && Character.isLowSurrogate(id.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** The NDJSON line of a versioned delete; {@code index} as in {@link #index}. */
  public static byte[] delete(@Nullable String index, String id, long version) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try {
      writeAction(out, "delete", index, id, version);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The NDJSON lines that index a tombstone for a deleted key at a version; {@code index} as in
   * {@link #index}.
   */
  public static byte[] tombstone(
      @Nullable String index, String id, long version, long deletedAtMillis) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      writeAction(out, "index", index, id, version);
      try (JsonGenerator gen = JsonCodec.generator(out)) {
        gen.writeStartObject();
        writeKeyAndBucket(gen, id, Fingerprints.bucket(id));
        gen.writeFieldName(TOMBSTONE_NAME);
        gen.writeBoolean(true);
        gen.writeFieldName(DELETED_AT_NAME);
        gen.writeNumber(deletedAtMillis);
        gen.writeEndObject();
      }
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Encodes one event for {@code index} ({@code null}: the request's path names the index); deletes
   * become tombstones when asked.
   */
  public static byte[] encode(
      ChangeEvent event, @Nullable String index, boolean tombstones, long nowMillis) {
    String id = event.key().id();
    long version = event.version().value();
    if (event instanceof ChangeEvent.Upsert upsert) {
      return index(index, id, version, upsert.document());
    }
    return tombstones ? tombstone(index, id, version, nowMillis) : delete(index, id, version);
  }

  /**
   * The {@code "_index":"<index>",} member that {@link #body(List, List)} puts into an action line
   * encoded without {@code _index}.
   */
  public static byte[] indexField(String index) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(index.length() + 16);
    try {
      out.write(INDEX_FIELD);
      writeString(out, index);
      out.write(',');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A {@code _bulk} body of items encoded without {@code _index} (for {@code POST /_bulk}), each
   * action line given its own index: {@code indexFields.get(i)}, made by {@link #indexField}, is
   * written right after the opening of item {@code i}'s action line.
   */
  public static BodyWriter body(List<byte[]> items, List<byte[]> indexFields) {
    if (items.size() != indexFields.size()) {
      throw new IllegalArgumentException(
          items.size() + " items but " + indexFields.size() + " index fields");
    }
    long length = 0;
    for (int i = 0; i < items.size(); i++) {
      actionOpening(items.get(i));
      length += items.get(i).length + indexFields.get(i).length;
    }
    List<byte[]> copy = List.copyOf(items);
    List<byte[]> fields = List.copyOf(indexFields);
    return ndjson(
        length,
        out -> {
          for (int i = 0; i < copy.size(); i++) {
            byte[] item = copy.get(i);
            int open = actionOpening(item);
            out.write(item, 0, open);
            out.write(fields.get(i));
            out.write(item, open, item.length - open);
          }
        });
  }

  /** The length of {@code {"index":{} or {@code {"delete":{} that starts an encoded item. */
  private static int actionOpening(byte[] item) {
    if (startsWith(item, INDEX_ACTION_START)) {
      return INDEX_ACTION_START.length;
    }
    if (startsWith(item, DELETE_ACTION_START)) {
      return DELETE_ACTION_START.length;
    }
    throw new IllegalArgumentException("not an item encoded by BulkEncoder");
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** A {@code _bulk} body made of already encoded items, written one after the other. */
  public static BodyWriter body(List<byte[]> items) {
    long length = 0;
    for (byte[] item : items) {
      length += item.length;
    }
    List<byte[]> copy = List.copyOf(items);
    return ndjson(
        length,
        out -> {
          for (byte[] item : copy) {
            out.write(item);
          }
        });
  }

  /** How a body writes itself. */
  @FunctionalInterface
  private interface Writing {
    void writeTo(OutputStream out) throws IOException;
  }

  /** An NDJSON body of a known length. */
  private static BodyWriter ndjson(long length, Writing writing) {
    return new BodyWriter() {
      @Override
      public void writeTo(OutputStream out) throws IOException {
        writing.writeTo(out);
      }

      @Override
      public String contentType() {
        return NDJSON;
      }

      @Override
      public long contentLength() {
        return length;
      }
    };
  }

  private static void writeAction(
      OutputStream out, String action, @Nullable String index, String id, long version)
      throws IOException {
    // Written directly rather than through a generator per line: the action line has a fixed shape,
    // and only the index name and the id are variable. The bytes are the generator's own.
    out.write(action.equals("index") ? INDEX_ACTION_START : DELETE_ACTION_START);
    if (index != null) {
      out.write(INDEX_FIELD);
      writeString(out, index);
      out.write(',');
    }
    out.write(ID_FIELD);
    writeString(out, EngineIds.of(id));
    out.write(VERSION_FIELD);
    out.write(Long.toString(version).getBytes(StandardCharsets.US_ASCII));
    out.write(ACTION_END);
  }

  /** A JSON string literal, as Jackson's generator writes it. */
  private static void writeString(OutputStream out, String s) throws IOException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        // Escapes, non-ASCII and surrogates: let the generator decide, byte for byte as before.
        try (JsonGenerator gen = FACTORY.createGenerator(out)) {
          gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
          gen.writeString(s);
        }
        return;
      }
    }
    out.write('"');
    out.write(s.getBytes(StandardCharsets.US_ASCII));
    out.write('"');
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
