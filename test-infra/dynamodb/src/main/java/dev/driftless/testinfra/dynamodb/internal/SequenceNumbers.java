package dev.driftless.testinfra.dynamodb.internal;

import java.math.BigInteger;
import java.util.Random;

/**
 * Hands out stream sequence numbers: digit strings of 21 to 40 characters, strictly increasing over
 * the whole emulator (so within a shard and along every lineage). Each new shard starts just below
 * the next power of ten, so the length grows by one inside most shards and between a parent and its
 * children: a consumer that compares sequence numbers as strings fails quickly.
 */
final class SequenceNumbers {
  private static final int MIN_DIGITS = 21;
  private static final int MAX_DIGITS = 40;

  private final Random random;
  private BigInteger last;

  SequenceNumbers(long seed) {
    this.random = new Random(seed);
    this.last = BigInteger.TEN.pow(MIN_DIGITS - 1).multiply(BigInteger.valueOf(3));
  }

  /** The next number for a record. */
  BigInteger next() {
    BigInteger n = last.add(BigInteger.valueOf(1 + random.nextInt(3)));
    if (n.toString().length() > MAX_DIGITS) {
      throw new IllegalStateException("sequence numbers exhausted");
    }
    last = n;
    return n;
  }

  /** The starting number of a new shard: a jump to just below the next power of ten. */
  BigInteger nextShardStart() {
    int digits = last.toString().length();
    if (digits < MAX_DIGITS) {
      BigInteger jump =
          BigInteger.TEN.pow(digits).subtract(BigInteger.valueOf(8 + random.nextInt(40)));
      if (jump.compareTo(last) > 0) {
        last = jump;
        return jump;
      }
    }
    return next();
  }
}
