/**
 * The rules every published module's tests check on its compiled classes ({@link PublishedModule}).
 */
@NullMarked
package dev.driftless.testinfra.modules;

import org.jspecify.annotations.NullMarked;
