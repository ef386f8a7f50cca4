/** The emulator's wire front, table store, expressions and stream model; not for direct use. */
@NullMarked
package dev.driftless.testinfra.dynamodb.internal;

import org.jspecify.annotations.NullMarked;
