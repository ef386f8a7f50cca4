package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contract of a {@link FingerprintReader} that buckets keys as {@link Fingerprints} defines
 * (rules F1–F6 of the TCK's {@code SPEC.md}): its answers agree with each other and with the
 * definitions, whatever the collection holds. Reconciliation compares two readers' answers, so a
 * reader that contradicts itself reports differences that are not there, or misses real ones (I8).
 *
 * <p>Extend it in a test of your reader: {@link #reader()} reads {@link #collection()}, which the
 * test filled beforehand with at least {@value #MIN_KEYS} keys and which nothing changes while the
 * tests run.
 */
public abstract class FingerprintReaderContract {

  /** For subclasses that bind the suite to one implementation. */
  protected FingerprintReaderContract() {}

  /** The fewest keys the collection must hold for the checks to mean something. */
  public static final int MIN_KEYS = 200;

  private static final BucketRange ALL = new BucketRange(0, Fingerprints.BUCKET_COUNT);

  /**
   * A key id of 2,500 characters (6,484 bytes in UTF-8, far over the search engines' 512-byte
   * {@code _id} limit), one of {@link #sampleIds}.
   */
  public static final String LONG_ID = "long " + "日本語\uD83D\uDE80".repeat(498) + "tail.";

  /**
   * {@code count} distinct key ids for a test to fill its collection with: at positions 1 and 2 the
   * {@linkplain #edgeIds() edge ids} (the empty id and {@link #LONG_ID}; keep them when deleting
   * some keys), then a few that need escaping or are not ASCII (spaces, slashes, quotes, commas,
   * backslashes, CJK, an emoji, a private-use character), the rest plain.
   */
  public static List<String> sampleIds(int count) {
    List<String> ids =
        new ArrayList<>(
            List.of(
                "with space",
                "",
                LONG_ID,
                "a/b/c",
                "quote\"d",
                "back\\slash",
                "comma,here",
                "日本語",
                "rocket \uD83D\uDE80",
                "\uE000private",
                "plus+?#%2F"));
    for (int i = 0; ids.size() < count; i++) {
      ids.add("key-" + i);
    }
    return ids.subList(0, count);
  }

  /** The reader under test. */
  protected abstract FingerprintReader reader() throws Exception;

  /** The collection the test filled. */
  protected abstract String collection();

  /**
   * Key ids the collection does not hold but could, for point reads. The default is two ids that no
   * test data uses; a reader whose keys have a type (an integer column) should return ids of that
   * type, and may add ids that could not be keys at all.
   */
  protected List<String> absentIds() {
    return List.of("driftless-tck-absent-1", "driftless-tck-absent-2");
  }

  /**
   * Key ids at the edges of what a key may be that the collection holds: rule F7 reads them. The
   * default is the two of {@link #sampleIds} (the empty id and {@link #LONG_ID}); a collection
   * filled otherwise returns its own (composite ids of empty or long parts, say), and a reader may
   * add ids it stores in a special way.
   */
  protected List<String> edgeIds() {
    return List.of("", LONG_ID);
  }

  /** F1: a listing holds each key once, in code-point order of the key ids. */
  @Test
  void rule_F1_listingsHoldEachKeyOnceInCodePointOrder() throws Exception {
    List<KeyFingerprint> all = reader().list(collection(), ALL);
    assertThat(all).hasSizeGreaterThanOrEqualTo(MIN_KEYS);
    List<KeyFingerprint> sorted = new ArrayList<>(all);
    sorted.sort(KeyFingerprint.BY_ID);
    assertThat(all).isEqualTo(sorted);
    Set<String> ids = new HashSet<>();
    for (KeyFingerprint k : all) {
      assertThat(ids.add(k.key().id())).as("listed twice: %s", k.key().id()).isTrue();
      assertThat(k.key().collection()).isEqualTo(collection());
    }
  }

  /**
   * F2: a summary of a sub-range is the count and the sums of the three parts of the per-key
   * fingerprints of the keys listed in it; sub-ranges split as {@link Fingerprints#boundary}.
   */
  @Test
  void rule_F2_summariesAreTheListingAggregated() throws Exception {
    FingerprintReader reader = reader();
    List<KeyFingerprint> all = reader.list(collection(), ALL);
    long first = Fingerprints.bucket(all.get(0).key().id());
    long upper = Math.min(Fingerprints.BUCKET_COUNT, first + 3);
    for (Object[] c :
        List.of(
            new Object[] {ALL, 1},
            new Object[] {ALL, 16},
            new Object[] {ALL, 7},
            new Object[] {new BucketRange(1L << 31, (1L << 31) + (1L << 29)), 5},
            new Object[] {new BucketRange(first, upper), 4})) {
      BucketRange range = (BucketRange) c[0];
      int splits = (Integer) c[1];
      assertThat(reader.summarize(collection(), range, splits))
          .as("%s split in %d", range, splits)
          .containsExactlyInAnyOrderElementsOf(aggregate(all, range, splits));
    }
  }

  /** F3: many ranges in one call answer as the ranges one by one, summaries and listings. */
  @Test
  void rule_F3_batchesAnswerAsTheRangesOneByOne() throws Exception {
    FingerprintReader reader = reader();
    List<BucketRange> ranges =
        List.of(
            new BucketRange(3L << 30, Fingerprints.BUCKET_COUNT),
            new BucketRange(0, 1L << 28),
            new BucketRange(1L << 28, 1L << 29),
            new BucketRange(5L << 28, (5L << 28) + 123_457));
    for (int splits : List.of(1, 8, 7)) {
      List<BucketSummary> oneByOne = new ArrayList<>();
      for (BucketRange r : ranges) {
        oneByOne.addAll(reader.summarize(collection(), r, splits));
      }
      assertThat(reader.summarize(collection(), ranges, splits))
          .as("split in %d", splits)
          .containsExactlyInAnyOrderElementsOf(oneByOne);
    }
    List<KeyFingerprint> listed = new ArrayList<>();
    for (BucketRange r : ranges) {
      listed.addAll(reader.list(collection(), r));
    }
    listed.sort(KeyFingerprint.BY_ID);
    assertThat(reader.list(collection(), ranges)).isEqualTo(listed);
    assertThat(reader.summarize(collection(), List.of(), 4)).isEmpty();
    assertThat(reader.list(collection(), List.of())).isEmpty();
  }

  /**
   * F3 at the edges: ranges are half-open. A key is listed and counted by ranges that end right
   * after its bucket or start at it, and not by ranges that end at it or start right after it.
   */
  @Test
  void rule_F3_rangesAreHalfOpen() throws Exception {
    FingerprintReader reader = reader();
    List<KeyFingerprint> all = reader.list(collection(), ALL);
    for (KeyFingerprint k : List.of(all.get(0), all.get(all.size() / 2), all.get(all.size() - 1))) {
      String id = k.key().id();
      long b = Fingerprints.bucket(id);
      List<BucketRange> holding = new ArrayList<>(List.of(new BucketRange(b, b + 1)));
      if (b > 0) {
        holding.add(new BucketRange(b - 1, b + 1));
      }
      for (BucketRange r : holding) {
        assertThat(ids(reader.list(collection(), List.of(r)))).as("%s in %s", id, r).contains(id);
      }
      List<BucketRange> beside = new ArrayList<>();
      if (b > 0) {
        beside.add(new BucketRange(0, b));
      }
      if (b + 1 < Fingerprints.BUCKET_COUNT) {
        beside.add(new BucketRange(b + 1, Fingerprints.BUCKET_COUNT));
      }
      assertThat(ids(reader.list(collection(), beside))).as("%s beside", id).doesNotContain(id);
      long countBeside = 0;
      for (BucketSummary s : reader.summarize(collection(), beside, 1)) {
        countBeside += s.count();
      }
      long countHolding = 0;
      for (BucketSummary s :
          reader.summarize(collection(), List.of(new BucketRange(b, b + 1)), 1)) {
        countHolding += s.count();
      }
      assertThat(countBeside + countHolding).as("every key counted once").isEqualTo(all.size());
    }
  }

  private static List<String> ids(List<KeyFingerprint> keys) {
    List<String> ids = new ArrayList<>();
    keys.forEach(k -> ids.add(k.key().id()));
    return ids;
  }

  /** F4: overlapping ranges are refused, not answered twice. */
  @Test
  void rule_F4_overlappingRangesAreRefused() throws Exception {
    FingerprintReader reader = reader();
    List<BucketRange> overlapping = List.of(new BucketRange(0, 1L << 20), new BucketRange(5, 6));
    assertThatThrownBy(() -> reader.summarize(collection(), overlapping, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlap");
    assertThatThrownBy(() -> reader.list(collection(), overlapping))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlap");
  }

  /**
   * F5: a point read returns, once each, the listed fingerprint of every asked id the collection
   * holds, and nothing for the others.
   */
  @Test
  void rule_F5_pointReadsAnswerAsTheListing() throws Exception {
    FingerprintReader reader = reader();
    List<KeyFingerprint> all = reader.list(collection(), ALL);
    Map<String, Long> listed = new HashMap<>();
    all.forEach(k -> listed.put(k.key().id(), k.fingerprint()));
    List<String> asked = new ArrayList<>();
    Map<String, Long> expected = new HashMap<>();
    for (int i = 0; i < all.size(); i += 7) {
      String id = all.get(i).key().id();
      asked.add(id);
      asked.add(id); // asked twice, answered once
      expected.put(id, listed.get(id));
    }
    for (String absent : absentIds()) {
      assertThat(listed).as("absent id %s is listed", absent).doesNotContainKey(absent);
      asked.add(absent);
    }
    List<KeyFingerprint> read = reader.read(collection(), asked);
    Map<String, Long> got = new HashMap<>();
    for (KeyFingerprint k : read) {
      assertThat(got.put(k.key().id(), k.fingerprint()))
          .as("read twice: %s", k.key().id())
          .isNull();
    }
    assertThat(got).isEqualTo(expected);
    assertThat(reader.read(collection(), List.of())).isEmpty();
  }

  /**
   * F7: keys at the edges (the empty id, ids of thousands of characters, the reader's own {@link
   * #edgeIds()}) are listed once each, fall in the bucket their id hashes to, and a point read
   * returns exactly their listed fingerprints, alone or among the {@link #absentIds()}.
   */
  @Test
  void rule_F7_edgeKeysAreListedAndPointRead() throws Exception {
    FingerprintReader reader = reader();
    Map<String, Long> listed = new HashMap<>();
    reader.list(collection(), ALL).forEach(k -> listed.put(k.key().id(), k.fingerprint()));
    List<String> edges = edgeIds();
    assertThat(edges).as("edge ids to check").isNotEmpty();
    Map<String, Long> expected = new HashMap<>();
    for (String id : edges) {
      assertThat(listed).as("the collection's key '%s' is listed", id).containsKey(id);
      expected.put(id, listed.get(id));
      long b = Fingerprints.bucket(id);
      assertThat(ids(reader.list(collection(), List.of(new BucketRange(b, b + 1)))))
          .as("the bucket of '%s'", id)
          .contains(id);
      assertThat(reader.read(collection(), List.of(id)))
          .as("point read of '%s'", id)
          .singleElement()
          .satisfies(
              k -> {
                assertThat(k.key().id()).isEqualTo(id);
                assertThat(k.fingerprint()).isEqualTo(listed.get(id));
              });
    }
    List<String> asked = new ArrayList<>(edges);
    asked.addAll(absentIds());
    Map<String, Long> got = new HashMap<>();
    for (KeyFingerprint k : reader.read(collection(), asked)) {
      assertThat(got.put(k.key().id(), k.fingerprint()))
          .as("read twice: %s", k.key().id())
          .isNull();
    }
    assertThat(got).isEqualTo(expected);
  }

  /** F6: bytes moved never decrease, or are not counted at all ({@code -1}). */
  @Test
  void rule_F6_bytesReadOnlyGrow() throws Exception {
    FingerprintReader reader = reader();
    long before = reader.bytesRead();
    reader.summarize(collection(), ALL, 4);
    long after = reader.bytesRead();
    if (before < 0) {
      assertThat(after).isEqualTo(-1);
    } else {
      assertThat(after).isGreaterThan(before);
    }
  }

  /** The summaries {@code range} split in {@code splits} must have, from a listing. */
  private static List<BucketSummary> aggregate(
      List<KeyFingerprint> all, BucketRange range, int splits) {
    Map<Integer, long[]> sums = new HashMap<>();
    for (KeyFingerprint k : all) {
      long b = Fingerprints.bucket(k.key().id());
      if (b < range.from() || b >= range.to()) {
        continue;
      }
      int i = 0;
      while (Fingerprints.boundary(range.from(), range.to(), splits, i + 1) <= b) {
        i++;
      }
      long f = Fingerprints.perKey(k.key().id(), k.fingerprint());
      long[] s = sums.computeIfAbsent(i, x -> new long[4]);
      s[0]++;
      s[1] += Fingerprints.low(f);
      s[2] += Fingerprints.mid(f);
      s[3] += Fingerprints.high(f);
    }
    List<BucketSummary> out = new ArrayList<>();
    sums.forEach(
        (i, s) ->
            out.add(
                new BucketSummary(
                    new BucketRange(
                        Fingerprints.boundary(range.from(), range.to(), splits, i),
                        Fingerprints.boundary(range.from(), range.to(), splits, i + 1)),
                    s[0],
                    s[1],
                    s[2],
                    s[3])));
    return out;
  }
}
