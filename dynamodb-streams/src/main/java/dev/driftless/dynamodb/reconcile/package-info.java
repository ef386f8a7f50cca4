/**
 * The DynamoDB side of reconciliation: {@link
 * dev.driftless.dynamodb.reconcile.DynamoDbFingerprintReader}.
 */
@NullMarked
package dev.driftless.dynamodb.reconcile;

import org.jspecify.annotations.NullMarked;
