package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The backfill's token buckets, on a clock the test moves. */
class ReadBudgetTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void noLimitNeverWaits() {
    AtomicLong now = new AtomicLong();
    ReadBudget budget = new ReadBudget(0, 0, now::get);
    budget.spend(1_000_000, 1e6);
    assertThat(budget.delayNanos()).isZero();
  }

  @Test
  void aSecondsWorthGoesAtOnceThenDebtDelaysTheNextRequest() {
    AtomicLong now = new AtomicLong();
    ReadBudget budget = new ReadBudget(100, 0, now::get);
    budget.spend(100, 0);
    assertThat(budget.delayNanos()).isZero(); // the bucket is empty, not in debt
    budget.spend(50, 0);
    assertThat(budget.delayNanos()).isEqualTo(SECOND / 2);
    now.addAndGet(SECOND / 4);
    assertThat(budget.delayNanos()).isEqualTo(SECOND / 4);
    now.addAndGet(SECOND / 4);
    assertThat(budget.delayNanos()).isZero();
  }

  @Test
  void theReadUnitBucketDelaysByWhatPagesCost() {
    AtomicLong now = new AtomicLong();
    ReadBudget budget = new ReadBudget(0, 10, now::get);
    budget.spend(5, 30); // 10 held, 30 spent: 20 in debt
    assertThat(budget.delayNanos()).isEqualTo(2 * SECOND);
    now.addAndGet(10 * SECOND); // refills to at most one second's worth
    budget.spend(1, 10);
    assertThat(budget.delayNanos()).isZero();
    budget.spend(1, 5);
    assertThat(budget.delayNanos()).isEqualTo(SECOND / 2);
  }

  @Test
  void overTimeTheRateHolds() {
    AtomicLong now = new AtomicLong();
    ReadBudget budget = new ReadBudget(1000, 0, now::get);
    long items = 0;
    for (int page = 0; page < 500; page++) {
      now.addAndGet(budget.delayNanos());
      budget.spend(37, 0);
      items += 37;
    }
    double seconds = now.get() / (double) SECOND;
    // 18,500 items at 1,000/s, of which 1,000 at once and the last page on credit: about 17.5 s.
    assertThat(seconds).isBetween(17.4, 17.6);
    assertThat(items).isEqualTo(18_500);
  }
}
