/** The DynamoDB Streams source's parts. Not an API: may change in any release. */
@NullMarked
package dev.driftless.dynamodb.internal;

import org.jspecify.annotations.NullMarked;
