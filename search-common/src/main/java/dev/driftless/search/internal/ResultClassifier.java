package dev.driftless.search.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.WriteResult;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Turns the engines' answers into {@link WriteResult}s and exceptions (DESIGN.md §3). The same
 * table holds for Elasticsearch and OpenSearch, whose error types differ only in the rejected
 * execution name ({@code es_rejected_execution_exception} vs. {@code
 * rejected_execution_exception}).
 *
 * <table>
 *   <caption>Bulk item outcomes</caption>
 *   <tr><th>item status / error type</th><th>result</th></tr>
 *   <tr><td>2xx</td><td>Applied</td></tr>
 *   <tr><td>404 on a delete ({@code not_found}, no error)</td><td>Applied</td></tr>
 *   <tr><td>409 {@code version_conflict_engine_exception}</td><td>Stale</td></tr>
 *   <tr><td>429, {@code *rejected_execution_exception}</td><td>Retry, throttled (the sink
 *       sends again at once, in halves, the items whose shard request alone {@linkplain
 *       #exceedsIndexingLimit exceeded the node's indexing memory limit})</td></tr>
 *   <tr><td>{@code cluster_block_exception}, {@code index_not_found_exception}, 5xx (503
 *       unavailable shards)</td><td>Retry</td></tr>
 *   <tr><td>other 4xx ({@code mapper_parsing_exception}, {@code illegal_argument_exception},
 *       {@code document_parsing_exception}, …)</td><td>Rejected with the engine's type and
 *       reason</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Whole-request outcomes of {@code _bulk}</caption>
 *   <tr><th>status</th><th>what happens</th></tr>
 *   <tr><td>2xx</td><td>each item classified as above</td></tr>
 *   <tr><td>413</td><td>the request is split in halves and each half sent; a single item that is
 *       still too large is Rejected ({@code request_entity_too_large})</td></tr>
 *   <tr><td>429</td><td>{@link RetriableException}, throttled; but split like a 413 when the
 *       request alone {@linkplain #exceedsIndexingLimit exceeds the node's indexing memory
 *       limit}, so that a single item over it is Rejected instead of retried forever</td></tr>
 *   <tr><td>408, 5xx, 403 with a cluster block; no response</td><td>{@link
 *       RetriableException}</td></tr>
 *   <tr><td>401, other 403</td><td>{@link ConfigurationException}: credentials do not heal by
 *       retrying</td></tr>
 *   <tr><td>other 4xx</td><td>split in halves to isolate the culprit; a single item is Rejected
 *       with the engine's error</td></tr>
 * </table>
 *
 * <p>Thread-safe; stateless.
 */
public final class ResultClassifier {

  private static final Pattern OPERATION_BYTES =
      Pattern.compile("\\b(?:coordinating|primary|replica)_operation_bytes=(\\d+)");
  private static final Pattern LIMIT_BYTES =
      Pattern.compile("\\bmax_(?:coordinating_and_primary|replica)_bytes=(\\d+)");

  private ResultClassifier() {}

  /** What to do with a whole {@code _bulk} request's non-2xx response. */
  public enum RequestOutcome {
    /** Split the request in halves (or reject a single item). */
    SPLIT,
    /** Throw {@link RetriableException}. */
    RETRY,
    /** Throw {@link RetriableException} with {@code throttled} set. */
    RETRY_THROTTLED,
    /**
     * Throw a {@link ConfigurationException}: the credentials or privileges are wrong, which no
     * retry heals and no single event is to blame for, so a pipeline stops.
     */
    FATAL
  }

  /**
   * Classifies one bulk item.
   *
   * @param delete whether the item was a delete action
   * @param status the item's HTTP status
   * @param error the item's {@code error} object, or {@code null}
   */
  public static WriteResult classifyItem(boolean delete, int status, @Nullable JsonNode error) {
    String type = error == null ? null : errorType(error);
    if (status >= 200 && status < 300) {
      return WriteResult.applied();
    }
    if (status == 404 && delete && error == null) {
      return WriteResult.applied();
    }
    if (status == 409) {
      return WriteResult.stale();
    }
    String reason = error == null ? "HTTP " + status : describe(error);
    if (status == 429 || (type != null && type.endsWith("rejected_execution_exception"))) {
      return WriteResult.retry(reason, true);
    }
    if (status >= 500
        || "cluster_block_exception".equals(type)
        || "index_not_found_exception".equals(type)
        || status == 408) {
      return WriteResult.retry(reason, false);
    }
    if (isDynamicMappingRace(type, reason)) {
      return WriteResult.retry(reason, false);
    }
    if (status >= 400) {
      return WriteResult.rejected(type == null ? "http_" + status : type, reason);
    }
    return WriteResult.retry("unexpected item status " + status + ": " + reason, false);
  }

  /**
   * Whether an item lost a race between two dynamic mapping updates: two requests in flight at once
   * each added a new field, one as {@code float} and one as {@code long} (a numeric attribute whose
   * first values differ, as DynamoDB numbers do), and the engine refused the second update. The
   * mapping has settled by then, and the same document sent again is parsed with it (a {@code
   * float} field takes integers), so it is retried, not dead-lettered. The combined-fault suite
   * against DynamoDB found it (seed 2167030052). A value that does not fit an existing field fails
   * with {@code mapper_parsing_exception} instead, and stays Rejected.
   */
  static boolean isDynamicMappingRace(@Nullable String type, String reason) {
    return "illegal_argument_exception".equals(type)
        && reason.startsWith("mapper [")
        && reason.contains("] cannot be changed from type [");
  }

  /** Classifies a whole {@code _bulk} response that is not 2xx. */
  public static RequestOutcome classifyRequest(TransportResponse response) {
    int status = response.status();
    if (status == 413) {
      return RequestOutcome.SPLIT;
    }
    String type = errorType(response);
    if (status == 429 || (type != null && type.endsWith("rejected_execution_exception"))) {
      // Throttling heals by waiting, unless the request alone is over the node's indexing memory
      // limit: then only smaller requests can pass.
      return exceedsIndexingLimit(describe(response))
          ? RequestOutcome.SPLIT
          : RequestOutcome.RETRY_THROTTLED;
    }
    if (status >= 500 || status == 408 || "cluster_block_exception".equals(type)) {
      return RequestOutcome.RETRY;
    }
    if (status == 401 || status == 403) {
      return RequestOutcome.FATAL;
    }
    if (status >= 400) {
      return RequestOutcome.SPLIT;
    }
    return RequestOutcome.RETRY;
  }

  /**
   * Whether a {@code _bulk} answer says that none of its items failed ({@code "errors": false}) and
   * holds exactly {@code items} items: then each is Applied (a 2xx, or a delete's 404 without an
   * error), and the answer need not be read item by item. Reads the body as a stream without
   * building a tree; {@code false} for anything else, including a body that is not JSON.
   */
  public static boolean allApplied(byte[] body, int items) {
    Boolean errors = null;
    int count = -1;
    try (JsonParser p = EngineJson.MAPPER.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("errors".equals(name) && value.isBoolean()) {
          errors = value == JsonToken.VALUE_TRUE;
        } else if ("items".equals(name) && value == JsonToken.START_ARRAY) {
          count = 0;
          while (p.nextToken() == JsonToken.START_OBJECT) {
            p.skipChildren();
            count++;
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      return false;
    }
    return Boolean.FALSE.equals(errors) && count == items;
  }

  /**
   * Whether a rejection's reason says that the operation alone needs more memory than the node's
   * indexing pressure limit ({@code indexing_pressure.memory.limit}, 10% of the heap by default)
   * allows, so that sending it again as it is can never succeed. Elasticsearch 7.9+ and OpenSearch
   * word it {@code rejected execution of coordinating operation [...,
   * coordinating_operation_bytes=N, max_coordinating_and_primary_bytes=M]} (or {@code
   * primary_}/{@code replica_} in place of {@code coordinating_}); this is {@code N > M}. Any other
   * rejection (the node busy with other requests) is ordinary throttling.
   */
  public static boolean exceedsIndexingLimit(String reason) {
    Matcher operation = OPERATION_BYTES.matcher(reason);
    Matcher limit = LIMIT_BYTES.matcher(reason);
    if (!operation.find() || !limit.find()) {
      return false;
    }
    try {
      return Long.parseLong(operation.group(1)) > Long.parseLong(limit.group(1));
    } catch (NumberFormatException e) {
      return false; // digits beyond a long: not the engines' wording
    }
  }

  /**
   * The exception for a failed non-bulk request ({@code GET _mapping}, index creation, search):
   * {@link RetriableException} for statuses that may heal, {@link ConfigurationException} for
   * refused credentials, {@link DriftlessException} otherwise.
   */
  public static DriftlessException failure(String what, TransportResponse response) {
    String message = what + " failed: " + describe(response);
    return switch (classifyRequest(response)) {
      case RETRY_THROTTLED -> new RetriableException(message, null, true);
      case RETRY -> new RetriableException(message, null, false);
      case FATAL -> new ConfigurationException(message);
      case SPLIT -> new DriftlessException(message);
    };
  }

  /** The engine's error type of a whole response ({@code error.type}), or {@code null}. */
  public static @Nullable String errorType(TransportResponse response) {
    JsonNode root = parseQuietly(response.body());
    if (root == null) {
      return null;
    }
    JsonNode error = root.get("error");
    return error == null ? null : errorType(error);
  }

  /** The error type and reason of a whole response, or its status and text. */
  public static String describe(TransportResponse response) {
    JsonNode root = parseQuietly(response.body());
    JsonNode error = root == null ? null : root.get("error");
    if (error == null) {
      return response.toString();
    }
    return "HTTP " + response.status() + " " + errorTypeOr(error, "error") + ": " + describe(error);
  }

  /** The reason of an error object, followed by its {@code caused_by} chain. */
  public static String describe(JsonNode error) {
    if (error.isTextual()) {
      return error.asText();
    }
    StringBuilder sb = new StringBuilder(error.path("reason").asText(""));
    JsonNode cause = error.get("caused_by");
    for (int depth = 0; cause != null && depth < 5; depth++) {
      sb.append(" (caused by ")
          .append(cause.path("type").asText("?"))
          .append(": ")
          .append(cause.path("reason").asText(""))
          .append(')');
      cause = cause.get("caused_by");
    }
    if (sb.length() == 0) {
      JsonNode root = error.path("root_cause").path(0);
      sb.append(root.path("reason").asText(error.toString()));
    }
    return sb.toString();
  }

  static @Nullable String errorType(JsonNode error) {
    JsonNode type = error.get("type");
    return type == null || !type.isTextual() ? null : type.asText();
  }

  private static String errorTypeOr(JsonNode error, String fallback) {
    String type = errorType(error);
    return type == null ? fallback : type;
  }

  static @Nullable JsonNode parseQuietly(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      return EngineJson.MAPPER.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }
}
