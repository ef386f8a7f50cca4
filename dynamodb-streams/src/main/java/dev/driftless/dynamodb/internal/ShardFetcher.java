package dev.driftless.dynamodb.internal;

import dev.driftless.dynamodb.StreamDataLostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * One fetch of one shard, on a reader thread: converts records left over from a failed conversion,
 * or gets a page of records (with a fresh iterator when there is none or it is old or expired, from
 * after the last record read) and converts it. Stateless; the shard's state belongs to the fetch.
 */
final class ShardFetcher {

  /**
   * What a fetch produced.
   *
   * @param records converted records, in order
   * @param ended whether the service said the shard has no more records
   * @param full whether the page was full (more to read at once)
   * @param lagSecond creation second of the page's last record when full, else -1
   * @param error why the fetch stopped early, or {@code null}
   */
  record Outcome(
      List<Fetched> records,
      boolean ended,
      boolean full,
      long lagSecond,
      @Nullable RuntimeException error) {
    static Outcome failed(RuntimeException e) {
      return new Outcome(List.of(), false, false, -1, e);
    }
  }

  private final ReaderSettings settings;
  private final DynamoDbStreamsClient streams;
  private final AtomicLong iteratorRefreshes;

  ShardFetcher(
      ReaderSettings settings, DynamoDbStreamsClient streams, AtomicLong iteratorRefreshes) {
    this.settings = settings;
    this.streams = streams;
    this.iteratorRefreshes = iteratorRefreshes;
  }

  Outcome fetch(ShardState s) {
    List<Fetched> out = new ArrayList<>();
    boolean ended = false;
    boolean full = false;
    long lag = -1;
    try {
      if (s.raw.isEmpty()) {
        GetRecordsResponse page = getRecords(s);
        List<Record> records = page.records();
        s.raw.addAll(records);
        s.iterator = page.nextShardIterator();
        s.iteratorNanos = System.nanoTime();
        ended = s.iterator == null;
        full = records.size() >= settings.recordsPerRequest();
        if (full && !records.isEmpty()) {
          Record last = records.get(records.size() - 1);
          if (last.dynamodb() != null && last.dynamodb().approximateCreationDateTime() != null) {
            lag = last.dynamodb().approximateCreationDateTime().getEpochSecond();
          }
        }
      }
      convert(s, out);
      return new Outcome(out, ended, full, lag, null);
    } catch (TrimmedDataAccessException e) {
      if (s.trimTolerant && s.lastRead == null) {
        // A new pipeline's root shard, nothing read: the horizon moved; start again from it.
        s.iterator = null;
        return new Outcome(out, false, true, -1, null);
      }
      return new Outcome(
          out,
          false,
          false,
          -1,
          new StreamDataLostException(
              s.table.name,
              "records of shard "
                  + s.id
                  + " after "
                  + (s.resumeAfter() == null ? "its start" : s.resumeAfter())
                  + " were trimmed (older than the stream's 24-hour retention) before they were"
                  + " read: "
                  + e.getMessage()));
    } catch (ExpiredIteratorException e) {
      // Expired again right after a fresh iterator: back off, then start from a new one.
      s.iterator = null;
      return new Outcome(out, false, false, -1, e);
    } catch (ResourceNotFoundException e) {
      return new Outcome(
          out,
          false,
          false,
          -1,
          new StreamDataLostException(
              s.table.name,
              "shard "
                  + s.id
                  + " is gone (ResourceNotFound) before it was read to its end; records after "
                  + (s.resumeAfter() == null ? "its start" : s.resumeAfter())
                  + " were not read: "
                  + e.getMessage()));
    } catch (RuntimeException e) {
      return new Outcome(out, ended, full, lag, e);
    }
  }

  private GetRecordsResponse getRecords(ShardState s) {
    long now = System.nanoTime();
    if (s.iterator != null && now - s.iteratorNanos >= settings.iteratorRefreshAge().toNanos()) {
      s.iterator = null; // about to expire (15 minutes): replace it first
      iteratorRefreshes.incrementAndGet();
    }
    if (s.iterator == null) {
      s.iterator = newIterator(s);
      s.iteratorNanos = System.nanoTime();
    }
    try {
      String iterator = s.iterator;
      return streams.getRecords(b -> b.shardIterator(iterator).limit(settings.recordsPerRequest()));
    } catch (ExpiredIteratorException e) {
      iteratorRefreshes.incrementAndGet();
      s.iterator = newIterator(s);
      s.iteratorNanos = System.nanoTime();
      String iterator = s.iterator;
      return streams.getRecords(b -> b.shardIterator(iterator).limit(settings.recordsPerRequest()));
    }
  }

  private String newIterator(ShardState s) {
    SequenceNumber after = s.resumeAfter();
    String arn = s.table.streamArn;
    return streams
        .getShardIterator(
            b -> {
              b.streamArn(arn).shardId(s.id);
              if (after == null) {
                b.shardIteratorType(ShardIteratorType.TRIM_HORIZON);
              } else {
                b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
                    .sequenceNumber(after.text());
              }
            })
        .shardIterator();
  }

  /** Converts the raw records in order; a failing re-read leaves the rest for the next fetch. */
  private static void convert(ShardState s, List<Fetched> out) {
    while (!s.raw.isEmpty()) {
      Record record = s.raw.peekFirst();
      SequenceNumber sequence =
          record.dynamodb() == null || record.dynamodb().sequenceNumber() == null
              ? null
              : SequenceNumber.of(record.dynamodb().sequenceNumber());
      if (sequence != null && s.lastRead != null && !sequence.isAfter(s.lastRead)) {
        s.raw.pollFirst(); // read before (a new iterator can overlap)
        continue;
      }
      Fetched f = s.table.converter.convert(s.id, record, s.clock, s.notBeforeSecond);
      s.raw.pollFirst();
      s.lastRead = sequence;
      if (f != null) {
        out.add(f);
      }
    }
  }
}
