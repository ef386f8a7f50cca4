package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords. */
final class StreamsOps {
  static final long PAGE_BYTES = 1024 * 1024;

  private final EmulatorState state;
  private long nextChain = 1;

  StreamsOps(EmulatorState state) {
    this.state = state;
  }

  ObjectNode handle(String op, JsonNode req) {
    return switch (op) {
      case "ListStreams" -> listStreams(req);
      case "DescribeStream" -> describeStream(req);
      case "GetShardIterator" -> getShardIterator(req);
      case "GetRecords" -> getRecords(req);
      default -> throw ApiError.unknownOperation("Unknown operation: " + op);
    };
  }

  /** The shard a request addresses (for shard-scoped faults), if it names one. */
  static @Nullable String shardOf(String op, JsonNode req) {
    if (op.equals("GetShardIterator")) {
      JsonNode n = req.get("ShardId");
      return n == null ? null : n.asText();
    }
    if (op.equals("GetRecords")) {
      JsonNode n = req.get("ShardIterator");
      ShardIterators.Position p = n == null ? null : ShardIterators.decode(n.asText());
      return p == null ? null : p.shardId();
    }
    return null;
  }

  private static int limit(JsonNode req, int dflt, int max) {
    Integer l = Json.optionalInt(req, "Limit");
    if (l == null) {
      return dflt;
    }
    if (l < 1 || l > max) {
      throw ApiError.validation(
          "1 validation error detected: Value '"
              + l
              + "' at 'limit' failed to satisfy constraint: Member must have value between 1 and "
              + max);
    }
    return l;
  }

  private Stream stream(String arn) {
    Stream s = state.streams.stream(arn);
    if (s == null) {
      throw ApiError.notFound("Requested resource not found: Stream: " + arn + " not found");
    }
    return s;
  }

  private ObjectNode listStreams(JsonNode req) {
    String table = Json.optionalString(req, "TableName");
    int limit = limit(req, 100, 100);
    String start = Json.optionalString(req, "ExclusiveStartStreamArn");
    List<Stream> all = new ArrayList<>();
    for (Stream s : state.streams.streams) {
      if (!s.removed && (table == null || s.tableName.equals(table))) {
        all.add(s);
      }
    }
    int from = 0;
    if (start != null) {
      for (int i = 0; i < all.size(); i++) {
        if (all.get(i).arn.equals(start)) {
          from = i + 1;
        }
      }
    }
    ObjectNode out = Json.object();
    ArrayNode arr = out.putArray("Streams");
    int i = from;
    for (; i < all.size() && arr.size() < limit; i++) {
      Stream s = all.get(i);
      ObjectNode o = arr.addObject();
      o.put("StreamArn", s.arn);
      o.put("TableName", s.tableName);
      o.put("StreamLabel", s.label);
    }
    if (i < all.size()) {
      out.put("LastEvaluatedStreamArn", all.get(i - 1).arn);
    }
    return out;
  }

  private ObjectNode describeStream(JsonNode req) {
    Stream s = stream(Json.requiredString(req, "StreamArn"));
    int limit = limit(req, 100, 100);
    String start = Json.optionalString(req, "ExclusiveStartShardId");
    ObjectNode filter = Json.optionalObject(req, "ShardFilter");
    String parent = null;
    if (filter != null) {
      String type = Json.optionalString(filter, "Type");
      if (!"CHILD_SHARDS".equals(type)) {
        throw ApiError.validation(
            "1 validation error detected: Value '"
                + type
                + "' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]");
      }
      parent = Json.optionalString(filter, "ShardId");
      if (parent == null) {
        throw ApiError.validation("ShardFilter of type CHILD_SHARDS needs a ShardId");
      }
    }
    List<Shard> order = s.shards;
    if (state.behaviour.shuffledListing) {
      // a fixed pseudo-random order: consumers must rebuild lineage from ParentShardId
      order = new ArrayList<>(s.shards);
      order.sort(Comparator.comparingInt(sh -> sh.id.hashCode() * 0x9E3779B9));
    }
    int from = 0;
    if (start != null) {
      Shard after = s.byId.get(start);
      if (after == null) {
        throw ApiError.notFound("Requested resource not found: Shard: " + start + " not found");
      }
      from = order.indexOf(after) + 1;
    }
    List<Shard> listed = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      Shard sh = order.get(i);
      boolean hidden = sh.hiddenForDescribeCalls > 0;
      if (hidden) {
        sh.hiddenForDescribeCalls--;
      }
      if (sh.removed || hidden || i < from) {
        continue;
      }
      if (parent != null && !parent.equals(sh.parentId)) {
        continue;
      }
      listed.add(sh);
    }
    ObjectNode out = Json.object();
    ObjectNode d = out.putObject("StreamDescription");
    d.put("StreamArn", s.arn);
    d.put("StreamLabel", s.label);
    d.put("StreamStatus", s.status);
    d.put("StreamViewType", s.viewType);
    d.put("CreationRequestDateTime", s.createdAt.toEpochMilli() / 1000.0);
    d.put("TableName", s.tableName);
    d.set("KeySchema", s.keySchema);
    ArrayNode shards = d.putArray("Shards");
    for (int i = 0; i < listed.size() && i < limit; i++) {
      Shard sh = listed.get(i);
      ObjectNode o = shards.addObject();
      o.put("ShardId", sh.id);
      ObjectNode range = o.putObject("SequenceNumberRange");
      range.put("StartingSequenceNumber", sh.start.toString());
      BigInteger end = sh.end;
      if (end != null && sh.listedOpenForDescribeCalls > 0) {
        sh.listedOpenForDescribeCalls--;
      } else if (end != null) {
        range.put("EndingSequenceNumber", end.toString());
      }
      if (sh.parentId != null) {
        o.put("ParentShardId", sh.parentId);
      }
    }
    if (listed.size() > limit) {
      d.put("LastEvaluatedShardId", listed.get(limit - 1).id);
    }
    return out;
  }

  private ObjectNode getShardIterator(JsonNode req) {
    Stream s = stream(Json.requiredString(req, "StreamArn"));
    String shardId = Json.requiredString(req, "ShardId");
    String type = Json.requiredString(req, "ShardIteratorType");
    String seqText = Json.optionalString(req, "SequenceNumber");
    Shard sh = s.byId.get(shardId);
    if (sh == null || sh.removed) {
      throw ApiError.notFound("Requested resource not found: Shard does not exist: " + shardId);
    }
    int index;
    switch (type) {
      case "TRIM_HORIZON" -> index = sh.firstUntrimmed;
      case "LATEST" -> index = sh.size();
      case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER" -> {
        if (seqText == null) {
          throw ApiError.validation("SequenceNumber is required for ShardIteratorType " + type);
        }
        if (!seqText.matches("[0-9]{1,40}")) {
          throw ApiError.validation("Invalid SequenceNumber: " + seqText);
        }
        BigInteger seq = new BigInteger(seqText);
        BigInteger last = sh.size() == 0 ? sh.start : lastSequence(sh);
        if (seq.compareTo(sh.start) < 0 || seq.compareTo(last) > 0) {
          throw ApiError.validation(
              "Invalid SequenceNumber for ShardIteratorType "
                  + type
                  + ": "
                  + seqText
                  + " is not in shard "
                  + shardId);
        }
        boolean after = type.startsWith("AFTER");
        BigInteger trimmed = sh.lastTrimmed;
        if (trimmed != null && seq.compareTo(trimmed) <= (after ? -1 : 0)) {
          throw ApiError.service(
              "TrimmedDataAccessException",
              "The operation attempted to read past the oldest stream record in a shard: "
                  + seqText);
        }
        index = firstIndex(sh, seq, after);
      }
      default ->
          throw ApiError.validation(
              "1 validation error detected: Value '"
                  + type
                  + "' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AFTER_SEQUENCE_NUMBER]");
    }
    ObjectNode out = Json.object();
    out.put(
        "ShardIterator",
        ShardIterators.encode(
            new ShardIterators.Position(s.arn, sh.id, index, state.now(), nextChain++, 0)));
    return out;
  }

  private static BigInteger lastSequence(Shard sh) {
    StreamRecord r = sh.records.get(sh.size() - 1);
    BigInteger trimmed = sh.lastTrimmed;
    if (r != null) {
      return r.sequenceNumber();
    }
    return trimmed != null ? trimmed : sh.start;
  }

  /** The index of the first record with a sequence number >= seq (> seq when after). */
  private static int firstIndex(Shard sh, BigInteger seq, boolean after) {
    int lo = 0;
    int hi = sh.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      StreamRecord r = sh.records.get(mid);
      // trimmed records (null) are all older than any live one
      int c = r == null ? -1 : r.sequenceNumber().compareTo(seq);
      if (c < 0 || (after && c == 0)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private ObjectNode getRecords(JsonNode req) {
    String text = Json.requiredString(req, "ShardIterator");
    Integer limitArg = Json.optionalInt(req, "Limit");
    int limit = limitArg == null ? 1000 : limitArg;
    if (limit < 1) {
      throw ApiError.validation("Limit must be at least 1");
    }
    if (limit > 1000) {
      throw ApiError.service(
          "LimitExceededException",
          "GetRecords was called with a Limit greater than 1000: " + limit);
    }
    ShardIterators.Position p = text.length() > 2048 ? null : ShardIterators.decode(text);
    if (p == null) {
      throw ApiError.validation("Invalid ShardIterator");
    }
    Stream s = stream(p.streamArn());
    Shard sh = s.byId.get(p.shardId());
    if (sh == null) {
      throw ApiError.notFound("Requested resource not found: Shard does not exist: " + p.shardId());
    }
    Instant now = state.now();
    if (p.issuedAt().plus(state.settings.iteratorLifetime()).isBefore(now)) {
      throw ApiError.service(
          "ExpiredIteratorException",
          "Iterator expired. The iterator was created at time "
              + p.issuedAt()
              + " while right now it is "
              + now
              + " which is further in the future than the tolerated delay of "
              + state.settings.iteratorLifetime().toMillis()
              + " milliseconds.");
    }
    sh.getRecordsCalls++;
    sh.readers.put(p.chain(), now);
    Instant window = now.minus(state.behaviour.readerWindow);
    sh.readers.values().removeIf(i -> i.isBefore(window));
    int maxReaders = state.behaviour.maxReadersPerShard;
    if (maxReaders > 0) {
      if (sh.readers.size() > maxReaders) {
        sh.readers.remove(p.chain());
        throw ApiError.service(
            "LimitExceededException",
            "Too many readers of shard " + sh.id + ": at most " + maxReaders + " may read at once");
      }
    }
    if (p.index() < sh.firstUntrimmed) {
      throw ApiError.service(
          "TrimmedDataAccessException",
          "The operation attempted to read past the oldest stream record in shard " + sh.id);
    }
    Instant visibleBefore = now.minus(state.behaviour.propagationDelay);
    // records are in write order, so the visible ones are a prefix of what lies ahead
    int visibleEnd = p.index();
    while (visibleEnd < sh.size()
        && visibleEnd - p.index() < limit
        && !sh.record(visibleEnd).createdAt().isAfter(visibleBefore)) {
      visibleEnd++;
    }
    ObjectNode out = Json.object();
    ArrayNode records = out.putArray("Records");
    int index = p.index();
    int empties = p.emptyPages();
    if (index < visibleEnd && empties < state.behaviour.sparseEmptyPages) {
      empties++;
    } else {
      long bytes = 0;
      while (index < visibleEnd && records.size() < limit) {
        StreamRecord r = sh.record(index);
        if (records.size() > 0 && bytes + r.sizeBytes() > PAGE_BYTES) {
          break;
        }
        bytes += r.sizeBytes();
        records.add(r.json());
        index++;
      }
      empties = 0;
    }
    boolean atEnd = !sh.isOpen() && index >= sh.size();
    boolean endNow = atEnd && (!state.behaviour.extraEmptyPageAtShardEnd || records.isEmpty());
    if (!endNow) {
      out.put(
          "NextShardIterator",
          ShardIterators.encode(
              new ShardIterators.Position(s.arn, sh.id, index, now, p.chain(), empties)));
    }
    return out;
  }
}
