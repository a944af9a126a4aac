/**
 * What codecs and filters share: the {@link io.protean.abi.ExtensionContext} (with the proxy's
 * {@link io.protean.abi.Metrics}) their providers are handed, and {@link io.protean.abi.Reloadable}
 * for factories backed by a file that may change.
 */
package io.protean.abi;
