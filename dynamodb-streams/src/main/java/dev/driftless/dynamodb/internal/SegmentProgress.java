package dev.driftless.dynamodb.internal;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Which segments of one table's backfill are scanned, by whom, and how far each has settled: a
 * scanning thread claims a segment, the pipeline's commits settle its pages, and a segment whose
 * last page settled is done. The single-instance implementation keeps it in the table's {@link
 * TableCheckpoint} ({@link CheckpointedSegments}); with leases across instances a segment can be a
 * lease, so the scan runs once, not once per instance. Called under the {@link StreamReader}'s
 * lock; must not block.
 */
interface SegmentProgress {

  /**
   * A segment to scan.
   *
   * @param segment the Scan's {@code Segment}
   * @param after the key to resume after ({@code ExclusiveStartKey}), or {@code null} for its start
   */
  record Claim(int segment, @Nullable Map<String, AttributeValue> after) {}

  /** The Scan's {@code TotalSegments}. */
  int totalSegments();

  /** A segment neither done nor claimed, now claimed by the caller; {@code null} when none. */
  @Nullable Claim claim();

  /** A claimed segment goes back unfinished (its scan stopped); it can be claimed again. */
  void release(int segment);

  /**
   * Every item of {@code segment} up to {@code next} is settled ({@code pageItems} of them in this
   * page); {@code next == null}: the segment is done.
   */
  void settled(int segment, @Nullable Map<String, AttributeValue> next, int pageItems);

  /** The progress as the checkpoint stores it. */
  BackfillCheckpoint state();
}
