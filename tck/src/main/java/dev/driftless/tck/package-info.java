/**
 * The Driftless technology compatibility kit: abstract contract suites (JUnit 5 and jqwik) that
 * every implementation of a {@code dev.driftless.core.spi} type extends in its tests, and in-memory
 * reference implementations that pass them. The rules the suites check are numbered in the module's
 * {@code SPEC.md} and named in the test methods ({@code rule_S1_2_staleWriteIsNoOp}).
 */
@NullMarked
package dev.driftless.tck;

import org.jspecify.annotations.NullMarked;
