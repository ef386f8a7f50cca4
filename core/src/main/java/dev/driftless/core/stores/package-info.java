/**
 * Ready-made stores: dead-letter stores (a durable JSON-lines file and an in-memory one) and
 * checkpoint stores.
 */
@NullMarked
package dev.driftless.core.stores;

import org.jspecify.annotations.NullMarked;
