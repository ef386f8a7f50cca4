/** The starter's own parts: building sources, sinks and stores from properties. Not API. */
@NullMarked
package dev.driftless.spring.boot.internal;

import org.jspecify.annotations.NullMarked;
