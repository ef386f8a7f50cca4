package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The snapshot visibility rule the backfill's race check rests on. */
class TxSnapshotTest {

  @Test
  void parsesTheTextForm() {
    TxSnapshot s = TxSnapshot.parse("734:740:737,734");
    assertThat(s.xmin()).isEqualTo(734);
    assertThat(s.xmax()).isEqualTo(740);
    assertThat(s.inProgress()).containsExactly(734, 737);
    assertThat(s).hasToString("734:740:734,737");
    assertThat(TxSnapshot.parse("10:10:").inProgress()).isEmpty();
  }

  @Test
  void rejectsMalformedSnapshots() {
    assertThatThrownBy(() -> TxSnapshot.parse("10:9:")).hasMessageContaining("xmin > xmax");
    assertThatThrownBy(() -> TxSnapshot.parse("10:20:25")).hasMessageContaining("xip outside");
    assertThatThrownBy(() -> TxSnapshot.parse("10:20")).hasMessageContaining("xmin:xmax:xip");
    assertThatThrownBy(() -> TxSnapshot.parse("a:20:")).hasMessageContaining("not a snapshot");
  }

  @Test
  void aCommittedTransactionIsSeenUnlessInProgressOrAtOrAfterXmax() {
    TxSnapshot s = TxSnapshot.parse("734:740:734,737");
    assertThat(s.sawCommitted(700)).isTrue(); // below xmin
    assertThat(s.sawCommitted(734)).isFalse(); // in progress
    assertThat(s.sawCommitted(735)).isTrue(); // finished before the snapshot
    assertThat(s.sawCommitted(737)).isFalse();
    assertThat(s.sawCommitted(739)).isTrue();
    assertThat(s.sawCommitted(740)).isFalse(); // xmax: started after the snapshot
    assertThat(s.sawCommitted(9000)).isFalse();
    assertThat(s.belowXmin(733)).isTrue();
    assertThat(s.belowXmin(734)).isFalse();
  }

  @Test
  void thirtyTwoBitXidsAreComparedAcrossTheEpochBoundary() {
    long epoch = 5L << 32;
    // The snapshot straddles the wraparound: xmin in epoch 4, xmax in epoch 5.
    long xmin = epoch - 10;
    long xmax = epoch + 20;
    TxSnapshot s = TxSnapshot.parse(xmin + ":" + xmax + ":" + (epoch - 5) + "," + (epoch + 3));
    long beforeWrap = 0xFFFFFFFFL - 7; // epoch 4, between xmin and the in-progress one
    assertThat(s.widen(beforeWrap)).isEqualTo(epoch - 8);
    assertThat(s.sawCommitted(beforeWrap)).isTrue();
    assertThat(s.sawCommitted(0xFFFFFFFFL - 4)).isFalse(); // epoch - 5, in progress
    assertThat(s.sawCommitted(3)).isFalse(); // epoch + 3, in progress
    assertThat(s.sawCommitted(4)).isTrue(); // epoch + 4
    assertThat(s.sawCommitted(20)).isFalse(); // xmax
    assertThat(s.sawCommitted(0xFFFFFFFFL - 20)).isTrue(); // epoch - 21, below xmin
    assertThat(s.belowXmin(0xFFFFFFFFL - 20)).isTrue();
    // Compared as plain 32-bit numbers the answers would be wrong both ways.
    assertThat(0xFFFFFFFFL - 7 > (xmax & 0xFFFFFFFFL)).isTrue();
  }

  @Test
  void xidsAheadOfXmaxInEpochZeroStayNonNegative() {
    TxSnapshot s = TxSnapshot.parse("100:110:");
    assertThat(s.widen(105)).isEqualTo(105);
    assertThat(s.widen(0xFFFFFF00L)).isGreaterThanOrEqualTo(0);
    assertThat(s.sawCommitted(0xFFFFFF00L)).isFalse();
  }
}
