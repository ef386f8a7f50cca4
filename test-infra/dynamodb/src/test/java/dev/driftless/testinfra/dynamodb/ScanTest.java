package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/** Scan: segments, ExclusiveStartKey paging, Limit, 1 MB pages, filters and projections. */
class ScanTest extends EmulatorTestBase {

  void fill(int count, int blobBytes) {
    List<WriteRequest> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Map<String, AttributeValue> it = item("item" + i, "n", i, "blob", "b".repeat(blobBytes));
      batch.add(WriteRequest.builder().putRequest(p -> p.item(it)).build());
      if (batch.size() == 25 || i == count - 1) {
        List<WriteRequest> send = List.copyOf(batch);
        sdk.dynamoDb().batchWriteItem(b -> b.requestItems(Map.of("Items", send)));
        batch.clear();
      }
    }
  }

  Set<String> scanAll(Integer segment, Integer total, Integer limit, List<Integer> pageSizes) {
    Set<String> ids = new HashSet<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse r =
          sdk.dynamoDb()
              .scan(
                  b ->
                      b.tableName("Items")
                          .segment(segment)
                          .totalSegments(total)
                          .limit(limit)
                          .consistentRead(true)
                          .exclusiveStartKey(from));
      r.items().forEach(i -> assertThat(ids.add(i.get("id").s())).isTrue());
      pageSizes.add(r.count());
      start = r.hasLastEvaluatedKey() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return ids;
  }

  @Test
  void parallelSegmentsPartitionTheTableAndPagesChainByExclusiveStartKey() {
    createTable("Items", null);
    fill(200, 10);
    Set<String> union = new HashSet<>();
    int nonEmpty = 0;
    for (int seg = 0; seg < 4; seg++) {
      Set<String> part = scanAll(seg, 4, 7, new ArrayList<>());
      nonEmpty += part.isEmpty() ? 0 : 1;
      for (String id : part) {
        assertThat(union.add(id)).as("%s in two segments", id).isTrue();
      }
    }
    assertThat(union).hasSize(200);
    assertThat(nonEmpty).isGreaterThan(1);
    List<Integer> pages = new ArrayList<>();
    assertThat(scanAll(null, null, 50, pages)).hasSize(200);
    assertThat(pages).startsWith(50, 50, 50, 50);
  }

  @Test
  void pagesStopAtOneMegabyte() {
    createTable("Items", null);
    fill(30, 100_000);
    List<Integer> pages = new ArrayList<>();
    assertThat(scanAll(null, null, null, pages)).hasSize(30);
    assertThat(pages.size()).isGreaterThanOrEqualTo(3);
    assertThat(pages.get(0)).isBetween(10, 11);
  }

  @Test
  void filtersProjectionsAndSegmentValidation() {
    createTable("Items", null);
    fill(20, 1);
    ScanResponse r =
        sdk.dynamoDb()
            .scan(
                b ->
                    b.tableName("Items")
                        .filterExpression("n >= :ten")
                        .projectionExpression("id, #n")
                        .expressionAttributeNames(Map.of("#n", "n"))
                        .expressionAttributeValues(Map.of(":ten", AttributeValue.fromN("10"))));
    assertThat(r.count()).isEqualTo(10);
    assertThat(r.scannedCount()).isEqualTo(20);
    assertThat(r.items()).allSatisfy(i -> assertThat(i).containsOnlyKeys("id", "n"));
    assertThatThrownBy(
            () -> sdk.dynamoDb().scan(b -> b.tableName("Items").segment(4).totalSegments(4)))
        .isInstanceOf(DynamoDbException.class);
    assertThatThrownBy(() -> sdk.dynamoDb().scan(b -> b.tableName("Items").segment(1)))
        .isInstanceOf(DynamoDbException.class);
    assertThat(
            sdk.dynamoDb()
                .query(
                    b ->
                        b.tableName("Items")
                            .keyConditionExpression("id = :id")
                            .expressionAttributeValues(
                                Map.of(":id", AttributeValue.fromS("item3"))))
                .items())
        .extracting(i -> i.get("n").n())
        .containsExactly("3");
  }
}
