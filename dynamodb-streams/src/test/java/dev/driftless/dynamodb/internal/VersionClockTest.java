package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VersionClockTest {

  @Test
  void sameSecondChangesOfAKeyGetIncreasingVersions() {
    VersionClock clock = VersionClock.start();
    long a1 = clock.next("a", 100);
    long b1 = clock.next("b", 100);
    long a2 = clock.next("a", 100);
    assertThat(a1).isEqualTo(100 * VersionClock.PER_SECOND);
    assertThat(b1).isEqualTo(100 * VersionClock.PER_SECOND);
    assertThat(a2).isEqualTo(a1 + 1);
    assertThat(clock.next("a", 101)).isEqualTo(101 * VersionClock.PER_SECOND);
  }

  @Test
  void aCreationTimeGoingBackDoesNotMakeAVersionOlder() {
    VersionClock clock = VersionClock.start();
    long first = clock.next("a", 200);
    long second = clock.next("a", 199);
    assertThat(second).isGreaterThan(first);
  }

  @Test
  void aRestoredClockContinuesExactly() {
    VersionClock clock = VersionClock.start();
    clock.next("a", 50);
    clock.next("a", 50);
    VersionClock restored = VersionClock.restore(clock.second(), clock.counts());
    assertThat(restored.next("a", 50)).isEqualTo(clock.next("a", 50));
  }

  @Test
  void aChildGoesOnFromItsParentsCopy() {
    VersionClock parent = VersionClock.start();
    long last = parent.next("k", 7);
    VersionClock child = parent.copy();
    assertThat(child.next("k", 7)).isGreaterThan(last);
  }
}
