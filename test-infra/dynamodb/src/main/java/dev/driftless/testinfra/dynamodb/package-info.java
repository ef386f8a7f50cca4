/**
 * An in-process DynamoDB + DynamoDB Streams emulator for tests that drive it through the real AWS
 * SDK v2 clients. Start a {@link dev.driftless.testinfra.dynamodb.DynamoDbEmulator}, point the
 * clients' {@code endpointOverride} at {@link
 * dev.driftless.testinfra.dynamodb.DynamoDbEmulator#endpoint()}, and steer time, shards and faults
 * through its control methods.
 */
@NullMarked
package dev.driftless.testinfra.dynamodb;

import org.jspecify.annotations.NullMarked;
