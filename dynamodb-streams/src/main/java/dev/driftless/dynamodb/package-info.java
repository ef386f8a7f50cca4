/**
 * The DynamoDB Streams change source: reads a table's stream shard by shard, parents before
 * children, with a bounded pool of readers, and checkpoints per shard. Start at {@link
 * dev.driftless.dynamodb.DynamoDbStreamsSource#builder()}.
 */
@NullMarked
package dev.driftless.dynamodb;

import org.jspecify.annotations.NullMarked;
