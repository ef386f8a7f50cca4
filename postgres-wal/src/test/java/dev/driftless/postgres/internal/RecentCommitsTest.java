package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record behind the snapshot rule of reads that label rows with versions (DESIGN §5, I3). */
class RecentCommitsTest {

  private static final DocumentKey A = DocumentKey.of("t", "a");
  private static final DocumentKey B = DocumentKey.of("t", "b");
  private static final DocumentKey OTHER = DocumentKey.of("u", "a");

  @Test
  void theFrontierStartsBelowTheStartPositionAndFollowsDecodedCommits() {
    RecentCommits r = new RecentCommits();
    assertThat(r.frontier()).isEqualTo(-1);
    r.startedWith(1000, TxSnapshot.parse("50:50:"));
    assertThat(r.frontier()).isEqualTo(999);
    r.decoded(60, 1200, List.of(A), List.of());
    assertThat(r.frontier()).isEqualTo(1200);
    r.decodedBelow(1500);
    assertThat(r.frontier()).isEqualTo(1499);
    r.decodedBelow(1400); // never backwards
    assertThat(r.frontier()).isEqualTo(1499);
  }

  @Test
  void aKeyChangedByADecodedTransactionTheSnapshotMissesIsRacing() {
    RecentCommits r = new RecentCommits();
    r.startedWith(1000, TxSnapshot.parse("50:50:"));
    r.decoded(60, 1200, List.of(A), List.of());
    r.decoded(61, 1300, List.of(B), List.of());
    long generation = r.generation();
    // 60 is still in progress for this snapshot (the commit-visibility race), 61 is seen.
    RecentCommits.Verdict v =
        r.check(TxSnapshot.parse("60:62:60"), List.of(A, B, OTHER), generation);
    assertThat(v.retake()).isFalse();
    assertThat(v.frontier()).isEqualTo(1300);
    assertThat(v.racing()).containsExactly(A);
    // A snapshot that sees both: nothing races.
    assertThat(r.check(TxSnapshot.parse("62:62:"), List.of(A, B), generation).racing()).isEmpty();
  }

  @Test
  void aTruncatedOrOverfullCollectionRacesAsAWhole() {
    RecentCommits r = new RecentCommits();
    r.startedWith(1000, TxSnapshot.parse("50:50:"));
    r.decoded(60, 1200, List.of(), List.of("t"));
    RecentCommits.Verdict v = r.check(TxSnapshot.parse("60:61:60"), List.of(A, OTHER), 0);
    assertThat(v.racing()).containsExactly(A);
  }

  @Test
  void visibleTransactionsAreForgottenAndOlderSnapshotsMustBeRetaken() {
    RecentCommits r = new RecentCommits();
    r.startedWith(1000, TxSnapshot.parse("50:50:"));
    r.decoded(60, 1200, List.of(A), List.of());
    long before = r.generation();
    TxSnapshot old = TxSnapshot.parse("60:61:60"); // taken before 60 became visible
    r.forgetVisible(TxSnapshot.parse("61:61:"));
    assertThat(r.size()).isZero();
    // The old snapshot would have raced with 60, which is forgotten now: it must be retaken.
    assertThat(r.check(old, List.of(A), before).retake()).isTrue();
    assertThat(r.check(TxSnapshot.parse("61:61:"), List.of(A), r.generation()).retake()).isFalse();
  }

  @Test
  void transactionsFinishingAtStartAreNamedUntilASnapshotSeesPastThem() {
    RecentCommits r = new RecentCommits();
    r.startedWith(1000, TxSnapshot.parse("40:50:42,45"));
    assertThat(r.unseenAtStart(TxSnapshot.parse("45:52:45"))).containsExactly(45L);
    assertThat(r.unseenAtStart(TxSnapshot.parse("46:52:"))).isEmpty();
    r.forgetVisible(TxSnapshot.parse("46:52:"));
    assertThat(r.unseenAtStart(TxSnapshot.parse("40:50:42,45"))).isEmpty();
    assertThat(Set.copyOf(r.unseenAtStart(TxSnapshot.parse("40:50:42")))).isEmpty();
  }
}
