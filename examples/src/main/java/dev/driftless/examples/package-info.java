/** Runnable demos of Driftless: short code a user would copy into an application. */
@NullMarked
package dev.driftless.examples;

import org.jspecify.annotations.NullMarked;
