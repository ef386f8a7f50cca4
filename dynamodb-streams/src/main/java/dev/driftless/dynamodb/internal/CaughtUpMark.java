package dev.driftless.dynamodb.internal;

import dev.driftless.core.SourcePosition;

/**
 * The "head" a DynamoDB Streams source gives {@code Pipeline.awaitCaughtUp}: the moment ({@link
 * System#nanoTime}) it was asked. DynamoDB Streams has no position that covers every shard, so the
 * reader compares this moment with when each shard last came back empty (see {@link
 * StreamReader#reached}). Never committed or stored.
 *
 * @param nanos the {@link System#nanoTime} when the head was taken
 */
public record CaughtUpMark(long nanos) implements SourcePosition {
  @Override
  public String asString() {
    return "caught-up-mark:" + nanos;
  }
}
