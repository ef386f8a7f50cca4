package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.time.Instant;

/** One change record in a shard, with its wire form already rendered. */
record StreamRecord(
    BigInteger sequenceNumber,
    Instant createdAt,
    String eventName,
    long sizeBytes,
    ObjectNode json) {}
