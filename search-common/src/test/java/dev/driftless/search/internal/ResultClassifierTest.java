package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.spi.WriteResult;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Classification of bulk responses in the shape OpenSearch 2.19 and Elasticsearch 7.10 return them
 * (item and error bodies as the engines write them; OpenSearch names rejected execution {@code
 * rejected_execution_exception}, Elasticsearch {@code es_rejected_execution_exception}).
 */
class ResultClassifierTest {

  private static final String BULK =
      "{\"took\":30,\"errors\":true,\"items\":["
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"1\",\"_version\":5,\"result\":\"created\",\"status\":201}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"2\",\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\","
          + "\"reason\":\"[2]: version conflict, current version [9] is higher than the one provided [5]\",\"index\":\"o\"}}},"
          + "{\"delete\":{\"_index\":\"o\",\"_id\":\"3\",\"_version\":4,\"result\":\"not_found\",\"status\":404}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"4\",\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\","
          + "\"reason\":\"failed to parse field [n] of type [long] in document with id '4'. Preview of field's value: 'abc'\","
          + "\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":\"For input string: \\\"abc\\\"\"}}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"5\",\"status\":429,\"error\":{\"type\":\"rejected_execution_exception\","
          + "\"reason\":\"rejected execution of coordinating operation\"}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"6\",\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\","
          + "\"reason\":\"rejected execution of org.elasticsearch...\"}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"7\",\"status\":403,\"error\":{\"type\":\"cluster_block_exception\","
          + "\"reason\":\"index [o] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];\"}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"8\",\"status\":503,\"error\":{\"type\":\"unavailable_shards_exception\","
          + "\"reason\":\"[o][0] primary shard is not active\"}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"9\",\"status\":400,\"error\":{\"type\":\"illegal_argument_exception\","
          + "\"reason\":\"Limit of total fields [1000] has been exceeded\"}}},"
          + "{\"index\":{\"_index\":\"o\",\"_id\":\"10\",\"status\":400,\"error\":{\"type\":\"illegal_argument_exception\","
          + "\"reason\":\"mapper [price] cannot be changed from type [float] to [long]\"}}}"
          + "]}";

  private static WriteResult item(int i, boolean delete) throws Exception {
    JsonNode wrapper = EngineJson.MAPPER.readTree(BULK).get("items").get(i);
    JsonNode r = wrapper.elements().next();
    return ResultClassifier.classifyItem(delete, r.path("status").asInt(), r.get("error"));
  }

  @Test
  void aLostDynamicMappingRaceIsRetriedNotRejected() throws Exception {
    // Two bulks in flight both mapped a new numeric field, as float and as long; the second
    // document is fine once the mapping has settled.
    assertThat(item(9, false))
        .isInstanceOfSatisfying(
            WriteResult.Retry.class,
            r -> {
              assertThat(r.throttled()).isFalse();
              assertThat(r.reason()).contains("cannot be changed from type [float] to [long]");
            });
    // Other illegal arguments are the document's own fault.
    assertThat(item(8, false)).isInstanceOf(WriteResult.Rejected.class);
  }

  @Test
  void classifiesEveryItemOfAPartlyFailedBulkResponse() throws Exception {
    assertThat(item(0, false)).isEqualTo(WriteResult.applied());
    assertThat(item(1, false)).isEqualTo(WriteResult.stale());
    assertThat(item(2, true)).isEqualTo(WriteResult.applied());
    assertThat(item(3, false))
        .isEqualTo(
            WriteResult.rejected(
                "mapper_parsing_exception",
                "failed to parse field [n] of type [long] in document with id '4'. Preview of"
                    + " field's value: 'abc' (caused by illegal_argument_exception: For input"
                    + " string: \"abc\")"));
    assertThat(item(4, false))
        .isInstanceOfSatisfying(WriteResult.Retry.class, r -> assertThat(r.throttled()).isTrue());
    assertThat(item(5, false))
        .isInstanceOfSatisfying(WriteResult.Retry.class, r -> assertThat(r.throttled()).isTrue());
    assertThat(item(6, false))
        .isInstanceOfSatisfying(WriteResult.Retry.class, r -> assertThat(r.throttled()).isFalse());
    assertThat(item(7, false))
        .isInstanceOfSatisfying(WriteResult.Retry.class, r -> assertThat(r.throttled()).isFalse());
    assertThat(item(8, false)).isInstanceOf(WriteResult.Rejected.class);
  }

  private static ResultClassifier.RequestOutcome request(int status, String body) {
    return ResultClassifier.classifyRequest(
        new TransportResponse(status, body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void classifiesWholeRequestFailures() {
    assertThat(request(413, "")).isEqualTo(ResultClassifier.RequestOutcome.SPLIT);
    assertThat(
            request(
                429,
                "{\"error\":{\"type\":\"rejected_execution_exception\",\"reason\":\"x\"},\"status\":429}"))
        .isEqualTo(ResultClassifier.RequestOutcome.RETRY_THROTTLED);
    assertThat(
            request(
                503,
                "{\"error\":{\"type\":\"cluster_block_exception\",\"reason\":\"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];\"},\"status\":503}"))
        .isEqualTo(ResultClassifier.RequestOutcome.RETRY);
    assertThat(request(502, "<html>bad gateway</html>"))
        .isEqualTo(ResultClassifier.RequestOutcome.RETRY);
    assertThat(
            request(
                401,
                "{\"error\":{\"type\":\"security_exception\",\"reason\":\"missing authentication credentials\"},\"status\":401}"))
        .isEqualTo(ResultClassifier.RequestOutcome.FATAL);
    assertThat(
            request(
                400,
                "{\"error\":{\"type\":\"illegal_argument_exception\",\"reason\":\"Malformed action/metadata line [1]\"},\"status\":400}"))
        .isEqualTo(ResultClassifier.RequestOutcome.SPLIT);
  }

  @Test
  void aRejectionIsOverTheIndexingLimitOnlyWhenTheOperationAloneExceedsIt() {
    String busy =
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=104857000,"
            + " replica_bytes=0, all_bytes=104857000, coordinating_operation_bytes=2048,"
            + " max_coordinating_and_primary_bytes=104857600]";
    String tooBig =
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0,"
            + " replica_bytes=0, all_bytes=0, coordinating_operation_bytes=104857601,"
            + " max_coordinating_and_primary_bytes=104857600]";
    String replica =
        "rejected execution of replica operation [coordinating_and_primary_bytes=0,"
            + " replica_bytes=0, all_bytes=0, replica_operation_bytes=900,"
            + " max_replica_bytes=800]";
    assertThat(ResultClassifier.exceedsIndexingLimit(busy)).isFalse();
    assertThat(ResultClassifier.exceedsIndexingLimit(tooBig)).isTrue();
    assertThat(ResultClassifier.exceedsIndexingLimit(replica)).isTrue();
    assertThat(ResultClassifier.exceedsIndexingLimit("rejected execution of org.elasticsearch..."))
        .isFalse();
    assertThat(
            ResultClassifier.exceedsIndexingLimit(
                "coordinating_operation_bytes=99999999999999999999999,"
                    + " max_coordinating_and_primary_bytes=1"))
        .isFalse();

    byte[] body =
        ("{\"error\":{\"root_cause\":[],\"type\":\"es_rejected_execution_exception\",\"reason\":\""
                + tooBig
                + "\"},\"status\":429}")
            .getBytes(StandardCharsets.UTF_8);
    assertThat(ResultClassifier.classifyRequest(new TransportResponse(429, body)))
        .isEqualTo(ResultClassifier.RequestOutcome.SPLIT);
    byte[] busyBody =
        ("{\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\""
                + busy
                + "\"},\"status\":429}")
            .getBytes(StandardCharsets.UTF_8);
    assertThat(ResultClassifier.classifyRequest(new TransportResponse(429, busyBody)))
        .isEqualTo(ResultClassifier.RequestOutcome.RETRY_THROTTLED);
  }

  @Test
  void anAnswerWithoutErrorsAndOneItemPerActionIsAllApplied() {
    String ok =
        "{\"took\":3,\"errors\":false,\"items\":[{\"index\":{\"status\":201}},"
            + "{\"delete\":{\"status\":404}},{\"index\":{\"status\":200,\"_shards\":{\"total\":1}}}]}";
    assertThat(ResultClassifier.allApplied(bytes(ok), 3)).isTrue();
    assertThat(ResultClassifier.allApplied(bytes(ok), 2)).as("one item too many").isFalse();
    assertThat(ResultClassifier.allApplied(bytes(ok), 4)).as("one item missing").isFalse();
    assertThat(ResultClassifier.allApplied(bytes(ok.replace("false", "true")), 3)).isFalse();
    assertThat(ResultClassifier.allApplied(bytes(BULK), 9)).as("an answer with errors").isFalse();
    assertThat(ResultClassifier.allApplied(bytes("{\"items\":[{\"index\":{}}]}"), 1))
        .as("no errors flag")
        .isFalse();
    assertThat(ResultClassifier.allApplied(bytes("{\"errors\":false,\"items\":[{\"index\""), 1))
        .as("cut short")
        .isFalse();
    assertThat(ResultClassifier.allApplied(new byte[0], 0)).isFalse();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
