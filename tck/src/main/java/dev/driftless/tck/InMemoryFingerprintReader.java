package dev.driftless.tck;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A {@link FingerprintReader} over the live documents of an {@link InMemoryChangeLog} (the
 * "database") or an {@link InMemoryVersionedSink} (the "index"), following {@link Fingerprints}: a
 * document's row fingerprint is {@code Fingerprints.row([its JSON])}. Reads everything on each
 * call: a reference, not a performance model. Thread-safe.
 */
public final class InMemoryFingerprintReader implements FingerprintReader {
  private final Supplier<Map<DocumentKey, Document>> documents;

  private InMemoryFingerprintReader(Supplier<Map<DocumentKey, Document>> documents) {
    this.documents = documents;
  }

  /** The database side: the log's current state. */
  public static InMemoryFingerprintReader of(InMemoryChangeLog log) {
    Objects.requireNonNull(log, "log");
    return new InMemoryFingerprintReader(log::currentState);
  }

  /** The index side: the sink's live documents. */
  public static InMemoryFingerprintReader of(InMemoryVersionedSink sink) {
    Objects.requireNonNull(sink, "sink");
    return new InMemoryFingerprintReader(sink::liveDocuments);
  }

  /**
   * The row fingerprint this reader gives a document: the one its source computed and the sink
   * stored, as a real index keeps it, or else {@code Fingerprints.row([its JSON])}.
   */
  public static long rowFingerprint(Document document) {
    return document
        .fingerprint()
        .orElseGet(() -> Fingerprints.row(List.of(DocumentJson.toJson(document))));
  }

  @Override
  public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
    long[] count = new long[splits];
    long[] low = new long[splits];
    long[] mid = new long[splits];
    long[] high = new long[splits];
    for (Map.Entry<String, Long> e : rowFingerprints(collection).entrySet()) {
      long bucket = Fingerprints.bucket(e.getKey());
      if (bucket < range.from() || bucket >= range.to()) {
        continue;
      }
      int i = 0;
      while (Fingerprints.boundary(range.from(), range.to(), splits, i + 1) <= bucket) {
        i++;
      }
      long f = Fingerprints.perKey(e.getKey(), e.getValue());
      count[i]++;
      low[i] += Fingerprints.low(f);
      mid[i] += Fingerprints.mid(f);
      high[i] += Fingerprints.high(f);
    }
    List<BucketSummary> out = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      if (count[i] > 0) {
        BucketRange sub =
            new BucketRange(
                Fingerprints.boundary(range.from(), range.to(), splits, i),
                Fingerprints.boundary(range.from(), range.to(), splits, i + 1));
        out.add(new BucketSummary(sub, count[i], low[i], mid[i], high[i]));
      }
    }
    return out;
  }

  @Override
  public List<KeyFingerprint> list(String collection, BucketRange range) {
    List<KeyFingerprint> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : rowFingerprints(collection).entrySet()) {
      long bucket = Fingerprints.bucket(e.getKey());
      if (bucket >= range.from() && bucket < range.to()) {
        out.add(
            new KeyFingerprint(
                DocumentKey.of(collection, e.getKey()), e.getValue(), OptionalLong.empty()));
      }
    }
    return out;
  }

  @Override
  public List<KeyFingerprint> read(String collection, Collection<String> ids) {
    Map<String, Long> all = rowFingerprints(collection);
    List<KeyFingerprint> out = new ArrayList<>();
    for (String id : new java.util.LinkedHashSet<>(ids)) {
      Long fingerprint = all.get(id);
      if (fingerprint != null) {
        out.add(
            new KeyFingerprint(DocumentKey.of(collection, id), fingerprint, OptionalLong.empty()));
      }
    }
    return out;
  }

  /** Row fingerprints of the collection's live documents, by key id (in code-point order). */
  private Map<String, Long> rowFingerprints(String collection) {
    Map<String, Long> out = new TreeMap<>();
    documents
        .get()
        .forEach(
            (key, document) -> {
              if (key.collection().equals(collection)) {
                out.put(key.id(), rowFingerprint(document));
              }
            });
    return out;
  }
}
