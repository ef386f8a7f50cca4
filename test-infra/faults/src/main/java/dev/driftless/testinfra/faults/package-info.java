/** Network faults for tests: a TCP proxy that can delay, cut and refuse connections. */
@NullMarked
package dev.driftless.testinfra.faults;

import org.jspecify.annotations.NullMarked;
