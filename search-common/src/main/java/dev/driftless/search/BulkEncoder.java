package dev.driftless.search;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import dev.driftless.core.Fingerprints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encodes change events as {@code _bulk} NDJSON lines (JSON written as Jackson's streaming
 * generator writes it): an action line carrying {@code version} and {@code
 * version_type=external_gte}, and for an index action the document followed by the {@linkplain
 * MetadataFields metadata fields}.
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
      Map<String, @Nullable Object> meta = new LinkedHashMap<>(8);
      // One MD5 per document: the bucket and the per-key fingerprint share the key hash.
      long keyHash = Fingerprints.keyHash(id);
      meta.put(MetadataFields.KEY, id);
      meta.put(MetadataFields.VERSION, version);
      meta.put(MetadataFields.BUCKET, Fingerprints.bucketOf(keyHash));
      if (document.fingerprint().isPresent()) {
        long f = Fingerprints.perKeyOf(keyHash, document.fingerprint().getAsLong());
        meta.put(MetadataFields.FP_LOW, Fingerprints.low(f));
        meta.put(MetadataFields.FP_MID, Fingerprints.mid(f));
        meta.put(MetadataFields.FP_HIGH, Fingerprints.high(f));
      }
      DocumentJson.write(document, meta, out);
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
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
      Map<String, @Nullable Object> meta = new LinkedHashMap<>();
      meta.put(MetadataFields.KEY, id);
      meta.put(MetadataFields.VERSION, version);
      meta.put(MetadataFields.BUCKET, Fingerprints.bucket(id));
      meta.put(MetadataFields.TOMBSTONE, Boolean.TRUE);
      meta.put(MetadataFields.DELETED_AT, deletedAtMillis);
      DocumentJson.write(Document.empty(), meta, out);
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

  /** A {@code _bulk} body made of already encoded items, written one after the other. */
  public static BodyWriter body(List<byte[]> items) {
    long length = 0;
    for (byte[] item : items) {
      length += item.length;
    }
    long total = length;
    List<byte[]> copy = List.copyOf(items);
    return new BodyWriter() {
      @Override
      public void writeTo(OutputStream out) throws IOException {
        for (byte[] item : copy) {
          out.write(item);
        }
      }

      @Override
      public String contentType() {
        return NDJSON;
      }

      @Override
      public long contentLength() {
        return total;
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
    writeString(out, id);
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
