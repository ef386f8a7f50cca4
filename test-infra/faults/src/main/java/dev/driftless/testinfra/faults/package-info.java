/**
 * Faults for tests: a TCP proxy that can delay, cut and refuse connections, an HTTPS front asking
 * for credentials, and a child JVM that can be killed with {@code kill -9}.
 */
@NullMarked
package dev.driftless.testinfra.faults;

import org.jspecify.annotations.NullMarked;
