/**
 * Turns the text form of PostgreSQL column values, as pgoutput sends them, into the JDK values a
 * {@link dev.driftless.core.Document} holds.
 *
 * <p>Entry points: {@link dev.driftless.postgres.internal.types.TypeRegistry} (what each type oid
 * is) and {@link dev.driftless.postgres.internal.types.ValueDecoder} (oid, type modifier and text
 * to a value). The mapping of every type to its JSON form is listed in {@code
 * docs/postgres-types.md}.
 */
@NullMarked
package dev.driftless.postgres.internal.types;

import org.jspecify.annotations.NullMarked;
