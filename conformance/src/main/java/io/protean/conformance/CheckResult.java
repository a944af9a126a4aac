package io.protean.conformance;

/**
 * The outcome of one check of one implementation.
 *
 * @param implementation e.g. {@code rust-dubbo [compiler]}
 * @param check          the vector name, or a generic check's name ({@code coalesced},
 *                       {@code random-bytes}...)
 * @param passed         whether it held
 * @param reason         why it failed (empty when passed)
 * @param nanos          how long it took
 */
public record CheckResult(String implementation, String check, boolean passed, String reason, long nanos) {}
