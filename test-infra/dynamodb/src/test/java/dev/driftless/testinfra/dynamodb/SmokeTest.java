package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.*;

class SmokeTest {
  @Test
  void putThenReadTheStream() {
    try (DynamoDbEmulator emu = DynamoDbEmulator.startDefault();
        SdkClients c = SdkClients.noRetries(emu)) {
      c.ddb.createTable(
          b ->
              b.tableName("Things")
                  .keySchema(
                      KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                  .attributeDefinitions(
                      AttributeDefinition.builder()
                          .attributeName("id")
                          .attributeType(ScalarAttributeType.S)
                          .build())
                  .billingMode(BillingMode.PAY_PER_REQUEST)
                  .streamSpecification(
                      s ->
                          s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
      c.ddb.putItem(
          b ->
              b.tableName("Things")
                  .item(Map.of("id", AttributeValue.fromS("a"), "v", AttributeValue.fromN("1"))));
      String arn = c.ddb.describeTable(b -> b.tableName("Things")).table().latestStreamArn();
      var desc = c.streams.describeStream(b -> b.streamArn(arn)).streamDescription();
      System.out.println(desc);
      int total = 0;
      for (var sh : desc.shards()) {
        String it =
            c.streams
                .getShardIterator(
                    b ->
                        b.streamArn(arn)
                            .shardId(sh.shardId())
                            .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                .shardIterator();
        var r = c.streams.getRecords(b -> b.shardIterator(it));
        System.out.println(r);
        total += r.records().size();
      }
      assertThat(total).isEqualTo(1);
    }
  }
}
