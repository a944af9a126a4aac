/**
 * The L7 filter contract. Filters run on the request path before the router and on the response
 * path before the reply goes downstream, like Envoy's generic_proxy filters; a filter returns
 * {@link io.protean.abi.filter.FilterStatus#CONTINUE} or stops the chain (to answer locally or to
 * resume later).
 */
package io.protean.abi.filter;
