/**
 * Side-by-side throughput benchmarks: each contender is measured against a baseline in the same
 * run, on the same server and the same data, and the ratios are written to {@code
 * benchmarks/reports/}. Run with {@code mvn -Pbench -pl benchmarks -am verify -DskipTests}.
 */
@NullMarked
package dev.driftless.benchmarks;

import org.jspecify.annotations.NullMarked;
