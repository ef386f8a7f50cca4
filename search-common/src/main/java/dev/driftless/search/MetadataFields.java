package dev.driftless.search;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The fields Driftless adds to every document it writes, and the mapping type each must have. A
 * document's own fields may not use these names.
 *
 * <table>
 *   <caption>Metadata fields</caption>
 *   <tr><th>field</th><th>type</th><th>holds</th></tr>
 *   <tr><td>{@value #KEY}</td><td>keyword (doc values only)</td><td>the key id, only on documents
 *       whose {@code _id} is an {@linkplain EngineIds encoded} one (or whose key has a lone
 *       surrogate, which {@code _id} cannot give back); every other key is its {@code _id}, which
 *       listings read instead. Documents written before issue 17 carry it always, and read the
 *       same. Never searched (look-ups use {@code _id})</td></tr>
 *   <tr><td>{@value #VERSION}</td><td>long</td><td>reserved and mapped, no longer written: documents
 *       written before issue 17 carry the source version here; every document's version is its
 *       engine {@code _version} (external versioning), which listings and truncation read</td></tr>
 *   <tr><td>{@value #BUCKET}</td><td>long</td><td>{@link dev.driftless.core.Fingerprints#bucket}</td></tr>
 *   <tr><td>{@value #FP_LOW}, {@value #FP_MID}, {@value #FP_HIGH}</td><td>long</td><td>the three
 *       parts of {@link dev.driftless.core.Fingerprints#perKey}; doc values only (summed, never searched), so they cost no inverted index</td></tr>
 *   <tr><td>{@value #TOMBSTONE}</td><td>boolean</td><td>true on a tombstone (tombstone mode
 *       only)</td></tr>
 *   <tr><td>{@value #DELETED_AT}</td><td>date (epoch millis)</td><td>when a tombstone was written;
 *       what purging compares against the horizon</td></tr>
 * </table>
 */
public final class MetadataFields {

  public static final String KEY = "driftless_key";
  public static final String VERSION = "driftless_version";
  public static final String BUCKET = "driftless_bucket";
  public static final String FP_LOW = "driftless_fp_low";
  public static final String FP_MID = "driftless_fp_mid";
  public static final String FP_HIGH = "driftless_fp_high";
  public static final String TOMBSTONE = "driftless_tombstone";
  public static final String DELETED_AT = "driftless_deleted_at";

  /** Field name to the mapping type it must have. */
  public static final Map<String, String> TYPES = types();

  /** Every metadata field name. */
  public static final Set<String> NAMES = TYPES.keySet();

  private MetadataFields() {}

  private static Map<String, String> types() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(KEY, "keyword");
    t.put(VERSION, "long");
    t.put(BUCKET, "long");
    t.put(FP_LOW, "long");
    t.put(FP_MID, "long");
    t.put(FP_HIGH, "long");
    t.put(TOMBSTONE, "boolean");
    t.put(DELETED_AT, "date");
    return java.util.Collections.unmodifiableMap(t);
  }

  /** The mapping of one metadata field, as a JSON-ready map. */
  static Map<String, Object> mappingOf(String field) {
    String type = TYPES.get(field);
    if (type == null) {
      throw new IllegalArgumentException("not a metadata field: " + field);
    }
    if (field.equals(DELETED_AT)) {
      return Map.of("type", type, "format", "epoch_millis");
    }
    if (field.equals(KEY)
        || field.equals(FP_LOW)
        || field.equals(FP_MID)
        || field.equals(FP_HIGH)) {
      // The key (on the few documents that carry it) is only read, and the parts only summed: both
      // read doc values, and an inverted index would be pure indexing cost on every write.
      return Map.of("type", type, "index", false);
    }
    return Map.of("type", type);
  }
}
