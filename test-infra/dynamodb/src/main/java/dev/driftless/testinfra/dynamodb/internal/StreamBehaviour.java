package dev.driftless.testinfra.dynamodb.internal;

import java.time.Duration;

/** Switches for the stream read path that tests may flip at any time. */
public final class StreamBehaviour {
  /** Empty pages GetRecords returns on an iterator chain before each page with data. */
  public volatile int sparseEmptyPages;

  /** At the end of a closed shard: one extra empty page before NextShardIterator is omitted. */
  public volatile boolean extraEmptyPageAtShardEnd;

  /** Records become readable only this long after the write. */
  public volatile Duration propagationDelay = Duration.ZERO;

  /** Reader chains count as active for this long after their last GetRecords call. */
  public volatile Duration readerWindow = Duration.ofSeconds(30);

  /** More active readers of one shard than this get LimitExceededException (0: no limit). */
  public volatile int maxReadersPerShard;

  /** A new child shard stays out of DescribeStream listings for this many calls. */
  public volatile int childListedLateCalls;

  /** A shard closed by rollover or split is listed without its end for this many calls. */
  public volatile int parentListedOpenCalls;

  /** DescribeStream lists shards in a fixed pseudo-random order instead of creation order. */
  public volatile boolean shuffledListing;

  /** Send a correct x-amz-crc32 header on every response. */
  public volatile boolean crc32;
}
