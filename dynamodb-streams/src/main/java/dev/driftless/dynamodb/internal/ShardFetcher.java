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
 * The two tasks of one shard, on reader threads: a fetch gets a page of records (with a fresh
 * iterator when there is none or it is old or expired, from after the last record fetched); a
 * conversion turns a fetched page into {@link Fetched} records, in order. They run concurrently for
 * one shard (the next page is fetched while the previous one is converted), each owning its part of
 * the {@link ShardState}. Stateless.
 */
final class ShardFetcher {

  /**
   * What a fetch produced.
   *
   * @param records the page's records not fetched before, in order
   * @param ended whether the service said the shard has no more records
   * @param full whether the page was full (more to read at once)
   * @param lagSecond creation second of the page's last record when full, else -1
   * @param error why the fetch failed, or {@code null}
   */
  record Outcome(
      List<Record> records,
      boolean ended,
      boolean full,
      long lagSecond,
      @Nullable RuntimeException error) {
    static Outcome failed(RuntimeException e) {
      return new Outcome(List.of(), false, false, -1, e);
    }
  }

  /**
   * What a conversion produced.
   *
   * @param records converted records, in order
   * @param left the records not converted because the conversion failed (to convert again)
   * @param error why the conversion stopped early, or {@code null}
   */
  record Conversion(List<Fetched> records, List<Record> left, @Nullable RuntimeException error) {}

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
    List<Record> out = new ArrayList<>();
    try {
      GetRecordsResponse page = getRecords(s);
      List<Record> records = page.records();
      for (Record record : records) {
        SequenceNumber sequence = sequenceOf(record);
        SequenceNumber before = s.lastFetched;
        if (sequence != null && before != null && !sequence.isAfter(before)) {
          continue; // fetched before (a new iterator can overlap)
        }
        out.add(record);
        if (sequence != null) {
          s.lastFetched = sequence;
        }
      }
      s.iterator = page.nextShardIterator();
      s.iteratorNanos = System.nanoTime();
      boolean full = records.size() >= settings.recordsPerRequest();
      long lag = -1;
      if (full && !records.isEmpty()) {
        Record last = records.get(records.size() - 1);
        if (last.dynamodb() != null && last.dynamodb().approximateCreationDateTime() != null) {
          lag = last.dynamodb().approximateCreationDateTime().getEpochSecond();
        }
      }
      return new Outcome(out, s.iterator == null, full, lag, null);
    } catch (TrimmedDataAccessException e) {
      if (s.trimTolerant && s.lastFetched == null) {
        // A new pipeline's root shard, nothing read: the horizon moved; start again from it.
        s.iterator = null;
        return new Outcome(List.of(), false, true, -1, null);
      }
      return Outcome.failed(
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
      return Outcome.failed(e);
    } catch (ResourceNotFoundException e) {
      return Outcome.failed(
          new StreamDataLostException(
              s.table.name,
              "shard "
                  + s.id
                  + " is gone (ResourceNotFound) before it was read to its end; records after "
                  + (s.resumeAfter() == null ? "its start" : s.resumeAfter())
                  + " were not read: "
                  + e.getMessage()));
    } catch (RuntimeException e) {
      return Outcome.failed(e);
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

  /**
   * Converts {@code page} in order; a failing re-read ({@code GetItem}) stops the conversion and
   * leaves the rest of the page, that record first, to be converted again.
   */
  static Conversion convert(ShardState s, List<Record> page) {
    List<Fetched> out = new ArrayList<>(page.size());
    for (int i = 0; i < page.size(); i++) {
      Record record = page.get(i);
      SequenceNumber sequence = sequenceOf(record);
      if (sequence != null && s.lastRead != null && !sequence.isAfter(s.lastRead)) {
        continue; // read before
      }
      Fetched f;
      try {
        f = s.table.converter.convert(s.id, record, s.clock, s.notBeforeSecond);
      } catch (RuntimeException e) {
        return new Conversion(out, List.copyOf(page.subList(i, page.size())), e);
      }
      s.lastRead = sequence;
      if (f != null) {
        out.add(f);
      }
    }
    return new Conversion(out, List.of(), null);
  }

  private static @Nullable SequenceNumber sequenceOf(Record record) {
    return record.dynamodb() == null || record.dynamodb().sequenceNumber() == null
        ? null
        : SequenceNumber.of(record.dynamodb().sequenceNumber());
  }
}
